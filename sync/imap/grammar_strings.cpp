// The primitives and strings of the grammar (Grammar, grammar_rules.hpp): atoms, numbers, text,
// quoted strings, literals, astring, nstring, mailbox names, and skipping values we do not read.
#include "sync/imap/grammar_rules.hpp"

#include <fmt/format.h>

#include "common/ascii.hpp"
#include "common/inbox.hpp"

namespace mailsync::imap::detail {

// ---- primitives ------------------------------------------------------------------------------

bool Grammar::keyword_at(std::size_t offset, std::string_view word) const noexcept {
    if (offset > text_.size() || !ascii::istarts_with(text_.substr(offset), word)) return false;
    const std::size_t after = offset + word.size();
    return after >= text_.size() || !wire::is_atom_char(text_[after]);
}

bool Grammar::accept_keyword(std::string_view word) noexcept {
    if (!keyword_at(pos_, word)) return false;
    pos_ += word.size();
    return true;
}

// atom = 1*ATOM-CHAR
std::string_view Grammar::atom() {
    const std::size_t start = pos_;
    while (wire::is_atom_char(peek())) ++pos_;
    if (pos_ == start) fail("expected an atom");
    return text_.substr(start, pos_ - start);
}

// number = 1*DIGIT                 ; 0 <= n < 4,294,967,296
// number64 = 1*DIGIT               ; 0 <= n <= 9,223,372,036,854,775,807
// mod-sequence-value = 1*DIGIT     ; 1 <= n <= 9,223,372,036,854,775,807
// Zero is accepted where the ABNF says nz-number: rejecting it would gain nothing.
std::uint64_t Grammar::digits(std::uint64_t max, std::string_view what) {
    const std::size_t start = pos_;
    if (!wire::is_digit(peek())) fail(fmt::format("expected {}", what));
    std::uint64_t value = 0;
    while (wire::is_digit(peek())) {
        const auto digit = static_cast<std::uint64_t>(peek() - '0');
        if (value > (max - digit) / 10) {
            pos_ = start;
            fail(fmt::format("{} out of range (maximum {})", what, max));
        }
        value = value * 10 + digit;
        ++pos_;
    }
    return value;
}

// text = 1*TEXT-CHAR ; TEXT-CHAR = <any CHAR except CR and LF>
// Empty text is accepted: Dovecot sends "* OK [CLOSED]" with none.
std::string_view Grammar::text() {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != '\r' && text_[pos_] != '\n') ++pos_;
    return text_.substr(start, pos_ - start);
}

void Grammar::expect_end() {
    if (pos_ + 2 != text_.size() || !at_line_end()) fail("expected the end of the response");
    pos_ += 2;
}

// ---- strings ---------------------------------------------------------------------------------

// quoted = DQUOTE *QUOTED-CHAR DQUOTE
// QUOTED-CHAR = <any TEXT-CHAR except quoted-specials> / "\" quoted-specials / UTF8-2 / UTF8-3 / UTF8-4
std::string Grammar::quoted() {
    const std::size_t start = pos_;
    expect('"', "expected a quoted string");
    std::string value;
    for (;;) {
        if (pos_ >= text_.size() || at('\r') || at('\n')) {
            pos_ = start;
            fail("unterminated quoted string");
        }
        const char c = text_[pos_++];
        if (c == '"') return value;
        if (c == '\0') {
            --pos_;
            fail("NUL byte in a quoted string");
        }
        if (c == '\\') {
            if (!at('"') && !at('\\')) fail("invalid escape in a quoted string");
            value += text_[pos_++];
        } else {
            value += c;
        }
    }
}

// literal = "{" number64 ["+"] "}" CRLF *CHAR8
// literal8 = "~{" number64 "}" CRLF *OCTET          (RFC 3516)
LiteralValue Grammar::literal(bool allow_literal8) {
    if (at('~') && !allow_literal8) fail("literal8 outside BINARY");
    accept('~');
    expect('{', "expected a literal");
    const std::uint64_t size = digits(std::numeric_limits<std::uint64_t>::max(), "a literal size");
    accept('+');
    expect('}', "expected '}' after a literal size");
    if (!at_line_end()) fail("expected CRLF after a literal size");
    pos_ += 2;
    const auto& spans = frame_.literals;
    while (next_literal_ < spans.size() && spans[next_literal_].data_offset < pos_) ++next_literal_;
    if (next_literal_ == spans.size() || spans[next_literal_].data_offset != pos_ ||
        spans[next_literal_].size != size) {
        fail("literal not at the end of a line");
    }
    const LiteralSpan& span = spans[next_literal_++];
    LiteralValue value{size, span.streamed, {}};
    if (!span.streamed) {
        // The framer kept exactly `size` bytes here, so this cannot run past the text.
        value.bytes = text_.substr(pos_, static_cast<std::size_t>(size));
        pos_ += value.bytes.size();
    }
    return value;
}

// string = quoted / literal
std::string Grammar::string() {
    if (at('"')) return quoted();
    const LiteralValue value = literal(false);
    if (value.streamed) fail("a streamed body literal where a string was expected");
    return std::string(value.bytes);
}

// nstring = string / nil
std::optional<std::string> Grammar::nstring() {
    if (accept_keyword("NIL")) return std::nullopt;
    return string();
}

// astring = 1*ASTRING-CHAR / string
std::string Grammar::astring() {
    if (at('"') || at('{')) return string();
    const std::size_t start = pos_;
    while (wire::is_astring_char(peek())) ++pos_;
    if (pos_ == start) fail("expected a string");
    return std::string(text_.substr(start, pos_ - start));
}

// mailbox = "INBOX" / astring   ; INBOX is case-insensitive, so it is returned upper-cased
std::string Grammar::mailbox() {
    std::string name = astring();
    if (is_inbox(name)) name = inbox_name;
    return name;
}

// Skips one value of an item we do not model (BODYSTRUCTURE, X-GM-LABELS, extended list data):
// a balanced s-expression of atoms, numbers, strings and parenthesised lists. Iterative, so that
// deep nesting from a hostile server cannot exhaust the stack. Separators inside lists are not
// checked strictly, as body-type-mpart puts no SP between its bodies.
void Grammar::skip_value() {
    std::size_t depth = 0;
    do {
        if (accept('(')) {
            ++depth;
        } else if (at(')')) {
            if (depth == 0) fail("unexpected ')'");
            --depth;
            ++pos_;
        } else if (at(' ')) {
            if (depth == 0) fail("unexpected space");
            ++pos_;
        } else {
            skip_scalar();
        }
    } while (depth > 0);
}

void Grammar::skip_scalar() {
    if (at('"')) {
        quoted();
    } else if (at('{') || (at('~') && peek(1) == '{')) {
        literal(true);
    } else {
        const std::size_t start = pos_;
        while (pos_ < text_.size()) {
            const char c = text_[pos_];
            if (c == ' ' || c == '(' || c == ')' || c == '"' || c == '{' || c == '\r' ||
                c == '\n') {
                break;
            }
            ++pos_;
        }
        if (pos_ == start) fail("expected a value");
    }
}


}  // namespace mailsync::imap::detail
