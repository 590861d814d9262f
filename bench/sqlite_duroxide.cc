#include "sqlite_duroxide.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "sqlite_util.h"

namespace durastore::bench::duroxide_sqlite {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The capability filter the runtime always passes: executions pinned to 0.0.0..0.1.26
// (packed major * 1e6 + minor * 1e3 + patch), and the version this bench pins.
constexpr int64_t kMinPacked = 0;
constexpr int64_t kMaxPacked = 1'026;
constexpr int64_t kPinned[3] = {0, 1, 26};

}  // namespace

// A prepared statement, finalized on destruction. Text is bound by copy.
class Stmt {
 public:
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { sqlite3_finalize(s_); }

  Status Prepare(sqlite3* db, const char* sql) {
    db_ = db;
    return sqlite::Prepare(db, sql, &s_);
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // One step: true on a row, false when done; Busy when SQLite could not take the write
  // lock. Call Reset once the rows are read.
  Result<bool> Next() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
      return Status::Busy(std::string("sqlite: ") + sqlite3_errmsg(db_));
    }
    return sqlite::Error(db_, "step");
  }
  // Runs a statement to its first row or its end, then resets it.
  Status Run() {
    auto r = Next();
    Reset();
    return r.ok() ? Status::OK() : r.status();
  }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  int64_t Int(int c) { return sqlite3_column_int64(s_, c); }
  bool IsNull(int c) { return sqlite3_column_type(s_, c) == SQLITE_NULL; }
  std::string Text(int c) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, c));
    return p == nullptr ? std::string()
                        : std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, c)));
  }

 private:
  sqlite3* db_ = nullptr;
  sqlite3_stmt* s_ = nullptr;
};

namespace {
// Resets a statement whose rows were read, however the reading ended.
struct ResetAtExit {
  Stmt& s;
  ~ResetAtExit() { s.Reset(); }
};
}  // namespace

struct Connection::Statements {
  Stmt begin, commit, rollback;
  // fetch_orchestration_item
  Stmt select_instance, count_queue, take_lock, mark_batch, read_batch, drop_lock, instance_info,
      latest_execution, read_history, kv_snapshot;
  // ack_orchestration_item
  Stmt lock_owner, delete_batch, insert_instance, update_instance, insert_execution, pin_version,
      bump_execution, append_event, set_status, kv_merge, kv_tombstones, kv_clear, insert_worker,
      insert_orchestrator, lock_valid, release_lock;
  // fetch_work_item / ack_work_item
  Stmt select_work, lock_work, delete_work, touch_session;
};

