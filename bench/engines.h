// The engines a workload runs against: durastore and the baselines doing the same
// transaction: SQLite (WAL mode; synchronous=FULL for sync, OFF for nosync) and, for
// `commit`, RocksDB (one WriteBatch; WriteOptions::sync for sync; rocksdb_engine.cc).
#ifndef DURASTORE_BENCH_ENGINES_H_
#define DURASTORE_BENCH_ENGINES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "durastore/store.h"

namespace durastore::bench {

// What one `commit` op's batch holds (the defaults: one event appended and one key put).
// Stream names are per writer (and per append within a batch), so writers never conflict.
struct CommitShape {
  int appends_per_batch = 1;   // appends, each to its own stream of the writer
  int events_per_append = 1;   // events per append
  int enqueues_per_batch = 0;  // messages enqueued (never consumed) per batch
  int puts_per_batch = 1;      // metadata keys put per batch
};

// One engine instance shared by every writer of a run.
class Engine {
 public:
  virtual ~Engine() = default;
  // Commits writer `writer`'s `n`-th operation (n from 1): the CommitShape's appends,
  // enqueues and puts, each event or message carrying `payload`, in one atomic,
  // durable-per-mode transaction.
  virtual Status CommitOp(int writer, uint64_t n, const std::string& payload) = 0;
  // Per-writer setup (SQLite needs a connection per thread). Called on the writer's thread.
  virtual Status StartWriter(int writer) = 0;
  virtual std::string name() const = 0;
  // Figures only durastore has; false for engines without them.
  virtual bool Pipeline(PipelineStats* stats) const = 0;
  // Flushes to the device so far (fdatasync / fsync, any file), if the engine can count
  // them; false otherwise. Thread-safe.
  virtual bool Flushes(uint64_t* /*flushes*/) const { return false; }
};

// Writer `writer`'s a-th stream (a from 0) and p-th metadata key (p from 0): every
// engine writes the same names.
std::string StreamName(int writer, int a);
std::string MetadataKey(int writer, int p);

Result<std::unique_ptr<Engine>> OpenDurastore(const std::string& dir, bool sync, FlushMethod flush,
                                              const CommitShape& shape);
// The durastore engine over a store someone else opened (the `mixed` workload's); `store`
// must outlive the engine.
std::unique_ptr<Engine> NewDurastoreEngine(Store& store, const CommitShape& shape);
Result<std::unique_ptr<Engine>> OpenSqlite(const std::string& dir, bool sync, int writers,
                                           const CommitShape& shape);
// Whether this build has RocksDB (librocksdb-dev found at configure time); without it
// OpenRocksdb fails with Unavailable.
bool RocksdbAvailable();
Result<std::unique_ptr<Engine>> OpenRocksdb(const std::string& dir, bool sync,
                                            const CommitShape& shape);

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_ENGINES_H_
