// What every worker of one pull shares: the options, the store behind its gate, the catalog of
// stored bodies, and the progress relay.
#pragma once

#include <atomic>

#include "sync/body_catalog.hpp"
#include "sync/progress_relay.hpp"
#include "sync/pull_report.hpp"
#include "sync/store_gate.hpp"

namespace mailsync::sync {

struct PullContext {
    const PullOptions& options;
    StoreGate& store;
    BodyCatalog& catalog;
    ProgressRelay& progress;
    std::atomic<unsigned>& examined;   // mailboxes selected so far
};

}  // namespace mailsync::sync
