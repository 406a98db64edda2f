// Character classes and small helpers of the IMAP wire syntax (RFC 3501 / 9051 section 9), shared
// by the framer and the grammar. Internal to the codec.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailsync::imap::wire {

// CTL = %x00-1F / %x7F
constexpr bool is_ctl(char c) noexcept {
    const auto byte = static_cast<unsigned char>(c);
    return byte < 0x20 || byte == 0x7f;
}

// ATOM-CHAR = <any CHAR except atom-specials>
// atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials
// Bytes above 0x7F are accepted as well: servers put UTF-8 into keywords, and refusing a whole
// FETCH over one odd keyword would stop a sync for nothing.
constexpr bool is_atom_char(char c) noexcept {
    switch (c) {
    case '(': case ')': case '{': case ' ': case '%': case '*': case '"': case '\\': case ']':
        return false;
    default:
        return !is_ctl(c);
    }
}

// ASTRING-CHAR = ATOM-CHAR / resp-specials
constexpr bool is_astring_char(char c) noexcept { return c == ']' || is_atom_char(c); }

constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// A short excerpt of `text` around `position` for error messages, with control and 8-bit bytes
// escaped so that a hostile server cannot write terminal escapes into our logs.
std::string excerpt(std::string_view text, std::size_t position);

// Throws Error(ErrorCategory::protocol): "<problem> in IMAP response near "<excerpt>"".
[[noreturn]] void throw_protocol_error(std::string_view problem, std::string_view text,
                                       std::size_t position);

}  // namespace mailsync::imap::wire
