// The search index (sync/search/) as the command line keeps it: brought up to date after every
// `sync`, each pull of `watch`, and every local command, so that a message is searchable the
// moment it is mirrored or appended. Accounts with `search: false` keep none.
#pragma once

#include <string>
#include <vector>

#include "cli/config.hpp"
#include "cli/output.hpp"
#include "store/store.hpp"
#include "sync/pull/pull_report.hpp"

namespace mailsync::cli {

// Has the index follow a pull as it adds messages (sync/search/search_index.hpp, follow_pull), in
// a thread beside the pull's workers; the update after the pull still compares and records.
void index_beside_pull(const Account& account, sync::PullOptions& options);

// A failure is a warning (and a busy index, updated by another process, only a detail), never the
// command's failure: the mirror is sound, and `search` brings the index up to date before it
// answers.
void update_search_index(const Account& account, store::Store& store, Output& output);

// For a local command: the index's view of the store before it ("" when the account keeps no
// index), then, after it, the update of only the messages it changed (sync/search/search_index.hpp,
// update_index_after), so that a command stays fast on a large mirror.
std::string search_state_before(const Account& account, store::Store& store);
void update_search_index_after(const Account& account, store::Store& store, const std::vector<store::MessageId>& changed,
                               const std::string& state_before, Output& output);

}  // namespace mailsync::cli
