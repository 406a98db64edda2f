#include "sync/pull/worker_progress.hpp"

#include <algorithm>

namespace mailsync::sync {

void WorkerProgress::expect(const std::string& mailbox, std::uint64_t messages) {
    if (messages == 0) return;
    std::lock_guard lock(mutex_);
    expected_[mailbox] += messages;
    counts_.messages_total += messages;
}

void WorkerProgress::learn_total(const std::string& mailbox, std::uint64_t messages) {
    settle(mailbox);
    add_total(messages, 0);
}

void WorkerProgress::settle(const std::string& mailbox) {
    std::lock_guard lock(mutex_);
    const auto estimate = expected_.find(mailbox);
    if (estimate == expected_.end()) return;
    counts_.messages_total -= std::min(estimate->second, counts_.messages_total);
    expected_.erase(estimate);
}

void WorkerProgress::announce() {
    std::lock_guard lock(mutex_);
    if (progress_ && counts_.messages_total > 0) progress_->on_progress(counts_, "");
}

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
