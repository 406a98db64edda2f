#include "sync/mime/message.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/ascii.hpp"
#include "common/error.hpp"
#include "sync/mime/body_structure.hpp"
#include "sync/mime/charset.hpp"
#include "sync/mime/gmime_support.hpp"
#include "sync/mime/html_text.hpp"

namespace mailsync::mime {

using detail::Ref;
using detail::take_string;

namespace {

// Counts the lines that start with "--" (every MIME part needs one), fed in chunks. Every message
// the index reads passes here whole, attachments too: between line starts it skips with memchr
// (a byte-by-byte loop was 4 % of `search --reindex`'s CPU on the realistic mix, issue 13).
struct BoundaryLineCounter {
    std::size_t count = 0;
    bool line_start = true;
    bool dash_at_line_start = false;

    void feed(std::string_view text) {
        const char* next = text.data();
        const char* const end = next + text.size();
        while (next != end) {
            // Bytes that follow a line start, one at a time; then on to the next line feed, over
            // bytes that change nothing (neither flag is set, and a byte other than '\n' keeps it so).
            while (next != end && (line_start || dash_at_line_start)) step(*next++);
            if (next == end) return;
            const void* newline = std::memchr(next, '\n', static_cast<std::size_t>(end - next));
            if (!newline) return;
            next = static_cast<const char*>(newline) + 1;
            line_start = true;
        }
    }

private:
    void step(char c) {
        if (dash_at_line_start && c == '-') ++count;
        dash_at_line_start = line_start && c == '-';
        line_start = c == '\n';
    }
};

// The header block of `raw`: up to the first empty line, and never past a line that starts with
// "--" (without an empty line GMime would take such a line as the start of the body).
std::string_view header_block(std::string_view raw) {
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '\n') continue;
        if (i + 1 < raw.size() && raw[i + 1] == '\n') return raw.substr(0, i + 2);
        if (i + 2 < raw.size() && raw[i + 1] == '\r' && raw[i + 2] == '\n') return raw.substr(0, i + 3);
        if (i + 2 < raw.size() && raw[i + 1] == '-' && raw[i + 2] == '-') return raw.substr(0, i + 1);
    }
    return raw;
}

std::string raw_header(GMimeObject* object, const char* name) {
    GMimeHeaderList* list = g_mime_object_get_header_list(object);
    GMimeHeader* header = list ? g_mime_header_list_get_header(list, name) : nullptr;
    const char* value = header ? g_mime_header_get_raw_value(header) : nullptr;
    return value ? value : "";
}

std::string trimmed(std::string text) {
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    const auto last = text.find_last_not_of(" \t\r\n");
    return text.substr(first, last - first + 1);
}

Headers headers_of(GMimeObject* message) {
    Headers headers;
    headers.from = trimmed(decode_header_text(raw_header(message, "From")));
    headers.to = trimmed(decode_header_text(raw_header(message, "To")));
    headers.cc = trimmed(decode_header_text(raw_header(message, "Cc")));
    headers.subject = trimmed(decode_header_text(raw_header(message, "Subject")));
    headers.date = trimmed(decode_header_text(raw_header(message, "Date")));
    headers.message_id = trimmed(decode_header_text(raw_header(message, "Message-ID")));
    headers.from_addresses = parse_addresses(raw_header(message, "From"));
    headers.to_addresses = parse_addresses(raw_header(message, "To"));
    headers.cc_addresses = parse_addresses(raw_header(message, "Cc"));
    if (!headers.date.empty()) headers.parsed_date = parse_date(headers.date);
    return headers;
}

std::string content_type_of(GMimeObject* object) {
    GMimeContentType* type = g_mime_object_get_content_type(object);
    if (!type) return "text/plain";
    return ascii::to_lower(take_string(g_mime_content_type_get_mime_type(type)));
}

