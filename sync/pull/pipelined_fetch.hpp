// Pipelined UID FETCH commands, shared by the downloads of the pull (new_messages.hpp), the
// completion of partial messages (partial_bodies.hpp) and the header checks: the UIDs cut into
// commands, `depth` of them in flight, each answered before the next is waited for.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sync/imap/sequence_set.hpp"
#include "sync/imap/session.hpp"

namespace mailsync::sync {

// A UID FETCH command must not outgrow a line: UID sets of this many values stay well under it
// however sparse they are (11 bytes per value at worst).
inline constexpr std::size_t max_uids_per_command = 500;

// (UID, RFC822.SIZE) pairs, in UID order, cut into commands of at most `max_bytes` (a message
// bigger than that goes alone) and max_uids_per_command UIDs.
std::vector<imap::SequenceSet> split_by_bytes(const std::vector<std::pair<std::uint32_t, std::uint64_t>>& sizes, std::uint64_t max_bytes);

// Sends `UID FETCH set (items)` for every set, at most `depth` in flight, and waits for each answer.
// The FETCH data arrive through the session's handlers meanwhile. A NO or BAD is Error(protocol)
// "server refused `what`: ..."; a lost connection propagates.
void run_uid_fetches(imap::Session& session, const std::vector<imap::SequenceSet>& sets, const std::vector<std::string>& items,
                     std::size_t depth, std::string_view what);

}  // namespace mailsync::sync
