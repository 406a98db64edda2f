// The selected mailbox's message sequence numbers and the UIDs we have learnt for them. EXPUNGE
// shifts every later number down by one; EXISTS grows the mailbox.
//
// Bounded by what the session has seen, whatever the server claims:
//   - Every number is checked against EXISTS. A FETCH (or EXPUNGE) of a number above EXISTS breaks
//     RFC 9051 §7.4.1 (a message is announced by EXISTS before anything refers to it) and is
//     ignored here: its UID is not recorded and EXISTS is not raised. The response still reaches
//     the session's UntaggedHandler, whose users key messages by UID, never by this number; so
//     `* 4000000000 FETCH (UID 7)` costs nothing.
//   - Memory grows only with the UIDs actually learnt, never with a number: the map holds pieces —
//     a run of messages whose UIDs are unknown, or a run of consecutive messages with consecutive
//     UIDs — so `* 4000000000 EXISTS` is one piece, and so is a mailbox of a million messages
//     without gaps once a FETCH has named every UID (a first sync): the pieces grow with the gaps
//     between the UIDs learnt, as the pull's UID sets do, not with the messages (at 32 bytes a
//     piece, one piece per message was 32 MB of a first sync of a million).
//   - The pieces sit in a treap ordered by position (each node knows how many messages its subtree
//     holds), so a lookup, a FETCH and an EXPUNGE are O(log n) expected: a mass expunge of n
//     messages is O(n log n), not O(n²). VANISHED is one pass over the pieces per response
//     (servers send one response per batch of expunges).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "sync/imap/sequence_set.hpp"

namespace mailsync::imap {

class SequenceMap {
public:
    void reset();
    // EXISTS: the mailbox holds `count` messages (a count below the current one, which only a
    // broken server sends without EXPUNGE, drops the last ones).
    void on_exists(std::uint32_t count);
    // Returns the UID that the expunged number carried, when known. 0 or above EXISTS: ignored.
    std::optional<std::uint32_t> on_expunge(std::uint32_t seq);
    // 0, above EXISTS, or UID 0: ignored (see above).
    void on_fetch_uid(std::uint32_t seq, std::uint32_t uid);
    // VANISHED (not EARLIER): each UID was a message of the mailbox, gone now.
    void on_vanished(const SequenceSet& uids);

    std::optional<std::uint32_t> uid_of(std::uint32_t seq) const;
    std::uint32_t exists() const { return exists_; }
    // How many pieces are held (what the memory grows with), for tests.
    std::size_t pieces() const { return nodes_.size() - free_.size(); }

private:
    struct Node {
        std::uint32_t uid = 0;      // 0: a run of `length` messages with unknown UIDs; otherwise the
                                    // run's UIDs are uid, uid + 1, ..., uid + length - 1
        std::uint32_t length = 1;   // messages in this piece
        std::uint64_t total = 1;    // messages in this subtree
        std::uint32_t priority = 0;
        std::int32_t left = -1;
        std::int32_t right = -1;
    };
    struct Piece {
        std::uint32_t uid;
        std::uint32_t length;
    };

    Node& at(std::int32_t node) { return nodes_[static_cast<std::size_t>(node)]; }
    const Node& at(std::int32_t node) const { return nodes_[static_cast<std::size_t>(node)]; }
    std::uint64_t total(std::int32_t node) const { return node < 0 ? 0 : at(node).total; }
    void update(std::int32_t node);
    std::int32_t make(std::uint32_t uid, std::uint32_t length);
    void release(std::int32_t node);
    void release_tree(std::int32_t node);
    std::int32_t merge(std::int32_t a, std::int32_t b);
    // Splits `node` into the first `count` messages and the rest, cutting a run when needed.
    void split(std::int32_t node, std::uint64_t count, std::int32_t& first, std::int32_t& rest);
    // Whether piece b carries on piece a: two runs of unknown UIDs, or b's UIDs start where a's end.
    static bool continues(const Node& a, const Node& b);
    std::int32_t rightmost(std::int32_t node) const;
    std::int32_t leftmost(std::int32_t node) const;
    void grow_last(std::int32_t node, std::uint32_t by);
    // merge(), with the last piece of a and the first of b made one when b's carries on a's.
    std::int32_t join(std::int32_t a, std::int32_t b);
    void collect(std::int32_t node, std::vector<Piece>& out) const;
    void rebuild(const std::vector<Piece>& pieces);

    std::vector<Node> nodes_;
    std::vector<std::int32_t> free_;
    std::int32_t root_ = -1;
    std::uint32_t exists_ = 0;
    std::uint32_t random_ = 0x9e3779b9u;
};

}  // namespace mailsync::imap
