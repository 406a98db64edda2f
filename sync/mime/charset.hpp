// Text in a declared charset turned into UTF-8: the one rule for bodies (headers are GMime's, with
// the same fallback). The result is always valid UTF-8, whatever the bytes.
#pragma once

#include <string>
#include <string_view>

namespace mailsync::mime {

// `bytes` declared as `charset` (a MIME charset name, any case; "" when none was given), as UTF-8.
// - utf-8: kept, each byte that is not part of a well-formed sequence becomes U+FFFD;
// - us-ascii or none: kept when valid UTF-8, else read as windows-1252 (what a message
//   without a charset that is not UTF-8 nearly always is);
// - a charset iconv knows: converted, a byte sequence that is invalid in it becomes U+FFFD;
// - a charset nobody knows ("x-unknown"): kept when valid UTF-8, else read as windows-1252.
std::string to_utf8(std::string_view bytes, std::string_view charset);

}  // namespace mailsync::mime
