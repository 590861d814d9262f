// The engine's C API (durastore/c_store.h) over the C++ API: errors and memory, the store
// and its options, batches and commit, metadata. The helpers every binding shares are in
// c_api_internal.h, which describes the conventions.
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
#include "durastore/c_store.h"
#include "durastore/limits.h"
#include "durastore/status.h"
#include "durastore/store.h"

namespace lim = durastore::limits;
using durastore::Code;
using durastore::Status;
using durastore::c_api_internal::BatchOp;
using durastore::c_api_internal::BufferOut;
using durastore::c_api_internal::Bytes;
using durastore::c_api_internal::CallbackClock;
using durastore::c_api_internal::EnumBits;
using durastore::c_api_internal::Guard;
using durastore::c_api_internal::Invalid;
using durastore::c_api_internal::InvalidEnum;
using durastore::c_api_internal::Items;
using durastore::c_api_internal::MakeKvs;
using durastore::c_api_internal::NoItems;
using durastore::c_api_internal::Ref;
using durastore::c_api_internal::ResetOut;
using durastore::c_api_internal::StoreOf;
using durastore::c_api_internal::ValueOut;

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
static_assert(DS_MAX_PAYLOAD == lim::kMaxPayload);
static_assert(DS_MAX_METADATA_KEY == lim::kMaxMetadataKey);
static_assert(DS_MAX_METADATA_VALUE == lim::kMaxMetadataValue);
static_assert(DS_MAX_BATCH_BYTES == lim::kMaxBatchBytes);
static_assert(DS_MAX_BATCH_OPS == lim::kMaxBatchOps);

namespace {

// Handed out when even the error cannot be allocated; ds_error_free ignores it.
constinit ds_error g_out_of_memory{DS_RESOURCE_EXHAUSTED, false, "out of memory"};

durastore::Durability StoreDurability(const ds_durability& d) {
  switch (EnumBits(d)) {
    case DS_DURABILITY_DEFAULT:
    case DS_DURABILITY_SYNC:
      return durastore::Durability::kSync;
    case DS_DURABILITY_NO_SYNC:
      return durastore::Durability::kNoSync;
  }
  InvalidEnum("durability", d);
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
  InvalidEnum("flush method", m);
}

// The C++ options for C options (NULL = defaults); the clock, if any, goes to `handle`,
// which must outlive the store.
durastore::Options OptionsIn(const ds_options* options, ds_store& handle) {
  ds_options c;
  ds_options_init(&c);
  if (options != nullptr) c = *options;
  durastore::Options cpp;
  cpp.durability = StoreDurability(c.durability);
  cpp.create_if_missing = c.create_if_missing;
  cpp.initial_map_size = c.initial_map_size;
  cpp.max_map_size = c.max_map_size;
  cpp.flush_method = Flush(c.flush_method);
  cpp.max_group_size = c.max_group_size;
  if (c.now_ms != nullptr) {
    handle.clock = std::make_unique<CallbackClock>(c.now_ms, c.now_ms_ctx);
    cpp.clock = handle.clock.get();
  }
  return cpp;
}

}  // namespace

// =====================================================================================
// Shared helpers (declared in c_api_internal.h)
// =====================================================================================

char* durastore::c_api_internal::CopyBytes(std::string_view bytes) noexcept {
  auto* buffer = static_cast<char*>(std::malloc(bytes.size() + 1));
  if (buffer == nullptr) return nullptr;
  if (!bytes.empty()) std::memcpy(buffer, bytes.data(), bytes.size());
  buffer[bytes.size()] = '\0';
  return buffer;
}

ds_code durastore::c_api_internal::Report(ds_error** err, ds_code code, std::string_view message,
                                          bool retryable) noexcept {
  if (err == nullptr) return code;
  auto* error = new (std::nothrow) ds_error{code, retryable, CopyBytes(message)};
  if (error == nullptr || error->message == nullptr) {
    if (error != nullptr) std::free(const_cast<char*>(error->message));
    delete error;
    *err = &g_out_of_memory;
    return code;
  }
  *err = error;
  return code;
}

ds_strings* durastore::c_api_internal::MakeStrings(std::vector<std::string> values) {
  auto out = std::make_unique<ds_strings>();
  out->values = std::move(values);
  out->views.reserve(out->values.size());
  for (const auto& v : out->values) out->views.push_back({v.data(), v.size()});
  return out.release();
}

ds_kvs* durastore::c_api_internal::MakeKvs(std::vector<std::pair<std::string, std::string>> pairs) {
  auto out = std::make_unique<ds_kvs>();
  out->pairs = std::move(pairs);
  out->views.reserve(out->pairs.size());
  for (const auto& [k, v] : out->pairs)
    out->views.push_back({k.data(), k.size(), v.data(), v.size()});
  return out.release();
}

