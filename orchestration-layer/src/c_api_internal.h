// Internals shared by the C API's translation units: c_api.cc (errors, memory, store, batch,
// commit, log, queue and metadata entry points) and c_api_orchestration.cc (Provider and
// Admin). Not a public header.
//
// Every entry point runs its body inside Guard(), which turns a returned Status into a
// ds_code plus an allocated ds_error and catches every exception: invalid C input is
// reported by throwing CError (never leaves the C API), std::bad_alloc becomes
// DS_RESOURCE_EXHAUSTED and anything else DS_INTERNAL. Result objects own the C++ values
// and an array of C view structs pointing into them, built once the values are at their
// final address.
#ifndef DURASTORE_ORCHESTRATION_C_API_INTERNAL_H_
#define DURASTORE_ORCHESTRATION_C_API_INTERNAL_H_

#include <chrono>
#include <cstdint>
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
#include "durastore/c.h"
#include "durastore/clock.h"
#include "durastore/eventlog.h"
#include "durastore/orchestration/admin.h"
#include "durastore/orchestration/provider.h"
#include "durastore/queue.h"
#include "durastore/status.h"
#include "durastore/store.h"

namespace durastore::c_api_internal {

// The bits of a C enum value as an int, read without loading it as the C++ enum type: a C
// caller may store any int in an enum field, and loading a value outside the enum's range
// is undefined behaviour in C++. Switch on EnumBits(x), never on x.
template <typename E>
int EnumBits(const E& e) {
  static_assert(sizeof(E) == sizeof(int));
  int v;
  std::memcpy(&v, &e, sizeof v);
  return v;
}

// A Clock that asks the caller's callback.
class CallbackClock final : public durastore::Clock {
 public:
  CallbackClock(ds_now_ms_fn fn, void* ctx) : fn_(fn), ctx_(ctx) {}
  int64_t NowMs() const override { return fn_(ctx_); }

 private:
  ds_now_ms_fn fn_;
  void* ctx_;
};

}  // namespace durastore::c_api_internal

// ---- the opaque types ----

// `message` is malloc'ed, except in the static out-of-memory error.
struct ds_error {
  ds_code code;
  bool retryable;
  const char* message;
};
struct ds_store {
  std::unique_ptr<durastore::c_api_internal::CallbackClock>
      clock;  // declared first: outlives the store
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
  std::optional<uint64_t> next_sequence;                         // idem: set when more follow
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
  std::vector<durastore::orchestration::HistoryEvent> events;
  std::vector<ds_history_event> views;
};

struct ds_provider {
  std::unique_ptr<durastore::orchestration::Provider> provider;
};

struct ds_fetched_orchestration {
  durastore::orchestration::FetchedOrchestration fetched;
  std::vector<ds_history_event> history;
  std::vector<ds_orchestrator_item> messages;
  std::vector<ds_kv_entry> kv_snapshot;
};

struct ds_fetched_work {
  durastore::orchestration::FetchedWork fetched;
  ds_worker_item view{};
};

struct ds_admin {
  explicit ds_admin(durastore::Store& store) : admin(store) {}
  durastore::orchestration::Admin admin;
};

struct ds_instance_info {
  durastore::orchestration::InstanceInfo info;
};

struct ds_execution_info {
  durastore::orchestration::ExecutionInfo info;
};

namespace durastore::c_api_internal {

// ---- errors ----

// Thrown by the input helpers below for malformed C input; caught by Guard.
struct CError {
  Status status;
};

[[noreturn]] inline void Invalid(std::string message) {
  throw CError{Status::InvalidArgument(std::move(message))};
}

// Allocates *err (unless err is NULL) and returns `code`; never throws. Falls back to a
// static out-of-memory error when even that allocation fails. Defined in c_api.cc.
ds_code Report(ds_error** err, ds_code code, std::string_view message, bool retryable) noexcept;

inline ds_code ReportStatus(ds_error** err, const Status& status) noexcept {
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

inline std::string_view Bytes(const char* ptr, size_t len, const char* what) {
  if (ptr == nullptr && len != 0) {
    Invalid(std::string(what) + " is NULL with length " + std::to_string(len));
  }
  return len == 0 ? std::string_view() : std::string_view(ptr, len);
}

inline std::optional<std::string> OptionalBytes(const char* ptr, size_t len) {
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

inline durastore::Store& StoreOf(ds_store* store) { return *Ref(store, "store").store; }

inline std::vector<std::string> StringList(const ds_str* items, size_t count, const char* what) {
  Array(items, count, what);
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.emplace_back(Bytes(items[i].ptr, items[i].len, what));
  return out;
}

inline std::chrono::milliseconds Millis(int64_t ms) { return std::chrono::milliseconds(ms); }

// ---- output ----

inline char* CopyOut(std::string_view bytes) {
  auto* buffer = static_cast<char*>(std::malloc(bytes.size() + 1));
  if (buffer == nullptr) throw std::bad_alloc();
  if (!bytes.empty()) std::memcpy(buffer, bytes.data(), bytes.size());
  buffer[bytes.size()] = '\0';
  return buffer;
}

inline uint64_t* CopyOut(const std::vector<uint64_t>& values) {
  if (values.empty()) return nullptr;
  auto* buffer = static_cast<uint64_t*>(std::malloc(values.size() * sizeof(uint64_t)));
  if (buffer == nullptr) throw std::bad_alloc();
  std::memcpy(buffer, values.data(), values.size() * sizeof(uint64_t));
  return buffer;
}

inline void U64Array(const std::vector<uint64_t>& values, uint64_t** out, size_t* count) {
  *out = CopyOut(values);
  *count = values.size();
}

// Returns the accessor result of a string member: pointer (never NULL) and length.
inline const char* Str(const std::string& s, size_t* len) {
  if (len != nullptr) *len = s.size();
  return s.c_str();
}

inline const char* OptionalStr(const std::optional<std::string>& s, size_t* len) {
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

inline ds_strings* MakeStrings(std::vector<std::string> values) {
  auto out = std::make_unique<ds_strings>();
  out->values = std::move(values);
  out->views.reserve(out->values.size());
  for (const auto& v : out->values) out->views.push_back({v.data(), v.size()});
  return out.release();
}

inline ds_kv KvView(const std::string& key, const std::string& value) {
  return {key.data(), key.size(), value.data(), value.size()};
}

inline ds_kvs* MakeKvs(std::vector<std::pair<std::string, std::string>> pairs) {
  auto out = std::make_unique<ds_kvs>();
  out->pairs = std::move(pairs);
  out->views.reserve(out->pairs.size());
  for (const auto& [k, v] : out->pairs) out->views.push_back(KvView(k, v));
  return out.release();
}

inline ds_kvs* MakeKvs(const std::map<std::string, std::string>& map) {
  return MakeKvs(std::vector<std::pair<std::string, std::string>>(map.begin(), map.end()));
}

// Moves a successful Result<std::vector<std::string>> into a new ds_strings.
template <typename ResultT>
Status StringsOut(ResultT result, ds_strings** out) {
  if (!result.ok()) return result.status();
  *out = MakeStrings(std::move(result).value());
  return Status::OK();
}

}  // namespace durastore::c_api_internal

#endif  // DURASTORE_ORCHESTRATION_C_API_INTERNAL_H_
