// Engine-level fault campaign (sync_campaign.hpp): the `mailsync` program, interrupted by SIGKILL,
// connection cuts and stalls at byte positions spread over an uninterrupted run, must leave a store
// that verifies and converges, with nothing lost or duplicated on the server (read by an independent
// client), and most trials must really have been interrupted.
//
// Short version in CI. The long one (over 500 trials, first sync of 3000 messages):
//   MAILSYNC_CAMPAIGN=long ctest --test-dir build -R campaign -j2 --timeout 7200 -V
// (MAILSYNC_CAMPAIGN=medium: in between). Results: tests/fault/RESULTS.md.
#include <catch2/catch.hpp>

#include <fstream>
#include <memory>
#include <utility>

#include "store/store.hpp"
#include "tests/fault/campaign_scenarios.hpp"
#include "tests/integration/pull_test_support.hpp"

using namespace mailsync;
using namespace mailsync::test;
using namespace mailsync::test::campaign;

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
        [&](Account& a) -> Expected {
            a.remove_store();
            return server;
        },
        n);
}

TEST_CASE("campaign: incremental sync after server-side changes", "[fault][campaign]") {
    std::unique_ptr<Account> current;
    Campaign campaign("incremental");
    run_all(
        campaign, fresh_accounts(current, "camp2"),
        [](Account& a) -> Expected {
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
        size("incremental"));
}

TEST_CASE("campaign: replay of an offline queue", "[fault][campaign]") {
    std::unique_ptr<Account> current;
    Campaign campaign("replay");
    run_all(campaign, fresh_accounts(current, "camp3"), [](Account& a) { return offline_replay(a, true); },
            size("replay"));
}

// The checks themselves: every counter must be seen to fire (a campaign that cannot fail proves
// nothing). Planted: a message expected but never there (lost), one on the server but not expected
// (duplicated), a corrupted body file (unverifiable), a server changed behind the converged mirror's
// back (failed convergence); a kill that lands (landed, interrupted) and faults that cannot land (a
// cut beyond the run's bytes), which enough_interrupted() must reject; an expected refusal that never
// came and an expected mailbox the server lacks (lost).
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
    const auto& s = campaign.summary();
    CHECK(s.lost >= 1);
    CHECK(s.duplicated >= 1);
    CHECK(s.unverifiable == 0);
    CHECK(s.failed_convergence == 0);

    bool planted = false;
    campaign.plant_after_convergence([&](Account& a) {
        if (std::exchange(planted, true)) return;
        doveadm({"expunge", "-u", a.user().name, "mailbox", "INBOX", "uid", "2"});  // the mirror still has it
    });
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
        account, {.kind = Interruption::kill, .offset = 1});
    report(s);
    CHECK(planted);
    CHECK(s.unverifiable >= 1);
    CHECK(s.failed_convergence >= 1);
    CHECK(s.kills == 1);
    CHECK(s.landed == 1);
    CHECK(s.interrupted == 1);
    CHECK(enough_interrupted(s));

    // Faults that never land: a cut and a stall after more bytes than the whole run moves. The
    // checks find nothing wrong, but the campaign must not count these runs as interrupted.
    Account other("campself2");
    load_messages(other, "INBOX", "i", 4);
    Campaign missed("self-test, missed");
    const Prepare unchanged = [](Account& a) {
        a.remove_store();
        return a.server_contents();
    };
    missed.calibrate(unchanged, other);
    missed.trial(unchanged, other, {.kind = Interruption::cut, .offset = 1'000'000'000});
    missed.trial(unchanged, other, {.kind = Interruption::stall, .offset = 1'000'000'000});
    report(missed.summary());
    CHECK(missed.summary().clean());
    CHECK(missed.summary().landed == 0);
    CHECK(missed.summary().interrupted == 0);
    CHECK_FALSE(enough_interrupted(missed.summary()));

    // The queue's and the mailboxes' checks: a refusal expected but never made (nothing is queued)
    // and a mailbox expected but not on the server are both lost.
    Campaign refusals("self-test, refusals");
    refusals.calibrate(
        [](Account& a) {
            a.remove_store();
            auto contents = a.server_contents();
            contents["Planted"];
            return Expected{contents, 1};
        },
        other);
    report(refusals.summary());
    CHECK(refusals.summary().lost == 2);
    std::string failures;
    for (const auto& failure : refusals.summary().failures) failures += failure + "\n";
    CHECK_THAT(failures, Catch::Contains("0 changes refused for good, 0 listed by queue --refused, 1 expected"));
    CHECK_THAT(failures, Catch::Contains("mailbox Planted missing"));
}
