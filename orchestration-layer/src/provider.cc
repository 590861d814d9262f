// Provider: the Duroxide hot path over one Store (mapping in records.h and
// docs/orchestration.md).
#include "durastore/orchestration/provider.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <mutex>
#include <set>
#include <unordered_map>
#include <utility>

#include "durastore/batch.h"
#include "durastore/limits.h"
#include "durastore/queue.h"
#include "records.h"
#include "status_macros.h"

namespace durastore::orchestration {

using namespace internal;  // NOLINT: this file is the layer's implementation

namespace {

using Kind = OrchestratorItem::Kind;
using SteadyClock = std::chrono::steady_clock;

constexpr std::array<std::pair<Kind, char>, 4> kKindCodes = {{{Kind::kOther, 'o'},
                                                              {Kind::kStart, 's'},
                                                              {Kind::kContinueAsNew, 'c'},
                                                              {Kind::kQueueMessage, 'q'}}};

// Session records are read-modify-written by fetch (claim), ack (activity time), renew and
// cleanup; one mutex per process serializes those (a Store has one process).
std::mutex& SessionMutex() {
  static std::mutex mu;
  return mu;
}

Status ValidateName(std::string_view what, std::string_view value) {
  if (value.size() > kMaxName) {
    return Status::InvalidArgument(std::string(what) + " is " + std::to_string(value.size()) +
                                   " bytes; the limit is " + std::to_string(kMaxName));
  }
  return Status::OK();
}

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

// ---- orchestrator items <-> queue messages ----

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
  options.visible_at_ms = now_ms + delay_ms.value_or(0);
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

// ---- worker items <-> queue messages ----

Status AddWorkerEnqueue(Batch& batch, const WorkerItem& item) {
  RETURN_IF_ERROR(ValidateInstance(item.identity.instance));
  if (item.session_id) {
    if (item.session_id->empty()) return Status::InvalidArgument("session id is empty");
    RETURN_IF_ERROR(ValidateName("session id", *item.session_id));
  }
  if (item.tag) RETURN_IF_ERROR(ValidateName("tag", *item.tag));
  queue::EnqueueOptions options;
  options.attributes.push_back({"i", item.identity.instance});
  options.attributes.push_back({"a", ActivityAttribute(item.identity)});
  if (item.session_id) options.attributes.push_back({"s", *item.session_id});
  if (item.tag) options.attributes.push_back({"t", *item.tag});
  batch.Enqueue(kWorkerQueue, item.payload, options);
  return Status::OK();
}

Result<WorkerItem> DecodeWorkerMessage(queue::Message& m) {
  WorkerItem item;
  const std::string* a = FindAttribute(m.attributes, "a");
  auto identity = a ? DecodeActivityAttribute(*a) : std::nullopt;
  if (!identity) {
    return Status::Corruption("worker message " + std::to_string(m.id) +
                              " has no activity identity");
  }
  item.identity = std::move(*identity);
  item.payload = std::move(m.payload);
  if (const auto* s = FindAttribute(m.attributes, "s")) item.session_id = *s;
  if (const auto* t = FindAttribute(m.attributes, "t")) item.tag = *t;
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

}  // namespace

// ---- locks held by this Provider ----

struct OrchLock {
  queue::LeaseToken lease;
  std::string instance;
  uint64_t execution_id = 0;
  std::string name;
  std::string version;
  int64_t locked_until_ms = 0;
};

struct WorkLock {
  queue::LeaseToken lease;
  std::optional<std::string> session;
  int64_t locked_until_ms = 0;
};

struct Provider::State {
  std::mutex mu;
  std::unordered_map<std::string, OrchLock> orch;
  std::unordered_map<std::string, WorkLock> work;
  size_t inserts_since_sweep = 0;

  // Drops locks that expired (they can no longer be settled) every so often, so a
  // runtime that lets locks lapse does not grow the maps.
  void MaybeSweep(int64_t now_ms) {
    if (++inserts_since_sweep < 1024) return;
    inserts_since_sweep = 0;
    std::erase_if(orch, [&](const auto& kv) { return kv.second.locked_until_ms <= now_ms; });
    std::erase_if(work, [&](const auto& kv) { return kv.second.locked_until_ms <= now_ms; });
  }

