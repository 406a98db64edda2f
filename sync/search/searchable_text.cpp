// A stand-in until the engine's MIME reader (sync/mime/) is merged: header values as they are
// (unfolded, not decoded) and the body as it is when the message is a single text part.
#include "sync/search/searchable_text.hpp"

#include <algorithm>

#include "common/ascii.hpp"

namespace mailsync::sync::search {
namespace {

// The value of header `name` in the header block, unfolded; "" when absent.
std::string header_value(std::string_view headers, std::string_view name) {
    std::size_t line_start = 0;
    while (line_start < headers.size()) {
        std::size_t line_end = headers.find('\n', line_start);
        if (line_end == std::string_view::npos) line_end = headers.size();
        const std::string_view line = headers.substr(line_start, line_end - line_start);
        const std::size_t colon = line.find(':');
        if (colon != std::string_view::npos && ascii::iequals(line.substr(0, colon), name)) {
            std::string value(line.substr(colon + 1));
            // Continuation lines start with white space.
            while (line_end + 1 < headers.size() && (headers[line_end + 1] == ' ' || headers[line_end + 1] == '\t')) {
                const std::size_t next_end = std::min(headers.find('\n', line_end + 1), headers.size());
                value += headers.substr(line_end + 1, next_end - line_end - 1);
                line_end = next_end;
            }
            return value;
        }
        line_start = line_end + 1;
    }
    return {};
}

}  // namespace

SearchableText searchable_text(std::string_view raw) {
    std::size_t end_of_headers = raw.find("\r\n\r\n");
    std::size_t body_start = end_of_headers + 4;
    if (end_of_headers == std::string_view::npos) {
        end_of_headers = raw.find("\n\n");
        body_start = end_of_headers + 2;
    }
    if (end_of_headers == std::string_view::npos) end_of_headers = body_start = raw.size();
    const std::string_view headers = raw.substr(0, end_of_headers);
    SearchableText text{header_value(headers, "From"), header_value(headers, "To"), header_value(headers, "Cc"),
                        header_value(headers, "Subject"), {}, false};
    const std::string type = ascii::to_lower(header_value(headers, "Content-Type"));
    if (type.find("multipart/mixed") != std::string::npos) text.has_attachment = true;
    if (type.empty() || type.find("text/") != std::string::npos) text.body = raw.substr(std::min(body_start, raw.size()));
    return text;
}

}  // namespace mailsync::sync::search
