#include "sync/imap/fetch_tracker.hpp"

#include <limits>

#include "common/ascii.hpp"
#include "sync/imap/wire_syntax.hpp"

namespace mailsync::imap::detail {

namespace {

std::optional<std::uint32_t> to_number(std::string_view digits) {
    if (digits.empty() || digits.size() > 10) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : digits) {
        if (!wire::is_digit(c)) return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (value > std::numeric_limits<std::uint32_t>::max()) return std::nullopt;
    return static_cast<std::uint32_t>(value);
}

// "*" SP nz-number SP "FETCH" SP — the rest of the segment after it, or nullopt.
std::optional<std::string_view> after_fetch_prefix(std::string_view segment, std::uint32_t& seq) {
    if (segment.size() < 2 || segment.substr(0, 2) != "* ") return std::nullopt;
    std::string_view rest = segment.substr(2);
    std::size_t digits = 0;
    while (digits < rest.size() && wire::is_digit(rest[digits])) ++digits;
    const auto number = to_number(rest.substr(0, digits));
    if (!number) return std::nullopt;
    rest = rest.substr(digits);
    if (!ascii::istarts_with(rest, " FETCH ")) return std::nullopt;
    seq = *number;
    return rest.substr(7);
}

}  // namespace

void FetchTracker::reset() {
    *this = FetchTracker{};
}

void FetchTracker::scan(std::string_view segment, bool starts_response) {
    if (starts_response) {
        reset();
        const auto rest = after_fetch_prefix(segment, seq_);
        if (!rest) return;
        active_ = true;
        segment = *rest;
    }
    if (!active_) return;
    for (char c : segment) lex(c);
}

void FetchTracker::lex(char c) {
    if (in_quote_) {
        append(c);
        if (escaped_) {
            escaped_ = false;
        } else if (c == '\\') {
            escaped_ = true;
        } else if (c == '"') {
            in_quote_ = false;
        }
        return;
    }
    if (brackets_ > 0) {  // a section: its spaces and parentheses belong to the item name
        append(c);
        if (c == ']') --brackets_;
        if (c == '"') in_quote_ = true;
        return;
    }
    switch (c) {
    case '"':
        in_quote_ = true;
        append(c);
        break;
    case '[':
        ++brackets_;
        append(c);
        break;
    case '(':
        ++depth_;
        if (depth_ > 1) append(c);
        break;
    case ')':
        if (depth_ > 0) --depth_;
        if (depth_ >= 1) append(c);
        break;
    case ' ':
        if (depth_ == 1) {
            end_token();
        } else {
            append(c);
        }
        break;
    default:
        append(c);
        break;
    }
}

void FetchTracker::append(char c) {
    if (depth_ == 0) return;
    if (token_.size() >= max_token) {
        token_overflow_ = true;
        return;
    }
    token_ += c;
}

void FetchTracker::end_token() {
    if (!token_overflow_ && ascii::iequals(previous_token_, "UID")) {
        if (const auto uid = to_number(token_)) uid_ = uid;
    }
    previous_token_ = token_overflow_ ? std::string{} : std::move(token_);
    token_.clear();
    token_overflow_ = false;
}

std::optional<BodyLiteralTarget> FetchTracker::body_literal_target() const {
    if (!active_ || depth_ != 1 || brackets_ != 0 || in_quote_ || !token_.empty()) {
        return std::nullopt;
    }
    auto name = classify_body_item(previous_token_);
    if (!name) return std::nullopt;
    return BodyLiteralTarget{seq_, uid_, std::move(*name)};
}

void FetchTracker::after_literal() {
    if (active_ && depth_ >= 1) token_ = "{literal}";
}

}  // namespace mailsync::imap::detail
