// Admin: the Duroxide management contract over the layout of records.h.
#include "durastore/orchestration/admin.h"

#include <algorithm>
#include <set>
#include <utility>

#include "durastore/batch.h"
#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "records.h"
#include "status_macros.h"

namespace durastore::orchestration {

using namespace internal;  // NOLINT: this file is the layer's implementation

namespace {

// The instance id inside a key "<4-byte tag>" STR(instance) ...
Result<std::string> InstanceOfKey(std::string_view key, size_t& pos) {
  auto id = GetStr16(key, pos);
  if (!id) return Status::Corruption("orchestration metadata key is malformed");
  return std::string(*id);
}

Status ValidateAll(const std::vector<std::string>& instances) {
  for (const auto& id : instances) RETURN_IF_ERROR(ValidateInstance(id));
  return Status::OK();
}

struct Summary {
  bool exists = false;  // an instance record, an execution or history
  std::optional<InstanceRec> record;
  uint64_t current = 0;
  std::optional<ExecutionRec> execution;  // of `current`
  // Running unless the current execution recorded a terminal status.
  bool running() const { return !execution || !IsTerminal(execution->status); }
};

Result<Summary> Summarize(Store& store, std::string_view instance) {
  Summary s;
  ASSIGN_OR_RETURN(s.record, LoadInstance(store, instance));
  ASSIGN_OR_RETURN(auto current, CurrentExecution(store, instance));
  s.exists = s.record.has_value() || current.has_value();
  if (current) {
    s.current = *current;
    ASSIGN_OR_RETURN(s.execution, LoadExecution(store, instance, *current));
  }
  return s;
}

Result<uint64_t> EventCount(Store& store, std::string_view instance) {
  ASSIGN_OR_RETURN(auto info, NotFoundAsNullopt(eventlog::GetStreamInfo(store, instance)));
  return info ? info->event_count : 0;
}

Result<uint64_t> QueuedCount(Store& store, std::string_view queue, std::string_view instance) {
  // The queue does not exist until a Provider opened the store: nothing is queued then.
  ASSIGN_OR_RETURN(auto messages,
                   NotFoundAsNullopt(queue::PeekMessages(store, queue, "i", instance, SIZE_MAX)));
  return uint64_t{messages ? messages->size() : 0};
}

// Every execution id of an instance: recorded executions and history partitions.
Result<std::vector<uint64_t>> Executions(Store& store, std::string_view instance) {
  std::set<uint64_t> ids;
  std::string prefix = ExecutionPrefix(instance);
  ASSIGN_OR_RETURN(auto records, ScanAll(store, prefix));
  for (const auto& [key, value] : records) {
    auto id = DecodeU64(std::string_view(key).substr(prefix.size()));
    if (!id) return Status::Corruption("execution key is malformed");
    ids.insert(*id);
  }
  ASSIGN_OR_RETURN(auto partitions, NotFoundAsNullopt(eventlog::ListPartitions(store, instance)));
  if (partitions) ids.insert(partitions->begin(), partitions->end());
  return std::vector<uint64_t>(ids.begin(), ids.end());
}

Result<std::vector<std::string>> Children(Store& store, std::string_view parent) {
  std::string prefix = ChildPrefix(parent);
  ASSIGN_OR_RETURN(auto pairs, ScanAll(store, prefix));
  std::vector<std::string> children;
  for (const auto& [key, value] : pairs) {
    size_t pos = prefix.size();
    ASSIGN_OR_RETURN(auto child, InstanceOfKey(key, pos));
    children.push_back(std::move(child));
  }
  return children;
}

// `root` and its descendants, breadth-first.
Result<std::vector<std::string>> Tree(Store& store, std::string_view root) {
  std::vector<std::string> tree{std::string(root)};
  std::set<std::string> seen{std::string(root)};
  for (size_t i = 0; i < tree.size(); ++i) {
    ASSIGN_OR_RETURN(auto children, Children(store, tree[i]));
    for (auto& c : children) {
      if (seen.insert(c).second) tree.push_back(std::move(c));
    }
  }
  return tree;
}

// Deletes `instances` (already validated) in one batch. Refuses running ones unless
// `force`, and any instance outside the set whose parent is in it.
Result<DeleteResult> DeleteSet(Store& store, const std::vector<std::string>& instances,
                               bool force) {
  const std::set<std::string> set(instances.begin(), instances.end());
  DeleteResult result;
  Batch batch;
  for (const auto& id : set) {
    ASSIGN_OR_RETURN(auto s, Summarize(store, id));
    ASSIGN_OR_RETURN(auto children, Children(store, id));
    for (const auto& c : children) {
      if (!set.contains(c)) {
        return Status::Conflict("instance \"" + c + "\" is a child of \"" + id +
                                "\" but not in the set to delete; it would be orphaned");
      }
    }
    if (!s.exists) continue;
    if (!force && s.running()) {
      return Status::Conflict("instance \"" + id +
                              "\" is running; delete it with force or wait for it to finish");
    }
    ASSIGN_OR_RETURN(auto executions, Executions(store, id));
    ASSIGN_OR_RETURN(auto events, EventCount(store, id));
    ASSIGN_OR_RETURN(auto orch, QueuedCount(store, kOrchestratorQueue, id));
    ASSIGN_OR_RETURN(auto work, QueuedCount(store, kWorkerQueue, id));
    result.instances_deleted += s.record ? 1 : 0;
    result.executions_deleted += executions.size();
    result.events_deleted += events;
    result.queue_messages_deleted += orch + work;

    batch.DeleteStream(id);
    // Deleting the messages ends any live lease on them: an in-flight ack then fails.
    batch.DeleteMessages(kOrchestratorQueue, "i", id);
    batch.DeleteMessages(kWorkerQueue, "i", id);
    for (const std::string& prefix :
         {ExecutionPrefix(id), ChildPrefix(id), KvPrefix(id), DeltaPrefix(id)}) {
      batch.DeleteRange(prefix, PrefixEnd(prefix));
    }
    batch.Delete(InstanceKey(id));
    batch.Delete(CurrentKey(id));
    batch.Delete(CustomStatusKey(id));
    batch.Delete(ClearedKey(id));
    if (s.record && s.record->parent) batch.Delete(ChildKey(*s.record->parent, id));
  }
  if (!batch.empty()) RETURN_IF_ERROR(store.Commit(std::move(batch)).status());
  return result;
}

// Instance ids with an instance record, from the filter's list or all of them.
Result<std::vector<std::string>> Candidates(Store& store, const InstanceFilter& filter) {
  if (filter.instance_ids) {
    RETURN_IF_ERROR(ValidateAll(*filter.instance_ids));
    return *filter.instance_ids;
  }
  ASSIGN_OR_RETURN(auto records, ScanAll(store, InstancePrefix()));
  std::vector<std::string> ids;
  for (const auto& [key, value] : records) {
    size_t pos = InstancePrefix().size();
    ASSIGN_OR_RETURN(auto id, InstanceOfKey(key, pos));
    ids.push_back(std::move(id));
  }
  return ids;
}

bool CompletedBefore(const Summary& s, std::optional<int64_t> before_ms) {
  if (!before_ms) return true;
  return s.execution && s.execution->completed_at_ms && *s.execution->completed_at_ms < *before_ms;
}

}  // namespace

// ---- reads ----

Result<std::vector<std::string>> Admin::ListInstances() {
  ASSIGN_OR_RETURN(auto records, ScanAll(store_, InstancePrefix()));
  std::vector<std::pair<int64_t, std::string>> by_time;
  for (const auto& [key, value] : records) {
    size_t pos = InstancePrefix().size();
    ASSIGN_OR_RETURN(auto id, InstanceOfKey(key, pos));
    ASSIGN_OR_RETURN(auto rec, DecodeInstance(value));
    by_time.emplace_back(rec.created_at_ms, std::move(id));
  }
  // Newest first; equal creation times in id order.
  std::stable_sort(by_time.begin(), by_time.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::vector<std::string> ids;
  for (auto& [t, id] : by_time) ids.push_back(std::move(id));
  return ids;
}

Result<std::vector<std::string>> Admin::ListInstancesByStatus(ExecutionStatus status) {
  ASSIGN_OR_RETURN(auto all, ListInstances());
  std::vector<std::string> out;
  for (auto& id : all) {
    ASSIGN_OR_RETURN(auto s, Summarize(store_, id));
    auto current = s.execution ? s.execution->status : ExecutionStatus::kRunning;
    if (current == status) out.push_back(std::move(id));
  }
  return out;
}

Result<std::vector<uint64_t>> Admin::ListExecutions(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  return Executions(store_, instance);
}

Result<std::vector<HistoryEvent>> Admin::ReadHistory(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  return ReadCurrentHistory(store_, instance);
}

Result<std::vector<HistoryEvent>> Admin::ReadHistoryWithExecutionId(std::string_view instance,
                                                                    uint64_t execution_id) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  return internal::ReadHistory(store_, instance, execution_id);
}

Result<uint64_t> Admin::LatestExecutionId(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto current, CurrentExecution(store_, instance));
  if (!current) return Status::NotFound("instance \"" + std::string(instance) + "\" not found");
  return *current;
}

