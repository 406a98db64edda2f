// RFC 2047 encoded words in header fields ("=?UTF-8?Q?Ma=C5=82gorzata?="), decoded to UTF-8 for
// display. The store keeps headers as the server sent them; only what is shown to people (and the
// from/subject of --json) is decoded.
#pragma once

#include <string>
#include <string_view>

namespace mailsync::cli {

// Decodes every well-formed encoded word (B or Q, any charset iconv knows) and drops the white
// space between two adjacent encoded words, as RFC 2047 §6.2 asks. A word that is malformed or in
// an unknown charset is left as it is. The result is valid UTF-8: other bytes become U+FFFD.
std::string decode_encoded_words(std::string_view header);

}  // namespace mailsync::cli
