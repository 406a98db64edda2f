// A message's parts as IMAP's BODYSTRUCTURE describes them (RFC 3501 §7.4.2, RFC 9051 §7.5.2), for
// a message mirrored as headers and structure only (headers first, sync/pull/body_rule.hpp): `show`
// lists its parts and the search index knows whether it has an attachment before the body is
// downloaded.
//
// The parts are those Message::parts() would list once the body is there: the same section
// numbering, content types, file names decoded the same way (RFC 2231 continuations and charsets,
// RFC 2047 words, by GMime's parameter parser) and the same attachment and body-text rules. Only
// the size differs: the server gives the encoded size, so a base64 part's decoded size is
// estimated (3 bytes for every 4, line breaks left out).
//
// The text is the server's and is hostile input: Limits bound the parts and the nesting, and
// anything that is not a BODYSTRUCTURE gives no parts (valid false), never an exception.
#pragma once

#include <string_view>
#include <vector>

#include "sync/mime/message.hpp"

namespace mailsync::mime {

struct Structure {
    std::vector<Part> parts;
    bool cut = false;     // a limit stopped the walk: parts lists what was found before it
    bool valid = false;   // the text was a BODYSTRUCTURE
};

// `wire`: BODYSTRUCTURE's value as the server sent it, "(" to ")"; a literal keeps its {n} prefix.
Structure parse_body_structure(std::string_view wire, const Limits& limits = {});

}  // namespace mailsync::mime
