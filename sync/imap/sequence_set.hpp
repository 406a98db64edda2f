// A set of UIDs or sequence numbers, kept as sorted, disjoint, non-adjacent ranges.
// RFC 3501 sequence-set; '*' is only meaningful in commands and is written with `star`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mailsync::imap {

struct Range {
    std::uint32_t first = 0;
    std::uint32_t last = 0;  // inclusive; first <= last
    friend bool operator==(const Range&, const Range&) = default;
};

class SequenceSet {
public:
    SequenceSet() = default;
    static SequenceSet from_values(std::vector<std::uint32_t> values);

    void add(std::uint32_t value) { add(Range{value, value}); }
    void add(Range range);
    void add(const SequenceSet& other);
    void remove(std::uint32_t value);

    bool contains(std::uint32_t value) const;
    bool empty() const { return ranges_.empty(); }
    std::uint64_t count() const;  // number of values (may exceed 2^32 - 1 only in theory)
    const std::vector<Range>& ranges() const { return ranges_; }
    std::vector<std::uint32_t> values() const;  // expands; callers bound the size they ask for

    // "1:3,7,9:12"; empty set gives "".
    std::string to_string() const;
    // Splits into pieces whose to_string() is at most max_bytes long each (max_bytes >= 21).
    std::vector<SequenceSet> split(std::size_t max_bytes) const;
    // Strict parse of a sequence-set without '*'; nullopt when malformed or a number is 0 / > 2^32-1.
    static std::optional<SequenceSet> parse(std::string_view text);

    friend bool operator==(const SequenceSet&, const SequenceSet&) = default;

private:
    std::vector<Range> ranges_;
};

}  // namespace mailsync::imap
