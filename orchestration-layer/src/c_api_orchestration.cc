// The C API's Provider and Admin entry points (durastore/c.h) over the orchestration
// layer. Conventions and the shared helpers are in c_api_internal.h.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "c_api_internal.h"
#include "durastore/c.h"
#include "durastore/orchestration/admin.h"
#include "durastore/orchestration/provider.h"
#include "durastore/status.h"

namespace orch = durastore::orchestration;
using durastore::Status;
using durastore::c_api_internal::Array;
using durastore::c_api_internal::Bytes;
using durastore::c_api_internal::CopyOut;
using durastore::c_api_internal::EnumBits;
using durastore::c_api_internal::Guard;
using durastore::c_api_internal::Invalid;
using durastore::c_api_internal::Items;
using durastore::c_api_internal::KvView;
using durastore::c_api_internal::MakeKvs;
using durastore::c_api_internal::MakeStrings;
using durastore::c_api_internal::Millis;
using durastore::c_api_internal::NoItems;
using durastore::c_api_internal::OptionalBytes;
using durastore::c_api_internal::OptionalStr;
using durastore::c_api_internal::Ref;
using durastore::c_api_internal::ResetOut;
using durastore::c_api_internal::StoreOf;
using durastore::c_api_internal::Str;
using durastore::c_api_internal::StringList;
using durastore::c_api_internal::StringsOut;
using durastore::c_api_internal::U64Array;

// The C limits mirror the C++ ones value for value.
static_assert(DS_MAX_INSTANCE_ID == orch::kMaxInstanceId);
static_assert(DS_MAX_NAME == orch::kMaxName);
static_assert(DS_MAX_KV_KEY == orch::kMaxKvKey);

namespace {

ds_history_event HistoryView(const orch::HistoryEvent& e) {
  return {e.event_id, e.payload.data(), e.payload.size()};
}

ds_history* MakeHistory(std::vector<orch::HistoryEvent> events) {
  auto out = std::make_unique<ds_history>();
  out->events = std::move(events);
  out->views.reserve(out->events.size());
  for (const auto& e : out->events) out->views.push_back(HistoryView(e));
  return out.release();
}
orch::ExecutionStatus StatusIn(const ds_execution_status& s) {
  switch (EnumBits(s)) {
    case DS_EXECUTION_RUNNING:
      return orch::ExecutionStatus::kRunning;
    case DS_EXECUTION_COMPLETED:
      return orch::ExecutionStatus::kCompleted;
    case DS_EXECUTION_FAILED:
      return orch::ExecutionStatus::kFailed;
    case DS_EXECUTION_CONTINUED_AS_NEW:
      return orch::ExecutionStatus::kContinuedAsNew;
  }
  Invalid("unknown execution status " + std::to_string(EnumBits(s)));
}

ds_execution_status StatusOut(orch::ExecutionStatus s) {
  switch (s) {
    case orch::ExecutionStatus::kRunning:
      return DS_EXECUTION_RUNNING;
    case orch::ExecutionStatus::kCompleted:
      return DS_EXECUTION_COMPLETED;
    case orch::ExecutionStatus::kFailed:
      return DS_EXECUTION_FAILED;
    case orch::ExecutionStatus::kContinuedAsNew:
      return DS_EXECUTION_CONTINUED_AS_NEW;
  }
  return DS_EXECUTION_RUNNING;
}

orch::OrchestratorItem::Kind KindIn(const ds_orchestrator_item_kind& k) {
  using Kind = orch::OrchestratorItem::Kind;
  switch (EnumBits(k)) {
    case DS_ORCH_ITEM_OTHER:
      return Kind::kOther;
    case DS_ORCH_ITEM_START:
      return Kind::kStart;
    case DS_ORCH_ITEM_CONTINUE_AS_NEW:
      return Kind::kContinueAsNew;
    case DS_ORCH_ITEM_QUEUE_MESSAGE:
      return Kind::kQueueMessage;
    case DS_ORCH_ITEM_ACTIVITY_EXECUTE:
      return Kind::kActivityExecute;
  }
  Invalid("unknown orchestrator item kind " + std::to_string(EnumBits(k)));
}

ds_orchestrator_item_kind KindOut(orch::OrchestratorItem::Kind k) {
  using Kind = orch::OrchestratorItem::Kind;
  switch (k) {
    case Kind::kOther:
      return DS_ORCH_ITEM_OTHER;
    case Kind::kStart:
      return DS_ORCH_ITEM_START;
    case Kind::kContinueAsNew:
      return DS_ORCH_ITEM_CONTINUE_AS_NEW;
    case Kind::kQueueMessage:
      return DS_ORCH_ITEM_QUEUE_MESSAGE;
    case Kind::kActivityExecute:
      return DS_ORCH_ITEM_ACTIVITY_EXECUTE;
  }
  return DS_ORCH_ITEM_OTHER;
}

orch::TagFilter::Mode TagModeIn(const ds_tag_filter_mode& m) {
  using Mode = orch::TagFilter::Mode;
  switch (EnumBits(m)) {
    case DS_TAGS_DEFAULT_ONLY:
      return Mode::kDefaultOnly;
    case DS_TAGS_TAGS:
      return Mode::kTags;
    case DS_TAGS_DEFAULT_AND_TAGS:
      return Mode::kDefaultAndTags;
    case DS_TAGS_ANY:
      return Mode::kAny;
    case DS_TAGS_NONE:
      return Mode::kNone;
  }
  Invalid("unknown tag filter mode " + std::to_string(EnumBits(m)));
}

orch::KvChange::Kind KvKindIn(const ds_kv_change_kind& k) {
  using Kind = orch::KvChange::Kind;
  switch (EnumBits(k)) {
    case DS_KV_SET:
      return Kind::kSet;
    case DS_KV_CLEAR:
      return Kind::kClear;
    case DS_KV_CLEAR_ALL:
      return Kind::kClearAll;
  }
  Invalid("unknown KV change kind " + std::to_string(EnumBits(k)));
}

// ---- orchestration values: C -> C++ ----

orch::OrchestratorItem OrchestratorItemIn(const ds_orchestrator_item& c) {
  orch::OrchestratorItem item;
  item.instance = Bytes(c.instance, c.instance_len, "instance");
  item.kind = KindIn(c.kind);
  item.payload = Bytes(c.payload, c.payload_len, "payload");
  item.orchestration_name =
      Bytes(c.orchestration_name, c.orchestration_name_len, "orchestration_name");
  item.version = Bytes(c.version, c.version_len, "version");
  if (c.has_visible_at) item.visible_at_ms = c.visible_at_ms;
  return item;
}

orch::ActivityId ActivityIdIn(const ds_activity_id& c) {
  return {std::string(Bytes(c.instance, c.instance_len, "instance")), c.execution_id,
          c.activity_id};
}

orch::WorkerItem WorkerItemIn(const ds_worker_item& c) {
  orch::WorkerItem item;
  item.identity = ActivityIdIn(c.identity);
  item.payload = Bytes(c.payload, c.payload_len, "payload");
  item.session_id = OptionalBytes(c.session_id, c.session_id_len);
  item.tag = OptionalBytes(c.tag, c.tag_len);
  return item;
}

std::vector<orch::HistoryEvent> HistoryIn(const ds_history_event* events, size_t count) {
  Array(events, count, "events");
  std::vector<orch::HistoryEvent> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) {
    out.push_back({events[i].event_id,
                   std::string(Bytes(events[i].payload, events[i].payload_len, "payload"))});
  }
  return out;
}

