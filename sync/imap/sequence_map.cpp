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
        // Inside a run of unknown UIDs: this node keeps its first part, a new one the rest.
        const auto keep = static_cast<std::uint32_t>(count - before);
        const std::int32_t tail = make(0, length - keep);
        const std::int32_t right = at(node).right;
        at(node).length = keep;
        at(node).right = -1;
        update(node);
        first = node;
        rest = merge(tail, right);
    }
}

std::int32_t SequenceMap::erase_at(std::int32_t node, std::uint64_t position, std::uint32_t& uid) {
    const std::uint64_t before = total(at(node).left);
    const std::uint32_t length = at(node).length;
    if (position < before) {
        const std::int32_t left = erase_at(at(node).left, position, uid);
        at(node).left = left;
    } else if (position >= before + length) {
        const std::int32_t right = erase_at(at(node).right, position - before - length, uid);
        at(node).right = right;
    } else if (length > 1) {
        --at(node).length;  // one message of a run: the run is shorter
        uid = 0;
    } else {
        uid = at(node).uid;
        const std::int32_t joined = merge(at(node).left, at(node).right);
        release(node);
        return joined;
    }
    update(node);
    return node;
}

bool SequenceMap::grow_last_run(std::int32_t node, std::uint32_t by) {
    // The last piece is at the end of the right spine; a run there simply gets longer, so that a
    // stream of EXISTS adds no pieces.
    if (node < 0) return false;
    if (at(node).right >= 0) {
        if (!grow_last_run(at(node).right, by)) return false;
    } else if (at(node).uid == 0) {
        at(node).length += by;
    } else {
        return false;
    }
    at(node).total += by;
    return true;
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
        if (piece.length > 0) root_ = merge(root_, make(piece.uid, piece.length));
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
        const std::uint32_t added = count - exists_;
        if (!grow_last_run(root_, added)) root_ = merge(root_, make(0, added));
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
    std::uint32_t uid = 0;
    root_ = erase_at(root_, seq - 1, uid);
    --exists_;
    if (uid == 0) return std::nullopt;
    return uid;
}

void SequenceMap::on_fetch_uid(std::uint32_t seq, std::uint32_t uid) {
    if (seq == 0 || seq > exists_ || uid == 0) return;
    std::int32_t before = -1, from = -1, one = -1, after = -1;
    split(root_, seq - 1, before, from);
    split(from, 1, one, after);
    at(one).uid = uid;  // a piece of exactly one message now
    root_ = merge(merge(before, one), after);
}

void SequenceMap::on_vanished(const SequenceSet& uids) {
    std::vector<Piece> pieces;
    collect(root_, pieces);
    std::uint64_t removed = 0, known = 0;
    std::vector<Piece> kept;
    kept.reserve(pieces.size());
    for (const Piece& piece : pieces) {
        if (piece.uid != 0 && uids.contains(piece.uid)) {
            ++removed;
            continue;
        }
        if (piece.uid != 0) ++known;
        kept.push_back(piece);
    }
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
            return at(node).uid;
        }
    }
    return std::nullopt;
}

}  // namespace mailsync::imap
