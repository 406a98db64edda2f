// The progress bar `sync` draws on stderr when a person watches (Output::shows_progress()):
//   INBOX  [########------------]  1234/5000 msgs  45.2 MB  3.1 MB/s  ETA 0:25
// The message total is known before the first message arrives (the pull's mailbox plan: what
// STATUS counts beyond the mirror), refined as each mailbox is examined; the ETA is the messages
// left at the pace of the messages done so far, shown after two seconds.
// Redrawn at most ten times a second on one line; cleared when done.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>

#include "sync/pull/pull_report.hpp"

namespace mailsync::cli {

class ProgressBar final : public sync::PullProgress {
public:
    explicit ProgressBar(std::ostream& terminal);
    ~ProgressBar() override;
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    void on_progress(const sync::PullCounts& counts, const std::string& mailbox) override;
    // Erases the bar (before the summary is printed).
    void clear();

private:
    std::ostream& terminal_;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_{};
    bool drawn_ = false;
};

// The line itself, for tests: `elapsed` since the start, `width` columns of bar.
std::string progress_line(const sync::PullCounts& counts, const std::string& mailbox, std::chrono::milliseconds elapsed,
                          int width = 20);

}  // namespace mailsync::cli
