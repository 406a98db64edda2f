#include "sync/imap/wire_syntax.hpp"

#include <fmt/format.h>

#include "common/error.hpp"

namespace mailsync::imap::wire {

namespace {
constexpr std::size_t excerpt_before = 24;
constexpr std::size_t excerpt_length = 56;
}  // namespace

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
