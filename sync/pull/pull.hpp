// The pull side of the sync engine: brings the mirror of one account up to date with its server.
//
//   1. One connection lists the mailboxes with their state: LIST "" "*" RETURN (SPECIAL-USE STATUS
//      (MESSAGES UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ)) where LIST-STATUS exists, else LIST and
//      a pipelined STATUS per mailbox.
//   2. The mailbox diff (mailbox_plan.hpp) is applied in one transaction: new mailboxes appear,
//      renames are followed, deleted ones leave (or are marked, in backup mode).
//   3. Mailboxes whose state is unchanged are not selected at all: a no-op resync is that one LIST
//      round after login. The others are synced (mailbox_sync.hpp) by up to options.connections
//      workers, each with its own connection (opened only when there is work for it), writing the
//      store one transaction at a time (serialized_store.hpp).
//
// A mailbox the server refuses (NO to EXAMINE, a protocol error in it) is reported and the others
// go on; a lost connection, a local I/O error or an exception from the progress callback ends the
// pull and is rethrown once the workers stopped. Whatever was committed stays committed.
#pragma once

#include <functional>

#include "store/store.hpp"
#include "sync/server/connect.hpp"
#include "sync/pull/pull_report.hpp"

namespace mailsync::sync {

// Opens one more authenticated connection (QRESYNC enabled when offered); see connect().
using ConnectionFactory = std::function<Connection()>;

// Throws Error(bad_input) when options.only names a mailbox the server does not have (or the
// patterns exclude), and whatever connecting throws (Error(unavailable) when unreachable).
PullReport pull(const ConnectionFactory& connect, store::Store& store, const PullOptions& options,
                PullProgress* progress = nullptr);
// The same, with the first connection from `open_first`, which may leave its login in flight
// (open_pipelined()) so that the LIST joins that flight; the pull finishes it (finish_connect())
// only when there is work for it, else logs out at once: a no-op sync is one round trip after the
// greeting. A refused login is Error(auth) as from connect().
PullReport pull(const ConnectionFactory& open_first, const ConnectionFactory& connect, store::Store& store,
                const PullOptions& options, PullProgress* progress = nullptr);

}  // namespace mailsync::sync
