#include "sync/imap/sequence_map.hpp"

#include <algorithm>

namespace mailsync::imap {

// ---- the treap -------------------------------------------------------------------------------
// Nodes live in nodes_ and refer to each other by index (-1: none); freed ones are reused. An index
// is kept in a local before any call that may add a node, as that can move the vector.

void SequenceMap::update(std::int32_t node) {
    Node& n = at(node);
    n.total = n.length + total(n.left) + total(n.right);
}

std::int32_t SequenceMap::make(std::uint32_t uid, std::uint32_t length) {
    // xorshift32: priorities only need to be unpredictable enough to keep the tree balanced.
    random_ ^= random_ << 13;
    random_ ^= random_ >> 17;
    random_ ^= random_ << 5;
    Node node;
    node.uid = uid;
    node.length = length;
    node.total = length;
    node.priority = random_;
    if (!free_.empty()) {
        const std::int32_t index = free_.back();
        free_.pop_back();
        at(index) = node;
        return index;
    }
    nodes_.push_back(node);
    return static_cast<std::int32_t>(nodes_.size() - 1);
}

void SequenceMap::release(std::int32_t node) { free_.push_back(node); }

void SequenceMap::release_tree(std::int32_t node) {
    // Iterative: a tree left by a broken server need not be shallow enough for recursion.
    std::vector<std::int32_t> stack;
    if (node >= 0) stack.push_back(node);
    while (!stack.empty()) {
        const std::int32_t next = stack.back();
        stack.pop_back();
        if (at(next).left >= 0) stack.push_back(at(next).left);
        if (at(next).right >= 0) stack.push_back(at(next).right);
        release(next);
    }
}

std::int32_t SequenceMap::merge(std::int32_t a, std::int32_t b) {
    if (a < 0) return b;
    if (b < 0) return a;
    if (at(a).priority > at(b).priority) {
        const std::int32_t right = merge(at(a).right, b);
        at(a).right = right;
        update(a);
        return a;
    }
    const std::int32_t left = merge(a, at(b).left);
    at(b).left = left;
    update(b);
    return b;
}

void SequenceMap::split(std::int32_t node, std::uint64_t count, std::int32_t& first, std::int32_t& rest) {
    if (node < 0) {
        first = rest = -1;
        return;
    }
    const std::uint64_t before = total(at(node).left);
    const std::uint32_t length = at(node).length;
    std::int32_t a = -1, b = -1;
    if (count <= before) {
        split(at(node).left, count, a, b);
        at(node).left = b;
        update(node);
        first = a;
        rest = node;
    } else if (count >= before + length) {
        split(at(node).right, count - before - length, a, b);
        at(node).right = a;
        update(node);
        first = node;
        rest = b;
    } else {
        // Inside a run: this node keeps its first part, a new one the rest (whose first UID, when
        // the run's are known, is `keep` further on).
        const auto keep = static_cast<std::uint32_t>(count - before);
        const std::uint32_t uid = at(node).uid;
        const std::int32_t tail = make(uid == 0 ? 0 : uid + keep, length - keep);
        const std::int32_t right = at(node).right;
        at(node).length = keep;
        at(node).right = -1;
        update(node);
        first = node;
        rest = merge(tail, right);
    }
}

bool SequenceMap::continues(const Node& a, const Node& b) {
    if (std::uint64_t{a.length} + b.length > UINT32_MAX) return false;
    if (a.uid == 0 || b.uid == 0) return a.uid == 0 && b.uid == 0;
    return std::uint64_t{a.uid} + a.length == b.uid;
}

std::int32_t SequenceMap::rightmost(std::int32_t node) const {
    while (at(node).right >= 0) node = at(node).right;
    return node;
}

std::int32_t SequenceMap::leftmost(std::int32_t node) const {
    while (at(node).left >= 0) node = at(node).left;
    return node;
}

void SequenceMap::grow_last(std::int32_t node, std::uint32_t by) {
    // The last piece is at the end of the right spine; every node on the way holds it in its subtree.
    for (;;) {
        at(node).total += by;
        if (at(node).right < 0) break;
        node = at(node).right;
    }
    at(node).length += by;
}

std::int32_t SequenceMap::join(std::int32_t a, std::int32_t b) {
    if (a < 0) return b;
    if (b < 0) return a;
    const Node& last = at(rightmost(a));
    const Node& first = at(leftmost(b));
    if (!continues(last, first)) return merge(a, b);
    // The first piece of b continues the last of a: a's grows, b's goes.
    const std::uint32_t length = first.length;
    std::int32_t head = -1, rest = -1;
    split(b, length, head, rest);   // at a piece's end: no node is made, head is that one piece
    release(head);
    grow_last(a, length);
    return merge(a, rest);
}

void SequenceMap::collect(std::int32_t node, std::vector<Piece>& out) const {
    // In order, iteratively (see release_tree).
    std::vector<std::int32_t> stack;
    while (node >= 0 || !stack.empty()) {
        while (node >= 0) {
            stack.push_back(node);
            node = at(node).left;
        }
        node = stack.back();
        stack.pop_back();
        out.push_back({at(node).uid, at(node).length});
        node = at(node).right;
    }
}

void SequenceMap::rebuild(const std::vector<Piece>& pieces) {
    nodes_.clear();
    free_.clear();
    root_ = -1;
    for (const Piece& piece : pieces)
        if (piece.length > 0) root_ = join(root_, make(piece.uid, piece.length));
}

// ---- the map ---------------------------------------------------------------------------------

void SequenceMap::reset() {
    nodes_.clear();
    free_.clear();
    root_ = -1;
    exists_ = 0;
}

void SequenceMap::on_exists(std::uint32_t count) {
    if (count > exists_) {
        // A stream of EXISTS makes the last run of unknown UIDs longer, not more pieces.
        root_ = join(root_, make(0, count - exists_));
    } else if (count < exists_) {
        std::int32_t kept = -1, dropped = -1;
        split(root_, count, kept, dropped);
        release_tree(dropped);
        root_ = kept;
    }
    exists_ = count;
}

std::optional<std::uint32_t> SequenceMap::on_expunge(std::uint32_t seq) {
    if (seq == 0 || seq > exists_) return std::nullopt;  // a broken server; nothing to shift
    std::int32_t before = -1, from = -1, one = -1, after = -1;
    split(root_, seq - 1, before, from);
    split(from, 1, one, after);
    const std::uint32_t uid = at(one).uid;
    release(one);
    root_ = join(before, after);   // the two sides of a run of unknown UIDs become one again
    --exists_;
    if (uid == 0) return std::nullopt;
    return uid;
}

void SequenceMap::on_fetch_uid(std::uint32_t seq, std::uint32_t uid) {
    if (seq == 0 || seq > exists_ || uid == 0) return;
    if (uid_of(seq) == uid) return;   // known already (a flag change of a message seen before)
    std::int32_t before = -1, from = -1, one = -1, after = -1;
    split(root_, seq - 1, before, from);
    split(from, 1, one, after);
    at(one).uid = uid;  // a piece of exactly one message now
    // Joined to its neighbours when the UIDs run on: a mailbox fetched in order is one piece.
    root_ = join(join(before, one), after);
}

void SequenceMap::on_vanished(const SequenceSet& uids) {
    std::vector<Piece> pieces;
    collect(root_, pieces);
    std::uint64_t removed = 0, known = 0;
    std::vector<Piece> kept;
    kept.reserve(pieces.size());
    const std::vector<Range>& gone = uids.ranges();
    for (const Piece& piece : pieces) {
        if (piece.uid == 0) {
            kept.push_back(piece);
            continue;
        }
        // The run's UIDs first..last, less the vanished ranges that meet it: what is left stays.
        const std::uint64_t last = std::uint64_t{piece.uid} + piece.length - 1;
        std::uint64_t next = piece.uid;   // the first UID of the run not decided yet
        auto range = std::lower_bound(gone.begin(), gone.end(), piece.uid,
                                      [](const Range& r, std::uint32_t uid) { return r.last < uid; });
        for (; range != gone.end() && range->first <= last; ++range) {
            const std::uint64_t cut_first = std::max<std::uint64_t>(range->first, next);
            const std::uint64_t cut_last = std::min<std::uint64_t>(range->last, last);
            if (cut_first > next)
                kept.push_back({static_cast<std::uint32_t>(next), static_cast<std::uint32_t>(cut_first - next)});
            removed += cut_last - cut_first + 1;
            next = cut_last + 1;
        }
        if (next <= last) kept.push_back({static_cast<std::uint32_t>(next), static_cast<std::uint32_t>(last - next + 1)});
        known += piece.length;
    }
    known -= removed;
    // A listed UID we do not know can only have been a message whose UID we never learnt: a broken
    // server that reports UIDs never seen (or twice) must not empty the mailbox. Which unknown
    // messages went cannot be known; they are taken from the end.
    const std::uint64_t left = removed >= exists_ ? 0 : exists_ - removed;
    const std::uint64_t unknown_slots = known >= left ? 0 : left - known;
    std::uint64_t unknown_gone = std::min(uids.count() > removed ? uids.count() - removed : 0, unknown_slots);
    for (auto piece = kept.rbegin(); piece != kept.rend() && unknown_gone > 0; ++piece) {
        if (piece->uid != 0) continue;
        const auto take = static_cast<std::uint32_t>(std::min<std::uint64_t>(piece->length, unknown_gone));
        piece->length -= take;
        unknown_gone -= take;
    }
    rebuild(kept);
    exists_ = static_cast<std::uint32_t>(total(root_));
}

std::optional<std::uint32_t> SequenceMap::uid_of(std::uint32_t seq) const {
    if (seq == 0 || seq > exists_) return std::nullopt;
    std::uint64_t position = seq - 1;
    std::int32_t node = root_;
    while (node >= 0) {
        const std::uint64_t before = total(at(node).left);
        if (position < before) {
            node = at(node).left;
        } else if (position >= before + at(node).length) {
            position -= before + at(node).length;
            node = at(node).right;
        } else {
            if (at(node).uid == 0) return std::nullopt;
            return static_cast<std::uint32_t>(at(node).uid + (position - before));
        }
    }
    return std::nullopt;
}

}  // namespace mailsync::imap
