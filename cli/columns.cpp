#include "cli/columns.hpp"

#include <locale.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <wchar.h>

#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "common/utf8.hpp"

namespace mailsync::cli {
namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";   // U+2026, one column

// wcwidth answers for the calling thread's locale; the C.UTF-8 one is used for the question
// without changing the process's locale (which would change how everything else is printed).
int code_point_width(std::uint32_t code_point) {
    static const locale_t utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    if (code_point < 0x7F) return code_point >= 0x20 ? 1 : 0;
    int width = -1;
    if (utf8_locale) {
        const locale_t previous = uselocale(utf8_locale);
        width = ::wcwidth(static_cast<wchar_t>(code_point));
        uselocale(previous);
    }
    return width < 0 ? 1 : width;   // unknown to the table: assume one column
}

// Calls visit(bytes, width) for each character of `text`; stops when it returns false.
template <typename Visit>
void for_each_character(std::string_view text, Visit visit) {
    std::size_t position = 0;
    while (position < text.size()) {
        const std::size_t start = position;
        const auto code_point = utf8::decode_at(text, position);
        if (!code_point) ++position;   // not UTF-8 (the caller made it printable): one column
        const int width = code_point ? code_point_width(*code_point) : 1;
        if (!visit(text.substr(start, position - start), static_cast<std::size_t>(width))) return;
    }
}

}  // namespace

std::size_t display_width(std::string_view text) {
    std::size_t total = 0;
    for_each_character(text, [&](std::string_view, std::size_t width) {
        total += width;
        return true;
    });
    return total;
}

std::string cut_to_width(std::string_view text, std::size_t width) {
    if (display_width(text) <= width) return std::string(text);
    if (width == 0) return {};
    std::string out;
    std::size_t used = 0;
    for_each_character(text, [&](std::string_view character, std::size_t character_width) {
        if (used + character_width > width - 1) return false;   // one column kept for the ellipsis
        out.append(character);
        used += character_width;
        return true;
    });
    return out + std::string(ellipsis);
}

std::string fit_to_width(std::string_view text, std::size_t width) {
    std::string out = cut_to_width(text, width);
    const std::size_t used = display_width(out);
    if (used < width) out.append(width - used, ' ');
    return out;
}

std::string human_size(std::uint64_t bytes) {
    if (bytes < 1000) return std::to_string(bytes) + "B";
    double value = static_cast<double>(bytes);
    for (const char unit : {'K', 'M', 'G', 'T'}) {
        value /= 1024.0;
        if (value < 9.95) return fmt::format("{:.1f}{}", value, unit);
        if (value < 999.5) return fmt::format("{:.0f}{}", value, unit);
    }
    return fmt::format("{:.0f}P", value / 1024.0);
}

std::size_t output_width(bool stdout_is_terminal) {
    if (stdout_is_terminal) {
        winsize size{};
        if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
    }
    if (const char* columns = std::getenv("COLUMNS")) {
        char* end = nullptr;
        const long value = std::strtol(columns, &end, 10);
        if (end != columns && *end == '\0' && value >= 20 && value <= 10000) return static_cast<std::size_t>(value);
    }
    return 80;
}

}  // namespace mailsync::cli
