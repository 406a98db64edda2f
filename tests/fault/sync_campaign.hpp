// An engine-level fault campaign: the `mailsync` program itself is run on a scenario (first sync,
// incremental sync, replay of an offline queue) and interrupted — SIGKILLed when the bytes it
// exchanged through the FaultProxy reach a point spread over an uninterrupted run's bytes, its
// connection cut by the FaultProxy at byte offsets spread over an uninterrupted run's bytes, or
// stalled (with a short timeout_seconds: it must exit 75, never hang). Faults are timed by events
// (bytes through the proxy), never by the clock from fork: a kill before mailsync connected would
// prove nothing. After every trial the store and the server are checked:
//
//   unverifiable   `mailsync verify` fails (before or after convergence)
//   converge       the next uninterrupted `mailsync sync` fails, a second one changes the mirror,
//                  the mirror differs from the server (per mailbox: UID → body SHA-256 and flags),
//                  or the interrupted run exited with something other than 0 / 75 (or hung)
//   lost           a message (or a queued flag change) expected on the server is not there, or the
//                  queue still holds changes after convergence
//   duplicated     a message is on the server more times than expected (by body, hence Message-ID)
//
// The server is read by an independent client (server_truth.py: Python's imaplib), never through
// mailsync's session or parser. "Expected" is the server as that client saw it before the
// interrupted run (first and incremental sync: the server is the truth) or, for the replay, a model
// of the queued operations and the second client's changes (server_model.hpp), not the mirror.
//
// Each trial also records whether its fault landed (the kill signal was sent before the run ended,
// the proxy cut or stalled a connection) and whether the run was stopped short (exit other than 0);
// a campaign whose faults mostly miss proves little, so enough_interrupted() requires most to land.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

#include "tests/fault/proxy.hpp"
#include "tests/support/dovecot.hpp"

namespace mailsync::test::campaign {

// mailbox → body SHA-256 → one sorted, comma-joined flag list per copy.
using Contents = std::map<std::string, std::map<std::string, std::vector<std::string>>>;

enum class Interruption { none, kill, cut, stall };

struct Interrupt {
    Interruption kind = Interruption::none;
    std::uint64_t offset = 0;   // kill: bytes through the proxy (all connections, both ways), or
                                // with local_event the count of local file changes seen;
                                // cut / stall: bytes of one direction of a connection
    bool local_event = false;   // kill: timed by the local files' changes (Campaign::watch_local)
    bool to_server = false;     // cut: of the client's bytes instead of the server's
    bool every_connection = false;  // cut, stall: every connection after `offset` bytes, not only the first
    std::string describe() const;
};

struct Summary {
    std::string name;
    std::size_t trials = 0, kills = 0, cuts = 0, stalls = 0;
    std::size_t lost = 0, duplicated = 0, unverifiable = 0, failed_convergence = 0;
    std::size_t completed = 0, interrupted = 0;  // interrupted run: exited 0 / was stopped (killed, 75)
    std::size_t landed = 0;  // faults that fired while the run was live (signal sent, cut, stall)
    std::size_t repeated = 0;  // fault trials run again because their fault never fired (run_all)
    double calibrated_seconds = 0;
    std::uint64_t calibrated_bytes = 0;        // server → client, first connection
    std::uint64_t calibrated_total_bytes = 0;  // both ways, every connection
    std::size_t calibrated_connections = 0;
    std::uint64_t calibrated_local_events = 0;  // changes of the watched local files (watch_local)
    std::vector<std::string> failures;  // one line per problem, for the report
    bool clean() const { return lost + duplicated + unverifiable + failed_convergence == 0; }
    std::size_t fault_trials() const { return kills + cuts + stalls; }
    // Over the planned trials: a repeated one is counted once, by its last run.
    double interruption_rate() const {
        const std::size_t planned = fault_trials() - repeated;
        return planned ? static_cast<double>(interrupted) / static_cast<double>(planned) : 0;
    }
};

// Whether the faults of a campaign did their job: at least `share` of the fault trials stopped the
// run short. Short of that the campaign mostly tested uninterrupted runs.
constexpr double kMinInterruptedShare = 0.75;
bool enough_interrupted(const Summary& summary, double share = kMinInterruptedShare);

// An account with a private store and config, driven through the built `mailsync` program.
class Account {
public:
    explicit Account(const std::string& hint);
    ~Account();
    Account(const Account&) = delete;
    Account& operator=(const Account&) = delete;

    const DovecotFixture::User& user() const { return user_; }
    const std::filesystem::path& dir() const { return dir_; }
    // Lines added to the account's configuration from now on (e.g. "    maildir: PATH\n").
    void set_extra_config(std::string lines) { extra_config_ = std::move(lines); }
    // timeout_seconds: 30 by default, below the 40 s hang bound, yet patient with a loaded machine
    // (at 10 s a Dovecot slowed by other work failed the set-up sync of a replay trial).
    void write_config(std::uint16_t port, int timeout_seconds = 30) const;
    // Runs `mailsync -c CONFIG ARGS...`; its exit status, 128+signal, or -1 if it ran past `limit`
    // (then it is SIGKILLed).
    int run(const std::vector<std::string>& args, std::chrono::milliseconds limit = std::chrono::seconds(120)) const;
    // The same, its output (stdout and stderr) returned in `output` instead of added to the log.
    int run_capturing(const std::vector<std::string>& args, std::string& output) const;
    // Starts `mailsync sync` and SIGKILLs it as soon as `fire()` is true (polled every 100 µs),
    // unless it ended first: status as run(); `killed` says whether the signal was sent.
    int run_sync_killed_when(const std::function<bool()>& fire, bool& killed) const;
    std::string log_tail() const;
    // A fresh, empty store (the config is kept).
    void remove_store() const;
    std::filesystem::path store_dir() const { return dir_ / "store"; }

