#include "sync/progress_relay.hpp"

#include <algorithm>

namespace mailsync::sync {

void ProgressRelay::add_total(std::uint64_t messages, std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    counts_.messages_total += messages;
    counts_.bytes_total += bytes;
}

void ProgressRelay::drop_from_total(std::uint64_t messages) {
    std::lock_guard lock(mutex_);
    counts_.messages_total -= std::min(messages, counts_.messages_total);
}

void ProgressRelay::add_done(std::uint64_t messages, std::uint64_t bytes, const std::string& mailbox) {
    check_stop();
    std::lock_guard lock(mutex_);
    counts_.messages_done += messages;
    counts_.bytes_done += bytes;
    if (progress_) progress_->on_progress(counts_, mailbox);
}

void ProgressRelay::check_stop() const {
    if (stopped_) throw PullStopped{};
}

}  // namespace mailsync::sync
