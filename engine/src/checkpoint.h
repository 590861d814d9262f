// Checkpoints: the LMDB snapshot recovery starts from (docs/architecture.md, "Commit log
// and checkpoints"; byte grammar in docs/format.md, "CHECKPOINT").
//
// LMDB is written without flushes between checkpoints, so after a power cut its newest
// meta page may name pages that never reached the disk. A checkpoint therefore keeps its
// own copy of the meta page of a snapshot whose pages were all flushed and which a read
// transaction pins (LMDB reuses no page of a snapshot a reader holds). Recovery writes
// that copy over both of LMDB's meta pages before opening it, so LMDB opens at the
// checkpointed snapshot whatever the power cut left, and then replays the commit log.
//
// The CHECKPOINT file has two 512-byte slots written alternately (by sequence number)
// and flushed, so a torn write leaves the previous checkpoint readable.
#ifndef DURASTORE_ENGINE_CHECKPOINT_H_
#define DURASTORE_ENGINE_CHECKPOINT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "commit_log.h"
#include "durastore/status.h"

namespace durastore::internal {

inline constexpr char kCheckpointFile[] = "CHECKPOINT";
inline constexpr size_t kMetaCopySize = 256;  // page header + MDB_meta, with room to spare

struct Checkpoint {
  uint64_t seq = 0;     // checkpoint number; the higher valid slot wins
  uint64_t lsn = 0;     // last commit-log record the snapshot holds
  uint64_t txnid = 0;   // LMDB transaction id of the snapshot
  uint64_t log_id = 0;  // the store's log id (segments and records carry it)
  LogPosition next;     // where record lsn + 1 was to be written
  uint32_t page_size = 0;
  // Written by Close after its final flush: LMDB's own newest meta page is then the
  // snapshot, durable and intact, and Open trusts it (so writes made to data.mdb with
  // LMDB's own tools while the store was closed are kept).
  bool clean = false;
  std::string meta;  // the first kMetaCopySize bytes of the snapshot's meta page
};

// The newest valid checkpoint in `dir`, nullopt when there is no CHECKPOINT file.
// Corruption when the file exists but neither slot is valid.
Result<std::optional<Checkpoint>> ReadCheckpoint(const std::string& dir);

// Writes `c` to its slot of the open CHECKPOINT file and flushes it.
Status WriteCheckpoint(int fd, const Checkpoint& c, const SyncFn& sync);

// The meta page LMDB wrote for transaction `txnid` (read through `data_fd`, i.e. from
// the page cache): Corruption unless it is a meta page of that transaction.
Result<std::string> ReadMetaPage(int data_fd, uint64_t txnid, uint32_t page_size);

// For a clean checkpoint `c` (after which Open trusts LMDB's own meta pages): what is
// wrong with the meta pages of `data_path`, empty when nothing is. A page is damaged when
// it is not an LMDB meta page of its number, or when it holds c's transaction with other
// bytes than c's copy. A page of a later transaction (LMDB's own tools wrote to the
// closed store) is not damage.
Result<std::string> CheckMetaPages(const std::string& data_path, const Checkpoint& c);

// Writes c.meta over both meta pages of `data_path` and flushes: LMDB then opens at the
// checkpointed snapshot. Corruption when data.mdb is shorter than the snapshot needs.
Status RestoreMetaPages(const std::string& data_path, const Checkpoint& c, const SyncFn& sync);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_CHECKPOINT_H_
