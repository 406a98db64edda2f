// UTF-8 (RFC 3629) read one code point at a time, written, and checked: the one decoder in
// mailsync, used by modified UTF-7 (sync/imap/mutf7), JSON output and the names people type.
// Well-formed means no overlong forms, no surrogates and nothing above U+10FFFF; U+0000 is valid.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mailsync::utf8 {

// The code point that starts at text[pos], advancing `pos` past it; std::nullopt (and `pos` left
// where it was) when the bytes there are not a well-formed sequence. `pos` must be < text.size().
std::optional<std::uint32_t> decode_at(std::string_view text, std::size_t& pos);

// Appends the UTF-8 form of `code_point` (which must be at most U+10FFFF).
void append(std::string& out, std::uint32_t code_point);

bool is_valid(std::string_view text);

// For a terminal: valid UTF-8 kept, control characters (C0, DEL, C1) and bytes that are not UTF-8
// written as \xNN of their bytes, so text from a server cannot move the cursor, retitle the window
// or clear the screen. Controls listed in `kept` (e.g. "\n\t" for a message body) pass through.
std::string printable(std::string_view text, std::string_view kept = {});

}  // namespace mailsync::utf8
