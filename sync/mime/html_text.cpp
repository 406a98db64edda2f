#include "sync/mime/html_text.hpp"

#include <array>
#include <cctype>
#include <cstdint>
#include <optional>

#include "common/ascii.hpp"
#include "common/utf8.hpp"

namespace mailsync::mime {
namespace {

// Tags whose content is not text for a reader.
constexpr std::array<std::string_view, 4> skipped_elements = {"script", "style", "head", "title"};
// Tags that end a line of text.
constexpr std::array<std::string_view, 12> block_tags = {"br", "p", "div", "tr", "li", "h1", "h2", "h3",
                                                         "h4", "table", "blockquote", "hr"};

struct NamedReference {
    std::string_view name;
    std::uint32_t code_point;
};
constexpr std::array<NamedReference, 10> named_references = {{{"amp", '&'}, {"lt", '<'}, {"gt", '>'},
                                                              {"quot", '"'}, {"apos", '\''}, {"nbsp", 0xA0},
                                                              {"copy", 0xA9}, {"reg", 0xAE}, {"euro", 0x20AC},
                                                              {"hellip", 0x2026}}};

// The lower-cased name of the tag that starts at html[at] == '<' ("/p" for an end tag).
std::string tag_name(std::string_view html, std::size_t at) {
    std::size_t end = at + 1;
    if (end < html.size() && html[end] == '/') ++end;
    while (end < html.size() && (std::isalnum(static_cast<unsigned char>(html[end])) != 0)) ++end;
    return ascii::to_lower(html.substr(at + 1, end - at - 1));
}

bool contains(const auto& names, std::string_view name) {
    for (const auto candidate : names)
        if (candidate == name) return true;
    return false;
}

// "&amp;", "&#233;", "&#xE9;" at html[at]: the code point and the length; nullopt when not one.
std::optional<std::pair<std::uint32_t, std::size_t>> reference_at(std::string_view html, std::size_t at) {
    const std::size_t semicolon = html.find(';', at);
    if (semicolon == std::string_view::npos || semicolon - at > 10) return std::nullopt;
    const std::string_view body = html.substr(at + 1, semicolon - at - 1);
    const std::size_t length = semicolon - at + 1;
    if (body.size() >= 2 && body[0] == '#') {
        const bool hex = body[1] == 'x' || body[1] == 'X';
        std::uint32_t value = 0;
        const std::string_view digits = body.substr(hex ? 2 : 1);
        if (digits.empty()) return std::nullopt;
        for (char c : digits) {
            int digit = -1;
            if (c >= '0' && c <= '9') digit = c - '0';
            else if (hex && c >= 'a' && c <= 'f') digit = c - 'a' + 10;
            else if (hex && c >= 'A' && c <= 'F') digit = c - 'A' + 10;
            if (digit < 0) return std::nullopt;
            value = value * (hex ? 16u : 10u) + static_cast<std::uint32_t>(digit);
            if (value > 0x10FFFF) return std::nullopt;
        }
        if (value == 0 || (value >= 0xD800 && value <= 0xDFFF)) return std::nullopt;
        return std::pair{value, length};
    }
    for (const auto& reference : named_references)
        if (reference.name == ascii::to_lower(body)) return std::pair{reference.code_point, length};
    return std::nullopt;
}

void append_space(std::string& out) {
    if (!out.empty() && out.back() != ' ' && out.back() != '\n') out += ' ';
}

}  // namespace

std::string html_to_text(std::string_view html) {
    std::string out;
    out.reserve(html.size() / 2);
    std::string skipping_until;   // "/script" while inside <script>
    std::size_t i = 0;
    while (i < html.size()) {
        const char c = html[i];
        if (c == '<') {
            if (html.compare(i, 4, "<!--") == 0) {
                const std::size_t end = html.find("-->", i + 4);
                i = end == std::string_view::npos ? html.size() : end + 3;
                continue;
            }
            const std::string name = tag_name(html, i);
            const std::size_t end = html.find('>', i);
            i = end == std::string_view::npos ? html.size() : end + 1;
            if (!skipping_until.empty()) {
                if (name == skipping_until) skipping_until.clear();
                continue;
            }
            if (contains(skipped_elements, name)) {
                skipping_until = "/" + name;
            } else {
                const std::string_view bare = std::string_view(name).substr(name.starts_with('/') ? 1 : 0);
                if (contains(block_tags, bare)) {
                    if (!out.empty() && out.back() == ' ') out.pop_back();
                    out += '\n';
                } else if (bare == "td" || bare == "th") {
                    append_space(out);   // <td>a</td><td>b</td> is "a b", not "ab"; <b>a</b>b stays "ab"
                }
            }
            continue;
        }
        if (!skipping_until.empty()) {
            ++i;
            continue;
        }
        if (c == '&') {
            if (const auto reference = reference_at(html, i)) {
                if (reference->first == 0xA0) append_space(out);
                else utf8::append(out, reference->first);
                i += reference->second;
                continue;
            }
        }
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            append_space(out);   // white space in HTML source is one space
            ++i;
            continue;
        }
        out += c;
        ++i;
    }
    return out;
}

}  // namespace mailsync::mime
