// What every worker of one pull shares: the options, the store (one transaction at a time between
// the workers), the catalog of stored bodies, and the collector of their progress.
#pragma once

#include <atomic>

#include "sync/pull/body_catalog.hpp"
#include "sync/pull/worker_progress.hpp"
#include "sync/pull/pull_report.hpp"
#include "sync/pull/serialized_store.hpp"

namespace mailsync::sync {

struct SharedPullState {
    const PullOptions& options;
    SerializedStore& store;
    BodyCatalog& catalog;
    WorkerProgress& progress;
    std::atomic<unsigned>& examined;   // mailboxes selected so far
};

}  // namespace mailsync::sync
