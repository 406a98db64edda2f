// The checks after each trial of the fault campaign (sync_campaign.hpp lists the counters), and the
// table the campaign prints.
#include <algorithm>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "sync/push/replay.hpp"
#include "tests/fault/sync_campaign.hpp"

namespace mailsync::test::campaign {

// The converging sync: while the server refuses changes it may still take later (e.g. a delete that
// would expunge a bystander's \\Deleted mail), `sync` exits 76 and tries again next time, up to
// mailsync's limit of refusals; a scenario that expects refusals runs it until that is over.
int Campaign::converge(Account& account, const Expected& expected) {
    int status = account.run({"sync"});
    for (std::uint32_t again = 0; status == kRefusedStatus && expected.refused > 0 &&
                                  again < sync::ReplayOptions{}.max_attempts;
         ++again)
        status = account.run({"sync"});
    return status;
}

// After convergence the queue holds exactly the expected refusals, refused for good and listed by
// `queue --refused`. Anything else still queued never reached the server (lost); a refusal missing
// from the list, or one too many, is a change whose fate the user is not told truly (lost too).
void Campaign::check_queue(Account& account, const Expected& expected, const std::string& label) {
    const auto fail = [&](std::size_t count, const std::string& what) {
        summary_.lost += count;
        summary_.failures.push_back(label + ": " + what);
    };
    const std::size_t queued = account.queued_changes(), refused = account.refused_for_good();
    if (queued != refused)
        fail(queued - refused, std::to_string(queued - refused) + " changes still queued after convergence");
    if (refused == 0 && expected.refused == 0) return;   // nothing to list (and a process saved)
    std::string listing;
    std::size_t listed = 0;
    if (const int status = account.run_capturing({"queue", "--refused"}, listing); status != 0)
        fail(1, "queue --refused exited " + std::to_string(status) + ": " + listing);
    for (std::size_t at = listing.find("  refused  "); at != std::string::npos; at = listing.find("  refused  ", at + 1))
        ++listed;
    if (refused != expected.refused || listed != expected.refused)
        fail(std::max({refused, listed, expected.refused}) - std::min({refused, listed, expected.refused}),
             std::to_string(refused) + " changes refused for good, " + std::to_string(listed) +
                 " listed by queue --refused, " + std::to_string(expected.refused) + " expected:\n" + listing);
}

void Campaign::check(Account& account, const Expected& wanted, const std::string& label) {
    const Contents& expected = wanted.contents;
    const auto fail = [&](std::size_t& counter, std::size_t count, const std::string& what) {
        counter += count;
        summary_.failures.push_back(label + ": " + what);
    };
    if (const int status = account.run({"verify"}); status != 0)
        fail(summary_.unverifiable, 1, "verify after the interrupted run exited " + std::to_string(status) + "\n" +
                                           account.log_tail());
    if (const int status = converge(account, wanted); status != 0) {
        trace("converging sync");
        fail(summary_.failed_convergence, 1,
             "converging sync exited " + std::to_string(status) + "\n" + account.log_tail());
        return;
    }
    trace("verify, converging sync");
    if (after_convergence_) after_convergence_(account);
    const auto mirror = account.mirror_by_uid();
    trace("mirror read");
    const auto server = account.server_by_uid();
    trace("server read");
    if (const int status = account.run({"sync"}); status != 0)
        fail(summary_.failed_convergence, 1, "second sync exited " + std::to_string(status) + "\n" + account.log_tail());
    else if (account.mirror_by_uid() != mirror)
        fail(summary_.failed_convergence, 1, "a second sync changed the mirror");
    trace("second sync, mirror read");
    if (mirror != server) {
        std::ostringstream diff;
        for (const auto& [name, box] : server) {
            const auto other = mirror.find(name);
            if (other == mirror.end()) {
                diff << " mailbox " << name << " missing from the mirror;";
                continue;
            }
            if (other->second != box) diff << " " << name << ": server " << box.size() << " mirror " << other->second.size() << ";";
        }
        for (const auto& [name, box] : mirror)
            if (!server.contains(name)) diff << " mirror-only " << name << " (" << box.size() << ");";
        fail(summary_.failed_convergence, 1, "mirror differs from the server:" + diff.str());
    }
    check_queue(account, wanted, label);

    Contents actual;
    for (const auto& [mailbox, messages] : server) {
        actual[mailbox];
        for (const auto& [uid, entry] : messages) add_entry(actual, mailbox, entry);
    }
    std::size_t lost = 0, duplicated = 0;
    std::ostringstream detail;
    auto names = std::vector<std::string>{};
    for (const auto& [name, box] : expected) names.push_back(name);
    for (const auto& [name, box] : actual)
        if (!expected.contains(name)) names.push_back(name);
    for (const auto& name : names) {
        const auto e = expected.find(name);
        const auto a = actual.find(name);
        // A mailbox (even an empty one) made that should not be, e.g. a refused mkdir that went
        // through, counts as a duplicate; one gone that should be there, as lost.
        if (e == expected.end()) ++duplicated, detail << " mailbox " << name << " not expected;";
        if (a == actual.end()) ++lost, detail << " mailbox " << name << " missing;";
        static const std::map<std::string, std::vector<std::string>> none;
        const auto& want = e == expected.end() ? none : e->second;
        const auto& have = a == actual.end() ? none : a->second;
        for (const auto& [sha, flags] : want) {
            const auto found = have.find(sha);
            const std::size_t count = found == have.end() ? 0 : found->second.size();
            if (count < flags.size()) {
                lost += flags.size() - count;
                detail << " " << name << ": " << sha.substr(0, 12) << " missing;";
            } else if (count == flags.size()) {
                auto w = flags, h = found->second;
                std::sort(w.begin(), w.end());
                std::sort(h.begin(), h.end());
                if (w != h) {
                    ++lost;
                    detail << " " << name << ": " << sha.substr(0, 12) << " flags " << h.front() << " expected "
                           << w.front() << ";";
                }
            }
        }
        for (const auto& [sha, flags] : have) {
            const auto found = want.find(sha);
            const std::size_t count = found == want.end() ? 0 : found->second.size();
            if (flags.size() > count) {
                duplicated += flags.size() - count;
                detail << " " << name << ": " << sha.substr(0, 12) << " x" << flags.size() << " expected " << count << ";";
            }
        }
    }
    if (lost) fail(summary_.lost, lost, "lost on the server:" + detail.str());
    if (duplicated) fail(summary_.duplicated, duplicated, "duplicated on the server:" + detail.str());
    if (const int status = account.run({"verify"}); status != 0)
        fail(summary_.unverifiable, 1, "verify after convergence exited " + std::to_string(status));
    trace("compare, verify");
}

bool enough_interrupted(const Summary& summary, double share) {
    return summary.fault_trials() > 0 && summary.interruption_rate() >= share;
}

void print_table(std::ostream& out, const std::vector<Summary>& summaries) {
    const auto percent = [](const Summary& s) {
        std::ostringstream text;
        text << std::fixed << std::setprecision(0) << 100 * s.interruption_rate() << " %";
        return text.str();
    };
    const auto row = [&](const std::string& name, const Summary& s) {
        out << std::left << std::setw(18) << name << std::right << std::setw(7) << s.trials << std::setw(6) << s.kills
            << std::setw(6) << s.cuts << std::setw(7) << s.stalls << std::setw(6) << s.lost << std::setw(7)
            << s.duplicated << std::setw(9) << s.unverifiable << std::setw(10) << s.failed_convergence << std::setw(8)
            << s.landed << std::setw(12) << s.interrupted << std::setw(7) << percent(s) << "\n";
    };
    out << std::left << std::setw(18) << "scenario" << std::right << std::setw(7) << "trials" << std::setw(6) << "kills"
        << std::setw(6) << "cuts" << std::setw(7) << "stalls" << std::setw(6) << "lost" << std::setw(7) << "dupl"
        << std::setw(9) << "unverif" << std::setw(10) << "noconverg" << std::setw(8) << "landed" << std::setw(12)
        << "interrupted" << std::setw(7) << "rate" << "\n";
    Summary total;
    for (const auto& s : summaries) {
        row(s.name, s);
        total.trials += s.trials, total.kills += s.kills, total.cuts += s.cuts, total.stalls += s.stalls;
        total.lost += s.lost, total.duplicated += s.duplicated, total.unverifiable += s.unverifiable;
        total.failed_convergence += s.failed_convergence, total.completed += s.completed;
        total.interrupted += s.interrupted, total.landed += s.landed, total.repeated += s.repeated;
    }
    if (summaries.size() > 1) row("total", total);
    out << "(trials: the fault trials plus the uninterrupted calibration run; landed: the fault fired while the "
           "run was live; interrupted: the run was stopped short, killed or exit 75; rate: interrupted / fault "
           "trials; a trial whose fault never fired is run again, at most twice, and counted once in the rate)\n";
    for (const auto& s : summaries)
        if (s.repeated) out << s.name << ": " << s.repeated << " trial run(s) repeated, their fault not fired\n";
    for (const auto& s : summaries)
        out << s.name << ": uninterrupted run " << std::fixed << std::setprecision(2) << s.calibrated_seconds << " s, "
            << s.calibrated_total_bytes << " bytes through the proxy on " << s.calibrated_connections
            << " connection(s), " << s.calibrated_bytes << " of them to the client on the first (cuts and stalls "
            << "hit that one)"
            << (s.calibrated_local_events ? ", " + std::to_string(s.calibrated_local_events) + " local file changes seen" : "")
            << "\n";
    for (const auto& s : summaries)
        for (const auto& failure : s.failures) out << "FAILURE " << s.name << ": " << failure << "\n";
}

}  // namespace mailsync::test::campaign
