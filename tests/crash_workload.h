// The workload shared by crash_child (which commits it) and crash_test (which checks it).
#ifndef DURASTORE_TESTS_CRASH_WORKLOAD_H_
#define DURASTORE_TESTS_CRASH_WORKLOAD_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace durastore::crash {

inline constexpr int kWriters = 4;
inline constexpr int kConsumers = 2;
inline constexpr const char* kQueue = "crash";
inline constexpr const char* kDeadLetterQueue = "crash-dlq";
inline constexpr uint32_t kMaxDeliveries = 3;
// Writers wait while "crash" holds this many messages, so abandoned messages come round
// again (an abandoned message goes behind the whole backlog) and reach the dead-letter
// queue within a run.
inline constexpr uint64_t kMaxBacklog = 64;
// Every kEnqueueEvery-th batch of a writer enqueues a message (the others append and put
// only), so the consumers keep up and the writers rarely wait for room.
inline constexpr uint64_t kEnqueueEvery = 4;
inline bool Enqueues(uint64_t n) { return n % kEnqueueEvery == 0; }
inline constexpr int64_t kAbandonDelayMs = 3;  // counted abandons; uncounted ones use 0
// Every message carries the attribute kWriterAttribute = WriterTag(w), so the test can
// list a queue with PeekMessages without locking or counting anything.
inline constexpr const char* kWriterAttribute = "w";

inline std::string WriterTag(int w) { return std::to_string(w); }
inline std::string Stream(int w) { return "w" + std::to_string(w); }
inline std::string LastKey(int w) { return "crash/w" + std::to_string(w) + "/last"; }
inline std::string Message(int w, uint64_t n) {
  return "w" + std::to_string(w) + ":" + std::to_string(n);
}
// Written with the Ack; its value is the delivery count of the delivery that was acked.
inline constexpr const char* kAckedPrefix = "crash/acked/";
inline std::string AckedKey(const std::string& message) { return kAckedPrefix + message; }
// Written with the one uncounted abandon of a kAbandonUncountedOnce message.
inline constexpr const char* kAbandonedPrefix = "crash/abandoned/";
inline std::string AbandonedKey(const std::string& message) { return kAbandonedPrefix + message; }

// What the consumer does with a message, fixed by a hash of its payload:
//   kAckFirst             ack every delivery (so the first one, unless a kill intervened);
//   kAbandonCountedOnce   abandon (counted, kAbandonDelayMs) the delivery with count 1,
//                         ack any later one;
//   kAbandonUncountedOnce abandon uncounted (delay 0) while its AbandonedKey is absent,
//                         writing the key in the same batch; ack once it is there;
//   kAlwaysAbandon        abandon (counted, kAbandonDelayMs) every delivery: after
//                         kMaxDeliveries deliveries the next dequeue dead-letters it.
enum class Policy { kAckFirst, kAbandonCountedOnce, kAbandonUncountedOnce, kAlwaysAbandon };

inline Policy PolicyOf(std::string_view message) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  for (char c : message) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  switch (h % 8) {
    case 0:
    case 1:
    case 2:
      return Policy::kAckFirst;
    case 3:
    case 4:
      return Policy::kAbandonCountedOnce;
    case 5:
    case 6:
      return Policy::kAbandonUncountedOnce;
    default:
      return Policy::kAlwaysAbandon;
  }
}

// Event n of writer w: its id followed by 0..3999 bytes of filler derived from (w, n),
// so a torn or misplaced event cannot match.
inline std::string Payload(int w, uint64_t n) {
  std::string p = Message(w, n) + ":";
  size_t filler = static_cast<size_t>((n * 7919 + static_cast<uint64_t>(w) * 104729) % 4000);
  for (size_t i = 0; i < filler; ++i) p.push_back(static_cast<char>('a' + (n + i) % 26));
  return p;
}

}  // namespace durastore::crash

#endif  // DURASTORE_TESTS_CRASH_WORKLOAD_H_
