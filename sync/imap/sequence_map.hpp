// The selected mailbox's message sequence numbers and the UIDs we have learnt for them. EXPUNGE
// shifts every later number down by one; EXISTS grows the mailbox. Memory grows only with the UIDs
// actually learnt (FETCH responses), never with a count announced by the server.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sync/imap/sequence_set.hpp"

namespace mailsync::imap {

class SequenceMap {
public:
    void reset() { uids_.clear(); exists_ = 0; }
    void on_exists(std::uint32_t count) { exists_ = count; if (uids_.size() > count) uids_.resize(count); }
    // Returns the UID that the expunged number carried, when known.
    std::optional<std::uint32_t> on_expunge(std::uint32_t seq);
    void on_fetch_uid(std::uint32_t seq, std::uint32_t uid);
    // VANISHED (not EARLIER): each UID was a message of the mailbox, gone now.
    void on_vanished(const SequenceSet& uids);

    std::optional<std::uint32_t> uid_of(std::uint32_t seq) const;
    std::uint32_t exists() const { return exists_; }

private:
    std::vector<std::uint32_t> uids_;  // index seq-1; 0 = not known
    std::uint32_t exists_ = 0;
};

}  // namespace mailsync::imap
