// What the full-text index reads of a message: its decoded header values and the text of every
// text/* part, as UTF-8.
#pragma once

#include <string>
#include <string_view>

#include "sync/mime/message.hpp"

namespace mailsync::mime {

// The decoded values of From, To, Cc and Subject (names and addresses), then the text of every
// text/* part at any depth (attachments and enclosed messages included, whose From, To, Cc and
// Subject come too), charsets converted to UTF-8 and text/html reduced to its text, separated by
// line breaks. Cut at limits.max_text_bytes (on a character boundary). Valid UTF-8.
std::string text_for_search(std::string_view raw, const Limits& limits = {});

}  // namespace mailsync::mime
