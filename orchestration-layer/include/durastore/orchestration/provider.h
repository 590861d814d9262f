// durastore::orchestration::Provider: the Duroxide storage contract (hot path) over the
// engine. docs/orchestration.md states the contract's behaviours and how each maps onto
// streams, queues and metadata.
//
// The layer never parses event or work-item payloads: the caller (a Duroxide runtime,
// through the C API or in C++) passes every fact the store must route, order or index
// explicitly in typed envelopes (routing instance, item kind, visible-at time, activity
// identity, session, tag, execution metadata, custom-status change, KV changes). Payload
// bytes come back exactly as given.
//
// Every acknowledgement is exactly one engine atomic_batch. Errors are Status values;
// Status::retryable() is true only for transient storage conditions: invalid or expired
// lock tokens, duplicates and constraint violations are permanent.
//
// Thread-safety: a Provider is thread-safe; it borrows the Store, which must outlive it.
// Several Providers may share one Store (they share its queues and metadata).
//
// Lock tokens are the engine's lease tokens (32 hex digits): random, never reused, valid
// through every Provider on the same Store (the Store keeps one lock registry), and only
// in the process that handed them out (leases do not survive a reopen; the locked
// messages become visible again with their attempt counts kept).
//
// Times are milliseconds since the Unix epoch from the Store's Clock.
//
// Limits (InvalidArgument past them, never truncation): instance ids 1..kMaxInstanceId
// bytes; orchestration names, versions, session ids and tags up to kMaxName bytes; KV
// keys 1..kMaxKvKey bytes; payloads up to the engine's kMaxPayload (16 MiB); KV values up
// to kMaxKvValue and outputs and custom status up to kMaxRecordValue (a little under
// 16 MiB: they are stored inside metadata records).
#ifndef DURASTORE_ORCHESTRATION_PROVIDER_H_
#define DURASTORE_ORCHESTRATION_PROVIDER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durastore/export.h"
#include "durastore/status.h"
#include "durastore/store.h"