orch::ExecutionMetadata MetadataIn(const ds_execution_metadata& c) {
  orch::ExecutionMetadata m;
  if (c.has_status) m.status = StatusIn(c.status);
  m.output = OptionalBytes(c.output, c.output_len);
  m.orchestration_name = OptionalBytes(c.orchestration_name, c.orchestration_name_len);
  m.version = OptionalBytes(c.version, c.version_len);
  m.parent_instance = OptionalBytes(c.parent_instance, c.parent_instance_len);
  m.pinned_version = OptionalBytes(c.pinned_version, c.pinned_version_len);
  return m;
}

orch::OrchestrationAck AckIn(const ds_orchestration_ack& c) {
  orch::OrchestrationAck ack;
  ack.execution_id = c.execution_id;
  ack.history_delta = HistoryIn(c.history_delta, c.history_delta_count);
  Array(c.worker_items, c.worker_item_count, "worker_items");
  for (size_t i = 0; i < c.worker_item_count; ++i) {
    ack.worker_items.push_back(WorkerItemIn(c.worker_items[i]));
  }
  Array(c.orchestrator_items, c.orchestrator_item_count, "orchestrator_items");
  for (size_t i = 0; i < c.orchestrator_item_count; ++i) {
    ack.orchestrator_items.push_back(OrchestratorItemIn(c.orchestrator_items[i]));
  }
  ack.metadata = MetadataIn(c.metadata);
  Array(c.cancelled_activities, c.cancelled_activity_count, "cancelled_activities");
  for (size_t i = 0; i < c.cancelled_activity_count; ++i) {
    ack.cancelled_activities.push_back(ActivityIdIn(c.cancelled_activities[i]));
  }
  switch (EnumBits(c.custom_status_change)) {
    case DS_CUSTOM_STATUS_UNCHANGED:
      break;
    case DS_CUSTOM_STATUS_SET:
      ack.custom_status.emplace(
          std::string(Bytes(c.custom_status, c.custom_status_len, "custom_status")));
      break;
    case DS_CUSTOM_STATUS_CLEAR:
      ack.custom_status.emplace(std::nullopt);
      break;
    default:
      Invalid("unknown custom status change " + std::to_string(EnumBits(c.custom_status_change)));
  }
  Array(c.kv_changes, c.kv_change_count, "kv_changes");
  for (size_t i = 0; i < c.kv_change_count; ++i) {
    const ds_kv_change& k = c.kv_changes[i];
    ack.kv_changes.push_back({KvKindIn(k.kind), std::string(Bytes(k.key, k.key_len, "key")),
                              std::string(Bytes(k.value, k.value_len, "value")), k.updated_at_ms});
  }
  return ack;
}

