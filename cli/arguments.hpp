// Parsers for the values commands take: message id lists, flag changes, dates. A wrong value is an
// Error(bad_input) that quotes the offending part.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mailsync::cli {

using MessageId = std::uint64_t;

// The most ids one IDS argument may stand for, so that "1:99999999999" cannot exhaust memory.
inline constexpr std::size_t max_ids_per_argument = 1'000'000;

// "4,7:9" → {4, 7, 8, 9}: sorted, without duplicates. A range may be written backwards ("9:7").
std::vector<MessageId> parse_ids(std::string_view text);

// One id, as `show` takes it.
MessageId parse_id(std::string_view text);

struct FlagChanges {
    std::vector<std::string> add;     // as on the wire: "\\Seen", "$Label1"; sorted, no duplicates
    std::vector<std::string> remove;
};

// Each argument holds one or more blank-separated "+NAME" / "-NAME". System flags are named
// without the backslash, in any case (seen answered flagged deleted draft), or as "\\Seen";
// anything else is a keyword, kept verbatim, and must be an IMAP atom.
FlagChanges parse_flag_changes(std::span<const std::string> arguments);

// `append --flags`: names separated by commas or blanks, read as above but without a sign.
std::vector<std::string> parse_flag_list(std::string_view text);

// RFC 3339 "2024-05-01T12:30:00Z" / "...+02:00" (fractions of a second are dropped).
struct Timestamp {
    std::int64_t unix_seconds = 0;
    int utc_offset_minutes = 0;  // kept so that INTERNALDATE shows the zone the user gave
};
Timestamp parse_rfc3339(std::string_view text);
// `list --since`: "2024-05-01" (00:00 UTC that day) or an RFC 3339 time; Unix seconds.
// Error(bad_input) for anything else.
std::int64_t parse_since(std::string_view text);

}  // namespace mailsync::cli