Result<std::unique_ptr<Connection>> Connection::Open(const std::string& file, bool sync) {
  std::unique_ptr<Connection> c(new Connection());
  c->s_ = std::make_unique<Statements>();
  Status s = sqlite::Open(file, sync, &c->db_);
  // The rest of what Duroxide's pool runs after connecting to a file database.
  if (s.ok()) {
    s = c->Exec(
        "PRAGMA journal_mode = WAL; PRAGMA wal_autocheckpoint = 10000;"
        "PRAGMA cache_size = -64000; PRAGMA busy_timeout = 60000; PRAGMA foreign_keys = ON;");
  }
  Statements& t = *c->s_;
  const std::pair<Stmt*, const char*> sql[] = {
      {&t.begin, "BEGIN"},
      {&t.commit, "COMMIT"},
      {&t.rollback, "ROLLBACK"},
      {&t.select_instance,
       "SELECT q.instance_id FROM orchestrator_queue q"
       " LEFT JOIN instance_locks il ON q.instance_id = il.instance_id"
       " LEFT JOIN instances i ON q.instance_id = i.instance_id"
       " LEFT JOIN executions e ON i.instance_id = e.instance_id"
       " AND i.current_execution_id = e.execution_id"
       " WHERE q.visible_at <= ?1 AND (il.instance_id IS NULL OR il.locked_until <= ?1)"
       " AND (e.duroxide_version_major IS NULL OR (e.duroxide_version_major * 1000000"
       " + e.duroxide_version_minor * 1000 + e.duroxide_version_patch) BETWEEN ?2 AND ?3)"
       " ORDER BY q.id LIMIT 1"},
      {&t.count_queue, "SELECT COUNT(*) FROM orchestrator_queue"},
      {&t.take_lock,
       "INSERT INTO instance_locks (instance_id, lock_token, locked_until, locked_at)"
       " VALUES (?1, ?2, ?3, ?4) ON CONFLICT(instance_id) DO UPDATE"
       " SET lock_token = ?2, locked_until = ?3, locked_at = ?4 WHERE locked_until <= ?4"},
      {&t.mark_batch,
       "UPDATE orchestrator_queue SET lock_token = ?1, attempt_count = attempt_count + 1"
       " WHERE instance_id = ?2 AND visible_at <= ?3"},
      {&t.read_batch,
       "SELECT id, work_item, attempt_count FROM orchestrator_queue WHERE lock_token = ?1"
       " ORDER BY id"},
      {&t.drop_lock, "DELETE FROM instance_locks WHERE instance_id = ?"},
      {&t.instance_info,
       "SELECT i.orchestration_name, i.orchestration_version, i.current_execution_id"
       " FROM instances i WHERE i.instance_id = ?1"},
      {&t.latest_execution,
       "SELECT COALESCE(MAX(execution_id), 1) FROM executions WHERE instance_id = ?"},
      {&t.read_history,
       "SELECT event_data FROM history WHERE instance_id = ? AND execution_id = ?"
       " ORDER BY event_id"},
      {&t.kv_snapshot, "SELECT key, value, last_updated_at_ms FROM kv_store WHERE instance_id = ?"},
      {&t.lock_owner, "SELECT instance_id FROM instance_locks WHERE lock_token = ?"},
      {&t.delete_batch, "DELETE FROM orchestrator_queue WHERE lock_token = ?"},
      {&t.insert_instance,
       "INSERT OR IGNORE INTO instances (instance_id, orchestration_name, orchestration_version,"
       " current_execution_id, parent_instance_id) VALUES (?, ?, ?, ?, ?)"},
      {&t.update_instance,
       "UPDATE instances SET orchestration_name = ?, orchestration_version = ?"
       " WHERE instance_id = ?"},
      {&t.insert_execution,
       "INSERT OR IGNORE INTO executions (instance_id, execution_id, status)"
       " VALUES (?, ?, 'Running')"},
      {&t.pin_version,
       "UPDATE executions SET duroxide_version_major = ?, duroxide_version_minor = ?,"
       " duroxide_version_patch = ? WHERE instance_id = ? AND execution_id = ?"},
      {&t.bump_execution,
       "UPDATE instances SET current_execution_id = MAX(current_execution_id, ?)"
       " WHERE instance_id = ?"},
      {&t.append_event,
       "INSERT INTO history (instance_id, execution_id, event_id, event_type, event_data)"
       " VALUES (?, ?, ?, ?, ?)"},
      {&t.set_status,
       "UPDATE executions SET status = ?, output = ?, completed_at = ?"
       " WHERE instance_id = ? AND execution_id = ?"},
      {&t.kv_merge,
       "INSERT INTO kv_store (instance_id, key, value, last_updated_at_ms)"
       " SELECT instance_id, key, value, last_updated_at_ms FROM kv_delta"
       " WHERE instance_id = ? AND value IS NOT NULL ON CONFLICT(instance_id, key)"
       " DO UPDATE SET value = excluded.value, last_updated_at_ms = excluded.last_updated_at_ms"},
      {&t.kv_tombstones,
       "DELETE FROM kv_store WHERE instance_id = ? AND key IN"
       " (SELECT key FROM kv_delta WHERE instance_id = ? AND value IS NULL)"},
      {&t.kv_clear, "DELETE FROM kv_delta WHERE instance_id = ?"},
      {&t.insert_worker,
       "INSERT INTO worker_queue (work_item, visible_at, instance_id, execution_id, activity_id,"
       " session_id, tag) VALUES (?, ?, ?, ?, ?, ?, ?)"},
      {&t.insert_orchestrator,
       "INSERT INTO orchestrator_queue (instance_id, work_item, visible_at) VALUES (?, ?, ?)"},
      {&t.lock_valid,
       "SELECT COUNT(*) FROM instance_locks WHERE instance_id = ? AND lock_token = ?"
       " AND locked_until > ?"},
      {&t.release_lock, "DELETE FROM instance_locks WHERE instance_id = ? AND lock_token = ?"},
      {&t.select_work,
       "SELECT q.id, q.work_item, q.attempt_count, q.session_id FROM worker_queue q"
       " LEFT JOIN sessions s ON s.session_id = q.session_id AND s.locked_until > ?1"
       " WHERE q.visible_at <= ?1 AND (q.lock_token IS NULL OR q.locked_until <= ?1)"
       " AND (q.session_id IS NULL OR s.worker_id = ?2 OR s.session_id IS NULL)"
       " AND (q.tag IS NULL) ORDER BY q.id LIMIT 1"},
      {&t.lock_work,
       "UPDATE worker_queue SET lock_token = ?1, locked_until = ?2,"
       " attempt_count = attempt_count + 1 WHERE id = ?3"},
      {&t.delete_work,
       "DELETE FROM worker_queue WHERE lock_token = ? AND locked_until > ? RETURNING session_id"},
      {&t.touch_session,
       "UPDATE sessions SET last_activity_at = ?1 WHERE session_id = ?2 AND locked_until > ?1"},
  };
  for (const auto& [stmt, text] : sql) {
    if (s.ok()) s = stmt->Prepare(c->db_, text);
  }
  if (!s.ok()) return s;
  return c;
}

