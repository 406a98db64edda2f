// The conflict rules of the push side (SPEC "Conflicts"), in ONE place, as a pure table: what
// replay does with a queued local change given what it found on the server when the change's turn
// came. Tested as a table in tests/unit/test_conflict_rules.cpp.
//
// The written rules (rule names are what `conflicts` shows):
//   flags-merge        both sides changed the flags of a message since the last sync: merged per
//                      flag (three-way against the last synced state): the flags the user changed
//                      get the user's value, every other flag keeps the server's.
//   delete-wins        a delete on either side wins over a flag change on the other: a local flag
//                      change on a message the server expunged is dropped; a local delete of a
//                      message whose flags the server changed is carried out.
//   move-reuploads     a local move of a message the server expunged meanwhile (or whose mailbox
//                      the server deleted) re-uploads it from the mirror into the destination
//                      (APPEND): the user meant to keep it.
//   copy-reuploads     the same for a local copy: the copy is made from the mirror's body.
//   append-survives    a local append always survives: a destination mailbox the server deleted
//                      is created again for it.
//   target-recreated   a local move/copy into a mailbox the server deleted: the mailbox is created
//                      again (the user put mail there) and the move/copy goes on.
//   rename-source-gone a local rename of a mailbox the server deleted: the new name is created
//                      (the mailbox lives on locally under it; its old messages are gone with the
//                      server's mailbox: delete wins).
//   rename-target-taken a local rename to a name the server has meanwhile: the server is left as
//                      it is; the next pull shows both mailboxes.
//   mailbox-not-empty  a local rmdir of a mailbox that received mail on the server: not deleted
//                      (that mail was never seen by the user); the next pull brings it back.
//   uidvalidity-changed the server renumbered the mailbox and the message could not be paired:
//                      the change is dropped (a move/copy re-uploads from the mirror).
// Not a conflict, and not resolved by a rule: a change the server refuses (NO) is REFUSED: shown as
// refused, retried by later syncs while retrying can help, then kept as refused with the mirror
// returned to the server's state for it (sync/push/replay_ledger.hpp).
// Not conflicts either: a delete of a message the server already expunged, a create of a mailbox that
// exists, a rename or delete found already done (e.g. after a crash) — success.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "store/records.hpp"
#include "sync/rules/change_sentences.hpp"
#include "sync/rules/flag_set.hpp"

namespace mailsync::sync {

// What replay found on the server for the message or mailbox a queued change acts on.
enum class ServerFinding {
    as_before,          // there, and unchanged since the last sync
    flags_changed,      // the message is there; the server changed its flags since the last sync
    message_gone,       // the server expunged the message, or deleted the mailbox holding it
    unplaced,           // the message never got a UID (an earlier placement failed) or the
                        // mailbox's UIDVALIDITY changed so that the UID means nothing now
    target_gone,        // the destination mailbox (move/copy/append) is gone from the server
    mailbox_gone,       // rename/delete_mailbox: the mailbox is not on the server (any more)
    name_taken,         // create/rename: the new name exists on the server
    mailbox_not_empty,  // delete_mailbox: the server's mailbox holds messages
    refused,            // the server refused the change for a reason of its own
};

enum class ReplayAction {
    send,              // send the change as queued (flags: +FLAGS/-FLAGS, i.e. the per-flag merge)
    drop,              // nothing to send; the record is done
    reupload,          // APPEND the mirror's body into the destination instead
    create_then_send,  // CREATE the destination (or, for a rename, the new name), then send
    keep_server,       // leave the server as it is; the record is done
    refuse,            // the server refused it: the record is refused (not a conflict)
};

struct ReplayDecision {
    ReplayAction action = ReplayAction::send;
    std::string_view rule;        // empty: not a conflict (nothing is recorded)
    std::string_view resolution;  // what mailsync did, as a clause: "the message was deleted anyway"
    bool conflict() const { return !rule.empty(); }
};

ReplayDecision decide(store::QueueKind kind, ServerFinding finding);

// Whether the server changed a message's flags since the last sync: S differs from the base (and,
// for a record that may have reached the server already, from base ∪ add − remove).
bool server_changed_flags(const std::vector<std::string>& server, const std::vector<std::string>& base,
                          const std::vector<std::string>& add, const std::vector<std::string>& remove,
                          bool maybe_sent);

}  // namespace mailsync::sync
