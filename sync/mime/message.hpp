// A raw RFC 5322 message parsed for reading: its header fields decoded for people, its parts in
// IMAP section numbering (RFC 3501 §6.4.5: "1", "2", "2.1"; a message/rfc822 part's own parts
// below it), the decoded bytes of one part, and the text `show` prints.
//
// Hostile input is bounded (Limits): a message whose structure would cost more than the limits is
// still read (its headers, and the parts found up to the limit) and says so (structure_cut()).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/mime/header_text.hpp"

namespace mailsync::mime {

struct Limits {
    // Parts listed (leaves and message/rfc822 parts); the walk stops there.
    std::size_t max_parts = 1000;
    // Lines that start with "--" (each MIME part needs one): more, and GMime is not asked for the
    // structure at all, because every part it builds costs memory whether we list it or not.
    std::size_t max_boundary_lines = 10000;
    // Nesting of multiparts and message/rfc822 parts walked (GMime has its own limit too).
    int max_depth = 32;
    // Text returned by body_text() / part_text() and text_for_search(): beyond it, cut.
    std::size_t max_text_bytes = 16u << 20;
    // Part sizes cost a decode of every part; the search index does not need them (size 0).
    bool measure_sizes = true;
};

struct Part {
    std::string section;        // IMAP section number: "1", "2.1"
    std::string content_type;   // lower case, "image/png"
    std::string file_name;      // decoded (RFC 2231 and 2047) to UTF-8; "" when none
    std::string charset;        // as declared ("" when none)
    std::uint64_t size = 0;     // bytes once the transfer encoding is undone
    bool attachment = false;    // Content-Disposition: attachment
    bool body_text = false;     // the text part `show` prints (mark_body_text)
    bool enclosed = false;      // inside a message/rfc822 part
};

// Sets Part::body_text on the text `show` prints: the first text/plain part that is not an
// attachment and not inside an enclosed message; else the first such text/html part.
void mark_body_text(std::vector<Part>& parts);

struct Headers {
    // Decoded and unfolded for people, "" when absent.
    std::string from, to, cc, subject, date, message_id;
    std::vector<Address> from_addresses, to_addresses, cc_addresses;
    std::optional<HeaderDate> parsed_date;
};

class Message {
public:
    // Parses bytes held in memory. Never throws for what the bytes are: anything is a message
    // (bytes without a header block are a body without headers).
    static Message parse(std::string_view raw, const Limits& limits = {});
    // Parses a message file (a body of the store) without reading it into memory. Throws
    // mailsync::Error(io) when the file cannot be read.
    static Message open(const std::filesystem::path& file, const Limits& limits = {});

    // A message mirrored as headers and structure only (headers first): its header section (a
    // body file of the store) parsed for the headers, its parts those of the server's BODYSTRUCTURE
    // (body_structure.hpp). No part has content: part_bytes(), write_part() and body_text() say
    // there is none. Throws mailsync::Error(io) when the file cannot be read.
    static Message open_headers_only(const std::filesystem::path& header_file, std::string_view body_structure,
                                     const Limits& limits = {});

    Message(Message&&) noexcept;
    Message& operator=(Message&&) noexcept;
    ~Message();

    const Headers& headers() const;
    const std::vector<Part>& parts() const;
    // True when a limit cut the structure: parts() lists what was found before it.
    bool structure_cut() const;
    // True for open_headers_only(): the parts are known, their content is not here.
    bool headers_only() const;

    // The part with this section, or nullptr.
    const Part* part(std::string_view section) const;
    // The part's bytes with the transfer encoding undone (a message/rfc822 part: the enclosed
    // message). nullopt when there is no such part.
    std::optional<std::string> part_bytes(std::string_view section) const;
    // The same, handed to `sink` in chunks as they are decoded (an attachment is never held whole
    // in memory). False when there is no such part. What `sink` throws goes through.
    bool write_part(std::string_view section, const std::function<void(std::string_view)>& sink) const;
    // A text part's content as UTF-8 (charset converted; text/html reduced to text), cut at
    // max_text_bytes. nullopt when there is no such part.
    std::optional<std::string> part_text(std::string_view section) const;
    // The body text: part_text() of the part marked body_text; nullopt when there is none.
    std::optional<std::string> body_text() const;

    // Header values of a message/rfc822 part's enclosed message (empty Headers for another part).
    Headers enclosed_headers(std::string_view section) const;

    struct Impl;   // message.cpp's alone (GMime's objects)
    explicit Message(std::unique_ptr<Impl> impl);

private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace mailsync::mime