Result<InstanceInfo> Admin::GetInstanceInfo(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto s, Summarize(store_, instance));
  if (!s.record) return Status::NotFound("instance \"" + std::string(instance) + "\" not found");
  InstanceInfo info;
  info.instance = std::string(instance);
  info.orchestration_name = s.record->name;
  info.version = s.record->version;
  info.current_execution_id = s.current;
  if (s.execution) {
    info.status = s.execution->status;
    info.output = s.execution->output;
  }
  info.created_at_ms = s.record->created_at_ms;
  info.updated_at_ms = s.record->updated_at_ms;
  info.parent_instance = s.record->parent;
  return info;
}

Result<ExecutionInfo> Admin::GetExecutionInfo(std::string_view instance, uint64_t execution_id) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto exec, LoadExecution(store_, instance, execution_id));
  if (!exec) {
    return Status::NotFound("execution " + std::to_string(execution_id) + " of instance \"" +
                            std::string(instance) + "\" not found");
  }
  ExecutionInfo info;
  info.execution_id = execution_id;
  info.status = exec->status;
  info.output = exec->output;
  info.started_at_ms = exec->started_at_ms;
  info.completed_at_ms = exec->completed_at_ms;
  ASSIGN_OR_RETURN(auto partition,
                   NotFoundAsNullopt(eventlog::GetPartitionInfo(store_, instance, execution_id)));
  if (partition) info.event_count = partition->event_count;
  return info;
}

