// The C API (durastore/c.h) over the C++ API.
//
// Every entry point runs its body inside Guard(), which turns a returned Status into a
// ds_code plus an allocated ds_error and catches every exception: invalid C input is
// reported by throwing CError (never leaves this file), std::bad_alloc becomes
// DS_RESOURCE_EXHAUSTED and anything else DS_INTERNAL. Result objects own the C++ values
// and an array of C view structs pointing into them, built once the values are at their
// final address.
#include "durastore/c.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "durastore/batch.h"
#include "durastore/clock.h"
#include "durastore/eventlog.h"
#include "durastore/limits.h"
#include "durastore/orchestration/admin.h"
#include "durastore/orchestration/provider.h"
#include "durastore/queue.h"
#include "durastore/status.h"
#include "durastore/store.h"

namespace lim = durastore::limits;
namespace orch = durastore::orchestration;
using durastore::Code;
using durastore::Status;

// The C enum and limits mirror the C++ ones value for value.
static_assert(DS_OK == static_cast<int>(Code::kOk));
static_assert(DS_NOT_FOUND == static_cast<int>(Code::kNotFound));
static_assert(DS_ALREADY_EXISTS == static_cast<int>(Code::kAlreadyExists));
static_assert(DS_CONFLICT == static_cast<int>(Code::kConflict));
static_assert(DS_LOCK_LOST == static_cast<int>(Code::kLockLost));
static_assert(DS_INVALID_ARGUMENT == static_cast<int>(Code::kInvalidArgument));
static_assert(DS_RESOURCE_EXHAUSTED == static_cast<int>(Code::kResourceExhausted));
static_assert(DS_BUSY == static_cast<int>(Code::kBusy));
static_assert(DS_IO_ERROR == static_cast<int>(Code::kIOError));
static_assert(DS_CORRUPTION == static_cast<int>(Code::kCorruption));
static_assert(DS_UNAVAILABLE == static_cast<int>(Code::kUnavailable));
static_assert(DS_MAX_STREAM_KEY == lim::kMaxStreamKey);
static_assert(DS_MAX_EVENT_KEY == lim::kMaxEventKey);
static_assert(DS_MAX_PAYLOAD == lim::kMaxPayload);
static_assert(DS_MAX_QUEUE_NAME == lim::kMaxQueueName);
static_assert(DS_MAX_GROUP_KEY == lim::kMaxGroupKey);
static_assert(DS_MAX_ATTRIBUTES == lim::kMaxAttributes);
static_assert(DS_MAX_ATTRIBUTE_NAME == lim::kMaxAttributeName);
static_assert(DS_MAX_ATTRIBUTE_VALUE == lim::kMaxAttributeValue);
static_assert(DS_MAX_METADATA_KEY == lim::kMaxMetadataKey);
static_assert(DS_MAX_METADATA_VALUE == lim::kMaxMetadataValue);
static_assert(DS_MAX_BATCH_BYTES == lim::kMaxBatchBytes);
static_assert(DS_MAX_BATCH_OPS == lim::kMaxBatchOps);
static_assert(DS_MAX_INSTANCE_ID == orch::kMaxInstanceId);
static_assert(DS_MAX_NAME == orch::kMaxName);
static_assert(DS_MAX_KV_KEY == orch::kMaxKvKey);

// ---- the opaque types ----

// `message` is malloc'ed, except in the static out-of-memory error.
struct ds_error {
  ds_code code;
  bool retryable;
  const char* message;
};

namespace {

// Handed out when even the error cannot be allocated; ds_error_free ignores it.
constinit ds_error g_out_of_memory{DS_RESOURCE_EXHAUSTED, false, "out of memory"};

// A Clock that asks the caller's callback.
class CallbackClock final : public durastore::Clock {
 public:
  CallbackClock(ds_now_ms_fn fn, void* ctx) : fn_(fn), ctx_(ctx) {}
  int64_t NowMs() const override { return fn_(ctx_); }

 private:
  ds_now_ms_fn fn_;
  void* ctx_;
};

}  // namespace

struct ds_store {
  std::unique_ptr<CallbackClock> clock;  // declared first: outlives the store
  std::unique_ptr<durastore::Store> store;
};

struct ds_batch {
  durastore::Batch batch;
};

struct ds_strings {
  std::vector<std::string> values;
  std::vector<ds_str> views;
};

struct ds_kvs {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::vector<ds_kv> views;
};

struct ds_commit_result {
  std::vector<ds_append_result> appends;
  std::vector<uint64_t> message_ids;
};

struct ds_events {
  std::string stream;      // for events of one partition
  uint64_t partition = 0;  // idem
  std::vector<durastore::eventlog::Event> events;
  std::vector<durastore::eventlog::PositionedEvent> positioned;  // for ReadAfter
  std::vector<ds_event> views;
};

struct ds_messages {
  std::vector<durastore::queue::Message> messages;
  std::vector<std::vector<ds_attribute>> attributes;  // per message
  std::vector<ds_message> views;
};

