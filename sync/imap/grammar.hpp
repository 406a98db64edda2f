// The grammar: a recursive-descent parser of one complete response (a Frame from the framer).
// Each parse function is named after the ABNF rule of RFC 3501 / 9051 (or the extension RFC) that
// it implements, and quotes it.
#pragma once

#include "sync/imap/framer.hpp"
#include "sync/imap/response.hpp"

namespace mailsync::imap::detail {

// Throws Error(ErrorCategory::protocol) quoting an excerpt of the frame when it is malformed.
Response parse_response(const Frame& frame);

}  // namespace mailsync::imap::detail
