// The hot path of Duroxide's own SQLite provider, reproduced in C++ for the `turn` and
// `activity` baselines: the schema its migrations leave in a file database, the PRAGMAs
// its pool sets on every connection, and the statements and transaction boundaries of
// fetch_orchestration_item, ack_orchestration_item, fetch_work_item and ack_work_item
// (microsoft/duroxide, src/providers/sqlite.rs and migrations/*.sql, version 0.1.26).
//
// What is kept: every statement each call runs, in its order, inside one deferred
// transaction (`BEGIN`, as sqlx's pool.begin() issues), the capability-filtered instance
// selection the runtime always asks for, the session-aware worker selection it uses by
// default, and the KV snapshot read and merge.
// What is simplified: work items and events are short JSON-shaped texts built and parsed
// here instead of serde JSON; the last history event id is the row count (events are
// numbered 1..n); name and version of an instance without a record come from the batch's
// start message. SQLITE_BUSY (a deferred transaction that could not upgrade to a writer)
// comes back as Status::Busy; Duroxide reports it as a retryable error.
#ifndef DURASTORE_BENCH_SQLITE_DUROXIDE_H_
#define DURASTORE_BENCH_SQLITE_DUROXIDE_H_

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "durastore/status.h"

namespace durastore::bench::duroxide_sqlite {

// Work item texts, shaped like Duroxide's externally tagged serde JSON.
std::string StartItem(const std::string& instance, const std::string& name,
                      const std::string& version, const std::string& input);
std::string ContinueAsNewItem(const std::string& instance, const std::string& name,
                              const std::string& version, const std::string& input);
std::string CompletionItem(const std::string& instance, uint64_t id, const std::string& result);
std::string ActivityItem(const std::string& instance, uint64_t execution_id, uint64_t id,
                         const std::string& input);
// The string field `field` of a work item text ("" when absent); true if it is of `kind`.
std::string FieldOf(const std::string& item, const std::string& field);
bool IsKind(const std::string& item, const char* kind);

// Creates the tables and indexes of Duroxide's migrations (a fresh file).
Status CreateSchema(const std::string& file);

struct FetchedTurn {
  std::string instance;
  std::string name;
  std::string version;
  uint64_t execution_id = 1;
  std::vector<std::string> messages;  // work item texts, in enqueue order
  std::vector<std::string> history;   // event_data of the current execution, in order
  size_t kv_entries = 0;
  std::string lock_token;
  uint32_t attempt_count = 0;
};

struct HistoryRow {
  uint64_t event_id = 0;
  std::string event_type;
  std::string event_data;
};

struct WorkerRow {
  uint64_t execution_id = 1;
  uint64_t activity_id = 0;
  std::string work_item;  // routed to the acked instance
};

struct OrchestratorRow {
  std::string instance;
  std::string work_item;
};

// What the runtime hands ack_orchestration_item (the fields a bench turn uses).
struct TurnAck {
  uint64_t execution_id = 1;
  std::vector<HistoryRow> history_delta;
  std::vector<WorkerRow> worker_items;
  std::vector<OrchestratorRow> orchestrator_items;
  std::optional<std::string> name;  // with version: create/update the instance record
  std::optional<std::string> version;
  bool pin_version = false;           // the runtime pins on an execution's first turn
  std::optional<std::string> status;  // "Completed" | "Failed" | "ContinuedAsNew"
};

struct FetchedActivity {
  std::string work_item;
  std::string lock_token;
  uint32_t attempt_count = 0;
};

// One pooled connection of the provider with its statements prepared. Not thread-safe:
// a connection per thread, as sqlx hands each task its own.
class Connection {
 public:
  // `sync`: synchronous=FULL, else OFF (Duroxide itself sets "synchronous = WAL", which
  // SQLite does not recognise and reads as NORMAL: commits are not fsynced).
  static Result<std::unique_ptr<Connection>> Open(const std::string& file, bool sync);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // nullopt = no eligible instance, or the lock race was lost. Busy = SQLITE_BUSY.
  Result<std::optional<FetchedTurn>> FetchOrchestrationItem(int64_t lock_ms);
  // LockLost for an unknown token or an expired lock; nothing is changed then.
  Status AckOrchestrationItem(const std::string& lock_token, const std::string& instance,
                              const TurnAck& ack);
  // The runtime's default worker fetch: session-aware (owner `owner`), untagged items only.
  Result<std::optional<FetchedActivity>> FetchWorkItem(int64_t lock_ms, const std::string& owner);
  // Deletes the locked item and enqueues `completion` for `instance`, atomically.
  Status AckWorkItem(const std::string& lock_token, const std::string& instance,
                     const std::string& completion);

  // Setup (not the hot path): enqueue_for_orchestrator, enqueue_for_worker,
  // append_with_execution, and an instance record with its execution.
  Status EnqueueForOrchestrator(const std::string& instance, const std::string& work_item);
  Status EnqueueForWorker(const std::string& instance, uint64_t execution_id, uint64_t id,
                          const std::string& work_item);
  Status AppendHistory(const std::string& instance, uint64_t execution_id,
                       const std::vector<HistoryRow>& events);
  Status CreateInstance(const std::string& instance, const std::string& name,
                        const std::string& version);
  Status Exec(const char* sql);
  sqlite3* db() { return db_; }

 private:
  struct Statements;
  Connection() = default;
  Result<std::optional<FetchedTurn>> FetchInTx(int64_t now, int64_t lock_ms);
  Status AckInTx(const std::string& lock_token, const std::string& instance, const TurnAck& ack);
  Result<std::optional<FetchedActivity>> FetchWorkInTx(int64_t now, int64_t lock_ms,
                                                       const std::string& owner);
  Status ReadHistory(const std::string& instance, uint64_t execution_id,
                     std::vector<std::string>* out);
  std::string NewToken();

  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> s_;
  uint64_t tokens_ = 0;
};

}  // namespace durastore::bench::duroxide_sqlite

#endif  // DURASTORE_BENCH_SQLITE_DUROXIDE_H_