struct ds_lease {
  std::string token;
  std::string queue;
  std::string group_key;
  int64_t locked_until_ms = 0;
  ds_messages messages;
};

struct ds_history {
  std::vector<orch::HistoryEvent> events;
  std::vector<ds_history_event> views;
};

struct ds_provider {
  std::unique_ptr<orch::Provider> provider;
};

struct ds_fetched_orchestration {
  orch::FetchedOrchestration fetched;
  std::vector<ds_history_event> history;
  std::vector<ds_orchestrator_item> messages;
  std::vector<ds_kv> kv_snapshot;
};

struct ds_fetched_work {
  orch::FetchedWork fetched;
  ds_worker_item view{};
};

struct ds_admin {
  explicit ds_admin(durastore::Store& store) : admin(store) {}
  orch::Admin admin;
};

struct ds_instance_info {
  orch::InstanceInfo info;
};

struct ds_execution_info {
  orch::ExecutionInfo info;
};

namespace {

// ---- errors ----

// Thrown by the input helpers below for malformed C input; caught by Guard.
struct CError {
  Status status;
};

[[noreturn]] void Invalid(std::string message) {
  throw CError{Status::InvalidArgument(std::move(message))};
}

ds_code Report(ds_error** err, ds_code code, std::string_view message, bool retryable) noexcept {
  if (err == nullptr) return code;
  auto* error = new (std::nothrow) ds_error{code, retryable, nullptr};
  auto* text = static_cast<char*>(std::malloc(message.size() + 1));
  if (error == nullptr || text == nullptr) {
    delete error;
    std::free(text);
    *err = &g_out_of_memory;
    return code;
  }
  if (!message.empty()) std::memcpy(text, message.data(), message.size());
  text[message.size()] = '\0';
  error->message = text;
  *err = error;
  return code;
}

ds_code ReportStatus(ds_error** err, const Status& status) noexcept {
  if (status.ok()) return DS_OK;
  return Report(err, static_cast<ds_code>(status.code()), status.message(), status.retryable());
}

// Runs `body` (returning a Status) and converts its outcome; nothing escapes.
template <typename Body>
ds_code Guard(ds_error** err, Body&& body) noexcept {
  if (err != nullptr) *err = nullptr;
  try {
    return ReportStatus(err, body());
  } catch (const CError& e) {
    return ReportStatus(err, e.status);
  } catch (const std::bad_alloc&) {
    return Report(err, DS_RESOURCE_EXHAUSTED, "out of memory", false);
  } catch (const std::length_error&) {
    return Report(err, DS_RESOURCE_EXHAUSTED, "out of memory (length error)", false);
  } catch (const std::exception& e) {
    return Report(err, DS_INTERNAL, e.what(), false);
  } catch (...) {
    return Report(err, DS_INTERNAL, "unknown exception", false);
  }
}

// ---- input ----

std::string_view Bytes(const char* ptr, size_t len, const char* what) {
  if (ptr == nullptr && len != 0) {
    Invalid(std::string(what) + " is NULL with length " + std::to_string(len));
  }
  return len == 0 ? std::string_view() : std::string_view(ptr, len);
}

std::optional<std::string> OptionalBytes(const char* ptr, size_t len) {
  if (ptr == nullptr) return std::nullopt;
  return std::string(ptr, len);
}

template <typename T>
T& Ref(T* ptr, const char* what) {
  if (ptr == nullptr) Invalid(std::string(what) + " is NULL");
  return *ptr;
}

// An input array; NULL only when empty.
template <typename T>
const T* Array(const T* ptr, size_t count, const char* what) {
  if (ptr == nullptr && count != 0) {
    Invalid(std::string(what) + " is NULL with count " + std::to_string(count));
  }
  return ptr;
}

// Sets *out = nullptr on entry so a failed call leaves NULL behind.
template <typename T>
T** ResetOut(T** out, const char* what) {
  if (out == nullptr) Invalid(std::string(what) + " is NULL");
  *out = nullptr;
  return out;
}

durastore::Store& StoreOf(ds_store* store) { return *Ref(store, "store").store; }

std::vector<std::string> StringList(const ds_str* items, size_t count, const char* what) {
  Array(items, count, what);
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.emplace_back(Bytes(items[i].ptr, items[i].len, what));
  return out;
}

std::chrono::milliseconds Millis(int64_t ms) { return std::chrono::milliseconds(ms); }

// ---- output ----

char* CopyOut(std::string_view bytes) {
  auto* buffer = static_cast<char*>(std::malloc(bytes.size() + 1));
  if (buffer == nullptr) throw std::bad_alloc();
  if (!bytes.empty()) std::memcpy(buffer, bytes.data(), bytes.size());
  buffer[bytes.size()] = '\0';
  return buffer;
}

uint64_t* CopyOut(const std::vector<uint64_t>& values) {
  if (values.empty()) return nullptr;
  auto* buffer = static_cast<uint64_t*>(std::malloc(values.size() * sizeof(uint64_t)));
  if (buffer == nullptr) throw std::bad_alloc();
  std::memcpy(buffer, values.data(), values.size() * sizeof(uint64_t));
  return buffer;
}

void U64Array(const std::vector<uint64_t>& values, uint64_t** out, size_t* count) {
  *out = CopyOut(values);
  *count = values.size();
}

// Returns the accessor result of a string member: pointer (never NULL) and length.
const char* Str(const std::string& s, size_t* len) {
  if (len != nullptr) *len = s.size();
  return s.c_str();
}

const char* OptionalStr(const std::optional<std::string>& s, size_t* len) {
  if (!s.has_value()) {
    if (len != nullptr) *len = 0;
    return nullptr;
  }
  return Str(*s, len);
}

template <typename T>
const T* Items(const std::vector<T>& views, size_t* count) {
  if (count != nullptr) *count = views.size();
  return views.empty() ? nullptr : views.data();
}

template <typename T>
const T* NoItems(size_t* count) {
  if (count != nullptr) *count = 0;
  return nullptr;
}

ds_strings* MakeStrings(std::vector<std::string> values) {
  auto out = std::make_unique<ds_strings>();
  out->values = std::move(values);
  out->views.reserve(out->values.size());
  for (const auto& v : out->values) out->views.push_back({v.data(), v.size()});
  return out.release();
}

ds_kv KvView(const std::string& key, const std::string& value) {
  return {key.data(), key.size(), value.data(), value.size()};
}

ds_kvs* MakeKvs(std::vector<std::pair<std::string, std::string>> pairs) {
  auto out = std::make_unique<ds_kvs>();
  out->pairs = std::move(pairs);
  out->views.reserve(out->pairs.size());
  for (const auto& [k, v] : out->pairs) out->views.push_back(KvView(k, v));
  return out.release();
}

ds_kvs* MakeKvs(const std::map<std::string, std::string>& map) {
  return MakeKvs(std::vector<std::pair<std::string, std::string>>(map.begin(), map.end()));
}

ds_event EventView(const std::string& stream, uint64_t partition,
                   const durastore::eventlog::Event& e) {
  return {stream.data(),    stream.size(), partition,    e.sequence,       e.position,
          e.appended_at_ms, e.key.data(),  e.key.size(), e.payload.data(), e.payload.size()};
}

void BuildMessageViews(ds_messages& m) {
  m.attributes.resize(m.messages.size());
  for (size_t i = 0; i < m.messages.size(); ++i) {
    for (const auto& a : m.messages[i].attributes) {
      m.attributes[i].push_back({a.name.data(), a.name.size(), a.value.data(), a.value.size()});
    }
  }
  m.views.reserve(m.messages.size());
  for (size_t i = 0; i < m.messages.size(); ++i) {
    const auto& msg = m.messages[i];
    m.views.push_back(
        {msg.id, msg.payload.data(), msg.payload.size(), msg.group_key.data(), msg.group_key.size(),
         m.attributes[i].empty() ? nullptr : m.attributes[i].data(), m.attributes[i].size(),
         msg.delivery_count, msg.enqueued_at_ms, msg.visible_at_ms});
  }
}

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

// ---- enums ----

durastore::eventlog::ExpectedVersion Expected(const ds_expected_version* e) {
  using durastore::eventlog::ExpectedVersion;
  if (e == nullptr) return ExpectedVersion::Any();
  switch (e->kind) {
    case DS_EXPECT_ANY:
      return ExpectedVersion::Any();
    case DS_EXPECT_NO_STREAM:
      return ExpectedVersion::NoStream();
    case DS_EXPECT_EXISTS:
      return ExpectedVersion::Exists();
    case DS_EXPECT_EXACT:
      return ExpectedVersion::Exact(e->sequence);
  }
  Invalid("unknown expected version kind " + std::to_string(static_cast<int>(e->kind)));
}

durastore::Durability StoreDurability(ds_durability d) {
  switch (d) {
    case DS_DURABILITY_DEFAULT:
    case DS_DURABILITY_SYNC:
      return durastore::Durability::kSync;
    case DS_DURABILITY_NO_SYNC:
      return durastore::Durability::kNoSync;
  }
  Invalid("unknown durability " + std::to_string(static_cast<int>(d)));
}

durastore::FlushMethod Flush(ds_flush_method m) {
  switch (m) {
    case DS_FLUSH_AUTO:
      return durastore::FlushMethod::kAuto;
    case DS_FLUSH_IO_URING:
      return durastore::FlushMethod::kIoUring;
    case DS_FLUSH_FDATASYNC:
      return durastore::FlushMethod::kFdatasync;
  }
  Invalid("unknown flush method " + std::to_string(static_cast<int>(m)));
}

orch::ExecutionStatus StatusIn(ds_execution_status s) {
  switch (s) {
    case DS_EXECUTION_RUNNING:
      return orch::ExecutionStatus::kRunning;
    case DS_EXECUTION_COMPLETED:
      return orch::ExecutionStatus::kCompleted;
    case DS_EXECUTION_FAILED:
      return orch::ExecutionStatus::kFailed;
    case DS_EXECUTION_CONTINUED_AS_NEW:
      return orch::ExecutionStatus::kContinuedAsNew;
  }
  Invalid("unknown execution status " + std::to_string(static_cast<int>(s)));
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

orch::OrchestratorItem::Kind KindIn(ds_orchestrator_item_kind k) {
  using Kind = orch::OrchestratorItem::Kind;
  switch (k) {
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
  Invalid("unknown orchestrator item kind " + std::to_string(static_cast<int>(k)));
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

orch::TagFilter::Mode TagModeIn(ds_tag_filter_mode m) {
  using Mode = orch::TagFilter::Mode;
  switch (m) {
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
  Invalid("unknown tag filter mode " + std::to_string(static_cast<int>(m)));
}

orch::KvChange::Kind KvKindIn(ds_kv_change_kind k) {
  using Kind = orch::KvChange::Kind;
  switch (k) {
    case DS_KV_SET:
      return Kind::kSet;
    case DS_KV_CLEAR:
      return Kind::kClear;
    case DS_KV_CLEAR_ALL:
      return Kind::kClearAll;
  }
  Invalid("unknown KV change kind " + std::to_string(static_cast<int>(k)));
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
  switch (c.custom_status_change) {
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
      Invalid("unknown custom status change " +
              std::to_string(static_cast<int>(c.custom_status_change)));
  }
  Array(c.kv_changes, c.kv_change_count, "kv_changes");
  for (size_t i = 0; i < c.kv_change_count; ++i) {
    const ds_kv_change& k = c.kv_changes[i];
    ack.kv_changes.push_back({KvKindIn(k.kind), std::string(Bytes(k.key, k.key_len, "key")),
                              std::string(Bytes(k.value, k.value_len, "value"))});
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
  for (const auto& [k, v] : item.kv_snapshot) out->kv_snapshot.push_back(KvView(k, v));
  return out.release();
}

// Runs an admin call returning Result<std::vector<std::string>> into a ds_strings.
template <typename ResultT>
Status StringsOut(ResultT result, ds_strings** out) {
  if (!result.ok()) return result.status();
  *out = MakeStrings(std::move(result).value());
  return Status::OK();
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

durastore::queue::LeaseToken Token(const char* token, size_t len) {
  auto parsed = durastore::queue::LeaseToken::FromHex(Bytes(token, len, "token"));
  if (!parsed.ok()) throw CError{parsed.status()};
  return *parsed;
}

// Runs a batch operation (which only records; it cannot fail except for bad input).
template <typename Op>
ds_code BatchOp(ds_batch* batch, ds_error** err, Op&& op) noexcept {
  return Guard(err, [&]() -> Status {
    op(Ref(batch, "batch").batch);
    return Status::OK();
  });
}

}  // namespace

// =====================================================================================
// Errors and memory
// =====================================================================================

const char* ds_code_name(ds_code code) {
  switch (code) {
    case DS_OK:
      return "OK";
    case DS_NOT_FOUND:
      return "NotFound";
    case DS_ALREADY_EXISTS:
      return "AlreadyExists";
    case DS_CONFLICT:
      return "Conflict";
    case DS_LOCK_LOST:
      return "LockLost";
    case DS_INVALID_ARGUMENT:
      return "InvalidArgument";
    case DS_RESOURCE_EXHAUSTED:
      return "ResourceExhausted";
    case DS_BUSY:
      return "Busy";
    case DS_IO_ERROR:
      return "IOError";
    case DS_CORRUPTION:
      return "Corruption";
    case DS_UNAVAILABLE:
      return "Unavailable";
    case DS_INTERNAL:
      return "Internal";
  }
  return "Unknown";
}

uint32_t ds_api_version(void) { return DS_API_VERSION; }

ds_code ds_error_code(const ds_error* error) { return error == nullptr ? DS_OK : error->code; }

const char* ds_error_message(const ds_error* error) {
  return error == nullptr ? "" : error->message;
}

bool ds_error_retryable(const ds_error* error) { return error != nullptr && error->retryable; }

void ds_error_free(ds_error* error) {
  if (error == nullptr || error == &g_out_of_memory) return;
  std::free(const_cast<char*>(error->message));
  delete error;
}

void ds_free(void* ptr) { std::free(ptr); }

const ds_str* ds_strings_items(const ds_strings* strings, size_t* count) {
  return strings == nullptr ? NoItems<ds_str>(count) : Items(strings->views, count);
}

void ds_strings_free(ds_strings* strings) { delete strings; }

const ds_kv* ds_kvs_items(const ds_kvs* kvs, size_t* count) {
  return kvs == nullptr ? NoItems<ds_kv>(count) : Items(kvs->views, count);
}

void ds_kvs_free(ds_kvs* kvs) { delete kvs; }

// =====================================================================================
// Store
// =====================================================================================

void ds_options_init(ds_options* options) {
  if (options == nullptr) return;
  const durastore::Options defaults;
  *options = ds_options{};
  options->durability = DS_DURABILITY_SYNC;
  options->create_if_missing = defaults.create_if_missing;
  options->initial_map_size = defaults.initial_map_size;
  options->max_map_size = defaults.max_map_size;
  options->flush_method = DS_FLUSH_AUTO;
  options->max_group_size = defaults.max_group_size;
}

ds_code ds_store_open(const char* path, size_t path_len, const ds_options* options, ds_store** out,
                      ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    ds_options opts;
    ds_options_init(&opts);
    if (options != nullptr) opts = *options;
    std::string dir(Bytes(path, path_len, "path"));
    if (dir.empty() || dir.find('\0') != std::string::npos) {
      Invalid("path must be non-empty and contain no NUL byte");
    }
    auto handle = std::make_unique<ds_store>();
    durastore::Options cpp;
    cpp.durability = StoreDurability(opts.durability);
    cpp.create_if_missing = opts.create_if_missing;
    cpp.initial_map_size = opts.initial_map_size;
    cpp.max_map_size = opts.max_map_size;
    cpp.flush_method = Flush(opts.flush_method);
    cpp.max_group_size = opts.max_group_size;
    if (opts.now_ms != nullptr) {
      handle->clock = std::make_unique<CallbackClock>(opts.now_ms, opts.now_ms_ctx);
      cpp.clock = handle->clock.get();
    }
    auto store = durastore::Store::Open(dir, cpp);
    if (!store.ok()) return store.status();
    handle->store = std::move(store).value();
    *out = handle.release();
    return Status::OK();
  });
}

ds_code ds_store_close(ds_store* store, ds_error** err) {
  return Guard(err, [&] { return StoreOf(store).Close(); });
}

void ds_store_free(ds_store* store) {
  if (store == nullptr) return;
  store->store.reset();  // closes, before the clock it may read goes away
  delete store;
}

ds_code ds_store_flush(ds_store* store, ds_error** err) {
  return Guard(err, [&] { return StoreOf(store).Flush(); });
}

ds_code ds_store_health(const ds_store* store, ds_error** err) {
  return Guard(err, [&] { return Ref(store, "store").store->health(); });
}

ds_code ds_store_pipeline_stats(const ds_store* store, ds_pipeline_stats* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    const auto stats = Ref(store, "store").store->GetPipelineStats();
    Ref(out, "out") = {stats.groups,  stats.batches,     stats.failed_batches,
                       stats.flushes, stats.map_resizes, stats.using_io_uring};
    return Status::OK();
  });
}

// =====================================================================================
// Batch
// =====================================================================================

ds_code ds_batch_new(ds_batch** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    *ResetOut(out, "out") = new ds_batch();
    return Status::OK();
  });
}

