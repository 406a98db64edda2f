// The index's text, from the engine's MIME reader (sync/mime/): one parse per message, for the
// header fields, the text parts and whether any part is an attachment.
#include "sync/search/searchable_text.hpp"

#include <algorithm>
#include <vector>

#include "sync/mime/body_structure.hpp"
#include "sync/mime/message.hpp"

namespace mailsync::sync::search {
namespace {

// "1.2" -> "1."; "2" -> "".
std::string_view parent_of(std::string_view section) {
    const std::size_t dot = section.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : section.substr(0, dot + 1);
}

// An HTML part beside a plain-text part (multipart/alternative) is the same text in another form:
// indexing it too would double the index's work and size and find nothing more.
bool is_html_alternative(const mime::Part& part, const std::vector<mime::Part>& parts) {
    if (part.content_type != "text/html" || part.attachment) return false;
    return std::any_of(parts.begin(), parts.end(), [&](const mime::Part& other) {
        return other.content_type == "text/plain" && !other.attachment && parent_of(other.section) == parent_of(part.section);
    });
}

bool is_attachment(const mime::Part& part) { return part.attachment || !part.file_name.empty(); }

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
    // too, HTML alternatives of a plain text not), and the headers of enclosed messages.
    for (const auto& part : message.parts()) {
        if (is_attachment(part)) text.has_attachment = true;
        if (text.body.size() >= limits.max_text_bytes) continue;
        if (part.content_type.starts_with("message/")) {
            const mime::Headers enclosed = message.enclosed_headers(part.section);
            for (const auto* value : {&enclosed.from, &enclosed.to, &enclosed.cc, &enclosed.subject}) append(text.body, *value);
        } else if (part.content_type.starts_with("text/") && !is_html_alternative(part, message.parts())) {
            if (auto part_text = message.part_text(part.section)) append(text.body, *part_text);
        }
    }
    return text;
}

bool structure_has_attachment(std::string_view body_structure) {
    const auto parts = mime::parse_body_structure(body_structure).parts;
    return std::any_of(parts.begin(), parts.end(), is_attachment);
}

}  // namespace mailsync::sync::search
