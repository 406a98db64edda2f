// The push side against Dovecot with capabilities masked (tests/support/masked_dovecot.hpp): what
// mailsync must still do on servers that lack MOVE, UIDPLUS, CONDSTORE or QRESYNC.
#include <catch2/catch.hpp>

#include "tests/integration/replay_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace test::replay;

namespace {

// A fresh account whose INBOX holds two messages, tagged `first` and `second` (made unique per
// user), mirrored by a first pull.
struct TwoMessages {
    Account a;
    std::uint32_t first = 0, second = 0;
    TwoMessages(const std::string& first_tag, const std::string& second_tag) {
        first = a.seed("INBOX", first_tag + "-" + a.user.name);
        second = a.seed("INBOX", second_tag + "-" + a.user.name);
        a.pull();
    }
    std::string sha(const std::string& tag) const { return sha_of(tag + "-" + a.user.name); }
};

// A local move of a message that a second client expunged meanwhile: re-uploaded into the
// destination (APPEND, which needs neither MOVE nor UIDPLUS), once; nothing left behind.
void move_of_expunged_message_is_reuploaded() {
    Account a;
    {
        // The mask holds: the session sees neither MOVE nor UIDPLUS.
        auto connection = a.factory()();
        CHECK_FALSE(connection.session->has_capability("MOVE"));
        CHECK_FALSE(connection.session->has_capability("UIDPLUS"));
        connection.session->logout();
    }
    const auto uid = a.seed("INBOX", "expunged-" + a.user.name);
    a.seed("INBOX", "kept-" + a.user.name);
    a.pull();
    sync::move_messages(*a.store, "INBOX", std::vector{a.id("INBOX", uid)}, "Archive", now);
    test::expunge(a.user.name, "INBOX", uid);

    const auto pushed = a.push();
    CHECK(pushed.failed == 0);
    CHECK(a.queue().empty());
    CHECK(a.has_conflict("move-reuploads"));
    a.pull();
    const std::map<std::string, Flags> expected_archive = {{sha_of("expunged-" + a.user.name), {}}};
    CHECK(server_content(a, "Archive") == expected_archive);
    const std::map<std::string, Flags> expected_inbox = {{sha_of("kept-" + a.user.name), {}}};
    CHECK(server_content(a, "INBOX") == expected_inbox);
    check_mirror_equals_server(a, "INBOX");
    check_mirror_equals_server(a, "Archive");
}

}  // namespace

TEST_CASE("without MOVE and UIDPLUS, a local move of a message the server expunged is re-uploaded",
          "[replay][capabilities]") {
    test::MaskedDovecot dovecot(test::capabilities_without_move_uidplus);
    move_of_expunged_message_is_reuploaded();
}

TEST_CASE("on a bare IMAP4rev1 server, a local move of a message the server expunged is re-uploaded",
          "[replay][capabilities]") {
    test::MaskedDovecot dovecot(test::capabilities_bare);
    move_of_expunged_message_is_reuploaded();
}

TEST_CASE("without MOVE and UIDPLUS a move is refused for good: the mirror returns to the server's state and "
          "independent changes go on",
          "[replay][capabilities][refused]") {
    test::MaskedDovecot dovecot(test::capabilities_without_move_uidplus);
    TwoMessages inbox("refused", "other");
    Account& a = inbox.a;
    const auto moved_uid = inbox.first, other_uid = inbox.second;
    const auto moved = a.id("INBOX", moved_uid);
    sync::move_messages(*a.store, "INBOX", std::vector{moved}, "Archive", now);
    // Made on top of the move: depends on it.
    sync::change_flags(*a.store, "Archive", std::vector{moved}, {"$AfterMove"}, {}, now);
    // Unrelated, queued after both: must reach the server in this very sync.
    sync::change_flags(*a.store, "INBOX", std::vector{a.id("INBOX", other_uid)}, {"\\Flagged"}, {}, now);

    const auto pushed = a.push();
    for (const auto& failure : pushed.failures) UNSCOPED_INFO(failure);
    CHECK(pushed.failed == 2);
    REQUIRE(pushed.failures.size() == 2);
    CHECK(pushed.failures[0].find("The move of message") == 0);
    CHECK(pushed.failures[0].find("was refused because the server offers neither MOVE nor UIDPLUS") != std::string::npos);
    CHECK(pushed.failures[1].find("it was made on top of change") != std::string::npos);
    CHECK(test::flags(a.user.name, "INBOX", other_uid) == Flags{"\\Flagged"});
    const auto queue = a.queue();
    REQUIRE(queue.size() == 2);
    for (const auto& record : queue) CHECK(record.state == store::QueueState::refused);

    // No ghost: the message is back in INBOX with its UID and the server's flags, not in Archive.
    const auto message = a.store->read([&](const store::ReadTxn& txn) { return txn.message(moved); });
    REQUIRE(message);
    CHECK(message->uid == moved_uid);
    CHECK(message->flags.empty());
    a.pull();
    check_mirror_equals_server(a, "INBOX");
    check_mirror_equals_server(a, "Archive");
    CHECK(server_content(a, "Archive").empty());

    // Refused for good: a later sync does not try again, and it stays listed.
    const auto again = a.push();
    CHECK(again.failed == 0);
    CHECK(a.queue().size() == 2);
}

