// Arithmetic on caller-supplied times without signed overflow: a delay or extension near
// INT64_MAX saturates ("never") instead of wrapping into the past.
#ifndef DURASTORE_ENGINE_TIME_MATH_H_
#define DURASTORE_ENGINE_TIME_MATH_H_

#include <chrono>
#include <cstdint>
#include <limits>

namespace durastore::internal {

// now_ms + ms for ms >= 0, clamped to INT64_MAX.
inline int64_t AddMs(int64_t now_ms, int64_t ms) {
  return ms > std::numeric_limits<int64_t>::max() - now_ms ? std::numeric_limits<int64_t>::max()
                                                           : now_ms + ms;
}

// A steady-clock deadline `wait` from now; waits past ten years are clamped to ten years.
inline std::chrono::steady_clock::time_point DeadlineAfter(std::chrono::milliseconds wait) {
  constexpr std::chrono::milliseconds kMax = std::chrono::hours(24 * 365 * 10);
  return std::chrono::steady_clock::now() + std::min(wait, kMax);
}

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_TIME_MATH_H_
