// What every worker of one pull shares: the options, the store behind its gate, the catalog of
// stored bodies, and the progress relay.
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
