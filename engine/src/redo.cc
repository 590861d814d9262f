#include "redo.h"

#include <cstdlib>

#include "coding.h"
#include "lmdb_env.h"

namespace durastore::internal {
namespace {

thread_local RedoRecorder* current_redo = nullptr;

}  // namespace

RedoRecorder::RedoRecorder(const Tables& tables) {
  auto all = tables.all();
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] < index_of_dbi_.size()) index_of_dbi_[all[i]] = static_cast<uint8_t>(i + 1);
  }
}

void RedoRecorder::Header(Kind kind, MDB_dbi dbi, std::string_view key) {
  uint8_t index = dbi < index_of_dbi_.size() ? index_of_dbi_[dbi] : 0;
  if (index == 0) std::abort();  // a write to a table the log does not know: a bug
  ops_.push_back(static_cast<char>(kind));
  ops_.push_back(static_cast<char>(index - 1));
  PutVarintBytes(ops_, key);
}

void RedoRecorder::Put(MDB_dbi dbi, std::string_view key, std::string_view value) {
  Header(kPut, dbi, key);
  PutVarintBytes(ops_, value);
}

void RedoRecorder::Delete(MDB_dbi dbi, std::string_view key) { Header(kDelete, dbi, key); }

RedoScope::RedoScope(RedoRecorder* recorder) : previous_(current_redo) { current_redo = recorder; }
RedoScope::~RedoScope() { current_redo = previous_; }

RedoRecorder* CurrentRedo() { return current_redo; }

Status ReplayRedo(MDB_txn* txn, const Tables& tables, std::string_view ops) {
  const auto all = tables.all();
  while (!ops.empty()) {
    if (ops.size() < 2) return Status::Corruption("commit log record: truncated op");
    auto kind = static_cast<uint8_t>(ops[0]);
    auto table = static_cast<uint8_t>(ops[1]);
    ops.remove_prefix(2);
    if (table >= all.size()) {
      return Status::Corruption("commit log record: unknown table " + std::to_string(table));
    }
    std::string_view key, value;
    if (!GetVarintBytes(ops, &key)) return Status::Corruption("commit log record: truncated key");
    MDB_val k = Val(key);
    int rc;
    if (kind == RedoRecorder::kPut) {
      if (!GetVarintBytes(ops, &value))
        return Status::Corruption("commit log record: truncated value");
      MDB_val v = Val(value);
      rc = mdb_put(txn, all[table], &k, &v, 0);
    } else if (kind == RedoRecorder::kDelete) {
      rc = mdb_del(txn, all[table], &k, nullptr);
      if (rc == MDB_NOTFOUND) rc = 0;
    } else {
      return Status::Corruption("commit log record: unknown op kind " + std::to_string(kind));
    }
    if (rc != 0) return LmdbStatus(rc, "replaying the commit log");
  }
  return Status::OK();
}

}  // namespace durastore::internal
