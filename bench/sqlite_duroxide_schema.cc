// Duroxide's SQLite schema and the work item texts of the baseline (sqlite_duroxide.h).
#include "sqlite_duroxide.h"
#include "sqlite_util.h"

namespace durastore::bench::duroxide_sqlite {
namespace {

// The schema a file database has after Duroxide's migrations 20240101..20240112 (the
// initial schema with every later ALTER TABLE folded in, and every index they create).
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS instances (
  instance_id TEXT PRIMARY KEY, orchestration_name TEXT NOT NULL,
  orchestration_version TEXT NOT NULL, current_execution_id INTEGER NOT NULL DEFAULT 1,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  parent_instance_id TEXT REFERENCES instances(instance_id), custom_status TEXT,
  custom_status_version INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS idx_instances_parent ON instances(parent_instance_id);
CREATE TABLE IF NOT EXISTS executions (
  instance_id TEXT NOT NULL, execution_id INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'Running',
  output TEXT, started_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, completed_at TIMESTAMP,
  duroxide_version_major INTEGER, duroxide_version_minor INTEGER, duroxide_version_patch INTEGER,
  PRIMARY KEY (instance_id, execution_id));
CREATE TABLE IF NOT EXISTS history (
  instance_id TEXT NOT NULL, execution_id INTEGER NOT NULL, event_id INTEGER NOT NULL,
  event_type TEXT NOT NULL, event_data TEXT NOT NULL,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  PRIMARY KEY (instance_id, execution_id, event_id));
CREATE TABLE IF NOT EXISTS orchestrator_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT, instance_id TEXT NOT NULL, work_item TEXT NOT NULL,
  visible_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, lock_token TEXT, locked_until TIMESTAMP,
  created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK(attempt_count >= 0));
CREATE INDEX IF NOT EXISTS idx_orch_visible ON orchestrator_queue(visible_at, lock_token);
CREATE INDEX IF NOT EXISTS idx_orch_instance ON orchestrator_queue(instance_id);
CREATE INDEX IF NOT EXISTS idx_orch_lock ON orchestrator_queue(lock_token);
CREATE TABLE IF NOT EXISTS worker_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT, work_item TEXT NOT NULL, lock_token TEXT,
  locked_until TIMESTAMP, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
  attempt_count INTEGER NOT NULL DEFAULT 0 CHECK(attempt_count >= 0),
  visible_at INTEGER NOT NULL DEFAULT 0, instance_id TEXT, execution_id INTEGER,
  activity_id INTEGER, session_id TEXT, tag TEXT);
CREATE INDEX IF NOT EXISTS idx_worker_available ON worker_queue(lock_token, id);
CREATE INDEX IF NOT EXISTS idx_worker_activity ON worker_queue(instance_id, execution_id, activity_id);
CREATE INDEX IF NOT EXISTS idx_worker_queue_session ON worker_queue(session_id);
CREATE INDEX IF NOT EXISTS idx_worker_queue_tag ON worker_queue(tag);
CREATE TABLE IF NOT EXISTS timer_queue (
  id INTEGER PRIMARY KEY AUTOINCREMENT, work_item TEXT NOT NULL, fire_at TIMESTAMP NOT NULL,
  lock_token TEXT, locked_until TIMESTAMP, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);
CREATE INDEX IF NOT EXISTS idx_timer_fire ON timer_queue(fire_at, lock_token);
CREATE TABLE IF NOT EXISTS instance_locks (
  instance_id TEXT PRIMARY KEY, lock_token TEXT NOT NULL, locked_until INTEGER NOT NULL,
  locked_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
  session_id TEXT PRIMARY KEY, worker_id TEXT NOT NULL, locked_until INTEGER NOT NULL,
  last_activity_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS kv_store (
  instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
  last_updated_at_ms INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (instance_id, key));
CREATE TABLE IF NOT EXISTS kv_delta (
  instance_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT,
  last_updated_at_ms INTEGER NOT NULL, PRIMARY KEY (instance_id, key));
)";

}  // namespace

Status CreateSchema(const std::string& file) {
  sqlite3* db = nullptr;
  Status s = sqlite::Open(file, false, &db);
  if (s.ok()) s = sqlite::Exec(db, "PRAGMA journal_mode = WAL;");
  if (s.ok()) s = sqlite::Exec(db, kSchema);
  sqlite3_close(db);
  return s;
}

std::string StartItem(const std::string& instance, const std::string& name,
                      const std::string& version, const std::string& input) {
  return R"({"StartOrchestration":{"instance":")" + instance + R"(","orchestration":")" + name +
         R"(","version":")" + version + R"(","input":")" + input +
         R"(","parent_instance":null,"parent_id":null,"execution_id":1}})";
}

std::string ContinueAsNewItem(const std::string& instance, const std::string& name,
                              const std::string& version, const std::string& input) {
  return R"({"ContinueAsNew":{"instance":")" + instance + R"(","orchestration":")" + name +
         R"(","version":")" + version + R"(","input":")" + input + R"("}})";
}

std::string CompletionItem(const std::string& instance, uint64_t id, const std::string& result) {
  return R"({"ActivityCompleted":{"instance":")" + instance + R"(","execution_id":1,"id":)" +
         std::to_string(id) + R"(,"result":")" + result + R"("}})";
}

std::string ActivityItem(const std::string& instance, uint64_t execution_id, uint64_t id,
                         const std::string& input) {
  return R"({"ActivityExecute":{"instance":")" + instance + R"(","execution_id":)" +
         std::to_string(execution_id) + R"(,"id":)" + std::to_string(id) +
         R"(,"name":"bench","input":")" + input + R"(","session_id":null,"tag":null}})";
}

std::string FieldOf(const std::string& item, const std::string& field) {
  const std::string key = "\"" + field + "\":\"";
  size_t at = item.find(key);
  if (at == std::string::npos) return "";
  at += key.size();
  size_t end = item.find('"', at);
  return end == std::string::npos ? "" : item.substr(at, end - at);
}

bool IsKind(const std::string& item, const char* kind) {
  const std::string prefix = std::string("{\"") + kind + "\":";
  return item.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace durastore::bench::duroxide_sqlite
