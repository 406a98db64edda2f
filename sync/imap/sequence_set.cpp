#include "sync/imap/sequence_set.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

#include "common/error.hpp"

namespace mailsync::imap {
namespace {

constexpr std::uint64_t max_number = std::numeric_limits<std::uint32_t>::max();

void check_nonzero(Range range) {
    if (range.first == 0) {
        throw Error(ErrorCategory::internal, "0 is not a valid UID or message sequence number");
    }
}

Range ordered(Range range) {
    if (range.first > range.last) std::swap(range.first, range.last);
    return range;
}

// Two ranges touch when they overlap or one ends right before the other starts (1:3 and 4:5).
bool touches(const Range& earlier, const Range& later) {
    return std::uint64_t{earlier.last} + 1 >= later.first;
}

// Sorts by start and merges touching ranges in place: the class invariant from arbitrary ranges.
void normalize(std::vector<Range>& ranges) {
    std::sort(ranges.begin(), ranges.end(),
        [](const Range& a, const Range& b) { return a.first < b.first; });
    std::size_t kept = 0;
    for (std::size_t i = 0; i < ranges.size(); ++i) {
        if (kept > 0 && touches(ranges[kept - 1], ranges[i])) {
            ranges[kept - 1].last = std::max(ranges[kept - 1].last, ranges[i].last);
        } else {
            ranges[kept++] = ranges[i];
        }
    }
    ranges.resize(kept);
}

void append_range(std::string& out, const Range& range) {
    out += std::to_string(range.first);
    if (range.last != range.first) {
        out += ':';
        out += std::to_string(range.last);
    }
}

std::size_t text_length(const Range& range) {
    auto digits = [](std::uint32_t n) {
        std::size_t count = 1;
        while (n >= 10) {
            n /= 10;
            ++count;
        }
        return count;
    };
    return range.first == range.last ? digits(range.first) : digits(range.first) + 1 + digits(range.last);
}

// nz-number = digit-nz *DIGIT, at most 2^32-1. Advances `pos` past the digits.
std::optional<std::uint32_t> parse_nz_number(std::string_view text, std::size_t& pos) {
    if (pos >= text.size() || text[pos] < '1' || text[pos] > '9') return std::nullopt;
    std::uint64_t value = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
        value = value * 10 + static_cast<std::uint64_t>(text[pos] - '0');
        if (value > max_number) return std::nullopt;
        ++pos;
    }
    return static_cast<std::uint32_t>(value);
}

}  // namespace

SequenceSet SequenceSet::from_values(std::vector<std::uint32_t> values) {
    SequenceSet set;
    set.ranges_.reserve(values.size());
    for (std::uint32_t value : values) {
        check_nonzero(Range{value, value});
        set.ranges_.push_back(Range{value, value});
    }
    normalize(set.ranges_);
    return set;
}

void SequenceSet::add(Range range) {
    range = ordered(range);
    check_nonzero(range);
    // First range that could touch the new one: the first whose end reaches range.first - 1.
    auto begin = std::lower_bound(ranges_.begin(), ranges_.end(), range,
        [](const Range& existing, const Range& added) { return !touches(existing, added); });
    auto end = begin;
    while (end != ranges_.end() && touches(range, *end)) {
        range.first = std::min(range.first, end->first);
        range.last = std::max(range.last, end->last);
        ++end;
    }
    if (begin == end) {
        ranges_.insert(begin, range);
    } else {
        *begin = range;
        ranges_.erase(begin + 1, end);
    }
}

void SequenceSet::add(const SequenceSet& other) {
    if (other.ranges_.empty()) return;
    std::vector<Range> merged;
    merged.reserve(ranges_.size() + other.ranges_.size());
    std::merge(ranges_.begin(), ranges_.end(), other.ranges_.begin(), other.ranges_.end(),
        std::back_inserter(merged), [](const Range& a, const Range& b) { return a.first < b.first; });
    normalize(merged);
    ranges_ = std::move(merged);
}

void SequenceSet::remove(std::uint32_t value) { remove(Range{value, value}); }

void SequenceSet::remove(Range range) {
    range = ordered(range);
    std::vector<Range> kept;
    kept.reserve(ranges_.size() + 1);
    for (const Range& existing : ranges_) {
        if (existing.last < range.first || existing.first > range.last) {
            kept.push_back(existing);
            continue;
        }
        if (existing.first < range.first) kept.push_back(Range{existing.first, range.first - 1});
        if (existing.last > range.last) kept.push_back(Range{range.last + 1, existing.last});
    }
    ranges_ = std::move(kept);
}

void SequenceSet::remove(const SequenceSet& other) {
    for (const Range& range : other.ranges_) remove(range);
}

bool SequenceSet::contains(std::uint32_t value) const {
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), value,
        [](const Range& range, std::uint32_t v) { return range.last < v; });
    return it != ranges_.end() && it->first <= value;
}

std::uint64_t SequenceSet::count() const {
    std::uint64_t total = 0;
    for (const Range& range : ranges_) total += std::uint64_t{range.last} - range.first + 1;
    return total;
}

std::vector<std::uint32_t> SequenceSet::values() const {
    std::vector<std::uint32_t> out;
    out.reserve(static_cast<std::size_t>(count()));
    for (const Range& range : ranges_) {
        for (std::uint64_t v = range.first; v <= range.last; ++v) out.push_back(static_cast<std::uint32_t>(v));
    }
    return out;
}

std::optional<std::uint32_t> SequenceSet::min() const {
    if (ranges_.empty()) return std::nullopt;
    return ranges_.front().first;
}

std::optional<std::uint32_t> SequenceSet::max() const {
    if (ranges_.empty()) return std::nullopt;
    return ranges_.back().last;
}

std::string SequenceSet::to_string() const {
    std::string out;
    for (const Range& range : ranges_) {
        if (!out.empty()) out += ',';
        append_range(out, range);
    }
    return out;
}

std::vector<SequenceSet> SequenceSet::split(std::size_t max_bytes) const {
    constexpr std::size_t longest_range_text = 21;  // "4294967294:4294967295"
    if (max_bytes < longest_range_text) {
        throw Error(ErrorCategory::internal,
            "sequence set pieces must allow at least 21 bytes so that any single range fits");
    }
    std::vector<SequenceSet> pieces;
    std::size_t piece_length = 0;
    for (const Range& range : ranges_) {
        std::size_t length = text_length(range);
        if (pieces.empty() || piece_length + 1 + length > max_bytes) {
            pieces.emplace_back();
            piece_length = length;
        } else {
            piece_length += 1 + length;
        }
        // Ranges arrive sorted and disjoint, so appending keeps each piece normalized.
        pieces.back().ranges_.push_back(range);
    }
    return pieces;
}

std::optional<SequenceSet> SequenceSet::parse(std::string_view text) {
    // sequence-set = (seq-number / seq-range) ["," sequence-set]; seq-range = seq-number ":" seq-number
    std::vector<Range> ranges;
    std::size_t pos = 0;
    while (true) {
        auto first = parse_nz_number(text, pos);
        if (!first) return std::nullopt;
        Range range{*first, *first};
        if (pos < text.size() && text[pos] == ':') {
            ++pos;
            auto last = parse_nz_number(text, pos);
            if (!last) return std::nullopt;
            range = ordered(Range{*first, *last});
        }
        ranges.push_back(range);
        if (pos == text.size()) break;
        if (text[pos] != ',') return std::nullopt;
        ++pos;
    }
    normalize(ranges);
    SequenceSet set;
    set.ranges_ = std::move(ranges);
    return set;
}

}  // namespace mailsync::imap
