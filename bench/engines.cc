#include "engines.h"

#include <vector>

#include "durastore/batch.h"
#include "sqlite_util.h"

namespace durastore::bench {

// The first stream keeps the historical name.
std::string StreamName(int writer, int a) {
  std::string s = "bench-w" + std::to_string(writer);
  return a == 0 ? s : s + "-a" + std::to_string(a);
}
std::string MetadataKey(int writer, int p) {
  return p == 0 ? "bench/" + StreamName(writer, 0)
                : "bench/" + StreamName(writer, 0) + "/" + std::to_string(p);
}

namespace {

constexpr const char* kCommitQueue = "bench-commit-queue";

class DurastoreEngine final : public Engine {
 public:
  // `owned` is null when the store is borrowed.
  DurastoreEngine(std::unique_ptr<Store> owned, Store& store, const CommitShape& shape)
      : owned_(std::move(owned)), store_(store), shape_(shape) {}

  Status StartWriter(int) override { return Status::OK(); }

  Status CommitOp(int writer, uint64_t n, const std::string& payload) override {
    Batch batch;
    for (int a = 0; a < shape_.appends_per_batch; ++a) {
      std::vector<eventlog::EventData> events(static_cast<size_t>(shape_.events_per_append));
      for (auto& e : events) e.payload = payload;
      batch.Append(StreamName(writer, a), 1, std::move(events));
    }
    for (int q = 0; q < shape_.enqueues_per_batch; ++q) batch.Enqueue(kCommitQueue, payload);
    const std::string value = std::to_string(n);
    for (int p = 0; p < shape_.puts_per_batch; ++p) batch.Put(MetadataKey(writer, p), value);
    return store_.Commit(std::move(batch)).status();
  }

  std::string name() const override { return "durastore"; }
  bool Pipeline(PipelineStats* stats) const override {
    *stats = store_.GetPipelineStats();
    return true;
  }
  // Commit-log flushes and checkpoints (each one fdatasync of data.mdb).
  bool Flushes(uint64_t* flushes) const override {
    PipelineStats p = store_.GetPipelineStats();
    *flushes = p.flushes + p.checkpoints;
    return true;
  }

 private:
  std::unique_ptr<Store> owned_;
  Store& store_;
  const CommitShape shape_;
};

// One connection per writer, statements prepared once. Each op is BEGIN IMMEDIATE; one
// INSERT per event (seq continues the writer's stream); one INSERT per enqueued message
// (the queue table of the `queue` workload); one UPSERT per key; COMMIT.
class SqliteEngine final : public Engine {
 public:
  SqliteEngine(std::string file, bool sync, int writers, const CommitShape& shape)
      : file_(std::move(file)), sync_(sync), shape_(shape), conns_(static_cast<size_t>(writers)) {}
  ~SqliteEngine() override {
    for (auto& c : conns_) {
      for (sqlite3_stmt* s : {c.begin, c.insert, c.enqueue, c.upsert, c.commit}) {
        sqlite3_finalize(s);
      }
      if (c.db != nullptr) sqlite3_close(c.db);
    }
  }

