// Follows the top-level items of a "* n FETCH (...)" response, one line segment at a time, so that
// the framer can tell — before the literal's bytes arrive — whether a literal is the value of a
// body item (and must stream to the BodySink) or an ordinary string (kept in memory).
//
// It is a lexer, not a parser: it tracks quotes, brackets and parenthesis depth, and remembers the
// last complete token at depth 1 (the item name just before " {n}"). The grammar checks everything
// properly once the response is complete.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "sync/imap/body_item.hpp"

namespace mailsync::imap::detail {

struct BodyLiteralTarget {
    std::uint32_t seq = 0;
    std::optional<std::uint32_t> uid;
    BodyItemName name;
};

class FetchTracker {
public:
    // Scans the text of a line segment, up to (not including) the literal header that ends it.
    // starts_response: the segment is the first one of a response.
    void scan(std::string_view segment, bool starts_response);

    // After scan(): the body item whose value is the literal that follows, if it is one.
    std::optional<BodyLiteralTarget> body_literal_target() const;

    // The literal after the last segment was consumed: it is a value token at the current depth.
    void after_literal();

private:
    void reset();
    void lex(char c);
    void append(char c);
    void end_token();

    // An item name longer than this is not a body item we stream; its literal stays inline.
    static constexpr std::size_t max_token = 8192;

    bool active_ = false;  // the response is a FETCH
    std::uint32_t seq_ = 0;
    std::optional<std::uint32_t> uid_;
    std::size_t depth_ = 0;
    std::size_t brackets_ = 0;
    bool in_quote_ = false;
    bool escaped_ = false;
    bool token_overflow_ = false;
    std::string token_;
    std::string previous_token_;
};

}  // namespace mailsync::imap::detail
