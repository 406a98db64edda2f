// A fault campaign: a scenario (a function that talks to a server at the address it is given) is
// first run once through the fault proxy without faults to learn how many bytes pass each way; then
// it is run again once per fault point — a cut or a stall after N bytes in one direction, the N
// spread over the whole run — and each trial's outcome is classified:
//
//   completed    the scenario finished (the fault hit bytes nothing waited for, e.g. LOGOUT's)
//   unavailable  it threw Error(unavailable): the connection was lost or the server went silent
//   failure      anything else: another error category, another exception, a broken check
//                inside the scenario, or a trial longer than its "did not hang" bound
//
// A trial that hangs past the bound aborts the whole program with a message (a hang must never
// look like a pass). The result is a table of trials, cuts, stalls, outcomes and failures.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>
#include <vector>

#include "tests/fault/proxy.hpp"

namespace mailsync::test {

enum class FaultKind { cut, stall };
enum class Direction { client_to_server, server_to_client };

struct FaultPoint {
    FaultKind kind = FaultKind::cut;
    Direction direction = Direction::server_to_client;
    std::uint64_t after = 0;  // bytes passed before the fault
    std::string describe() const;
};

// The scenario connects to 127.0.0.1:port (the proxy) and does its work; it throws on failure.
using Scenario = std::function<void(std::uint16_t port)>;

struct TrialResult {
    FaultPoint fault;
    enum class Outcome { completed, unavailable, failure } outcome = Outcome::completed;
    std::string message;
    double seconds = 0;
};

struct CampaignSummary {
    std::string name;
    std::uint64_t bytes_to_server = 0, bytes_to_client = 0;  // of the fault-free run
    std::size_t trials = 0, cuts = 0, stalls = 0;
    std::size_t completed = 0, unavailable = 0, failures = 0;
    double max_seconds = 0;
    std::vector<TrialResult> failed;  // the failures, for the report
};

// `count` offsets spread over [0, total): the first few bytes, then evenly, then the last ones.
std::vector<std::uint64_t> spread_offsets(std::uint64_t total, std::size_t count);

// Fault points for a calibrated scenario: `cuts` cuts of the server's bytes, `cuts / 3` of the
// client's, and `stalls` stalls of the server's bytes.
std::vector<FaultPoint> standard_fault_points(std::uint64_t to_server, std::uint64_t to_client,
                                              std::size_t cuts, std::size_t stalls);

class FaultCampaign {
public:
    // hang_bound: a trial longer than this is a failure; twice it aborts the program.
    FaultCampaign(std::string target_host, std::uint16_t target_port, std::chrono::seconds hang_bound);

    // Runs the scenario without faults (it must complete) and returns the bytes each way.
    std::pair<std::uint64_t, std::uint64_t> calibrate(const Scenario& scenario);
    CampaignSummary run(const std::string& name, const Scenario& scenario, const std::vector<FaultPoint>& points);

private:
    TrialResult trial(const Scenario& scenario, const FaultPoint& point);

    FaultProxy proxy_;
    std::chrono::seconds hang_bound_;
};

// The result table, one row per campaign and a total row.
void print_table(std::ostream& out, const std::vector<CampaignSummary>& campaigns);

// Fault points per scenario, from $MAILSYNC_FAULT_POINTS (default `fallback`): the long campaign
// is the same test run with a larger number.
std::size_t fault_points_from_environment(std::size_t fallback);

}  // namespace mailsync::test
