#include "cli/arguments.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>
#include <utility>

#include <fmt/core.h>

#include "common/ascii.hpp"
#include "common/error.hpp"

namespace mailsync::cli {

namespace {

[[noreturn]] void bad_input(std::string message) { throw Error(ErrorCategory::bad_input, std::move(message)); }

std::optional<MessageId> parse_number(std::string_view text) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
    }
    MessageId value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

MessageId parse_id_in(std::string_view piece, std::string_view whole) {
    const auto value = parse_number(piece);
    if (!value) bad_input(fmt::format("invalid ids \"{}\": \"{}\" is not a message id", whole, piece));
    if (*value == 0) bad_input(fmt::format("invalid ids \"{}\": ids start at 1", whole));
    return *value;
}

constexpr std::array<std::pair<std::string_view, std::string_view>, 5> system_flags{{
    {"seen", "\\Seen"},
    {"answered", "\\Answered"},
    {"flagged", "\\Flagged"},
    {"deleted", "\\Deleted"},
    {"draft", "\\Draft"},
}};

// RFC 3501 ATOM-CHAR: any CHAR except atom-specials "(" ")" "{" SP CTL "%" "*" DQUOTE "\" "]".
// "[" is refused too: servers differ on it and no sane keyword needs it.
bool is_atom_char(char c) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) return false;
    return std::string_view("(){%*\"\\[]").find(c) == std::string_view::npos;
}

std::string flag_from_name(std::string_view name, std::string_view as_given) {
    const std::string lower = ascii::to_lower(name.starts_with("\\") ? name.substr(1) : name);
    for (const auto& [system_name, wire] : system_flags) {
        if (lower == system_name) return std::string(wire);
    }
    if (name.starts_with("\\")) {
        bad_input(fmt::format("\"{}\": unknown system flag; they are seen, answered, flagged, deleted and draft", as_given));
    }
    if (name.empty()) bad_input(fmt::format("\"{}\": a flag name is missing", as_given));
    const auto bad = std::find_if_not(name.begin(), name.end(), is_atom_char);
    if (bad != name.end()) {
        bad_input(fmt::format("\"{}\": a keyword cannot contain {}", as_given,
                              static_cast<unsigned char>(*bad) > 0x20 && static_cast<unsigned char>(*bad) < 0x7f
                                  ? fmt::format("'{}'", *bad)
                                  : std::string("blanks, control characters or non-ASCII bytes")));
    }
    return std::string(name);
}

