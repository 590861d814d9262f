// Fuzzes the orchestration layer's record and key decoders (orchestration-layer/src/
// records.h): DecodeInstance, DecodeExecution, DecodeCustomStatus, DecodeSession, GetStr16,
// DecodeU64 and DecodeActivityAttribute. Corrupt bytes must give Corruption (records) or
// nullopt (keys), never a crash or an out-of-bounds read; what decodes must encode and
// decode again to the same value.
//
// Input: byte 0 = decoder (low 3 bits), the rest = the record. The record is copied to a
// buffer of its exact size (so ASan catches a read past its end) that starts 8-byte
// aligned, as the callers' std::string values from Store::Get/Scan do: these decoders
// need FlatBuffers' alignment (see the alignment note in ubsan.supp).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "fuzz_util.h"
#include "records.h"

namespace durastore::fuzz {
namespace {

namespace orch = durastore::orchestration;
namespace oi = durastore::orchestration::internal;

void CheckRecord(const Status& s, const char* what) {
  if (!s.ok() && s.code() != Code::kCorruption) Fail(std::string(what) + ": " + s.ToString());
}

void FuzzInstance(std::string_view bytes) {
  auto r = oi::DecodeInstance(bytes);
  CheckRecord(r.status(), "DecodeInstance");
  if (!r.ok()) return;
  auto again = oi::DecodeInstance(oi::Encode(*r));
  if (!again.ok() || again->name != r->name || again->version != r->version ||
      again->parent != r->parent || again->created_at_ms != r->created_at_ms ||
      again->updated_at_ms != r->updated_at_ms) {
    Fail("instance record does not round-trip");
  }
}

void FuzzExecution(std::string_view bytes) {
  auto r = oi::DecodeExecution(bytes);
  CheckRecord(r.status(), "DecodeExecution");
  if (!r.ok()) return;
  auto again = oi::DecodeExecution(oi::Encode(*r));
  if (!again.ok() || again->status != r->status || again->output != r->output ||
      again->started_at_ms != r->started_at_ms || again->completed_at_ms != r->completed_at_ms ||
      again->pinned_version != r->pinned_version || again->name != r->name ||
      again->version != r->version) {
    Fail("execution record does not round-trip");
  }
  // Every decoded status must have a name (a value outside the enum would not).
  if (orch::ExecutionStatusName(r->status) == "Unknown") Fail("decoded an unknown status");
}

void FuzzCustomStatus(std::string_view bytes) {
  auto r = oi::DecodeCustomStatus(bytes);
  CheckRecord(r.status(), "DecodeCustomStatus");
  if (!r.ok()) return;
  auto again = oi::DecodeCustomStatus(oi::Encode(*r));
  if (!again.ok() || again->status != r->status || again->version != r->version) {
    Fail("custom status record does not round-trip");
  }
}

void FuzzSession(std::string_view bytes) {
  auto r = oi::DecodeSession(bytes);
  CheckRecord(r.status(), "DecodeSession");
  if (!r.ok()) return;
  auto again = oi::DecodeSession(oi::Encode(*r));
  if (!again.ok() || again->owner != r->owner || again->locked_until_ms != r->locked_until_ms ||
      again->last_activity_ms != r->last_activity_ms) {
    Fail("session record does not round-trip");
  }
}

// Walks a key made of STR fields the way the admin scans parse child and execution keys.
void FuzzKey(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t before = pos;
    auto s = oi::GetStr16(bytes, pos);
    if (!s) {
      if (pos != before) Fail("GetStr16 moved pos on failure");
      break;
    }
    if (pos != before + 2 + s->size() || pos > bytes.size()) Fail("GetStr16 advanced wrongly");
    if (s->data() != bytes.data() + before + 2) Fail("GetStr16 returned the wrong bytes");
  }
  auto u = oi::DecodeU64(bytes);
  if (u.has_value() != (bytes.size() == 8)) Fail("DecodeU64 accepted a wrong length");
  if (u && oi::EncodeU64(*u) != bytes) Fail("u64 does not round-trip");
}

void FuzzActivity(std::string_view bytes) {
  auto id = oi::DecodeActivityAttribute(bytes);
  if (!id) return;
  if (oi::ActivityAttribute(*id) != bytes) Fail("activity attribute does not round-trip");
}

}  // namespace
}  // namespace durastore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace durastore::fuzz;
  if (size < 1) return 0;
  const int which = data[0] & 7;
  std::unique_ptr<char[]> buf(new char[size - 1]);
  if (size > 1) std::memcpy(buf.get(), data + 1, size - 1);
  std::string_view bytes(buf.get(), size - 1);
  switch (which) {
    case 0:
      FuzzInstance(bytes);
      break;
    case 1:
      FuzzExecution(bytes);
      break;
    case 2:
      FuzzCustomStatus(bytes);
      break;
    case 3:
      FuzzSession(bytes);
      break;
    case 4:
    case 5:
      FuzzKey(bytes);
      break;
    default:
      FuzzActivity(bytes);
      break;
  }
  return 0;
}
