// Provider: orchestrations, history, enqueue and client reads (work items and sessions
// are in work_items.cc). The mapping onto the engine is in records.h and
// docs/orchestration.md.
#include <algorithm>
#include <array>
#include <charconv>
#include <functional>
#include <set>
#include <utility>

#include "durastore/limits.h"
#include "durastore/orchestration/provider.h"
#include "provider_internal.h"
#include "store_internal.h"
#include "time_math.h"

namespace durastore::orchestration {

using namespace internal;  // NOLINT: this file is the layer's implementation

namespace {

using Kind = OrchestratorItem::Kind;
using SteadyClock = std::chrono::steady_clock;

constexpr std::array<std::pair<Kind, char>, 4> kKindCodes = {{{Kind::kOther, 'o'},
                                                              {Kind::kStart, 's'},
                                                              {Kind::kContinueAsNew, 'c'},
                                                              {Kind::kQueueMessage, 'q'}}};

Result<OrchestratorItem> DecodeOrchestratorMessage(queue::Message& m) {
  OrchestratorItem item;
  item.instance = m.group_key;
  item.payload = std::move(m.payload);
  const std::string* kind = FindAttribute(m.attributes, "k");
  auto code = std::find_if(kKindCodes.begin(), kKindCodes.end(), [&](const auto& kc) {
    return kind != nullptr && kind->size() == 1 && (*kind)[0] == kc.second;
  });
  if (code == kKindCodes.end()) {
    return Status::Corruption("orchestrator message " + std::to_string(m.id) + " has no kind");
  }
  item.kind = code->first;
  if (const auto* n = FindAttribute(m.attributes, "n")) item.orchestration_name = *n;
  if (const auto* v = FindAttribute(m.attributes, "v")) item.version = *v;
  if (const auto* at = FindAttribute(m.attributes, "at")) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(at->data(), at->data() + at->size(), value);
    if (ec != std::errc() || end != at->data() + at->size()) {
      return Status::Corruption("orchestrator message " + std::to_string(m.id) +
                                " has a malformed visible-at");
    }
    item.visible_at_ms = value;
  }
  return item;
}
// ---- history ----

Status AddHistoryAppend(Batch& batch, std::string_view instance, uint64_t execution_id,
                        const std::vector<HistoryEvent>& events) {
  if (execution_id == 0) return Status::InvalidArgument("execution id 0 is not valid");
  if (events.empty()) return Status::OK();
  std::set<uint64_t> seen;
  std::vector<eventlog::EventData> data;
  data.reserve(events.size());
  for (const auto& e : events) {
    if (e.event_id == 0) return Status::InvalidArgument("event_id 0 is not valid");
    if (!seen.insert(e.event_id).second) {
      return Status::AlreadyExists("event_id " + std::to_string(e.event_id) +
                                   " appears twice in one append");
    }
    data.push_back({e.payload, EncodeU64(e.event_id)});
  }
  batch.Append(instance, execution_id, std::move(data));
  return Status::OK();
}

// ---- version filter ----

std::optional<std::array<uint64_t, 3>> ParseSemver(std::string_view s) {
  // "major.minor.patch", ignoring any "-prerelease" / "+build" suffix.
  s = s.substr(0, std::min(s.find('-'), s.find('+')));
  std::array<uint64_t, 3> v{};
  for (size_t i = 0; i < 3; ++i) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v[i]);
    if (ec != std::errc() || end == s.data()) return std::nullopt;
    s.remove_prefix(end - s.data());
    if (i < 2) {
      if (s.empty() || s[0] != '.') return std::nullopt;
      s.remove_prefix(1);
    }
  }
  if (!s.empty()) return std::nullopt;
  return v;
}

