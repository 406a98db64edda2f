// What a pull is asked to do (PullOptions), what it reports while it runs (PullProgress) and what it
// did (PullReport). These are the engine's contract with cli/: plain data, no I/O.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "store/records.hpp"
#include "sync/pull/body_rule.hpp"

namespace mailsync::store {
class Store;
class ReadTxn;
}  // namespace mailsync::store

namespace mailsync::sync {

// two_way and pull mirror the server (what it expunged or deleted leaves the mirror); backup keeps
// what the server deleted, marked deleted_on_server. The pull side treats two_way and pull alike:
// the difference (replaying the offline queue) belongs to the push side.
enum class PullMode { two_way, pull, backup };

// Which change-detection method to use. `best` picks per mailbox (QRESYNC > CONDSTORE > plain);
// the others force one where the server allows it (tests exercise each path against one server).
enum class MethodChoice { best, qresync, condstore, plain };

struct PullOptions {
    PullMode mode = PullMode::two_way;
    // The account's include/exclude patterns (see mailbox_filter.hpp for their meaning).
    std::vector<std::string> patterns{"*"};
    // `sync MAILBOX...`: only these (UTF-8 names as the user typed them); empty: every mailbox the
    // patterns select. Mailboxes are still listed, and creations, renames and deletions applied.
    std::vector<std::string> only;
    // Mailboxes synced at once, each over its own connection (opened only when there is work for
    // it). Measured on the 2-core loopback fixture, first sync of 4 mailboxes x 500 messages
    // (185 MB): 1 connection 16.1 / 15.8 s, 2: 6.7 / 7.1 s, 4: 2.5 / 6.6 s, peak RSS 16-18 MB
    // throughout. Per-body fsyncs dominate, and parallel mailboxes overlap them: 4 (the account
    // default, cli/config.hpp) is kept.
    unsigned connections = 4;
    MethodChoice method = MethodChoice::best;
    // Message rows are committed every commit_messages messages or commit_bytes body bytes, so an
    // interrupted first sync loses at most that much work. LMDB keeps the pages of its largest write
    // transaction as heap for the environment's life, ~2.3 a message here (the hash and Message-ID
    // indexes put each message on a leaf of its own): 200 kept 1.6 MB, 100 0.9 MB. 64 is the number
    // of bodies made durable together (new_messages.cpp): one commit (an fdatasync of data.mdb and a
    // synchronous write of its meta page) for 64 bodies that need ~120 fsyncs of their own (bench/results/2026-12-02-memory-round3.md).
    std::size_t commit_messages = 64;
    std::uint64_t commit_bytes = 32ull << 20;
    // Flag changes and expunges are written this many messages per transaction. LMDB keeps every
    // page a write transaction touches in memory until it commits, and an expunge touches about
    // four in different parts of the tables (the record and its three index entries): 100 keep a
    // transaction under ~1.6 MB however many messages changed (300 expunges in one transaction of a
    // 30000-message mailbox took 4.1 MB; bench/results/2026-11-30-memory.md).
    std::size_t changes_per_write = 100;
    // Each body UID FETCH asks for at most this many bytes (by RFC822.SIZE; a bigger message goes
    // alone) and fetch_depth of them are in flight, so the link stays busy while memory stays flat.
    std::uint64_t fetch_command_bytes = 8ull << 20;
    std::size_t fetch_depth = 4;
    // New messages are examined (envelope, size) this many at a time before their bodies are fetched.
    std::size_t metadata_chunk = 1000;
    // Which new messages are mirrored whole and which as headers only (body_rule.hpp). cli/ sets
    // it from the account (backup mode: always everything).
    BodyRule body_rule;
    // Runs in a thread of its own while the workers download: given the store for body files and
    // a read serialised with the workers' transactions, and `done` once they finished; joined
    // before pull() returns, so it must notice `done`. It must not write the store. cli/ has the
    // search index follow the pull with it (sync/search/search_index.hpp, follow_pull).
    using StoreRead = std::function<void(const std::function<void(const store::ReadTxn&)>&)>;
    std::function<void(const store::Store& bodies, const StoreRead& read, const std::atomic<bool>& done)> beside;
};

struct PullCounts {
    std::uint64_t messages_done = 0, messages_total = 0;
    std::uint64_t bytes_done = 0, bytes_total = 0;   // body bytes; bytes_total grows as sizes are learnt
};

// Called after each committed batch of messages, from whichever worker committed it, never by two
// threads at once. Throwing from it stops the pull (the exception propagates from pull()); what
// was committed stays. Tests use that to interrupt a first sync.
class PullProgress {
public:
    virtual ~PullProgress() = default;
    virtual void on_progress(const PullCounts& counts, const std::string& mailbox) = 0;
};

struct MailboxReport {
    std::string name;                // wire name (modified UTF-7)
    store::SyncMethod method = store::SyncMethod::never;   // never: skipped, unchanged
    bool skipped = false;            // unchanged since the last sync: not selected at all
    bool created = false;            // new on this side
    std::optional<std::string> renamed_from;
    bool uidvalidity_changed = false;
    std::uint64_t new_messages = 0;
    std::uint64_t changed = 0;       // flag updates taken from the server
    std::uint64_t expunged = 0;      // removed, or marked deleted_on_server in backup mode
    std::uint64_t downloaded = 0;    // bodies fetched
    std::uint64_t reused = 0;        // new messages whose body was already stored (moves, copies)
    std::uint64_t reuse_rejected = 0;   // new messages whose identity matched a stored body but
                                        // whose header did not (message_identity.hpp): downloaded
    std::uint64_t repaired = 0;      // re-paired after a UIDVALIDITY change
    std::uint64_t bytes = 0;         // body bytes downloaded
    std::uint64_t headers_only = 0;  // new messages mirrored as headers only (body_rule.hpp)
    std::vector<std::string> notes;  // why a fallback happened, in words
    std::optional<std::string> error;   // this mailbox failed (others went on)
};

struct PullReport {
    std::vector<MailboxReport> mailboxes;
    std::vector<std::string> removed_mailboxes;   // gone from the server (kept and marked in backup mode)
    unsigned examined = 0;                        // mailboxes selected (EXAMINE)
    unsigned connections = 0;                     // connections opened
    std::uint64_t bodies_refetched = 0;           // damaged bodies fetched again (body_repair.hpp)
    std::uint64_t wire_bytes_sent = 0, wire_bytes_received = 0;
    // What the server listed after the login (upper case), for ServerSettings::expected_capabilities
    // of the next run.
    std::set<std::string> server_capabilities;

    std::uint64_t total_new() const;
    std::uint64_t total_changed() const;
    std::uint64_t total_expunged() const;
    std::uint64_t total_bytes() const;
    std::uint64_t failed() const;
};

}  // namespace mailsync::sync