ds_code ds_batch_clone(const ds_batch* batch, ds_batch** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    *out = new ds_batch{Ref(batch, "batch").batch};
    return Status::OK();
  });
}

void ds_batch_free(ds_batch* batch) { delete batch; }

size_t ds_batch_size(const ds_batch* batch) { return batch == nullptr ? 0 : batch->batch.size(); }

size_t ds_batch_byte_size(const ds_batch* batch) {
  return batch == nullptr ? 0 : batch->batch.ByteSize();
}

void ds_batch_clear(ds_batch* batch) {
  if (batch == nullptr) return;
  try {
    batch->batch.Clear();
  } catch (...) {  // Clear frees; nothing may escape to C in any case
  }
}

ds_code ds_batch_append(ds_batch* batch, const char* stream, size_t stream_len, uint64_t partition,
                        const ds_event_data* events, size_t count,
                        const ds_expected_version* expected, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    const std::string_view name = Bytes(stream, stream_len, "stream");
    Array(events, count, "events");
    std::vector<durastore::eventlog::EventData> data;
    data.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      data.push_back({std::string(Bytes(events[i].payload, events[i].payload_len, "payload")),
                      std::string(Bytes(events[i].key, events[i].key_len, "key"))});
    }
    const auto condition = Expected(expected);
    b.Append(name, partition, std::move(data), condition);
  });
}

