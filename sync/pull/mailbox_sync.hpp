// Brings one mailbox of the mirror up to date with the server, over a session of its own.
//
// Method, best first (per mailbox, recorded in its MailboxRecord and the report):
//   qresync   EXAMINE box (QRESYNC (uidvalidity modseq known-uids)): the server answers with
//             VANISHED (EARLIER) for what was expunged and FETCH for what changed or is new.
//   condstore EXAMINE box (CONDSTORE), UID FETCH 1:* (UID FLAGS MODSEQ) (CHANGEDSINCE modseq), and a
//             UID SEARCH of all UIDs to see expunges.
//   plain     the full comparison: UID SEARCH of all UIDs, then FLAGS of every known message in
//             chunks. Also the fallback whenever an incremental answer cannot be trusted: NOMODSEQ,
//             a HIGHESTMODSEQ lower than the one stored, a QRESYNC server breaking the protocol
//             (FETCH without UID, EXPUNGE instead of VANISHED), or a result whose message count
//             differs from the server's.
// EXAMINE (read-only) is used throughout, so the pull never sets \Seen.
//
// UIDVALIDITY changed: every server message is described (UID, FLAGS, RFC822.SIZE, ENVELOPE),
// paired with the mirror's messages by identity, each pair confirmed by the server's header
// section (message_identity.hpp, NewMessages::check_pairs), and given its new UID in
// one transaction (local ids, and so queued changes, stay valid); unpaired old messages count as
// expunged (in backup mode they are kept without a UID, marked deleted_on_server); then the full
// comparison downloads only what is left.
//
// The mailbox state (UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, MESSAGES as EXAMINE reported them) is
// stored last: an interrupted sync leaves the old state, and the next run does the work again
// (rows already committed are not fetched twice).
//
// Memory (bench/results/2026-11-30-memory.md): the mirror's and the server's UIDs are held as
// compressed sets (they grow with the gaps between UIDs, not with the messages); flags fetched by
// CONDSTORE or the full comparison are written as they arrive, and flag changes and expunges are
// written PullOptions::changes_per_write messages per transaction, so a transaction's pages stay
// bounded. What grows with the mailbox: the session's sequence-number map (one piece per gap
// between the UIDs FETCH named, sequence_map.hpp), the FETCH data QRESYNC sends with EXAMINE (one
// entry per changed message, kept until the answer is known to be trustworthy), and the one
// transaction of a UIDVALIDITY repair (every message of the mailbox, so that no message is left
// without a UID).
//
// Time: a QRESYNC resync does not walk the mailbox's UIDs. The known-UIDs range ends at the last
// entry of the index, the count check reads the store's kept count (store::ReadTxn::count_uids),
// and VANISHED and FETCH data are looked up in the mirror only in the ranges they name; its work
// grows with the changes. The full comparison and CONDSTORE's pass still read every UID (they
// compare with a UID SEARCH of the whole mailbox).
#pragma once

#include <vector>

#include "sync/imap/session.hpp"
#include "sync/pull/mailbox_plan.hpp"
#include "sync/pull/shared_pull_state.hpp"

namespace mailsync::sync {

// Runs the sync of mailbox `id` (whose server state the list gave as `server`); fills `report`.
// Errors propagate (a protocol error concerns this mailbox; the caller decides).
void sync_mailbox(SharedPullState& context, imap::Session& session, store::MailboxId id, const ServerMailbox& server,
                  MailboxReport& report);

// Mailboxes that changed without new mail (only_changes_known), examined in one flight: their
// EXAMINEs (QRESYNC) pipelined, each answer taken as it comes (one ends with its tagged OK, the
// next one's responses follow it), then each settled as sync_mailbox() settles a QRESYNC answer.
// One round trip for all, instead of one each. Returns, for each, whether it is done; one that is
// not (no QRESYNC to use, an answer that needs new mail fetched or a fallback, a NO) is left to
// sync_mailbox(), which examines it again. Nothing may be in flight on `session`.
struct MailboxToSync {
    store::MailboxId id = 0;
    const ServerMailbox* server = nullptr;
    MailboxReport* report = nullptr;
};
std::vector<bool> sync_mailboxes_together(SharedPullState& context, imap::Session& session,
                                          const std::vector<MailboxToSync>& mailboxes);

}  // namespace mailsync::sync
