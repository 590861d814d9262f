// What the committer hands each component while it applies one batch inside the
// group's write transaction.
#ifndef DURASTORE_ENGINE_WRITE_CONTEXT_H_
#define DURASTORE_ENGINE_WRITE_CONTEXT_H_

#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "durastore/store.h"
#include "lmdb_env.h"

namespace durastore::internal {

// Store-wide counters, persisted in the "sys" table at the end of every group.
struct Sequences {
  uint64_t next_position = 1;
  uint64_t next_message_id = 1;
  uint64_t next_stream_id = 1;
  uint32_t next_queue_id = 1;
  bool operator==(const Sequences&) const = default;
};

struct WriteContext {
  MDB_txn* txn = nullptr;  // this batch's nested transaction
  const Tables* tables = nullptr;
  int64_t now_ms = 0;
  Sequences* seq = nullptr;
  CommitResult* result = nullptr;
  // In-memory changes made while applying; run in reverse if the batch rolls back.
  std::vector<std::function<void()>> undo;
  // Queues whose visible contents changed (long-poll waiters are woken after commit).
  std::set<std::string> touched_queues;
  bool appended = false;  // events were appended (tail readers are woken)
};

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_WRITE_CONTEXT_H_
