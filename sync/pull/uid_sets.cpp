#include "sync/pull/uid_sets.hpp"

#include <algorithm>

#include "common/error.hpp"

namespace mailsync::sync {

UidDiff diff_uids(const imap::SequenceSet& mirror, const imap::SequenceSet& server) {
    UidDiff diff;
    diff.added = server;
    diff.added.remove(mirror);
    diff.gone = mirror;
    diff.gone.remove(server);
    diff.common = mirror;
    diff.common.remove(diff.gone);
    return diff;
}

std::vector<imap::SequenceSet> chunk_by_count(const imap::SequenceSet& set, std::size_t count) {
    if (count == 0) throw Error(ErrorCategory::internal, "chunk_by_count with a count of 0");
    std::vector<imap::SequenceSet> chunks;
    imap::SequenceSet current;
    std::uint64_t in_current = 0;
    for (imap::Range range : set.ranges()) {
        std::uint64_t first = range.first;
        while (first <= range.last) {
            const std::uint64_t room = count - in_current;
            const std::uint64_t last = std::min<std::uint64_t>(range.last, first + room - 1);
            current.add(imap::Range{static_cast<std::uint32_t>(first), static_cast<std::uint32_t>(last)});
            in_current += last - first + 1;
            if (in_current == count) {
                chunks.push_back(std::move(current));
                current = {};
                in_current = 0;
            }
            first = last + 1;
        }
    }
    if (in_current > 0) chunks.push_back(std::move(current));
    return chunks;
}

}  // namespace mailsync::sync
