// The C API (durastore/c.h) over the C++ API: errors and memory, the store and its options,
// batches and commit, event log reads, queues and metadata reads. The Provider and Admin
// entry points are in c_api_orchestration.cc; the pieces both share (handle types, Guard,
// input and output helpers) are in c_api_internal.h, which describes the conventions.
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "c_api_internal.h"
#include "durastore/batch.h"
#include "durastore/c.h"
#include "durastore/eventlog.h"
#include "durastore/limits.h"
#include "durastore/queue.h"
#include "durastore/status.h"
#include "durastore/store.h"

namespace lim = durastore::limits;
using durastore::Code;
using durastore::Status;
using durastore::c_api_internal::Array;
using durastore::c_api_internal::Bytes;
using durastore::c_api_internal::CallbackClock;
using durastore::c_api_internal::CError;
using durastore::c_api_internal::CopyOut;
using durastore::c_api_internal::EnumBits;
using durastore::c_api_internal::Guard;
using durastore::c_api_internal::Invalid;
using durastore::c_api_internal::Items;
using durastore::c_api_internal::MakeKvs;
using durastore::c_api_internal::Millis;
using durastore::c_api_internal::NoItems;
using durastore::c_api_internal::OptionalStr;
using durastore::c_api_internal::Ref;
using durastore::c_api_internal::ResetOut;
using durastore::c_api_internal::StoreOf;
using durastore::c_api_internal::Str;
using durastore::c_api_internal::StringList;
using durastore::c_api_internal::StringsOut;
using durastore::c_api_internal::U64Array;

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

namespace {

// Handed out when even the error cannot be allocated; ds_error_free ignores it.
constinit ds_error g_out_of_memory{DS_RESOURCE_EXHAUSTED, false, "out of memory"};

}  // namespace

ds_code durastore::c_api_internal::Report(ds_error** err, ds_code code, std::string_view message,
                                          bool retryable) noexcept {
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

namespace {

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
// ---- enums ----

durastore::eventlog::ExpectedVersion Expected(const ds_expected_version* e) {
  using durastore::eventlog::ExpectedVersion;
  if (e == nullptr) return ExpectedVersion::Any();
  switch (EnumBits(e->kind)) {
    case DS_EXPECT_ANY:
      return ExpectedVersion::Any();
    case DS_EXPECT_NO_STREAM:
      return ExpectedVersion::NoStream();
    case DS_EXPECT_EXISTS:
      return ExpectedVersion::Exists();
    case DS_EXPECT_EXACT:
      return ExpectedVersion::Exact(e->sequence);
  }
  Invalid("unknown expected version kind " + std::to_string(EnumBits(e->kind)));
}

durastore::Durability StoreDurability(const ds_durability& d) {
  switch (EnumBits(d)) {
    case DS_DURABILITY_DEFAULT:
    case DS_DURABILITY_SYNC:
      return durastore::Durability::kSync;
    case DS_DURABILITY_NO_SYNC:
      return durastore::Durability::kNoSync;
  }
  Invalid("unknown durability " + std::to_string(EnumBits(d)));
}

durastore::FlushMethod Flush(const ds_flush_method& m) {
  switch (EnumBits(m)) {
    case DS_FLUSH_AUTO:
      return durastore::FlushMethod::kAuto;
    case DS_FLUSH_IO_URING:
      return durastore::FlushMethod::kIoUring;
    case DS_FLUSH_FDATASYNC:
      return durastore::FlushMethod::kFdatasync;
  }
  Invalid("unknown flush method " + std::to_string(EnumBits(m)));
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
    durastore::Batch taken;
    std::swap(taken, b.batch);  // consumed whatever the outcome; b stays usable
    durastore::CommitOptions options;
    if (EnumBits(durability) != DS_DURABILITY_DEFAULT)
      options.durability = StoreDurability(durability);
    auto result = std::make_unique<ds_commit_result>();
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

bool ds_events_next_sequence(const ds_events* events, uint64_t* next_sequence) {
  if (events == nullptr || !events->next_sequence) return false;
  if (next_sequence != nullptr) *next_sequence = *events->next_sequence;
  return true;
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
    result->events = std::move(read->events);
    result->next_sequence = read->next_sequence;
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
      cpp.max_messages = options->max_messages == 0 ? 1 : options->max_messages;
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