  Status Init() {
    sqlite3* db = nullptr;
    if (sqlite3_open(file_.c_str(), &db) != SQLITE_OK) return sqlite::Error(db, "open");
    const char* schema =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS events(stream TEXT NOT NULL, partition INTEGER NOT NULL,"
        " seq INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY(stream, partition, seq));"
        "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS queue(id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " payload BLOB NOT NULL, visible_at INTEGER NOT NULL,"
        " locked_until INTEGER NOT NULL DEFAULT 0,"
        " delivery_count INTEGER NOT NULL DEFAULT 0, lock_token INTEGER);";
    Status s = sqlite::Exec(db, schema);
    sqlite3_close(db);
    return s;
  }

  Status StartWriter(int writer) override {
    Conn& c = conns_[static_cast<size_t>(writer)];
    Status s = sqlite::Open(file_, sync_, &c.db);
    const std::pair<const char*, sqlite3_stmt**> sql[] = {
        {"BEGIN IMMEDIATE", &c.begin},
        {"INSERT INTO events(stream, partition, seq, payload) VALUES(?1, 1, ?2, ?3)", &c.insert},
        {"INSERT INTO queue(payload, visible_at) VALUES(?1, 0)", &c.enqueue},
        {"INSERT INTO meta(k, v) VALUES(?1, ?2) ON CONFLICT(k) DO UPDATE SET v=?2", &c.upsert},
        {"COMMIT", &c.commit}};
    for (const auto& [text, stmt] : sql) {
      if (s.ok()) s = sqlite::Prepare(c.db, text, stmt);
    }
    return s;
  }

  Status CommitOp(int writer, uint64_t n, const std::string& payload) override {
    Conn& c = conns_[static_cast<size_t>(writer)];
    int rc = sqlite::Step(c.begin);
    while (rc == SQLITE_BUSY) rc = sqlite::Step(c.begin);
    if (rc != SQLITE_DONE) return sqlite::Error(c.db, "begin");
    Status s = Writes(c, writer, n, payload);
    if (s.ok() && sqlite::Step(c.commit) != SQLITE_DONE) s = sqlite::Error(c.db, "commit");
    if (!s.ok()) (void)sqlite::Exec(c.db, "ROLLBACK");  // the first error is what counts
    return s;
  }

  std::string name() const override { return "sqlite"; }
  bool Pipeline(PipelineStats*) const override { return false; }

 private:
  struct Conn {
    sqlite3* db = nullptr;
    sqlite3_stmt* begin = nullptr;
    sqlite3_stmt* insert = nullptr;
    sqlite3_stmt* enqueue = nullptr;
    sqlite3_stmt* upsert = nullptr;
    sqlite3_stmt* commit = nullptr;
  };

  Status Writes(Conn& c, int writer, uint64_t n, const std::string& payload) {
    const auto per_append = static_cast<uint64_t>(shape_.events_per_append);
    sqlite3_bind_blob(c.insert, 3, payload.data(), static_cast<int>(payload.size()), SQLITE_STATIC);
    for (int a = 0; a < shape_.appends_per_batch; ++a) {
      std::string stream = StreamName(writer, a);
      sqlite3_bind_text(c.insert, 1, stream.data(), static_cast<int>(stream.size()),
                        SQLITE_TRANSIENT);
      for (uint64_t e = 0; e < per_append; ++e) {
        sqlite3_bind_int64(c.insert, 2, static_cast<sqlite3_int64>((n - 1) * per_append + e + 1));
        if (sqlite::Step(c.insert) != SQLITE_DONE) return sqlite::Error(c.db, "append");
      }
    }
    sqlite3_bind_blob(c.enqueue, 1, payload.data(), static_cast<int>(payload.size()),
                      SQLITE_STATIC);
    for (int q = 0; q < shape_.enqueues_per_batch; ++q) {
      if (sqlite::Step(c.enqueue) != SQLITE_DONE) return sqlite::Error(c.db, "enqueue");
    }
    const std::string value = std::to_string(n);
    sqlite3_bind_blob(c.upsert, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    for (int p = 0; p < shape_.puts_per_batch; ++p) {
      std::string key = MetadataKey(writer, p);
      sqlite3_bind_text(c.upsert, 1, key.data(), static_cast<int>(key.size()), SQLITE_TRANSIENT);
      if (sqlite::Step(c.upsert) != SQLITE_DONE) return sqlite::Error(c.db, "put");
    }
    return Status::OK();
  }

  const std::string file_;
  const bool sync_;
  const CommitShape shape_;
  std::vector<Conn> conns_;
};

}  // namespace

Result<std::unique_ptr<Engine>> OpenDurastore(const std::string& dir, bool sync, FlushMethod flush,
                                              const CommitShape& shape) {
  Options options;
  options.durability = sync ? Durability::kSync : Durability::kNoSync;
  options.flush_method = flush;
  auto store = Store::Open(dir, options);
  if (!store.ok()) return store.status();
  Store& borrowed = **store;
  return std::unique_ptr<Engine>(new DurastoreEngine(std::move(store).value(), borrowed, shape));
}

std::unique_ptr<Engine> NewDurastoreEngine(Store& store, const CommitShape& shape) {
  return std::unique_ptr<Engine>(new DurastoreEngine(nullptr, store, shape));
}

Result<std::unique_ptr<Engine>> OpenSqlite(const std::string& dir, bool sync, int writers,
                                           const CommitShape& shape) {
  auto engine = std::make_unique<SqliteEngine>(dir + "/bench.sqlite", sync, writers, shape);
  Status s = engine->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace durastore::bench
