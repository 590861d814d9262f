#include "durastore/status.h"

#include <sys/random.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "durastore/clock.h"
#include "durastore/queue_types.h"

namespace durastore {

std::string_view CodeName(Code code) {
  switch (code) {
    case Code::kOk:
      return "OK";
    case Code::kNotFound:
      return "NotFound";
    case Code::kAlreadyExists:
      return "AlreadyExists";
    case Code::kConflict:
      return "Conflict";
    case Code::kLockLost:
      return "LockLost";
    case Code::kInvalidArgument:
      return "InvalidArgument";
    case Code::kResourceExhausted:
      return "ResourceExhausted";
    case Code::kBusy:
      return "Busy";
    case Code::kIOError:
      return "IOError";
    case Code::kCorruption:
      return "Corruption";
    case Code::kUnavailable:
      return "Unavailable";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(CodeName(code_)) + ": " + message_;
}

namespace internal {
void AbortOnErrorAccess(const Status& status) {
  std::fprintf(stderr, "durastore: Result::value() called on an error: %s\n",
               status.ToString().c_str());
  std::fflush(stderr);
  std::abort();
}
}  // namespace internal

namespace {
class SystemClockImpl final : public Clock {
 public:
  int64_t NowMs() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};
}  // namespace

Clock& SystemClock() {
  static SystemClockImpl* clock = new SystemClockImpl();  // never destroyed
  return *clock;
}

namespace queue {

std::string LeaseToken::ToHex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

Result<LeaseToken> LeaseToken::FromHex(std::string_view hex) {
  if (hex.size() != 32) {
    return Status::InvalidArgument("lease token must be 32 hex digits, got " +
                                   std::to_string(hex.size()) + " characters");
  }
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  LeaseToken t;
  for (size_t i = 0; i < 16; ++i) {
    int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return Status::InvalidArgument("lease token has a non-hex character");
    t.bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return t;
}

}  // namespace queue
}  // namespace durastore