TEST_CASE("without UIDPLUS a delete proceeds when no other message is marked deleted", "[replay][capabilities]") {
    test::MaskedDovecot dovecot(test::capabilities_without_move_uidplus);
    TwoMessages inbox("doomed", "kept");
    Account& a = inbox.a;
    const auto doomed = inbox.first;
    sync::delete_messages(*a.store, "INBOX", std::vector{a.id("INBOX", doomed)}, now);
    const auto pushed = a.push();
    CHECK(pushed.failed == 0);
    CHECK(a.queue().empty());
    const std::map<std::string, Flags> expected = {{sha_of("kept-" + a.user.name), {}}};
    CHECK(server_content(a, "INBOX") == expected);
    a.pull();
    check_mirror_equals_server(a, "INBOX");
}

TEST_CASE("without UIDPLUS a delete is refused while a message a bystander marked deleted would go with it",
          "[replay][capabilities][refused]") {
    test::MaskedDovecot dovecot(test::capabilities_without_move_uidplus);
    TwoMessages inbox("doomed", "bystander");
    Account& a = inbox.a;
    const auto doomed = inbox.first, bystander = inbox.second;
    sync::delete_messages(*a.store, "INBOX", std::vector{a.id("INBOX", doomed)}, now);
    test::add_flags(a.user.name, "INBOX", bystander, {"\\Deleted"});   // another client's, not expunged yet
    const auto pushed = a.push();
    CHECK(pushed.failed == 1);
    REQUIRE(pushed.failures.size() == 1);
    CHECK(pushed.failures[0].find("marked \\Deleted by another client") != std::string::npos);
    CHECK(pushed.failures[0].find("tried again") != std::string::npos);   // the other client may expunge it
    // Both survive on the server; the delete stays queued as refused.
    const std::map<std::string, Flags> expected = {{sha_of("doomed-" + a.user.name), {}},
                                                   {sha_of("bystander-" + a.user.name), {"\\Deleted"}}};
    CHECK(server_content(a, "INBOX") == expected);
    const auto queue = a.queue();
    REQUIRE(queue.size() == 1);
    CHECK(queue[0].state == store::QueueState::refused);
    CHECK(queue[0].attempts == 1);

    // Refused at each sync while the bystander's mark stays; at the fifth refusal for good, and the
    // pull brings the message back although the server's mailbox looks as the last pull left it
    // (found by the fault campaign: the mirror kept one message fewer than the server for ever).
    for (int sync = 2; sync <= 5; ++sync) a.sync_all();
    const auto given_up = a.queue();
    REQUIRE(given_up.size() == 1);
    CHECK(given_up[0].attempts == 5);
    a.pull();
    check_mirror_equals_server(a, "INBOX");
    CHECK(a.store->read([&](const store::ReadTxn& txn) {
        return txn.message_by_uid(txn.mailbox_by_name("INBOX")->id, doomed).has_value();
    }));
}

