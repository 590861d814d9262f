// The redo capture: every table write the committer makes while applying a group, in
// order, as the payload of the group's commit-log record (layout: docs/format.md,
// section "Commit log", `ops`). Replaying the ops of a record on the state it was made
// from gives the state after it; a put overwrites and a delete of an absent key is a
// no-op, so replaying a record twice is harmless.
//
// Capture is installed on the committer thread only (RedoScope); the table helpers in
// lmdb_env.h (Put, Del, DelPrefix, CursorDelete) record through it. No other code may
// write LMDB tables, or its writes would be missing from the log and lost on recovery.
#ifndef DURASTORE_ENGINE_REDO_H_
#define DURASTORE_ENGINE_REDO_H_

#include <lmdb.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "durastore/status.h"

namespace durastore::internal {

struct Tables;

class RedoRecorder {
 public:
  enum Kind : uint8_t { kPut = 1, kDelete = 2 };

  // `tables` names every table a write may target; writes to others are a bug.
  explicit RedoRecorder(const Tables& tables);

  void Put(MDB_dbi dbi, std::string_view key, std::string_view value);
  void Delete(MDB_dbi dbi, std::string_view key);

  // A nested batch that rolls back drops what it recorded.
  size_t Mark() const { return ops_.size(); }
  void Rollback(size_t mark) { ops_.resize(mark); }
  void Clear() { ops_.clear(); }
  bool empty() const { return ops_.empty(); }
  const std::string& ops() const { return ops_; }

 private:
  void Header(Kind kind, MDB_dbi dbi, std::string_view key);

  std::array<uint8_t, 256> index_of_dbi_{};  // dbi -> table index + 1 (0 = not a table)
  std::string ops_;
};

// Installs `recorder` as the current thread's capture for the scope's lifetime.
class RedoScope {
 public:
  explicit RedoScope(RedoRecorder* recorder);
  ~RedoScope();
  RedoScope(const RedoScope&) = delete;
  RedoScope& operator=(const RedoScope&) = delete;

 private:
  RedoRecorder* previous_;
};

// The current thread's capture, or null.
RedoRecorder* CurrentRedo();

// Applies the ops of one record inside `txn`. Corruption for ops that do not parse or
// name an unknown table.
Status ReplayRedo(MDB_txn* txn, const Tables& tables, std::string_view ops);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_REDO_H_