ds_code ds_batch_truncate_before(ds_batch* batch, const char* stream, size_t stream_len,
                                 uint64_t partition, uint64_t before_sequence, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.TruncateBefore(Bytes(stream, stream_len, "stream"), partition, before_sequence);
  });
}

ds_code ds_batch_delete_partition(ds_batch* batch, const char* stream, size_t stream_len,
                                  uint64_t partition, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.DeletePartition(Bytes(stream, stream_len, "stream"), partition);
  });
}

ds_code ds_batch_delete_stream(ds_batch* batch, const char* stream, size_t stream_len,
                               ds_error** err) {
  return BatchOp(batch, err,
                 [&](durastore::Batch& b) { b.DeleteStream(Bytes(stream, stream_len, "stream")); });
}

void ds_enqueue_options_init(ds_enqueue_options* options) {
  if (options != nullptr) *options = ds_enqueue_options{};
}

void ds_queue_options_init(ds_queue_options* options) {
  if (options == nullptr) return;
  const durastore::queue::QueueOptions defaults;
  *options = ds_queue_options{};
  options->lock_duration_ms = defaults.lock_duration_ms;
  options->max_deliveries = defaults.max_deliveries;
  options->group_mode = defaults.group_mode;
}

ds_code ds_batch_enqueue(ds_batch* batch, const char* queue, size_t queue_len, const char* payload,
                         size_t payload_len, const ds_enqueue_options* options, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    durastore::queue::EnqueueOptions cpp;
    if (options != nullptr) {
      cpp.delay_ms = options->delay_ms;
      if (options->has_visible_at) cpp.visible_at_ms = options->visible_at_ms;
      cpp.group_key = Bytes(options->group_key, options->group_key_len, "group_key");
      Array(options->attributes, options->attribute_count, "attributes");
      for (size_t i = 0; i < options->attribute_count; ++i) {
        const ds_attribute& a = options->attributes[i];
        cpp.attributes.push_back({std::string(Bytes(a.name, a.name_len, "attribute name")),
                                  std::string(Bytes(a.value, a.value_len, "attribute value"))});
      }
    }
    b.Enqueue(Bytes(queue, queue_len, "queue"), Bytes(payload, payload_len, "payload"), cpp);
  });
}

