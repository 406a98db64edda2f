// How flags from the server meet the mirror's flags. The written rule (SPEC "Conflicts"): flags
// merge per flag against the last synced state (three-way). For each flag:
//   - the local side did not change it since the last sync (in local iff in synced): the server's
//     state wins, whatever it is;
//   - the local side changed it (a pending offline change): the local state stays, and the replay
//     of the queued change will take it to the server.
// So changes from both sides combine, and a server change never undoes an offline one. synced_flags
// always becomes the server's flags. With no offline change (flags == synced_flags) this simply
// takes the server's flags.
//
// Flags compare as flag_set.hpp says (case-insensitive, \Recent never stored).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/records.hpp"
#include "sync/rules/flag_set.hpp"

namespace mailsync::sync {

std::vector<std::string> merge_flags(const std::vector<std::string>& local, const std::vector<std::string>& synced,
                                     const std::vector<std::string>& server);

// Takes the server's flags (and MODSEQ, when it has one) into a mirrored message by the rule above.
// Returns whether the record changed.
bool take_server_flags(store::MessageRecord& message, const std::vector<std::string>& server_flags,
                       std::uint64_t server_modseq);

}  // namespace mailsync::sync
