// Mailbox names between the server's spelling and people's: the store keeps names as the server
// sent them (modified UTF-7, RFC 3501 §5.1.3, or UTF-8 from a server with UTF8=ACCEPT); people read
// and type UTF-8. What cli/ needs of sync/imap/mutf7 and nothing more.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sync/imap/mutf7.hpp"

namespace mailsync::sync {

// For display and logs: the decoded name, or the wire bytes with anything unprintable as \xNN
// (a hostile name cannot drive the terminal).
using imap::mailbox_display_name;

// The display name in single quotes, as messages about a mailbox quote it.
inline std::string quoted_display_name(std::string_view wire) { return "'" + mailbox_display_name(wire) + "'"; }

// The wire form of a name a person typed, to look it up in the store: std::nullopt when the text
// has none (it is not UTF-8, or contains U+0000); the caller may then try the text as given.
std::optional<std::string> mailbox_wire_name(std::string_view typed);

// Whether a name a person typed names the mailbox called `wire` on the server: INBOX in any case
// (RFC 3501 §5.1), else the typed name's wire form, or the typed name itself (UTF8=ACCEPT). The
// one rule; sync/local's find_mailbox is the store lookup that follows it.
bool names_mailbox(std::string_view typed, std::string_view wire);

}  // namespace mailsync::sync