orch::InstanceFilter FilterIn(const ds_instance_filter* c) {
  orch::InstanceFilter f;
  if (c == nullptr) return f;
  if (c->has_instance_ids) {
    f.instance_ids = StringList(c->instance_ids, c->instance_id_count, "instance_ids");
  }
  if (c->has_completed_before) f.completed_before_ms = c->completed_before_ms;
  f.limit = c->limit;
  return f;
}

orch::PruneOptions PruneIn(const ds_prune_options* c) {
  orch::PruneOptions p;
  if (c == nullptr) return p;
  if (c->has_keep_last) p.keep_last = c->keep_last;
  if (c->has_completed_before) p.completed_before_ms = c->completed_before_ms;
  return p;
}

// ---- orchestration values: C++ -> C views ----

ds_orchestrator_item OrchestratorItemView(const orch::OrchestratorItem& i) {
  ds_orchestrator_item v{};
  v.instance = i.instance.data();
  v.instance_len = i.instance.size();
  v.kind = KindOut(i.kind);
  v.payload = i.payload.data();
  v.payload_len = i.payload.size();
  v.orchestration_name = i.orchestration_name.data();
  v.orchestration_name_len = i.orchestration_name.size();
  v.version = i.version.data();
  v.version_len = i.version.size();
  v.has_visible_at = i.visible_at_ms.has_value();
  v.visible_at_ms = i.visible_at_ms.value_or(0);
  return v;
}

ds_worker_item WorkerItemView(const orch::WorkerItem& i) {
  ds_worker_item v{};
  v.identity = {i.identity.instance.data(), i.identity.instance.size(), i.identity.execution_id,
                i.identity.activity_id};
  v.payload = i.payload.data();
  v.payload_len = i.payload.size();
  v.session_id = OptionalStr(i.session_id, &v.session_id_len);
  v.tag = OptionalStr(i.tag, &v.tag_len);
  return v;
}

ds_fetched_orchestration* MakeFetched(orch::FetchedOrchestration fetched) {
  auto out = std::make_unique<ds_fetched_orchestration>();
  out->fetched = std::move(fetched);
  const orch::OrchestrationItem& item = out->fetched.item;
  for (const auto& e : item.history) out->history.push_back(HistoryView(e));
  for (const auto& m : item.messages) out->messages.push_back(OrchestratorItemView(m));
  for (const auto& [k, e] : item.kv_snapshot) {
    out->kv_snapshot.push_back(
        {k.data(), k.size(), e.value.data(), e.value.size(), e.updated_at_ms});
  }
  return out.release();
}
Status HistoryOut(durastore::Result<std::vector<orch::HistoryEvent>> result, ds_history** out) {
  if (!result.ok()) return result.status();
  *out = MakeHistory(std::move(result).value());
  return Status::OK();
}

void DeleteResultOut(const orch::DeleteResult& r, ds_delete_result* out) {
  if (out == nullptr) return;
  *out = {r.instances_deleted, r.executions_deleted, r.events_deleted, r.queue_messages_deleted};
}

void PruneResultOut(const orch::PruneResult& r, ds_prune_result* out) {
  if (out == nullptr) return;
  *out = {r.instances_processed, r.executions_deleted, r.events_deleted};
}

}  // namespace

// =====================================================================================
// Orchestration: shared
// =====================================================================================

const char* ds_execution_status_name(ds_execution_status status) {
  switch (EnumBits(status)) {
    case DS_EXECUTION_RUNNING:
      return "Running";
    case DS_EXECUTION_COMPLETED:
      return "Completed";
    case DS_EXECUTION_FAILED:
      return "Failed";
    case DS_EXECUTION_CONTINUED_AS_NEW:
      return "ContinuedAsNew";
  }
  return "Unknown";
}

