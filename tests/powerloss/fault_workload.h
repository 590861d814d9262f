// The batches fault_child commits and fault_test verifies after reopening.
//
// Writer w's n-th batch (n from 1): Put Key(w, n) = Value(w, n); append Value(w, n) to
// stream Stream(w) partition 1 with ExpectedVersion::Exact(n - 1) (so the partition's last
// sequence is the number of that writer's batches committed); enqueue Value(w, n) to
// kQueue. Values are ~3 KiB so that every commit dirties several pages.
#ifndef DURASTORE_TESTS_POWERLOSS_FAULT_WORKLOAD_H_
#define DURASTORE_TESTS_POWERLOSS_FAULT_WORKLOAD_H_

#include <cstdint>
#include <string>

#include "durastore/batch.h"
#include "durastore/eventlog.h"

namespace durastore::fault {

inline constexpr char kQueue[] = "fault-queue";
inline constexpr int kProbeWriter = 99;  // the writer number of the main thread's probes

inline std::string Key(int w, uint64_t n) {
  return "fault/" + std::to_string(w) + "/" + std::to_string(n);
}
inline std::string Stream(int w) { return "fault-" + std::to_string(w); }
inline std::string Value(int w, uint64_t n) {
  return Key(w, n) + ":" + std::string(3000, static_cast<char>('a' + (n + w) % 26));
}

inline Batch FaultBatch(int w, uint64_t n) {
  Batch batch;
  batch.Put(Key(w, n), Value(w, n));
  batch.Append(Stream(w), 1, Value(w, n), eventlog::ExpectedVersion::Exact(n - 1));
  batch.Enqueue(kQueue, Value(w, n));
  return batch;
}

}  // namespace durastore::fault

#endif  // DURASTORE_TESTS_POWERLOSS_FAULT_WORKLOAD_H_
