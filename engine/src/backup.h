// Backup: a store directory made from one LMDB read snapshot of a live store
// (docs/architecture.md, "Backup").
//
// The copy needs no commit log: LMDB's copy holds every group up to the LSN in its
// `sys/sequences` record and nothing after it, so the backup gets a *clean* CHECKPOINT
// naming exactly that snapshot (its LSN, the copy's LMDB transaction id and meta page, the
// store's log id) and a log position at which no segment exists. Store::Open of the copy
// then trusts LMDB's meta page, replays nothing and starts a fresh log.
#ifndef DURASTORE_ENGINE_BACKUP_H_
#define DURASTORE_ENGINE_BACKUP_H_

#include <cstdint>
#include <string>

#include "commit_log.h"
#include "durastore/status.h"
#include "lmdb_env.h"

namespace durastore::internal {

struct BackupFigures {
  uint64_t lsn = 0;         // the last log record the copy holds
  uint64_t data_bytes = 0;  // size of the copy's data.mdb
};

// Copies `env` (a store whose commit log has id `log_id`) into the new store directory
// `dest`, which must not exist or be an empty directory, and whose parent must exist. The
// copy is built in a hidden temporary directory beside `dest`, flushed, and renamed to
// `dest` only when complete, so a crash never leaves something at `dest` that looks like a
// store. `sync` flushes a file (fdatasync, or a test's stand-in).
Result<BackupFigures> BackupStore(Env& env, uint64_t log_id, const std::string& dest, bool compact,
                                  const SyncFn& sync);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_BACKUP_H_