const ds_history_event* ds_history_items(const ds_history* history, size_t* count) {
  return history == nullptr ? NoItems<ds_history_event>(count) : Items(history->views, count);
}

void ds_history_free(ds_history* history) { delete history; }

// =====================================================================================
// Provider
// =====================================================================================

namespace {
orch::Provider& ProviderOf(ds_provider* p) { return *Ref(p, "provider").provider; }
}  // namespace

ds_code ds_provider_open(ds_store* store, ds_provider** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    auto handle = std::make_unique<ds_provider>();
    auto opened = orch::Provider::Open(StoreOf(store));
    if (!opened.ok()) return opened.status();
    handle->provider = std::move(opened).value();
    *out = handle.release();
    return Status::OK();
  });
}

void ds_provider_free(ds_provider* provider) { delete provider; }

const char* ds_fetched_orchestration_lock_token(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? OptionalStr(std::nullopt, len) : Str(f->fetched.lock_token, len);
}

uint32_t ds_fetched_orchestration_attempt_count(const ds_fetched_orchestration* f) {
  return f == nullptr ? 0 : f->fetched.attempt_count;
}

const char* ds_fetched_orchestration_instance(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? OptionalStr(std::nullopt, len) : Str(f->fetched.item.instance, len);
}

const char* ds_fetched_orchestration_name(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? OptionalStr(std::nullopt, len)
                      : Str(f->fetched.item.orchestration_name, len);
}

const char* ds_fetched_orchestration_version(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? OptionalStr(std::nullopt, len) : Str(f->fetched.item.version, len);
}

uint64_t ds_fetched_orchestration_execution_id(const ds_fetched_orchestration* f) {
  return f == nullptr ? 0 : f->fetched.item.execution_id;
}

const ds_history_event* ds_fetched_orchestration_history(const ds_fetched_orchestration* f,
                                                         size_t* count) {
  return f == nullptr ? NoItems<ds_history_event>(count) : Items(f->history, count);
}

const ds_orchestrator_item* ds_fetched_orchestration_messages(const ds_fetched_orchestration* f,
                                                              size_t* count) {
  return f == nullptr ? NoItems<ds_orchestrator_item>(count) : Items(f->messages, count);
}

const ds_kv_entry* ds_fetched_orchestration_kv_snapshot(const ds_fetched_orchestration* f,
                                                        size_t* count) {
  return f == nullptr ? NoItems<ds_kv_entry>(count) : Items(f->kv_snapshot, count);
}

const char* ds_fetched_orchestration_history_error(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? OptionalStr(std::nullopt, len)
                      : OptionalStr(f->fetched.item.history_error, len);
}

void ds_fetched_orchestration_free(ds_fetched_orchestration* f) { delete f; }

ds_code ds_provider_fetch_orchestration_item(ds_provider* provider, int64_t lock_timeout_ms,
                                             int64_t poll_timeout_ms,
                                             const ds_version_filter* filter,
                                             ds_fetched_orchestration** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    std::optional<orch::VersionFilter> versions;
    if (filter != nullptr) {
      Array(filter->ranges, filter->range_count, "ranges");
      versions.emplace();
      for (size_t i = 0; i < filter->range_count; ++i) {
        const ds_version_range& r = filter->ranges[i];
        versions->push_back({std::string(Bytes(r.min, r.min_len, "min")),
                             std::string(Bytes(r.max, r.max_len, "max"))});
      }
    }
    auto fetched = ProviderOf(provider).FetchOrchestrationItem(lock_timeout_ms,
                                                               Millis(poll_timeout_ms), versions);
    if (!fetched.ok()) return fetched.status();
    if (fetched->has_value()) *out = MakeFetched(std::move(**fetched));
    return Status::OK();
  });
}

void ds_orchestration_ack_init(ds_orchestration_ack* ack) {
  if (ack != nullptr) *ack = ds_orchestration_ack{};
}

ds_code ds_provider_ack_orchestration_item(ds_provider* provider, const char* lock_token,
                                           size_t lock_token_len, const ds_orchestration_ack* ack,
                                           ds_error** err) {
  return Guard(err, [&]() -> Status {
    const orch::OrchestrationAck cpp = AckIn(Ref(ack, "ack"));
    return ProviderOf(provider).AckOrchestrationItem(
        Bytes(lock_token, lock_token_len, "lock_token"), cpp);
  });
}

