// Local changes: the offline commands (flag, move, copy, delete, append, mkdir, rename, rmdir).
// Each one validates everything first, then changes the mirror and writes its queue records in ONE
// write transaction (so a refused change leaves the store exactly as it was, and a committed one is
// durable with its queue record), then tells a running `watch` through the queue-changed file.
// None of them touches the network; the store may be open shared beside a running sync.
//
// ================================ THE QUEUE CONTRACT (for replay) ================================
//
// Names. Mailboxes are named by the user in UTF-8 and kept as wire names (modified UTF-7,
// imap::mutf7_encode). INBOX is matched in any case. Every queue record carries, besides local ids,
// the wire names AS THEY WERE WHEN IT WAS QUEUED: `name` (the mailbox the record acts on) and, for
// move/copy, `new_name` (the destination). Replaying in seq order, the server's names at record s
// are exactly those names (every earlier rename/create/delete has been replayed, no later one has),
// so replay must use `name`/`new_name`, never the mailbox record's current name.
//
// Order. Records are replayed in seq order. A record for a message (see "records of a message")
// must not be sent before every earlier record of that message is confirmed; mailbox records
// (create/rename/delete) must not be sent before every earlier record is confirmed, nor may a
// later record be sent before them (they change names that later records rely on).
//
// Records of a message M: kind flags/move/remove/append with message == M, and copy with
// message == M (the source) or copy_message == M (the new copy).
//
// States. A local command changes a record only while it is `pending`, and only when it is the
// LAST record of its message (and, for a change of destination, when no mailbox record was queued
// after it). Replay therefore marks a record `sent` (sent_at, attempts+1) in a write transaction,
// re-reading the record INSIDE that transaction and building the server command from that copy,
// before sending anything. `sent` records are never changed by local commands. A `confirmed`
// record is done; replay may delete it (the `queue` command does not show confirmed records).
//
// uid == nullopt. A record made for a message the server has not placed yet (appended, moved or
// copied offline) has no UID. When replay learns the UID u of message M in mailbox X (APPENDUID of
// an append into X, COPYUID of a move/copy into X), it must, in the transaction that confirms that
// record: set uid = u and uidvalidity = X's UIDVALIDITY on every unconfirmed later record of M whose
// `mailbox` == X and uid == nullopt; and if M's MessageRecord is still in X without a UID, give it
// uid u (if it moved on locally, its UID will come from the later move's COPYUID; if it is gone,
// there is nothing to update). A record whose uid is still nullopt when its turn comes means the
// earlier placement failed: replay records a conflict rather than guessing.
//
// UIDVALIDITY. A record's uid means something only with its uidvalidity. When the server has
// renumbered the mailbox since, replay re-pairs the message before sending anything (the pull's
// pairing of the mirror's message, else the message's Message-ID and size on the server) and
// writes the new uid and uidvalidity (and modseq 0) into the record, which is `sent` by then: the
// only change replay makes to a record besides its state. Queued UID references are dropped only
// when the message cannot be found again.
//
// Per kind (fields not named are 0/empty; every record has created = time queued):
//
//   flags    message, mailbox (where it is), name, uid (nullopt: see above), uidvalidity and
//            modseq (the message's MODSEQ at the last sync, 0 = unknown: replay must not send
//            UNCHANGEDSINCE 0 — fetch the MODSEQ first or store unconditionally after re-reading),
//            base_flags = the message's synced_flags when queued (the server's flags at the last
//            sync: the base of the three-way merge), add_flags / remove_flags = the NET change this
//            record makes: with B the local flags before its first change and A the local flags after
//            its last one, add = A − B and remove = B − A (flags compared case-insensitively). Never
//            both empty. Later flag commands on the same message fold into it while it is pending and
//            the last record of the message; a fold that makes the change empty deletes the record.
//            Replay: UID STORE uid (UNCHANGEDSINCE modseq) +FLAGS (add) / -FLAGS (remove); records
//            with identical add/remove in one mailbox may be grouped into one STORE. On MODIFIED:
//            re-read the flags S and store S ∪ add − remove (the per-flag three-way merge: the
//            user's changes win for the flags the user changed, the server's stand for the rest).
//   move     message, mailbox = source, name, target_mailbox = destination, new_name, uid /
//            uidvalidity / modseq = the message's in the source (uid nullopt: see above),
//            base_flags = synced_flags, body_hash = the message's body (kept alive, so the
//            "move of a message expunged on the server" rule can re-upload it from the mirror).
//            The MessageRecord KEEPS ITS MessageId and is at once in the destination with
//            uid nullopt and modseq 0 (synced_flags kept). Replay: UID MOVE (else COPY + STORE
//            \Deleted + UID EXPUNGE of exactly that UID), then fold COPYUID back (rule above).
//   copy     as move, plus copy_message = the new message's id (a new MessageId in the destination,
//            same body, flags = the source's local flags, synced_flags = the same, uid nullopt).
//            Replay: UID COPY, COPYUID gives copy_message its UID (rule above, with M = copy_message).
//   remove   message (its MessageRecord is already gone from the mirror), mailbox, name, uid,
//            uidvalidity, modseq, base_flags, body_hash = the message's body (kept alive: its
//            Message-ID and size find the message again if the server renumbers the mailbox before
//            the replay). Replay: UID STORE \Deleted + UID EXPUNGE of exactly that UID (never a
//            bare EXPUNGE). The server having expunged it already is success.
//   append   message (the new MessageRecord, uid nullopt), mailbox, name, body_hash (the exact bytes
//            to upload: the body file), add_flags = the flags to APPEND with (the message's whole
//            flag list; later flag commands rewrite it while pending), internaldate and
//            internaldate_zone_minutes. The body always has a Message-ID header (one is added when
//            the file had none) — find a possibly-duplicated APPEND after a crash by Message-ID
//            (from the MessageRecord, or parsed from the body file when the message was deleted
//            meanwhile: read_message_header in sync/local/local_message_file.hpp) and size (the body
//            file's). Replay: APPEND name (flags) "internaldate" {size}; APPENDUID: rule above.
//   create_mailbox   mailbox (the new MailboxRecord, created_offline = true), name.
//   rename_mailbox   mailbox (the record keeps its MailboxId; its sub-mailboxes are renamed locally
//            too, as IMAP RENAME does on the server), name = old wire name, new_name = new one.
//   delete_mailbox   mailbox (its MailboxRecord is already gone), name. Only an empty mailbox with
//            no sub-mailboxes can be removed.
//
// Folding (a later command changing a pending record instead of queueing a new one):
//   flag on an offline-appended message (its pending append is its last record): the append's
//     add_flags become the new flag list. On any other message: fold into its last record when
//     that is a pending flags record (see flags above), else a new flags record.
//   move of a message whose last record is a pending append / move / copy (of which it is the new
//     copy), with no mailbox record queued after it: that record's destination changes (append:
//     mailbox+name; move/copy: target_mailbox+new_name). A pending move back to its own source is
//     cancelled instead: the record is deleted and the message gets back its UID and MODSEQ there.
//   copy of a message whose last record is a pending append: the copy gets its own append record
//     (same body) rather than a copy record that would depend on the unsent append.
//   delete of a message whose last record is a pending append, or a pending copy that made it: that
//     record is deleted (nothing reaches the server). Whose last record is a pending move: that
//     record becomes a remove record of the message in the move's source (same seq).
//   rmdir of a mailbox whose pending create is the only unconfirmed record naming it: the create is
//     deleted. Renames are never folded.
//
// For the pull engine: a server message at (mailbox, UID) that the mirror does not have, while an
// unconfirmed move/remove record names that mailbox and UID, was moved or deleted locally: it is
// not new mail. A server flag change on a message with an unconfirmed flags record: update
// synced_flags and set flags = server ∪ add − remove (the record keeps its add/remove).
//
// Telling `watch`: after each committed change the file DIR/queue-changed (in the store directory,
// 0600) is rewritten with the highest queue seq and closed: watch adds an inotify watch on DIR
// for IN_CLOSE_WRITE and looks for that name (no polling). Its content is informative only.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"
#include "sync/imap/sequence_set.hpp"