// The accept predicate: the instance's current execution has no pinned version or one
// inside [min, max]. Unreadable records make the candidate ineligible (never a crash).
std::function<bool(const queue::Candidate&)> VersionPredicate(std::array<uint64_t, 3> min,
                                                              std::array<uint64_t, 3> max) {
  return [min, max](const queue::Candidate& c) {
    auto current = c.GetMetadata(CurrentKey(c.group_key()));
    if (!current.ok()) return current.status().code() == Code::kNotFound;
    auto exec_id = DecodeU64(*current);
    if (!exec_id) return false;
    auto bytes = c.GetMetadata(ExecutionKey(c.group_key(), *exec_id));
    if (!bytes.ok()) return bytes.status().code() == Code::kNotFound;
    auto exec = DecodeExecution(*bytes);
    if (!exec.ok()) return false;
    if (!exec->pinned_version) return true;
    auto pinned = ParseSemver(*exec->pinned_version);
    return pinned && *pinned >= min && *pinned <= max;
  };
}
// The item for a fresh lease: its messages, the current execution, its history (or the
// reason it cannot be read) and the KV snapshot. nullopt when the batch is only queue
// messages for an instance that does not exist (the caller discards them).
Result<std::optional<FetchedOrchestration>> LoadItem(Store& store, queue::Lease& lease) {
  FetchedOrchestration out;
  OrchestrationItem& item = out.item;
  item.instance = lease.group_key;
  for (auto& m : lease.messages) {
    out.attempt_count = std::max(out.attempt_count, m.delivery_count);
    ASSIGN_OR_RETURN(auto decoded, DecodeOrchestratorMessage(m));
    item.messages.push_back(std::move(decoded));
  }
  ASSIGN_OR_RETURN(auto instance, LoadInstance(store, item.instance));
  ASSIGN_OR_RETURN(auto current, CurrentExecution(store, item.instance));
  if (!instance && !current &&
      std::all_of(item.messages.begin(), item.messages.end(),
                  [](const auto& m) { return m.kind == Kind::kQueueMessage; })) {
    return std::optional<FetchedOrchestration>();
  }
  item.execution_id = current.value_or(1);
  ASSIGN_OR_RETURN(auto execution, LoadExecution(store, item.instance, item.execution_id));
  if (execution && !execution->name.empty()) {
    item.orchestration_name = execution->name;
    item.version = execution->version;
  } else if (instance) {
    item.orchestration_name = instance->name;
    item.version = instance->version;
  } else {
    auto start = std::find_if(item.messages.begin(), item.messages.end(), [](const auto& m) {
      return m.kind == Kind::kStart || m.kind == Kind::kContinueAsNew;
    });
    if (start != item.messages.end()) {
      item.orchestration_name = start->orchestration_name;
      item.version = start->version;
    }
  }
  if (item.version.empty()) item.version = "unknown";
  auto history = ReadHistory(store, item.instance, item.execution_id);
  if (history.ok()) {
    item.history = std::move(history).value();
  } else if (history.status().code() == Code::kCorruption) {
    item.history_error = history.status().message();
  } else {
    return history.status();
  }
  ASSIGN_OR_RETURN(item.kv_snapshot, ReadKvStore(store, item.instance));
  out.lock_token = lease.token.ToHex();
  return std::optional<FetchedOrchestration>(std::move(out));
}

