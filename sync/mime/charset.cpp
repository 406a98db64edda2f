#include "sync/mime/charset.hpp"

#include <iconv.h>

#include <cerrno>
#include <optional>

#include "common/ascii.hpp"
#include "common/utf8.hpp"
#include "sync/mime/gmime_support.hpp"

namespace mailsync::mime {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";   // U+FFFD

bool is_utf8_name(std::string_view charset) {
    const std::string name = ascii::to_lower(charset);
    return name == "utf-8" || name == "utf8";
}

// No charset, or ASCII declared: 8-bit bytes mean the sender did not say; UTF-8 if they are.
bool is_undeclared(std::string_view charset) {
    const std::string name = ascii::to_lower(charset);
    return name.empty() || name == "us-ascii" || name == "ascii";
}

// Declared UTF-8: every well-formed sequence kept, each other byte one U+FFFD. Well-formed runs
// are copied whole and ASCII is not decoded: this runs over every text part the search index reads.
std::string utf8_with_replacement(std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size());
    std::size_t position = 0, run = 0;
    while (position < bytes.size()) {
        if (static_cast<unsigned char>(bytes[position]) < 0x80) {
            ++position;
            continue;
        }
        const std::size_t start = position;
        if (utf8::decode_at(bytes, position)) continue;
        out.append(bytes.substr(run, start - run));
        out += replacement;
        position = run = start + 1;
    }
    out.append(bytes.substr(run));
    return out;
}

// iconv over the whole input; an invalid or incomplete sequence costs one byte and one U+FFFD.
std::string convert(iconv_t converter, std::string_view bytes) {
    std::string out;
    out.reserve(bytes.size() + bytes.size() / 2);
    char* in_pointer = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    char buffer[4096];
    while (in_left > 0) {
        char* out_pointer = buffer;
        std::size_t out_left = sizeof buffer;
        const std::size_t result = iconv(converter, &in_pointer, &in_left, &out_pointer, &out_left);
        out.append(buffer, sizeof buffer - out_left);
        if (result != static_cast<std::size_t>(-1)) continue;
        if (errno == E2BIG) continue;          // buffer full: go on
        out += replacement;                    // EILSEQ or EINVAL: skip one byte
        ++in_pointer;
        --in_left;
        iconv(converter, nullptr, nullptr, nullptr, nullptr);   // back to the initial shift state
    }
    char* out_pointer = buffer;
    std::size_t out_left = sizeof buffer;
    iconv(converter, nullptr, nullptr, &out_pointer, &out_left);   // flush a stateful encoding
    out.append(buffer, sizeof buffer - out_left);
    return out;
}

// Empty when iconv does not know `charset`.
std::optional<std::string> convert_from(const std::string& charset, std::string_view bytes) {
    detail::ensure_gmime();
    // GMime maps MIME's aliases to iconv's names (latin1, iso_8859-1:1987, ks_c_5601-1987, ...).
    // Plain iconv_open: g_mime_iconv_open hands out a converter even for a charset iconv lacks.
    const iconv_t converter = iconv_open("UTF-8", g_mime_charset_iconv_name(charset.c_str()));
    if (converter == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    std::string out = convert(converter, bytes);
    iconv_close(converter);
    // glibc's UTF-8 output can hold what is not UTF-8: from a name GMime maps to UTF-8 ("UTF-8&"),
    // or from UTF-32, a code point past U+10FFFF comes out as a 4-byte sequence led by F5..F7
    // (found by fuzz_mime). Such sequences are replaced as any other invalid one.
    return utf8::is_valid(out) ? out : utf8_with_replacement(out);
}

std::string utf8_or_windows_1252(std::string_view bytes) {
    if (utf8::is_valid(bytes)) return std::string(bytes);
    return convert_from("windows-1252", bytes).value_or(std::string());
}

}  // namespace

std::string to_utf8(std::string_view bytes, std::string_view charset) {
    if (is_utf8_name(charset)) return utf8_with_replacement(bytes);
    if (is_undeclared(charset)) return utf8_or_windows_1252(bytes);
    if (auto converted = convert_from(std::string(charset), bytes)) return std::move(*converted);
    return utf8_or_windows_1252(bytes);
}

}  // namespace mailsync::mime