  template <typename Map>
  static Result<typename Map::mapped_type> Find(Map& map, std::string_view token) {
    auto it = map.find(std::string(token));
    if (it == map.end()) {
      return Status::LockLost("lock token " + std::string(token) +
                              " is unknown, expired or already settled");
    }
    return it->second;
  }
};

Provider::Provider(Store& store, std::unique_ptr<State> state)
    : store_(store), state_(std::move(state)) {}
Provider::~Provider() = default;

Result<std::unique_ptr<Provider>> Provider::Open(Store& store) {
  Batch batch;
  queue::QueueOptions orch;
  orch.group_mode = true;
  batch.ConfigureQueue(kOrchestratorQueue, orch);
  batch.ConfigureQueue(kWorkerQueue, queue::QueueOptions{});
  RETURN_IF_ERROR(store.Commit(std::move(batch)).status());
  return std::unique_ptr<Provider>(new Provider(store, std::make_unique<State>()));
}

// ---------------------------------------------------------------------------------------
// Orchestrations

Result<std::optional<FetchedOrchestration>> Provider::FetchOrchestrationItem(
    int64_t lock_timeout_ms, std::chrono::milliseconds poll_timeout,
    const std::optional<VersionFilter>& filter) {
  RETURN_IF_ERROR(ValidatePositive("lock timeout", lock_timeout_ms));
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
  const auto deadline = SteadyClock::now() + poll_timeout;
  for (;;) {
    options.wait = std::max(
        std::chrono::milliseconds(0),
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - SteadyClock::now()));
    ASSIGN_OR_RETURN(auto lease, queue::Dequeue(store_, kOrchestratorQueue, options));
    if (!lease) return std::optional<FetchedOrchestration>();

    auto built = [&]() -> Result<std::optional<FetchedOrchestration>> {
      FetchedOrchestration out;
      OrchestrationItem& item = out.item;
      item.instance = lease->group_key;
      for (auto& m : lease->messages) {
        out.attempt_count = std::max(out.attempt_count, m.delivery_count);
        ASSIGN_OR_RETURN(auto decoded, DecodeOrchestratorMessage(m));
        item.messages.push_back(std::move(decoded));
      }
      ASSIGN_OR_RETURN(auto instance, LoadInstance(store_, item.instance));
      ASSIGN_OR_RETURN(auto current, CurrentExecution(store_, item.instance));
      if (!instance && !current &&
          std::all_of(item.messages.begin(), item.messages.end(),
                      [](const auto& m) { return m.kind == Kind::kQueueMessage; })) {
        return std::optional<FetchedOrchestration>();  // queue messages for no instance
      }
      item.execution_id = current.value_or(1);
      ASSIGN_OR_RETURN(auto execution, LoadExecution(store_, item.instance, item.execution_id));
      if (execution && !execution->name.empty()) {
        item.orchestration_name = execution->name;
        item.version = execution->version;
      } else if (instance) {
        item.orchestration_name = instance->name;
        item.version = instance->version;
      } else {
        for (const auto& m : item.messages) {
          if (m.kind == Kind::kStart || m.kind == Kind::kContinueAsNew) {
            item.orchestration_name = m.orchestration_name;
            item.version = m.version;
            break;
          }
        }
      }
      if (item.version.empty()) item.version = "unknown";
      auto history = ReadHistory(store_, item.instance, item.execution_id);
      if (history.ok()) {
        item.history = std::move(history).value();
      } else if (history.status().code() == Code::kCorruption) {
        item.history_error = history.status().message();
      } else {
        return history.status();
      }
      ASSIGN_OR_RETURN(item.kv_snapshot, ReadKvStore(store_, item.instance));
      out.lock_token = lease->token.ToHex();
      return std::optional<FetchedOrchestration>(std::move(out));
    }();

    if (built.ok() && !built->has_value()) {
      // Discard the orphaned queue messages and look again.
      Batch discard;
      discard.Ack(lease->token);
      RETURN_IF_ERROR(store_.Commit(std::move(discard)).status());
      continue;
    }
    if (!built.ok()) {
      Batch release;  // best effort: the error is what the caller must see
      release.Abandon(lease->token, 0, /*count_attempt=*/false);
      (void)store_.Commit(std::move(release));
      return built.status();
    }
    const OrchestrationItem& item = (*built)->item;
    std::lock_guard lock(state_->mu);
    state_->MaybeSweep(store_.clock().NowMs());
    state_->orch.emplace((*built)->lock_token,
                         OrchLock{lease->token, item.instance, item.execution_id,
                                  item.orchestration_name, item.version, lease->locked_until_ms});
    return built;
  }
}

Status Provider::AckOrchestrationItem(std::string_view lock_token, const OrchestrationAck& ack) {
  OrchLock lock;
  {
    std::lock_guard guard(state_->mu);
    ASSIGN_OR_RETURN(lock, State::Find(state_->orch, lock_token));
  }
  const std::string& instance = lock.instance;
  const uint64_t exec_id = ack.execution_id;
  const ExecutionMetadata& meta = ack.metadata;
  const int64_t now = store_.clock().NowMs();
  if (meta.orchestration_name)
    RETURN_IF_ERROR(ValidateName("orchestration name", *meta.orchestration_name));
  if (meta.version) RETURN_IF_ERROR(ValidateName("version", *meta.version));
  if (meta.pinned_version) RETURN_IF_ERROR(ValidateName("pinned version", *meta.pinned_version));
  if (meta.parent_instance) RETURN_IF_ERROR(ValidateInstance(*meta.parent_instance));

  Batch batch;
  batch.Ack(lock.lease);
  RETURN_IF_ERROR(AddHistoryAppend(batch, instance, exec_id, ack.history_delta));
  // Worker items go in before the cancellations so that an activity scheduled and
  // cancelled in the same turn ends up absent.
  for (const auto& w : ack.worker_items) RETURN_IF_ERROR(AddWorkerEnqueue(batch, w));
  for (const auto& id : ack.cancelled_activities) {
    batch.DeleteMessages(kWorkerQueue, "a", ActivityAttribute(id));
  }
  for (const auto& o : ack.orchestrator_items) {
    RETURN_IF_ERROR(AddOrchestratorEnqueue(batch, o, now, std::nullopt));
  }

  // Execution bookkeeping. The instance lock makes these read-modify-writes safe: only
  // the lock holder writes an instance's records (a delete ends the lock, failing the ack).
  ASSIGN_OR_RETURN(auto current, CurrentExecution(store_, instance));
  if (!current || *current < exec_id) batch.Put(CurrentKey(instance), EncodeU64(exec_id));
  ASSIGN_OR_RETURN(auto loaded, LoadExecution(store_, instance, exec_id));
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
  batch.Put(ExecutionKey(instance, exec_id), Encode(exec));

  ASSIGN_OR_RETURN(auto inst, LoadInstance(store_, instance));
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

  if (ack.custom_status) {
    ASSIGN_OR_RETURN(auto old, GetOptional(store_, CustomStatusKey(instance)));
    CustomStatus cs;
    if (old) {
      ASSIGN_OR_RETURN(cs, DecodeCustomStatus(*old));
    }
    if (ack.custom_status->has_value() && (*ack.custom_status)->size() > limits::kMaxPayload) {
      return Status::InvalidArgument("custom status exceeds " +
                                     std::to_string(limits::kMaxPayload) + " bytes");
    }
    cs.status = *ack.custom_status;
    ++cs.version;
    batch.Put(CustomStatusKey(instance), Encode(cs));
  }

  for (const auto& c : ack.kv_changes) {
    if (c.kind == KvChange::Kind::kClearAll) continue;
    if (c.key.empty() || c.key.size() > kMaxKvKey) {
      return Status::InvalidArgument("KV key must be 1.." + std::to_string(kMaxKvKey) + " bytes");
    }
    if (c.value.size() + 1 > limits::kMaxMetadataValue) {
      return Status::InvalidArgument("KV value of key \"" + c.key + "\" is too large");
    }
  }
  if (meta.status && IsTerminal(*meta.status)) {
    // Merge store ⊕ delta ⊕ this ack into the store layer; the delta ends empty.
    ASSIGN_OR_RETURN(auto merged, ReadKvMerged(store_, instance));
    for (const auto& c : ack.kv_changes) {
      if (c.kind == KvChange::Kind::kSet) merged[c.key] = c.value;
      if (c.kind == KvChange::Kind::kClear) merged.erase(c.key);
      if (c.kind == KvChange::Kind::kClearAll) merged.clear();
    }
    batch.DeleteRange(KvPrefix(instance), PrefixEnd(KvPrefix(instance)));
    batch.DeleteRange(DeltaPrefix(instance), PrefixEnd(DeltaPrefix(instance)));
    batch.Delete(ClearedKey(instance));
    for (const auto& [k, v] : merged) batch.Put(KvKey(instance, k), v);
  } else {
    for (const auto& c : ack.kv_changes) {
      switch (c.kind) {
        case KvChange::Kind::kSet:
          batch.Put(DeltaKey(instance, c.key), std::string(1, '\1') + c.value);
          break;
        case KvChange::Kind::kClear:
          batch.Put(DeltaKey(instance, c.key), std::string(1, '\0'));
          break;
        case KvChange::Kind::kClearAll:
          batch.DeleteRange(DeltaPrefix(instance), PrefixEnd(DeltaPrefix(instance)));
          batch.Put(ClearedKey(instance), "");
          break;
      }
    }
  }

  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  std::lock_guard guard(state_->mu);
  state_->orch.erase(std::string(lock_token));
  return Status::OK();
}

Status Provider::AbandonOrchestrationItem(std::string_view lock_token,
                                          std::optional<int64_t> delay_ms, bool ignore_attempt) {
  RETURN_IF_ERROR(ValidateDelay(delay_ms));
  OrchLock lock;
  {
    std::lock_guard guard(state_->mu);
    ASSIGN_OR_RETURN(lock, State::Find(state_->orch, lock_token));
  }
  Batch batch;
  batch.Abandon(lock.lease, delay_ms.value_or(0), !ignore_attempt);
  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  std::lock_guard guard(state_->mu);
  state_->orch.erase(std::string(lock_token));
  return Status::OK();
}

Status Provider::RenewOrchestrationItemLock(std::string_view lock_token, int64_t extend_ms) {
  RETURN_IF_ERROR(ValidatePositive("lock extension", extend_ms));
  OrchLock lock;
  {
    std::lock_guard guard(state_->mu);
    ASSIGN_OR_RETURN(lock, State::Find(state_->orch, lock_token));
  }
  Batch batch;
  batch.Renew(lock.lease, extend_ms);
  const int64_t until = store_.clock().NowMs() + extend_ms;
  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  std::lock_guard guard(state_->mu);
  if (auto it = state_->orch.find(std::string(lock_token)); it != state_->orch.end()) {
    it->second.locked_until_ms = std::max(it->second.locked_until_ms, until);
  }
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// History

Result<std::vector<HistoryEvent>> Provider::Read(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  ASSIGN_OR_RETURN(auto current, CurrentExecution(store_, instance));
  if (!current) return std::vector<HistoryEvent>();
  return ReadHistory(store_, instance, *current);
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
  RETURN_IF_ERROR(AddOrchestratorEnqueue(batch, item, store_.clock().NowMs(), delay_ms));
  return store_.Commit(std::move(batch)).status();
}

Status Provider::EnqueueForWorker(const WorkerItem& item) {
  Batch batch;
  RETURN_IF_ERROR(AddWorkerEnqueue(batch, item));
  return store_.Commit(std::move(batch)).status();
}

// ---------------------------------------------------------------------------------------
// Work items

Result<std::optional<FetchedWork>> Provider::FetchWorkItem(
    int64_t lock_timeout_ms, std::chrono::milliseconds poll_timeout,
    const std::optional<SessionConfig>& session, const TagFilter& tags) {
  RETURN_IF_ERROR(ValidatePositive("lock timeout", lock_timeout_ms));
  if (session) {
    if (session->owner_id.empty()) return Status::InvalidArgument("session owner id is empty");
    RETURN_IF_ERROR(ValidateName("session owner id", session->owner_id));
    RETURN_IF_ERROR(ValidatePositive("session lock timeout", session->session_lock_timeout_ms));
  }
  for (const auto& t : tags.tags) RETURN_IF_ERROR(ValidateName("tag", t));
  queue::DequeueOptions options;
  options.lock_duration_ms = lock_timeout_ms;
  options.wait = poll_timeout;
  switch (tags.mode) {
    case TagFilter::Mode::kNone:
      return std::optional<FetchedWork>();
    case TagFilter::Mode::kDefaultOnly:
      options.filter.push_back({"t", {}, /*match_absent=*/true, false});
      break;
    case TagFilter::Mode::kTags:
      if (tags.tags.empty()) return std::optional<FetchedWork>();
      options.filter.push_back({"t", tags.tags, false, false});
      break;
    case TagFilter::Mode::kDefaultAndTags:
      options.filter.push_back({"t", tags.tags, /*match_absent=*/true, false});
      break;
    case TagFilter::Mode::kAny:
      break;
  }
  const Clock* clock = &store_.clock();
  if (!session) {
    options.filter.push_back({"s", {}, /*match_absent=*/true, false});
  } else {
    options.accept = [owner = session->owner_id, clock](const queue::Candidate& c) {
      const std::string* s = FindAttribute(c.attributes(), "s");
      if (s == nullptr) return true;
      auto bytes = c.GetMetadata(SessionKey(*s));
      if (!bytes.ok()) return bytes.status().code() == Code::kNotFound;
      auto rec = DecodeSession(*bytes);
      return rec.ok() && (rec->owner == owner || rec->locked_until_ms <= clock->NowMs());
    };
  }
  ASSIGN_OR_RETURN(auto lease, queue::Dequeue(store_, kWorkerQueue, options));
  if (!lease) return std::optional<FetchedWork>();
  queue::Message& m = lease->messages.front();
  FetchedWork out;
  out.attempt_count = m.delivery_count;
  auto decoded = DecodeWorkerMessage(m);
  Status claimed = decoded.status();
  if (decoded.ok() && decoded->session_id) {
    // Claim the session; another owner may have claimed it since the selection.
    std::lock_guard guard(SessionMutex());
    const std::string key = SessionKey(*decoded->session_id);
    auto bytes = GetOptional(store_, key);
    claimed = bytes.status();
    if (bytes.ok()) {
      const int64_t now = clock->NowMs();
      SessionRec rec;
      if (*bytes) {
        auto old = DecodeSession(**bytes);
        claimed = old.status();
        if (old.ok()) rec = *old;
      }
      if (claimed.ok() && *bytes && rec.owner != session->owner_id && rec.locked_until_ms > now) {
        Batch release;  // lost the race: nothing was delivered
        release.Abandon(lease->token, 0, /*count_attempt=*/false);
        RETURN_IF_ERROR(store_.Commit(std::move(release)).status());
        return std::optional<FetchedWork>();
      }
      if (claimed.ok()) {
        rec.owner = session->owner_id;
        rec.locked_until_ms = now + session->session_lock_timeout_ms;
        rec.last_activity_ms = now;
        Batch claim;
        claim.Put(key, Encode(rec));
        claimed = store_.Commit(std::move(claim)).status();
      }
    }
  }
  if (!claimed.ok()) {
    Batch release;
    release.Abandon(lease->token, 0, /*count_attempt=*/false);
    (void)store_.Commit(std::move(release));
    return claimed;
  }
  out.item = std::move(decoded).value();
  out.lock_token = lease->token.ToHex();
  std::lock_guard guard(state_->mu);
  state_->MaybeSweep(clock->NowMs());
  state_->work.emplace(out.lock_token,
                       WorkLock{lease->token, out.item.session_id, lease->locked_until_ms});
  return std::optional<FetchedWork>(std::move(out));
}

Status Provider::AckWorkItem(std::string_view lock_token,
                             const std::optional<OrchestratorItem>& completion) {
  WorkLock lock;
  {
    std::lock_guard guard(state_->mu);
    ASSIGN_OR_RETURN(lock, State::Find(state_->work, lock_token));
  }
  const int64_t now = store_.clock().NowMs();
  Batch batch;
  batch.Ack(lock.lease);
  if (completion) RETURN_IF_ERROR(AddOrchestratorEnqueue(batch, *completion, now, std::nullopt));
  std::unique_lock<std::mutex> session_guard;
  if (lock.session) {
    // Touch the session's last activity (only while this owner's record is there).
    session_guard = std::unique_lock(SessionMutex());
    const std::string key = SessionKey(*lock.session);
    ASSIGN_OR_RETURN(auto bytes, GetOptional(store_, key));
    if (bytes) {
      ASSIGN_OR_RETURN(auto rec, DecodeSession(*bytes));
      rec.last_activity_ms = now;
      batch.Put(key, Encode(rec));
    }
  }
  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  std::lock_guard guard(state_->mu);
  state_->work.erase(std::string(lock_token));
  return Status::OK();
}

Status Provider::RenewWorkItemLock(std::string_view lock_token, int64_t extend_ms) {
  RETURN_IF_ERROR(ValidatePositive("lock extension", extend_ms));
  WorkLock lock;
  {
    std::lock_guard guard(state_->mu);
    ASSIGN_OR_RETURN(lock, State::Find(state_->work, lock_token));
  }
  Batch batch;
  batch.Renew(lock.lease, extend_ms);
  const int64_t until = store_.clock().NowMs() + extend_ms;
  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  std::lock_guard guard(state_->mu);
  if (auto it = state_->work.find(std::string(lock_token)); it != state_->work.end()) {
    it->second.locked_until_ms = std::max(it->second.locked_until_ms, until);
  }
  return Status::OK();
}

Status Provider::AbandonWorkItem(std::string_view lock_token, std::optional<int64_t> delay_ms,
                                 bool ignore_attempt) {
  RETURN_IF_ERROR(ValidateDelay(delay_ms));
  WorkLock lock;
  {
    std::lock_guard guard(state_->mu);
    ASSIGN_OR_RETURN(lock, State::Find(state_->work, lock_token));
  }
  Batch batch;
  batch.Abandon(lock.lease, delay_ms.value_or(0), !ignore_attempt);
  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  std::lock_guard guard(state_->mu);
  state_->work.erase(std::string(lock_token));
  return Status::OK();
}

// ---------------------------------------------------------------------------------------
// Sessions

Result<uint64_t> Provider::RenewSessionLock(const std::vector<std::string>& owner_ids,
                                            int64_t extend_ms, int64_t idle_timeout_ms) {
  RETURN_IF_ERROR(ValidatePositive("session lock extension", extend_ms));
  RETURN_IF_ERROR(ValidatePositive("idle timeout", idle_timeout_ms));
  std::lock_guard guard(SessionMutex());
  const int64_t now = store_.clock().NowMs();
  ASSIGN_OR_RETURN(auto sessions, ScanAll(store_, SessionPrefix()));
  Batch batch;
  uint64_t renewed = 0;
  for (const auto& [key, bytes] : sessions) {
    ASSIGN_OR_RETURN(auto rec, DecodeSession(bytes));
    bool owned = std::find(owner_ids.begin(), owner_ids.end(), rec.owner) != owner_ids.end();
    if (!owned || rec.locked_until_ms <= now || now - rec.last_activity_ms >= idle_timeout_ms) {
      continue;
    }
    rec.locked_until_ms = now + extend_ms;
    batch.Put(key, Encode(rec));
    ++renewed;
  }
  if (!batch.empty()) RETURN_IF_ERROR(store_.Commit(std::move(batch)).status());
  return renewed;
}

Result<uint64_t> Provider::CleanupOrphanedSessions(int64_t idle_timeout_ms) {
  if (idle_timeout_ms < 0) return Status::InvalidArgument("idle timeout must not be negative");
  std::lock_guard guard(SessionMutex());
  const int64_t now = store_.clock().NowMs();
  ASSIGN_OR_RETURN(auto sessions, ScanAll(store_, SessionPrefix()));
  Batch batch;
  uint64_t removed = 0;
  for (const auto& [key, bytes] : sessions) {
    ASSIGN_OR_RETURN(auto rec, DecodeSession(bytes));
    // Orphaned: its lock expired, it has been idle for idle_timeout, and no queued worker
    // item (in any state) refers to it.
    if (rec.locked_until_ms > now || now - rec.last_activity_ms < idle_timeout_ms) continue;
    size_t pos = SessionPrefix().size();
    auto id = ReadStr(key, pos);
    if (!id) return Status::Corruption("session key is malformed");
    ASSIGN_OR_RETURN(auto queued, queue::PeekMessages(store_, kWorkerQueue, "s", *id, 1));
    if (!queued.empty()) continue;
    batch.Delete(key);
    ++removed;
  }
  if (!batch.empty()) RETURN_IF_ERROR(store_.Commit(std::move(batch)).status());
  return removed;
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
  if (key.empty() || key.size() > kMaxKvKey) {
    return Status::InvalidArgument("KV key must be 1.." + std::to_string(kMaxKvKey) + " bytes");
  }
  ASSIGN_OR_RETURN(auto delta, GetOptional(store_, DeltaKey(instance, key)));
  if (delta) {
    if (delta->empty()) return Status::Corruption("KV delta record is empty");
    if ((*delta)[0] == 1) return std::optional<std::string>(delta->substr(1));
    return std::optional<std::string>();
  }
  ASSIGN_OR_RETURN(auto cleared, GetOptional(store_, ClearedKey(instance)));
  if (cleared) return std::optional<std::string>();
  return GetOptional(store_, KvKey(instance, key));
}

Result<std::map<std::string, std::string>> Provider::GetKvAllValues(std::string_view instance) {
  RETURN_IF_ERROR(ValidateInstance(instance));
  return ReadKvMerged(store_, instance);
}

}  // namespace durastore::orchestration