    // UID → "sha flags" for every mailbox of the mirror, body hashes read from the files.
    std::map<std::string, std::map<std::uint32_t, std::string>> mirror_by_uid() const;
    // Changes still queued (not confirmed), and of them those the server refused for good.
    std::size_t queued_changes() const;
    std::size_t refused_for_good() const;
    // The store's message id of a message by mailbox and UID (throws if absent).
    std::uint64_t message_id(const std::string& mailbox, std::uint32_t uid) const;

    // The server, read by an independent client (server_truth.py, Python's imaplib): mailbox →
    // UID → "sha|flags" for every selectable mailbox.
    std::map<std::string, std::map<std::uint32_t, std::string>> server_by_uid() const;
    Contents server_contents() const;

private:
    DovecotFixture::User user_;
    std::filesystem::path dir_;
    std::string extra_config_;
};

// Loads `count` generated messages (unique Message-IDs, sizes varied, random flags) into a mailbox
// of the account through scripts/load-mail.sh.
void load_messages(const Account& account, const std::string& mailbox, const std::string& tag, std::size_t count);

// `mailsync sync`'s exit status when the server refused a queued change.
constexpr int kRefusedStatus = 76;

// What a trial must end with: the server's contents, and how many queued changes the server must
// have refused for good by then. A refused change leaves the server as it was (the contents say so),
// the mirror returns to the server's state, and the change stays listed by `queue --refused`: these
// entries are expected, not lost. While they are refused, `sync` exits 76.
struct Expected {
    Contents contents;
    std::size_t refused = 0;
    Expected(Contents expected = {}, std::size_t refused_changes = 0)  // NOLINT: a Contents is an Expected
        : contents(std::move(expected)), refused(refused_changes) {}
};

// The link every run of a campaign goes through: faults for every connection (e.g. a rate limit on
// the client's bytes: a slow uplink), and the accounts' timeout_seconds for those runs.
struct Link {
    ConnectionFaults faults;
    int timeout_seconds = 30;
};

// What a scenario's local files look like now (e.g. modification times of the store's database and
// of the Maildir view's directories), for kills timed by local work rather than by bytes: the
// phases of a run that touch no network (the view's scan before connecting, its update after the
// pull) are reached by counting changes of this value.
using LocalFingerprint = std::function<std::string(const Account&)>;

// A campaign: one scenario, its trials and its tally. `prepare` sets the account up (server content,
// store, offline changes; the config points at Dovecot directly) and returns what the server must
// hold after convergence; then `mailsync sync` runs through a fresh FaultProxy with the
// interruption; then the checks (through Dovecot directly).
using Prepare = std::function<Expected(Account&)>;

class Campaign {
public:
    explicit Campaign(std::string name, Link link = {});
    // An uninterrupted run through the proxy (checked like a trial): duration and bytes received.
    void calibrate(const Prepare& prepare, Account& account);
    // Counts the changes of `fingerprint` during the calibration run (polled like a kill's trigger),
    // so that plan() can place kills among them.
    void watch_local(LocalFingerprint fingerprint) { local_ = std::move(fingerprint); }
    // The interruptions of a campaign: kills at k/(N+1) of all bytes through the proxy, cuts spread
    // over the first connection's bytes (a third of them, at least one, of the client's bytes),
    // stalls spread over the server's bytes, local kills at k/(N+1) of the local changes counted.
    std::vector<Interrupt> plan(std::size_t kills, std::size_t cuts, std::size_t stalls,
                                std::size_t local_kills = 0) const;
    // Returns whether the fault fired while the run was live, or the run was stopped short anyway.
    bool trial(const Prepare& prepare, Account& account, const Interrupt& interrupt);
    void count_repeat() { ++summary_.repeated; }
    const Summary& summary() const { return summary_; }
    // For the self-test only: runs between the converging sync and the reading of mirror and
    // server, so that a test can make them differ and see the convergence check fire.
    void plant_after_convergence(std::function<void(Account&)> plant) { after_convergence_ = std::move(plant); }

private:
    void check(Account& account, const Expected& expected, const std::string& label);
    int converge(Account& account, const Expected& expected);
    void check_queue(Account& account, const Expected& expected, const std::string& label);
    Summary summary_;
    Link link_;
    std::uint64_t client_bytes_ = 0;
    std::function<void(Account&)> after_convergence_;
    LocalFingerprint local_;
};

void print_table(std::ostream& out, const std::vector<Summary>& summaries);

// With $MAILSYNC_CAMPAIGN_TRACE set: each step of each trial and the time since the last one, on stderr.
void trace(const std::string& step);
// Adds one "sha|flags" entry (as the server reader gives it) to `contents`.
void add_entry(Contents& contents, const std::string& mailbox, const std::string& entry);

// "short" (CI), "medium" or "long", from $MAILSYNC_CAMPAIGN.
std::string campaign_size();

}  // namespace mailsync::test::campaign
