// Fuzzes batch validation and application: the input is an op-code stream that builds
// Batches (appends, truncations, deletes, enqueues, queue configuration, settlements with
// real, stale and random lease tokens, metadata puts/deletes/ranges), with sizes drawn at,
// just past and far from every limit, and commits them to one kNoSync store per process.
// A commit must succeed or fail with InvalidArgument, ResourceExhausted, Conflict,
// AlreadyExists, LockLost or NotFound, all-or-nothing (a failed commit appends nothing),
// and the store must stay healthy.
//
// The store keeps its state across inputs (it is reopened empty when its file passes
// 256 MiB), so a crash may need the inputs before it: rerun with the crash file first in
// a directory of the run's recent inputs, or minimise with -minimize_crash=1.
#include <cstddef>
#include <cstdint>
#include <filesystem>

#include "durastore/batch.h"
#include "durastore/eventlog.h"
#include "durastore/limits.h"
#include "durastore/queue.h"
#include "fuzz_util.h"

namespace durastore::fuzz {
namespace {

namespace lim = durastore::limits;

struct State {
  FuzzStore fs;
  std::vector<queue::LeaseToken> tokens;  // live, settled and expired alike
  uint64_t inputs = 0;
};

State& GetState() {
  static State* s = new State();  // never destroyed: libFuzzer exits the process
  return *s;
}

// Bytes for one field: from a shared buffer, with a length chosen near `limit`. Lengths of
// more than 64 KiB are allowed at most twice per input (they cost a copy each).
class Sizer {
 public:
  explicit Sizer(FuzzedDataProvider& in) : in_(in) {}

  std::string Field(size_t limit) {
    size_t len;
    int shape = in_.ConsumeIntegralInRange<int>(0, 7);
    // Fields with multi-megabyte limits are filled to them only now and then: each such
    // value costs a copy of megabytes (and, when valid, is written to the store).
    if (limit > (64u << 10) && shape >= 1 && shape <= 3 && in_.ConsumeIntegralInRange<int>(0, 15)) {
      shape = 4;
    }
    switch (shape) {
      case 0:
        len = 0;
        break;
      case 1:
        len = limit;
        break;
      case 2:
        len = limit + 1;
        break;
      case 3:
        len = limit == 0 ? 0 : limit - 1;
        break;
      case 4:
        len = in_.ConsumeIntegralInRange<size_t>(0, std::min<size_t>(limit + 8, 4096));
        break;
      default:
        return Short();
    }
    if (len > (64u << 10)) {
      if (huge_budget_ == 0)
        len = 64u << 10;
      else
        --huge_budget_;
    }
    return std::string(len, static_cast<char>('a' + len % 26));
  }
  // A short name from a small pool (so batches meet each other's state) or fuzzer bytes.
  std::string Short() {
    if (in_.ConsumeBool())
      return std::string(1, static_cast<char>('a' + in_.ConsumeIntegralInRange<int>(0, 3)));
    return in_.ConsumeRandomLengthString(24);
  }
  int64_t Ms() { return PickMs(in_); }