ds_code ds_provider_abandon_orchestration_item(ds_provider* provider, const char* lock_token,
                                               size_t lock_token_len, bool has_delay,
                                               int64_t delay_ms, bool ignore_attempt,
                                               ds_error** err) {
  return Guard(err, [&] {
    return ProviderOf(provider).AbandonOrchestrationItem(
        Bytes(lock_token, lock_token_len, "lock_token"),
        has_delay ? std::optional<int64_t>(delay_ms) : std::nullopt, ignore_attempt);
  });
}

ds_code ds_provider_renew_orchestration_item_lock(ds_provider* provider, const char* lock_token,
                                                  size_t lock_token_len, int64_t extend_ms,
                                                  ds_error** err) {
  return Guard(err, [&] {
    return ProviderOf(provider).RenewOrchestrationItemLock(
        Bytes(lock_token, lock_token_len, "lock_token"), extend_ms);
  });
}

ds_code ds_provider_read(ds_provider* provider, const char* instance, size_t instance_len,
                         ds_history** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return HistoryOut(ProviderOf(provider).Read(Bytes(instance, instance_len, "instance")), out);
  });
}

ds_code ds_provider_read_with_execution(ds_provider* provider, const char* instance,
                                        size_t instance_len, uint64_t execution_id,
                                        ds_history** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return HistoryOut(ProviderOf(provider).ReadWithExecution(
                          Bytes(instance, instance_len, "instance"), execution_id),
                      out);
  });
}

ds_code ds_provider_append_with_execution(ds_provider* provider, const char* instance,
                                          size_t instance_len, uint64_t execution_id,
                                          const ds_history_event* events, size_t count,
                                          ds_error** err) {
  return Guard(err, [&] {
    const auto history = HistoryIn(events, count);
    return ProviderOf(provider).AppendWithExecution(Bytes(instance, instance_len, "instance"),
                                                    execution_id, history);
  });
}

ds_code ds_provider_enqueue_for_orchestrator(ds_provider* provider,
                                             const ds_orchestrator_item* item, bool has_delay,
                                             int64_t delay_ms, ds_error** err) {
  return Guard(err, [&] {
    const auto cpp = OrchestratorItemIn(Ref(item, "item"));
    return ProviderOf(provider).EnqueueForOrchestrator(
        cpp, has_delay ? std::optional<int64_t>(delay_ms) : std::nullopt);
  });
}

ds_code ds_provider_enqueue_for_worker(ds_provider* provider, const ds_worker_item* item,
                                       ds_error** err) {
  return Guard(err, [&] {
    const auto cpp = WorkerItemIn(Ref(item, "item"));
    return ProviderOf(provider).EnqueueForWorker(cpp);
  });
}

const ds_worker_item* ds_fetched_work_item(const ds_fetched_work* w) {
  return w == nullptr ? nullptr : &w->view;
}

const char* ds_fetched_work_lock_token(const ds_fetched_work* w, size_t* len) {
  return w == nullptr ? OptionalStr(std::nullopt, len) : Str(w->fetched.lock_token, len);
}

uint32_t ds_fetched_work_attempt_count(const ds_fetched_work* w) {
  return w == nullptr ? 0 : w->fetched.attempt_count;
}

void ds_fetched_work_free(ds_fetched_work* w) { delete w; }

ds_code ds_provider_fetch_work_item(ds_provider* provider, int64_t lock_timeout_ms,
                                    int64_t poll_timeout_ms, const ds_session_config* session,
                                    const ds_tag_filter* tags, ds_fetched_work** out,
                                    ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    std::optional<orch::SessionConfig> sessions;
    if (session != nullptr) {
      sessions = orch::SessionConfig{
          std::string(Bytes(session->owner_id, session->owner_id_len, "owner_id")),
          session->session_lock_timeout_ms};
    }
    orch::TagFilter tag_filter;
    if (tags != nullptr) {
      tag_filter.mode = TagModeIn(tags->mode);
      tag_filter.tags = StringList(tags->tags, tags->tag_count, "tags");
    }
    auto fetched = ProviderOf(provider).FetchWorkItem(lock_timeout_ms, Millis(poll_timeout_ms),
                                                      sessions, tag_filter);
    if (!fetched.ok()) return fetched.status();
    if (!fetched->has_value()) return Status::OK();
    auto result = std::make_unique<ds_fetched_work>();
    result->fetched = std::move(**fetched);
    result->view = WorkerItemView(result->fetched.item);
    *out = result.release();
    return Status::OK();
  });
}

ds_code ds_provider_ack_work_item(ds_provider* provider, const char* lock_token,
                                  size_t lock_token_len, const ds_orchestrator_item* completion,
                                  ds_error** err) {
  return Guard(err, [&] {
    std::optional<orch::OrchestratorItem> cpp;
    if (completion != nullptr) cpp = OrchestratorItemIn(*completion);
    return ProviderOf(provider).AckWorkItem(Bytes(lock_token, lock_token_len, "lock_token"), cpp);
  });
}

