// What the mirror does when a queued change is refused for good, or dropped by the user before it
// reached the server: it returns to the server's state for that message or mailbox, so that no
// local-only row is left that no pull would ever reconcile.
#pragma once

#include "store/store.hpp"

namespace mailsync::sync {

// In the transaction that marks `record` refused for good:
//   flags   the message's flags become the server's as last synced (synced_flags);
//   move    the message goes back to its source with its UID and MODSEQ there;
//   copy    the copy (never made on the server) is removed;
//   append  the message (never on the server) is removed from the mailbox; its body stays in the
//           store while the refused record names it (`queue --refused` shows it; `queue --drop`
//           lets it go);
//   remove  nothing here: the record no longer hides the message from the pull
//           (locally_removed_uids), which brings it back;
//   mkdir   the later changes made in or into the mailbox made offline are rolled back first (a
//           message moved there returns to its source, a copy or append there is removed), then
//           the mailbox is removed: no local-only row is left;
//   rename  the mailbox (and its sub-mailboxes) gets its old name back;
//   rmdir   nothing here: the pull brings the server's mailbox back.
void roll_back_refused(store::WriteTxn& txn, const store::QueueRecord& record);

}  // namespace mailsync::sync