std::vector<std::string_view> split_words(std::string_view text, std::string_view separators) {
    std::vector<std::string_view> words;
    std::size_t start = 0;
    while (start < text.size()) {
        const std::size_t end = std::min(text.find_first_of(separators, start), text.size());
        if (end > start) words.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return words;
}

void sort_unique(std::vector<std::string>& flags) {
    std::sort(flags.begin(), flags.end());
    flags.erase(std::unique(flags.begin(), flags.end()), flags.end());
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;
    const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

}  // namespace

std::vector<MessageId> parse_ids(std::string_view text) {
    if (text.empty()) bad_input("missing message ids");
    std::vector<std::pair<MessageId, MessageId>> ranges;
    std::size_t start = 0;
    for (;;) {
        const std::size_t comma = text.find(',', start);
        const std::string_view piece = text.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (piece.empty()) bad_input(fmt::format("invalid ids \"{}\": an empty item between commas", text));
        const std::size_t colon = piece.find(':');
        if (colon == std::string_view::npos) {
            const MessageId id = parse_id_in(piece, text);
            ranges.emplace_back(id, id);
        } else {
            MessageId first = parse_id_in(piece.substr(0, colon), text);
            MessageId last = parse_id_in(piece.substr(colon + 1), text);
            if (first > last) std::swap(first, last);
            ranges.emplace_back(first, last);
        }
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    std::sort(ranges.begin(), ranges.end());
    std::vector<std::pair<MessageId, MessageId>> merged;
    for (const auto& range : ranges) {
        if (!merged.empty() && range.first <= merged.back().second + 1) {
            merged.back().second = std::max(merged.back().second, range.second);
        } else {
            merged.push_back(range);
        }
    }
    std::size_t count = 0;
    for (const auto& [first, last] : merged) {
        const MessageId span = last - first;  // one less than the range's size: cannot overflow
        if (span >= max_ids_per_argument || count + span + 1 > max_ids_per_argument) {
            bad_input(fmt::format("invalid ids \"{}\": more than {} messages at once", text, max_ids_per_argument));
        }
        count += span + 1;
    }
    std::vector<MessageId> ids;
    ids.reserve(count);
    for (const auto& [first, last] : merged) {
        for (MessageId id = first;; ++id) {
            ids.push_back(id);
            if (id == last) break;
        }
    }
    return ids;
}

MessageId parse_id(std::string_view text) { return parse_id_in(text, text); }

FlagChanges parse_flag_changes(std::span<const std::string> arguments) {
    FlagChanges changes;
    for (const std::string& argument : arguments) {
        for (std::string_view change : split_words(argument, " \t")) {
            const char sign = change.front();
            if (sign != '+' && sign != '-') {
                bad_input(fmt::format("\"{}\": a flag change is +NAME or -NAME, e.g. +seen -flagged", change));
            }
            std::string flag = flag_from_name(change.substr(1), change);
            (sign == '+' ? changes.add : changes.remove).push_back(std::move(flag));
        }
    }
    if (changes.add.empty() && changes.remove.empty()) bad_input("no flag change given, e.g. +seen -flagged");
    sort_unique(changes.add);
    sort_unique(changes.remove);
    for (const std::string& flag : changes.add) {
        // Keywords compare without regard to case on the wire, so +Foo -foo is a contradiction too.
        const auto same = [&](const std::string& other) {
            return ascii::iequals(flag, other);
        };
        if (std::any_of(changes.remove.begin(), changes.remove.end(), same)) {
            bad_input(fmt::format("\"{}\" is both added and removed", flag));
        }
    }
    return changes;
}

std::vector<std::string> parse_flag_list(std::string_view text) {
    std::vector<std::string> flags;
    for (std::string_view name : split_words(text, ", \t")) flags.push_back(flag_from_name(name, name));
    sort_unique(flags);
    return flags;
}

Timestamp parse_rfc3339(std::string_view text) {
    const auto fail = [&]() -> Timestamp {
        bad_input(fmt::format("\"{}\": expected an RFC 3339 date such as 2024-05-01T12:30:00Z or 2024-05-01T14:30:00+02:00", text));
    };
    const auto digits = [&](std::size_t position, std::size_t count) -> std::optional<unsigned> {
        if (position + count > text.size()) return std::nullopt;
        unsigned value = 0;
        for (std::size_t i = position; i < position + count; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            value = value * 10 + static_cast<unsigned>(text[i] - '0');
        }
        return value;
    };
    const auto expect = [&](std::size_t position, std::string_view allowed) {
        return position < text.size() && allowed.find(text[position]) != std::string_view::npos;
    };
    const auto year = digits(0, 4), month = digits(5, 2), day = digits(8, 2);
    const auto hour = digits(11, 2), minute = digits(14, 2), second = digits(17, 2);
    if (!year || !month || !day || !hour || !minute || !second || !expect(4, "-") || !expect(7, "-") ||
        !expect(10, "Tt ") || !expect(13, ":") || !expect(16, ":")) {
        return fail();
    }
    constexpr std::array<unsigned, 12> days_in_month{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (*year % 4 == 0 && *year % 100 != 0) || *year % 400 == 0;
    if (*month < 1 || *month > 12 || *day < 1 || *day > days_in_month[*month - 1] ||
        (*month == 2 && *day == 29 && !leap) || *hour > 23 || *minute > 59 || *second > 60) {
        return fail();
    }
    std::size_t position = 19;
    if (expect(position, ".")) {
        ++position;
        const std::size_t fraction_start = position;
        while (position < text.size() && text[position] >= '0' && text[position] <= '9') ++position;
        if (position == fraction_start) return fail();
    }
    int offset_minutes = 0;
    if (expect(position, "Zz") && position + 1 == text.size()) {
        offset_minutes = 0;
    } else if (expect(position, "+-") && position + 6 == text.size() && expect(position + 3, ":")) {
        const auto offset_hours = digits(position + 1, 2), offset_rest = digits(position + 4, 2);
        if (!offset_hours || !offset_rest || *offset_hours > 23 || *offset_rest > 59) return fail();
        offset_minutes = static_cast<int>(*offset_hours * 60 + *offset_rest) * (text[position] == '-' ? -1 : 1);
    } else {
        return fail();
    }
    const std::int64_t local_seconds = days_from_civil(*year, *month, *day) * 86400 +
                                       static_cast<std::int64_t>(*hour * 3600 + *minute * 60 + std::min(*second, 59u));
    return Timestamp{local_seconds - std::int64_t{offset_minutes} * 60, offset_minutes};
}

std::int64_t parse_since(std::string_view text) {
    if (text.size() == 10) {
        try {
            return parse_rfc3339(std::string(text) + "T00:00:00Z").unix_seconds;
        } catch (const Error&) {
            bad_input(fmt::format("\"{}\": expected a date such as 2024-05-01, or an RFC 3339 time", text));
        }
    }
    return parse_rfc3339(text).unix_seconds;
}

}  // namespace mailsync::cli
