// An engine-level fault campaign: the `mailsync` program itself is run on a scenario (first sync,
// incremental sync, replay of an offline queue) and interrupted — SIGKILLed at moments spread over
// an uninterrupted run's duration, its connection cut by the FaultProxy at byte offsets spread over
// an uninterrupted run's bytes, or stalled (with a short timeout_seconds: it must exit 75, never
// hang). After every trial the store and the server are checked:
//
//   unverifiable   `mailsync verify` fails (before or after convergence)
//   converge       the next uninterrupted `mailsync sync` fails, a second one changes the mirror,
//                  the mirror differs from the server (per mailbox: UID → body SHA-256 and flags),
//                  or the interrupted run exited with something other than 0 / 75 (or hung)
//   lost           a message (or a queued flag change) expected on the server is not there, or the
//                  queue still holds changes after convergence
//   duplicated     a message is on the server more times than expected (by body, hence Message-ID)
//
// "Expected" is the server as it was before the interrupted run (first and incremental sync: the
// server is the truth) or the mirror right after the offline changes (replay: every queued change
// must be on the server, exactly once).
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
    double fraction = 0;        // kill: of the calibrated duration
    std::uint64_t offset = 0;   // cut / stall: bytes of the first connection
    bool to_server = false;     // cut: of the client's bytes instead of the server's
    bool every_connection = false;  // cut: every connection after `offset` bytes, not only the first
    std::string describe() const;
};

struct Summary {
    std::string name;
    std::size_t trials = 0, kills = 0, cuts = 0, stalls = 0;
    std::size_t lost = 0, duplicated = 0, unverifiable = 0, failed_convergence = 0;
    std::size_t completed = 0, interrupted = 0;  // interrupted run: exited 0 / was stopped (killed, 75)
    double calibrated_seconds = 0;
    std::uint64_t calibrated_bytes = 0;
    std::size_t calibrated_connections = 0;
    std::vector<std::string> failures;  // one line per problem, for the report
    bool clean() const { return lost + duplicated + unverifiable + failed_convergence == 0; }
};

// An account with a private store and config, driven through the built `mailsync` program.
class Account {
public:
    explicit Account(const std::string& hint);
    ~Account();
    Account(const Account&) = delete;
    Account& operator=(const Account&) = delete;

    const DovecotFixture::User& user() const { return user_; }
    const std::filesystem::path& dir() const { return dir_; }
    void write_config(std::uint16_t port, int timeout_seconds = 10) const;
    // Runs `mailsync -c CONFIG ARGS...`; its exit status, 128+signal, or -1 if it ran past `limit`
    // (then it is SIGKILLed).
    int run(const std::vector<std::string>& args, std::chrono::milliseconds limit = std::chrono::seconds(120)) const;
    // Starts `mailsync sync`, SIGKILLs it after `after` unless it ended: status as run().
    int run_sync_killed_after(std::chrono::microseconds after) const;
    std::string log_tail() const;
    // A fresh, empty store (the config is kept).
    void remove_store() const;
    std::filesystem::path store_dir() const { return dir_ / "store"; }

    // Every message of the mirror (with or without UID) by mailbox, body hash and flags.
    Contents mirror_contents() const;
    // UID → "sha flags" for every mailbox of the mirror, body hashes read from the files.
    std::map<std::string, std::map<std::uint32_t, std::string>> mirror_by_uid() const;
    std::size_t queued_changes() const;
    // The store's message id of a message by mailbox and UID (throws if absent).
    std::uint64_t message_id(const std::string& mailbox, std::uint32_t uid) const;

    // The server, read by doveadm (mailbox list) and a session per mailbox (bodies hashed).
    std::map<std::string, std::map<std::uint32_t, std::string>> server_by_uid() const;
    Contents server_contents() const;

private:
    DovecotFixture::User user_;
    std::filesystem::path dir_;
};

// Loads `count` generated messages (unique Message-IDs, sizes varied, random flags) into a mailbox
// of the account through scripts/load-mail.sh.
void load_messages(const Account& account, const std::string& mailbox, const std::string& tag, std::size_t count);

// A campaign: one scenario, its trials and its tally. `prepare` sets the account up (server content,
// store, offline changes; the config points at Dovecot directly) and returns what the server must
// hold after convergence; then `mailsync sync` runs through a fresh FaultProxy with the
// interruption; then the checks (through Dovecot directly).
using Prepare = std::function<Contents(Account&)>;

class Campaign {
public:
    explicit Campaign(std::string name);
    // An uninterrupted run through the proxy (checked like a trial): duration and bytes received.
    void calibrate(const Prepare& prepare, Account& account);
    // The interruptions of a campaign: kills at k/N of the duration, cuts spread over the bytes
    // (a third of them of the client's bytes), stalls spread over the bytes.
    std::vector<Interrupt> plan(std::size_t kills, std::size_t cuts, std::size_t stalls) const;
    void trial(const Prepare& prepare, Account& account, const Interrupt& interrupt);
    const Summary& summary() const { return summary_; }

private:
    void check(Account& account, const Contents& expected, const std::string& label);
    Summary summary_;
    std::uint64_t client_bytes_ = 0;
};

void print_table(std::ostream& out, const std::vector<Summary>& summaries);

// "short" (CI), "medium" or "long", from $MAILSYNC_CAMPAIGN.
std::string campaign_size();

}  // namespace mailsync::test::campaign
