#include "sync/imap/mutf7.hpp"

#include <array>
#include <cstdint>
#include <vector>

#include "common/error.hpp"
#include "common/utf8.hpp"

namespace mailsync::imap {
namespace {

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int base64_value(char c) {
    auto position = base64_alphabet.find(c);
    return position == std::string_view::npos ? -1 : static_cast<int>(position);
}

bool printable_ascii(std::uint32_t c) { return c >= 0x20 && c <= 0x7e; }

// Decodes the base64 run between '&' and '-' into UTF-8, appending to `out`.
bool decode_run(std::string_view run, std::string& out) {
    std::vector<std::uint16_t> units;
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (char c : run) {
        int value = base64_value(c);
        if (value < 0) return false;
        bits = (bits << 6) | static_cast<std::uint32_t>(value);
        bit_count += 6;
        if (bit_count >= 16) {
            bit_count -= 16;
            units.push_back(static_cast<std::uint16_t>(bits >> bit_count));
            bits &= (1u << bit_count) - 1;
        }
    }
    // Shortest form: fewer than 6 bits left over (else a whole character was unnecessary), all zero.
    if (units.empty() || bit_count >= 6 || bits != 0) return false;
    for (std::size_t i = 0; i < units.size(); ++i) {
        std::uint32_t unit = units[i];
        std::uint32_t code_point = unit;
        if (unit >= 0xd800 && unit <= 0xdbff) {
            if (i + 1 == units.size() || units[i + 1] < 0xdc00 || units[i + 1] > 0xdfff) return false;
            code_point = 0x10000 + ((unit - 0xd800) << 10) + (std::uint32_t{units[i + 1]} - 0xdc00);
            ++i;
        } else if (unit >= 0xdc00 && unit <= 0xdfff) {
            return false;
        }
        if (code_point == 0 || printable_ascii(code_point)) return false;
        utf8::append(out, code_point);
    }
    return true;
}

void encode_run(const std::vector<std::uint16_t>& units, std::string& out) {
    out += '&';
    std::uint32_t bits = 0;
    int bit_count = 0;
    for (std::uint16_t unit : units) {
        bits = (bits << 16) | unit;
        bit_count += 16;
        while (bit_count >= 6) {
            bit_count -= 6;
            out += base64_alphabet[(bits >> bit_count) & 0x3f];
        }
        bits &= (1u << bit_count) - 1;
    }
    if (bit_count > 0) out += base64_alphabet[(bits << (6 - bit_count)) & 0x3f];
    out += '-';
}

}  // namespace

std::optional<std::string> mutf7_decode(std::string_view wire) {
    std::string out;
    out.reserve(wire.size());
    bool previous_was_run = false;
    std::size_t pos = 0;
    while (pos < wire.size()) {
        auto byte = static_cast<unsigned char>(wire[pos]);
        if (byte != '&') {
            if (!printable_ascii(byte)) return std::nullopt;
            out += static_cast<char>(byte);
            previous_was_run = false;
            ++pos;
            continue;
        }
        auto end = wire.find('-', pos + 1);
        if (end == std::string_view::npos) return std::nullopt;
        auto run = wire.substr(pos + 1, end - pos - 1);
        if (run.empty()) {
            out += '&';
            previous_was_run = false;
        } else {
            // Two runs back to back would have been one run in the canonical encoding.
            if (previous_was_run || !decode_run(run, out)) return std::nullopt;
            previous_was_run = true;
        }
        pos = end + 1;
    }
    return out;
}

std::string mutf7_encode(std::string_view text) {
    std::string out;
    std::vector<std::uint16_t> pending;  // UTF-16 units of the current non-ASCII run
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto code_point = utf8::decode_at(text, pos);
        if (!code_point) {
            throw Error(ErrorCategory::bad_input,
                "mailbox name is not valid UTF-8 (byte " + std::to_string(pos) + ")");
        }
        if (*code_point == 0) throw Error(ErrorCategory::bad_input, "mailbox name contains a NUL character");
        if (printable_ascii(*code_point)) {
            if (!pending.empty()) {
                encode_run(pending, out);
                pending.clear();
            }
            out += *code_point == '&' ? std::string_view("&-") : std::string_view(text.data() + pos - 1, 1);
        } else if (*code_point < 0x10000) {
            pending.push_back(static_cast<std::uint16_t>(*code_point));
        } else {
            std::uint32_t offset = *code_point - 0x10000;
            pending.push_back(static_cast<std::uint16_t>(0xd800 + (offset >> 10)));
            pending.push_back(static_cast<std::uint16_t>(0xdc00 + (offset & 0x3ff)));
        }
    }
    if (!pending.empty()) encode_run(pending, out);
    return out;
}

std::string mailbox_display_name(std::string_view wire) {
    if (auto decoded = mutf7_decode(wire)) return utf8::printable(*decoded);
    return utf8::printable(wire);
}

}  // namespace mailsync::imap
