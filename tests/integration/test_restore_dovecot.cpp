// `mailsync restore` through the program against Dovecot: an account backed up (mode backup),
// wiped on the server, restored, and the server — read by Python's imaplib — holds the same bytes
// with the same flags, keywords and INTERNALDATEs; a dry run changes nothing; a re-run uploads
// nothing; --deleted adds what the server had deleted; the journal lost, nothing is uploaded twice
// either; restore into a second user (--to), a damaged body left out (exit 74) until it is
// fetched again; an unreachable target exits 75; into a server whose hierarchy delimiter is '.',
// the mailboxes are made with it, and one whose name cannot be is a failure (exit 76).
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "tests/integration/restore_test_support.hpp"
#include "tests/support/closed_port.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace mailsync::test;
using namespace mailsync::test::restore;

namespace {

// The source backed up: seeded, synced, one message expunged on the server and synced again
// (backup mode keeps it, deleted on the server). Returns the server's state then.
Truth back_up(const RestoreSetup& setup, std::uint16_t port, const DovecotFixture::User& user, const std::string& tag) {
    const std::uint32_t gone = seed_account(port, user, tag);
    REQUIRE(setup.run({"-a", "src", "sync"}).code == 0);
    expunge(user.name, "INBOX", gone);
    REQUIRE(setup.run({"-a", "src", "sync"}).code == 0);
    return read_truth(port, user);
}

// The --json object of one mailbox (by display name); an undefined node when there is none.
YAML::Node mailbox_of(const Counts& counts, const std::string& name) {
    const YAML::Node mailboxes = counts.json["mailboxes"];
    for (std::size_t i = 0; i < mailboxes.size(); ++i)
        if (mailboxes[i]["name"].as<std::string>() == name) return mailboxes[i];
    return YAML::Node(YAML::NodeType::Undefined);
}

// Overwrites the body file of the mirror's message with this Message-ID tag (same length, other
// bytes) and returns its path.
std::filesystem::path damage_one_body(const RestoreSetup& setup, const std::string& tag) {
    auto store = store::Store::open(setup.source_store(), store::Access::shared);
    const auto path = store.read([&](const store::ReadTxn& txn) {
        const auto ids = txn.messages_with_message_id("<" + tag + "@pull.mailsync.test>");
        REQUIRE(ids.size() == 1);
        return store.body_path(txn.message(ids.front())->body_hash);
    });
    const auto size = std::filesystem::file_size(path);
    std::filesystem::permissions(path, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << std::string(size, 'x');
    return path;
}

}  // namespace

TEST_CASE("restore after a loss puts every message back byte for byte, with its flags and INTERNALDATE", "[restore]") {
    const auto& dovecot = DovecotFixture::get();
    const auto user = unique_user("restore");
    const auto other = unique_user("restore_other");
    RestoreSetup setup(dovecot.imap_port, user, dovecot.imap_port, other);
    const Truth before = back_up(setup, dovecot.imap_port, user, user.name);
    REQUIRE(message_count(before) == 8);
    REQUIRE(before.contains("Archive/2024"));
    REQUIRE(before.contains("Empty"));

    reset_user(user.name);   // the loss: every mailbox but INBOX deleted, INBOX expunged
    const Truth wiped = read_truth(dovecot.imap_port, user);
    REQUIRE(message_count(wiped) == 0);
    REQUIRE_FALSE(wiped.contains("Archive/2024"));

    // A dry run says what it would do and does nothing.
    const Counts dry = setup.run({"-a", "src", "--json", "restore", "--dry-run"});
    INFO(setup.errors());
    REQUIRE(dry.code == 0);
    CHECK(dry.json["dry_run"].as<bool>());
    CHECK(dry.get("uploaded") == 8);
    CHECK(dry.get("failed") == 0);
    REQUIRE(mailbox_of(dry, "Archive/2024").IsMap());
    CHECK(mailbox_of(dry, "Archive/2024")["created"].as<bool>());
    CHECK(read_truth(dovecot.imap_port, user) == wiped);
    CHECK_FALSE(std::filesystem::exists(setup.journal_directory()));

    const Counts restored = setup.run({"-a", "src", "--json", "restore"});
    INFO(setup.errors());
    REQUIRE(restored.code == 0);
    CHECK(restored.get("uploaded") == 8);
    CHECK(restored.get("skipped") == 0);
    CHECK(restored.get("failed") == 0);
    // Same mailboxes (the nested one, the empty one), same bytes, flags, keywords and dates; the
    // message the server had deleted is not uploaded without --deleted.
    CHECK(read_truth(dovecot.imap_port, user) == before);

    // A re-run uploads nothing.
    const Counts again = setup.run({"-a", "src", "--json", "restore"});
    REQUIRE(again.code == 0);
    CHECK(again.get("uploaded") == 0);
    CHECK(again.get("skipped") == 8);
    CHECK(mailbox_of(again, "INBOX")["restored_before"].as<std::uint64_t>() == 4);
    CHECK(read_truth(dovecot.imap_port, user) == before);

    // Without its journal it uploads nothing either: each message is found by size and header.
    std::filesystem::remove_all(setup.journal_directory());
    const Counts lost_journal = setup.run({"-a", "src", "--json", "restore"});
    REQUIRE(lost_journal.code == 0);
    CHECK(lost_journal.get("uploaded") == 0);
    CHECK(mailbox_of(lost_journal, "INBOX")["already_there"].as<std::uint64_t>() == 4);
    CHECK(mailbox_of(lost_journal, "Archive/2024")["already_there"].as<std::uint64_t>() == 4);
    CHECK(read_truth(dovecot.imap_port, user) == before);

    // Half the mail lost again (the journal names UIDs now gone): exactly that half goes up again.
    const auto restored_uids = server_messages(user, "INBOX");
    REQUIRE(restored_uids.size() == 4);
    expunge(user.name, "INBOX", restored_uids.begin()->first);
    expunge(user.name, "INBOX", std::next(restored_uids.begin())->first);
    const Counts half = setup.run({"-a", "src", "--json", "restore", "inbox"});
    REQUIRE(half.code == 0);
    CHECK(half.get("uploaded") == 2);
    CHECK(half.get("skipped") == 2);
    CHECK(half.json["mailboxes"].size() == 1);
    CHECK(read_truth(dovecot.imap_port, user) == before);

    // --deleted: also the message the server had deleted (the backup kept it), once.
    const Counts deleted = setup.run({"-a", "src", "--json", "restore", "--deleted"});
    REQUIRE(deleted.code == 0);
    CHECK(deleted.get("uploaded") == 1);
    const Truth with_deleted = read_truth(dovecot.imap_port, user);
    CHECK(with_deleted.at("INBOX").size() == 5);
    CHECK(message_count(with_deleted) == 9);
    CHECK(setup.run({"-a", "src", "--json", "restore", "--deleted"}).get("uploaded") == 0);

    // A mailbox the mirror does not have is bad input, before anything is connected.
    CHECK(setup.run({"-a", "src", "restore", "Nonexistent"}).code == 65);
}

TEST_CASE("restore --to uploads the mirror into a second user, and an unreachable target exits 75", "[restore]") {
    const auto& dovecot = DovecotFixture::get();
    const auto user = unique_user("restore_from");
    const auto target = unique_user("restore_to");
    RestoreSetup setup(dovecot.imap_port, user, dovecot.imap_port, target);
    const Truth before = back_up(setup, dovecot.imap_port, user, user.name);
    const Truth target_before = read_truth(dovecot.imap_port, target);
    REQUIRE(message_count(target_before) == 0);

    // One body file of the mirror damaged: that message is not uploaded (exit 74), the others are.
    const std::filesystem::path damaged = damage_one_body(setup, user.name + "-4");
    const Counts partly = setup.run({"-a", "src", "--json", "restore", "--to", "dst"});
    CHECK(partly.code == 74);
    CHECK(partly.get("uploaded") == 7);
    CHECK(partly.get("failed") == 1);
    CHECK(setup.errors().find(damaged.string()) != std::string::npos);
    CHECK(message_count(read_truth(dovecot.imap_port, target)) == 7);
    // Fetched again from the source's server, it goes up with the next run, alone.
    REQUIRE(setup.run({"-a", "src", "verify", "--repair"}).code == 0);
    const Counts migrated = setup.run({"-a", "src", "--json", "restore", "--to", "dst"});
    INFO(setup.errors());
    REQUIRE(migrated.code == 0);
    CHECK(migrated.json["to"].as<std::string>() == "dst");
    CHECK(migrated.get("uploaded") == 1);
    CHECK(migrated.get("skipped") == 7);
    CHECK(read_truth(dovecot.imap_port, target) == before);
    // The source's server is untouched.
    CHECK(read_truth(dovecot.imap_port, user) == before);
    // The same again: nothing twice; a journal of its own per target.
    CHECK(setup.run({"-a", "src", "--json", "restore", "--to", "dst"}).get("uploaded") == 0);
    CHECK(read_truth(dovecot.imap_port, target) == before);

    setup.write(dovecot.imap_port, static_cast<std::uint16_t>(closed_port()), target);
    const Counts unreachable = setup.run({"-a", "src", "restore", "--to", "dst"});
    CHECK(unreachable.code == 75);
    CHECK(setup.errors().find("dst") != std::string::npos);
}

TEST_CASE("restore --to a server with another hierarchy delimiter makes the mailboxes with its own", "[restore]") {
    // The shared fixture ('/') first, so that the helpers keep speaking to it; then a private
    // Dovecot whose separator is '.'.
    const auto& dovecot = DovecotFixture::get();
    const auto user = unique_user("restore_slash");
    const auto target = unique_user("restore_dot");
    const MaskedDovecot dotted("", "namespace inbox {\n  separator = .\n}\n");
    RestoreSetup setup(dovecot.imap_port, user, dotted.imap_port(), target);
    // A name with a '.' in one level cannot be written under '.': that mailbox fails, the rest goes up.
    seed(user.name, "Reports 1.5", make_message(user.name + "-report"));
    Truth before = back_up(setup, dovecot.imap_port, user, user.name);
    REQUIRE(before.erase("Reports 1.5") == 1);

    const Counts migrated = setup.run({"-a", "src", "--json", "restore", "--to", "dst"});
    INFO(setup.errors());
    CHECK(migrated.code == 76);
    CHECK(migrated.get("uploaded") == 8);
    CHECK(migrated.get("failed") == 1);
    CHECK(mailbox_of(migrated, "Reports 1.5")["failed"].as<std::uint64_t>() == 1);
    CHECK(setup.errors().find("Reports 1.5") != std::string::npos);
    CHECK(mailbox_of(migrated, "Archive/2024")["target"].as<std::string>() == "Archive.2024");
    Truth expected;
    for (const auto& [name, messages] : before) {
        std::string dotted_name = name;
        std::replace(dotted_name.begin(), dotted_name.end(), '/', '.');
        expected[dotted_name] = messages;
    }
    CHECK(read_truth(dotted.imap_port(), target) == expected);
    const Counts again = setup.run({"-a", "src", "--json", "restore", "--to", "dst"});
    CHECK(again.code == 76);
    CHECK(again.get("uploaded") == 0);
    CHECK(again.get("skipped") == 8);
}
