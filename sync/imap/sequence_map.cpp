#include "sync/imap/sequence_map.hpp"

#include <algorithm>

namespace mailsync::imap {

std::optional<std::uint32_t> SequenceMap::on_expunge(std::uint32_t seq) {
    if (seq == 0 || seq > exists_) return std::nullopt;  // a broken server; nothing to shift
    --exists_;
    if (seq > uids_.size()) return std::nullopt;
    auto position = uids_.begin() + static_cast<std::ptrdiff_t>(seq - 1);
    const std::uint32_t uid = *position;
    uids_.erase(position);
    if (uid == 0) return std::nullopt;
    return uid;
}

void SequenceMap::on_fetch_uid(std::uint32_t seq, std::uint32_t uid) {
    if (seq == 0) return;
    if (seq > exists_) exists_ = seq;  // FETCH for a message whose EXISTS we have not seen yet
    if (uids_.size() < seq) uids_.resize(seq, 0);
    uids_[seq - 1] = uid;
}

void SequenceMap::on_vanished(const SequenceSet& uids) {
    const std::size_t before = uids_.size();
    std::erase_if(uids_, [&](std::uint32_t uid) { return uid != 0 && uids.contains(uid); });
    const std::uint64_t removed = before - uids_.size();
    // A listed UID we do not know can only have been a message whose UID we never learnt: a broken
    // server that reports UIDs never seen (or twice) must not empty the mailbox.
    const auto known = static_cast<std::uint64_t>(std::count_if(uids_.begin(), uids_.end(), [](std::uint32_t uid) { return uid != 0; }));
    const std::uint64_t left = removed >= exists_ ? 0 : exists_ - removed;
    const std::uint64_t unknown_slots = known >= left ? 0 : left - known;
    const std::uint64_t gone = removed + std::min(uids.count() > removed ? uids.count() - removed : 0, unknown_slots);
    exists_ = gone >= exists_ ? 0 : exists_ - static_cast<std::uint32_t>(gone);
}

std::optional<std::uint32_t> SequenceMap::uid_of(std::uint32_t seq) const {
    if (seq == 0 || seq > uids_.size() || uids_[seq - 1] == 0) return std::nullopt;
    return uids_[seq - 1];
}

}  // namespace mailsync::imap
