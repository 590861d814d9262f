// The orchestration layer's C API for Duroxide's hot path (durastore/c_orchestration.h):
// the Provider and the types Provider and Admin share. The Admin entry points are in
// c_admin.cc. Conventions and the shared helpers are in the engine's c_api_internal.h and
// c_orchestration_internal.h.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "c_api_internal.h"
#include "c_orchestration_internal.h"
#include "durastore/c_orchestration.h"
#include "durastore/orchestration/provider.h"
#include "durastore/status.h"

namespace orch = durastore::orchestration;
using durastore::Status;
using durastore::c_api_internal::Array;
using durastore::c_api_internal::BufferOut;
using durastore::c_api_internal::Bytes;
using durastore::c_api_internal::EnumBits;
using durastore::c_api_internal::Guard;
using durastore::c_api_internal::HistoryView;
using durastore::c_api_internal::InvalidEnum;
using durastore::c_api_internal::Items;
using durastore::c_api_internal::MakeHistory;
using durastore::c_api_internal::MakeKvs;
using durastore::c_api_internal::Millis;
using durastore::c_api_internal::NoItems;
using durastore::c_api_internal::NoStr;
using durastore::c_api_internal::OptionalBytes;
using durastore::c_api_internal::OptionalNumber;
using durastore::c_api_internal::OptionalStr;
using durastore::c_api_internal::Ref;
using durastore::c_api_internal::ResetOut;
using durastore::c_api_internal::StatusIn;
using durastore::c_api_internal::StoreOf;
using durastore::c_api_internal::Str;
using durastore::c_api_internal::StringList;
using durastore::c_api_internal::ValueOut;

// The C limits mirror the C++ ones value for value.
static_assert(DS_MAX_INSTANCE_ID == orch::kMaxInstanceId);
static_assert(DS_MAX_NAME == orch::kMaxName);
static_assert(DS_MAX_KV_KEY == orch::kMaxKvKey);

struct ds_provider {
  std::unique_ptr<orch::Provider> provider;
};

struct ds_fetched_orchestration {
  orch::FetchedOrchestration fetched;
  std::vector<ds_history_event> history;
  std::vector<ds_orchestrator_item> messages;
  std::vector<ds_kv_entry> kv_snapshot;
};

struct ds_fetched_work {
  orch::FetchedWork fetched;
  ds_worker_item view{};
};

namespace {

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
  InvalidEnum("orchestrator item kind", k);
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
  InvalidEnum("tag filter mode", m);
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
  InvalidEnum("KV change kind", k);
}

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
      InvalidEnum("custom status change", c.custom_status_change);
  }
  Array(c.kv_changes, c.kv_change_count, "kv_changes");
  for (size_t i = 0; i < c.kv_change_count; ++i) {
    const ds_kv_change& k = c.kv_changes[i];
    ack.kv_changes.push_back({KvKindIn(k.kind), std::string(Bytes(k.key, k.key_len, "key")),
                              std::string(Bytes(k.value, k.value_len, "value")), k.updated_at_ms});
  }
  return ack;
}

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
    return ValueOut(orch::Provider::Open(StoreOf(store)), *out,
                    [&](std::unique_ptr<orch::Provider> provider) {
                      handle->provider = std::move(provider);
                      return handle.release();
                    });
  });
}

void ds_provider_free(ds_provider* provider) { delete provider; }

const char* ds_fetched_orchestration_lock_token(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? NoStr(len) : Str(f->fetched.lock_token, len);
}

uint32_t ds_fetched_orchestration_attempt_count(const ds_fetched_orchestration* f) {
  return f == nullptr ? 0 : f->fetched.attempt_count;
}

const char* ds_fetched_orchestration_instance(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? NoStr(len) : Str(f->fetched.item.instance, len);
}

const char* ds_fetched_orchestration_name(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? NoStr(len) : Str(f->fetched.item.orchestration_name, len);
}

