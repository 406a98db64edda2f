// Engine-level fault campaign (sync_campaign.hpp): the `mailsync` program, interrupted by SIGKILL,
// connection cuts and stalls at byte positions spread over an uninterrupted run, must leave a store
// that verifies and converges, with nothing lost or duplicated on the server (read by an independent
// client), and most trials must really have been interrupted.
//
// Short version in CI. The long one (over 500 trials, first sync of 3000 messages):
//   MAILSYNC_CAMPAIGN=long ctest --test-dir build -R campaign -j2 --timeout 7200 -V
// (MAILSYNC_CAMPAIGN=medium: in between). Results: tests/fault/RESULTS.md.
#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "tests/fault/server_model.hpp"
#include "tests/fault/sync_campaign.hpp"
#include "tests/integration/pull_test_support.hpp"

using namespace mailsync;
using namespace mailsync::test;
using namespace mailsync::test::campaign;

namespace {

struct Size {
    std::size_t messages = 0, kills = 0, cuts = 0, stalls = 0;
};

// Per scenario (first-sync, incremental, replay) and $MAILSYNC_CAMPAIGN. $MAILSYNC_CAMPAIGN_TRIALS=N
// (with long or medium) sets the number of interruptions per scenario instead, split as in the
// long run (40 % kills, 47 % cuts, 13 % stalls): a long run that fits the time a loaded machine has.
Size size(const std::string& scenario) {
    const auto name = campaign_size();
    if (const char* trials = std::getenv("MAILSYNC_CAMPAIGN_TRIALS"); trials && name != "short") {
        const std::size_t n = std::max<std::size_t>(3, std::stoul(trials));
        const std::size_t kills = n * 40 / 100, stalls = std::max<std::size_t>(1, n * 13 / 100);
        const std::size_t messages = scenario != "first-sync" ? 0 : name == "long" ? 3000 : 1000;
        return {messages, kills, n - kills - stalls, stalls};
    }
    // Short: at least three cuts everywhere, so that one of them cuts the client's bytes.
    if (scenario == "first-sync") {
        if (name == "long") return {3000, 40, 45, 10};
        if (name == "medium") return {1000, 10, 12, 3};
        return {300, 2, 3, 1};
    }
    if (name == "long") return {0, 84, 96, 24};
    if (name == "medium") return {0, 10, 12, 3};
    return {0, 2, 3, 1};
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
    INFO(s.interrupted << " of " << s.fault_trials() << " fault trials interrupted");
    CHECK(enough_interrupted(s));
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

std::string file_sha256(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream read;
    read << in.rdbuf();
    const std::string bytes = read.str();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (!EVP_Digest(bytes.data(), bytes.size(), digest, &length, EVP_sha256(), nullptr))
        throw std::runtime_error("SHA-256 failed");
    static const char* hex = "0123456789abcdef";
    std::string text;
    for (unsigned int i = 0; i < length; ++i) text += {hex[digest[i] >> 4], hex[digest[i] & 15]};
    return text;
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
            // The model starts from the server as the independent client reads it (flags are random).
            ServerModel model(a.server_by_uid());
            const auto id = [&](const std::string& box, std::uint32_t uid) { return std::to_string(a.message_id(box, uid)); };
            // Offline, with the CLI (no network needed for any of these); each one also in the model.
            require_ok(a, {"flag", "INBOX", id("INBOX", 1) + "," + id("INBOX", 2) + "," + id("INBOX", 3), "+seen",
                           "+$Label1", "-flagged"});
            for (std::uint32_t uid : {1u, 2u, 3u}) model.flag("INBOX", uid, {"\\Seen", "$Label1"}, {"\\Flagged"});
            require_ok(a, {"flag", "INBOX", id("INBOX", 4), "+flagged", "-seen"});
            model.flag("INBOX", 4, {"\\Flagged"}, {"\\Seen"});
            require_ok(a, {"move", "INBOX", id("INBOX", 5) + "," + id("INBOX", 6), "Archive"});
            model.move("INBOX", 5, "Archive"), model.move("INBOX", 6, "Archive");
            require_ok(a, {"copy", "INBOX", id("INBOX", 7), "Lists"});
            model.copy("INBOX", 7, "Lists");
            require_ok(a, {"delete", "INBOX", id("INBOX", 8) + "," + id("INBOX", 9)});
            model.expunge("INBOX", 8), model.expunge("INBOX", 9);
            require_ok(a, {"move", "Lists", id("Lists", 1), "INBOX"});
            model.move("Lists", 1, "INBOX");
            require_ok(a, {"flag", "Lists", id("Lists", 2), "+answered"});
            model.flag("Lists", 2, {"\\Answered"}, {});
            require_ok(a, {"delete", "Lists", id("Lists", 3)});
            model.expunge("Lists", 3);
            for (int i = 0; i < 4; ++i) {
                const auto file = message_file(a, "app" + std::to_string(i));
                require_ok(a, {"append", "INBOX", file, "--flags", "seen"});
                model.append("INBOX", file_sha256(file), {"\\Seen"});
            }
            const auto lists_file = message_file(a, "app-l");
            require_ok(a, {"append", "Lists", lists_file, "--flags", "flagged,$Label2"});
            model.append("Lists", file_sha256(lists_file), {"\\Flagged", "$Label2"});
            const auto archive_file = message_file(a, "app-a");
            require_ok(a, {"append", "Archive", archive_file});
            model.append("Archive", file_sha256(archive_file), {});

            // Meanwhile a second client changes the server (doveadm), by the spec's rules:
            const auto& u = a.user().name;
            // flags merge per flag: INBOX 2 gets \Answered beside the queued +\Seen +$Label1 -\Flagged;
            add_flags(u, "INBOX", 2, {"\\Answered"});
            model.flag("INBOX", 2, {"\\Answered"}, {});
            // a delete on either side wins over a flag change on the other (INBOX 4 was flagged offline);
            doveadm({"expunge", "-u", u, "mailbox", "INBOX", "uid", "4"});
            model.expunge("INBOX", 4);
            // changes to messages nobody touched offline, and new mail, simply arrive.
            doveadm({"flags", "add", "-u", u, "$Label3", "mailbox", "INBOX", "uid", "10:12"});
            for (std::uint32_t uid : {10u, 11u, 12u}) model.flag("INBOX", uid, {"$Label3"}, {});
            doveadm({"expunge", "-u", u, "mailbox", "Lists", "uid", "10"});
            model.expunge("Lists", 10);
            load_messages(a, "Lists", "n", 2);  // UIDs 11 and 12, random flags: read back as they are
            const auto lists = a.server_by_uid().at("Lists");
            for (std::uint32_t uid : {11u, 12u}) {
                const auto& entry = lists.at(uid);
                std::set<std::string> flags;
                std::istringstream list(entry.substr(entry.find('|') + 1));
                for (std::string flag; std::getline(list, flag, ',');)
                    if (!flag.empty()) flags.insert(flag);
                model.append("Lists", entry.substr(0, entry.find('|')), flags);
            }
            return model.contents();
        },
        n.kills, n.cuts, n.stalls);
}

// The checks themselves: every counter must be seen to fire (a campaign that cannot fail proves
// nothing). Planted: a message expected but never there (lost), one on the server but not expected
// (duplicated), a corrupted body file (unverifiable), a server changed behind the converged mirror's
// back (failed convergence); a kill that lands (landed, interrupted) and faults that cannot land (a
// cut beyond the run's bytes), which enough_interrupted() must reject.
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
}