ds_code ds_batch_configure_queue(ds_batch* batch, const char* queue, size_t queue_len,
                                 const ds_queue_options* options, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    const ds_queue_options& c = Ref(options, "options");
    durastore::queue::QueueOptions cpp;
    cpp.lock_duration_ms = c.lock_duration_ms;
    cpp.max_deliveries = c.max_deliveries;
    cpp.dead_letter_queue =
        Bytes(c.dead_letter_queue, c.dead_letter_queue_len, "dead_letter_queue");
    cpp.group_mode = c.group_mode;
    b.ConfigureQueue(Bytes(queue, queue_len, "queue"), cpp);
  });
}

ds_code ds_batch_ack(ds_batch* batch, const char* token, size_t token_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) { b.Ack(Token(token, token_len)); });
}

ds_code ds_batch_abandon(ds_batch* batch, const char* token, size_t token_len, int64_t delay_ms,
                         bool count_attempt, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.Abandon(Token(token, token_len), delay_ms, count_attempt);
  });
}

ds_code ds_batch_renew(ds_batch* batch, const char* token, size_t token_len, int64_t extend_ms,
                       ds_error** err) {
  return BatchOp(batch, err,
                 [&](durastore::Batch& b) { b.Renew(Token(token, token_len), extend_ms); });
}

