// Time source for every deadline durastore computes (visibility, lease expiry).
//
// All times are milliseconds since the Unix epoch. A Store reads its Clock from the
// committer thread and from callers' threads, so implementations must be thread-safe.
// The Store borrows the Clock: it must outlive every Store that uses it.
//
// NowMs should not throw and must not return a negative time. If it does, the store
// catches it: the commit, dequeue or read that needed the time fails with
// InvalidArgument ("Clock::NowMs threw: <what()>" or "Clock::NowMs returned -N ms"),
// nothing of it is applied, and the store keeps working once the clock reads
// normally again. The orchestration Provider's calls do the same.
#ifndef DURASTORE_CLOCK_H_
#define DURASTORE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "durastore/export.h"

namespace durastore {

class DURASTORE_EXPORT Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t NowMs() const = 0;
};

// The system (wall) clock. A process-wide instance; never destroyed.
DURASTORE_EXPORT Clock& SystemClock();

// A clock that moves only when told: tests drive delays and lock expiry with it
// instead of sleeping. Thread-safe.
//
// Note: long-poll waits (queue::Dequeue with a wait, eventlog::ReadAfter) measure their
// timeout in real time; with a ManualClock they still wake on every commit, and wake at a
// future visibility time only once the manual clock has been advanced past it and some
// commit or timeout happens.
class DURASTORE_EXPORT ManualClock final : public Clock {
 public:
  explicit ManualClock(int64_t start_ms = 1'000'000) : now_(start_ms) {}
  int64_t NowMs() const override { return now_.load(std::memory_order_acquire); }
  void Set(int64_t ms) { now_.store(ms, std::memory_order_release); }
  void Advance(int64_t ms) { now_.fetch_add(ms, std::memory_order_acq_rel); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace durastore

#endif  // DURASTORE_CLOCK_H_
