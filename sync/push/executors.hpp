// One executor per kind of queued change, called by the walk of the queue (replay.cpp) with records
// it has just marked `sent`. Each finds out what the server did meanwhile (a ServerFinding), asks
// the conflict table (sync/rules/conflict_rules.hpp) what to do about it, and does that: send the
// change, drop it, re-upload from the mirror, create the missing mailbox first, or leave the
// server as it is. Every record ends in the ledger: confirmed (with the conflict, if a rule
// decided), or refused (left queued). What each one sends, and how it resolves a record found
// `sent` after a crash, is written above its function.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "store/store.hpp"
#include "sync/push/push_server.hpp"
#include "sync/push/replay.hpp"
#include "sync/push/replay_ledger.hpp"

namespace mailsync::sync {

// A record the walk marked sent, and whether it was `sent` already when the walk found it: an
// earlier attempt (cut by a crash or a lost connection) may have reached the server, so the
// executor looks for its effect before sending anything again.
struct MarkedRecord {
    store::QueueRecord record;
    bool may_have_reached_server = false;
};

// What the executors share: the server, the store, the ledger and the options of this run.
struct ReplayContext {
    PushServer& server;
    store::Store& store;
    ReplayLedger& ledger;
    const ReplayOptions& options;
};

// flags (grouped by mailbox and identical change; one command for many UIDs, split to keep lines
// short): UID FETCH (FLAGS MODSEQ) first — which UIDs still exist, and whether the server changed
// them (the conflict record) — then UID STORE (UNCHANGEDSINCE m) +FLAGS.SILENT / -FLAGS.SILENT,
// m the record's MODSEQ (the fetched one when the record has none). MODIFIED: re-read FLAGS MODSEQ
// and store S ∪ add − remove conditionally, again until it sticks. Without CONDSTORE: plain STORE
// after the re-read. Found `sent`: re-applied (idempotent: +FLAGS/-FLAGS).
void replay_flags(ReplayContext& context, std::vector<MarkedRecord>& group);

// remove (grouped by mailbox): UID STORE +FLAGS.SILENT (\Deleted), UID EXPUNGE of exactly those
// UIDs. Without UIDPLUS: refused (never a bare EXPUNGE). Found `sent`: the UID is looked up first;
// gone is success.
void replay_remove(ReplayContext& context, std::vector<MarkedRecord>& group);

// move: UID MOVE; else UID COPY + UID STORE \Deleted + UID EXPUNGE (UIDPLUS); else refused. COPYUID
// gives the message its destination UID (no download by the next pull). copy: UID COPY, COPYUID
// gives the new copy its UID. Found `sent`: UID MOVE is atomic, so the UID still in the source
// means it did not happen; with COPY the destination is searched first (Message-ID and size, among
// UIDs the mirror does not know there), so a COPY that happened is not made twice.
void replay_move_or_copy(ReplayContext& context, MarkedRecord& marked);

// append: APPEND name (flags) "internaldate" {size} streamed from the body file; APPENDUID (else
// found by Message-ID and size). Found `sent`: the destination is searched first (every queued body
// has a Message-ID).
void replay_append(ReplayContext& context, const MarkedRecord& marked);

// create/rename/delete of a mailbox: CREATE (+ SUBSCRIBE), RENAME, DELETE (after STATUS: a mailbox
// with mail is kept). Found `sent`: LIST / STATUS tell whether the change happened.
void replay_mailbox_change(ReplayContext& context, const MarkedRecord& marked);

// ---- what the executors share (executor_support.cpp)

// Acts on the table's decision for a record when it is not to be sent: drop or keep_server end it
// (confirmed, with its conflict), refuse throws Refused; returns true for send. Any other action is one the caller should
// have handled: an internal error.
bool send_or_settle(ReplayContext& context, const store::QueueRecord& record, const Outcome& outcome);
[[noreturn]] void throw_unexpected(const store::QueueRecord& record, const ReplayDecision& decision);

// Runs `exchange` for one record; a refusal (the server's NO, or a body file that cannot be read)
// refuses the record, and the walk goes on with the others.
template <class Exchange>
void refuse_on_failure(ReplayContext& context, const store::QueueRecord& record, Exchange&& exchange) {
    try {
        exchange();
    } catch (const Refused& refused) {
        context.ledger.refuse(record, refused.why, refused.retrying_can_help);
    } catch (const Error& error) {
        if (error.category() != ErrorCategory::bad_input && error.category() != ErrorCategory::io) throw;
        context.ledger.refuse(record, std::string("of a local error: ") + error.what());
    }
}

// The group's records by their UID in the selected mailbox now (current_uid). A record without one
// is settled as the table decides for what current_uid found.
std::map<store::Uid, MarkedRecord*> records_by_current_uid(ReplayContext& context, std::vector<MarkedRecord>& group);

// What the push looks for when a message's UID in a mailbox is unknown (after a renumbering, an
// upload or copy the server did not place, a crash): its Message-ID (may be empty), its size, the
// stored body (for the header check) and, when known, the mailbox's UIDNEXT before our command
// (only UIDs from there on can be what that command made).
struct Sought {
    std::string message_id;
    std::uint64_t size = 0;
    std::optional<store::BodyHash> body;
    std::optional<store::Uid> from;
};
// The stored message `message` (its body: `hash` when stored, else the message's own).
Sought sought_message(ReplayContext& context, store::MessageId message, const std::optional<store::BodyHash>& hash);

// Where a record's message is in the selected mailbox now: its UID, or why there is none.
struct UidNow {
    std::optional<store::Uid> uid;
    ServerFinding finding = ServerFinding::unplaced;   // without a UID: unplaced or message_gone
    std::string why;
};
// The record's UID in the selected mailbox now. When the mailbox's UIDVALIDITY is not the one the
// record was made against (the server renumbered it), the message is re-paired BEFORE anything is
// sent: by the pull (the mirror's message has a UID of the new UIDVALIDITY), else here by
// Message-ID, size and header section (uids_with_identity: a look-alike is not paired). The re-paired UID is written into the queued record (uid, uidvalidity;
// modseq 0, as the old one means nothing now), so a crash after this resumes with it. A message
// identified but not found is message_gone; one that never got a UID, or has no Message-ID to be
// found by, is unplaced.
UidNow current_uid(ReplayContext& context, store::QueueRecord& record);

// UIDs in the selected mailbox holding the sought message, lowest first. Candidates: UID SEARCH
// HEADER Message-ID, or for a message without one the UIDs from `sought.from` on (none when that
// is unknown); each kept when its RFC822.SIZE is the size and its header section (BODY.PEEK[HEADER])
// is byte-identical to the stored body's: the check the pull makes before it reuses a stored body
// (sync/pull/message_identity.hpp), so a look-alike of the same Message-ID and size is not taken.
std::vector<store::Uid> uids_with_identity(ReplayContext& context, const Sought& sought);

// A message in mailbox `name` that is the sought one (uids_with_identity) and that the mirror does not know there:
// the result of a change of ours that reached the server before a crash or a cut. Leaves `name`
// selected when it exists. `pulled_if_body`: for an APPEND (its Message-ID is unique to it), a
// message the mirror does know there with exactly that body is ours too: a pull that ran between
// the APPEND and this search downloaded it as new mail (placing ours then removes that row).
std::optional<store::Uid> find_unknown_copy(ReplayContext& context, const std::string& name,
                                            store::MailboxId local_mailbox, const Sought& sought,
                                            const std::optional<store::BodyHash>& pulled_if_body = std::nullopt);

// Where an upload landed: its UID (nullopt: the server did not say and it was not found) and the
// UIDVALIDITY that UID belongs to.
struct Placement {
    std::optional<store::Uid> uid;
    std::uint32_t uidvalidity = 0;
};

// APPEND of a stored body into `upload.mailbox`; a mailbox the server lacks (TRYCREATE) is created
// when the table says so for `kind` (`recreated` then tells). Refused on NO. Without UIDPLUS the
// mailbox's UIDNEXT is read first, so that the upload is found above it (also without a Message-ID).
struct UploadResult {
    Placement placement;
    bool recreated = false;
};
UploadResult upload_body(ReplayContext& context, store::QueueKind kind, Upload upload, store::MailboxId local_mailbox,
                         Sought sought);

// The server's flags as the conflict record shows them.
std::string flags_change_words(const FlagList& base, const FlagList& server);

}  // namespace mailsync::sync