namespace {

// make_message(tag) without its Message-ID line: a message nothing can be searched by.
std::string message_without_id(const std::string& tag) {
    std::string message = test::make_message(tag);
    const auto from = message.find("Message-ID:");
    message.erase(from, message.find("\r\n", from) + 2 - from);
    return message;
}

std::string sha_of_bytes(const std::string& bytes) {
    store::Sha256 hasher;
    hasher.update(bytes);
    return hasher.finish().hex();
}

// A local copy (or move) of a message without Message-ID on a server without UIDPLUS: the COPY
// (MOVE) succeeds without COPYUID, and the message is found in the destination above its UIDNEXT
// of before the command (size and header section), not taken as gone and uploaded a second time.
void copy_or_move_without_message_id_lands_once(bool move) {
    Account a;
    const std::string kept = message_without_id("kept-" + a.user.name);
    const std::string placed = message_without_id("placed-" + a.user.name);
    test::seed(a.user.name, "INBOX", kept);
    const auto uid = test::seed(a.user.name, "INBOX", placed);
    test::seed(a.user.name, "Archive", message_without_id("there-" + a.user.name));
    a.pull();
    const auto id = a.id("INBOX", uid);
    if (move) sync::move_messages(*a.store, "INBOX", std::vector{id}, "Archive", now);
    else sync::copy_messages(*a.store, "INBOX", std::vector{id}, "Archive", now);

    const auto pushed = a.push();
    for (const auto& failure : pushed.failures) UNSCOPED_INFO(failure);
    CHECK(pushed.failed == 0);
    CHECK(a.queue().empty());
    CHECK_FALSE(a.has_conflict(move ? "move-reuploads" : "copy-reuploads"));
    a.pull();
    // Exactly one copy in Archive (server_content also checks no body is there twice).
    const auto archive = test::server_messages(a.user, "Archive");
    CHECK(archive.size() == 2);
    const std::map<std::string, Flags> expected_archive = {{sha_of_bytes(placed), {}},
                                                           {sha_of_bytes(message_without_id("there-" + a.user.name)), {}}};
    CHECK(server_content(a, "Archive") == expected_archive);
    std::map<std::string, Flags> expected_inbox = {{sha_of_bytes(kept), {}}};
    if (!move) expected_inbox[sha_of_bytes(placed)] = {};
    CHECK(server_content(a, "INBOX") == expected_inbox);
    check_mirror_equals_server(a, "INBOX");
    check_mirror_equals_server(a, "Archive");
    // The mirror's message got its destination UID from the replay: the pull downloaded nothing.
    const auto again = a.pull();
    CHECK(again.total_new() == 0);
}

}  // namespace

TEST_CASE("without UIDPLUS a copy of a message without Message-ID is found in its destination, not uploaded twice",
          "[replay][capabilities]") {
    test::MaskedDovecot dovecot(test::capabilities_without_move_uidplus);
    copy_or_move_without_message_id_lands_once(false);
}

TEST_CASE("with MOVE but without UIDPLUS a move of a message without Message-ID is found in its destination, once",
          "[replay][capabilities]") {
    test::MaskedDovecot dovecot(test::capabilities_without_move_uidplus + " MOVE");
    copy_or_move_without_message_id_lands_once(true);
}

// A mkdir the server refuses for good (Dovecot: NO [CANNOT] for a name beginning with '~') takes
// back what was put into the mailbox offline: the moved message returns to INBOX with its UID, the
// copy and the append are removed, the mailbox is gone from the mirror; every change is refused.
TEST_CASE("a mkdir refused for good takes back the messages moved into it: nothing local-only is left",
          "[replay][refused]") {
    TwoMessages inbox("moved", "copied");
    Account& a = inbox.a;
    const auto moved = a.id("INBOX", inbox.first);
    const std::string bad = "~Refused";
    sync::make_mailbox(*a.store, bad, now);
    sync::move_messages(*a.store, "INBOX", std::vector{moved}, bad, now);
    sync::change_flags(*a.store, bad, std::vector{moved}, {"$There"}, {}, now);
    sync::copy_messages(*a.store, "INBOX", std::vector{a.id("INBOX", inbox.second)}, bad, now);
    a.append(bad, "appended-" + a.user.name);

    const auto pushed = a.push();
    for (const auto& failure : pushed.failures) UNSCOPED_INFO(failure);
    CHECK(pushed.failed == 5);
    REQUIRE_FALSE(pushed.failures.empty());
    CHECK(pushed.failures[0].find("The creation of mailbox '~Refused' was refused because the server answered NO "
                                  "to CREATE") == 0);
    CHECK(pushed.failures[0].find("it is not tried again") != std::string::npos);
    for (const auto& record : a.queue()) {
        CHECK(record.state == store::QueueState::refused);
        CHECK(record.attempts >= sync::ReplayOptions{}.max_attempts);   // for good
    }
    CHECK(a.queue().size() == 5);
    // No local-only row: the mailbox is gone, the moved message back in INBOX with its UID and flags.
    const auto mailboxes = test::mirror_mailboxes(*a.store);
    CHECK(std::find(mailboxes.begin(), mailboxes.end(), bad) == mailboxes.end());
    const auto message = a.store->read([&](const store::ReadTxn& txn) { return txn.message(moved); });
    REQUIRE(message);
    CHECK(message->uid == inbox.first);
    CHECK(message->flags.empty());
    const auto pulled = a.pull();
    CHECK(pulled.total_new() == 0);   // nothing had to come back from the server
    check_mirror_equals_server(a, "INBOX");
    const std::map<std::string, Flags> expected = {{inbox.sha("moved"), {}}, {inbox.sha("copied"), {}}};
    CHECK(server_content(a, "INBOX") == expected);
    CHECK_FALSE(server_has_mailbox(a, bad));
}
