#include "sync/export/mbox_format.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include <fmt/format.h>

#include "common/ascii.hpp"

namespace mailsync::sync {
namespace {

constexpr std::size_t chunk_size = 64 * 1024;
using store::MessageRecord;

bool has_flag(const std::vector<std::string>& flags, std::string_view wanted) {
    return std::any_of(flags.begin(), flags.end(), [&](const std::string& flag) { return ascii::iequals(flag, wanted); });
}

std::string envelope_sender(std::string_view from) {
    std::string_view address = from;
    const auto open = from.rfind('<');
    const auto close = from.rfind('>');
    if (open != std::string_view::npos && close != std::string_view::npos && open < close) {
        address = from.substr(open + 1, close - open - 1);
    }
    const bool usable = !address.empty() && address.find('@') != std::string_view::npos &&
                        std::none_of(address.begin(), address.end(), [](char c) {
                            return static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f;
                        });
    return usable ? std::string(address) : std::string("MAILER-DAEMON");
}

}  // namespace

std::string mbox_from_line(const MessageRecord& message) {
    static constexpr std::array<const char*, 7> days = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const std::time_t time = message.internaldate;
    std::tm parts{};
    if (::gmtime_r(&time, &parts) == nullptr) parts = std::tm{};
    return fmt::format("From {} {} {} {:2} {:02}:{:02}:{:02} {}\n", envelope_sender(message.from),
                       days.at(static_cast<std::size_t>(parts.tm_wday) % 7), months.at(static_cast<std::size_t>(parts.tm_mon) % 12),
                       parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, parts.tm_year + 1900);
}

std::string mbox_status_lines(const std::vector<std::string>& flags, std::string_view line_ending) {
    std::string x_status;
    if (has_flag(flags, "\\Answered")) x_status.push_back('A');
    if (has_flag(flags, "\\Flagged")) x_status.push_back('F');
    if (has_flag(flags, "\\Draft")) x_status.push_back('T');
    if (has_flag(flags, "\\Deleted")) x_status.push_back('D');
    return fmt::format("Status: {}{}X-Status: {}{}", has_flag(flags, "\\Seen") ? "RO" : "O", line_ending, x_status, line_ending);
}

// ---- mboxrd quoting --------------------------------------------------------------------------

void MboxrdQuoter::emit(std::string_view bytes) {
    buffer_.append(bytes);
    if (buffer_.size() >= chunk_size) {
        sink_(buffer_);
        buffer_.clear();
    }
}

void MboxrdQuoter::flush_prefix() {
    for (std::uint64_t i = 0; i < quotes_; ++i) emit(">");
    emit(std::string_view("From ").substr(0, matched_));
    if (quotes_ > 0 || matched_ > 0) last_ = matched_ > 0 ? "From "[matched_ - 1] : '>';
    at_line_start_ = false;
}

void MboxrdQuoter::write(std::string_view chunk) {
    static constexpr std::string_view from = "From ";
    std::size_t i = 0;
    while (i < chunk.size()) {
        if (at_line_start_) {
            const char c = chunk[i];
            if (matched_ == 0 && c == '>') {
                ++quotes_;
                ++i;
                continue;
            }
            if (c == from[matched_]) {
                ++i;
                if (++matched_ == from.size()) {
                    emit(">");
                    for (std::uint64_t q = 0; q < quotes_; ++q) emit(">");
                    emit(from);
                    last_ = ' ';
                    at_line_start_ = false;
                }
                continue;
            }
            flush_prefix();
        }
        // The rest of the line, up to and including its LF, goes out as it is.
        const auto newline = chunk.find('\n', i);
        const std::size_t end = newline == std::string_view::npos ? chunk.size() : newline + 1;
        emit(chunk.substr(i, end - i));
        last_ = chunk[end - 1];
        i = end;
        if (newline != std::string_view::npos) {
            at_line_start_ = true;
            quotes_ = 0;
            matched_ = 0;
        }
    }
}

void MboxrdQuoter::finish() {
    if (at_line_start_ && (quotes_ > 0 || matched_ > 0)) flush_prefix();
    if (!buffer_.empty()) sink_(buffer_);
    buffer_.clear();
}

}  // namespace mailsync::sync
