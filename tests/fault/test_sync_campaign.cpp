// Engine-level fault campaign (sync_campaign.hpp): the `mailsync` program, interrupted by SIGKILL,
// connection cuts and stalls at positions spread over an uninterrupted run, must leave a store that
// verifies and converges, with nothing lost or duplicated on the server.
//
// Short version in CI. The long one (hundreds of trials, first sync of 3000 messages):
//   MAILSYNC_CAMPAIGN=long ctest --test-dir build -R campaign -j2 --timeout 7200 -V
// (MAILSYNC_CAMPAIGN=medium: in between). Results: tests/fault/RESULTS.md.
#include <catch2/catch.hpp>

#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "tests/fault/sync_campaign.hpp"
#include "tests/integration/pull_test_support.hpp"

using namespace mailsync;
using namespace mailsync::test;
using namespace mailsync::test::campaign;

namespace {

struct Size {
    std::size_t messages = 0, kills = 0, cuts = 0, stalls = 0;
};

// Per scenario (first-sync, incremental, replay) and $MAILSYNC_CAMPAIGN.
Size size(const std::string& scenario) {
    const auto name = campaign_size();
    if (scenario == "first-sync") {
        if (name == "long") return {3000, 40, 45, 10};
        if (name == "medium") return {1000, 10, 12, 3};
        return {300, 2, 2, 1};
    }
    const bool replay = scenario == "replay";
    if (name == "long") return {0, 40, 45, 10};
    if (name == "medium") return {0, 10, 12, 3};
    return replay ? Size{0, 2, 3, 1} : Size{0, 1, 2, 1};
}

void report(const Summary& summary) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::cout << "\nsync campaign (" << campaign_size() << ")\n";
    print_table(std::cout, {summary});
    std::cout.flush();
}

// next_account: the account of the next trial (a fresh one, or the same one reset).
void run_all(Campaign& campaign, const std::function<Account&()>& next_account, const Prepare& prepare,
             std::size_t kills, std::size_t cuts, std::size_t stalls) {
    campaign.calibrate(prepare, next_account());
    const auto interrupts = campaign.plan(kills, cuts, stalls);
    for (const auto& interrupt : interrupts) campaign.trial(prepare, next_account(), interrupt);
    report(campaign.summary());
    const auto& s = campaign.summary();
    CHECK(s.lost == 0);
    CHECK(s.duplicated == 0);
    CHECK(s.unverifiable == 0);
    CHECK(s.failed_convergence == 0);
    CHECK(s.trials == 1 + interrupts.size());
    CHECK(s.kills + s.cuts + s.stalls == kills + cuts + stalls);
}

// A message file to append (loaded mailboxes are fresh: their UIDs are 1..count in load order).
std::string message_file(const Account& account, const std::string& tag) {
    const auto path = account.dir() / (tag + ".eml");
    std::ofstream(path, std::ios::binary) << make_message(account.user().name + "-" + tag, 3000);
    return path.string();
}

void require_ok(const Account& account, const std::vector<std::string>& args) {
    const int status = account.run(args);
    if (status != 0) {
        std::string line;
        for (const auto& arg : args) line += arg + " ";
        throw std::runtime_error("mailsync " + line + "exited " + std::to_string(status) + "\n" + account.log_tail());
    }
}

}  // namespace

TEST_CASE("campaign: first sync interrupted anywhere", "[fault][campaign]") {
    const Size n = size("first-sync");
    // One server account, loaded once; every trial starts from an empty store.
    Account account("camp1");
    load_messages(account, "INBOX", "i", n.messages * 2 / 3);
    load_messages(account, "Lists", "l", n.messages - n.messages * 2 / 3);
    const Contents server = account.server_contents();
    Campaign campaign("first-sync");
    run_all(
        campaign, [&]() -> Account& { return account; },
        [&](Account& a) {
            a.remove_store();
            return server;
        },
        n.kills, n.cuts, n.stalls);
}