// Reads a leaf part's content with its transfer encoding undone, chunk by chunk, into `sink`
// until it returns false. False when the part has no content.
bool read_decoded(GMimePart* part, const std::function<bool(std::string_view)>& sink) {
    GMimeDataWrapper* content = g_mime_part_get_content(part);
    GMimeStream* source = content ? g_mime_data_wrapper_get_stream(content) : nullptr;
    if (!source) return false;
    g_mime_stream_reset(source);
    const Ref<GMimeStream> filtered(g_mime_stream_filter_new(source));
    const GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
    if (encoding == GMIME_CONTENT_ENCODING_BASE64 || encoding == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        encoding == GMIME_CONTENT_ENCODING_UUENCODE) {
        const Ref<GMimeFilter> decoder(g_mime_filter_basic_new(encoding, FALSE));
        g_mime_stream_filter_add(GMIME_STREAM_FILTER(filtered.get()), decoder.get());
    }
    char buffer[64 * 1024];
    while (true) {
        const gssize got = g_mime_stream_read(filtered.get(), buffer, sizeof buffer);
        if (got <= 0) break;
        if (!sink(std::string_view(buffer, static_cast<std::size_t>(got)))) break;
    }
    g_mime_stream_reset(source);
    return true;
}

// The enclosed message of a message/rfc822 part, as GMime writes it back: its headers and body as
// they were parsed, with the line ends of the outer message (CRLF from a server). For a
// well-formed message these are its bytes; GMime keeps no byte range to copy instead.
std::string enclosed_message_bytes(GMimeMessagePart* part, bool crlf) {
    GMimeMessage* message = g_mime_message_part_get_message(part);
    if (!message) return {};
    const Ref<GMimeStream> memory(g_mime_stream_mem_new());
    GMimeFormatOptions* format = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(format, crlf ? GMIME_NEWLINE_FORMAT_DOS : GMIME_NEWLINE_FORMAT_UNIX);
    g_mime_object_write_to_stream(GMIME_OBJECT(message), format, memory.get());
    g_mime_format_options_free(format);
    GByteArray* bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(memory.get()));
    return std::string(reinterpret_cast<const char*>(bytes->data), bytes->len);
}

bool first_line_ends_crlf(std::string_view raw) {
    const std::size_t newline = raw.find('\n');
    return newline != std::string_view::npos && newline > 0 && raw[newline - 1] == '\r';
}

// What open() keeps of a message whose structure is not parsed.
constexpr std::size_t max_header_block = 1u << 20;

}  // namespace

struct Message::Impl {
    Limits limits;
    Ref<GMimeMessage> message;
    Headers headers;
    std::vector<Part> parts;
    std::vector<GMimeObject*> objects;   // parallel to parts; owned by `message`
    bool cut = false;
    bool headers_only = false;
    bool crlf = false;   // the message's first line ends with CRLF

    std::size_t index_of(std::string_view section) const {
        for (std::size_t i = 0; i < parts.size(); ++i)
            if (parts[i].section == section) return i;
        return parts.size();
    }

    void add(GMimeObject* object, std::string section, bool inside_message) {
        Part part;
        part.section = std::move(section);
        part.content_type = content_type_of(object);
        if (const char* charset = g_mime_object_get_content_type_parameter(object, "charset")) part.charset = charset;
        if (GMIME_IS_PART(object)) {
            GMimePart* leaf = GMIME_PART(object);
            if (const char* name = g_mime_part_get_filename(leaf)) part.file_name = to_utf8(name, "utf-8");
            part.attachment = g_mime_part_is_attachment(leaf) != FALSE;
            if (limits.measure_sizes)
                read_decoded(leaf, [&](std::string_view chunk) {
                    part.size += chunk.size();
                    return true;
                });
        } else if (GMIME_IS_MESSAGE_PART(object)) {
            if (const char* name = g_mime_object_get_content_disposition_parameter(object, "filename"))
                part.file_name = to_utf8(name, "utf-8");
            const char* disposition = g_mime_object_get_disposition(object);
            part.attachment = disposition && ascii::iequals(disposition, "attachment");
            if (limits.measure_sizes) part.size = enclosed_message_bytes(GMIME_MESSAGE_PART(object), crlf).size();
        }
        part.enclosed = inside_message;
        parts.push_back(std::move(part));
        objects.push_back(object);
    }

    static std::string join(const std::string& prefix, int number) {
        return prefix.empty() ? std::to_string(number) : prefix + "." + std::to_string(number);
    }