Result<SystemMetrics> Admin::GetSystemMetrics() {
  SystemMetrics m;
  ASSIGN_OR_RETURN(auto ids, Candidates(store_, InstanceFilter{}));
  for (const auto& id : ids) {
    ASSIGN_OR_RETURN(auto s, Summarize(store_, id));
    ++m.total_instances;
    switch (s.execution ? s.execution->status : ExecutionStatus::kRunning) {
      case ExecutionStatus::kRunning:
        ++m.running_instances;
        break;
      case ExecutionStatus::kCompleted:
        ++m.completed_instances;
        break;
      case ExecutionStatus::kFailed:
        ++m.failed_instances;
        break;
      case ExecutionStatus::kContinuedAsNew:
        ++m.continued_as_new_instances;
        break;
    }
    ASSIGN_OR_RETURN(auto executions, Executions(store_, id));
    m.total_executions += executions.size();
    ASSIGN_OR_RETURN(auto events, EventCount(store_, id));
    m.total_events += events;
  }
  return m;
}

Result<QueueDepths> Admin::GetQueueDepths() {
  auto unlocked = [&](std::string_view queue) -> Result<uint64_t> {
    ASSIGN_OR_RETURN(auto counters, NotFoundAsNullopt(queue::GetCounters(store_, queue)));
    return counters ? counters->ready + counters->delayed : 0;
  };
  QueueDepths depths;
  ASSIGN_OR_RETURN(depths.orchestrator, unlocked(kOrchestratorQueue));
  ASSIGN_OR_RETURN(depths.worker, unlocked(kWorkerQueue));
  return depths;
}

Result<std::vector<std::string>> Admin::ListChildren(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  return Children(store_, instance);
}

Result<std::optional<std::string>> Admin::GetParentId(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto rec, LoadInstance(store_, instance));
  if (!rec) return Status::NotFound("instance \"" + std::string(instance) + "\" not found");
  return rec->parent;
}

Result<InstanceTree> Admin::GetInstanceTree(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto s, Summarize(store_, instance));
  if (!s.exists) return Status::NotFound("instance \"" + std::string(instance) + "\" not found");
  InstanceTree tree;
  tree.root = std::string(instance);
  ASSIGN_OR_RETURN(tree.instances, Tree(store_, instance));
  return tree;
}

Result<uint32_t> Admin::MaxOrchestratorAttemptCount(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto messages, NotFoundAsNullopt(queue::PeekMessages(store_, kOrchestratorQueue,
                                                                        "i", instance, SIZE_MAX)));
  uint32_t max = 0;
  for (const auto& m : messages.value_or(std::vector<queue::Message>{})) {
    max = std::max(max, m.delivery_count);
  }
  return max;
}

// ---- deletes ----