ds_code ds_batch_dead_letter(ds_batch* batch, const char* token, size_t token_len,
                             const char* reason, size_t reason_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.DeadLetter(Token(token, token_len), Bytes(reason, reason_len, "reason"));
  });
}

ds_code ds_batch_delete_messages(ds_batch* batch, const char* queue, size_t queue_len,
                                 const char* name, size_t name_len, const char* value,
                                 size_t value_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.DeleteMessages(Bytes(queue, queue_len, "queue"), Bytes(name, name_len, "name"),
                     Bytes(value, value_len, "value"));
  });
}

ds_code ds_batch_put(ds_batch* batch, const char* key, size_t key_len, const char* value,
                     size_t value_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.Put(Bytes(key, key_len, "key"), Bytes(value, value_len, "value"));
  });
}

ds_code ds_batch_delete(ds_batch* batch, const char* key, size_t key_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) { b.Delete(Bytes(key, key_len, "key")); });
}

ds_code ds_batch_delete_range(ds_batch* batch, const char* begin, size_t begin_len, const char* end,
                              size_t end_len, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.DeleteRange(Bytes(begin, begin_len, "begin"), Bytes(end, end_len, "end"));
  });
}

const ds_append_result* ds_commit_result_appends(const ds_commit_result* result, size_t* count) {
  return result == nullptr ? NoItems<ds_append_result>(count) : Items(result->appends, count);
}

const uint64_t* ds_commit_result_message_ids(const ds_commit_result* result, size_t* count) {
  return result == nullptr ? NoItems<uint64_t>(count) : Items(result->message_ids, count);
}

void ds_commit_result_free(ds_commit_result* result) { delete result; }

ds_code ds_store_commit(ds_store* store, ds_batch* batch, ds_durability durability,
                        ds_commit_result** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    if (out != nullptr) *out = nullptr;
    durastore::Store& s = StoreOf(store);
    ds_batch& b = Ref(batch, "batch");
    durastore::CommitOptions options;
    if (durability != DS_DURABILITY_DEFAULT) options.durability = StoreDurability(durability);
    auto result = std::make_unique<ds_commit_result>();
    durastore::Batch taken;
    std::swap(taken, b.batch);  // consumed whatever the outcome; b stays usable
    auto committed = s.Commit(std::move(taken), options);
    if (!committed.ok()) return committed.status();
    if (out == nullptr) return Status::OK();
    for (const auto& a : committed->appends) {
      result->appends.push_back(
          {a.first_sequence, a.last_sequence, a.first_position, a.last_position});
    }
    result->message_ids = std::move(committed->message_ids);
    *out = result.release();
    return Status::OK();
  });
}

