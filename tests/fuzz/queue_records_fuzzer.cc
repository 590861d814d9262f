// Fuzzes the queues' on-disk record decoders (QueueRecord, MessageRecord with its
// attributes, and the ready/group/attribute index keys; queue/src/queue_codec.h) the way
// the store reaches them: the target plants fuzzer bytes as records in a real store's
// tables and then runs every queue read, a dequeue with a settlement, an enqueue
// and a delete: each must return OK or an error its contract allows (Corruption for the
// damaged record), never crash or read out of bounds, and the store must stay healthy.
// Tables are put back and the clock moved past every lease between inputs.
//
// Input: up to 4 corruptions (table, key choice, value mode, bytes), then the operations.
#include <cstddef>
#include <cstdint>

#include "durastore/batch.h"
#include "durastore/queue.h"
#include "fuzz_util.h"

namespace durastore::fuzz {
namespace {

using queue::Attribute;

struct Fixture {
  FuzzStore fs;
  TableImage baseline;

  Fixture() {
    Batch b;
    queue::QueueOptions qo;
    qo.max_deliveries = 2;
    qo.dead_letter_queue = "dlq";
    b.ConfigureQueue("q", qo);
    queue::QueueOptions go;
    go.group_mode = true;
    b.ConfigureQueue("g", go);
    queue::EnqueueOptions attrs;
    attrs.attributes = {{"a", "1"}, {"b", "two"}};
    b.Enqueue("q", "m1", attrs);
    b.Enqueue("q", "m2");
    queue::EnqueueOptions later;
    later.delay_ms = 5'000;
    later.attributes = {{"a", "1"}};
    b.Enqueue("q", "m3", later);
    queue::EnqueueOptions grouped;
    grouped.group_key = "G";
    grouped.attributes = {{"a", "2"}};
    b.Enqueue("g", "g1", grouped);
    b.Enqueue("g", "g2", grouped);
    fs.MustCommit(std::move(b));
    baseline = SnapshotTables(*fs.store);
  }
};

Fixture& GetFixture() {
  static Fixture* f = new Fixture();  // never destroyed: libFuzzer exits the process
  return *f;
}

// The queues' tables, indexed as in AllTables().
constexpr size_t kQueueTables[] = {8, 9, 10, 11, 12, 13};  // queues .. q_attrs

constexpr std::initializer_list<Code> kReadCodes = {Code::kNotFound, Code::kCorruption};
constexpr std::initializer_list<Code> kSettleCodes = {Code::kNotFound, Code::kCorruption,
                                                      Code::kLockLost};

void ReadEverything(Store& store) {
  for (std::string_view q : {"q", "g", "dlq"}) {
    CheckDamagedCode(queue::GetQueueOptions(store, q), kReadCodes, "GetQueueOptions");
    CheckDamagedCode(queue::GetCounters(store, q), kReadCodes, "GetCounters");
    CheckDamagedCode(queue::PeekMessages(store, q, "a", "1"), kReadCodes, "PeekMessages");
    CheckDamagedCode(queue::PeekMessages(store, q, "a", "2"), kReadCodes, "PeekMessages");
  }
  CheckDamagedCode(queue::ListQueues(store), kReadCodes, "ListQueues");
}

void Settle(FuzzedDataProvider& in, Store& store, const queue::Lease& lease) {
  Batch b;
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      b.Ack(lease.token);
      break;
    case 1:
      b.Abandon(lease.token, in.ConsumeIntegralInRange<int64_t>(0, 10'000), in.ConsumeBool());
      break;
    case 2:
      b.Renew(lease.token, 1'000);
      break;
    default:
      b.DeadLetter(lease.token, "fuzz");
      break;
  }
  CheckDamagedCode(store.Commit(std::move(b)), kSettleCodes, "Commit(settle)");
}

void Operate(FuzzedDataProvider& in, Store& store) {
  int n = in.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < n; ++i) {
    int op = in.ConsumeIntegralInRange<int>(0, 3);
    if (Tracing()) std::fprintf(stderr, "op %d\n", op);
    switch (op) {
      case 0:
      case 1: {
        queue::DequeueOptions o;
        if (in.ConsumeBool()) o.filter = {{"a", {"1", "2"}, in.ConsumeBool(), false}};
        if (in.ConsumeBool()) {
          o.accept = [](const queue::Candidate& c) {
            return c.delivery_count() < 5 && c.attributes().size() < 3;
          };
        }
        o.max_messages = in.ConsumeIntegralInRange<size_t>(0, 3);
        const char* name = in.ConsumeBool() ? "q" : "g";
        // The options as stored now (a planted record can turn either queue's mode).
        auto stored = queue::GetQueueOptions(store, name);
        const bool group_mode = stored.ok() && stored->group_mode;
        auto lease = queue::Dequeue(store, name, o);
        if (o.max_messages == 0) {
          CheckCode(lease, {Code::kInvalidArgument}, "Dequeue(max_messages 0)");
          if (lease.ok()) Fail("Dequeue accepted max_messages 0");
        } else if (group_mode && o.max_messages > 1) {
          // Group mode takes one group per lease: never a lease here.
          CheckDamagedCode(lease, {Code::kInvalidArgument, Code::kCorruption},
                           "Dequeue(group mode, max_messages > 1)");
          if (lease.ok()) Fail("group-mode Dequeue accepted max_messages > 1");
        } else {
          CheckDamagedCode(lease, kReadCodes, "Dequeue");
          if (lease.ok() && lease->has_value() && !group_mode &&
              (*lease)->messages.size() > o.max_messages) {
            Fail("Dequeue leased more than max_messages");
          }
        }
        if (lease.ok() && lease->has_value()) Settle(in, store, **lease);
        break;
      }
      case 2: {
        Batch b;
        queue::EnqueueOptions o;
        o.group_key = in.ConsumeBool() ? "G" : "";
        b.Enqueue(in.ConsumeBool() ? "q" : "g", "new", o);
        CheckDamagedCode(store.Commit(std::move(b)), kReadCodes, "Commit(enqueue)");
        break;
      }
      default: {
        Batch b;
        b.DeleteMessages(in.ConsumeBool() ? "q" : "g", "a", in.ConsumeBool() ? "1" : "2");
        CheckDamagedCode(store.Commit(std::move(b)), kReadCodes, "Commit(delete messages)");
        break;
      }
    }
  }
  CheckHealthy(store, "a corrupt record");
}

}  // namespace
}  // namespace durastore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace durastore::fuzz;
  Fixture& f = GetFixture();
  FuzzedDataProvider in(data, size);
  PlantCorruption(in, *f.fs.store, f.baseline, kQueueTables, /*damage_keys=*/true);
  ReadEverything(*f.fs.store);
  Operate(in, *f.fs.store);
  ReadEverything(*f.fs.store);
  RestoreTables(*f.fs.store, f.baseline);
  f.fs.clock.Advance(3'600'000);  // every lease taken by this input has expired
  return 0;
}
