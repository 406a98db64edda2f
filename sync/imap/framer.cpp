#include "sync/imap/framer.hpp"

#include <algorithm>
#include <cstring>
#include <fmt/format.h>

#include "sync/imap/wire_syntax.hpp"

namespace mailsync::imap::detail {

namespace {

// Consumed input is dropped from the front of the buffer once it is both large and the bigger
// part, so that compaction costs amortised O(1) per byte.
constexpr std::size_t compact_threshold = 64 * 1024;

// 2^64 has 20 digits; anything longer cannot be a size we would accept anyway.
constexpr std::size_t max_literal_digits = 20;

struct LiteralHeader {
    std::uint64_t size = 0;
    bool binary = false;          // literal8: "~{n}"
    std::size_t offset = 0;       // of "{" or "~" within the segment
};

// literal = "{" number64 ["+"] "}" CRLF ; literal8 = "~{" number64 "}" CRLF
// Looks for a literal header at the end of a segment (its line text without CRLF).
std::optional<LiteralHeader> literal_header_at_end(std::string_view segment) {
    if (segment.empty() || segment.back() != '}') return std::nullopt;
    std::size_t end = segment.size() - 1;
    if (end > 0 && segment[end - 1] == '+') --end;  // LITERAL+ never comes from servers; tolerated
    std::size_t begin = end;
    while (begin > 0 && wire::is_digit(segment[begin - 1])) --begin;
    if (begin == end || begin == 0 || segment[begin - 1] != '{') return std::nullopt;
    if (end - begin > max_literal_digits) {
        wire::throw_protocol_error("literal size has too many digits", segment, begin);
    }
    std::uint64_t size = 0;
    for (std::size_t i = begin; i < end; ++i) {
        const auto digit = static_cast<std::uint64_t>(segment[i] - '0');
        if (size > (UINT64_MAX - digit) / 10) {
            wire::throw_protocol_error("literal size out of range", segment, begin);
        }
        size = size * 10 + digit;
    }
    LiteralHeader header{size, false, begin - 1};
    if (header.offset > 0 && segment[header.offset - 1] == '~') {
        header.binary = true;
        --header.offset;
    }
    return header;
}

}  // namespace

void Framer::feed(std::string_view bytes) {
    if (input_pos_ == input_.size()) {
        input_.clear();
        input_pos_ = 0;
    } else if (input_pos_ >= compact_threshold && input_pos_ * 2 >= input_.size()) {
        input_.erase(0, input_pos_);
        input_pos_ = 0;
    }
    input_.append(bytes);
}

std::size_t Framer::buffered() const noexcept {
    return (input_.size() - input_pos_) + frame_.text.size();
}

std::string Framer::take_unread() {
    if (!frame_.text.empty()) return {};
    std::string rest(unread());
    input_.clear();
    input_pos_ = 0;
    return rest;
}

std::string_view Framer::unread() const noexcept {
    return std::string_view(input_).substr(input_pos_);
}

void Framer::consume(std::size_t count) noexcept {
    input_pos_ += count;
}

std::optional<Frame> Framer::next() {
    for (;;) {
        switch (state_) {
        case State::line:
            if (!read_line()) return std::nullopt;
            if (end_of_segment()) {
                Frame complete = std::move(frame_);
                frame_ = Frame{};
                segment_start_ = 0;
                return complete;
            }
            break;
        case State::inline_literal:
            read_inline_literal();
            if (state_ == State::inline_literal) return std::nullopt;
            break;
        case State::streamed_literal:
            stream_literal();
            if (state_ == State::streamed_literal) return std::nullopt;
            break;
        }
    }
}

bool Framer::read_line() {
    const std::string_view available = unread();
    const auto* newline = static_cast<const char*>(
        std::memchr(available.data(), '\n', available.size()));
    const std::size_t take =
        newline != nullptr ? static_cast<std::size_t>(newline - available.data()) : available.size();
    // The frame may hold the line, its CRLF and nothing more than the limit.
    if (frame_.text.size() + take + 2 > limits_.max_response_bytes) {
        std::string shown = frame_.text.substr(segment_start_, 64);
        shown.append(available.substr(0, 64 - std::min<std::size_t>(64, shown.size())));
        wire::throw_protocol_error(
            fmt::format("response longer than the limit of {} bytes", limits_.max_response_bytes),
            shown, 0);
    }
    frame_.text.append(available.substr(0, take));
    consume(take);
    if (newline == nullptr) return false;
    consume(1);
    if (frame_.text.size() > segment_start_ && frame_.text.back() == '\r') {
        frame_.text.pop_back();
    }
    return true;
}

bool Framer::end_of_segment() {
    const std::string_view segment = std::string_view(frame_.text).substr(segment_start_);
    const auto header = literal_header_at_end(segment);
    const bool starts_response = segment_start_ == 0;
    if (!header) {
        frame_.text += "\r\n";
        return true;
    }
    tracker_.scan(segment.substr(0, header->offset), starts_response);
    frame_.text += "\r\n";
    start_literal(header->size, header->binary, segment_start_ + header->offset);
    return false;
}

void Framer::start_literal(std::uint64_t size, bool binary, std::size_t header_offset) {
    auto target = tracker_.body_literal_target();
    LiteralSpan span{frame_.text.size(), size, false};
    if (target && sink_ != nullptr) {
        if (size > limits_.max_body_literal) {
            wire::throw_protocol_error(
                fmt::format("body literal of {} bytes exceeds the limit of {} bytes", size,
                            limits_.max_body_literal),
                frame_.text, header_offset);
        }
        span.streamed = true;
        active_sink_ = sink_;
        active_sink_->begin(BodyContext{target->seq, target->uid, std::move(target->name.item),
                                        std::move(target->name.section), size, binary});
        state_ = State::streamed_literal;
    } else {
        if (size > limits_.max_inline_literal) {
            wire::throw_protocol_error(
                fmt::format("{}literal of {} bytes exceeds the in-memory limit of {} bytes",
                            target ? "body " : "", size, limits_.max_inline_literal),
                frame_.text, header_offset);
        }
        if (frame_.text.size() + size > limits_.max_response_bytes) {
            wire::throw_protocol_error(
                fmt::format("response with a literal of {} bytes exceeds the limit of {} bytes",
                            size, limits_.max_response_bytes),
                frame_.text, header_offset);
        }
        state_ = State::inline_literal;
    }
    frame_.literals.push_back(span);
    literal_remaining_ = size;
}

void Framer::read_inline_literal() {
    const std::string_view available = unread();
    const auto take = static_cast<std::size_t>(
        std::min<std::uint64_t>(literal_remaining_, available.size()));
    frame_.text.append(available.substr(0, take));
    consume(take);
    literal_remaining_ -= take;
    if (literal_remaining_ == 0) {
        tracker_.after_literal();
        segment_start_ = frame_.text.size();
        state_ = State::line;
    }
}

void Framer::stream_literal() {
    const std::string_view available = unread();
    const auto take = static_cast<std::size_t>(
        std::min<std::uint64_t>(literal_remaining_, available.size()));
    if (take > 0) {
        // Consumed before write() so that a throwing sink leaves no byte to be written twice.
        consume(take);
        literal_remaining_ -= take;
        active_sink_->write(available.substr(0, take));
    }
    if (literal_remaining_ == 0) {
        BodySink* sink = active_sink_;
        active_sink_ = nullptr;
        tracker_.after_literal();
        segment_start_ = frame_.text.size();
        state_ = State::line;
        sink->finish();
    }
}

}  // namespace mailsync::imap::detail
