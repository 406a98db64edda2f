// The pull engine against the real Dovecot of the `dovecot` fixture. Each test has a user of its
// own (unique_user), a fresh store, and changes the server behind mailsync's back with doveadm or
// a second IMAP client.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <set>

#include "common/error.hpp"
#include "tests/integration/pull_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace mailsync::test;

namespace {

sync::PullReport pull_now(store::Store& store, const DovecotFixture::User& user, sync::PullOptions options = {},
                          sync::PullProgress* progress = nullptr) {
    return sync::pull(factory_for(user), store, options, progress);
}

// The mirror of `mailbox` holds exactly the server's messages: same UIDs, byte-identical bodies
// (SHA-256 of the stored file against BODY[] fetched by another session), same flags.
void check_mirror_matches_server(store::Store& store, const DovecotFixture::User& user, const std::string& mailbox) {
    INFO("mailbox " << mailbox);
    const auto server = server_messages(user, mailbox);
    const auto mirror = mirror_messages(store, mailbox);
    REQUIRE(mirror.size() == server.size());
    for (const auto& [uid, message] : server) {
        INFO("UID " << uid);
        const auto it = mirror.find(uid);
        REQUIRE(it != mirror.end());
        CHECK(it->second.sha256 == message.sha256);
        CHECK(it->second.record.body_hash.hex() == message.sha256);
        CHECK(it->second.record.size == message.size);
        CHECK(it->second.record.flags == message.flags);
        CHECK(it->second.record.synced_flags.size() == message.flags.size());
    }
    CHECK(store.verify(true).empty());
}

// One mail as two deliveries would make it: the same Message-ID, Date and Subject, and the same
// size whatever `trace` and `text` are as long as their lengths are; a `padding` of body lines.
std::string twin_message(const std::string& tag, const std::string& trace, const std::string& text,
                         std::size_t padding = 0) {
    std::string body = text + "\r\n";
    while (body.size() < padding) body += "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxy\r\n";
    return "Received: from " + trace + " by mx.example.org\r\nFrom: Sender <sender@example.org>\r\nTo: me@example.org\r\n"
           "Subject: " + tag + "\r\nMessage-ID: <" + tag + "@pull.mailsync.test>\r\n"
           "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n\r\n" + body;
}

struct StopAfter final : sync::PullProgress {
    std::uint64_t limit;
    explicit StopAfter(std::uint64_t messages) : limit(messages) {}
    void on_progress(const sync::PullCounts& counts, const std::string&) override {
        if (counts.messages_done >= limit) throw std::runtime_error("interrupted by the test");
    }
};

}  // namespace

TEST_CASE("pull: a first sync mirrors every mailbox byte for byte") {
    const auto user = unique_user("pull_first");
    for (int i = 0; i < 12; ++i) seed(user.name, "INBOX", make_message("first-" + std::to_string(i), i == 3 ? 3'000'000 : 0),
                                      i % 2 ? std::vector<std::string>{"\\Seen", "$Label1"} : std::vector<std::string>{});
    seed(user.name, "Lists/rust", make_message("list-1"));
    seed(user.name, "Caf\xc3\xa9", make_message("cafe-1"), {"\\Flagged"});

    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    const auto report = pull_now(store, user);
    CHECK(report.failed() == 0);
    CHECK(report.total_new() == 14);
    for (const std::string& mailbox : std::vector<std::string>{"INBOX", "Lists/rust", imap::mutf7_encode("Caf\xc3\xa9"), "Sent", "Trash"})
        check_mirror_matches_server(store, user, mailbox);
    const auto inbox = report_of(report, "INBOX");
    REQUIRE(inbox);
    CHECK(inbox->downloaded == 12);
}

