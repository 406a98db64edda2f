#include "sync/imap/wire_syntax.hpp"

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::imap::wire {

namespace {
constexpr std::size_t excerpt_before = 24;
constexpr std::size_t excerpt_length = 56;
}  // namespace

std::string to_upper(std::string_view text) {
    std::string upper(text);
    for (char& c : upper) c = to_upper(c);
    return upper;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (to_upper(a[i]) != to_upper(b[i])) return false;
    }
    return true;
}

bool istarts_with(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

std::string excerpt(std::string_view text, std::size_t position) {
    const std::size_t start = position > excerpt_before ? position - excerpt_before : 0;
    const std::string_view shown = text.substr(std::min(start, text.size()), excerpt_length);
    std::string out = start > 0 ? "..." : "";
    for (char c : shown) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '\r') {
            out += "\\r";
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (is_ctl(c) || byte >= 0x80) {
            out += fmt::format("\\x{:02x}", byte);
        } else {
            out += c;
        }
    }
    if (start + shown.size() < text.size()) out += "...";
    return out;
}

void throw_protocol_error(std::string_view problem, std::string_view text, std::size_t position) {
    throw Error(ErrorCategory::protocol,
                fmt::format("{} in IMAP response near \"{}\"", problem, excerpt(text, position)));
}

}  // namespace mailsync::imap::wire
