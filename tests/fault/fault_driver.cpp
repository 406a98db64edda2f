#include "tests/fault/fault_driver.hpp"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iomanip>
#include <mutex>
#include <ostream>
#include <set>
#include <stdexcept>
#include <thread>

#include "common/error.hpp"

namespace mailsync::test {
namespace {

using Clock = std::chrono::steady_clock;

// Aborts the program when a trial outlives its bound: a hang is reported, never waited out.
class HangGuard {
public:
    HangGuard(std::chrono::seconds bound, std::string what) : what_(std::move(what)) {
        thread_ = std::thread([this, bound] {
            std::unique_lock lock(mutex_);
            if (!done_signal_.wait_for(lock, bound, [this] { return done_; })) {
                std::fprintf(stderr, "HANG: %s did not finish within %lld s\n", what_.c_str(),
                             static_cast<long long>(bound.count()));
                std::abort();
            }
        });
    }
    ~HangGuard() {
        {
            std::lock_guard lock(mutex_);
            done_ = true;
        }
        done_signal_.notify_all();
        thread_.join();
    }

private:
    std::string what_;
    std::mutex mutex_;
    std::condition_variable done_signal_;
    bool done_ = false;
    std::thread thread_;
};

DirectionFaults& direction_of(ConnectionFaults& faults, Direction direction) {
    return direction == Direction::client_to_server ? faults.client_to_server : faults.server_to_client;
}

}  // namespace

std::string FaultPoint::describe() const {
    return std::string(kind == FaultKind::cut ? "cut" : "stall") +
           (direction == Direction::client_to_server ? " client->server" : " server->client") + " after " +
           std::to_string(after) + " bytes";
}

std::vector<std::uint64_t> spread_offsets(std::uint64_t total, std::size_t count) {
    std::set<std::uint64_t> offsets;
    if (total == 0 || count == 0) return {};
    // The very beginning (greeting, first line) is where parsers meet half a token.
    for (std::uint64_t n : {0ull, 1ull, 2ull, 5ull}) {
        if (n < total && offsets.size() < count) offsets.insert(n);
    }
    const std::size_t even = count > offsets.size() ? count - offsets.size() : 0;
    for (std::size_t i = 0; i < even; ++i) {
        offsets.insert(total * (2 * i + 1) / (2 * even));  // the middle of each of `even` slices
    }
    if (total > 1) offsets.insert(total - 1);  // one byte short of the end
    return {offsets.begin(), offsets.end()};
}

std::vector<FaultPoint> standard_fault_points(std::uint64_t to_server, std::uint64_t to_client,
                                              std::size_t cuts, std::size_t stalls) {
    std::vector<FaultPoint> points;
    for (auto n : spread_offsets(to_client, cuts)) points.push_back({FaultKind::cut, Direction::server_to_client, n});
    for (auto n : spread_offsets(to_server, std::max<std::size_t>(cuts / 3, 2)))
        points.push_back({FaultKind::cut, Direction::client_to_server, n});
    // Stalls: at the start (no greeting), and spread over the rest.
    for (auto n : spread_offsets(to_client, stalls)) points.push_back({FaultKind::stall, Direction::server_to_client, n});
    return points;
}

FaultCampaign::FaultCampaign(std::string target_host, std::uint16_t target_port, std::chrono::seconds hang_bound)
    : proxy_(std::move(target_host), target_port), hang_bound_(hang_bound) {}

std::pair<std::uint64_t, std::uint64_t> FaultCampaign::calibrate(const Scenario& scenario) {
    proxy_.clear_stats();
    const std::size_t before = proxy_.connection_count();
    {
        HangGuard guard(2 * hang_bound_, "the fault-free calibration run");
        scenario(proxy_.port());
    }
    // Wait for the proxy to see the end of the connection, so its counts are final.
    const auto deadline = Clock::now() + std::chrono::seconds(10);
    std::vector<ConnectionStats> stats;
    do {
        stats = proxy_.connections();
        if (stats.size() > before && stats.back().closed) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } while (Clock::now() < deadline);
    if (stats.size() != before + 1) throw std::runtime_error("calibration: expected one connection through the proxy");
    return {stats.back().client_to_server, stats.back().server_to_client};
}

TrialResult FaultCampaign::trial(const Scenario& scenario, const FaultPoint& point) {
    ConnectionFaults faults;
    DirectionFaults& direction = direction_of(faults, point.direction);
    if (point.kind == FaultKind::cut) direction.cut_after = point.after;
    else direction.stall_after = point.after;
    proxy_.push_faults(faults);

    TrialResult result;
    result.fault = point;
    const auto start = Clock::now();
    {
        HangGuard guard(2 * hang_bound_, point.describe());
        try {
            scenario(proxy_.port());
            result.outcome = TrialResult::Outcome::completed;
        } catch (const Error& error) {
            result.message = error.what();
            result.outcome = error.category() == ErrorCategory::unavailable ? TrialResult::Outcome::unavailable
                                                                            : TrialResult::Outcome::failure;
            if (result.message.empty()) result.outcome = TrialResult::Outcome::failure;
        } catch (const std::exception& error) {
            result.message = std::string("not a mailsync::Error: ") + error.what();
            result.outcome = TrialResult::Outcome::failure;
        }
    }
    result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    if (result.seconds > static_cast<double>(hang_bound_.count())) {
        result.outcome = TrialResult::Outcome::failure;
        result.message += " (took " + std::to_string(result.seconds) + " s)";
    }
    proxy_.cut_all();  // a stalled connection is not left behind for the next trial
    return result;
}

CampaignSummary FaultCampaign::run(const std::string& name, const Scenario& scenario, const std::vector<FaultPoint>& points) {
    CampaignSummary summary;
    summary.name = name;
    for (const auto& point : points) {
        const TrialResult result = trial(scenario, point);
        ++summary.trials;
        ++(point.kind == FaultKind::cut ? summary.cuts : summary.stalls);
        summary.max_seconds = std::max(summary.max_seconds, result.seconds);
        switch (result.outcome) {
        case TrialResult::Outcome::completed: ++summary.completed; break;
        case TrialResult::Outcome::unavailable: ++summary.unavailable; break;
        case TrialResult::Outcome::failure:
            ++summary.failures;
            summary.failed.push_back(result);
            break;
        }
    }
    return summary;
}

void print_table(std::ostream& out, const std::vector<CampaignSummary>& campaigns) {
    const auto row = [&](const std::string& name, std::size_t trials, std::size_t cuts, std::size_t stalls,
                         std::size_t completed, std::size_t unavailable, std::size_t failures, double max_seconds) {
        out << std::left << std::setw(22) << name << std::right << std::setw(7) << trials << std::setw(6) << cuts
            << std::setw(7) << stalls << std::setw(10) << completed << std::setw(12) << unavailable << std::setw(9)
            << failures << std::setw(10) << std::fixed << std::setprecision(2) << max_seconds << "\n";
    };
    out << std::left << std::setw(22) << "scenario" << std::right << std::setw(7) << "trials" << std::setw(6) << "cuts"
        << std::setw(7) << "stalls" << std::setw(10) << "completed" << std::setw(12) << "unavailable" << std::setw(9)
        << "failures" << std::setw(10) << "max s" << "\n";
    CampaignSummary total;
    for (const auto& c : campaigns) {
        row(c.name, c.trials, c.cuts, c.stalls, c.completed, c.unavailable, c.failures, c.max_seconds);
        total.trials += c.trials;
        total.cuts += c.cuts;
        total.stalls += c.stalls;
        total.completed += c.completed;
        total.unavailable += c.unavailable;
        total.failures += c.failures;
        total.max_seconds = std::max(total.max_seconds, c.max_seconds);
    }
    row("total", total.trials, total.cuts, total.stalls, total.completed, total.unavailable, total.failures,
        total.max_seconds);
    for (const auto& c : campaigns) {
        for (const auto& f : c.failed) out << "FAILED " << c.name << ": " << f.fault.describe() << ": " << f.message << "\n";
    }
}

std::size_t fault_points_from_environment(std::size_t fallback) {
    if (const char* value = std::getenv("MAILSYNC_FAULT_POINTS")) {
        const long parsed = std::strtol(value, nullptr, 10);
        if (parsed > 0) return static_cast<std::size_t>(parsed);
    }
    return fallback;
}

}  // namespace mailsync::test