Result<DeleteResult> Admin::DeleteInstance(std::string_view instance, bool force) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto s, Summarize(store_, instance));
  if (!s.exists) return Status::NotFound("instance \"" + std::string(instance) + "\" not found");
  if (s.record && s.record->parent) {
    return Status::Conflict("instance \"" + std::string(instance) +
                            "\" is a sub-orchestration of \"" + *s.record->parent +
                            "\"; delete its root instead");
  }
  ASSIGN_OR_RETURN(auto tree, Tree(store_, instance));
  return DeleteSet(store_, tree, force);
}

Result<DeleteResult> Admin::DeleteInstancesAtomic(const std::vector<std::string>& instances,
                                                  bool force) {
  RETURN_IF_ERROR(ValidateAll(instances));
  return DeleteSet(store_, instances, force);
}

Result<DeleteResult> Admin::DeleteInstanceBulk(const InstanceFilter& filter) {
  ASSIGN_OR_RETURN(auto candidates, Candidates(store_, filter));
  std::vector<std::string> doomed;
  uint32_t roots = 0;
  for (const auto& id : candidates) {
    if (roots >= filter.limit) break;
    ASSIGN_OR_RETURN(auto s, Summarize(store_, id));
    if (!s.record || s.record->parent || s.running() ||
        !CompletedBefore(s, filter.completed_before_ms)) {
      continue;
    }
    ASSIGN_OR_RETURN(auto tree, Tree(store_, id));
    bool any_running = false;
    for (const auto& member : tree) {
      ASSIGN_OR_RETURN(auto ms, Summarize(store_, member));
      any_running = any_running || (ms.exists && ms.running());
    }
    if (any_running) continue;  // a running descendant keeps the whole tree
    doomed.insert(doomed.end(), tree.begin(), tree.end());
    ++roots;
  }
  if (doomed.empty()) return DeleteResult{};
  return DeleteSet(store_, doomed, /*force=*/false);
}

// ---- prune ----

namespace {

Result<PruneResult> PruneOne(Store& store, std::string_view instance, const PruneOptions& options) {
  PruneResult result;
  ASSIGN_OR_RETURN(auto current, CurrentExecution(store, instance));
  if (!current) {
    return Status::NotFound("instance \"" + std::string(instance) + "\" does not exist");
  }
  result.instances_processed = 1;
  ASSIGN_OR_RETURN(auto executions, Executions(store, instance));
  // keep_last counts from the newest execution, the current one included.
  const size_t keep = options.keep_last.value_or(0);
  const size_t prunable_by_count = executions.size() > keep ? executions.size() - keep : 0;
  Batch batch;
  for (size_t i = 0; i < prunable_by_count; ++i) {
    const uint64_t id = executions[i];
    if (id == *current) continue;
    ASSIGN_OR_RETURN(auto exec, LoadExecution(store, instance, id));
    if (!exec || !IsTerminal(exec->status)) continue;  // never a running one
    if (options.completed_before_ms &&
        !(exec->completed_at_ms && *exec->completed_at_ms < *options.completed_before_ms)) {
      continue;
    }
    ASSIGN_OR_RETURN(auto partition,
                     NotFoundAsNullopt(eventlog::GetPartitionInfo(store, instance, id)));
    if (partition) result.events_deleted += partition->event_count;
    batch.DeletePartition(instance, id);
    batch.Delete(ExecutionKey(instance, id));
    ++result.executions_deleted;
  }
  if (!batch.empty()) RETURN_IF_ERROR(store.Commit(std::move(batch)).status());
  return result;
}

}  // namespace

Result<PruneResult> Admin::PruneExecutions(std::string_view instance, const PruneOptions& options) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  return PruneOne(store_, instance, options);
}

Result<PruneResult> Admin::PruneExecutionsBulk(const InstanceFilter& filter,
                                               const PruneOptions& options) {
  ASSIGN_OR_RETURN(auto candidates, Candidates(store_, filter));
  PruneResult total;
  for (const auto& id : candidates) {
    if (total.instances_processed >= filter.limit) break;
    ASSIGN_OR_RETURN(auto s, Summarize(store_, id));
    if (!s.exists || !CompletedBefore(s, filter.completed_before_ms)) continue;
    ASSIGN_OR_RETURN(auto pruned, NotFoundAsNullopt(PruneOne(store_, id, options)));
    if (!pruned) continue;  // deleted meanwhile
    const PruneResult& r = *pruned;
    total.instances_processed += r.instances_processed;
    total.executions_deleted += r.executions_deleted;
    total.events_deleted += r.events_deleted;
  }
  return total;
}

}  // namespace durastore::orchestration
