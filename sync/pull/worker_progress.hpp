// Collects progress from the pull's workers and hands it to the caller's PullProgress one call at a
// time; also carries the stop signal that ends the other workers when one of them fails.
#pragma once

#include <atomic>
#include <map>
#include <mutex>
#include <string>

#include "sync/pull/pull_report.hpp"

namespace mailsync::sync {

// Thrown inside a worker when another worker failed: the pull is being abandoned.
struct PullStopped {};

class WorkerProgress {
public:
    explicit WorkerProgress(PullProgress* progress) : progress_(progress) {}

    // The total before any mailbox is examined: each mailbox to sync is expected to bring this many
    // new messages (what the server's STATUS counts beyond the mirror's), so that the bar starts with
    // its total. The mailbox's worker replaces the estimate with what it finds (learn_total) or drops
    // it when done (settle). `announce` shows the planned total before any work is done.
    void expect(const std::string& mailbox, std::uint64_t messages);
    void learn_total(const std::string& mailbox, std::uint64_t messages);
    void settle(const std::string& mailbox);
    void announce();

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
    std::map<std::string, std::uint64_t> expected_;   // wire name → messages still estimated
    std::atomic<bool> stopped_{false};
};

}  // namespace mailsync::sync