ds_kvs* durastore::c_api_internal::MakeKvs(const std::map<std::string, std::string>& map) {
  return MakeKvs(std::vector<std::pair<std::string, std::string>>(map.begin(), map.end()));
}

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

namespace {

ds_code OpenStore(const char* path, size_t path_len, const ds_options* options, bool read_only,
                  ds_store** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    std::string dir(Bytes(path, path_len, "path"));
    if (dir.empty() || dir.find('\0') != std::string::npos) {
      Invalid("path must be non-empty and contain no NUL byte");
    }
    auto handle = std::make_unique<ds_store>();
    durastore::Options cpp = OptionsIn(options, *handle);
    cpp.read_only = read_only;
    auto store = durastore::Store::Open(dir, cpp);
    if (!store.ok()) return store.status();
    handle->store = std::move(store).value();
    *out = handle.release();
    return Status::OK();
  });
}

}  // namespace

ds_code ds_store_open(const char* path, size_t path_len, const ds_options* options, ds_store** out,
                      ds_error** err) {
  return OpenStore(path, path_len, options, /*read_only=*/false, out, err);
}

ds_code ds_store_open_read_only(const char* path, size_t path_len, ds_store** out, ds_error** err) {
  return OpenStore(path, path_len, nullptr, /*read_only=*/true, out, err);
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
  return Guard(err, [&] { return StoreOf(store).health(); });
}

void ds_backup_options_init(ds_backup_options* options) {
  if (options == nullptr) return;
  const durastore::BackupOptions defaults;
  *options = ds_backup_options{};
  options->compact = defaults.compact;
}

ds_code ds_store_backup(ds_store* store, const char* dest, size_t dest_len,
                        const ds_backup_options* options, ds_error** err) {
  return Guard(err, [&]() -> Status {
    std::string dir(Bytes(dest, dest_len, "dest"));
    if (dir.empty() || dir.find('\0') != std::string::npos) {
      Invalid("dest must be non-empty and contain no NUL byte");
    }
    ds_backup_options c;
    ds_backup_options_init(&c);
    if (options != nullptr) c = *options;
    durastore::BackupOptions cpp;
    cpp.compact = c.compact;
    return StoreOf(store).Backup(dir, cpp);
  });
}

ds_code ds_store_pipeline_stats(const ds_store* store, ds_pipeline_stats* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    const auto stats = StoreOf(store).GetPipelineStats();
    Ref(out, "out") = {stats.groups,  stats.batches,     stats.failed_batches,
                       stats.flushes, stats.map_resizes, stats.using_io_uring};
    return Status::OK();
  });
}

struct ds_verify_report {
  durastore::VerifyReport report;
};

ds_code ds_store_verify(ds_store* store, size_t max_problems, ds_verify_report** out,
                        ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    durastore::VerifyOptions options;
    if (max_problems != 0) options.max_problems = max_problems;
    return ValueOut(StoreOf(store).Verify(options), *out,
                    [](durastore::VerifyReport r) { return new ds_verify_report{std::move(r)}; });
  });
}

uint64_t ds_verify_report_records(const ds_verify_report* report) {
  return report == nullptr ? 0 : report->report.records;
}
size_t ds_verify_report_problem_count(const ds_verify_report* report) {
  return report == nullptr ? 0 : report->report.problems.size();
}
const char* ds_verify_report_problem(const ds_verify_report* report, size_t i) {
  if (report == nullptr || i >= report->report.problems.size()) return nullptr;
  return report->report.problems[i].c_str();
}
bool ds_verify_report_truncated(const ds_verify_report* report) {
  return report != nullptr && report->report.truncated;
}
void ds_verify_report_free(ds_verify_report* report) { delete report; }

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

// =====================================================================================
// Commit
// =====================================================================================

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
    if (EnumBits(durability) != DS_DURABILITY_DEFAULT) {
      options.durability = StoreDurability(durability);
    }
    auto result = std::make_unique<ds_commit_result>();  // before the commit: no OOM after it
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
// Metadata reads
// =====================================================================================

ds_code ds_meta_get(ds_store* store, const char* key, size_t key_len, char** value,
                    size_t* value_len, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(value, value_len, "value", "value_len");
    auto got = StoreOf(store).Get(Bytes(key, key_len, "key"));
    if (!got.ok()) return got.status();
    BufferOut(*got, value, value_len);
    return Status::OK();
  });
}

ds_code ds_meta_scan(ds_store* store, const char* prefix, size_t prefix_len, size_t limit,
                     const char* start_after, size_t start_after_len, ds_kvs** out,
                     ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(StoreOf(store).Scan(Bytes(prefix, prefix_len, "prefix"), limit,
                                        Bytes(start_after, start_after_len, "start_after")),
                    *out, [](auto pairs) { return MakeKvs(std::move(pairs)); });
  });
}
