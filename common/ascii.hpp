// ASCII case folding, the one copy in mailsync: IMAP keywords, capabilities, flags, "INBOX", header
// field names and hex digits compare without regard to case, in ASCII only. Not std::tolower: that
// follows the C locale and needs its argument cast to unsigned char; here bytes outside A-Z and a-z
// (UTF-8 included) are never changed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mailsync::ascii {

constexpr char to_lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
constexpr char to_upper(char c) noexcept { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

inline std::string to_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = to_lower(c);
    return out;
}

inline std::string to_upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = to_upper(c);
    return out;
}

// Same length and the same letters but for case.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_lower(a[i]) != to_lower(b[i])) return false;
    }
    return true;
}

constexpr bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

}  // namespace mailsync::ascii