// Execution bookkeeping of an ack: current execution, execution record, instance record
// and children index. The instance lock makes these read-modify-writes safe: only the
// lock holder writes an instance's records (a delete ends the lock, failing the ack).
Status AddExecutionRecords(Store& store, Batch& batch, const OrchLock& lock,
                           const OrchestrationAck& ack, int64_t now) {
  const std::string& instance = lock.instance;
  const ExecutionMetadata& meta = ack.metadata;
  if (meta.orchestration_name) {
    RETURN_IF_ERROR(ValidateName("orchestration name", *meta.orchestration_name));
  }
  if (meta.version) RETURN_IF_ERROR(ValidateName("version", *meta.version));
  if (meta.pinned_version) RETURN_IF_ERROR(ValidateName("pinned version", *meta.pinned_version));
  if (meta.parent_instance) RETURN_IF_ERROR(ValidateInstance(*meta.parent_instance));
  if (meta.output && meta.output->size() > kMaxRecordValue) {
    return Status::InvalidArgument("output is " + std::to_string(meta.output->size()) +
                                   " bytes; the limit is " + std::to_string(kMaxRecordValue));
  }

  ASSIGN_OR_RETURN(auto current, CurrentExecution(store, instance));
  if (!current || *current < ack.execution_id) {
    batch.Put(CurrentKey(instance), EncodeU64(ack.execution_id));
  }
  ASSIGN_OR_RETURN(auto loaded, LoadExecution(store, instance, ack.execution_id));
  ExecutionRec exec = loaded.value_or(ExecutionRec{});
  if (!loaded) {
    exec.started_at_ms = now;
    exec.name = meta.orchestration_name.value_or(lock.name);
    exec.version = meta.version.value_or(lock.version);
  }
  if (meta.status) {
    exec.status = *meta.status;
    exec.completed_at_ms = IsTerminal(*meta.status) ? std::optional<int64_t>(now) : std::nullopt;
  }
  if (meta.output) exec.output = meta.output;
  if (meta.pinned_version) exec.pinned_version = meta.pinned_version;
  batch.Put(ExecutionKey(instance, ack.execution_id), Encode(exec));

  ASSIGN_OR_RETURN(auto inst, LoadInstance(store, instance));
  if (meta.orchestration_name && meta.version) {
    InstanceRec rec = inst.value_or(InstanceRec{});
    if (!inst) rec.created_at_ms = now;
    rec.name = *meta.orchestration_name;
    rec.version = *meta.version;
    if (!rec.parent && meta.parent_instance) {
      rec.parent = meta.parent_instance;
      batch.Put(ChildKey(*rec.parent, instance), "");
    }
    inst = std::move(rec);
  }
  if (inst) {
    inst->updated_at_ms = now;
    batch.Put(InstanceKey(instance), Encode(*inst));
  }
  return Status::OK();
}

Status AddCustomStatus(Store& store, Batch& batch, std::string_view instance,
                       const std::optional<std::string>& status) {
  if (status && status->size() > kMaxRecordValue) {
    return Status::InvalidArgument("custom status is " + std::to_string(status->size()) +
                                   " bytes; the limit is " + std::to_string(kMaxRecordValue));
  }
  ASSIGN_OR_RETURN(auto old, GetOptional(store, CustomStatusKey(instance)));
  CustomStatus cs;
  if (old) {
    ASSIGN_OR_RETURN(cs, DecodeCustomStatus(*old));
  }
  cs.status = status;
  ++cs.version;
  batch.Put(CustomStatusKey(instance), Encode(cs));
  return Status::OK();
}

// KV changes go to the delta layer; a terminal status merges store ⊕ delta ⊕ these
// changes into the store layer and empties the delta.
Status AddKvChanges(Store& store, Batch& batch, std::string_view instance,
                    const std::vector<KvChange>& changes, bool terminal) {
  for (const auto& c : changes) {
    if (c.kind == KvChange::Kind::kClearAll) continue;
    RETURN_IF_ERROR(ValidateKvKey(c.key));
    if (c.value.size() > kMaxKvValue) {
      return Status::InvalidArgument("KV value of key \"" + c.key + "\" is " +
                                     std::to_string(c.value.size()) + " bytes; the limit is " +
                                     std::to_string(kMaxKvValue));
    }
  }
  const std::string delta_prefix = DeltaPrefix(instance);
  if (terminal) {
    ASSIGN_OR_RETURN(auto merged, ReadKvMerged(store, instance));
    for (const auto& c : changes) {
      if (c.kind == KvChange::Kind::kSet) merged[c.key] = KvEntry{c.value, c.updated_at_ms};
      if (c.kind == KvChange::Kind::kClear) merged.erase(c.key);
      if (c.kind == KvChange::Kind::kClearAll) merged.clear();
    }
    batch.DeleteRange(KvPrefix(instance), PrefixEnd(KvPrefix(instance)));
    batch.DeleteRange(delta_prefix, PrefixEnd(delta_prefix));
    batch.Delete(ClearedKey(instance));
    for (const auto& [k, v] : merged) batch.Put(KvKey(instance, k), EncodeKv(v));
    return Status::OK();
  }
  for (const auto& c : changes) {
    switch (c.kind) {
      case KvChange::Kind::kSet:
        batch.Put(DeltaKey(instance, c.key), EncodeDelta(KvEntry{c.value, c.updated_at_ms}));
        break;
      case KvChange::Kind::kClear:
        batch.Put(DeltaKey(instance, c.key), EncodeDelta(std::nullopt));
        break;
      case KvChange::Kind::kClearAll:
        batch.DeleteRange(delta_prefix, PrefixEnd(delta_prefix));
        batch.Put(ClearedKey(instance), "");
        break;
    }
  }
  return Status::OK();
}

}  // namespace

