// The orchestration layer's storage layout over the engine, shared by Provider and Admin.
// Layout (metadata keys and values, history, queue attributes): docs/format.md, section
// "Orchestration records".
#ifndef DURASTORE_ORCHESTRATION_RECORDS_H_
#define DURASTORE_ORCHESTRATION_RECORDS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coding.h"
#include "durastore/orchestration/provider.h"
#include "durastore/queue.h"
#include "durastore/status.h"
#include "durastore/store.h"
#include "status_macros.h"

namespace durastore::orchestration::internal {

// ---- keys ----
std::string InstanceKey(std::string_view instance);
std::string InstancePrefix();  // all instance records
std::string CurrentKey(std::string_view instance);
std::string ExecutionKey(std::string_view instance, uint64_t execution_id);
std::string ExecutionPrefix(std::string_view instance);
std::string AllExecutionsPrefix();
std::string ChildKey(std::string_view parent, std::string_view child);
std::string ChildPrefix(std::string_view parent);
std::string CustomStatusKey(std::string_view instance);
std::string KvKey(std::string_view instance, std::string_view key);
std::string KvPrefix(std::string_view instance);
std::string DeltaKey(std::string_view instance, std::string_view key);
std::string DeltaPrefix(std::string_view instance);
std::string ClearedKey(std::string_view instance);
std::string SessionKey(std::string_view session);
std::string SessionPrefix();
// The first key after every key that starts with `prefix` (for DeleteRange).
std::string PrefixEnd(std::string_view prefix);
// STR and EXEC (coding.h): GetStr16 reads the STR at `pos`, advancing it (nullopt if
// malformed); EncodeU64/DecodeU64 an EXEC (nullopt unless exactly 8 bytes).
using ::durastore::internal::DecodeU64;
using ::durastore::internal::EncodeU64;
using ::durastore::internal::GetStr16;
using ::durastore::internal::NotFoundAsNullopt;
std::string ActivityAttribute(const ActivityId& id);
std::optional<ActivityId> DecodeActivityAttribute(std::string_view value);

// ---- records ----
struct InstanceRec {
  std::string name;
  std::string version;
  std::optional<std::string> parent;
  int64_t created_at_ms = 0;
  int64_t updated_at_ms = 0;
};
struct ExecutionRec {
  ExecutionStatus status = ExecutionStatus::kRunning;
  std::optional<std::string> output;
  int64_t started_at_ms = 0;
  std::optional<int64_t> completed_at_ms;
  std::optional<std::string> pinned_version;
  std::string name;
  std::string version;
};
struct SessionRec {
  std::string owner;
  int64_t locked_until_ms = 0;
  int64_t last_activity_ms = 0;
};

std::string Encode(const InstanceRec& r);
std::string Encode(const ExecutionRec& r);
std::string Encode(const CustomStatus& r);
std::string Encode(const SessionRec& r);
// Corruption (naming `what`) when the bytes do not verify.
Result<InstanceRec> DecodeInstance(std::string_view bytes);
Result<ExecutionRec> DecodeExecution(std::string_view bytes);
Result<CustomStatus> DecodeCustomStatus(std::string_view bytes);
Result<SessionRec> DecodeSession(std::string_view bytes);

// ---- reads shared by Provider and Admin ----
// Every metadata pair under `prefix`, in key order (pages through Store::Scan).
Result<std::vector<std::pair<std::string, std::string>>> ScanAll(Store& store,
                                                                 std::string_view prefix);
// nullopt when absent.
Result<std::optional<std::string>> GetOptional(Store& store, std::string_view key);
Result<std::optional<InstanceRec>> LoadInstance(Store& store, std::string_view instance);
Result<std::optional<ExecutionRec>> LoadExecution(Store& store, std::string_view instance,
                                                  uint64_t execution_id);
// The current execution: the recorded one, else the highest history partition; nullopt
// when the instance has neither.
Result<std::optional<uint64_t>> CurrentExecution(Store& store, std::string_view instance);
// The events of one execution in order; Corruption when an event has no valid event_id.
Result<std::vector<HistoryEvent>> ReadHistory(Store& store, std::string_view instance,
                                              uint64_t execution_id);
// The history of the current execution; empty when the instance has none.
Result<std::vector<HistoryEvent>> ReadCurrentHistory(Store& store, std::string_view instance);
// A KV delta record: u8 1 + value (set) or u8 0 (cleared). Decoding yields the value, or
// nullopt for a tombstone; Corruption for an empty record.
std::string EncodeDelta(const std::optional<KvEntry>& entry);
Result<std::optional<KvEntry>> DecodeDelta(std::string_view bytes);
// The KV store layer, and the client view (store overlaid by the delta).
std::string EncodeKv(const KvEntry& entry);
Result<KvEntry> DecodeKv(std::string_view bytes);
Result<std::map<std::string, KvEntry>> ReadKvStore(Store& store, std::string_view instance);
Result<std::map<std::string, KvEntry>> ReadKvMerged(Store& store, std::string_view instance);

Status ValidateInstance(std::string_view instance);
// Wraps an engine error about a lease into the contract's wording.
Status LockError(std::string_view token, const Status& engine_error);

}  // namespace durastore::orchestration::internal

#endif  // DURASTORE_ORCHESTRATION_RECORDS_H_
