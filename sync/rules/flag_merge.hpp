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
// Flags compare case-insensitively (RFC 9051 §2.3.2) and keep the spelling they came with;
// \Recent is a session flag, never stored.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "store/records.hpp"

namespace mailsync::sync {

// Without \Recent, duplicates removed, in a canonical order (case-insensitive).
std::vector<std::string> normalize_flags(std::vector<std::string> flags);

bool same_flags(const std::vector<std::string>& a, const std::vector<std::string>& b);

std::vector<std::string> merge_flags(const std::vector<std::string>& local, const std::vector<std::string>& synced,
                                     const std::vector<std::string>& server);

// Takes the server's flags (and MODSEQ, when it has one) into a mirrored message by the rule above.
// Returns whether the record changed.
bool take_server_flags(store::MessageRecord& message, const std::vector<std::string>& server_flags,
                       std::uint64_t server_modseq);

}  // namespace mailsync::sync