TEST_CASE("campaign: incremental sync after server-side changes", "[fault][campaign]") {
    const Size n = size("incremental");
    std::unique_ptr<Account> current;
    Campaign campaign("incremental");
    run_all(
        campaign,
        [&]() -> Account& {
            current.reset();
            current = std::make_unique<Account>("camp2");
            return *current;
        },
        [&](Account& a) {
            load_messages(a, "INBOX", "i", 60);
            load_messages(a, "Lists", "l", 20);
            require_ok(a, {"sync"});
            const auto& u = a.user().name;
            // A second client's changes, UID ranges in one doveadm call each.
            doveadm({"flags", "add", "-u", u, "$Label1 \\Flagged", "mailbox", "INBOX", "uid", "1:12"});
            doveadm({"flags", "remove", "-u", u, "\\Seen", "mailbox", "INBOX", "uid", "13:18"});
            doveadm({"expunge", "-u", u, "mailbox", "INBOX", "uid", "20:27"});
            doveadm({"expunge", "-u", u, "mailbox", "Lists", "uid", "1:3"});
            add_flags(u, "Lists", 5, {"\\Answered"});
            load_messages(a, "INBOX", "n", 15);
            load_messages(a, "Lists", "m", 5);
            return a.server_contents();
        },
        n.kills, n.cuts, n.stalls);
}

TEST_CASE("campaign: replay of an offline queue", "[fault][campaign]") {
    const Size n = size("replay");
    std::unique_ptr<Account> current;
    Campaign campaign("replay");
    run_all(
        campaign,
        [&]() -> Account& {
            current.reset();
            current = std::make_unique<Account>("camp3");
            return *current;
        },
        [&](Account& a) {
            load_messages(a, "INBOX", "i", 40);
            load_messages(a, "Lists", "l", 10);
            require_ok(a, {"sync"});
            const auto id = [&](const std::string& box, std::uint32_t uid) { return std::to_string(a.message_id(box, uid)); };
            // Offline, with the CLI (no network needed for any of these).
            require_ok(a, {"flag", "INBOX", id("INBOX", 1) + "," + id("INBOX", 2) + "," + id("INBOX", 3), "+seen",
                           "+$Label1", "-flagged"});
            require_ok(a, {"flag", "INBOX", id("INBOX", 4), "+flagged", "-seen"});
            require_ok(a, {"move", "INBOX", id("INBOX", 5) + "," + id("INBOX", 6), "Archive"});
            require_ok(a, {"copy", "INBOX", id("INBOX", 7), "Lists"});
            require_ok(a, {"delete", "INBOX", id("INBOX", 8) + "," + id("INBOX", 9)});
            require_ok(a, {"move", "Lists", id("Lists", 1), "INBOX"});
            require_ok(a, {"flag", "Lists", id("Lists", 2), "+answered"});
            require_ok(a, {"delete", "Lists", id("Lists", 3)});
            for (int i = 0; i < 4; ++i)
                require_ok(a, {"append", "INBOX", message_file(a, "app" + std::to_string(i)), "--flags", "seen"});
            require_ok(a, {"append", "Lists", message_file(a, "app-l"), "--flags", "flagged,$Label2"});
            require_ok(a, {"append", "Archive", message_file(a, "app-a")});
            // Whatever the mirror shows now is what the server must hold after convergence.
            return a.mirror_contents();
        },
        n.kills, n.cuts, n.stalls);
}

// The checks themselves: planted problems must be counted (a campaign that cannot fail proves nothing).
TEST_CASE("campaign self-test: planted faults are counted", "[fault][campaign]") {
    Account account("campself");
    load_messages(account, "INBOX", "i", 8);
    Campaign campaign("self-test");
    campaign.calibrate(
        [](Account& a) {
            auto expected = a.server_contents();
            auto& inbox = expected.at("INBOX");
            inbox.erase(inbox.begin());                    // on the server but not expected: duplicated
            inbox["0000planted"].push_back("\\Seen");      // expected but never there: lost
            return expected;
        },
        account);
    campaign.trial(
        [](Account& a) {
            require_ok(a, {"sync"});
            auto store = store::Store::open(a.store_dir(), store::Access::shared);
            const auto mirror = mirror_messages(store, "INBOX");
            REQUIRE(!mirror.empty());
            // A stored body that no longer matches its hash: verify must fail.
            const auto path = store.body_path(mirror.begin()->second.record.body_hash);
            std::filesystem::permissions(path, std::filesystem::perms::owner_write, std::filesystem::perm_options::add);
            std::ofstream(path, std::ios::binary | std::ios::app) << "corrupted";
            return a.server_contents();
        },
        account, {.kind = Interruption::kill, .fraction = 0.5});
    const auto& s = campaign.summary();
    CHECK(s.lost >= 1);
    CHECK(s.duplicated >= 1);
    CHECK(s.unverifiable >= 1);
}