    // The parts of a message's body: a multipart's children are prefix.1, prefix.2, ...; a body
    // that is not multipart is prefix.1 (RFC 3501 §6.4.5).
    void walk_body(GMimeObject* body, const std::string& prefix, int depth, bool inside_message) {
        if (GMIME_IS_MULTIPART(body)) walk_children(GMIME_MULTIPART(body), prefix, depth, inside_message);
        else visit(body, join(prefix, 1), depth, inside_message);
    }

    void walk_children(GMimeMultipart* multipart, const std::string& prefix, int depth, bool inside_message) {
        const int count = g_mime_multipart_get_count(multipart);
        for (int i = 0; i < count && !cut; ++i)
            visit(g_mime_multipart_get_part(multipart, i), join(prefix, i + 1), depth, inside_message);
    }

    void visit(GMimeObject* object, const std::string& section, int depth, bool inside_message) {
        if (depth > limits.max_depth || parts.size() >= limits.max_parts) {
            cut = true;
            return;
        }
        if (GMIME_IS_MULTIPART(object)) {
            walk_children(GMIME_MULTIPART(object), section, depth + 1, inside_message);
        } else if (GMIME_IS_MESSAGE_PART(object)) {
            add(object, section, inside_message);
            GMimeMessage* enclosed = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
            if (GMimeObject* body = enclosed ? g_mime_message_get_mime_part(enclosed) : nullptr)
                walk_body(body, section, depth + 1, true);
        } else if (GMIME_IS_PART(object)) {
            add(object, section, inside_message);
        }
    }
};

namespace {

std::unique_ptr<Message::Impl> parse_stream(GMimeStream* stream, const Limits& limits, bool cut, bool crlf) {
    auto impl = std::make_unique<Message::Impl>();
    impl->limits = limits;
    impl->cut = cut;
    impl->crlf = crlf;
    const Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream));
    g_mime_parser_set_format(parser.get(), GMIME_FORMAT_MESSAGE);
    impl->message.reset(g_mime_parser_construct_message(parser.get(), detail::parser_options()));
    if (!impl->message) impl->message.reset(g_mime_message_new(FALSE));   // e.g. empty input
    GMimeObject* top = GMIME_OBJECT(impl->message.get());
    impl->headers = headers_of(top);
    if (GMimeObject* body = g_mime_message_get_mime_part(impl->message.get())) impl->walk_body(body, "", 0, false);
    mark_body_text(impl->parts);
    return impl;
}

// Too many parts to build: only the header block is given to GMime, and the message says so.
std::unique_ptr<Message::Impl> parse_header_block(std::string_view raw, const Limits& limits) {
    const std::string_view block = header_block(raw);
    const Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(block.data(), block.size()));
    return parse_stream(stream.get(), limits, true, first_line_ends_crlf(block));
}

std::unique_ptr<Message::Impl> parse_bytes(std::string_view raw, const Limits& limits) {
    detail::ensure_gmime();
    BoundaryLineCounter counter;
    counter.feed(raw);
    if (counter.count > limits.max_boundary_lines) return parse_header_block(raw, limits);
    const Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(raw.data(), raw.size()));
    return parse_stream(stream.get(), limits, false, first_line_ends_crlf(raw));
}

}  // namespace

Message::Message(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Message::Message(Message&&) noexcept = default;
Message& Message::operator=(Message&&) noexcept = default;
Message::~Message() = default;

Message Message::parse(std::string_view raw, const Limits& limits) { return Message(parse_bytes(raw, limits)); }

Message Message::open(const std::filesystem::path& file, const Limits& limits) {
    detail::ensure_gmime();
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(ErrorCategory::io, "cannot read " + file.string() + ": " + std::strerror(errno));
    // One pass to count the boundary lines (and keep the header block, in case they are too many).
    BoundaryLineCounter counter;
    std::string head;
    char buffer[64 * 1024];
    while (true) {
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            const int error = errno;
            ::close(fd);
            throw Error(ErrorCategory::io, "cannot read " + file.string() + ": " + std::strerror(error));
        }
        if (got == 0) break;
        const std::string_view chunk(buffer, static_cast<std::size_t>(got));
        counter.feed(chunk);
        if (head.size() < max_header_block) head.append(chunk.substr(0, max_header_block - head.size()));
    }
    if (counter.count > limits.max_boundary_lines) {
        ::close(fd);
        return Message(parse_header_block(head, limits));
    }
    ::lseek(fd, 0, SEEK_SET);
    const Ref<GMimeStream> stream(g_mime_stream_fs_new(fd));   // owns fd; content stays on disk
    return Message(parse_stream(stream.get(), limits, false, first_line_ends_crlf(head)));
}

