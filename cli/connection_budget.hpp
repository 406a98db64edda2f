// Work items run in parallel within a budget of connections: `sync` of many accounts runs each
// account on a thread of its own, starting them in order as long as the connections of those
// running (each account's `connections`) fit in the budget (`sync --max-connections`). An item
// that needs more than the whole budget runs when nothing else does, and is given the budget.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

namespace mailsync::cli {

// Calls work(i, connections) for every i of `needs` (the connections item i would use), on threads,
// starting them in order of i; `connections` is needs[i] capped at `budget`. Returns when all have
// ended. `work` must not throw.
void run_within_budget(const std::vector<unsigned>& needs, unsigned budget,
                       const std::function<void(std::size_t, unsigned)>& work);

}  // namespace mailsync::cli
