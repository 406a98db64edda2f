// `mailsync restore` interrupted, then run again: nothing lost, nothing uploaded twice.
//   - killed (SIGKILL) after some uploads, the link slowed by the fault proxy so that it is caught
//     in the middle;
//   - the hard case: an APPEND the server stored whose tagged OK never reached mailsync (the
//     proxy holds back what the server says from a byte in the middle of the uploads, then the
//     process is killed): the next run finds that message on the target ("recovered") instead of
//     sending it again — with UIDPLUS, and on a server without it (no APPENDUID to go by);
//   - a whole restore into a server without UIDPLUS, and its re-run.
// The server is read by Python's imaplib (tests/fault/server_truth.py), never by mailsync.
#include <catch2/catch.hpp>

#include <signal.h>

#include <chrono>
#include <thread>

#include "tests/fault/proxy.hpp"
#include "tests/integration/restore_test_support.hpp"
#include "tests/support/masked_dovecot.hpp"

using namespace mailsync;
using namespace mailsync::test;
using namespace mailsync::test::restore;
using namespace std::chrono_literals;

namespace {

// `count` messages of about `size` bytes in the source's INBOX, mirrored (mode backup).
void back_up_many(const RestoreSetup& setup, const DovecotFixture::User& user, int count, std::size_t size) {
    for (int i = 0; i < count; ++i) seed(user.name, "INBOX", make_message(user.name + "-many-" + std::to_string(i), size), {"\\Seen"});
    REQUIRE(setup.run({"-a", "src", "sync"}).code == 0);
}

// Every message of the target's INBOX exactly once, and all `count` of them.
void check_each_once(std::uint16_t port, const DovecotFixture::User& target, std::size_t count) {
    const Truth truth = read_truth(port, target);
    const auto& inbox = truth.at("INBOX");
    CHECK(inbox.size() == count);
    for (const std::string& message : inbox) CHECK(inbox.count(message) == 1);
}

std::uint64_t sum_of(const Counts& counts, const char* key) {
    std::uint64_t total = 0;
    for (const auto& mailbox : counts.json["mailboxes"]) total += mailbox[key].as<std::uint64_t>();
    return total;
}

// The lost answer (header comment), on the server the fixture helpers speak to now.
void lost_answer_is_found_again(const std::string& hint) {
    const auto& dovecot = DovecotFixture::get();
    const auto user = unique_user(hint + "_from");
    const auto target = unique_user(hint + "_to");
    FaultProxy proxy(dovecot.host, dovecot.imap_port);
    RestoreSetup setup(dovecot.imap_port, user, proxy.port(), target);
    constexpr int count = 30;
    back_up_many(setup, user, count, 2'000);

    // A whole run first, to learn how many bytes the server says in one.
    const Counts whole = setup.run({"-a", "src", "--json", "restore", "--to", "dst"});
    INFO(setup.errors());
    REQUIRE(whole.code == 0);
    REQUIRE(whole.get("uploaded") == count);
    std::uint64_t server_bytes = 0;
    for (const auto& connection : proxy.connections()) server_bytes += connection.server_to_client;
    reset_user(target.name);   // lost again: the journal's UIDs are gone from the target

    // From 60% of those bytes on (inside the uploads), nothing the server says reaches mailsync.
    proxy.push_faults({.server_to_client = {.stall_after = server_bytes * 6 / 10}});
    {
        Program restore(setup.arguments({"-a", "src", "restore", "--to", "dst"}), setup.output_file());
        const auto until = std::chrono::steady_clock::now() + 30s;
        while (restore.running() && std::chrono::steady_clock::now() < until) {
            const auto connections = proxy.connections();
            if (!connections.empty() && connections.back().stalled) break;
            std::this_thread::sleep_for(10ms);
        }
        REQUIRE(restore.running());
        std::this_thread::sleep_for(300ms);   // the server stores the upload it was answering
        restore.signal(SIGKILL);
        REQUIRE(restore.wait(5s) == 128 + SIGKILL);
    }
    const auto stored = static_cast<std::uint64_t>(status(target.name, "INBOX").messages);
    REQUIRE(stored > 0);
    REQUIRE(stored < count);

    const Counts resumed = setup.run({"-a", "src", "--json", "restore", "--to", "dst"});
    INFO(setup.errors());
    REQUIRE(resumed.code == 0);
    // The upload in flight when the answers stopped is on the target: found, not sent again.
    CHECK(sum_of(resumed, "recovered") == 1);
    CHECK(resumed.get("uploaded") == count - stored);
    CHECK(resumed.get("skipped") == stored);
    check_each_once(dovecot.imap_port, target, count);
}

}  // namespace

TEST_CASE("a restore killed in the middle resumes without uploading anything twice", "[restore][fault]") {
    const auto& dovecot = DovecotFixture::get();
    const auto user = unique_user("restore_kill_from");
    const auto target = unique_user("restore_kill_to");
    FaultProxy proxy(dovecot.host, dovecot.imap_port);
    // 40 messages of 30 kB at 150 kB/s: about 8 s of uploads, killed after the first few.
    proxy.set_faults({.client_to_server = {.rate = 150'000}});
    RestoreSetup setup(dovecot.imap_port, user, proxy.port(), target);
    constexpr int count = 40;
    back_up_many(setup, user, count, 30'000);
    {
        Program restore(setup.arguments({"-a", "src", "restore", "--to", "dst"}), setup.output_file());
        const auto until = std::chrono::steady_clock::now() + 60s;
        while (status(target.name, "INBOX").messages < 5 && restore.running() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(20ms);
        REQUIRE(restore.running());
        restore.signal(SIGKILL);
        REQUIRE(restore.wait(5s) == 128 + SIGKILL);
    }
    // An APPEND the proxy had passed on may still be being stored after the kill: count once the
    // target's count holds still.
    auto stored = static_cast<std::uint64_t>(status(target.name, "INBOX").messages);
    for (int settled = 0; settled < 3;) {
        std::this_thread::sleep_for(300ms);
        const auto now = static_cast<std::uint64_t>(status(target.name, "INBOX").messages);
        settled = now == stored ? settled + 1 : 0;
        stored = now;
    }
    REQUIRE(stored >= 5);
    REQUIRE(stored < count);

    proxy.set_faults({});
    const Counts resumed = setup.run({"-a", "src", "--json", "restore", "--to", "dst"});
    INFO(setup.errors());
    REQUIRE(resumed.code == 0);
    CHECK(resumed.get("uploaded") == count - stored);
    CHECK(resumed.get("skipped") == stored);
    check_each_once(dovecot.imap_port, target, count);
    CHECK(setup.run({"-a", "src", "--json", "restore", "--to", "dst"}).get("uploaded") == 0);
}

TEST_CASE("an upload whose answer was lost is found on the target, not sent again", "[restore][fault]") {
    lost_answer_is_found_again("restore_lost");
}

TEST_CASE("without UIDPLUS: an upload whose answer was lost is found on the target, not sent again", "[restore][fault]") {
    const MaskedDovecot dovecot(capabilities_without_move_uidplus);
    lost_answer_is_found_again("restore_lost_nouidplus");
}

TEST_CASE("restore into a server without UIDPLUS: the same messages, and a re-run uploads nothing", "[restore]") {
    const MaskedDovecot masked(capabilities_without_move_uidplus);
    const auto& dovecot = DovecotFixture::get();
    const auto user = unique_user("restore_nouidplus");
    const auto unused = unique_user("restore_nouidplus_unused");
    RestoreSetup setup(dovecot.imap_port, user, dovecot.imap_port, unused);
    const std::uint32_t gone = seed_account(dovecot.imap_port, user, user.name);
    REQUIRE(setup.run({"-a", "src", "sync"}).code == 0);
    expunge(user.name, "INBOX", gone);
    REQUIRE(setup.run({"-a", "src", "sync"}).code == 0);
    const Truth before = read_truth(dovecot.imap_port, user);
    REQUIRE(message_count(before) == 8);
    reset_user(user.name);

    const Counts restored = setup.run({"-a", "src", "--json", "restore"});
    INFO(setup.errors());
    REQUIRE(restored.code == 0);
    CHECK(restored.get("uploaded") == 8);
    CHECK(read_truth(dovecot.imap_port, user) == before);
    // No APPENDUID was given: the re-run finds each message by size and header section.
    const Counts again = setup.run({"-a", "src", "--json", "restore"});
    REQUIRE(again.code == 0);
    CHECK(again.get("uploaded") == 0);
    CHECK(sum_of(again, "already_there") == 8);
    CHECK(read_truth(dovecot.imap_port, user) == before);
}
