// The workload shared by orchestration_crash_child (which runs it) and
// orchestration_crash_test (which checks it).
#ifndef DURASTORE_TESTS_ORCHESTRATION_CRASH_WORKLOAD_H_
#define DURASTORE_TESTS_ORCHESTRATION_CRASH_WORKLOAD_H_

#include <cstdint>
#include <string>

namespace durastore::crash {

inline constexpr int kInstances = 6;
inline constexpr int kDispatchers = 3;
inline constexpr const char* kName = "CrashLoop";
inline constexpr const char* kVersion = "1.0.0";
inline constexpr const char* kTurnsKey = "turns";
inline constexpr const char* kSeededKey = "crash/orchestration-seeded";

inline std::string Instance(int i) { return "inst-" + std::to_string(i); }
inline std::string EventPayload(const std::string& instance, uint64_t event_id) {
  return instance + ":" + std::to_string(event_id);
}

}  // namespace durastore::crash

#endif  // DURASTORE_TESTS_ORCHESTRATION_CRASH_WORKLOAD_H_