// =====================================================================================
// Event log reads
// =====================================================================================

const ds_event* ds_events_items(const ds_events* events, size_t* count) {
  return events == nullptr ? NoItems<ds_event>(count) : Items(events->views, count);
}

void ds_events_free(ds_events* events) { delete events; }

void ds_read_options_init(ds_read_options* options) {
  if (options == nullptr) return;
  const durastore::eventlog::ReadOptions defaults;
  *options = ds_read_options{};
  options->backward = defaults.backward;
  options->max_count = defaults.max_count;
  options->max_bytes = defaults.max_bytes;
}

ds_code ds_log_read_partition(ds_store* store, const char* stream, size_t stream_len,
                              uint64_t partition, const ds_read_options* options, ds_events** out,
                              ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    durastore::eventlog::ReadOptions cpp;
    if (options != nullptr) {
      if (options->has_from_sequence) cpp.from_sequence = options->from_sequence;
      cpp.backward = options->backward;
      cpp.max_count = options->max_count;
      cpp.max_bytes = options->max_bytes;
    }
    const std::string_view name = Bytes(stream, stream_len, "stream");
    auto read = durastore::eventlog::ReadPartition(StoreOf(store), name, partition, cpp);
    if (!read.ok()) return read.status();
    auto result = std::make_unique<ds_events>();
    result->stream = name;
    result->partition = partition;
    result->events = std::move(read).value();
    result->views.reserve(result->events.size());
    for (const auto& e : result->events) {
      result->views.push_back(EventView(result->stream, partition, e));
    }
    *out = result.release();
    return Status::OK();
  });
}

ds_code ds_log_list_partitions(ds_store* store, const char* stream, size_t stream_len,
                               uint64_t** partitions, size_t* count, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(partitions, "partitions");
    Ref(count, "count") = 0;
    auto list =
        durastore::eventlog::ListPartitions(StoreOf(store), Bytes(stream, stream_len, "stream"));
    if (!list.ok()) return list.status();
    U64Array(*list, partitions, count);
    return Status::OK();
  });
}

ds_code ds_log_latest_partition(ds_store* store, const char* stream, size_t stream_len,
                                uint64_t* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(out, "out");
    auto latest =
        durastore::eventlog::LatestPartition(StoreOf(store), Bytes(stream, stream_len, "stream"));
    if (!latest.ok()) return latest.status();
    result = *latest;
    return Status::OK();
  });
}

ds_code ds_log_partition_info(ds_store* store, const char* stream, size_t stream_len,
                              uint64_t partition, ds_partition_info* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_partition_info& result = Ref(out, "out");
    auto info = durastore::eventlog::GetPartitionInfo(
        StoreOf(store), Bytes(stream, stream_len, "stream"), partition);
    if (!info.ok()) return info.status();
    result = {info->partition, info->first_sequence, info->last_sequence, info->event_count,
              info->bytes};
    return Status::OK();
  });
}

ds_code ds_log_stream_info(ds_store* store, const char* stream, size_t stream_len,
                           ds_stream_info* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_stream_info& result = Ref(out, "out");
    auto info =
        durastore::eventlog::GetStreamInfo(StoreOf(store), Bytes(stream, stream_len, "stream"));
    if (!info.ok()) return info.status();
    result = {info->partition_count, info->latest_partition, info->event_count, info->bytes};
    return Status::OK();
  });
}

ds_code ds_log_last_position(ds_store* store, uint64_t* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(out, "out");
    auto position = durastore::eventlog::LastPosition(StoreOf(store));
    if (!position.ok()) return position.status();
    result = *position;
    return Status::OK();
  });
}

ds_code ds_log_read_after(ds_store* store, uint64_t after_position, size_t max_count,
                          int64_t wait_ms, ds_events** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    auto read =
        durastore::eventlog::ReadAfter(StoreOf(store), after_position, max_count, Millis(wait_ms));
    if (!read.ok()) return read.status();
    auto result = std::make_unique<ds_events>();
    result->positioned = std::move(read).value();
    result->views.reserve(result->positioned.size());
    for (const auto& p : result->positioned) {
      result->views.push_back(EventView(p.stream, p.partition, p.event));
    }
    *out = result.release();
    return Status::OK();
  });
}

// =====================================================================================
// Queues
// =====================================================================================

const ds_message* ds_messages_items(const ds_messages* messages, size_t* count) {
  return messages == nullptr ? NoItems<ds_message>(count) : Items(messages->views, count);
}

void ds_messages_free(ds_messages* messages) { delete messages; }

void ds_dequeue_options_init(ds_dequeue_options* options) {
  if (options != nullptr) *options = ds_dequeue_options{};
}

