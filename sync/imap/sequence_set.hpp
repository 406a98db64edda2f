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

    // Adding 0 throws Error(internal): it is neither a UID nor a sequence number. A range given
    // backwards (5:2) means the same as 2:5, as on the wire.
    void add(std::uint32_t value) { add(Range{value, value}); }
    void add(Range range);
    void add(const SequenceSet& other);
    void remove(std::uint32_t value);
    void remove(Range range);
    void remove(const SequenceSet& other);

    bool contains(std::uint32_t value) const;
    bool empty() const { return ranges_.empty(); }
    std::uint64_t count() const;  // number of values (may exceed 2^32 - 1 only in theory)
    std::optional<std::uint32_t> min() const;  // nullopt when empty
    std::optional<std::uint32_t> max() const;
    const std::vector<Range>& ranges() const { return ranges_; }
    std::vector<std::uint32_t> values() const;  // expands; callers bound the size they ask for

    // "1:3,7,9:12"; empty set gives "".
    std::string to_string() const;
    // Splits into pieces whose to_string() is at most max_bytes long each, in ascending order;
    // their union is this set. max_bytes < 21 throws Error(internal) (a range can need 21 bytes).
    std::vector<SequenceSet> split(std::size_t max_bytes) const;
    // Strict parse of a sequence-set without '*'; nullopt when malformed or a number is 0 / > 2^32-1
    // or has a leading zero. "3:1" means 1:3. Work and memory grow with the text, not the ranges.
    static std::optional<SequenceSet> parse(std::string_view text);

    friend bool operator==(const SequenceSet&, const SequenceSet&) = default;

private:
    std::vector<Range> ranges_;
};

}  // namespace mailsync::imap
