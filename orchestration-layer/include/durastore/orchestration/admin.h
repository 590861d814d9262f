// durastore::orchestration::Admin: the Duroxide ProviderAdmin contract (management, cold
// path) over the engine. Reads run in read transactions and never block commits; the
// deletes and prunes are each one engine atomic_batch.
//
// Thread-safety: an Admin is thread-safe; it borrows the Store, which must outlive it.
// It works on the data a Provider (see provider.h) wrote to the same Store.
//
// Errors: NotFound for an unknown instance where the contract says "error";
// InvalidArgument for malformed input; Conflict when a delete is refused (running
// instance without force, a sub-orchestration, or an instance outside the set whose
// parent is inside it). None of these are retryable.
#ifndef DURASTORE_ORCHESTRATION_ADMIN_H_
#define DURASTORE_ORCHESTRATION_ADMIN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durastore/export.h"
#include "durastore/orchestration/provider.h"
#include "durastore/status.h"
#include "durastore/store.h"

namespace durastore::orchestration {

struct InstanceInfo {
  std::string instance;
  std::string orchestration_name;
  std::string version;
  uint64_t current_execution_id = 0;
  ExecutionStatus status = ExecutionStatus::kRunning;  // of the current execution
  std::optional<std::string> output;                   // of the current execution
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
  std::optional<std::string> parent_instance;
};

struct ExecutionInfo {
  uint64_t execution_id = 0;
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::optional<std::string> output;
  int64_t started_at_ms = 0;
  std::optional<int64_t> completed_at_ms;
  uint64_t event_count = 0;
};

struct SystemMetrics {
  uint64_t total_instances = 0;
  uint64_t total_executions = 0;
  uint64_t running_instances = 0;  // by the status of the current execution
  uint64_t completed_instances = 0;
  uint64_t failed_instances = 0;
  uint64_t continued_as_new_instances = 0;
  uint64_t total_events = 0;
};

struct QueueDepths {
  uint64_t orchestrator = 0;  // unlocked messages (ready now or delayed)
  uint64_t worker = 0;        // unlocked messages
};

struct InstanceTree {
  std::string root;
  std::vector<std::string> instances;  // root first, then descendants breadth-first
};

struct DeleteResult {
  uint64_t instances_deleted = 0;
  uint64_t executions_deleted = 0;
  uint64_t events_deleted = 0;
  uint64_t queue_messages_deleted = 0;
};

// Selects instances for the bulk operations: every given condition must hold.
struct InstanceFilter {
  std::optional<std::vector<std::string>> instance_ids;
  std::optional<int64_t> completed_before_ms;  // current execution completed before this
  uint32_t limit = 1000;
};

struct PruneOptions {
  std::optional<uint32_t> keep_last;           // keep the newest N executions
  std::optional<int64_t> completed_before_ms;  // prune executions completed before this
};

struct PruneResult {
  uint64_t instances_processed = 0;
  uint64_t executions_deleted = 0;
  uint64_t events_deleted = 0;
};

class DURASTORE_EXPORT Admin {
 public:
  explicit Admin(Store& store) : store_(store) {}

  Result<std::vector<std::string>> ListInstances();  // newest first (by creation time)
  Result<std::vector<std::string>> ListInstancesByStatus(ExecutionStatus status);
  Result<std::vector<uint64_t>> ListExecutions(std::string_view instance);   // ascending
  Result<std::vector<HistoryEvent>> ReadHistory(std::string_view instance);  // latest exec
  Result<std::vector<HistoryEvent>> ReadHistoryWithExecutionId(std::string_view instance,
                                                               uint64_t execution_id);
  Result<uint64_t> LatestExecutionId(std::string_view instance);  // NotFound if unknown
  Result<InstanceInfo> GetInstanceInfo(std::string_view instance);
  Result<ExecutionInfo> GetExecutionInfo(std::string_view instance, uint64_t execution_id);
  Result<SystemMetrics> GetSystemMetrics();
  Result<QueueDepths> GetQueueDepths();
  Result<std::vector<std::string>> ListChildren(std::string_view instance);  // direct
  // nullopt for a root; NotFound for an unknown instance.
  Result<std::optional<std::string>> GetParentId(std::string_view instance);
  Result<InstanceTree> GetInstanceTree(std::string_view instance);
  // The highest attempt count among the instance's queued orchestrator messages (0 if
  // none); a hook for contract test harnesses.
  Result<uint32_t> MaxOrchestratorAttemptCount(std::string_view instance);

  // Deletes a root instance with its whole tree. Conflict for a sub-orchestration, or a
  // running instance in the tree without `force`.
  Result<DeleteResult> DeleteInstance(std::string_view instance, bool force);
  // All-or-nothing: history, executions, queued messages of both queues (ending any live
  // lock, so an in-flight ack fails), KV and the instance record.
  Result<DeleteResult> DeleteInstancesAtomic(const std::vector<std::string>& instances, bool force);
  // Terminal root instances matching the filter, each with its tree; running ones skipped.
  Result<DeleteResult> DeleteInstanceBulk(const InstanceFilter& filter);

  // Never the current or a running execution; history and execution records only.
  // NotFound (permanent) for an instance that does not exist.
  Result<PruneResult> PruneExecutions(std::string_view instance, const PruneOptions& options);
  Result<PruneResult> PruneExecutionsBulk(const InstanceFilter& filter,
                                          const PruneOptions& options);

 private:
  Store& store_;
};

}  // namespace durastore::orchestration

#endif  // DURASTORE_ORCHESTRATION_ADMIN_H_
