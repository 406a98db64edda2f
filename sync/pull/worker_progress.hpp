// Collects progress from the pull's workers and hands it to the caller's PullProgress one call at a
// time; also carries the stop signal that ends the other workers when one of them fails.
#pragma once

#include <atomic>
#include <mutex>
#include <string>

#include "sync/pull/pull_report.hpp"

namespace mailsync::sync {

// Thrown inside a worker when another worker failed: the pull is being abandoned.
struct PullStopped {};

class WorkerProgress {
public:
    explicit WorkerProgress(PullProgress* progress) : progress_(progress) {}

    void add_total(std::uint64_t messages, std::uint64_t bytes);
    // Messages counted in a total that turned out not to exist (expunged meanwhile, or UIDs of a
    // range that were never used).
    void drop_from_total(std::uint64_t messages);
    // Counts work done and tells the caller (whose exception propagates to the worker).
    void add_done(std::uint64_t messages, std::uint64_t bytes, const std::string& mailbox);

    void stop() { stopped_ = true; }
    // Throws PullStopped once stop() was called.
    void check_stop() const;

private:
    PullProgress* progress_;
    std::mutex mutex_;
    PullCounts counts_;
    std::atomic<bool> stopped_{false};
};

}  // namespace mailsync::sync
