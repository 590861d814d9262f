// Closed-loop workloads on the orchestration layer (durastore::orchestration::Provider),
// shaped like a Duroxide runtime's dispatchers:
//
//  - turn: one op = FetchOrchestrationItem + AckOrchestrationItem appending 2 history
//    events, enqueueing 1 activity and 1 orchestrator message for the same instance (so
//    the instance is ready again: the loop sustains itself). Every turns_per_execution
//    turns the execution continues as new, which keeps histories bounded.
//  - activity: one op = FetchWorkItem + AckWorkItem with a completion. A feeder
//    dispatcher (not counted) turns completions back into activities, so the worker queue
//    keeps its pre-filled depth.
//
// Setup runs on a kNoSync store that is flushed and reopened with the run's durability,
// so the figures cover only the run.
#ifndef DURASTORE_BENCH_ORCHESTRATION_WORKLOADS_H_
#define DURASTORE_BENCH_ORCHESTRATION_WORKLOADS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "durastore/store.h"
#include "histogram.h"

namespace durastore::orchestration {
class Provider;
}  // namespace durastore::orchestration

namespace durastore::bench {

// What the durastore workloads here and the SQLite ones (sqlite_orchestration.h) share, so
// both engines run the same turns and activities.
// Duroxide's worker lock; a turn or activity here never outlives it.
inline constexpr int64_t kOrchestrationLockMs = 30'000;
inline constexpr const char* kOrchestrationName = "bench";
inline constexpr const char* kOrchestrationVersion = "1.0.0";
// Activity: the instances completions are routed to (the feeder's batches), and the
// activities pre-filled per worker.
inline constexpr int kActivityInstances = 16;
inline constexpr int kActivityDepthPerWorker = 1000;

struct OrchestrationShape {
  int workers = 1;  // concurrent dispatchers
  size_t payload_bytes = 256;
  int instances = 0;             // turn: instances in the loop; 0 = workers * 4
  int history_events = 0;        // turn: events pre-loaded into each execution's history
  int turns_per_execution = 10;  // turn: then the execution continues as new
  bool sync = true;
  FlushMethod flush = FlushMethod::kAuto;
  // activity: run the feeder dispatcher. Off in `mixed`, where the activities complete
  // into the turn instances and the turns consume the completions.
  bool feeder = true;
  // Op returns false after one empty poll, not only once `stop` is set (`mixed`: the
  // writer then picks another op rather than wait for work another kind produces).
  bool give_up_when_empty = false;
};

// Figures about a run beyond the op latency.
struct OrchestrationStats {
  uint64_t empty_fetches = 0;        // fetches that found no work within the poll timeout
  double mean_history_at_fetch = 0;  // turn: events handed back per fetch, on average
  uint64_t feeder_turns = 0;         // activity: turns the feeder made
};

// One workload instance shared by every worker thread of a run; Op is thread-safe.
class OrchestrationWorkload {
 public:
  virtual ~OrchestrationWorkload() = default;
  // Worker `worker`'s next op (one turn or one activity), fetch and ack. Records the
  // fetch's latency (empty polls included) in `fetch_us`, which the caller owns per worker.
  // False when `stop` was set while waiting for work (no op done).
  virtual Result<bool> Op(int worker, const std::atomic<bool>& stop, Histogram& fetch_us) = 0;
  // Stops background threads; call once every worker has returned.
  virtual void Stop() = 0;
  virtual PipelineStats Pipeline() const = 0;
  virtual OrchestrationStats Stats() const = 0;
};

Result<std::unique_ptr<OrchestrationWorkload>> OpenTurnWorkload(const std::string& dir,
                                                                const OrchestrationShape& shape);
Result<std::unique_ptr<OrchestrationWorkload>> OpenActivityWorkload(
    const std::string& dir, const OrchestrationShape& shape);

// The pieces of the two, for workloads that share one store and provider (`mixed`).
// Creates the turn instances: start messages and pre-loaded histories.
Status SetUpTurnInstances(orchestration::Provider& provider, const OrchestrationShape& shape);
// Enqueues `count` activities; to_turns: routed to the turn instances (their completions
// go there), else to the activity workload's own instances.
Status SetUpActivities(orchestration::Provider& provider, const OrchestrationShape& shape,
                       int count, bool to_turns);
// Workloads over a store and provider someone else opened; both must outlive them.
std::unique_ptr<OrchestrationWorkload> NewTurnWorkload(Store& store,
                                                       orchestration::Provider& provider,
                                                       const OrchestrationShape& shape);
// With shape.feeder, the feeder numbers new activities from `first_activity_id`.
std::unique_ptr<OrchestrationWorkload> NewActivityWorkload(Store& store,
                                                           orchestration::Provider& provider,
                                                           const OrchestrationShape& shape,
                                                           uint64_t first_activity_id);

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_ORCHESTRATION_WORKLOADS_H_