namespace durastore::orchestration {

inline constexpr size_t kMaxInstanceId = 160;
inline constexpr size_t kMaxName = 200;
inline constexpr size_t kMaxKvKey = 256;
// The delta layer stores a 1-byte tag and the 8-byte last-updated time with the value.
inline constexpr size_t kMaxKvValue = (size_t{16} << 20) - 9;
inline constexpr size_t kMaxRecordValue = (size_t{16} << 20) - 1024;

// The names of the two engine queues the layer uses.
inline constexpr std::string_view kOrchestratorQueue = "duroxide/orch";
inline constexpr std::string_view kWorkerQueue = "duroxide/work";

enum class ExecutionStatus : uint8_t { kRunning, kCompleted, kFailed, kContinuedAsNew };
// "Running", "Completed", "Failed", "ContinuedAsNew".
DURASTORE_EXPORT std::string_view ExecutionStatusName(ExecutionStatus status);
inline bool IsTerminal(ExecutionStatus s) { return s != ExecutionStatus::kRunning; }

// One history event: the runtime's event_id (1, 2, 3 ... per execution) and its bytes.
struct HistoryEvent {
  uint64_t event_id = 0;
  std::string payload;
  bool operator==(const HistoryEvent&) const = default;
};

// A work item for the orchestrator queue.
struct OrchestratorItem {
  enum class Kind : uint8_t {
    kOther,            // activity/timer/sub-orchestration completion, external event, cancel
    kStart,            // StartOrchestration: carries name and version
    kContinueAsNew,    // ContinueAsNew: carries name and version
    kQueueMessage,     // a queue message; alone it never creates an instance
    kActivityExecute,  // rejected: activity work belongs to the worker queue
  };
  std::string instance;  // routing instance (for sub-orchestration completions: the parent)
  Kind kind = Kind::kOther;
  std::string payload;
  std::string orchestration_name;        // kStart / kContinueAsNew
  std::string version;                   // kStart / kContinueAsNew; empty = unknown
  std::optional<int64_t> visible_at_ms;  // a timer's fire time; unset = visible at once
  bool operator==(const OrchestratorItem&) const = default;
};

// Identifies one scheduled activity (for cancellation).
struct ActivityId {
  std::string instance;
  uint64_t execution_id = 0;
  uint64_t activity_id = 0;
  bool operator==(const ActivityId&) const = default;
};

// A work item for the worker queue (an activity execution).
struct WorkerItem {
  ActivityId identity;
  std::string payload;
  std::optional<std::string> session_id;
  std::optional<std::string> tag;  // unset = the default (untagged) routing
  bool operator==(const WorkerItem&) const = default;
};

// Inclusive semver range "major.minor.patch"; only the first range of a filter is used.
struct VersionRange {
  std::string min;
  std::string max;
};
// Fetch filter: instances whose current execution is pinned to a version outside the
// first range are skipped before locking; an empty list returns nothing.
using VersionFilter = std::vector<VersionRange>;

// A KV value with the time it was last set (the runtime's last_updated_at_ms, which its
// prune_kv_values_updated_before decides by).
struct KvEntry {
  std::string value;
  int64_t updated_at_ms = 0;
  bool operator==(const KvEntry&) const = default;
};

struct OrchestrationItem {
  std::string instance;
  std::string orchestration_name;
  std::string version;
  uint64_t execution_id = 0;
  std::vector<HistoryEvent> history;           // the current execution, in event order
  std::vector<OrchestratorItem> messages;      // the locked batch, in enqueue order
  std::map<std::string, KvEntry> kv_snapshot;  // the KV store layer (not the delta)
  std::optional<std::string> history_error;    // stored history could not be read
};

struct FetchedOrchestration {
  OrchestrationItem item;
  std::string lock_token;
  uint32_t attempt_count = 0;  // the highest delivery count in the batch
};

struct ExecutionMetadata {
  std::optional<ExecutionStatus> status;  // unset = unchanged (a new execution is Running)
  std::optional<std::string> output;
  std::optional<std::string> orchestration_name;  // with version: creates/updates the instance
  std::optional<std::string> version;
  std::optional<std::string> parent_instance;  // set once
  std::optional<std::string> pinned_version;   // stored when given
};

struct KvChange {
  enum class Kind : uint8_t { kSet, kClear, kClearAll };
  Kind kind = Kind::kSet;
  std::string key;
  std::string value;
  int64_t updated_at_ms = 0;  // kSet: the runtime's time of the write, stored with the value
};

struct OrchestrationAck {
  uint64_t execution_id = 0;
  std::vector<HistoryEvent> history_delta;
  std::vector<WorkerItem> worker_items;
  std::vector<OrchestratorItem> orchestrator_items;
  ExecutionMetadata metadata;
  std::vector<ActivityId> cancelled_activities;
  // Unset: unchanged. Set to nullopt: cleared. Set to a value: set. Either way the
  // custom-status version increments once.
  std::optional<std::optional<std::string>> custom_status;
  std::vector<KvChange> kv_changes;
};

struct FetchedWork {
  WorkerItem item;
  std::string lock_token;
  uint32_t attempt_count = 0;
};

struct SessionConfig {
  std::string owner_id;
  int64_t session_lock_timeout_ms = 30'000;
};

struct TagFilter {
  enum class Mode : uint8_t { kDefaultOnly, kTags, kDefaultAndTags, kAny, kNone };
  Mode mode = Mode::kDefaultOnly;
  std::vector<std::string> tags;
};

struct CustomStatus {
  std::optional<std::string> status;  // nullopt = cleared
  uint64_t version = 0;
};

class DURASTORE_EXPORT Provider {
 public:
  // Creates the layer's queues on first use. `store` must outlive the Provider.
  static Result<std::unique_ptr<Provider>> Open(Store& store);
  ~Provider();
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  // Locks one instance that has visible messages (and whose current execution's pinned
  // version passes `filter`) for lock_timeout_ms and returns all its visible messages.
  // Waits up to poll_timeout for such work; nullopt = none became eligible in time.
  // A negative poll_timeout (either Fetch) is InvalidArgument.