TEST_CASE("pull: an unchanged account costs one LIST-STATUS round and selects no mailbox") {
    const auto user = unique_user("pull_noop");
    for (int i = 0; i < 5; ++i) seed(user.name, "INBOX", make_message("noop-" + std::to_string(i)));
    seed(user.name, "Other", make_message("noop-other"));
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    pull_now(store, user);
    const auto second = pull_now(store, user);
    CHECK(second.examined == 0);
    CHECK(second.connections == 1);
    for (const auto& mailbox : second.mailboxes) CHECK(mailbox.skipped);
    CHECK(second.wire_bytes_received > 0);
    CHECK(second.wire_bytes_received < 4096);

    // Adding mail changes the answer for that mailbox only.
    seed(user.name, "Other", make_message("noop-other-2"));
    const auto third = pull_now(store, user);
    CHECK(third.examined == 1);
    CHECK(third.total_new() == 1);
}

namespace {

// 25 new empty mailboxes beside an INBOX of one message: the first sync selects INBOX only. Without
// CONDSTORE every sync selects INBOX (its flags may have changed: only a FETCH can tell).
void check_first_sync_settles_empty_mailboxes(bool condstore) {
    const unsigned inbox_again = condstore ? 0 : 1;
    const auto user = unique_user("pull_empty");
    seed(user.name, "INBOX", make_message("empty-inbox"));
    for (int i = 0; i < 25; ++i) create_mailbox(user.name, "Empty/" + std::to_string(i));
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    const auto first = pull_now(store, user);
    CHECK(first.failed() == 0);
    CHECK(first.examined == 1);   // INBOX; not the 25 nor the fixture's empty Sent, Trash, ...
    const auto empty = report_of(first, "Empty/7");
    REQUIRE(empty);
    CHECK(empty->method == store::SyncMethod::plain);
    const auto record = store.read([](const store::ReadTxn& txn) { return txn.mailbox_by_name("Empty/7"); });
    REQUIRE(record);
    CHECK(record->uidvalidity == status(user.name, "Empty/7").uidvalidity);
    CHECK(record->uidnext == status(user.name, "Empty/7").uidnext);
    CHECK(store.verify(true).empty());

    CHECK(pull_now(store, user).examined == inbox_again);
    // Mail arriving in one of them later is found, by the quick methods as by a full comparison.
    seed(user.name, "Empty/7", make_message("empty-later"), {"\\Seen"});
    const auto later = pull_now(store, user);
    CHECK(later.examined == 1 + inbox_again);
    CHECK(later.total_new() == 1);
    check_mirror_matches_server(store, user, "Empty/7");
}

}  // namespace

TEST_CASE("pull: a first sync takes the empty mailboxes from STATUS and selects none of them") {
    check_first_sync_settles_empty_mailboxes(true);
}

TEST_CASE("pull: without LIST-STATUS and CONDSTORE too, a first sync settles the empty mailboxes from STATUS") {
    const MaskedDovecot bare(capabilities_bare);   // first: the helpers below speak to it
    check_first_sync_settles_empty_mailboxes(false);
}