Connection::~Connection() {
  s_.reset();  // statements before the connection
  if (db_ != nullptr) sqlite3_close(db_);
}

Status Connection::Exec(const char* sql) { return sqlite::Exec(db_, sql); }

// Duroxide's token is "lock_<unix nanos>_<pid>"; the counter keeps two threads' tokens
// distinct within one nanosecond.
std::string Connection::NewToken() {
  auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
  return "lock_" + std::to_string(nanos) + "_" + std::to_string(getpid()) + "_" +
         std::to_string(reinterpret_cast<uintptr_t>(this) % 100000) + std::to_string(++tokens_);
}

Result<std::optional<FetchedTurn>> Connection::FetchOrchestrationItem(int64_t lock_ms) {
  Status s = s_->begin.Run();
  if (!s.ok()) return s;
  auto r = FetchInTx(NowMs(), lock_ms);
  if (r.ok() && r->has_value()) {
    s = s_->commit.Run();
    if (s.ok()) return r;
    r = s;
  }
  (void)s_->rollback.Run();  // every path without an item rolls back, as Duroxide's does
  return r;
}

Result<std::optional<FetchedTurn>> Connection::FetchInTx(int64_t now, int64_t lock_ms) {
  Statements& t = *s_;
  const std::optional<FetchedTurn> none;
  FetchedTurn item;
  {
    ResetAtExit reset{t.select_instance};
    auto row = t.select_instance.Bind(1, now).Bind(2, kMinPacked).Bind(3, kMaxPacked).Next();
    if (!row.ok()) return row.status();
    if (*row) item.instance = t.select_instance.Text(0);
    if (!*row) {
      ResetAtExit reset_count{t.count_queue};  // Duroxide logs the queue's depth
      auto count = t.count_queue.Next();
      if (!count.ok()) return count.status();
      return none;
    }
  }
  item.lock_token = NewToken();
  Status s = t.take_lock.Bind(1, item.instance)
                 .Bind(2, item.lock_token)
                 .Bind(3, now + lock_ms)
                 .Bind(4, now)
                 .Run();
  if (!s.ok()) return s;
  if (sqlite3_changes(db_) == 0) return none;  // lost the race for the lock
  s = t.mark_batch.Bind(1, item.lock_token).Bind(2, item.instance).Bind(3, now).Run();
  if (!s.ok()) return s;
  {
    ResetAtExit reset{t.read_batch};
    t.read_batch.Bind(1, item.lock_token);
    for (;;) {
      auto row = t.read_batch.Next();
      if (!row.ok()) return row.status();
      if (!*row) break;
      item.messages.push_back(t.read_batch.Text(1));
      item.attempt_count = std::max(item.attempt_count, static_cast<uint32_t>(t.read_batch.Int(2)));
    }
  }
  if (item.messages.empty()) {
    (void)t.drop_lock.Bind(1, item.instance).Run();
    return none;
  }
  bool known = false;
  {
    ResetAtExit reset{t.instance_info};
    auto row = t.instance_info.Bind(1, item.instance).Next();
    if (!row.ok()) return row.status();
    if (*row) {
      known = true;
      item.name = t.instance_info.Text(0);
      item.version = t.instance_info.Text(1);
      item.execution_id = static_cast<uint64_t>(t.instance_info.Int(2));
    }
  }
  uint64_t history_execution = item.execution_id;
  if (!known) {
    // No record yet: the latest execution's history, reported as execution 1, with name
    // and version from the start (or continue-as-new) message; without one the batch
    // waits for its start. (Duroxide first looks for them in OrchestrationStarted.)
    {
      ResetAtExit reset{t.latest_execution};
      auto row = t.latest_execution.Bind(1, item.instance).Next();
      if (!row.ok()) return row.status();
      history_execution = static_cast<uint64_t>(t.latest_execution.Int(0));
    }
    const std::string* start = nullptr;
    for (const auto& m : item.messages) {
      if (IsKind(m, "StartOrchestration") || IsKind(m, "ContinueAsNew")) start = &m;
    }
    if (start == nullptr) return none;
    item.name = FieldOf(*start, "orchestration");
    item.version = FieldOf(*start, "version");
    item.execution_id = 1;
  }
  s = ReadHistory(item.instance, history_execution, &item.history);
  if (!s.ok()) return s;
  ResetAtExit reset{t.kv_snapshot};
  t.kv_snapshot.Bind(1, item.instance);
  for (;;) {
    auto row = t.kv_snapshot.Next();
    if (!row.ok()) return row.status();
    if (!*row) break;
    ++item.kv_entries;
  }
  return std::optional<FetchedTurn>(std::move(item));
}

