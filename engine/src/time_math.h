// Arithmetic on caller-supplied times without signed overflow: a delay or extension near
// INT64_MAX saturates ("never") instead of wrapping into the past. ReadClock: the checked
// read of the caller's Clock.
#ifndef DURASTORE_ENGINE_TIME_MATH_H_
#define DURASTORE_ENGINE_TIME_MATH_H_

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <limits>
#include <string>

#include "durastore/clock.h"
#include "durastore/status.h"

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

// Reads the caller's Clock: the one way the engine and the layers above it take `now`.
// The Clock is the caller's code: an exception from it must not unwind through the
// committer thread (that would terminate the process), and a negative reading would make
// every undelayed message look delayed and every lease look live. Both are
// InvalidArgument naming the clock, and fail only the request that read it.
inline Result<int64_t> ReadClock(const Clock& clock) noexcept {
  try {
    const int64_t now = clock.NowMs();
    if (now < 0) {
      return Status::InvalidArgument("Clock::NowMs returned " + std::to_string(now) +
                                     " ms, before the Unix epoch; durastore needs times >= 0");
    }
    return now;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("Clock::NowMs threw: ") + e.what());
  } catch (...) {
    return Status::InvalidArgument(
        "Clock::NowMs threw an exception not derived from std::exception");
  }
}

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_TIME_MATH_H_