 private:
  FuzzedDataProvider& in_;
  int huge_budget_ = 2;
};

eventlog::ExpectedVersion Expected(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return eventlog::ExpectedVersion::Any();
    case 1:
      return eventlog::ExpectedVersion::NoPartition();
    case 2:
      return eventlog::ExpectedVersion::Exists();
    default:
      return eventlog::ExpectedVersion::Exact(in.ConsumeIntegralInRange<uint64_t>(0, 8));
  }
}

queue::LeaseToken Token(FuzzedDataProvider& in, const State& s) {
  if (!s.tokens.empty() && in.ConsumeBool()) {
    return s.tokens[in.ConsumeIntegralInRange<size_t>(0, s.tokens.size() - 1)];
  }
  queue::LeaseToken t;
  for (auto& b : t.bytes) b = in.ConsumeIntegral<uint8_t>();
  return t;
}

queue::EnqueueOptions EnqueueOpts(FuzzedDataProvider& in, Sizer& z) {
  queue::EnqueueOptions o;
  if (in.ConsumeBool()) o.delay_ms = z.Ms();
  if (in.ConsumeBool()) o.visible_at_ms = z.Ms();
  if (in.ConsumeBool()) o.group_key = z.Field(lim::kMaxGroupKey);
  int attrs = in.ConsumeIntegralInRange<int>(0, lim::kMaxAttributes + 2);
  if (in.ConsumeProbability<float>() < 0.7f) attrs = std::min(attrs, 3);
  for (int i = 0; i < attrs; ++i) {
    o.attributes.push_back({z.Field(lim::kMaxAttributeName), z.Field(lim::kMaxAttributeValue)});
  }
  return o;
}

struct Expect {
  size_t appends = 0;
  size_t enqueues = 0;
};

// Adds one operation to `b`; false when the op-code asked to commit or was not a batch op.
bool AddOp(FuzzedDataProvider& in, Sizer& z, State& s, Batch& b, Expect& e) {
  switch (in.ConsumeIntegralInRange<int>(0, 18)) {
    case 0: {
      std::vector<eventlog::EventData> events(in.ConsumeIntegralInRange<size_t>(0, 4));
      for (auto& ev : events) {
        ev.payload = z.Field(lim::kMaxPayload);
        if (in.ConsumeBool()) ev.key = z.Field(lim::kMaxEventKey);
      }
      std::string stream = z.Field(lim::kMaxStreamKey);
      b.Append(stream, in.ConsumeIntegralInRange<uint64_t>(0, 3), std::move(events), Expected(in));
      ++e.appends;
      return true;
    }
    case 1:
      b.Append(z.Short(), in.ConsumeIntegralInRange<uint64_t>(0, 3), z.Field(64), Expected(in));
      ++e.appends;
      return true;
    case 2:
      b.TruncateBefore(z.Field(lim::kMaxStreamKey), in.ConsumeIntegralInRange<uint64_t>(0, 3),
                       in.ConsumeIntegral<uint64_t>() % 16);
      return true;
    case 3:
      b.DeletePartition(z.Short(), in.ConsumeIntegralInRange<uint64_t>(0, 3));
      return true;
    case 4:
      b.DeleteStream(z.Field(lim::kMaxStreamKey));
      return true;
    case 5: {
      std::string queue = z.Field(lim::kMaxQueueName);
      std::string payload = z.Field(lim::kMaxPayload);
      b.Enqueue(queue, payload, EnqueueOpts(in, z));
      ++e.enqueues;
      return true;
    }
    case 6: {
      queue::QueueOptions o;
      o.lock_duration_ms = z.Ms();
      o.max_deliveries = in.ConsumeIntegralInRange<uint32_t>(0, 3);
      if (in.ConsumeBool()) o.dead_letter_queue = z.Field(lim::kMaxQueueName);
      o.group_mode = in.ConsumeBool();
      b.ConfigureQueue(z.Short(), o);
      return true;
    }
    case 7:
      b.Ack(Token(in, s));
      return true;
    case 8:
      b.Abandon(Token(in, s), z.Ms(), in.ConsumeBool());
      return true;
    case 9:
      b.Renew(Token(in, s), z.Ms());
      return true;
    case 10:
      b.DeadLetter(Token(in, s), z.Field(lim::kMaxDeadLetterReason));
      return true;
    case 11:
      b.DeleteMessages(z.Short(), z.Field(lim::kMaxAttributeName),
                       z.Field(lim::kMaxAttributeValue));
      return true;
    case 12: {
      std::string key = z.Field(lim::kMaxMetadataKey);
      b.Put(key, z.Field(lim::kMaxMetadataValue));
      return true;
    }
    case 13:
      b.Delete(z.Field(lim::kMaxMetadataKey));
      return true;
    case 14: {
      std::string begin = z.Field(lim::kMaxMetadataKey);
      b.DeleteRange(begin, z.Field(lim::kMaxMetadataKey));
      return true;
    }
    case 15: {  // a batch just past the operation limit (rare: it costs ~100k ops)
      if (in.ConsumeIntegralInRange<int>(0, 15) != 0) return true;
      for (size_t i = 0; i <= lim::kMaxBatchOps; ++i) b.Delete("k");
      return true;
    }
    case 16: {  // take a lease now (outside the batch) for later settlements
      queue::DequeueOptions o;
      o.lock_duration_ms = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange<int64_t>(0, 60'000);
      o.max_messages = in.ConsumeBool() ? 1 : in.ConsumeIntegralInRange<size_t>(0, 1001);
      auto lease = queue::Dequeue(*s.fs.store, z.Short(), o);
      CheckCode(lease, {Code::kInvalidArgument, Code::kNotFound}, "Dequeue");
      if (lease.ok() && lease->has_value()) s.tokens.push_back((*lease)->token);
      if (s.tokens.size() > 64) s.tokens.erase(s.tokens.begin());
      return false;
    }
    case 17:
      s.fs.clock.Advance(in.ConsumeIntegralInRange<int64_t>(0, 120'000));
      return false;
    default:
      return false;  // commit what we have
  }
}

constexpr std::initializer_list<Code> kCommitCodes = {
    Code::kInvalidArgument, Code::kResourceExhausted, Code::kConflict,
    Code::kAlreadyExists,   Code::kLockLost,          Code::kNotFound};

void CommitAndCheck(State& s, Batch b, const Expect& e) {
  Store& store = *s.fs.store;
  // The position counter, not LastPosition (the highest position still stored: deletes in
  // a batch lower it; known finding F4, checked below in strict mode).
  const uint64_t before = StoreInternal::CommittedPosition(store);
  Batch copy = b;
  if (copy.size() != b.size() || copy.ByteSize() != b.ByteSize()) Fail("Batch copy differs");
  auto r = store.Commit(std::move(b));
  CheckCode(r, kCommitCodes, "Commit");
  const uint64_t after = StoreInternal::CommittedPosition(store);
  if (Strict()) {
    // F4: "the most recently committed event (0 if none was ever appended)".
    auto last = eventlog::LastPosition(store);
    CheckCode(last, {}, "LastPosition");
    if (*last != after) Fail("LastPosition went back after a delete (known finding F4)");
  }
  if (!r.ok()) {
    if (after != before) Fail("a failed commit appended events: " + r.status().ToString());
  } else {
    if (r->appends.size() != e.appends) Fail("CommitResult has the wrong number of appends");
    if (r->message_ids.size() != e.enqueues) Fail("CommitResult has the wrong number of ids");
    uint64_t events = 0;
    for (const auto& a : r->appends) {
      if (a.last_sequence < a.first_sequence || a.last_position < a.first_position ||
          a.last_position - a.first_position != a.last_sequence - a.first_sequence) {
        Fail("inconsistent AppendResult");
      }
      events += a.last_sequence - a.first_sequence + 1;
    }
    if (after - before != events) Fail("positions do not match the events appended");
  }
  CheckHealthy(store, "a commit");
}

void MaybeReopen(State& s) {
  if (++s.inputs % 256 != 0) return;
  if (StoreFileOver(s.fs.dir.path(), uintmax_t{256} << 20)) {
    s.fs.Reopen();
    s.tokens.clear();
  }
}

}  // namespace
}  // namespace durastore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace durastore::fuzz;
  State& s = GetState();
  FuzzedDataProvider in(data, size);
  Sizer z(in);
  durastore::Batch b;
  Expect e;
  while (in.remaining_bytes() > 0) {
    if (AddOp(in, z, s, b, e)) continue;
    if (!b.empty()) CommitAndCheck(s, std::move(b), e);
    b = durastore::Batch();
    e = Expect();
  }
  if (!b.empty()) CommitAndCheck(s, std::move(b), e);
  MaybeReopen(s);
  return 0;
}
