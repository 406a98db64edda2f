// The store's encodings: key order, record round trips, corrupt input refused.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "store/codec.hpp"
#include "store/keys.hpp"
#include "store/records.hpp"

using namespace mailsync;
using namespace mailsync::store;

namespace {

BodyHash hash_of(std::string_view text) { return Sha256::of(text); }

MailboxRecord full_mailbox() {
    MailboxRecord r;
    r.id = 7;
    r.name = std::string("Archive/2024 &AOQ-\0x", 20);   // wire bytes, even a NUL
    r.delimiter = "/";
    r.special_use = "\\Archive";
    r.attributes = {"\\HasNoChildren", "\\Archive"};
    r.subscribed = true;
    r.uidvalidity = 0xfedcba98;
    r.uidnext = 4242;
    r.highestmodseq = 0x0123456789abcdefULL;
    r.server_messages = 99;
    r.last_sync_method = SyncMethod::condstore;
    r.last_sync_time = -5;   // before the epoch survives too
    r.deleted_on_server = 1700000001;
    r.created_offline = true;
    return r;
}

MessageRecord full_message() {
    MessageRecord r;
    r.id = 0x1122334455667788ULL;
    r.mailbox = 3;
    r.uid = 0xffffffffU;
    r.flags = {"\\Seen", "$Label1", ""};
    r.synced_flags = {"\\Seen"};
    r.modseq = 77;
    r.internaldate = 1700000000;
    r.internaldate_zone_minutes = -420;
    r.size = 50ULL << 20;
    r.body_hash = hash_of("body");
    r.message_id = "<abc@example.com>";
    r.date = "Tue, 14 Nov 2023 22:13:20 +0000";
    r.from = "Zoë <z@example.com>";
    r.subject = "Ünïcode subject";
    r.deleted_on_server = 1700000500;
    return r;
}

QueueRecord full_queue_record() {
    QueueRecord r;
    r.seq = 12;
    r.kind = QueueKind::append;
    r.state = QueueState::sent;
    r.created = 1700000000;
    r.sent_at = 1700000100;
    r.attempts = 3;
    r.message = 5;
    r.mailbox = 2;
    r.target_mailbox = 4;
    r.copy_message = 6;
    r.uid = 17;
    r.uidvalidity = 123;
    r.modseq = 456;
    r.base_flags = {"\\Flagged"};
    r.add_flags = {"\\Seen", "$Work"};
    r.remove_flags = {"\\Flagged"};
    r.name = "Old";
    r.new_name = "New";
    r.body_hash = hash_of("appended");
    r.internaldate = 1600000000;
    r.internaldate_zone_minutes = 330;
    r.last_error = "NO [OVERQUOTA]";
    return r;
}

ConflictRecord full_conflict() {
    ConflictRecord r;
    r.seq = 9;
    r.time = 1700000000;
    r.message = 44;
    r.mailbox = 2;
    r.uid = 100;
    r.rule = "delete-wins";
    r.local_change = "+\\Flagged";
    r.server_change = "expunged";
    r.resolution = "message removed locally";
    return r;
}

template <class Record, class Decode>
void check_round_trip(const Record& record, Decode decode) {
    std::string bytes = encode(record);
    CHECK(decode(bytes) == record);
    // Every truncation is refused as corrupt, never read past the end.
    for (std::size_t size = 0; size < bytes.size(); ++size) {
        CHECK_THROWS_AS(decode(std::string_view(bytes).substr(0, size)), Error);
    }
    CHECK_THROWS_AS(decode(bytes + "x"), Error);
    std::string other_version = bytes;
    other_version[0] = static_cast<char>(other_version[0] + 1);
    CHECK_THROWS_AS(decode(other_version), Error);
}

}  // namespace

TEST_CASE("big-endian keys sort in numeric order", "[store][codec]") {
    std::mt19937_64 random(12345);
    std::vector<std::uint64_t> numbers(500);
    for (auto& n : numbers) n = random() >> (random() % 64);
    std::vector<std::string> encoded;
    for (auto n : numbers) encoded.push_back(keys::u64(n));
    std::sort(numbers.begin(), numbers.end());
    std::sort(encoded.begin(), encoded.end());
    for (std::size_t i = 0; i < numbers.size(); ++i) {
        CHECK(keys::decode_u64(encoded[i], "test") == numbers[i]);
    }
}

TEST_CASE("place keys list a mailbox in UID order, then messages without a UID", "[store][codec]") {
    std::vector<std::string> places = {keys::pending_place(1, 5), keys::place(1, 300), keys::place(2, 1),
                                       keys::place(1, 2),         keys::pending_place(1, 2)};
    std::sort(places.begin(), places.end());
    CHECK(places == std::vector<std::string>{keys::place(1, 2), keys::place(1, 300), keys::pending_place(1, 2),
                                             keys::pending_place(1, 5), keys::place(2, 1)});
    for (const auto& key : places) {
        bool in_mailbox_1 = key.starts_with(keys::mailbox_places(1));
        CHECK(in_mailbox_1 == (key != keys::place(2, 1)));
    }
}

TEST_CASE("the decoder refuses lengths beyond the record", "[store][codec]") {
    std::string huge_string = Encoder().u32(0xffffffff).raw("abc").data();
    CHECK_THROWS_AS(Decoder(huge_string, "test").bytes(), Error);
    std::string huge_list = Encoder().u32(0x7fffffff).data();
    CHECK_THROWS_AS(Decoder(huge_list, "test").strings(), Error);
    std::string bad_bool = Encoder().u8(2).data();
    CHECK_THROWS_AS(Decoder(bad_bool, "test").boolean(), Error);
    try {
        Decoder(huge_string, "message record").bytes();
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::io);
        CHECK(std::string(error.what()).find("message record") != std::string::npos);
    }
}