namespace internal {

Status ValidateName(std::string_view what, std::string_view value) {
  return ValidateLength(what, value, 0, kMaxName);
}

Status ValidateKvKey(std::string_view key) { return ValidateLength("KV key", key, 1, kMaxKvKey); }

Status ValidatePositive(std::string_view what, int64_t ms) {
  if (ms <= 0) return Status::InvalidArgument(std::string(what) + " must be positive");
  return Status::OK();
}

Status ValidateDelay(std::optional<int64_t> delay_ms) {
  if (delay_ms && *delay_ms < 0) return Status::InvalidArgument("delay must not be negative");
  return Status::OK();
}

const std::string* FindAttribute(const std::vector<queue::Attribute>& attrs,
                                 std::string_view name) {
  for (const auto& a : attrs) {
    if (a.name == name) return &a.value;
  }
  return nullptr;
}

Status AddOrchestratorEnqueue(Batch& batch, const OrchestratorItem& item, int64_t now_ms,
                              std::optional<int64_t> delay_ms) {
  RETURN_IF_ERROR(ValidateInstance(item.instance));
  RETURN_IF_ERROR(ValidateDelay(delay_ms));
  RETURN_IF_ERROR(ValidateName("orchestration name", item.orchestration_name));
  RETURN_IF_ERROR(ValidateName("version", item.version));
  auto code = std::find_if(kKindCodes.begin(), kKindCodes.end(),
                           [&](const auto& kc) { return kc.first == item.kind; });
  if (code == kKindCodes.end()) {
    return Status::InvalidArgument(
        "activity-execute items belong to the worker queue (use EnqueueForWorker)");
  }
  queue::EnqueueOptions options;
  options.group_key = item.instance;
  options.visible_at_ms = ::durastore::internal::AddMs(now_ms, delay_ms.value_or(0));
  options.attributes.push_back({"i", item.instance});
  options.attributes.push_back({"k", std::string(1, code->second)});
  if (item.kind == Kind::kStart || item.kind == Kind::kContinueAsNew) {
    options.attributes.push_back({"n", item.orchestration_name});
    options.attributes.push_back({"v", item.version});
  }
  if (item.visible_at_ms) {
    options.visible_at_ms = std::max(*options.visible_at_ms, *item.visible_at_ms);
    options.attributes.push_back({"at", std::to_string(*item.visible_at_ms)});
  }
  batch.Enqueue(kOrchestratorQueue, item.payload, options);
  return Status::OK();
}

}  // namespace internal

Provider::Provider(Store& store, std::shared_ptr<State> state)
    : store_(store), state_(std::move(state)) {}
Provider::~Provider() = default;

Result<std::unique_ptr<Provider>> Provider::Open(Store& store) {
  Batch batch;
  queue::QueueOptions orch;
  orch.group_mode = true;
  batch.ConfigureQueue(kOrchestratorQueue, orch);
  batch.ConfigureQueue(kWorkerQueue, queue::QueueOptions{});
  RETURN_IF_ERROR(store.Commit(std::move(batch)).status());
  // One lock registry and one session mutex per Store: a token handed out by one Provider
  // settles through any, and session records are read-modify-written by one at a time.
  auto state = std::static_pointer_cast<State>(
      StoreInternal::Component(store, "orchestration/locks", [&store] {
        auto s = std::make_shared<State>();
        s->session_mu = SessionMutexOf(store);
        return s;
      }));
  return std::unique_ptr<Provider>(new Provider(store, std::move(state)));
}

