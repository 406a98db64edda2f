#include "tests/fault/campaign_scenarios.hpp"

#include <catch2/catch.hpp>
#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "tests/fault/server_model.hpp"
#include "tests/integration/pull_test_support.hpp"

namespace mailsync::test::campaign {

Size size(const std::string& scenario) {
    const auto name = campaign_size();
    if (const char* trials = std::getenv("MAILSYNC_CAMPAIGN_TRIALS"); trials && name != "short") {
        const std::size_t n = std::max<std::size_t>(3, std::stoul(trials));
        const std::size_t kills = n * 40 / 100, stalls = std::max<std::size_t>(1, n * 13 / 100);
        const std::size_t messages = scenario != "first-sync" ? 0 : name == "long" ? 3000 : 1000;
        if (scenario == "view") return {messages, kills - kills / 2, n - kills - stalls, stalls, kills / 2};
        return {messages, kills, n - kills - stalls, stalls};
    }
    // Short: at least two cuts everywhere, so that one of them cuts the client's bytes.
    if (scenario == "first-sync") {
        if (name == "long") return {3000, 40, 45, 10};
        if (name == "medium") return {1000, 10, 12, 3};
        return {300, 2, 3, 1};
    }
    // The view's runs do local work before and after the network: half the kills are timed by the
    // local files' changes instead of bytes.
    if (scenario == "view") {
        if (name == "long") return {0, 42, 96, 24, 42};
        if (name == "medium") return {0, 5, 12, 3, 5};
        return {0, 1, 2, 1, 2};
    }
    if (name == "long") return {0, 84, 96, 24};
    if (name == "medium") return {0, 10, 12, 3};
    // Each trial of these sets an account up with a dozen mailsync, doveadm and load-mail.sh runs
    // (seconds on a loaded machine): one of each kind of fault in CI, two cuts so that one cuts the
    // client's bytes, keeps the whole short campaign to a few minutes.
    return {0, 1, 2, 1};
}

void report(const Summary& summary) {
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::cout << "\nsync campaign (" << campaign_size() << ")\n";
    print_table(std::cout, {summary});
    std::cout.flush();
}

void run_all(Campaign& campaign, const std::function<Account&()>& next_account, const Prepare& prepare, const Size& n) {
    campaign.calibrate(prepare, next_account());
    const auto interrupts = campaign.plan(n.kills, n.cuts, n.stalls, n.local_kills);
    // Which connection downloads which mailbox depends on timing: the calibration run's first
    // connection may have carried both mailboxes, a trial's two connections one each, so that a cut
    // or stall of the first connection, or of any, misses when none carries its offset; a kill can
    // come after a fast run's end. Such a trial saw no fault (its checks still ran); it is run again,
    // at most twice: a cut or stall then on every connection, and the last time at half the offset.
    constexpr int kRunsOfATrial = 3;
    for (const auto& interrupt : interrupts) {
        Interrupt attempt = interrupt;
        for (int run = 1; !campaign.trial(prepare, next_account(), attempt) && run < kRunsOfATrial; ++run) {
            campaign.count_repeat();
            attempt.every_connection = true;
            if (run == kRunsOfATrial - 1) attempt.offset = std::max<std::uint64_t>(1, attempt.offset / 2);
        }
    }
    report(campaign.summary());
    const auto& s = campaign.summary();
    INFO(s.interrupted << " of " << s.fault_trials() - s.repeated << " fault trials interrupted (" << s.repeated
                       << " run again)");
    CHECK(enough_interrupted(s));
    CHECK(s.lost == 0);
    CHECK(s.duplicated == 0);
    CHECK(s.unverifiable == 0);
    CHECK(s.failed_convergence == 0);
    CHECK(s.trials == 1 + interrupts.size() + s.repeated);
    CHECK(s.kills + s.cuts + s.stalls == n.kills + n.local_kills + n.cuts + n.stalls + s.repeated);
}

std::function<Account&()> fresh_accounts(std::unique_ptr<Account>& current, const std::string& hint) {
    return [&current, hint]() -> Account& {
        current.reset();
        current = std::make_unique<Account>(hint);
        return *current;
    };
}

std::string message_file(const Account& account, const std::string& tag, std::size_t padding) {
    const auto path = account.dir() / (tag + ".eml");
    std::ofstream(path, std::ios::binary) << make_message(account.user().name + "-" + tag, padding);
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

std::set<std::string> flags_of(const std::string& entry) {
    std::set<std::string> flags;
    std::istringstream list(entry.substr(entry.find('|') + 1));
    for (std::string flag; std::getline(list, flag, ',');)
        if (!flag.empty()) flags.insert(flag);
    return flags;
}

Expected offline_replay(Account& a, bool server_moves) {
    load_messages(a, "INBOX", "i", 40);
    load_messages(a, "Lists", "l", 10);
    trace("  load");
    require_ok(a, {"sync"});
    trace("  first sync");
    // The model starts from the server as the independent client reads it (flags are random).
    ServerModel model(a.server_by_uid());
    std::size_t refused = 0;
    // A move is refused for good where the server can neither MOVE nor UID EXPUNGE: the model
    // leaves the message where it was.
    const auto move = [&](const std::string& from, std::uint32_t uid, const std::string& to) {
        if (server_moves) model.move(from, uid, to);
        else ++refused;
    };
    const auto id = [&](const std::string& box, std::uint32_t uid) { return std::to_string(a.message_id(box, uid)); };
    // Offline, with the CLI (no network needed for any of these); each one also in the model.
    require_ok(a, {"flag", "INBOX", id("INBOX", 1) + "," + id("INBOX", 2) + "," + id("INBOX", 3), "+seen", "+$Label1",
                   "-flagged"});
    for (std::uint32_t uid : {1u, 2u, 3u}) model.flag("INBOX", uid, {"\\Seen", "$Label1"}, {"\\Flagged"});
    require_ok(a, {"flag", "INBOX", id("INBOX", 4), "+flagged", "-seen"});
    model.flag("INBOX", 4, {"\\Flagged"}, {"\\Seen"});
    require_ok(a, {"move", "INBOX", id("INBOX", 5) + "," + id("INBOX", 6), "Archive"});
    move("INBOX", 5, "Archive"), move("INBOX", 6, "Archive");
    require_ok(a, {"copy", "INBOX", id("INBOX", 7), "Lists"});
    model.copy("INBOX", 7, "Lists");
    require_ok(a, {"delete", "INBOX", id("INBOX", 8) + "," + id("INBOX", 9)});
    model.expunge("INBOX", 8), model.expunge("INBOX", 9);
    require_ok(a, {"move", "Lists", id("Lists", 1), "INBOX"});
    move("Lists", 1, "INBOX");
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

    trace("  offline commands");
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
    trace("  second client");
    load_messages(a, "Lists", "n", 2);  // UIDs 11 and 12, random flags: read back as they are
    const auto lists = a.server_by_uid().at("Lists");
    for (std::uint32_t uid : {11u, 12u}) {
        const auto& entry = lists.at(uid);
        model.append("Lists", entry.substr(0, entry.find('|')), flags_of(entry));
    }
    return {model.contents(), refused};
}

}  // namespace mailsync::test::campaign
