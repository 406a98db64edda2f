// What the index takes from one message: the decoded header values it searches by field, the
// decoded text of its text parts, and whether it has attachments. Decoding MIME (transfer
// encodings, charsets, RFC 2047 words) is not this room's business: searchable_text() hands the
// raw message to the one MIME reader of the engine and keeps what the index needs.
#pragma once

#include <string>
#include <string_view>

namespace mailsync::sync::search {

struct SearchableText {
    std::string from, to, cc, subject;   // decoded header values, UTF-8
    std::string body;                    // the decoded text of every text part, UTF-8
    bool has_attachment = false;
};

// The message's searchable text. Never throws for malformed mail: what cannot be decoded is left
// out, and a message that is not MIME at all is indexed as plain text.
SearchableText searchable_text(std::string_view raw_message);

// Whether a message mirrored as headers only (headers first) has attachments, read from the
// server's BODYSTRUCTURE by the rule searchable_text() applies to the parts of a whole message.
bool structure_has_attachment(std::string_view body_structure);

// Changes whenever searchable_text() would give other text for the same bytes (a better decoder):
// the index re-reads every body when the version it was built with differs.
inline constexpr int searchable_text_version = 2;   // 2: sync/mime (GMime) instead of raw text

}  // namespace mailsync::sync::search