TEST_CASE("every record survives encode and decode", "[store][records]") {
    SECTION("mailbox") { check_round_trip(full_mailbox(), decode_mailbox); }
    SECTION("mailbox with nothing optional") { check_round_trip(MailboxRecord{}, decode_mailbox); }
    SECTION("counts") { check_round_trip(MailboxCounts{123456, 789}, decode_mailbox_counts); }
    SECTION("message") { check_round_trip(full_message(), decode_message); }
    SECTION("message without a UID yet") {
        MessageRecord pending = full_message();
        pending.uid.reset();
        pending.deleted_on_server.reset();
        pending.flags.clear();
        check_round_trip(pending, decode_message);
    }
    SECTION("message mirrored as headers only (record version 2)") {
        MessageRecord partial = full_message();
        partial.partial = true;
        partial.structure = "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 12 1 NIL NIL NIL NIL)";
        check_round_trip(partial, decode_message);
        CHECK(encode(partial).front() == 2);
        // A complete message keeps the version-1 layout of the stores written before headers first,
        // byte for byte: the version-2 encoding is the version-1 bytes plus the two new fields.
        const std::string complete = encode(full_message());
        CHECK(complete.front() == 1);
        std::string extended = encode(partial);
        CHECK(extended.substr(1, complete.size() - 1) == complete.substr(1));
        // The version-1 record of a store written before: read as complete.
        const MessageRecord old = decode_message(complete);
        CHECK_FALSE(old.partial);
        CHECK(old.structure.empty());
    }
    SECTION("queue") { check_round_trip(full_queue_record(), decode_queue); }
    SECTION("queue entry of every kind and state") {
        for (auto kind : {QueueKind::flags, QueueKind::move, QueueKind::copy, QueueKind::remove, QueueKind::append,
                          QueueKind::create_mailbox, QueueKind::rename_mailbox, QueueKind::delete_mailbox}) {
            for (auto state : {QueueState::pending, QueueState::sent, QueueState::confirmed}) {
                QueueRecord record;
                record.kind = kind;
                record.state = state;
                CHECK(decode_queue(encode(record)) == record);
            }
        }
    }
    SECTION("conflict") { check_round_trip(full_conflict(), decode_conflict); }
    SECTION("export state") {
        check_round_trip(ExportStateRecord{"maildir", "/backup/mail", 999, 1700000000}, decode_export_state);
        check_round_trip(ExportStateRecord{"mbox", "/backup", 999, 1700000000, "INBOX", 4096, "INBOX", {3, 7}}, decode_export_state);
    }
    SECTION("export state of version 2 (no file name, no skipped messages)") {
        const ExportStateRecord current{"mbox", "/backup", 999, 1700000000, "INBOX", 4096, "", {}};
        std::string old = encode(current);
        old.resize(old.size() - 4 - 4);   // without the empty file name and the zero count
        old[0] = 2;
        CHECK(decode_export_state(old) == current);
    }
    SECTION("damaged bodies") {
        const std::vector<BodyHash> hashes{Sha256::of("a"), Sha256::of("b")};
        CHECK(decode_damaged_bodies(encode_damaged_bodies(hashes)) == hashes);
        CHECK(decode_damaged_bodies(encode_damaged_bodies({})).empty());
        std::string cut = encode_damaged_bodies(hashes);
        cut.pop_back();
        CHECK_THROWS_AS(decode_damaged_bodies(cut), Error);
    }
    SECTION("oauth token") { check_round_trip(OAuthTokenRecord{"ya29.token", 1700003600}, decode_oauth_token); }
    SECTION("sync run") {
        check_round_trip(SyncRunRecord{1700000000, 1699990000, "server did not answer"}, decode_sync_run);
        check_round_trip(SyncRunRecord{1700000000, std::nullopt, ""}, decode_sync_run);
    }
}

TEST_CASE("unknown enum values in a record are refused", "[store][records]") {
    std::string bytes = encode(QueueRecord{});
    bytes[1 + 8] = 99;   // after the version byte and seq: the kind
    CHECK_THROWS_AS(decode_queue(bytes), Error);
}

TEST_CASE("body hashes: SHA-256 known answer and hex round trip", "[store][hash]") {
    // FIPS 180-2 test vector.
    CHECK(Sha256::of("abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    Sha256 incremental;
    incremental.update("a");
    incremental.update("");
    incremental.update("bc");
    CHECK(incremental.finish() == Sha256::of("abc"));

    BodyHash hash = Sha256::of("hello");
    CHECK(BodyHash::from_hex(hash.hex()) == hash);
    CHECK(BodyHash::from_hex(mailsync::ascii::to_upper(hash.hex())) == hash);
    CHECK_FALSE(BodyHash::from_hex(hash.hex().substr(1)));
    CHECK_FALSE(BodyHash::from_hex(std::string(64, 'g')));
}

TEST_CASE("the seen flag is recognised in any case", "[store][records]") {
    CHECK(has_seen_flag({"$Label", "\\SEEN"}));
    CHECK(has_seen_flag({"\\seen"}));
    CHECK_FALSE(has_seen_flag({"Seen", "\\Seen2", "\\Flagged"}));
    CHECK_FALSE(has_seen_flag({}));
}
