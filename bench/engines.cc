#include "engines.h"

#include <sqlite3.h>

#include <mutex>
#include <vector>

namespace durastore::bench {
namespace {

std::string StreamOf(int writer) { return "bench-w" + std::to_string(writer); }

class DurastoreEngine final : public Engine {
 public:
  explicit DurastoreEngine(std::unique_ptr<Store> store) : store_(std::move(store)) {}

  Status StartWriter(int) override { return Status::OK(); }

  Status CommitOp(int writer, uint64_t n, const std::string& payload) override {
    Batch batch;
    std::string stream = StreamOf(writer);
    batch.Append(stream, 1, payload);
    batch.Put("bench/" + stream, std::to_string(n));
    return store_->Commit(std::move(batch)).status();
  }

  std::string name() const override { return "durastore"; }
  bool Pipeline(PipelineStats* stats) const override {
    *stats = store_->GetPipelineStats();
    return true;
  }

 private:
  std::unique_ptr<Store> store_;
};

// One connection per writer, statements prepared once. Each op is
// BEGIN IMMEDIATE; INSERT event (seq = the writer's counter); UPSERT meta; COMMIT.
class SqliteEngine final : public Engine {
 public:
  SqliteEngine(std::string file, bool sync, int writers)
      : file_(std::move(file)), sync_(sync), conns_(static_cast<size_t>(writers)) {}
  ~SqliteEngine() override {
    for (auto& c : conns_) {
      for (sqlite3_stmt* s : {c.begin, c.insert, c.upsert, c.commit}) sqlite3_finalize(s);
      if (c.db != nullptr) sqlite3_close(c.db);
    }
  }

  Status Init() {
    sqlite3* db = nullptr;
    if (sqlite3_open(file_.c_str(), &db) != SQLITE_OK) return Error(db, "open");
    const char* schema =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS events(stream TEXT NOT NULL, partition INTEGER NOT NULL,"
        " seq INTEGER NOT NULL, payload BLOB NOT NULL, PRIMARY KEY(stream, partition, seq));"
        "CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v BLOB NOT NULL);";
    Status s = Exec(db, schema);
    sqlite3_close(db);
    return s;
  }

  Status StartWriter(int writer) override {
    Conn& c = conns_[static_cast<size_t>(writer)];
    if (sqlite3_open(file_.c_str(), &c.db) != SQLITE_OK) return Error(c.db, "open");
    sqlite3_busy_timeout(c.db, 60'000);
    Status s = Exec(c.db, sync_ ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=OFF;");
    if (!s.ok()) return s;
    const char* sql[] = {
        "BEGIN IMMEDIATE",
        "INSERT INTO events(stream, partition, seq, payload) VALUES(?1, 1, ?2, ?3)",
        "INSERT INTO meta(k, v) VALUES(?1, ?2) ON CONFLICT(k) DO UPDATE SET v=?2", "COMMIT"};
    sqlite3_stmt** out[] = {&c.begin, &c.insert, &c.upsert, &c.commit};
    for (int i = 0; i < 4; ++i) {
      if (sqlite3_prepare_v2(c.db, sql[i], -1, out[i], nullptr) != SQLITE_OK) {
        return Error(c.db, "prepare");
      }
    }
    return Status::OK();
  }

  Status CommitOp(int writer, uint64_t n, const std::string& payload) override {
    Conn& c = conns_[static_cast<size_t>(writer)];
    std::string stream = StreamOf(writer), key = "bench/" + stream, value = std::to_string(n);
    for (;;) {
      int rc = Step(c.begin);
      if (rc == SQLITE_BUSY) continue;
      if (rc != SQLITE_DONE) return Error(c.db, "begin");
      sqlite3_bind_text(c.insert, 1, stream.data(), static_cast<int>(stream.size()), SQLITE_STATIC);
      sqlite3_bind_int64(c.insert, 2, static_cast<sqlite3_int64>(n));
      sqlite3_bind_blob(c.insert, 3, payload.data(), static_cast<int>(payload.size()),
                        SQLITE_STATIC);
      sqlite3_bind_text(c.upsert, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
      sqlite3_bind_blob(c.upsert, 2, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
      if (Step(c.insert) != SQLITE_DONE || Step(c.upsert) != SQLITE_DONE) {
        Status s = Error(c.db, "write");
        (void)Exec(c.db, "ROLLBACK");  // the write error is what the caller needs
        return s;
      }
      rc = Step(c.commit);
      if (rc == SQLITE_DONE) return Status::OK();
      Status s = Error(c.db, "commit");
      (void)Exec(c.db, "ROLLBACK");
      return s;
    }
  }

  std::string name() const override { return "sqlite"; }
  bool Pipeline(PipelineStats*) const override { return false; }

 private:
  struct Conn {
    sqlite3* db = nullptr;
    sqlite3_stmt* begin = nullptr;
    sqlite3_stmt* insert = nullptr;
    sqlite3_stmt* upsert = nullptr;
    sqlite3_stmt* commit = nullptr;
  };

  static int Step(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    return rc;
  }
  static Status Exec(sqlite3* db, const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err != nullptr ? err : "unknown";
      sqlite3_free(err);
      return Status::IOError(std::string("sqlite: ") + msg);
    }
    return Status::OK();
  }
  static Status Error(sqlite3* db, const char* what) {
    return Status::IOError(std::string("sqlite ") + what + ": " +
                           (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
  }

  const std::string file_;
  const bool sync_;
  std::vector<Conn> conns_;
};

}  // namespace

Result<std::unique_ptr<Engine>> OpenDurastore(const std::string& dir, bool sync,
                                              FlushMethod flush) {
  Options options;
  options.durability = sync ? Durability::kSync : Durability::kNoSync;
  options.flush_method = flush;
  auto store = Store::Open(dir, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Engine>(new DurastoreEngine(std::move(store).value()));
}

Result<std::unique_ptr<Engine>> OpenSqlite(const std::string& dir, bool sync, int writers) {
  auto engine = std::make_unique<SqliteEngine>(dir + "/bench.sqlite", sync, writers);
  Status s = engine->Init();
  if (!s.ok()) return s;
  return std::unique_ptr<Engine>(std::move(engine));
}

}  // namespace durastore::bench
