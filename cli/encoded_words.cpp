#include "cli/encoded_words.hpp"

#include <iconv.h>

#include <cerrno>
#include <optional>

#include "common/utf8.hpp"


namespace mailsync::cli {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::optional<std::string> decode_q(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '_') {
            out += ' ';
        } else if (text[i] == '=') {
            if (i + 2 >= text.size()) return std::nullopt;
            const int high = hex_value(text[i + 1]), low = hex_value(text[i + 2]);
            if (high < 0 || low < 0) return std::nullopt;
            out += static_cast<char>(high * 16 + low);
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

std::optional<std::string> decode_b(std::string_view text) {
    static constexpr std::string_view alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        if (c == '=') break;
        const auto position = alphabet.find(c);
        if (position == std::string_view::npos) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(position);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    return out;
}

std::optional<std::string> to_utf8(const std::string& charset, const std::string& bytes) {
    iconv_t converter = iconv_open("UTF-8", charset.c_str());
    if (converter == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
    std::string out(bytes.size() * 4 + 16, '\0');
    char* in_pointer = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    char* out_pointer = out.data();
    std::size_t out_left = out.size();
    const std::size_t result = iconv(converter, &in_pointer, &in_left, &out_pointer, &out_left);
    iconv_close(converter);
    if (result == static_cast<std::size_t>(-1)) return std::nullopt;
    out.resize(out.size() - out_left);
    return out;
}

// "=?charset?enc?text?=" starting at `start`: the decoded text and the index past the word.
std::optional<std::pair<std::string, std::size_t>> encoded_word_at(std::string_view header, std::size_t start) {
    if (header.compare(start, 2, "=?") != 0) return std::nullopt;
    const std::size_t charset_end = header.find('?', start + 2);
    if (charset_end == std::string_view::npos || charset_end + 2 >= header.size() || header[charset_end + 2] != '?')
        return std::nullopt;
    const std::size_t text_end = header.find("?=", charset_end + 3);
    if (text_end == std::string_view::npos) return std::nullopt;
    std::string charset(header.substr(start + 2, charset_end - start - 2));
    if (const auto star = charset.find('*'); star != std::string::npos) charset.resize(star);  // RFC 2231 language
    const char encoding = header[charset_end + 1];
    const std::string_view text = header.substr(charset_end + 3, text_end - charset_end - 3);
    if (text.find_first_of(" \t\r\n") != std::string_view::npos) return std::nullopt;
    std::optional<std::string> bytes;
    if (encoding == 'Q' || encoding == 'q') bytes = decode_q(text);
    else if (encoding == 'B' || encoding == 'b') bytes = decode_b(text);
    if (!bytes) return std::nullopt;
    auto decoded = to_utf8(charset, *bytes);
    if (!decoded) return std::nullopt;
    return std::pair{std::move(*decoded), text_end + 2};
}

std::string valid_utf8(const std::string& text) {
    if (utf8::is_valid(text)) return text;
    std::string out;
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x80) out += c;
        else out += "\xEF\xBF\xBD";
    }
    return out;
}

// Folding white space is shown unfolded.
void append_space(std::string& out, std::string_view space) {
    for (char c : space)
        if (c != '\r' && c != '\n') out += c;
}

}  // namespace

std::string decode_encoded_words(std::string_view header) {
    std::string out;
    std::size_t i = 0;
    std::size_t pending_space_start = std::string::npos;  // white space after an encoded word
    bool last_was_encoded = false;
    while (i < header.size()) {
        if (auto word = encoded_word_at(header, i)) {
            // Space between two encoded words is not part of the text (RFC 2047 §6.2).
            if (!last_was_encoded && pending_space_start != std::string::npos)
                append_space(out, header.substr(pending_space_start, i - pending_space_start));
            out += word->first;
            i = word->second;
            last_was_encoded = true;
            pending_space_start = std::string::npos;
            continue;
        }
        const char c = header[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            if (pending_space_start == std::string::npos) pending_space_start = i;
            ++i;
            continue;
        }
        if (pending_space_start != std::string::npos) {
            append_space(out, header.substr(pending_space_start, i - pending_space_start));
            pending_space_start = std::string::npos;
        }
        last_was_encoded = false;
        out += c;
        ++i;
    }
    if (pending_space_start != std::string::npos) append_space(out, header.substr(pending_space_start));
    return valid_utf8(out);
}

}  // namespace mailsync::cli
