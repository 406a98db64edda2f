// The response codec: a resumable parser fed arbitrary byte chunks, producing typed responses.
// Sans-I/O: it owns no socket.
//
// Two layers (after imap-codec's fragmentizer): a framer cuts the stream into whole responses
// (a line plus its literals) under size limits, and a recursive-descent grammar parses one
// complete response. Literals that carry message bodies (BODY[...], BINARY[...], RFC822*) inside a
// FETCH are not kept: their bytes go to the BodySink in chunks as they arrive, so a 50 MB message
// never sits in memory. Every size and count from the wire is checked against ParserLimits before
// anything is reserved for it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "sync/imap/response.hpp"

namespace mailsync::imap {

struct ParserLimits {
    std::size_t max_response_bytes = 16u << 20;   // one response, without its streamed literals
    std::size_t max_inline_literal = 1u << 20;    // a literal kept in memory (names, headers)
    std::uint64_t max_body_literal = 4ull << 30;  // a body literal streamed to the sink
};

// Where message-body literals go. begin() is called when the literal's size is known, write() with
// each chunk (any size, possibly empty never), finish() after its last byte.
struct BodyContext {
    std::uint32_t seq = 0;                     // the FETCH's message sequence number
    std::optional<std::uint32_t> uid;          // known when UID came before the body in the response
    std::string item;                          // as BodySection::item
    std::string section;                       // as BodySection::section
    std::uint64_t size = 0;
    bool binary = false;                       // literal8 (~{n})
};

class BodySink {
public:
    virtual ~BodySink() = default;
    virtual void begin(const BodyContext& context) = 0;
    virtual void write(std::string_view chunk) = 0;
    virtual void finish() = 0;
};

class Parser {
public:
    explicit Parser(ParserLimits limits = {});
    ~Parser();
    Parser(Parser&&) noexcept;
    Parser& operator=(Parser&&) noexcept;

    // Appends bytes. Call next() until it returns nullopt after each feed: body literal bytes are
    // passed on (and dropped from the buffer) only as next() runs.
    void feed(std::string_view bytes);

    // The next complete response, or nullopt when more bytes are needed. Throws
    // Error(ErrorCategory::protocol) naming what is wrong on malformed or over-limit input; after
    // that the parser is dead and every call throws again.
    std::optional<Response> next();

    // With a sink, every body literal of a FETCH streams to it (BodySection::streamed). Without one,
    // body literals up to max_inline_literal are kept in BodySection::data and larger ones are a
    // protocol error. The sink must outlive its use; nullptr removes it.
    void set_body_sink(BodySink* sink);

    // Bytes buffered but not yet consumed (for STARTTLS: must be zero before the handshake).
    std::size_t buffered() const;
    // Between responses: the bytes buffered but not yet parsed, handed over and forgotten (after
    // COMPRESS they are compressed bytes, for the deflate layer).
    std::string take_unread();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// "17-Jul-1996 02:44:25 -0700" → seconds since the epoch (UTC); nullopt when malformed.
std::optional<std::int64_t> parse_internal_date(std::string_view text);

}  // namespace mailsync::imap