void mark_body_text(std::vector<Part>& parts) {
    for (const char* type : {"text/plain", "text/html"}) {
        for (auto& part : parts) {
            if (part.content_type == type && !part.attachment && !part.enclosed) {
                part.body_text = true;
                return;
            }
        }
    }
}

Message Message::open_headers_only(const std::filesystem::path& header_file, std::string_view body_structure,
                                   const Limits& limits) {
    Message message = open(header_file, limits);
    Structure structure = parse_body_structure(body_structure, limits);
    message.impl_->parts = std::move(structure.parts);
    message.impl_->objects.assign(message.impl_->parts.size(), nullptr);
    message.impl_->cut = structure.cut;
    message.impl_->headers_only = true;
    return message;
}

const Headers& Message::headers() const { return impl_->headers; }
const std::vector<Part>& Message::parts() const { return impl_->parts; }
bool Message::structure_cut() const { return impl_->cut; }
bool Message::headers_only() const { return impl_->headers_only; }

const Part* Message::part(std::string_view section) const {
    const std::size_t index = impl_->index_of(section);
    return index < impl_->parts.size() ? &impl_->parts[index] : nullptr;
}

std::optional<std::string> Message::part_bytes(std::string_view section) const {
    const std::size_t index = impl_->index_of(section);
    if (index == impl_->parts.size() || !impl_->objects[index]) return std::nullopt;
    GMimeObject* object = impl_->objects[index];
    if (GMIME_IS_MESSAGE_PART(object)) return enclosed_message_bytes(GMIME_MESSAGE_PART(object), impl_->crlf);
    std::string bytes;
    read_decoded(GMIME_PART(object), [&](std::string_view chunk) {
        bytes.append(chunk);
        return true;
    });
    return bytes;
}

bool Message::write_part(std::string_view section, const std::function<void(std::string_view)>& sink) const {
    const std::size_t index = impl_->index_of(section);
    if (index == impl_->parts.size() || !impl_->objects[index]) return false;
    GMimeObject* object = impl_->objects[index];
    if (GMIME_IS_MESSAGE_PART(object)) {
        sink(enclosed_message_bytes(GMIME_MESSAGE_PART(object), impl_->crlf));
        return true;
    }
    read_decoded(GMIME_PART(object), [&](std::string_view chunk) {
        sink(chunk);
        return true;
    });
    return true;
}

std::optional<std::string> Message::part_text(std::string_view section) const {
    const std::size_t index = impl_->index_of(section);
    if (index == impl_->parts.size() || !impl_->objects[index]) return std::nullopt;
    const Part& part = impl_->parts[index];
    GMimeObject* object = impl_->objects[index];
    std::string bytes;
    if (GMIME_IS_MESSAGE_PART(object)) {
        bytes = enclosed_message_bytes(GMIME_MESSAGE_PART(object), impl_->crlf);
    } else {
        const std::size_t limit = impl_->limits.max_text_bytes;
        read_decoded(GMIME_PART(object), [&](std::string_view chunk) {
            bytes.append(chunk.substr(0, limit - bytes.size()));
            return bytes.size() < limit;
        });
    }
    std::string text = to_utf8(bytes, part.charset);
    if (part.content_type == "text/html") text = html_to_text(text);
    return text;
}

std::optional<std::string> Message::body_text() const {
    for (const auto& part : impl_->parts)
        if (part.body_text) return part_text(part.section);
    return std::nullopt;
}

Headers Message::enclosed_headers(std::string_view section) const {
    const std::size_t index = impl_->index_of(section);
    if (index == impl_->parts.size() || !impl_->objects[index] || !GMIME_IS_MESSAGE_PART(impl_->objects[index])) return {};
    GMimeMessage* enclosed = g_mime_message_part_get_message(GMIME_MESSAGE_PART(impl_->objects[index]));
    return enclosed ? headers_of(GMIME_OBJECT(enclosed)) : Headers{};
}

}  // namespace mailsync::mime