// ---------------------------------------------------------------------------------------
// Orchestrations

Result<std::optional<FetchedOrchestration>> Provider::FetchOrchestrationItem(
    int64_t lock_timeout_ms, std::chrono::milliseconds poll_timeout,
    const std::optional<VersionFilter>& filter) {
  RETURN_IF_ERROR(ValidatePositive("lock timeout", lock_timeout_ms));
  if (poll_timeout.count() < 0) return Status::InvalidArgument("poll timeout must not be negative");
  queue::DequeueOptions options;
  options.lock_duration_ms = lock_timeout_ms;
  if (filter) {
    if (filter->empty()) return std::optional<FetchedOrchestration>();
    auto min = ParseSemver(filter->front().min);
    auto max = ParseSemver(filter->front().max);
    if (!min || !max) {
      return Status::InvalidArgument("version filter range \"" + filter->front().min + "\"..\"" +
                                     filter->front().max + "\" is not major.minor.patch");
    }
    options.accept = VersionPredicate(*min, *max);
  }
  const auto deadline = ::durastore::internal::DeadlineAfter(poll_timeout);
  for (;;) {
    // Rounded up: a fetch that finds nothing never returns before poll_timeout.
    options.wait =
        std::max(std::chrono::milliseconds(0),
                 std::chrono::ceil<std::chrono::milliseconds>(deadline - SteadyClock::now()));
    ASSIGN_OR_RETURN(auto lease, queue::Dequeue(store_, kOrchestratorQueue, options));
    if (!lease) return std::optional<FetchedOrchestration>();
    auto loaded = LoadItem(store_, *lease);
    if (!loaded.ok()) {
      Batch release;  // best effort: the error is what the caller must see
      release.Abandon(lease->token, 0, /*count_attempt=*/false);
      (void)store_.Commit(std::move(release));
      return loaded.status();
    }
    if (!loaded->has_value()) {
      // Queue messages for an instance that does not exist: discard them, look again.
      Batch discard;
      discard.Ack(lease->token);
      RETURN_IF_ERROR(store_.Commit(std::move(discard)).status());
      continue;
    }
    const OrchestrationItem& item = (*loaded)->item;
    std::lock_guard lock(state_->mu);
    // The sweep is housekeeping: a clock that fails now only postpones it.
    if (auto now = ::durastore::internal::ReadClock(store_.clock()); now.ok())
      state_->MaybeSweep(*now);
    state_->orch.emplace((*loaded)->lock_token,
                         OrchLock{lease->token, item.instance, item.execution_id,
                                  item.orchestration_name, item.version, lease->locked_until_ms});
    return loaded;
  }
}

Status Provider::AckOrchestrationItem(std::string_view lock_token, const OrchestrationAck& ack) {
  ASSIGN_OR_RETURN(OrchLock lock, state_->Find(state_->orch, lock_token));
  ASSIGN_OR_RETURN(const int64_t now, ::durastore::internal::ReadClock(store_.clock()));
  Batch batch;
  batch.Ack(lock.lease);
  RETURN_IF_ERROR(AddHistoryAppend(batch, lock.instance, ack.execution_id, ack.history_delta));
  // Worker items go in before the cancellations so that an activity scheduled and
  // cancelled in the same turn ends up absent.
  for (const auto& w : ack.worker_items) RETURN_IF_ERROR(AddWorkerEnqueue(batch, w));
  for (const auto& id : ack.cancelled_activities) {
    batch.DeleteMessages(kWorkerQueue, "a", ActivityAttribute(id));
  }
  for (const auto& o : ack.orchestrator_items) {
    RETURN_IF_ERROR(AddOrchestratorEnqueue(batch, o, now, std::nullopt));
  }
  RETURN_IF_ERROR(AddExecutionRecords(store_, batch, lock, ack, now));
  if (ack.custom_status) {
    RETURN_IF_ERROR(AddCustomStatus(store_, batch, lock.instance, *ack.custom_status));
  }
  const bool terminal = ack.metadata.status && IsTerminal(*ack.metadata.status);
  RETURN_IF_ERROR(AddKvChanges(store_, batch, lock.instance, ack.kv_changes, terminal));

  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  state_->Forget(state_->orch, lock_token);
  return Status::OK();
}

