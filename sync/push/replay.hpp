// The push side of the sync engine: replays the offline queue (sync/local/local_changes.hpp states the
// queue contract) against the server, exactly once, and folds the answers back into the mirror.
//
// Walk. Records go in seq order. Each one: pending → (write txn: re-read it, mark sent) →
// server commands → (write txn: fold the answer into the mirror, record a conflict
// when a rule of conflict_rules.hpp decided, delete the record). No transaction is held across
// network I/O. A record left behind (refused, or waiting behind a refused one) holds back the
// later records of its message; a mailbox record (create/rename/delete) is not sent while an
// earlier record left behind uses its names (after a rename left behind, no later mailbox record).
//
// A record found `sent` (a crash or a cut connection after it was marked) is resolved before
// anything is sent again. What each kind sends, and how it resolves a record found `sent`, is
// written beside its executor in executors.hpp; the executors ask the conflict table
// (sync/rules/conflict_rules.hpp) what to do with what they find on the server.
//
// Rooms: replay.cpp (this walk), executors.hpp + replay_<kind>.cpp (one executor per kind of
// change), push_server.hpp (each IMAP exchange returning what it learnt), replay_ledger.hpp (how
// a record ends in the store).
//
// Failures. Error(unavailable) (server gone, connection lost) ends the replay and propagates: what
// was confirmed stays confirmed, the rest is resumed by the next run. A refusal (NO, or a change
// the server cannot do safely) makes the record `refused` (attempts counts refusals); later runs
// try it again until it is refused for good (retrying cannot help, or max_attempts refusals): then
// the mirror returns to the server's state for it and it stays listed until the user drops it. A
// refusal holds back only the records that depend on it (same message, or a mailbox it changes);
// those depending on a change refused for good are refused for good with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "sync/imap/session.hpp"
#include "sync/local/local_changes.hpp"

namespace mailsync::sync {

struct ReplayOptions {
    // Records of one flag change grouped into one STORE.
    std::size_t max_group = 1000;
    // A record the server refused this many times is refused for good.
    std::uint32_t max_attempts = kDefaultMaxRefusals;
    // Times MODIFIED is answered by re-reading and storing again before the record is left queued.
    unsigned max_modified_rounds = 5;
    // The time records and conflicts are stamped with (tests pass a fixed clock).
    std::function<store::UnixTime()> now;
    // Called after each record is confirmed or left, with its seq; for tests and progress.
    std::function<void(store::Seq)> on_record;
};

struct ReplayReport {
    std::size_t confirmed = 0;   // records done (sent and confirmed, or found done already)
    std::size_t conflicts = 0;   // conflict records written
    std::size_t failed = 0;      // records refused this time (shown as refused; see above)
    std::size_t left = 0;        // records not done after this run (failed, blocked behind them)
    std::vector<std::string> failures;   // one sentence per refused record: what, why, what next
};

// Replays the queue of `store` over `session` (authenticated; CONDSTORE/QRESYNC enabled when the
// server has them, as connect() does). The session's untagged handler is replaced while it runs.
// Leaves no mailbox selected.
ReplayReport replay(imap::Session& session, store::Store& store, const ReplayOptions& options = {});

// The IMAP date-time for APPEND: "dd-Mon-yyyy hh:mm:ss +zzzz", the UTC time shown in the zone.
std::string imap_internal_date(store::UnixTime time, std::int16_t zone_minutes);

}  // namespace mailsync::sync