Status Connection::ReadHistory(const std::string& instance, uint64_t execution_id,
                               std::vector<std::string>* out) {
  Stmt& q = s_->read_history;
  ResetAtExit reset{q};
  q.Bind(1, instance).Bind(2, static_cast<int64_t>(execution_id));
  for (;;) {
    auto row = q.Next();
    if (!row.ok()) return row.status();
    if (!*row) return Status::OK();
    out->push_back(q.Text(0));
  }
}

Status Connection::AckOrchestrationItem(const std::string& lock_token, const std::string& instance,
                                        const TurnAck& ack) {
  Status s = s_->begin.Run();
  if (s.ok()) s = AckInTx(lock_token, instance, ack);
  if (s.ok()) s = s_->commit.Run();
  if (!s.ok()) (void)s_->rollback.Run();  // the first error is what counts
  return s;
}

Status Connection::AckInTx(const std::string& lock_token, const std::string& expected,
                           const TurnAck& ack) {
  Statements& t = *s_;
  std::string instance;
  {
    ResetAtExit reset{t.lock_owner};
    auto row = t.lock_owner.Bind(1, lock_token).Next();
    if (!row.ok()) return row.status();
    if (!*row) return Status::LockLost("ack_orchestration_item: Invalid lock token");
    instance = t.lock_owner.Text(0);
  }
  if (instance != expected) return Status::LockLost("ack: the token locks " + instance);
  const auto exec = static_cast<int64_t>(ack.execution_id);
  Status s = t.delete_batch.Bind(1, lock_token).Run();
  if (s.ok() && ack.name && ack.version) {
    s = t.insert_instance.Bind(1, instance)
            .Bind(2, *ack.name)
            .Bind(3, *ack.version)
            .Bind(4, exec)
            .Run();  // parent_instance_id: NULL (a root)
    if (s.ok())
      s = t.update_instance.Bind(1, *ack.name).Bind(2, *ack.version).Bind(3, instance).Run();
  }
  if (s.ok()) s = t.insert_execution.Bind(1, instance).Bind(2, exec).Run();
  if (s.ok() && ack.pin_version) {
    s = t.pin_version.Bind(1, kPinned[0])
            .Bind(2, kPinned[1])
            .Bind(3, kPinned[2])
            .Bind(4, instance)
            .Bind(5, exec)
            .Run();
  }
  if (s.ok()) s = t.bump_execution.Bind(1, exec).Bind(2, instance).Run();
  for (const HistoryRow& e : ack.history_delta) {
    if (!s.ok()) break;
    s = t.append_event.Bind(1, instance)
            .Bind(2, exec)
            .Bind(3, static_cast<int64_t>(e.event_id))
            .Bind(4, e.event_type)
            .Bind(5, e.event_data)
            .Run();
  }
  if (s.ok() && ack.status) {
    s = t.set_status
            .Bind(1, *ack.status)  // output (?2): NULL, the bench has none
            .Bind(3, NowMs())
            .Bind(4, instance)
            .Bind(5, exec)
            .Run();
    // Terminal: the execution's KV delta merges into the store (CAN is terminal).
    if (s.ok()) s = t.kv_merge.Bind(1, instance).Run();
    if (s.ok()) s = t.kv_tombstones.Bind(1, instance).Bind(2, instance).Run();
    if (s.ok()) s = t.kv_clear.Bind(1, instance).Run();
  }
  const int64_t now = NowMs();
  for (const WorkerRow& w : ack.worker_items) {
    if (!s.ok()) break;
    s = t.insert_worker.Bind(1, w.work_item)
            .Bind(2, now)
            .Bind(3, instance)
            .Bind(4, static_cast<int64_t>(w.execution_id))
            .Bind(5, static_cast<int64_t>(w.activity_id))
            .Run();  // session_id, tag: NULL
  }
  for (const OrchestratorRow& o : ack.orchestrator_items) {
    if (!s.ok()) break;
    s = t.insert_orchestrator.Bind(1, o.instance).Bind(2, o.work_item).Bind(3, NowMs()).Run();
  }
  if (!s.ok()) return s;
  {
    ResetAtExit reset{t.lock_valid};
    auto row = t.lock_valid.Bind(1, instance).Bind(2, lock_token).Bind(3, NowMs()).Next();
    if (!row.ok()) return row.status();
    if (t.lock_valid.Int(0) == 0) return Status::LockLost("ack: Instance lock expired");
  }
  return t.release_lock.Bind(1, instance).Bind(2, lock_token).Run();
}

