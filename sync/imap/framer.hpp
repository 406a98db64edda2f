// The framer (after imap-codec's fragmentizer): cuts the received byte stream into complete
// responses — a line plus its literals — under ParserLimits, before the grammar sees them.
//
// Resumable at every byte: feed() appends, next() consumes what it can and says "need more"
// (nullopt), "here is a frame", or throws Error(protocol) for malformed or over-limit input.
// Body literals of a FETCH go to the BodySink chunk by chunk as next() runs; the frame keeps only
// their "{n}" header and a LiteralSpan saying they were streamed.
//
// Line endings: a bare LF is accepted as the end of a line and normalised to CRLF in the frame.
// RFC 3501 demands CRLF, but some broken servers and proxies send LF alone, and accepting it is
// unambiguous: outside literals (which are counted, not scanned) a line can never contain LF.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sync/imap/fetch_tracker.hpp"
#include "sync/imap/parser.hpp"

namespace mailsync::imap::detail {

// Where a literal's bytes are in Frame::text: right after its "{n}\r\n". A streamed literal has
// no bytes there.
struct LiteralSpan {
    std::size_t data_offset = 0;
    std::uint64_t size = 0;
    bool streamed = false;
};

struct Frame {
    std::string text;                   // lines end in CRLF, including the last one
    std::vector<LiteralSpan> literals;  // in order of data_offset
};

class Framer {
public:
    explicit Framer(ParserLimits limits) : limits_(limits) {}

    void feed(std::string_view bytes);
    std::optional<Frame> next();
    void set_body_sink(BodySink* sink) noexcept { sink_ = sink; }
    std::size_t buffered() const noexcept;
    // Between frames: hands over the bytes not yet read and forgets them (COMPRESS: they belong
    // to the compressed stream). Empty in the middle of a frame.
    std::string take_unread();

private:
    enum class State { line, inline_literal, streamed_literal };

    std::string_view unread() const noexcept;
    void consume(std::size_t count) noexcept;
    bool read_line();  // true when the current segment's line end was reached
    bool end_of_segment();  // true when the frame is complete
    void start_literal(std::uint64_t size, bool binary, std::size_t header_offset);
    void read_inline_literal();
    void stream_literal();

    ParserLimits limits_;
    BodySink* sink_ = nullptr;
    BodySink* active_sink_ = nullptr;  // the sink of the literal being streamed
    std::string input_;
    std::size_t input_pos_ = 0;
    Frame frame_;
    std::size_t segment_start_ = 0;
    State state_ = State::line;
    std::uint64_t literal_remaining_ = 0;
    FetchTracker tracker_;
};

}  // namespace mailsync::imap::detail