TEST_CASE("pull: incremental changes arrive by every method") {
    const auto method = GENERATE(sync::MethodChoice::qresync, sync::MethodChoice::condstore, sync::MethodChoice::plain);
    const auto expected = method == sync::MethodChoice::qresync     ? store::SyncMethod::qresync
                          : method == sync::MethodChoice::condstore ? store::SyncMethod::condstore
                                                                    : store::SyncMethod::plain;
    INFO("method " << static_cast<int>(method));
    const auto user = unique_user("pull_incr");
    std::vector<std::uint32_t> uids;
    for (int i = 0; i < 6; ++i) uids.push_back(seed(user.name, "INBOX", make_message("incr-" + std::to_string(i))));
    seed(user.name, "Old", make_message("old-1"));
    seed(user.name, "Doomed", make_message("doomed-1"));

    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    sync::PullOptions options;
    options.method = method;
    pull_now(store, user, options);
    const auto ids_before = mirror_messages(store, "INBOX");

    // Another client: new mail, flags (system and keywords, added and removed), expunges, and
    // mailboxes created, renamed and deleted.
    seed(user.name, "INBOX", make_message("incr-new-1"));
    seed(user.name, "INBOX", make_message("incr-new-2"), {"$Important"});
    add_flags(user.name, "INBOX", uids[0], {"\\Seen", "$Label1"});
    add_flags(user.name, "INBOX", uids[1], {"\\Flagged"});
    remove_flags(user.name, "INBOX", uids[1], {"\\Flagged"});
    add_flags(user.name, "INBOX", uids[2], {"\\Answered"});
    expunge(user.name, "INBOX", uids[3]);
    expunge(user.name, "INBOX", uids[4]);
    seed(user.name, "Brand/New", make_message("brand-new-1"));
    doveadm({"mailbox", "rename", "-u", user.name, "Old", "Renamed"});
    doveadm({"mailbox", "delete", "-u", user.name, "Doomed"});

    const auto report = pull_now(store, user, options);
    CHECK(report.failed() == 0);
    const auto inbox = report_of(report, "INBOX");
    REQUIRE(inbox);
    CHECK(inbox->method == expected);
    std::string notes;
    for (const auto& note : inbox->notes) notes += note + "; ";
    INFO("notes: " << notes);
    CHECK(inbox->notes.empty());
    CHECK(inbox->new_messages == 2);
    CHECK(inbox->expunged == 2);
    CHECK(inbox->changed >= 2);
    check_mirror_matches_server(store, user, "INBOX");
    check_mirror_matches_server(store, user, "Brand/New");
    check_mirror_matches_server(store, user, "Renamed");

    const auto names = mirror_mailboxes(store);
    CHECK(std::count(names.begin(), names.end(), "Renamed") == 1);
    CHECK(std::count(names.begin(), names.end(), "Old") == 0);
    CHECK(std::count(names.begin(), names.end(), "Doomed") == 0);
    const auto renamed = report_of(report, "Renamed");
    REQUIRE(renamed);
    CHECK(renamed->renamed_from == std::optional<std::string>("Old"));
    CHECK(renamed->downloaded == 0);

    // Local ids survive: messages that stayed keep theirs.
    const auto ids_after = mirror_messages(store, "INBOX");
    CHECK(ids_after.at(uids[0]).record.id == ids_before.at(uids[0]).record.id);

    // And a second pass finds nothing more to do.
    const auto again = pull_now(store, user, options);
    CHECK(again.examined == 0);
}

// Flag changes and expunges are written a bounded number per transaction (PullOptions::
// changes_per_write, 100 by default; 7 here): more than that at once must all arrive, counted
// once, by every method.
TEST_CASE("pull: more changes than one write batch arrive whole by every method") {
    const auto user = unique_user("pull_many");
    std::vector<std::uint32_t> uids;
    for (int i = 0; i < 40; ++i) uids.push_back(seed(user.name, "INBOX", make_message("many-" + std::to_string(i))));
    const std::vector<sync::MethodChoice> methods{sync::MethodChoice::qresync, sync::MethodChoice::condstore,
                                                  sync::MethodChoice::plain};
    sync::PullOptions options;
    options.changes_per_write = 7;
    std::vector<std::unique_ptr<TempDirectory>> dirs;
    std::vector<store::Store> stores;
    for (auto method : methods) {
        dirs.push_back(std::make_unique<TempDirectory>());
        stores.push_back(store::Store::open(dirs.back()->path() / "store", store::Access::exclusive));
        options.method = method;
        REQUIRE(pull_now(stores.back(), user, options).total_new() == 40);
    }

    // 18 flagged, 18 expunged, 4 untouched between them.
    const auto uid_range = [&](std::size_t first, std::size_t last) {
        return std::to_string(uids[first]) + ":" + std::to_string(uids[last]);
    };
    doveadm({"flags", "add", "-u", user.name, "\\Flagged", "mailbox", "INBOX", "uid", uid_range(0, 17)});
    doveadm({"expunge", "-u", user.name, "mailbox", "INBOX", "uid", uid_range(22, 39)});

    for (std::size_t i = 0; i < methods.size(); ++i) {
        INFO("method " << static_cast<int>(methods[i]));
        options.method = methods[i];
        const auto report = pull_now(stores[i], user, options);
        const auto inbox = report_of(report, "INBOX");
        REQUIRE(inbox);
        CHECK(inbox->notes.empty());
        CHECK(inbox->changed == 18);
        CHECK(inbox->expunged == 18);
        CHECK(inbox->new_messages == 0);
        check_mirror_matches_server(stores[i], user, "INBOX");
    }
}

