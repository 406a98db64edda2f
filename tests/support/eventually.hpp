#pragma once
// Waiting in tests for what another process does: a condition polled until it holds or time is up.

#include <chrono>
#include <thread>

namespace mailsync::test {

// Polls `condition` every 100 ms until it holds or `limit` passes; whether it held.
template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return condition();
}

}  // namespace mailsync::test