Result<std::optional<FetchedActivity>> Connection::FetchWorkItem(int64_t lock_ms,
                                                                 const std::string& owner) {
  Status s = s_->begin.Run();
  if (!s.ok()) return s;
  auto r = FetchWorkInTx(NowMs(), lock_ms, owner);
  if (r.ok() && r->has_value()) {
    s = s_->commit.Run();
    if (s.ok()) return r;
    r = s;
  }
  (void)s_->rollback.Run();
  return r;
}

Result<std::optional<FetchedActivity>> Connection::FetchWorkInTx(int64_t now, int64_t lock_ms,
                                                                 const std::string& owner) {
  Statements& t = *s_;
  FetchedActivity item;
  int64_t id = 0;
  {
    ResetAtExit reset{t.select_work};
    auto row = t.select_work.Bind(1, now).Bind(2, owner).Next();
    if (!row.ok()) return row.status();
    if (!*row) return std::optional<FetchedActivity>();
    id = t.select_work.Int(0);
    item.work_item = t.select_work.Text(1);
    item.attempt_count = static_cast<uint32_t>(t.select_work.Int(2)) + 1;
    // Session-bound items would claim their session here; the bench's items have none.
  }
  item.lock_token = NewToken();
  Status s = t.lock_work.Bind(1, item.lock_token).Bind(2, now + lock_ms).Bind(3, id).Run();
  if (!s.ok()) return s;
  return std::optional<FetchedActivity>(std::move(item));
}

Status Connection::AckWorkItem(const std::string& lock_token, const std::string& instance,
                               const std::string& completion) {
  Statements& t = *s_;
  Status s = t.begin.Run();
  if (!s.ok()) return s;
  const int64_t now = NowMs();
  {
    ResetAtExit reset{t.delete_work};
    auto row = t.delete_work.Bind(1, lock_token).Bind(2, now).Next();
    if (!row.ok()) s = row.status();
    if (s.ok() && !*row) s = Status::LockLost("ack_work_item: cancelled or lock expired");
    if (s.ok() && !t.delete_work.IsNull(0)) {
      std::string session = t.delete_work.Text(0);
      (void)t.touch_session.Bind(1, now).Bind(2, session).Run();  // best effort, as Duroxide
    }
  }
  if (s.ok())
    s = t.insert_orchestrator.Bind(1, instance).Bind(2, completion).Bind(3, NowMs()).Run();
  if (s.ok()) s = t.commit.Run();
  if (!s.ok()) (void)t.rollback.Run();
  return s;
}

Status Connection::EnqueueForOrchestrator(const std::string& instance,
                                          const std::string& work_item) {
  return s_->insert_orchestrator.Bind(1, instance).Bind(2, work_item).Bind(3, NowMs()).Run();
}

Status Connection::EnqueueForWorker(const std::string& instance, uint64_t execution_id, uint64_t id,
                                    const std::string& work_item) {
  return s_->insert_worker.Bind(1, work_item)
      .Bind(2, NowMs())
      .Bind(3, instance)
      .Bind(4, static_cast<int64_t>(execution_id))
      .Bind(5, static_cast<int64_t>(id))
      .Run();
}

Status Connection::AppendHistory(const std::string& instance, uint64_t execution_id,
                                 const std::vector<HistoryRow>& events) {
  for (const HistoryRow& e : events) {
    Status s = s_->append_event.Bind(1, instance)
                   .Bind(2, static_cast<int64_t>(execution_id))
                   .Bind(3, static_cast<int64_t>(e.event_id))
                   .Bind(4, e.event_type)
                   .Bind(5, e.event_data)
                   .Run();
    if (!s.ok()) return s;
  }
  return Status::OK();
}

Status Connection::CreateInstance(const std::string& instance, const std::string& name,
                                  const std::string& version) {
  Status s = s_->insert_instance.Bind(1, instance).Bind(2, name).Bind(3, version).Bind(4, 1).Run();
  if (s.ok()) s = s_->insert_execution.Bind(1, instance).Bind(2, 1).Run();
  return s;
}

}  // namespace durastore::bench::duroxide_sqlite
