// Modified UTF-7, the mailbox-name encoding of RFC 3501 §5.1.3, and a helper that always gives a
// printable name. Servers with UTF8=ACCEPT (RFC 6855) may send UTF-8 names instead; callers that
// enabled it keep those as they are.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/utf8.hpp"

namespace mailsync::imap {

// Wire form to UTF-8. Only the canonical encoding is accepted, so that
// mutf7_encode(*mutf7_decode(x)) == x: nullopt for bytes outside printable ASCII, bad or
// unterminated base64, non-zero padding bits, extra base64 characters, printable ASCII that was
// encoded, two encoded runs back to back, unpaired surrogates, and U+0000.
std::optional<std::string> mutf7_decode(std::string_view wire);

// UTF-8 to wire form. Throws Error(bad_input) on invalid UTF-8 (overlong forms, surrogates,
// truncated sequences, code points above U+10FFFF) and on U+0000.
std::string mutf7_encode(std::string_view utf8);

// For display and logs: the decoded name, or, when the wire bytes are not valid modified UTF-7,
// those bytes with valid UTF-8 kept and anything else shown as \xNN. Control characters are shown
// as \xNN either way, so a hostile name cannot drive the terminal.
std::string mailbox_display_name(std::string_view wire);

}  // namespace mailsync::imap