ds_code ds_provider_renew_work_item_lock(ds_provider* provider, const char* lock_token,
                                         size_t lock_token_len, int64_t extend_ms, ds_error** err) {
  return Guard(err, [&] {
    return ProviderOf(provider).RenewWorkItemLock(Bytes(lock_token, lock_token_len, "lock_token"),
                                                  extend_ms);
  });
}

ds_code ds_provider_abandon_work_item(ds_provider* provider, const char* lock_token,
                                      size_t lock_token_len, bool has_delay, int64_t delay_ms,
                                      bool ignore_attempt, ds_error** err) {
  return Guard(err, [&] {
    return ProviderOf(provider).AbandonWorkItem(
        Bytes(lock_token, lock_token_len, "lock_token"),
        has_delay ? std::optional<int64_t>(delay_ms) : std::nullopt, ignore_attempt);
  });
}

ds_code ds_provider_renew_session_lock(ds_provider* provider, const ds_str* owner_ids,
                                       size_t owner_id_count, int64_t extend_ms,
                                       int64_t idle_timeout_ms, uint64_t* renewed, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(renewed, "renewed");
    const auto owners = StringList(owner_ids, owner_id_count, "owner_ids");
    auto count = ProviderOf(provider).RenewSessionLock(owners, extend_ms, idle_timeout_ms);
    if (!count.ok()) return count.status();
    result = *count;
    return Status::OK();
  });
}

ds_code ds_provider_cleanup_orphaned_sessions(ds_provider* provider, int64_t idle_timeout_ms,
                                              uint64_t* removed, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(removed, "removed");
    auto count = ProviderOf(provider).CleanupOrphanedSessions(idle_timeout_ms);
    if (!count.ok()) return count.status();
    result = *count;
    return Status::OK();
  });
}

ds_code ds_provider_get_custom_status(ds_provider* provider, const char* instance,
                                      size_t instance_len, uint64_t last_seen_version,
                                      bool* changed, char** status, size_t* status_len,
                                      uint64_t* version, ds_error** err) {
  return Guard(err, [&]() -> Status {
    Ref(changed, "changed") = false;
    ResetOut(status, "status");
    Ref(status_len, "status_len") = 0;
    Ref(version, "version") = 0;
    auto got = ProviderOf(provider).GetCustomStatus(Bytes(instance, instance_len, "instance"),
                                                    last_seen_version);
    if (!got.ok()) return got.status();
    if (!got->has_value()) return Status::OK();
    const orch::CustomStatus& custom = **got;
    if (custom.status.has_value()) {
      *status = CopyOut(*custom.status);
      *status_len = custom.status->size();
    }
    *version = custom.version;
    *changed = true;
    return Status::OK();
  });
}

ds_code ds_provider_get_kv_value(ds_provider* provider, const char* instance, size_t instance_len,
                                 const char* key, size_t key_len, char** value, size_t* value_len,
                                 ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(value, "value");
    Ref(value_len, "value_len") = 0;
    auto got = ProviderOf(provider).GetKvValue(Bytes(instance, instance_len, "instance"),
                                               Bytes(key, key_len, "key"));
    if (!got.ok()) return got.status();
    if (!got->has_value()) return Status::OK();
    *value = CopyOut(**got);
    *value_len = (*got)->size();
    return Status::OK();
  });
}

ds_code ds_provider_get_kv_all_values(ds_provider* provider, const char* instance,
                                      size_t instance_len, ds_kvs** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    auto all = ProviderOf(provider).GetKvAllValues(Bytes(instance, instance_len, "instance"));
    if (!all.ok()) return all.status();
    *out = MakeKvs(*all);
    return Status::OK();
  });
}

// =====================================================================================
// Admin
// =====================================================================================

namespace {
orch::Admin& AdminOf(ds_admin* a) { return Ref(a, "admin").admin; }
}  // namespace

ds_code ds_admin_open(ds_store* store, ds_admin** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    *out = new ds_admin(StoreOf(store));
    return Status::OK();
  });
}

void ds_admin_free(ds_admin* admin) { delete admin; }

const char* ds_instance_info_instance(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? OptionalStr(std::nullopt, len) : Str(info->info.instance, len);
}

const char* ds_instance_info_orchestration_name(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? OptionalStr(std::nullopt, len) : Str(info->info.orchestration_name, len);
}

const char* ds_instance_info_version(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? OptionalStr(std::nullopt, len) : Str(info->info.version, len);
}

uint64_t ds_instance_info_current_execution_id(const ds_instance_info* info) {
  return info == nullptr ? 0 : info->info.current_execution_id;
}

