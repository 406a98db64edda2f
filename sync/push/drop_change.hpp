// `queue --drop ID`: the user cancels a queued change that has not reached the server (pending),
// or one the server refused. The mirror returns to the server's state for it, as for a change
// refused for good (refusal_rollback.hpp), and the record is deleted, in one write transaction.
#pragma once

#include <string>

#include "store/store.hpp"

namespace mailsync::sync {

// Returns the dropped change in words. Error(bad_input), nothing changed: no change `seq` is
// queued; it is `sent` (it may have reached the server: a sync resolves it first); a later queued
// change depends on it (same message, or the mailbox it makes or renames): that one is named, to
// be dropped first.
std::string drop_queued_change(store::Store& store, store::Seq seq);

}  // namespace mailsync::sync
