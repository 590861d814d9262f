// Google Benchmark micro-benchmarks of durastore's building blocks (issue #4):
//
//   record encode/decode   BM_ExecutionRecordRoundTrip, BM_SessionRecordRoundTrip
//   batch build            BM_BatchBuild/<ops>
//   append path            BM_AppendNoSync           (one append per commit, kNoSync)
//   dequeue + ack path     BM_DequeueAckNoSync
//   metadata               BM_MetadataPutNoSync, BM_MetadataGet
//   group commit scaling   BM_SyncCommit/threads:1..64 (kSync, one append per commit)
//   flush path             BM_SyncCommitFlush/<0 = io_uring, 1 = fdatasync> (one writer)
//   one vs two flushes     BM_LmdbCommitFlushes/<1|2> (raw LMDB, one writer)
//
// Run: `meson test -C build --benchmark --verbose` (a short run), or directly
// `build/bench/durastore-micro --benchmark_min_time=2` for stable figures. The store lives
// under $TMPDIR (default /tmp), like durastore-bench's.
//
// One versus two flushes per group: an LMDB commit syncs the data pages, then writes and
// syncs the meta page (2 flushes, LMDB's default). durastore opens LMDB with
// MDB_NOMETASYNC (1 flush in the commit) and hardens the meta page with the next group's
// data sync, or with an asynchronous flush when no group follows (docs/architecture.md).
// BM_LmdbCommitFlushes measures the two schemes on bare LMDB, one 256-byte put per
// commit; BM_SyncCommitFlush measures the engine's whole path.
#include <benchmark/benchmark.h>
#include <lmdb.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <string>

#include "durastore/batch.h"
#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "durastore/store.h"
#include "records.h"