TEST_CASE("pull: a UIDVALIDITY change re-pairs stored messages without downloading them") {
    const auto user = unique_user("pull_uidv");
    for (int i = 0; i < 5; ++i) seed(user.name, "Box", make_message("uidv-" + std::to_string(i)));
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    pull_now(store, user);
    const auto before = mirror_messages(store, "Box");

    const auto status_before = status(user.name, "Box");
    set_uidvalidity(user.name, "Box", status_before.uidvalidity + 1000);
    seed(user.name, "Box", make_message("uidv-new"));

    const auto report = pull_now(store, user);
    const auto box = report_of(report, "Box");
    REQUIRE(box);
    CHECK(box->uidvalidity_changed);
    CHECK(box->repaired == 5);
    CHECK(box->downloaded == 1);
    CHECK(box->expunged == 0);
    check_mirror_matches_server(store, user, "Box");
    std::set<store::MessageId> ids_before, ids_after;
    for (const auto& [uid, message] : before) ids_before.insert(message.record.id);
    for (const auto& [uid, message] : mirror_messages(store, "Box")) ids_after.insert(message.record.id);
    for (auto id : ids_before) CHECK(ids_after.count(id) == 1);
    const auto record = store.read([](const store::ReadTxn& txn) { return txn.mailbox_by_name("Box"); });
    CHECK(record->uidvalidity == status_before.uidvalidity + 1000);
}

