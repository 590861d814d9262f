// The RocksDB baseline of the `commit` workload (built when librocksdb-dev is found).
//
// One op = one WriteBatch, written with WriteOptions::sync = the run's durability, that
// puts the same keys the other engines write:
//   e/<stream>/<seq, 8 bytes big-endian>  -> payload   one per event (seq continues the
//                                                       writer's stream, as in SQLite)
//   q/<id, 8 bytes big-endian>            -> payload   one per enqueued message
//   m/<key>                               -> n         one per metadata put
// Options: RocksDB's defaults except create_if_missing, plus two observers that change
// no behaviour: a Statistics object at kExceptHistogramOrTimers (tickers only) to count
// WAL syncs, and an EventListener counting memtable flushes and compactions (each ends
// with at least one fsync of its output file and of the MANIFEST).
#include <rocksdb/db.h>
#include <rocksdb/listener.h>
#include <rocksdb/options.h>
#include <rocksdb/statistics.h>
#include <rocksdb/write_batch.h>

#include <atomic>

#include "engines.h"

namespace durastore::bench {
namespace {

std::string BigEndian(uint64_t v) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, v >>= 8) out[static_cast<size_t>(i)] = static_cast<char>(v & 0xff);
  return out;
}

Status FromRocksdb(const rocksdb::Status& s, const char* what) {
  if (s.ok()) return Status::OK();
  return Status::IOError(std::string("rocksdb ") + what + ": " + s.ToString());
}

// Memtable flushes and compactions completed since Open.
class FileSyncCounter final : public rocksdb::EventListener {
 public:
  void OnFlushCompleted(rocksdb::DB*, const rocksdb::FlushJobInfo&) override { ++jobs_; }
  void OnCompactionCompleted(rocksdb::DB*, const rocksdb::CompactionJobInfo&) override { ++jobs_; }
  uint64_t jobs() const { return jobs_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> jobs_{0};
};

class RocksdbEngine final : public Engine {
 public:
  RocksdbEngine(bool sync, const CommitShape& shape) : shape_(shape) { write_.sync = sync; }
  ~RocksdbEngine() override {
    if (db_ != nullptr) (void)db_->Close();  // the run's figures are already taken
  }

  Status Open(const std::string& dir) {
    rocksdb::Options options;
    options.create_if_missing = true;
    options.statistics = rocksdb::CreateDBStatistics();
    options.statistics->set_stats_level(rocksdb::StatsLevel::kExceptHistogramOrTimers);
    options.listeners.push_back(files_);
    stats_ = options.statistics;
    rocksdb::DB* db = nullptr;
    Status s = FromRocksdb(rocksdb::DB::Open(options, dir + "/rocksdb", &db), "open");
    db_.reset(db);
    return s;
  }

  Status StartWriter(int) override { return Status::OK(); }

  Status CommitOp(int writer, uint64_t n, const std::string& payload) override {
    rocksdb::WriteBatch batch;
    const auto per_append = static_cast<uint64_t>(shape_.events_per_append);
    for (int a = 0; a < shape_.appends_per_batch; ++a) {
      const std::string prefix = "e/" + StreamName(writer, a) + "/";
      for (uint64_t e = 0; e < per_append; ++e) {
        batch.Put(prefix + BigEndian((n - 1) * per_append + e + 1), payload);
      }
    }
    for (int q = 0; q < shape_.enqueues_per_batch; ++q) {
      batch.Put("q/" + BigEndian(next_message_.fetch_add(1, std::memory_order_relaxed)), payload);
    }
    const std::string value = std::to_string(n);
    for (int p = 0; p < shape_.puts_per_batch; ++p) {
      batch.Put("m/" + MetadataKey(writer, p), value);
    }
    return FromRocksdb(db_->Write(write_, &batch), "write");
  }

  std::string name() const override { return "rocksdb"; }
  bool Pipeline(PipelineStats*) const override { return false; }
  bool Flushes(uint64_t* flushes) const override {
    *flushes = stats_->getTickerCount(rocksdb::WAL_FILE_SYNCED) + files_->jobs();
    return true;
  }

 private:
  const CommitShape shape_;
  rocksdb::WriteOptions write_;
  std::unique_ptr<rocksdb::DB> db_;
  std::shared_ptr<rocksdb::Statistics> stats_;
  std::shared_ptr<FileSyncCounter> files_ = std::make_shared<FileSyncCounter>();
  std::atomic<uint64_t> next_message_{1};
};

}  // namespace

bool RocksdbAvailable() { return true; }

Result<std::unique_ptr<Engine>> OpenRocksdb(const std::string& dir, bool sync,
                                            const CommitShape& shape) {
  auto engine = std::make_unique<RocksdbEngine>(sync, shape);
  Status s = engine->Open(dir);
  if (!s.ok()) return s;
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace durastore::bench
