#include "cli/message_text.hpp"

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "cli/encoded_words.hpp"
#include "common/ascii.hpp"
#include "common/utf8.hpp"

namespace mailsync::cli {
namespace {

struct Part {
    std::vector<std::pair<std::string, std::string>> headers;   // lower-cased name, unfolded value
    std::string body;

    std::string header(const std::string& name) const {
        for (const auto& [key, value] : headers)
            if (key == name) return value;
        return {};
    }
};

// Header block up to the first empty line, then the rest.
Part split_part(const std::string& text) {
    Part part;
    std::size_t position = 0;
    while (position < text.size()) {
        std::size_t end = text.find('\n', position);
        if (end == std::string::npos) end = text.size();
        std::string line = text.substr(position, end - position);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        position = end + 1;
        if (line.empty()) break;
        if ((line[0] == ' ' || line[0] == '\t') && !part.headers.empty()) {
            part.headers.back().second += " " + line.substr(line.find_first_not_of(" \t"));
            continue;
        }
        const auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, std::min(value.find_first_not_of(" \t"), value.size()));
        part.headers.emplace_back(ascii::to_lower(line.substr(0, colon)), value);
    }
    part.body = position < text.size() ? text.substr(position) : std::string();
    return part;
}

std::optional<std::string> parameter(const std::string& header_value, const std::string& name) {
    const std::string folded = ascii::to_lower(header_value);
    const auto at = folded.find(name + "=");
    if (at == std::string::npos) return std::nullopt;
    std::string value = header_value.substr(at + name.size() + 1);
    if (!value.empty() && value[0] == '"') {
        const auto close = value.find('"', 1);
        return value.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    }
    return value.substr(0, value.find_first_of("; \t\r\n"));
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

std::string decode_quoted_printable(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '=') {
            out += text[i];
            continue;
        }
        if (i + 1 < text.size() && (text[i + 1] == '\r' || text[i + 1] == '\n')) {   // soft line break
            i += (text[i + 1] == '\r' && i + 2 < text.size() && text[i + 2] == '\n') ? 2u : 1u;
            continue;
        }
        if (i + 2 < text.size() && hex_value(text[i + 1]) >= 0 && hex_value(text[i + 2]) >= 0) {
            out += static_cast<char>(static_cast<unsigned char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])));
            i += 2;
            continue;
        }
        out += '=';
    }
    return out;
}

std::string decode_base64(const std::string& text) {
    std::string out;
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        int value = -1;
        if (c >= 'A' && c <= 'Z') value = c - 'A';
        else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
        else if (c >= '0' && c <= '9') value = c - '0' + 52;
        else if (c == '+') value = 62;
        else if (c == '/') value = 63;
        if (value < 0) continue;
        buffer = (buffer << 6) | static_cast<unsigned>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xff);
        }
    }
    return out;
}

std::string decoded_body(const Part& part) {
    const std::string encoding = ascii::to_lower(part.header("content-transfer-encoding"));
    if (encoding.find("quoted-printable") != std::string::npos) return decode_quoted_printable(part.body);
    if (encoding.find("base64") != std::string::npos) return decode_base64(part.body);
    return part.body;
}

// The first text/plain part, depth-first; nullopt when there is none.
std::optional<std::string> first_text(const Part& part, int depth) {
    const std::string type = ascii::to_lower(part.header("content-type"));
    if (type.empty() || type.starts_with("text/plain")) return decoded_body(part);
    if (!type.starts_with("multipart/") || depth > 8) return std::nullopt;
    const auto boundary = parameter(part.header("content-type"), "boundary");
    if (!boundary || boundary->empty()) return std::nullopt;
    const std::string delimiter = "--" + *boundary;
    std::size_t position = part.body.find(delimiter);
    while (position != std::string::npos) {
        std::size_t start = part.body.find('\n', position);
        if (start == std::string::npos) break;
        ++start;
        const std::size_t next = part.body.find(delimiter, start);
        const std::string child = part.body.substr(start, next == std::string::npos ? std::string::npos : next - start);
        if (auto text = first_text(split_part(child), depth + 1)) return text;
        position = next;
    }
    return std::nullopt;
}

}  // namespace

std::string message_as_text(std::istream& message, std::size_t max_bytes) {
    std::string text(max_bytes, '\0');
    message.read(text.data(), static_cast<std::streamsize>(max_bytes));
    text.resize(static_cast<std::size_t>(message.gcount()));
    const Part top = split_part(text);
    std::string out;
    for (const char* name : {"from", "to", "cc", "date", "subject"}) {
        const std::string value = top.header(name);
        if (value.empty()) continue;
        std::string label = name;
        label[0] = ascii::to_upper(label[0]);
        out += label + ": " + utf8::printable(decode_encoded_words(value)) + "\n";
    }
    out += "\n";
    if (auto body = first_text(top, 0)) {
        std::string cleaned;
        for (char c : *body)
            if (c != '\r') cleaned += c;
        out += utf8::printable(cleaned, "\n\t");
    } else {
        out += "(no text part)\n";
    }
    return out;
}

}  // namespace mailsync::cli