namespace durastore {
namespace {

// A fresh store directory, removed with the object.
class BenchStore {
 public:
  explicit BenchStore(const Options& options) {
    const char* tmp = getenv("TMPDIR");
    dir_ = std::string(tmp != nullptr ? tmp : "/tmp") + "/durastore-micro-XXXXXX";
    if (mkdtemp(dir_.data()) == nullptr) abort();
    auto store = Store::Open(dir_, options);
    if (!store.ok()) {
      fprintf(stderr, "open: %s\n", store.status().ToString().c_str());
      abort();
    }
    store_ = std::move(store).value();
  }
  ~BenchStore() {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  Store& store() { return *store_; }

 private:
  std::string dir_;
  std::unique_ptr<Store> store_;
};

Options NoSync() {
  Options o;
  o.durability = Durability::kNoSync;
  return o;
}

void Check(const Status& s, benchmark::State& state) {
  if (!s.ok()) state.SkipWithError(s.ToString().c_str());
}

void BM_ExecutionRecordRoundTrip(benchmark::State& state) {
  orchestration::internal::ExecutionRec rec;
  rec.status = orchestration::ExecutionStatus::kCompleted;
  rec.output = std::string(200, 'o');
  rec.started_at_ms = 1'700'000'000'000;
  rec.completed_at_ms = 1'700'000'000'500;
  rec.pinned_version = "1.2.3";
  rec.name = "ProcessOrder";
  rec.version = "1.2.3";
  for (auto _ : state) {
    std::string bytes = orchestration::internal::Encode(rec);
    auto decoded = orchestration::internal::DecodeExecution(bytes);
    benchmark::DoNotOptimize(decoded);
  }
}
BENCHMARK(BM_ExecutionRecordRoundTrip);

void BM_SessionRecordRoundTrip(benchmark::State& state) {
  orchestration::internal::SessionRec rec{"worker-7", 1'700'000'030'000, 1'700'000'000'000};
  for (auto _ : state) {
    std::string bytes = orchestration::internal::Encode(rec);
    auto decoded = orchestration::internal::DecodeSession(bytes);
    benchmark::DoNotOptimize(decoded);
  }
}
BENCHMARK(BM_SessionRecordRoundTrip);

void BM_BatchBuild(benchmark::State& state) {
  const std::string payload(256, 'p');
  for (auto _ : state) {
    Batch batch;
    for (int64_t i = 0; i < state.range(0); ++i) {
      batch.Append("stream", 1, payload).Enqueue("q", payload).Put("key", payload);
    }
    benchmark::DoNotOptimize(batch.ByteSize());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0) * 3);
}
BENCHMARK(BM_BatchBuild)->Arg(1)->Arg(16)->Arg(256);

void BM_AppendNoSync(benchmark::State& state) {
  BenchStore s(NoSync());
  const std::string payload(256, 'p');
  for (auto _ : state) {
    Check(s.store().Commit(Batch().Append("stream", 1, payload)).status(), state);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_AppendNoSync)->UseRealTime();

void BM_DequeueAckNoSync(benchmark::State& state) {
  BenchStore s(NoSync());
  const std::string payload(256, 'p');
  for (auto _ : state) {
    state.PauseTiming();
    Check(s.store().Commit(Batch().Enqueue("q", payload)).status(), state);
    state.ResumeTiming();
    auto lease = queue::Dequeue(s.store(), "q");
    if (!lease.ok() || !lease->has_value()) {
      state.SkipWithError("dequeue found nothing");
      break;
    }
    Check(s.store().Commit(Batch().Ack((*lease)->token)).status(), state);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_DequeueAckNoSync)->UseRealTime();

void BM_MetadataPutNoSync(benchmark::State& state) {
  BenchStore s(NoSync());
  const std::string value(256, 'v');
  uint64_t i = 0;
  for (auto _ : state) {
    Check(s.store().Commit(Batch().Put("key/" + std::to_string(i++ % 1024), value)).status(),
          state);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetadataPutNoSync)->UseRealTime();

void BM_MetadataGet(benchmark::State& state) {
  BenchStore s(NoSync());
  Batch fill;
  for (int i = 0; i < 1024; ++i) fill.Put("key/" + std::to_string(i), std::string(256, 'v'));
  Check(s.store().Commit(std::move(fill)).status(), state);
  uint64_t i = 0;
  for (auto _ : state) {
    auto value = s.store().Get("key/" + std::to_string(i++ % 1024));
    benchmark::DoNotOptimize(value);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_MetadataGet);

// A page of a partition: every event's checksum is checked on the way (bytes/s shown).
void BM_ReadPartition(benchmark::State& state) {
  BenchStore s(NoSync());
  const size_t payload = static_cast<size_t>(state.range(0));
  Batch fill;
  for (int i = 0; i < 1000; ++i) fill.Append("stream", 1, std::string(payload, 'e'));
  Check(s.store().Commit(std::move(fill)).status(), state);
  for (auto _ : state) {
    auto page = eventlog::ReadPartition(s.store(), "stream", 1);
    if (!page.ok() || page->events.size() != 1000) {
      state.SkipWithError("short read");
      break;
    }
    benchmark::DoNotOptimize(page);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetBytesProcessed(state.iterations() * 1000 * static_cast<int64_t>(payload));
}
BENCHMARK(BM_ReadPartition)->Arg(256)->Arg(16384);

// One store shared by every thread of a multi-threaded run (thread 0 opens and closes it;
// Google Benchmark starts the timed loops of all threads together).
std::mutex shared_mu;
std::unique_ptr<BenchStore> shared_store;

void BM_SyncCommit(benchmark::State& state) {
  if (state.thread_index() == 0) {
    std::lock_guard lock(shared_mu);
    shared_store = std::make_unique<BenchStore>(Options{});
  }
  const std::string payload(256, 'p');
  const std::string stream = "writer-" + std::to_string(state.thread_index());
  for (auto _ : state) {
    Store* store;
    {
      std::lock_guard lock(shared_mu);
      store = &shared_store->store();
    }
    Check(store->Commit(Batch().Append(stream, 1, payload)).status(), state);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    PipelineStats stats = shared_store->store().GetPipelineStats();
    state.counters["batches_per_group"] =
        stats.groups == 0 ? 0.0 : static_cast<double>(stats.batches) / stats.groups;
  }
}
BENCHMARK(BM_SyncCommit)->ThreadRange(1, 64)->UseRealTime();

void BM_SyncCommitFlush(benchmark::State& state) {
  Options options;
  options.flush_method = state.range(0) == 0 ? FlushMethod::kIoUring : FlushMethod::kFdatasync;
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/durastore-micro-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) abort();
  auto store = Store::Open(dir, options);
  if (!store.ok()) {  // e.g. io_uring refused on this kernel
    state.SkipWithError(store.status().ToString().c_str());
    std::filesystem::remove_all(dir);
    return;
  }
  const std::string payload(256, 'p');
  for (auto _ : state) {
    Check((*store)->Commit(Batch().Append("stream", 1, payload)).status(), state);
  }
  state.SetLabel(state.range(0) == 0 ? "io_uring" : "fdatasync");
  store->reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_SyncCommitFlush)->Arg(0)->Arg(1)->UseRealTime();

void BM_LmdbCommitFlushes(benchmark::State& state) {
  const bool two = state.range(0) == 2;
  const char* tmp = getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr ? tmp : "/tmp") + "/durastore-micro-XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) abort();
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
  auto lmdb = [&](int rc, const char* what) {
    if (rc != 0) state.SkipWithError((std::string(what) + ": " + mdb_strerror(rc)).c_str());
    return rc == 0;
  };
  bool ok = lmdb(mdb_env_create(&env), "mdb_env_create") &&
            lmdb(mdb_env_set_mapsize(env, size_t{1} << 30), "mdb_env_set_mapsize") &&
            lmdb(mdb_env_open(env, dir.c_str(), two ? 0 : MDB_NOMETASYNC, 0644), "mdb_env_open");
  if (ok) {
    MDB_txn* txn = nullptr;
    ok = lmdb(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin") &&
         lmdb(mdb_dbi_open(txn, nullptr, 0, &dbi), "mdb_dbi_open") &&
         lmdb(mdb_txn_commit(txn), "mdb_txn_commit");
  }
  std::string payload(256, 'p');
  uint64_t n = 0;
  for (auto _ : state) {
    if (!ok) break;
    MDB_txn* txn = nullptr;
    ++n;
    MDB_val k{sizeof n, &n}, v{payload.size(), payload.data()};
    if (!lmdb(mdb_txn_begin(env, nullptr, 0, &txn), "mdb_txn_begin") ||
        !lmdb(mdb_put(txn, dbi, &k, &v, 0), "mdb_put") ||
        !lmdb(mdb_txn_commit(txn), "mdb_txn_commit")) {
      break;
    }
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel(two ? "data + meta sync (LMDB default)" : "data sync only (MDB_NOMETASYNC)");
  if (env != nullptr) mdb_env_close(env);
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_LmdbCommitFlushes)->Arg(1)->Arg(2)->UseRealTime();

}  // namespace
}  // namespace durastore

BENCHMARK_MAIN();