Status Provider::AbandonOrchestrationItem(std::string_view lock_token,
                                          std::optional<int64_t> delay_ms, bool ignore_attempt) {
  return state_->Abandon(store_, state_->orch, lock_token, delay_ms, ignore_attempt);
}

Status Provider::RenewOrchestrationItemLock(std::string_view lock_token, int64_t extend_ms) {
  return state_->Renew(store_, state_->orch, lock_token, extend_ms);
}

// ---------------------------------------------------------------------------------------
// History

Result<std::vector<HistoryEvent>> Provider::Read(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  return ReadCurrentHistory(store_, instance);
}

Result<std::vector<HistoryEvent>> Provider::ReadWithExecution(std::string_view instance,
                                                              uint64_t execution_id) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  return ReadHistory(store_, instance, execution_id);
}

Status Provider::AppendWithExecution(std::string_view instance, uint64_t execution_id,
                                     const std::vector<HistoryEvent>& events) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  Batch batch;
  RETURN_IF_ERROR(AddHistoryAppend(batch, instance, execution_id, events));
  if (batch.empty()) return Status::OK();
  return store_.Commit(std::move(batch)).status();
}

// ---------------------------------------------------------------------------------------
// Enqueue

Status Provider::EnqueueForOrchestrator(const OrchestratorItem& item,
                                        std::optional<int64_t> delay_ms) {
  Batch batch;
  ASSIGN_OR_RETURN(const int64_t now, ::durastore::internal::ReadClock(store_.clock()));
  RETURN_IF_ERROR(AddOrchestratorEnqueue(batch, item, now, delay_ms));
  return store_.Commit(std::move(batch)).status();
}

// ---------------------------------------------------------------------------------------
// Client reads

Result<std::optional<CustomStatus>> Provider::GetCustomStatus(std::string_view instance,
                                                              uint64_t last_seen_version) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto bytes, GetOptional(store_, CustomStatusKey(instance)));
  if (!bytes) return std::optional<CustomStatus>();
  ASSIGN_OR_RETURN(auto cs, DecodeCustomStatus(*bytes));
  if (cs.version <= last_seen_version) return std::optional<CustomStatus>();
  return std::optional<CustomStatus>(std::move(cs));
}

Result<std::optional<std::string>> Provider::GetKvValue(std::string_view instance,
                                                        std::string_view key) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  RETURN_IF_ERROR(ValidateKvKey(key));
  ASSIGN_OR_RETURN(auto delta, GetOptional(store_, DeltaKey(instance, key)));
  if (delta) {
    ASSIGN_OR_RETURN(auto entry, DecodeDelta(*delta));
    if (!entry) return std::optional<std::string>();
    return std::optional<std::string>(std::move(entry->value));
  }
  ASSIGN_OR_RETURN(auto cleared, GetOptional(store_, ClearedKey(instance)));
  if (cleared) return std::optional<std::string>();
  ASSIGN_OR_RETURN(auto stored, GetOptional(store_, KvKey(instance, key)));
  if (!stored) return std::optional<std::string>();
  ASSIGN_OR_RETURN(auto entry, DecodeKv(*stored));
  return std::optional<std::string>(std::move(entry.value));
}

Result<std::map<std::string, std::string>> Provider::GetKvAllValues(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto entries, ReadKvMerged(store_, instance));
  std::map<std::string, std::string> values;
  for (auto& [k, e] : entries) values.emplace(k, std::move(e.value));
  return values;
}

}  // namespace durastore::orchestration
