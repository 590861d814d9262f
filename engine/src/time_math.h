// Arithmetic on caller-supplied times without signed overflow: a delay or extension near
// INT64_MAX saturates ("never") instead of wrapping into the past.
#ifndef DURASTORE_ENGINE_TIME_MATH_H_
#define DURASTORE_ENGINE_TIME_MATH_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <limits>

namespace durastore::internal {

// now_ms + ms for ms >= 0, clamped to INT64_MAX.
inline int64_t AddMs(int64_t now_ms, int64_t ms) {
  return ms > std::numeric_limits<int64_t>::max() - now_ms ? std::numeric_limits<int64_t>::max()
                                                           : now_ms + ms;
}

// The steady-clock deadline `wait` after `now`: the one way a caller's wait becomes a
// deadline. Never overflows: a negative wait is `now`, and waits past ten years
// (milliseconds::max() included) are clamped to ten years, which keeps the deadline far
// from time_point::max() (std::condition_variable::wait_until converts it to other clocks).
inline std::chrono::steady_clock::time_point DeadlineAfter(
    std::chrono::milliseconds wait,
    std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
  constexpr std::chrono::milliseconds kMax = std::chrono::hours(24 * 365 * 10);
  return now + std::clamp(wait, std::chrono::milliseconds(0), kMax);
}

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_TIME_MATH_H_
