#include "cli/progress.hpp"

#include <ostream>

#include <fmt/format.h>

namespace mailsync::cli {
namespace {

// Below this, the pace says little (connections opening, the first chunk's metadata).
constexpr std::chrono::milliseconds minimum_for_eta{2000};

std::string megabytes(std::uint64_t bytes) { return fmt::format("{:.1f}", static_cast<double>(bytes) / 1e6); }

std::string duration(std::uint64_t seconds) {
    if (seconds >= 3600) return fmt::format("{}:{:02}:{:02}", seconds / 3600, seconds / 60 % 60, seconds % 60);
    return fmt::format("{}:{:02}", seconds / 60, seconds % 60);
}

}  // namespace

std::string progress_line(const sync::PullCounts& counts, const std::string& mailbox, std::chrono::milliseconds elapsed,
                          int width) {
    const double fraction =
        counts.messages_total == 0 ? 0.0 : static_cast<double>(counts.messages_done) / static_cast<double>(counts.messages_total);
    const int filled = std::min(width, static_cast<int>(fraction * width));
    std::string bar = std::string(static_cast<std::size_t>(filled), '#') + std::string(static_cast<std::size_t>(width - filled), '-');
    const double seconds = static_cast<double>(elapsed.count()) / 1000.0;
    std::string line = fmt::format("{:<16.16} [{}] {}/{} msgs  {} MB", mailbox, bar, counts.messages_done,
                                   counts.messages_total, megabytes(counts.bytes_done));
    if (seconds > 0 && counts.bytes_done > 0) line += fmt::format("  {:.1f} MB/s", static_cast<double>(counts.bytes_done) / seconds / 1e6);
    // The ETA from messages, whose total is known from the start (the mailbox plan), at the pace of
    // the run so far; not from bytes, whose total grows as message sizes are learnt, which made
    // the remaining time look shorter than it was. None until there is a pace to go by.
    if (counts.messages_done > 0 && counts.messages_total > counts.messages_done && elapsed >= minimum_for_eta) {
        const double per_message = seconds / static_cast<double>(counts.messages_done);
        line += "  ETA " + duration(static_cast<std::uint64_t>(per_message * static_cast<double>(counts.messages_total - counts.messages_done) + 0.5));
    }
    return line;
}

ProgressBar::ProgressBar(std::ostream& terminal) : terminal_(terminal), start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() { clear(); }

void ProgressBar::on_progress(const sync::PullCounts& counts, const std::string& mailbox) {
    const auto now = std::chrono::steady_clock::now();
    const bool finished = counts.messages_done >= counts.messages_total;
    if (!finished && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_);
    terminal_ << '\r' << progress_line(counts, mailbox, elapsed) << "\x1b[K" << std::flush;
    drawn_ = true;
}

void ProgressBar::clear() {
    if (!drawn_) return;
    terminal_ << "\r\x1b[K" << std::flush;
    drawn_ = false;
}

}  // namespace mailsync::cli
