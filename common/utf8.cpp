#include "common/utf8.hpp"

namespace mailsync::utf8 {

std::optional<std::uint32_t> decode_at(std::string_view text, std::size_t& pos) {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    std::uint32_t code_point = 0;
    std::uint32_t smallest = 0;
    if (lead < 0x80) {
        ++pos;
        return lead;
    } else if (lead >= 0xc2 && lead <= 0xdf) {
        length = 2;
        code_point = lead & 0x1fu;
        smallest = 0x80;
    } else if (lead >= 0xe0 && lead <= 0xef) {
        length = 3;
        code_point = lead & 0x0fu;
        smallest = 0x800;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
        length = 4;
        code_point = lead & 0x07u;
        smallest = 0x10000;
    } else {
        return std::nullopt;
    }
    if (text.size() - pos < length) return std::nullopt;
    for (std::size_t i = 1; i < length; ++i) {
        const auto continuation = static_cast<unsigned char>(text[pos + i]);
        if ((continuation & 0xc0) != 0x80) return std::nullopt;
        code_point = (code_point << 6) | (continuation & 0x3fu);
    }
    const bool surrogate = code_point >= 0xd800 && code_point <= 0xdfff;
    if (code_point < smallest || code_point > 0x10ffff || surrogate) return std::nullopt;
    pos += length;
    return code_point;
}

void append(std::string& out, std::uint32_t code_point) {
    auto byte = [&out](std::uint32_t value) { out.push_back(static_cast<char>(static_cast<unsigned char>(value))); };
    if (code_point < 0x80) {
        byte(code_point);
    } else if (code_point < 0x800) {
        byte(0xc0 | (code_point >> 6));
        byte(0x80 | (code_point & 0x3f));
    } else if (code_point < 0x10000) {
        byte(0xe0 | (code_point >> 12));
        byte(0x80 | ((code_point >> 6) & 0x3f));
        byte(0x80 | (code_point & 0x3f));
    } else {
        byte(0xf0 | (code_point >> 18));
        byte(0x80 | ((code_point >> 12) & 0x3f));
        byte(0x80 | ((code_point >> 6) & 0x3f));
        byte(0x80 | (code_point & 0x3f));
    }
}

bool is_valid(std::string_view text) {
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (static_cast<unsigned char>(text[pos]) < 0x80) ++pos;   // ASCII, most of any text: not decoded
        else if (!decode_at(text, pos)) return false;
    }
    return true;
}

namespace {

void append_escaped_byte(std::string& out, unsigned char byte) {
    constexpr std::string_view hex = "0123456789ABCDEF";
    out += "\\x";
    out += hex[byte >> 4];
    out += hex[byte & 0x0f];
}

bool is_control(std::uint32_t code_point) { return code_point < 0x20 || (code_point >= 0x7f && code_point <= 0x9f); }

}  // namespace

std::string printable(std::string_view text, std::string_view kept) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t start = pos;
        const auto code_point = decode_at(text, pos);
        if (!code_point) {
            append_escaped_byte(out, static_cast<unsigned char>(text[pos]));
            ++pos;
        } else if (is_control(*code_point) && kept.find(static_cast<char>(*code_point)) == std::string_view::npos) {
            for (std::size_t i = start; i < pos; ++i) append_escaped_byte(out, static_cast<unsigned char>(text[i]));
        } else {
            out.append(text.substr(start, pos - start));
        }
    }
    return out;
}

}  // namespace mailsync::utf8
