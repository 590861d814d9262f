// The engines a workload runs against: durastore and the SQLite baseline doing the same
// transaction (WAL mode; synchronous=FULL for sync, OFF for nosync).
#ifndef DURASTORE_BENCH_ENGINES_H_
#define DURASTORE_BENCH_ENGINES_H_

#include <cstdint>
#include <memory>
#include <string>

#include "durastore/store.h"

namespace durastore::bench {

struct CommitShape {
  size_t payload_bytes = 256;
};

// One engine instance shared by every writer of a run.
class Engine {
 public:
  virtual ~Engine() = default;
  // Commits writer `writer`'s `n`-th operation: one event appended to the writer's own
  // stream and one metadata key put, in one atomic, durable-per-mode transaction.
  virtual Status CommitOp(int writer, uint64_t n, const std::string& payload) = 0;
  // Per-writer setup (SQLite needs a connection per thread). Called on the writer's thread.
  virtual Status StartWriter(int writer) = 0;
  virtual std::string name() const = 0;
  // Figures only durastore has; false for engines without them.
  virtual bool Pipeline(PipelineStats* stats) const = 0;
};

Result<std::unique_ptr<Engine>> OpenDurastore(const std::string& dir, bool sync, FlushMethod flush);
Result<std::unique_ptr<Engine>> OpenSqlite(const std::string& dir, bool sync, int writers);

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_ENGINES_H_