ds_execution_status ds_instance_info_status(const ds_instance_info* info) {
  return info == nullptr ? DS_EXECUTION_RUNNING : StatusOut(info->info.status);
}

const char* ds_instance_info_output(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? OptionalStr(std::nullopt, len) : OptionalStr(info->info.output, len);
}

int64_t ds_instance_info_created_at_ms(const ds_instance_info* info) {
  return info == nullptr ? 0 : info->info.created_at_ms;
}

int64_t ds_instance_info_updated_at_ms(const ds_instance_info* info) {
  return info == nullptr ? 0 : info->info.updated_at_ms;
}

const char* ds_instance_info_parent_instance(const ds_instance_info* info, size_t* len) {
  return info == nullptr ? OptionalStr(std::nullopt, len)
                         : OptionalStr(info->info.parent_instance, len);
}

void ds_instance_info_free(ds_instance_info* info) { delete info; }

uint64_t ds_execution_info_execution_id(const ds_execution_info* info) {
  return info == nullptr ? 0 : info->info.execution_id;
}

ds_execution_status ds_execution_info_status(const ds_execution_info* info) {
  return info == nullptr ? DS_EXECUTION_RUNNING : StatusOut(info->info.status);
}

const char* ds_execution_info_output(const ds_execution_info* info, size_t* len) {
  return info == nullptr ? OptionalStr(std::nullopt, len) : OptionalStr(info->info.output, len);
}

int64_t ds_execution_info_started_at_ms(const ds_execution_info* info) {
  return info == nullptr ? 0 : info->info.started_at_ms;
}

bool ds_execution_info_completed_at_ms(const ds_execution_info* info, int64_t* out) {
  if (info == nullptr || !info->info.completed_at_ms.has_value()) return false;
  if (out != nullptr) *out = *info->info.completed_at_ms;
  return true;
}

uint64_t ds_execution_info_event_count(const ds_execution_info* info) {
  return info == nullptr ? 0 : info->info.event_count;
}

void ds_execution_info_free(ds_execution_info* info) { delete info; }

void ds_instance_filter_init(ds_instance_filter* filter) {
  if (filter == nullptr) return;
  *filter = ds_instance_filter{};
  filter->limit = orch::InstanceFilter{}.limit;
}

ds_code ds_admin_list_instances(ds_admin* admin, ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return StringsOut(AdminOf(admin).ListInstances(), out);
  });
}

ds_code ds_admin_list_instances_by_status(ds_admin* admin, ds_execution_status status,
                                          ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return StringsOut(AdminOf(admin).ListInstancesByStatus(StatusIn(status)), out);
  });
}

ds_code ds_admin_list_executions(ds_admin* admin, const char* instance, size_t instance_len,
                                 uint64_t** execution_ids, size_t* count, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(execution_ids, "execution_ids");
    Ref(count, "count") = 0;
    auto list = AdminOf(admin).ListExecutions(Bytes(instance, instance_len, "instance"));
    if (!list.ok()) return list.status();
    U64Array(*list, execution_ids, count);
    return Status::OK();
  });
}

ds_code ds_admin_read_history(ds_admin* admin, const char* instance, size_t instance_len,
                              ds_history** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return HistoryOut(AdminOf(admin).ReadHistory(Bytes(instance, instance_len, "instance")), out);
  });
}

ds_code ds_admin_read_history_with_execution_id(ds_admin* admin, const char* instance,
                                                size_t instance_len, uint64_t execution_id,
                                                ds_history** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return HistoryOut(AdminOf(admin).ReadHistoryWithExecutionId(
                          Bytes(instance, instance_len, "instance"), execution_id),
                      out);
  });
}

ds_code ds_admin_latest_execution_id(ds_admin* admin, const char* instance, size_t instance_len,
                                     uint64_t* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(out, "out");
    auto id = AdminOf(admin).LatestExecutionId(Bytes(instance, instance_len, "instance"));
    if (!id.ok()) return id.status();
    result = *id;
    return Status::OK();
  });
}

ds_code ds_admin_get_instance_info(ds_admin* admin, const char* instance, size_t instance_len,
                                   ds_instance_info** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    auto info = AdminOf(admin).GetInstanceInfo(Bytes(instance, instance_len, "instance"));
    if (!info.ok()) return info.status();
    *out = new ds_instance_info{std::move(info).value()};
    return Status::OK();
  });
}

ds_code ds_admin_get_execution_info(ds_admin* admin, const char* instance, size_t instance_len,
                                    uint64_t execution_id, ds_execution_info** out,
                                    ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    auto info =
        AdminOf(admin).GetExecutionInfo(Bytes(instance, instance_len, "instance"), execution_id);
    if (!info.ok()) return info.status();
    *out = new ds_execution_info{std::move(info).value()};
    return Status::OK();
  });
}

