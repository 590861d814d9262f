// Fuzzes the event log's on-disk record decoders (PartitionRecord, the event record, the
// stream-id, stream-key, event-key and position records). They are file-local in
// eventlog/src/eventlog.cc, so the target reaches them the way a damaged file would: it
// plants fuzzer bytes as records in a real store's tables, then runs every event log read
// and a batch that reads those records. Every call must return OK, NotFound or
// Corruption (a commit may also fail its own conditions), never crash or read out of
// bounds, and the store must stay healthy. The tables are put back between inputs.
//
// Input: up to 4 corruptions, each = table selector, key choice, value mode, bytes.
#include <cstddef>
#include <cstdint>

#include "durastore/batch.h"
#include "durastore/eventlog.h"
#include "fuzz_util.h"

namespace durastore::fuzz {
namespace {

using eventlog::EventData;

struct Fixture {
  FuzzStore fs;
  TableImage baseline;

  Fixture() {
    Batch b;
    b.Append("s", 1, std::vector<EventData>{{"p1", ""}, {"p2", "k1"}, {"p3", "k2"}});
    b.Append("s", 2, "q1");
    b.Append("t", 0, std::vector<EventData>{{"", "only-key"}});
    fs.MustCommit(std::move(b));
    Batch trunc;
    trunc.TruncateBefore("s", 1, 2);  // first_sequence 2: exercises the truncation path
    fs.MustCommit(std::move(trunc));
    baseline = SnapshotTables(*fs.store);
  }
};

Fixture& GetFixture() {
  static Fixture* f = new Fixture();  // never destroyed: libFuzzer exits the process
  return *f;
}

// The event log's tables, indexed as in AllTables().
constexpr size_t kEventlogTables[] = {2, 3, 4, 5, 6, 7};  // streams .. positions

constexpr std::initializer_list<Code> kReadCodes = {Code::kNotFound, Code::kCorruption};
// A commit may also fail its own checks against the (damaged) state it reads.
constexpr std::initializer_list<Code> kCommitCodes = {Code::kNotFound, Code::kCorruption,
                                                      Code::kConflict, Code::kAlreadyExists,
                                                      Code::kInvalidArgument};

void ReadEverything(Store& store) {
  for (std::string_view stream : {"s", "t"}) {
    for (uint64_t p : {0, 1, 2}) {
      eventlog::ReadOptions fwd;
      CheckDamagedCode(eventlog::ReadPartition(store, stream, p, fwd), kReadCodes, "ReadPartition");
      eventlog::ReadOptions back;
      back.backward = true;
      back.from_sequence = 3;
      CheckDamagedCode(eventlog::ReadPartition(store, stream, p, back), kReadCodes,
                       "ReadPartition(backward)");
      CheckDamagedCode(eventlog::GetPartitionInfo(store, stream, p), kReadCodes,
                       "GetPartitionInfo");
    }
    CheckDamagedCode(eventlog::LatestPartition(store, stream), kReadCodes, "LatestPartition");
    CheckDamagedCode(eventlog::ListPartitions(store, stream), kReadCodes, "ListPartitions");
    CheckDamagedCode(eventlog::GetStreamInfo(store, stream), kReadCodes, "GetStreamInfo");
  }
  CheckDamagedCode(eventlog::LastPosition(store), kReadCodes, "LastPosition");
  CheckDamagedCode(eventlog::ReadAfter(store, 0, 100), kReadCodes, "ReadAfter");
}

void WriteThroughDamage(FuzzedDataProvider& in, Store& store) {
  Batch b;
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0:
      b.Append("s", 1, std::vector<EventData>{{"new", "k3"}}, eventlog::ExpectedVersion::Exists());
      break;
    case 1:
      b.TruncateBefore("s", 1, in.ConsumeIntegralInRange<uint64_t>(0, 5));
      break;
    case 2:
      b.DeletePartition("s", in.ConsumeIntegralInRange<uint64_t>(0, 2));
      break;
    case 3:
      b.DeleteStream(in.ConsumeBool() ? "s" : "t");
      break;
    default:
      b.Append("t", 0, std::vector<EventData>{{"x", "only-key"}});  // duplicate key check
      break;
  }
  CheckDamagedCode(store.Commit(std::move(b)), kCommitCodes, "Commit");
  CheckHealthy(store, "a corrupt record");
}

}  // namespace
}  // namespace durastore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace durastore::fuzz;
  Fixture& f = GetFixture();
  FuzzedDataProvider in(data, size);
  PlantCorruption(in, *f.fs.store, f.baseline, kEventlogTables, /*damage_keys=*/true);
  ReadEverything(*f.fs.store);
  WriteThroughDamage(in, *f.fs.store);
  ReadEverything(*f.fs.store);
  RestoreTables(*f.fs.store, f.baseline);
  return 0;
}
