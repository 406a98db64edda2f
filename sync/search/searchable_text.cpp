// The index's text, from the engine's MIME reader (sync/mime/): one parse per message, for the
// header fields, the text parts and whether any part is an attachment.
#include "sync/search/searchable_text.hpp"

#include "sync/mime/message.hpp"

namespace mailsync::sync::search {
namespace {

void append(std::string& to, std::string_view text) {
    if (text.empty()) return;
    if (!to.empty()) to += '\n';
    to.append(text);
}

}  // namespace

SearchableText searchable_text(std::string_view raw) {
    mime::Limits limits;
    limits.measure_sizes = false;   // a decode of every part, which the index does not need
    const mime::Message message = mime::Message::parse(raw, limits);
    const mime::Headers& headers = message.headers();
    SearchableText text{headers.from, headers.to, headers.cc, headers.subject, {}, false};
    // As mime::text_for_search reads a message: every text part at any depth (text attachments
    // too), and the headers of enclosed messages.
    for (const auto& part : message.parts()) {
        if (part.attachment || !part.file_name.empty()) text.has_attachment = true;
        if (text.body.size() >= limits.max_text_bytes) continue;
        if (part.content_type.starts_with("message/")) {
            const mime::Headers enclosed = message.enclosed_headers(part.section);
            for (const auto* value : {&enclosed.from, &enclosed.to, &enclosed.cc, &enclosed.subject}) append(text.body, *value);
        } else if (part.content_type.starts_with("text/")) {
            if (auto part_text = message.part_text(part.section)) append(text.body, *part_text);
        }
    }
    return text;
}

}  // namespace mailsync::sync::search
