// The pull engine's pure parts as tables: mailbox patterns, the three-way flag merge, the mailbox
// plan (create / rename / remove / mark), message pairing, UID set arithmetic.
#include <catch2/catch.hpp>

#include <map>
#include <sstream>

#include "store/store.hpp"
#include "store_test_support.hpp"
#include "sync/pull/body_catalog.hpp"
#include "sync/rules/flag_merge.hpp"
#include "sync/pull/mailbox_filter.hpp"
#include "sync/pull/mailbox_plan.hpp"
#include "sync/pull/record_from_fetch.hpp"
#include "sync/pull/message_identity.hpp"
#include "sync/pull/uid_sets.hpp"

using namespace mailsync;
using namespace mailsync::sync;
using Flags = std::vector<std::string>;

TEST_CASE("mailbox patterns: * crosses the delimiter, % does not, ! excludes") {
    struct Row { const char* pattern; const char* name; bool matches; };
    const Row rows[] = {
        {"*", "INBOX", true}, {"*", "Lists/rust/old", true}, {"%", "Lists/rust", false}, {"%", "Lists", true},
        {"Lists/%", "Lists/rust", true}, {"Lists/%", "Lists/rust/old", false}, {"Lists*", "Lists", true},
        {"Lists*", "Lists/rust", true}, {"*/%", "a/b/c", true}, {"inbox", "INBOX", true}, {"Inbox", "INBOX", true},
        {"Spam", "spam", false}, {"A%Z", "A/Z", false}, {"A%Z", "AbcZ", true}, {"", "", true}, {"x", "", false},
        {"*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
        {"Caf\xc3\xa9/%", "Caf\xc3\xa9/2024", true},
    };
    for (const auto& row : rows) {
        INFO(row.pattern << " vs " << row.name);
        CHECK(mailbox_pattern_matches(row.pattern, row.name, '/') == row.matches);
    }
    const MailboxFilter filter({"*", "!Spam", "!Lists/%"});
    CHECK(filter.selects("INBOX", '/'));
    CHECK_FALSE(filter.selects("Spam", '/'));
    CHECK_FALSE(filter.selects("Lists/rust", '/'));
    CHECK(filter.selects("Lists/rust/old", '/'));
    const MailboxFilter excludes_only({"!Trash"});
    CHECK(excludes_only.selects("INBOX", '/'));
    CHECK_FALSE(excludes_only.selects("Trash", '/'));
}

TEST_CASE("flags merge per flag against the last synced state") {
    struct Row { Flags local, synced, server, merged; };
    const Row rows[] = {
        // no local change: the server wins
        {{"\\Seen"}, {"\\Seen"}, {}, {}},
        {{}, {}, {"\\Seen", "$Label1"}, {"$Label1", "\\Seen"}},
        // a local addition survives a server change of another flag
        {{"\\Flagged"}, {}, {"\\Seen"}, {"\\Flagged", "\\Seen"}},
        // a local removal survives the server keeping the flag
        {{}, {"\\Seen"}, {"\\Seen", "\\Answered"}, {"\\Answered"}},
        // both sides did the same
        {{"\\Seen"}, {}, {"\\Seen"}, {"\\Seen"}},
        // case-insensitive, \Recent dropped
        {{"\\SEEN"}, {"\\Seen"}, {"\\seen", "\\Recent"}, {"\\seen"}},
    };
    for (const auto& row : rows) {
        const auto merged = merge_flags(row.local, row.synced, row.server);
        CHECK(same_flags(merged, row.merged));
        CHECK(merged.size() == row.merged.size());
    }
    store::MessageRecord record;
    record.flags = {"\\Flagged"};
    record.synced_flags = {};
    CHECK(take_server_flags(record, {"\\Seen", "\\Recent"}, 42));
    CHECK(record.synced_flags == Flags{"\\Seen"});
    CHECK(same_flags(record.flags, {"\\Seen", "\\Flagged"}));
    CHECK(record.modseq == 42);
    CHECK_FALSE(take_server_flags(record, {"\\Seen"}, 42));
}

namespace {
ServerMailbox server_box(const std::string& name, std::uint32_t uidvalidity) {
    ServerMailbox box;
    box.name = name;
    box.delimiter = '/';
    box.uidvalidity = uidvalidity;
    box.has_status = true;
    return box;
}
store::MailboxRecord local_box(store::MailboxId id, const std::string& name, std::uint32_t uidvalidity) {
    store::MailboxRecord record;
    record.id = id;
    record.name = name;
    record.delimiter = "/";
    record.uidvalidity = uidvalidity;
    return record;
}
const MailboxSelector all = [](const std::string&, char) { return true; };
}  // namespace

TEST_CASE("mailbox plan: new, renamed, deleted, and marked in backup mode") {
    const std::vector<ServerMailbox> server = {server_box("INBOX", 1), server_box("New", 5), server_box("Renamed", 3)};
    const std::vector<store::MailboxRecord> local = {local_box(1, "INBOX", 1), local_box(2, "Old", 3), local_box(3, "Gone", 4)};
    const auto plan = plan_mailboxes(server, local, all, PullMode::two_way);
    REQUIRE(plan.create.size() == 1);
    CHECK(plan.create[0].name == "New");
    REQUIRE(plan.rename.size() == 1);
    CHECK(plan.rename[0].id == 2);
    CHECK(plan.rename[0].new_name == "Renamed");
    CHECK(plan.remove == std::vector<store::MailboxId>{3});
    CHECK(plan.mark_deleted.empty());
    CHECK(plan.present.size() == 2);

    const auto backup = plan_mailboxes(server, local, all, PullMode::backup);
    CHECK(backup.remove.empty());
    CHECK(backup.mark_deleted == std::vector<store::MailboxId>{3});

    // Two candidates with one UIDVALIDITY: no guess, a delete and a create.
    const std::vector<ServerMailbox> twins = {server_box("A2", 7), server_box("B2", 7)};
    const std::vector<store::MailboxRecord> old = {local_box(1, "A", 7)};
    const auto ambiguous = plan_mailboxes(twins, old, all, PullMode::two_way);
    CHECK(ambiguous.rename.empty());
    CHECK(ambiguous.create.size() == 2);
    CHECK(ambiguous.remove.size() == 1);

    // Excluded and offline-made mailboxes are left alone.
    auto offline = local_box(4, "Offline", 9);
    offline.created_offline = true;
    const MailboxSelector no_spam = [](const std::string& name, char) { return name != "Spam"; };
    const auto left = plan_mailboxes({server_box("INBOX", 1)}, {local_box(1, "INBOX", 1), local_box(5, "Spam", 8), offline}, no_spam,
                                     PullMode::two_way);
    CHECK(left.remove.empty());
    CHECK(left.create.empty());
}

TEST_CASE("mailbox plan: unchanged means all four STATUS values as stored") {
    auto local = local_box(1, "INBOX", 10);
    local.uidnext = 20;
    local.highestmodseq = 300;
    local.server_messages = 15;
    local.last_sync_method = store::SyncMethod::qresync;
    auto server = server_box("INBOX", 10);
    server.uidnext = 20;
    server.highestmodseq = 300;
    server.messages = 15;
    CHECK(is_unchanged(local, server));
    auto changed = server;
    changed.highestmodseq = 301;
    CHECK_FALSE(is_unchanged(local, changed));
    changed = server;
    changed.messages = 14;
    CHECK_FALSE(is_unchanged(local, changed));
    changed = server;
    changed.highestmodseq.reset();
    CHECK_FALSE(is_unchanged(local, changed));
    auto never = local;
    never.last_sync_method = store::SyncMethod::never;
    CHECK_FALSE(is_unchanged(never, server));

    // Empty then and now, same UIDNEXT: unchanged even without HIGHESTMODSEQ (no CONDSTORE).
    auto empty_local = local;
    empty_local.server_messages = 0;
    empty_local.highestmodseq = 0;
    empty_local.last_sync_method = store::SyncMethod::plain;
    auto empty = server;
    empty.messages = 0;
    empty.highestmodseq.reset();
    CHECK(is_unchanged(empty_local, empty));
    auto arrived_and_left = empty;   // a message came and was expunged: UIDNEXT moved
    arrived_and_left.uidnext = 21;
    CHECK_FALSE(is_unchanged(empty_local, arrived_and_left));
    auto arrived = empty;
    arrived.messages = 1;
    CHECK_FALSE(is_unchanged(empty_local, arrived));
    CHECK(special_use_of({"\\HASNOCHILDREN", "\\SENT"}) == "\\Sent");
}

TEST_CASE("message pairing by identity, each used once, in order") {
    const MessageIdentity a{"<a@x>", 100, "d", "s"}, b{"<b@x>", 200, "d", "s"}, none{"", 50, "d", "s"};
    const std::vector<StoredMessage> stored = {{10, a}, {11, b}, {12, a}, {13, none}};
    const std::vector<ServerMessage> server = {{5, a}, {6, a}, {7, a}, {8, none}, {9, MessageIdentity{"<b@x>", 201, "d", "s"}}};
    const auto pairs = pair_messages(stored, server);
    using Pair = std::pair<store::MessageId, store::Uid>;
    CHECK(pairs == std::vector<Pair>{{10, 5}, {12, 6}});
}

TEST_CASE("UID sets: diff and chunks") {
    const auto mirror = *imap::SequenceSet::parse("1:10,20");
    const auto server = *imap::SequenceSet::parse("5:12,30");
    const auto diff = diff_uids(mirror, server);
    CHECK(diff.added.to_string() == "11:12,30");
    CHECK(diff.gone.to_string() == "1:4,20");
    CHECK(diff.common.to_string() == "5:10");
    const auto chunks = chunk_by_count(*imap::SequenceSet::parse("1:5,8,10:14"), 4);
    REQUIRE(chunks.size() == 3);
    CHECK(chunks[0].to_string() == "1:4");
    CHECK(chunks[1].to_string() == "5,8,10:11");
    CHECK(chunks[2].to_string() == "12:14");
    CHECK(chunk_by_count({}, 3).empty());
}

TEST_CASE("message facts from a FETCH") {
    imap::FetchData fetch;
    fetch.uid = 7;
    fetch.flags = Flags{"\\Seen", "\\Recent", "$Label1"};
    fetch.modseq = 99;
    fetch.internal_date = "17-Jul-1996 02:44:25 -0700";
    fetch.rfc822_size = 1234;
    imap::Envelope envelope;
    envelope.subject = "Hello";
    envelope.message_id = "<m@x>";
    envelope.from = {imap::Address{std::string("Alice"), std::nullopt, std::string("alice"), std::string("example.org")}};
    fetch.envelope = envelope;
    store::MessageRecord record;
    fill_from_fetch(record, fetch);
    CHECK(record.flags == Flags{"$Label1", "\\Seen"});
    CHECK(record.synced_flags == record.flags);
    CHECK(record.modseq == 99);
    CHECK(record.internaldate == 837596665);
    CHECK(record.internaldate_zone_minutes == -420);
    CHECK(record.size == 1234);
    CHECK(record.from == "Alice <alice@example.org>");
    CHECK(record.message_id == "<m@x>");
    CHECK(address_summary({imap::Address{std::nullopt, std::nullopt, std::string("group"), std::nullopt}}).empty());
}

namespace {

std::optional<HeaderDigest> scanned(std::string_view message, std::size_t piece) {
    HeaderScanner scanner;
    for (std::size_t at = 0; at < message.size(); at += piece)
        if (!scanner.feed(message.substr(at, piece))) break;
    return scanner.finish();
}

std::optional<HeaderDigest> hashed(std::string_view header) {
    HeaderHasher hasher;
    hasher.update(header);
    return hasher.finish();
}

}  // namespace

TEST_CASE("header section: up to and including the first empty line, at any split") {
    const std::string header = "From: a@x\r\nSubject: hi\r\nX-Note: \r\n tail\r\n\r\n";
    const std::string message = header + "Body\r\n\r\nmore\r\n";
    const auto expected = HeaderDigest{store::Sha256::of(header), header.size()};
    for (std::size_t piece = 1; piece <= message.size(); ++piece) {
        INFO("pieces of " << piece);
        CHECK(scanned(message, piece) == expected);
    }
    CHECK(hashed(header) == expected);
    std::istringstream in(message);
    CHECK(header_of(in) == expected);

    // CR CR LF CR LF, and a lone LF LF, are not the end: only CRLF CRLF is.
    const std::string tricky = "A: 1\r\r\n\r\nB";
    const std::string tricky_header = "A: 1\r\r\n\r\n";
    CHECK(scanned(tricky, 1) == HeaderDigest{store::Sha256::of(tricky_header), tricky_header.size()});
    const std::string bare = "A: 1\n\nbody";
    CHECK(scanned(bare, 3) == HeaderDigest{store::Sha256::of(bare), bare.size()});   // no end: all of it
    CHECK(scanned("", 1) == HeaderDigest{store::Sha256::of(""), 0});
}

TEST_CASE("header section: one byte of difference, or a header over the bound, never matches") {
    const std::string a = "Message-ID: <m@x>\r\nReceived: by mx1\r\n\r\nBody", b = "Message-ID: <m@x>\r\nReceived: by mx2\r\n\r\nBody";
    CHECK(scanned(a, 7) != scanned(b, 7));
    CHECK(scanned(a, 7) == scanned(a, 3));
    // Same bytes, one a prefix of the other: the length tells them apart too.
    CHECK(hashed("A: 1\r\n\r\n") != hashed("A: 1\r\n"));

    std::string big = "X-Big: ";
    big.append(max_header_bytes, 'x');
    big += "\r\n\r\nbody";
    CHECK_FALSE(scanned(big, 4096).has_value());
    CHECK_FALSE(hashed(big.substr(0, big.size() - 4)).has_value());
    std::istringstream in(big);
    CHECK_FALSE(header_of(in).has_value());
    // Exactly at the bound is still compared.
    std::string edge(max_header_bytes - 4, 'y');
    edge += "\r\n\r\n";
    CHECK(scanned(edge + "tail", 65536) == hashed(edge));
}

TEST_CASE("message pairing with a check: a failing candidate leaves room for the next") {
    const MessageIdentity a{"<a@x>", 100, "d", "s"};
    const std::vector<StoredMessage> stored = {{10, a, {}}, {11, a, {}}, {12, a, {}}};
    const std::vector<ServerMessage> server = {{5, a}, {6, a}, {7, a}};
    using Pair = std::pair<store::MessageId, store::Uid>;
    // Crosswise: server 5 is stored 11, 6 is 10, 7 is none of them.
    const std::map<store::Uid, store::MessageId> truth = {{5, 11}, {6, 10}};
    const auto pairs = pair_messages(stored, server, [&](const StoredMessage& s, const ServerMessage& m) {
        auto it = truth.find(m.uid);
        return it != truth.end() && it->second == s.id;
    });
    CHECK(pairs == std::vector<Pair>{{11, 5}, {10, 6}});
    CHECK(pair_messages(stored, server, [](const auto&, const auto&) { return false; }).empty());
}

TEST_CASE("body catalog: every stored body of an identity, and each one's header section") {
    store::testing::TempDir temp;
    auto store = store::Store::open(temp.store(), store::Access::exclusive);
    SerializedStore serialized_store(store);
    BodyCatalog catalog(serialized_store);
    // Two deliveries of one mail: same identity, headers differing in one Received: line.
    const std::string first = "Received: by mx1\r\nMessage-ID: <m@x>\r\n\r\nHello\r\n";
    const std::string second = "Received: by mx2\r\nMessage-ID: <m@x>\r\n\r\nHello\r\n";
    const auto body1 = store.put_body(first), body2 = store.put_body(second);
    const auto mailbox = store.write([](store::WriteTxn& txn) { return txn.add_mailbox(store::testing::sample_mailbox("INBOX")); });
    auto record = store::testing::sample_message(mailbox, 1, body1.hash);
    record.message_id = "<m@x>";
    record.size = first.size();
    record.date = "Mon, 23 Nov 2026 10:00:00 +0000";
    auto twin = record;
    twin.uid = 2;
    twin.body_hash = body2.hash;
    auto same_body = record;
    same_body.uid = 3;
    store.write([&](store::WriteTxn& txn) {
        txn.add_message(record);
        txn.add_message(twin);
        txn.add_message(same_body);
    });
    const MessageIdentity identity = identity_of(record);
    const auto found = store.read([&](const store::ReadTxn& txn) { return catalog.find(txn, identity); });
    CHECK(found == std::vector<store::BodyHash>{body1.hash, body2.hash});
    auto other = identity;
    other.size += 1;
    CHECK(store.read([&](const store::ReadTxn& txn) { return catalog.find(txn, other); }).empty());

    const std::string header1 = first.substr(0, first.find("\r\n\r\n") + 4);
    CHECK(catalog.header_of(body1.hash) == HeaderDigest{store::Sha256::of(header1), header1.size()});
    CHECK(catalog.header_of(body1.hash) != catalog.header_of(body2.hash));
    CHECK_FALSE(catalog.header_of(store::Sha256::of("not stored")).has_value());

    // Removed during the pull: still offered, after the mirror's rows, each body once.
    const auto body3 = store.put_body("Received: by mx3\r\nMessage-ID: <m@x>\r\n\r\nHello\r\n");
    auto removed = record;
    removed.body_hash = body3.hash;
    catalog.remember_removed(removed);
    catalog.remember_removed(removed);
    catalog.remember_removed(record);
    const auto all = store.read([&](const store::ReadTxn& txn) { return catalog.find(txn, identity); });
    CHECK(all == std::vector<store::BodyHash>{body1.hash, body2.hash, body3.hash});
}
