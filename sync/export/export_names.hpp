// The names `export` gives to what it writes: a mailbox's file or directory, and Maildir message
// files. Pure functions, public for tests.
//
// Mailbox names: the name as the server spells it (modified UTF-7 included), with '%', '/', bytes
// below 0x20, 0x7f and above, and a leading '.' percent-encoded (%2F ...): reversible, never "." or
// "..", never hidden. The hierarchy is flat: "Archive/2023" becomes "Archive%2F2023".
//
// A name whose encoding is longer than max_export_name (a file name holds 255 bytes, and the mbox
// staging file adds 15) is shortened: the encoding cut to fit (never inside a %XX escape), then
// "%~" and the first 16 hex digits of the SHA-256 of the full name. No plain encoding contains
// "%~" ('%' is always escaped), so a shortened name never meets another mailbox's plain one, and
// the same mailbox always gets the same short name. The short name alone is not reversible: the
// export records it (the store's export state, and DIR/.mailsync-long-names for a person reading
// the backup without the store), and says so.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "store/records.hpp"

namespace mailsync::sync {

inline constexpr std::size_t max_export_name = 240;

// The plain encoding, and back (nullopt: not a plain encoding, e.g. a shortened name).
std::string encode_mailbox_file_name(std::string_view mailbox);
std::optional<std::string> decode_mailbox_file_name(std::string_view file_name);

// The name a mailbox is exported under: the plain encoding, or its shortened form when too long.
std::string export_file_name(std::string_view mailbox);
bool is_shortened_name(std::string_view file_name);

// The Maildir base name (without ":2,...") of a message, and the id back from a file name that
// export wrote with this tag (nullopt otherwise).
std::string maildir_base_name(const store::MessageRecord& message, std::string_view tag);
std::optional<store::MessageId> maildir_message_id(std::string_view file_name, std::string_view tag);

}  // namespace mailsync::sync
