#include "sync/pull/worker_progress.hpp"

#include <algorithm>

namespace mailsync::sync {

void WorkerProgress::add_total(std::uint64_t messages, std::uint64_t bytes) {
    std::lock_guard lock(mutex_);
    counts_.messages_total += messages;
    counts_.bytes_total += bytes;
}

void WorkerProgress::drop_from_total(std::uint64_t messages) {
    std::lock_guard lock(mutex_);
    counts_.messages_total -= std::min(messages, counts_.messages_total);
}

void WorkerProgress::add_done(std::uint64_t messages, std::uint64_t bytes, const std::string& mailbox) {
    check_stop();
    std::lock_guard lock(mutex_);
    counts_.messages_done += messages;
    counts_.bytes_done += bytes;
    if (progress_) progress_->on_progress(counts_, mailbox);
}

void WorkerProgress::check_stop() const {
    if (stopped_) throw PullStopped{};
}

}  // namespace mailsync::sync