TEST_CASE("pull: a message moved on the server is not downloaded again") {
    const auto user = unique_user("pull_move");
    const auto uid = seed(user.name, "INBOX", make_message("moved-1", 200'000));
    seed(user.name, "INBOX", make_message("stays-1"));
    create_mailbox(user.name, "Folder");
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    sync::PullOptions options;
    options.connections = 1;
    pull_now(store, user, options);

    move_on_server(user, "INBOX", uid, "Folder");
    const auto report = pull_now(store, user, options);
    const auto folder = report_of(report, "Folder");
    REQUIRE(folder);
    CHECK(folder->new_messages == 1);
    CHECK(folder->reused == 1);
    CHECK(folder->downloaded == 0);
    CHECK(report.total_bytes() == 0);
    check_mirror_matches_server(store, user, "INBOX");
    check_mirror_matches_server(store, user, "Folder");
}

TEST_CASE("pull: an interrupted first sync resumes without duplicates") {
    const auto user = unique_user("pull_resume");
    for (int i = 0; i < 60; ++i) seed(user.name, "INBOX", make_message("resume-" + std::to_string(i)));
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    sync::PullOptions options;
    options.commit_messages = 10;
    options.fetch_command_bytes = 4096;
    StopAfter stop(20);
    CHECK_THROWS_WITH(pull_now(store, user, options, &stop), "interrupted by the test");
    const auto partial = mirror_messages(store, "INBOX").size();
    CHECK(partial >= 20);
    CHECK(partial < 60);

    const auto report = pull_now(store, user, options);
    CHECK(report_of(report, "INBOX")->downloaded == 60 - partial);
    check_mirror_matches_server(store, user, "INBOX");
    const auto count = store.read([](const store::ReadTxn& txn) { return txn.counts(txn.mailbox_by_name("INBOX")->id)->messages; });
    CHECK(count == 60);
}

TEST_CASE("pull: backup mode keeps what the server expunged and deleted") {
    const auto user = unique_user("pull_backup");
    const auto uid = seed(user.name, "INBOX", make_message("keep-1"));
    seed(user.name, "INBOX", make_message("keep-2"));
    seed(user.name, "Gone", make_message("gone-1"));
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    sync::PullOptions options;
    options.mode = sync::PullMode::backup;
    pull_now(store, user, options);

    expunge(user.name, "INBOX", uid);
    doveadm({"mailbox", "delete", "-u", user.name, "Gone"});
    const auto report = pull_now(store, user, options);
    CHECK(report_of(report, "INBOX")->expunged == 1);

    const auto inbox = mirror_messages(store, "INBOX");
    REQUIRE(inbox.size() == 2);
    CHECK(inbox.at(uid).record.deleted_on_server.has_value());
    const auto gone = store.read([](const store::ReadTxn& txn) { return txn.mailbox_by_name("Gone"); });
    REQUIRE(gone);
    CHECK(gone->deleted_on_server.has_value());
    CHECK(mirror_messages(store, "Gone").size() == 1);
    CHECK(store.verify(true).empty());

    // The same changes in pull mode leave the mirror.
    options.mode = sync::PullMode::pull;
    TempDirectory other;
    auto mirror = store::Store::open(other.path() / "store", store::Access::exclusive);
    const auto extra = seed(user.name, "INBOX", make_message("keep-3"));
    pull_now(mirror, user, options);
    CHECK(mirror_messages(mirror, "INBOX").size() == 2);
    expunge(user.name, "INBOX", extra);
    const auto pulled = pull_now(mirror, user, options);
    CHECK(report_of(pulled, "INBOX")->expunged == 1);
    CHECK(mirror_messages(mirror, "INBOX").size() == 1);
    CHECK(mirror.verify(true).empty());
}

TEST_CASE("pull: patterns choose the mailboxes, and `only` names must exist") {
    const auto user = unique_user("pull_patterns");
    seed(user.name, "INBOX", make_message("pattern-inbox"));
    seed(user.name, "Spam", make_message("pattern-spam"));
    seed(user.name, "Lists/a", make_message("pattern-list-a"));
    seed(user.name, "Lists/a/deep", make_message("pattern-list-deep"));
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    sync::PullOptions options;
    options.patterns = {"INBOX", "Lists/%", "!Spam"};
    pull_now(store, user, options);
    CHECK(mirror_mailboxes(store) == std::vector<std::string>{"INBOX", "Lists/a"});

    options.only = {"Nowhere"};
    try {
        pull_now(store, user, options);
        FAIL("an unknown mailbox was accepted");
    } catch (const Error& error) {
        CHECK(error.category() == ErrorCategory::bad_input);
        CHECK_THAT(error.what(), Catch::Contains("Nowhere"));
    }
}

TEST_CASE("pull: reuse of a moved message is checked by its header, among twins, without a body download") {
    const auto user = unique_user("pull_reuse_move");
    // Two deliveries of one mail (they differ in a Received: line only) are both stored; then the
    // second one moves to another mailbox. Only its own stored body may be reused for it.
    const std::string first = twin_message("reuse-twin", "relay-1.example.net", "The text.", 100'000);
    const std::string second = twin_message("reuse-twin", "relay-2.example.net", "The text.", 100'000);
    REQUIRE(first.size() == second.size());
    seed(user.name, "INBOX", first);
    const auto moved_uid = seed(user.name, "INBOX", second);
    create_mailbox(user.name, "Folder");
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    sync::PullOptions options;
    options.connections = 1;
    pull_now(store, user, options);

    move_on_server(user, "INBOX", moved_uid, "Folder");
    const auto report = pull_now(store, user, options);
    const auto folder = report_of(report, "Folder");
    REQUIRE(folder);
    CHECK(folder->new_messages == 1);
    CHECK(folder->reused == 1);
    CHECK(folder->reuse_rejected == 0);
    CHECK(folder->downloaded == 0);
    CHECK(report.total_bytes() == 0);
    // The check costs the header section, not the body: far less than the 100 kB on the wire.
    CHECK(report.wire_bytes_received < second.size() / 10);
    check_mirror_matches_server(store, user, "INBOX");
    check_mirror_matches_server(store, user, "Folder");
    CHECK(mirror_messages(store, "Folder").begin()->second.sha256 == store::Sha256::of(second).hex());
}

TEST_CASE("pull: a message that only looks like a stored one is downloaded, byte for byte") {
    const auto user = unique_user("pull_reuse_reject");
    const std::string original = twin_message("reuse-lookalike", "relay-1.example.net", "The original text.");
    // Same Message-ID, Date, Subject and size; a header differing in one value of equal length, and
    // another header and body (a resent message) of equal length.
    const std::string other_header = twin_message("reuse-lookalike", "relay-9.example.net", "The original text.");
    const std::string other_body = twin_message("reuse-lookalike", "relay-7.example.net", "A different text..");
    REQUIRE(other_header.size() == original.size());
    REQUIRE(other_body.size() == original.size());
    seed(user.name, "INBOX", original);
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    sync::PullOptions options;
    options.connections = 1;
    pull_now(store, user, options);

    seed(user.name, "Folder", other_header);
    seed(user.name, "Folder", other_body);
    const auto report = pull_now(store, user, options);
    const auto folder = report_of(report, "Folder");
    REQUIRE(folder);
    CHECK(folder->new_messages == 2);
    CHECK(folder->reuse_rejected == 2);
    CHECK(folder->reused == 0);
    CHECK(folder->downloaded == 2);
    check_mirror_matches_server(store, user, "INBOX");
    check_mirror_matches_server(store, user, "Folder");
    std::set<std::string> hashes;
    for (const auto& [uid, message] : mirror_messages(store, "Folder")) hashes.insert(message.sha256);
    CHECK(hashes == std::set<std::string>{store::Sha256::of(other_header).hex(), store::Sha256::of(other_body).hex()});
}

TEST_CASE("pull: a UIDVALIDITY re-pair is checked by header: twins find their own, a look-alike is downloaded") {
    const auto user = unique_user("pull_repair_check");
    const std::string first = twin_message("repair-twin", "relay-1.example.net", "Twin text.");
    const std::string second = twin_message("repair-twin", "relay-2.example.net", "Twin text.");
    const std::string replaced = twin_message("repair-other", "relay-1.example.net", "Old text.");
    const std::string lookalike = twin_message("repair-other", "relay-5.example.net", "New text.");
    REQUIRE(first.size() == second.size());
    REQUIRE(replaced.size() == lookalike.size());
    const auto first_uid = seed(user.name, "Box", first);
    seed(user.name, "Box", second);
    const auto replaced_uid = seed(user.name, "Box", replaced);
    seed(user.name, "Box", make_message("repair-plain"));
    TempDirectory dir;
    auto store = store::Store::open(dir.path() / "store", store::Access::exclusive);
    pull_now(store, user);
    const auto before = mirror_messages(store, "Box");

    // The first twin goes (so identity alone would pair the second twin with the first one's row),
    // and a look-alike takes the place of another message; then a new UIDVALIDITY.
    expunge(user.name, "Box", first_uid);
    expunge(user.name, "Box", replaced_uid);
    seed(user.name, "Box", lookalike);
    const auto status_before = status(user.name, "Box");
    set_uidvalidity(user.name, "Box", status_before.uidvalidity + 1000);

    const auto report = pull_now(store, user);
    const auto box = report_of(report, "Box");
    REQUIRE(box);
    CHECK(box->uidvalidity_changed);
    CHECK(box->repaired == 2);          // the second twin and the plain message
    CHECK(box->expunged == 2);          // the first twin and the replaced message
    CHECK(box->downloaded == 1);        // the look-alike
    CHECK(box->reuse_rejected == 1);
    check_mirror_matches_server(store, user, "Box");
    // The second twin kept its local id (its row was re-paired, not replaced).
    const auto after = mirror_messages(store, "Box");
    std::set<store::MessageId> ids_after;
    for (const auto& [uid, message] : after) ids_after.insert(message.record.id);
    std::size_t second_twins = 0;
    for (const auto& [uid, message] : before)
        if (message.sha256 == store::Sha256::of(second).hex()) {
            ++second_twins;
            CHECK(ids_after.count(message.record.id) == 1);
        }
    CHECK(second_twins == 1);  // else the loop above checked nothing
}
