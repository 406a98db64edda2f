// The wall clock as mailsync records it: whole seconds since the epoch, UTC (the store's UnixTime).
// One definition, so that every recorded time (syncs, queued changes, conflicts, exports, token
// expiry) is read the same way. Code that tests need at a fixed time takes the time as a parameter
// and calls this only at the top.
#pragma once

#include <chrono>
#include <cstdint>

namespace mailsync {

inline std::int64_t unix_time_now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace mailsync
