#include "cli/connection_budget.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace mailsync::cli {

void run_within_budget(const std::vector<unsigned>& needs, unsigned budget,
                       const std::function<void(std::size_t, unsigned)>& work) {
    budget = std::max(1u, budget);
    std::mutex mutex;
    std::condition_variable released;
    unsigned in_use = 0;
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < needs.size(); ++i) {
        const unsigned connections = std::clamp(needs[i], 1u, budget);
        {
            std::unique_lock lock(mutex);
            released.wait(lock, [&] { return in_use + connections <= budget; });
            in_use += connections;
        }
        threads.emplace_back([&, i, connections] {
            work(i, connections);
            std::lock_guard lock(mutex);
            in_use -= connections;
            released.notify_all();
        });
    }
    for (auto& thread : threads) thread.join();
}

}  // namespace mailsync::cli
