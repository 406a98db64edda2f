#include "cli/line_stream.hpp"

#include <time.h>

#include <array>
#include <ctime>
#include <string_view>

#include <fmt/format.h>

namespace mailsync::cli {

LineBuffer::LineBuffer(std::ostream& target, std::mutex& target_mutex, Prefix prefix)
    : target_(target), target_mutex_(target_mutex), prefix_(std::move(prefix)) {}

LineBuffer::~LineBuffer() {
    if (!line_.empty()) hand_over();
}

LineBuffer::int_type LineBuffer::overflow(int_type ch) {
    if (traits_type::eq_int_type(ch, traits_type::eof())) return traits_type::not_eof(ch);
    const char c = traits_type::to_char_type(ch);
    if (c == '\n') hand_over();
    else line_.push_back(c);
    return ch;
}

std::streamsize LineBuffer::xsputn(const char* text, std::streamsize size) {
    for (std::streamsize i = 0; i < size; ++i) overflow(traits_type::to_int_type(text[i]));
    return size;
}

void LineBuffer::hand_over() {
    std::string whole = prefix_ ? prefix_() : std::string();
    whole += line_;
    whole += '\n';
    line_.clear();
    std::lock_guard lock(target_mutex_);
    target_.write(whole.data(), static_cast<std::streamsize>(whole.size()));
    target_.flush();
}

std::string log_timestamp() {
    const std::time_t now = std::time(nullptr);
    std::tm local{};
    ::localtime_r(&now, &local);
    std::array<char, 32> text{};
    const std::size_t n = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%S", &local);
    // RFC 3339's offset is +01:00 (strftime's %z gives +0100).
    const long offset = local.tm_gmtoff / 60;
    const long magnitude = offset < 0 ? -offset : offset;
    return fmt::format("{}{}{:02}:{:02} ", std::string_view(text.data(), n), offset < 0 ? '-' : '+', magnitude / 60,
                       magnitude % 60);
}

std::mutex& stderr_mutex() {
    static std::mutex mutex;
    return mutex;
}

}  // namespace mailsync::cli
