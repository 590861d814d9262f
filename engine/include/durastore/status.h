// durastore error values.
//
// Contract: no exception crosses a durastore public API. Every fallible call returns a
// Status or a Result<T>; both are [[nodiscard]]. A Status is a code a caller can act on
// plus a human-readable message that says what was wrong (it names the offending key,
// limit or token). Status and Result are plain values: copyable, movable, not
// thread-safe to mutate concurrently, safe to read from many threads.
#ifndef DURASTORE_STATUS_H_
#define DURASTORE_STATUS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "durastore/export.h"

namespace durastore {

// The codes. A code exists only because some caller reacts to it differently.
enum class Code : uint8_t {
  kOk = 0,
  kNotFound,           // the named stream, partition, queue or key does not exist
  kAlreadyExists,      // a caller event key was already used in that partition
  kConflict,           // an append's expected version did not match; message has the actual
  kLockLost,           // a lease expired, was superseded, or its messages are gone
  kInvalidArgument,    // malformed input (empty or too-long key, bad option); never retry
  kResourceExhausted,  // a size limit was exceeded, or the disk is full
  kBusy,               // the store is held by another process (retry later) or already open
                       // in this process (not retryable: close that Store first)
  kIOError,            // the operating system reported an IO failure
  kCorruption,         // a stored record could not be decoded
  kUnavailable,        // the store is closed, or failed (sticky error) and must be reopened
};

// Returns the stable name of a code, e.g. "LockLost".
DURASTORE_EXPORT std::string_view CodeName(Code code);

namespace internal {
class StatusDetail;  // the engine's access to the LMDB return code behind a Status
}  // namespace internal

class [[nodiscard]] DURASTORE_EXPORT Status {
 public:
  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status AlreadyExists(std::string msg) { return {Code::kAlreadyExists, std::move(msg)}; }
  static Status Conflict(std::string msg) { return {Code::kConflict, std::move(msg)}; }
  static Status LockLost(std::string msg) { return {Code::kLockLost, std::move(msg)}; }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status ResourceExhausted(std::string msg) {
    return {Code::kResourceExhausted, std::move(msg)};
  }
  // `retryable` is false when waiting cannot help (the store is open in this process).
  static Status Busy(std::string msg, bool retryable = true) {
    Status s(Code::kBusy, std::move(msg));
    s.transient_ = retryable;
    return s;
  }
  // `transient` marks an IO error worth retrying (e.g. EAGAIN, EINTR); most are not.
  static Status IOError(std::string msg, bool transient = false) {
    Status s(Code::kIOError, std::move(msg));
    s.transient_ = transient;
    return s;
  }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // True only for retryable Busy and transient IOError: the same call may succeed later without
  // the caller changing anything. Unavailable after a sticky failure is not retryable
  // on the same Store object: the caller must reopen.
  bool retryable() const { return (code_ == Code::kBusy || code_ == Code::kIOError) && transient_; }

  // "OK" or "<CodeName>: <message>".
  std::string ToString() const;

  bool operator==(Code code) const { return code_ == code; }

 private:
  friend class internal::StatusDetail;
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  bool transient_ = false;
  int lmdb_rc_ = 0;  // the LMDB (or errno) return code this Status was mapped from; 0: none
  std::string message_;
};

namespace internal {
// Prints "durastore: Result::value() called on an error: <status>" to stderr and aborts.
// Exported although internal: the inline Result accessors call it from the caller's code.
[[noreturn]] DURASTORE_EXPORT void AbortOnErrorAccess(const Status& status);
}  // namespace internal

// A value or an error. Check ok() (or `if (result)`) before taking the value: value(),
// operator* and operator-> on an error Result print the error to stderr and abort the
// process, in every build type (a programming error, never undefined behaviour).
// value_or() never aborts. Thread-safety and ownership as Status: the Result owns its value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Unavailable("Result constructed from OK status");
  }

  // True when the Result holds a value (then status() is OK).
  bool ok() const { return status_.ok(); }
  bool has_value() const { return ok(); }
  explicit operator bool() const { return ok(); }
  const Status& status() const { return status_; }

  T& value() & { return Checked(); }
  const T& value() const& { return Checked(); }
  T&& value() && { return std::move(Checked()); }
  T& operator*() & { return Checked(); }
  const T& operator*() const& { return Checked(); }
  T&& operator*() && { return std::move(Checked()); }
  T* operator->() { return &Checked(); }
  const T* operator->() const { return &Checked(); }

  // The value, or `fallback` converted to T when this is an error.
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *value_ : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return ok() ? std::move(*value_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  T& Checked() {
    if (!value_.has_value()) internal::AbortOnErrorAccess(status_);
    return *value_;
  }
  const T& Checked() const {
    if (!value_.has_value()) internal::AbortOnErrorAccess(status_);
    return *value_;
  }

  Status status_;
  std::optional<T> value_;
};

}  // namespace durastore

#endif  // DURASTORE_STATUS_H_
