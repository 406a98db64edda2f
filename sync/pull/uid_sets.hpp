// Set arithmetic on UID sets for the diff, pure and tested as a table.
#pragma once

#include <cstddef>
#include <vector>

#include "sync/imap/sequence_set.hpp"

namespace mailsync::sync {

struct UidDiff {
    imap::SequenceSet added;     // on the server, not in the mirror: to download
    imap::SequenceSet gone;      // in the mirror, not on the server: expunged
    imap::SequenceSet common;    // on both: compare flags
};

UidDiff diff_uids(const imap::SequenceSet& mirror, const imap::SequenceSet& server);

// Cuts a set into pieces of at most `count` values each, in ascending order (count >= 1), without
// expanding it: memory grows with the ranges, not the values.
std::vector<imap::SequenceSet> chunk_by_count(const imap::SequenceSet& set, std::size_t count);

}  // namespace mailsync::sync