const char* ds_lease_token(const ds_lease* lease, size_t* len) {
  return lease == nullptr ? OptionalStr(std::nullopt, len) : Str(lease->token, len);
}

const char* ds_lease_queue(const ds_lease* lease, size_t* len) {
  return lease == nullptr ? OptionalStr(std::nullopt, len) : Str(lease->queue, len);
}

const char* ds_lease_group_key(const ds_lease* lease, size_t* len) {
  return lease == nullptr ? OptionalStr(std::nullopt, len) : Str(lease->group_key, len);
}

int64_t ds_lease_locked_until_ms(const ds_lease* lease) {
  return lease == nullptr ? 0 : lease->locked_until_ms;
}

const ds_message* ds_lease_messages(const ds_lease* lease, size_t* count) {
  return lease == nullptr ? NoItems<ds_message>(count) : Items(lease->messages.views, count);
}

void ds_lease_free(ds_lease* lease) { delete lease; }

ds_code ds_queue_dequeue(ds_store* store, const char* queue, size_t queue_len,
                         const ds_dequeue_options* options, ds_lease** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    durastore::queue::DequeueOptions cpp;
    if (options != nullptr) {
      cpp.lock_duration_ms = options->lock_duration_ms;
      cpp.wait = Millis(options->wait_ms);
      Array(options->filter, options->filter_count, "filter");
      for (size_t i = 0; i < options->filter_count; ++i) {
        const ds_attribute_match& m = options->filter[i];
        cpp.filter.push_back({std::string(Bytes(m.name, m.name_len, "filter name")),
                              StringList(m.values, m.value_count, "filter values"), m.match_absent,
                              m.match_any_value});
      }
    }
    auto dequeued =
        durastore::queue::Dequeue(StoreOf(store), Bytes(queue, queue_len, "queue"), cpp);
    if (!dequeued.ok()) return dequeued.status();
    if (!dequeued->has_value()) return Status::OK();
    durastore::queue::Lease& lease = **dequeued;
    auto result = std::make_unique<ds_lease>();
    result->token = lease.token.ToHex();
    result->queue = std::move(lease.queue);
    result->group_key = std::move(lease.group_key);
    result->locked_until_ms = lease.locked_until_ms;
    result->messages.messages = std::move(lease.messages);
    BuildMessageViews(result->messages);
    *out = result.release();
    return Status::OK();
  });
}

ds_code ds_queue_counters_get(ds_store* store, const char* queue, size_t queue_len,
                              ds_queue_counters* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_queue_counters& result = Ref(out, "out");
    auto c = durastore::queue::GetCounters(StoreOf(store), Bytes(queue, queue_len, "queue"));
    if (!c.ok()) return c.status();
    result = {c->ready, c->delayed, c->leased, c->dead_lettered, c->oldest_ready_age_ms};
    return Status::OK();
  });
}

ds_code ds_queue_peek(ds_store* store, const char* queue, size_t queue_len, const char* name,
                      size_t name_len, const char* value, size_t value_len, size_t limit,
                      ds_messages** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    auto peeked = durastore::queue::PeekMessages(StoreOf(store), Bytes(queue, queue_len, "queue"),
                                                 Bytes(name, name_len, "name"),
                                                 Bytes(value, value_len, "value"), limit);
    if (!peeked.ok()) return peeked.status();
    auto result = std::make_unique<ds_messages>();
    result->messages = std::move(peeked).value();
    BuildMessageViews(*result);
    *out = result.release();
    return Status::OK();
  });
}

ds_code ds_queue_list(ds_store* store, ds_strings** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return StringsOut(durastore::queue::ListQueues(StoreOf(store)), out);
  });
}

// =====================================================================================
// Metadata reads
// =====================================================================================

ds_code ds_meta_get(ds_store* store, const char* key, size_t key_len, char** value,
                    size_t* value_len, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(value, "value");
    Ref(value_len, "value_len") = 0;
    auto got = StoreOf(store).Get(Bytes(key, key_len, "key"));
    if (!got.ok()) return got.status();
    *value = CopyOut(*got);
    *value_len = got->size();
    return Status::OK();
  });
}

ds_code ds_meta_scan(ds_store* store, const char* prefix, size_t prefix_len, size_t limit,
                     const char* start_after, size_t start_after_len, ds_kvs** out,
                     ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    auto scanned = StoreOf(store).Scan(Bytes(prefix, prefix_len, "prefix"), limit,
                                       Bytes(start_after, start_after_len, "start_after"));
    if (!scanned.ok()) return scanned.status();
    *out = MakeKvs(std::move(scanned).value());
    return Status::OK();
  });
}

// =====================================================================================
// Orchestration: shared
// =====================================================================================

const char* ds_execution_status_name(ds_execution_status status) {
  switch (status) {
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

const ds_kv* ds_fetched_orchestration_kv_snapshot(const ds_fetched_orchestration* f,
                                                  size_t* count) {
  return f == nullptr ? NoItems<ds_kv>(count) : Items(f->kv_snapshot, count);
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