ds_code ds_admin_get_system_metrics(ds_admin* admin, ds_system_metrics* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_system_metrics& result = Ref(out, "out");
    auto m = AdminOf(admin).GetSystemMetrics();
    if (!m.ok()) return m.status();
    result = {m->total_instances,     m->total_executions, m->running_instances,
              m->completed_instances, m->failed_instances, m->continued_as_new_instances,
              m->total_events};
    return Status::OK();
  });
}

ds_code ds_admin_get_queue_depths(ds_admin* admin, ds_queue_depths* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_queue_depths& result = Ref(out, "out");
    auto d = AdminOf(admin).GetQueueDepths();
    if (!d.ok()) return d.status();
    result = {d->orchestrator, d->worker};
    return Status::OK();
  });
}

ds_code ds_admin_list_children(ds_admin* admin, const char* instance, size_t instance_len,
                               ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return StringsOut(AdminOf(admin).ListChildren(Bytes(instance, instance_len, "instance")), out);
  });
}

ds_code ds_admin_get_parent_id(ds_admin* admin, const char* instance, size_t instance_len,
                               char** parent, size_t* parent_len, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(parent, "parent");
    Ref(parent_len, "parent_len") = 0;
    auto got = AdminOf(admin).GetParentId(Bytes(instance, instance_len, "instance"));
    if (!got.ok()) return got.status();
    if (!got->has_value()) return Status::OK();
    *parent = CopyOut(**got);
    *parent_len = (*got)->size();
    return Status::OK();
  });
}

ds_code ds_admin_get_instance_tree(ds_admin* admin, const char* instance, size_t instance_len,
                                   ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    auto tree = AdminOf(admin).GetInstanceTree(Bytes(instance, instance_len, "instance"));
    if (!tree.ok()) return tree.status();
    *out = MakeStrings(std::move(tree->instances));
    return Status::OK();
  });
}

ds_code ds_admin_max_orchestrator_attempt_count(ds_admin* admin, const char* instance,
                                                size_t instance_len, uint32_t* out,
                                                ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint32_t& result = Ref(out, "out");
    auto count =
        AdminOf(admin).MaxOrchestratorAttemptCount(Bytes(instance, instance_len, "instance"));
    if (!count.ok()) return count.status();
    result = *count;
    return Status::OK();
  });
}

ds_code ds_admin_delete_instance(ds_admin* admin, const char* instance, size_t instance_len,
                                 bool force, ds_delete_result* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    auto deleted = AdminOf(admin).DeleteInstance(Bytes(instance, instance_len, "instance"), force);
    if (!deleted.ok()) return deleted.status();
    DeleteResultOut(*deleted, out);
    return Status::OK();
  });
}

ds_code ds_admin_delete_instances_atomic(ds_admin* admin, const ds_str* instances, size_t count,
                                         bool force, ds_delete_result* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    const auto ids = StringList(instances, count, "instances");
    auto deleted = AdminOf(admin).DeleteInstancesAtomic(ids, force);
    if (!deleted.ok()) return deleted.status();
    DeleteResultOut(*deleted, out);
    return Status::OK();
  });
}

ds_code ds_admin_delete_instance_bulk(ds_admin* admin, const ds_instance_filter* filter,
                                      ds_delete_result* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    auto deleted = AdminOf(admin).DeleteInstanceBulk(FilterIn(filter));
    if (!deleted.ok()) return deleted.status();
    DeleteResultOut(*deleted, out);
    return Status::OK();
  });
}

ds_code ds_admin_prune_executions(ds_admin* admin, const char* instance, size_t instance_len,
                                  const ds_prune_options* options, ds_prune_result* out,
                                  ds_error** err) {
  return Guard(err, [&]() -> Status {
    auto pruned =
        AdminOf(admin).PruneExecutions(Bytes(instance, instance_len, "instance"), PruneIn(options));
    if (!pruned.ok()) return pruned.status();
    PruneResultOut(*pruned, out);
    return Status::OK();
  });
}

ds_code ds_admin_prune_executions_bulk(ds_admin* admin, const ds_instance_filter* filter,
                                       const ds_prune_options* options, ds_prune_result* out,
                                       ds_error** err) {
  return Guard(err, [&]() -> Status {
    auto pruned = AdminOf(admin).PruneExecutionsBulk(FilterIn(filter), PruneIn(options));
    if (!pruned.ok()) return pruned.status();
    PruneResultOut(*pruned, out);
    return Status::OK();
  });
}