  Result<std::optional<FetchedOrchestration>> FetchOrchestrationItem(
      int64_t lock_timeout_ms, std::chrono::milliseconds poll_timeout,
      const std::optional<VersionFilter>& filter = std::nullopt);
  // One atomic commit; LockLost (naming the lock token) if the lock is unknown, expired or
  // was ended by a delete; AlreadyExists for a duplicate event_id. A failed ack changes
  // nothing and keeps the lock.
  Status AckOrchestrationItem(std::string_view lock_token, const OrchestrationAck& ack);
  Status AbandonOrchestrationItem(std::string_view lock_token, std::optional<int64_t> delay_ms,
                                  bool ignore_attempt);
  Status RenewOrchestrationItemLock(std::string_view lock_token, int64_t extend_ms);

  // History of the latest execution; empty for an unknown instance.
  Result<std::vector<HistoryEvent>> Read(std::string_view instance);
  // Corruption if a stored event has no valid event_id (e.g. raw engine appends).
  Result<std::vector<HistoryEvent>> ReadWithExecution(std::string_view instance,
                                                      uint64_t execution_id);
  // Appends (never overwrites): a duplicate or zero event_id fails with AlreadyExists /
  // InvalidArgument.
  Status AppendWithExecution(std::string_view instance, uint64_t execution_id,
                             const std::vector<HistoryEvent>& events);

  // Visible at max(now + delay, item.visible_at_ms). Never creates instance records.
  // InvalidArgument for kActivityExecute.
  Status EnqueueForOrchestrator(const OrchestratorItem& item,
                                std::optional<int64_t> delay_ms = std::nullopt);
  Status EnqueueForWorker(const WorkerItem& item);

  // The oldest eligible worker item, locked for lock_timeout_ms. Without `session` only
  // items without a session are eligible; with it, also items of sessions this owner holds
  // and of sessions nobody holds (claimed atomically; a lost claim returns nullopt).
  Result<std::optional<FetchedWork>> FetchWorkItem(int64_t lock_timeout_ms,
                                                   std::chrono::milliseconds poll_timeout,
                                                   const std::optional<SessionConfig>& session,
                                                   const TagFilter& tags);
  // Deletes the item and enqueues `completion` (if any) atomically; LockLost if the token
  // is unknown, expired, or the item was cancelled or deleted.
  Status AckWorkItem(std::string_view lock_token,
                     const std::optional<OrchestratorItem>& completion);
  Status RenewWorkItemLock(std::string_view lock_token, int64_t extend_ms);
  Status AbandonWorkItem(std::string_view lock_token, std::optional<int64_t> delay_ms,
                         bool ignore_attempt);

  Result<uint64_t> RenewSessionLock(const std::vector<std::string>& owner_ids, int64_t extend_ms,
                                    int64_t idle_timeout_ms);
  Result<uint64_t> CleanupOrphanedSessions(int64_t idle_timeout_ms);

  // Only when the stored version is newer than `last_seen_version`.
  Result<std::optional<CustomStatus>> GetCustomStatus(std::string_view instance,
                                                      uint64_t last_seen_version);
  Result<std::optional<std::string>> GetKvValue(std::string_view instance, std::string_view key);
  Result<std::map<std::string, std::string>> GetKvAllValues(std::string_view instance);

 private:
  struct State;
  Provider(Store& store, std::shared_ptr<State> state);
  Store& store_;
  std::shared_ptr<State> state_;  // the Store's lock registry, shared by its Providers
};

}  // namespace durastore::orchestration

#endif  // DURASTORE_ORCHESTRATION_PROVIDER_H_
