#pragma once
// The process's peak resident set, for tests that bound the memory a hostile input can make us use.

#include <sys/resource.h>

namespace mailsync::test {

// Under AddressSanitizer freed memory sits in quarantine and shadow memory counts: the peak RSS
// says nothing about our buffers there, so the memory checks only run in normal builds.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool kMeasureMemory = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool kMeasureMemory = false;
#else
inline constexpr bool kMeasureMemory = true;
#endif
#else
inline constexpr bool kMeasureMemory = true;
#endif

inline long peak_rss_kb() {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

}  // namespace mailsync::test
