// `mailsync restore`: the mirror of one account uploaded into an account on a server — the same
// account after a loss, or another one (a migration, imapsync's job).
//
// Per source mailbox (parents before children):
//   - its name on the target: the levels joined with the target's hierarchy delimiter
//     (restore_plan.hpp); created when missing (CREATE, with its special use when the target has
//     CREATE-SPECIAL-USE; SUBSCRIBE when the source had it subscribed);
//   - SELECT, and UID FETCH 1:4294967295 (RFC822.SIZE): what the target holds;
//   - the messages it already holds are left alone (restore_plan.hpp: the journal, else size and
//     header section), the others APPENDed one by one with their flags and keywords (\Recent left
//     out) and INTERNALDATE (with its zone), the body file's bytes exactly, each after its SHA-256
//     is checked (a damaged or missing body is not uploaded: it is a failure, put on the store's
//     damaged list for the next sync to fetch again).
// Each upload is journaled before it is sent and after its answer (restore_journal.hpp), so a
// re-run uploads nothing twice and an interrupted one (kill -9, a cut connection) resumes.
//
// What is taken from the mirror: every message with its local flags; not the messages the server
// deleted that backup mode keeps (nor mailboxes it deleted) unless include_deleted; not messages
// and mailboxes made offline and not yet replayed unless include_unsynced (into the same account
// the queue's replay uploads them: `mailsync sync`).
//
// Errors: a connection lost or a server that cannot be reached throws Error(unavailable) (what was
// journaled stays; the next run resumes); a mailbox the target refuses to create, or a message it
// refuses (NO), is a failure in the report and the others go on.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/store.hpp"
#include "sync/imap/session.hpp"
#include "sync/pull/pull_report.hpp"

namespace mailsync::sync {

struct RestoreOptions {
    std::vector<std::string> mailboxes;   // as a person types them (INBOX in any case); empty: all
    bool include_deleted = false;         // also what the server deleted (backup mode keeps it)
    bool include_unsynced = false;        // also what was made offline and not replayed yet
    bool dry_run = false;                 // find out what would be done; create and upload nothing
    std::string target_identity;          // "user@host:port": whose journal (restore_journal.hpp)
    std::filesystem::path journal_directory;   // empty: <source store>/restore
};

struct RestoreFailure {
    store::MessageId message = 0;         // 0: the mailbox as a whole
    std::string why;                      // one sentence
    bool refused_by_server = false;       // else: a local problem (a damaged or missing body)
};

struct RestoreMailboxReport {
    std::string name;                     // source wire name
    std::string target;                   // target wire name ("" when there is none)
    bool created = false;                 // created on the target (dry run: would be)
    std::uint64_t uploaded = 0;           // dry run: would be
    std::uint64_t bytes = 0;              // bytes uploaded (dry run: would be)
    std::uint64_t restored_before = 0;    // skipped: the journal's UID holds it
    std::uint64_t already_there = 0;      // skipped: found on the target (size and header section)
    std::uint64_t recovered = 0;          // skipped: an upload cut before its answer, found on the target
    std::uint64_t headers_only = 0;       // not restored: only the headers are mirrored (bodies:, max_size:)
    std::vector<RestoreFailure> failures;
    std::uint64_t skipped() const { return restored_before + already_there + recovered; }
};

struct RestoreReport {
    std::vector<RestoreMailboxReport> mailboxes;
    std::uint64_t uploaded() const;
    std::uint64_t bytes() const;
    std::uint64_t skipped() const;
    std::uint64_t failed() const;
    bool any_refused_by_server() const;
};

// Counts of the work before it starts, for a progress bar's totals: the messages selected and
// their bytes (those found already there are taken off as they are found).
// Error(bad_input) naming a mailbox the mirror does not have, or one deleted on the server when
// include_deleted is false.
PullCounts restore_totals(store::Store& source, const RestoreOptions& options);

// Restores into the account `session` is logged in to. `progress` (may be null) hears the counts
// after each message, with the source mailbox's wire name.
RestoreReport restore(imap::Session& session, store::Store& source, const RestoreOptions& options,
                      PullProgress* progress = nullptr);

}  // namespace mailsync::sync
