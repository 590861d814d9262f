// The workload shared by crash_child (which commits it) and crash_test (which checks it).
#ifndef DURASTORE_TESTS_CRASH_WORKLOAD_H_
#define DURASTORE_TESTS_CRASH_WORKLOAD_H_

#include <cstdint>
#include <string>

namespace durastore::crash {

inline constexpr int kWriters = 4;
inline constexpr const char* kQueue = "crash";

inline std::string Stream(int w) { return "w" + std::to_string(w); }
inline std::string LastKey(int w) { return "crash/w" + std::to_string(w) + "/last"; }
inline std::string Message(int w, uint64_t n) {
  return "w" + std::to_string(w) + ":" + std::to_string(n);
}
inline std::string AckedKey(const std::string& message) { return "crash/acked/" + message; }

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
