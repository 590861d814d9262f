// What every C API binding shares (engine/src/c_store.cc, eventlog/src/c_eventlog.cc,
// queue/src/c_queue.cc, orchestration-layer/src/c_provider.cc and c_admin.cc): the engine's
// handle types, error conversion, and the helpers that read C input and copy results out.
// Not a public header. It names engine types only; each component defines its own handle
// types in its binding.
//
// Every entry point runs its body inside Guard(), which turns a returned Status into a
// ds_code plus an allocated ds_error and catches every exception: invalid C input is
// reported by throwing CError (never leaves the C API), std::bad_alloc becomes
// DS_RESOURCE_EXHAUSTED and anything else DS_INTERNAL. Result objects own the C++ values
// and an array of C view structs pointing into them, built once the values are at their
// final address.
#ifndef DURASTORE_ENGINE_C_API_INTERNAL_H_
#define DURASTORE_ENGINE_C_API_INTERNAL_H_

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
#include "durastore/c_store.h"
#include "durastore/clock.h"
#include "durastore/status.h"
#include "durastore/store.h"

namespace durastore::c_api_internal {

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

// ---- the engine's opaque types ----

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

namespace durastore::c_api_internal {

// ---- errors ----

// Thrown by the input helpers below for malformed C input; caught by Guard.
struct CError {
  Status status;
};

[[noreturn]] inline void Invalid(std::string message) {
  throw CError{Status::InvalidArgument(std::move(message))};
}

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

// The end of every enum conversion: a value outside the C enum's range.
template <typename E>
[[noreturn]] void InvalidEnum(const char* what, const E& e) {
  Invalid(std::string("unknown ") + what + " " + std::to_string(EnumBits(e)));
}

// Allocates *err (unless err is NULL) and returns `code`; never throws. Falls back to a
// static out-of-memory error when even that allocation fails. Defined in c_store.cc.
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

// An optional number given as a `has_*` flag and its value.
template <typename T>
std::optional<T> OptionalNumber(bool has, T value) {
  return has ? std::optional<T>(value) : std::nullopt;
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

// ResetOut for a (buffer, length) or (array, count) out pair: NULL and 0 on entry.
template <typename T>
void ResetOut(T** out, size_t* len, const char* what, const char* len_what) {
  ResetOut(out, what);
  Ref(len, len_what) = 0;
}

// Runs a batch operation, which only records (it cannot fail except for bad input).
template <typename Op>
ds_code BatchOp(ds_batch* batch, ds_error** err, Op&& op) noexcept {
  return Guard(err, [&]() -> Status {
    op(Ref(batch, "batch").batch);
    return Status::OK();
  });
}

inline durastore::Store& StoreOf(ds_store* store) { return *Ref(store, "store").store; }
inline const durastore::Store& StoreOf(const ds_store* store) { return *Ref(store, "store").store; }

inline std::vector<std::string> StringList(const ds_str* items, size_t count, const char* what) {
  Array(items, count, what);
  std::vector<std::string> out;
  out.reserve(count);
  for (size_t i = 0; i < count; ++i) out.emplace_back(Bytes(items[i].ptr, items[i].len, what));
  return out;
}

inline std::chrono::milliseconds Millis(int64_t ms) { return std::chrono::milliseconds(ms); }

// ---- output ----

// A malloc'ed copy of `bytes` followed by a NUL byte; nullptr when out of memory.
char* CopyBytes(std::string_view bytes) noexcept;

// Copies `bytes` to a (buffer, length) out pair reset by ResetOut.
inline void BufferOut(std::string_view bytes, char** out, size_t* len) {
  *out = CopyBytes(bytes);
  if (*out == nullptr) throw std::bad_alloc();
  *len = bytes.size();
}

// The error of a failed `values`, or OK after copying them to an (array, count) out pair
// reset by ResetOut; the array is NULL when empty.
inline Status ArrayOut(Result<std::vector<uint64_t>> values, uint64_t** out, size_t* count) {
  if (!values.ok()) return values.status();
  if (!values->empty()) {
    auto* buffer = static_cast<uint64_t*>(std::malloc(values->size() * sizeof(uint64_t)));
    if (buffer == nullptr) throw std::bad_alloc();
    std::memcpy(buffer, values->data(), values->size() * sizeof(uint64_t));
    *out = buffer;
  }
  *count = values->size();
  return Status::OK();
}

// The error of a failed `result`, or OK after storing its value through `out`, converted
// by `convert` (a new result object, a C struct, a number, ...). Every read entry point
// ends in one of these.
template <typename T, typename Out, typename Convert>
Status ValueOut(Result<T> result, Out& out, Convert&& convert) {
  if (!result.ok()) return result.status();
  out = convert(std::move(result).value());
  return Status::OK();
}

template <typename T, typename Out>
Status ValueOut(Result<T> result, Out& out) {
  return ValueOut(std::move(result), out, [](T v) { return v; });
}

// Returns the accessor result of a string member: pointer (never NULL) and length.
inline const char* Str(const std::string& s, size_t* len) {
  if (len != nullptr) *len = s.size();
  return s.c_str();
}

// An unset optional string, and what every string accessor returns for a NULL object.
inline const char* NoStr(size_t* len) {
  if (len != nullptr) *len = 0;
  return nullptr;
}

inline const char* OptionalStr(const std::optional<std::string>& s, size_t* len) {
  return s.has_value() ? Str(*s, len) : NoStr(len);
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

ds_strings* MakeStrings(std::vector<std::string> values);
ds_kvs* MakeKvs(std::vector<std::pair<std::string, std::string>> pairs);
ds_kvs* MakeKvs(const std::map<std::string, std::string>& map);

}  // namespace durastore::c_api_internal

#endif  // DURASTORE_ENGINE_C_API_INTERNAL_H_