namespace mailsync::sync {

inline constexpr std::string_view queue_changed_file_name = "queue-changed";

// What a local command did.
struct LocalChangeResult {
    // The messages the command made or changed, in the order given: for copy and append the new
    // ids, for the others the ids given (which keep being valid, except after delete).
    std::vector<store::MessageId> messages;
    // The mailbox a mailbox command made, renamed or removed.
    store::MailboxId mailbox = 0;
    // Queue records written or changed (a cancelled record is not listed).
    std::vector<store::Seq> queue_entries;
    // Empty when watch was told; else why not (the change itself is committed).
    std::string notify_failure;
};

// Runs inside the command's write transaction, after its change, with what it did: the Maildir
// view (sync/view/) records what a client's change became in the same commit as the change, so a
// crash leaves both or neither.
using AlsoInTransaction = std::function<void(store::WriteTxn&, const LocalChangeResult&)>;

// ---- message commands. MAILBOX, DESTINATION: UTF-8 names as the user typed them.
// Errors, with nothing changed: Error(bad_input) for an unknown mailbox (named), ids not in
// MAILBOX (all of them named), a move/copy into MAILBOX itself.
LocalChangeResult change_flags(store::Store& store, std::string_view mailbox, std::span<const store::MessageId> ids,
                               const std::vector<std::string>& add, const std::vector<std::string>& remove,
                               store::UnixTime now, const AlsoInTransaction& also = {});
LocalChangeResult move_messages(store::Store& store, std::string_view mailbox, std::span<const store::MessageId> ids,
                                std::string_view destination, store::UnixTime now, const AlsoInTransaction& also = {});
LocalChangeResult copy_messages(store::Store& store, std::string_view mailbox, std::span<const store::MessageId> ids,
                                std::string_view destination, store::UnixTime now, const AlsoInTransaction& also = {});
LocalChangeResult delete_messages(store::Store& store, std::string_view mailbox, std::span<const store::MessageId> ids,
                                  store::UnixTime now, const AlsoInTransaction& also = {});

struct AppendRequest {
    std::string mailbox;   // UTF-8
    std::filesystem::path file;
    std::vector<std::string> flags;   // as on the wire
    std::optional<store::UnixTime> internaldate;   // absent: now
    std::int16_t internaldate_zone_minutes = 0;
};
// Reads FILE (see sync/local/local_message_file.hpp for what is stored), stores the body, then adds the
// message and its append record. Error(bad_input) for an unknown mailbox, a missing file or one
// that is not a message; Error(io) for a file that cannot be read.
LocalChangeResult append_message(store::Store& store, const AppendRequest& request, store::UnixTime now, const AlsoInTransaction& also = {});

// ---- mailbox commands. Hierarchy levels are separated by the account's delimiter (that of the
// mailboxes already mirrored; "/" before the first sync). Error(bad_input): mkdir of a name that
// exists, an empty level or a wildcard (* %); rename of INBOX, of an unknown mailbox, to an existing
// name or below itself; rmdir of INBOX, of an unknown mailbox, of one with messages or
// sub-mailboxes.
LocalChangeResult make_mailbox(store::Store& store, std::string_view name, store::UnixTime now, const AlsoInTransaction& also = {});
LocalChangeResult rename_mailbox(store::Store& store, std::string_view old_name, std::string_view new_name,
                                 store::UnixTime now, const AlsoInTransaction& also = {});
LocalChangeResult remove_mailbox(store::Store& store, std::string_view name, store::UnixTime now, const AlsoInTransaction& also = {});

// ---- helpers
// The mailbox the user means by `name` (UTF-8): its wire name, INBOX in any case, or — for servers
// that use UTF-8 names — the name as given. nullopt when there is none.
std::optional<store::MailboxRecord> find_mailbox(const store::ReadTxn& txn, std::string_view name);
// The hierarchy delimiter of the account: that of its mirrored mailboxes (INBOX's first), "/"
// before the first sync.
std::string account_delimiter(const store::ReadTxn& txn);
// The records not yet confirmed, oldest first: what `queue` shows.
std::vector<store::QueueRecord> outstanding_changes(const store::ReadTxn& txn);
// Whether the store has records not yet confirmed (cheap: one read).
bool has_outstanding_changes(store::Store& store);

// ---- the queue as the replay and the pull read it
// Refusals after which a change is refused for good, unless the replay is told otherwise.
inline constexpr std::uint32_t kDefaultMaxRefusals = 5;
// Whether a record was refused for good: skipped by the replay, blocking the changes that depend
// on it, and no longer hiding its message from the pull.
bool refused_for_good(const store::QueueRecord& record, std::uint32_t max_refusals = kDefaultMaxRefusals);
// For the pull: UIDs of `mailbox` (local id) that unconfirmed move/remove records name, made
// against `uidvalidity` (or 0). Such a message was moved or deleted locally and is not new mail.
imap::SequenceSet locally_removed_uids(const store::ReadTxn& txn, store::MailboxId mailbox, std::uint32_t uidvalidity);
// Rewrites DIR/queue-changed (see above). Error(io) when it cannot.
void notify_queue_changed(const std::filesystem::path& store_directory, store::Seq last_seq);

}  // namespace mailsync::sync