const char* ds_fetched_orchestration_version(const ds_fetched_orchestration* f, size_t* len) {
  return f == nullptr ? NoStr(len) : Str(f->fetched.item.version, len);
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
  return f == nullptr ? NoStr(len) : OptionalStr(f->fetched.item.history_error, len);
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
    return ValueOut(ProviderOf(provider).FetchOrchestrationItem(lock_timeout_ms,
                                                                Millis(poll_timeout_ms), versions),
                    *out, [](std::optional<orch::FetchedOrchestration> fetched) {
                      return fetched.has_value() ? MakeFetched(std::move(*fetched)) : nullptr;
                    });
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
        Bytes(lock_token, lock_token_len, "lock_token"), OptionalNumber(has_delay, delay_ms),
        ignore_attempt);
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
    return ValueOut(ProviderOf(provider).Read(Bytes(instance, instance_len, "instance")), *out,
                    MakeHistory);
  });
}

ds_code ds_provider_read_with_execution(ds_provider* provider, const char* instance,
                                        size_t instance_len, uint64_t execution_id,
                                        ds_history** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(ProviderOf(provider).ReadWithExecution(
                        Bytes(instance, instance_len, "instance"), execution_id),
                    *out, MakeHistory);
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
    return ProviderOf(provider).EnqueueForOrchestrator(cpp, OptionalNumber(has_delay, delay_ms));
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
  return w == nullptr ? NoStr(len) : Str(w->fetched.lock_token, len);
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
    return ValueOut(ProviderOf(provider).FetchWorkItem(lock_timeout_ms, Millis(poll_timeout_ms),
                                                       sessions, tag_filter),
                    *out, [](std::optional<orch::FetchedWork> fetched) -> ds_fetched_work* {
                      if (!fetched.has_value()) return nullptr;
                      auto result = std::make_unique<ds_fetched_work>();
                      result->fetched = std::move(*fetched);
                      result->view = WorkerItemView(result->fetched.item);
                      return result.release();
                    });
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
    return ProviderOf(provider).AbandonWorkItem(Bytes(lock_token, lock_token_len, "lock_token"),
                                                OptionalNumber(has_delay, delay_ms),
                                                ignore_attempt);
  });
}

ds_code ds_provider_renew_session_lock(ds_provider* provider, const ds_str* owner_ids,
                                       size_t owner_id_count, int64_t extend_ms,
                                       int64_t idle_timeout_ms, uint64_t* renewed, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(renewed, "renewed");
    const auto owners = StringList(owner_ids, owner_id_count, "owner_ids");
    return ValueOut(ProviderOf(provider).RenewSessionLock(owners, extend_ms, idle_timeout_ms),
                    result);
  });
}

ds_code ds_provider_cleanup_orphaned_sessions(ds_provider* provider, int64_t idle_timeout_ms,
                                              uint64_t* removed, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(removed, "removed");
    return ValueOut(ProviderOf(provider).CleanupOrphanedSessions(idle_timeout_ms), result);
  });
}

ds_code ds_provider_get_custom_status(ds_provider* provider, const char* instance,
                                      size_t instance_len, uint64_t last_seen_version,
                                      bool* changed, char** status, size_t* status_len,
                                      uint64_t* version, ds_error** err) {
  return Guard(err, [&]() -> Status {
    Ref(changed, "changed") = false;
    ResetOut(status, status_len, "status", "status_len");
    Ref(version, "version") = 0;
    auto got = ProviderOf(provider).GetCustomStatus(Bytes(instance, instance_len, "instance"),
                                                    last_seen_version);
    if (!got.ok()) return got.status();
    if (!got->has_value()) return Status::OK();
    const orch::CustomStatus& custom = **got;
    if (custom.status.has_value()) BufferOut(*custom.status, status, status_len);
    *version = custom.version;
    *changed = true;
    return Status::OK();
  });
}

ds_code ds_provider_get_kv_value(ds_provider* provider, const char* instance, size_t instance_len,
                                 const char* key, size_t key_len, char** value, size_t* value_len,
                                 ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(value, value_len, "value", "value_len");
    auto got = ProviderOf(provider).GetKvValue(Bytes(instance, instance_len, "instance"),
                                               Bytes(key, key_len, "key"));
    if (!got.ok()) return got.status();
    if (got->has_value()) BufferOut(**got, value, value_len);
    return Status::OK();
  });
}

ds_code ds_provider_get_kv_all_values(ds_provider* provider, const char* instance,
                                      size_t instance_len, ds_kvs** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(ProviderOf(provider).GetKvAllValues(Bytes(instance, instance_len, "instance")),
                    *out,
                    [](const std::map<std::string, std::string>& all) { return MakeKvs(all); });
  });
}
