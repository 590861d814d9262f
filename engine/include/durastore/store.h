// Store: one durastore database directory, its committer and its reads.
//
// Open a Store with Store::Open; it owns the LMDB environment, a lock file that keeps a
// second process out, and one committer thread. Every write is a Batch committed through
// Commit/CommitAsync; the committer takes every batch waiting, applies each in its own
// nested transaction (a failing batch leaves no trace; the rest of its group commits),
// commits the group once and flushes once (group commit). A blocking call (Commit, a
// dequeue, Flush) made while nothing else is in flight is applied and flushed on the
// calling thread instead, which saves two thread wake-ups (docs/architecture.md).
//
// Commit point: every group becomes one record of a sequential commit log (wal.* files),
// written right after the group's LMDB transaction commits and made durable by one
// fdatasync per group; LMDB is written without flushes and made durable by background
// checkpoints. Open replays the log after the last checkpoint (docs/architecture.md).
//
// Durability (per store default, overridable per commit):
//  - kSync: Commit returns only after the flush covering the batch's log record
//    completed; it survives a process crash and power loss.
//  - kNoSync: Commit returns once the batch's log record is written (page cache); it
//    survives a process crash. On power loss or an OS crash, kNoSync commits whose record
//    was not yet flushed are lost - at most Options::background_flush_ms worth, since the
//    log is flushed that often when nobody asks - and the store always reopens, at the
//    last record that reached the disk whole. Store::Flush hardens everything so far.
//    A kSync caller is never acknowledged by an unflushed record.
//  - Dequeues (leases and delivery counts) are logged like kNoSync commits: after a power
//    cut, delivery-count increments of the last background_flush_ms may be lost; after a
//    process crash, none.
//
// Visibility: readers (reads, tails, dequeues) see a group as soon as its LMDB
// transaction commits, which is just before its log record is written and before that
// record is flushed: a kSync group can be visible for up to one flush before it is
// durable, and a power cut in that window (or a process crash between the LMDB commit and
// the log write) loses it although a reader saw it. No caller was acknowledged for it.
//
// Failure: if a flush or commit fails with an IO error the store refuses every later
// write with Unavailable (sticky error) until it is reopened: the file's state after a
// failed fsync is unknown. Reads keep working.
//
// Thread-safety: every method is thread-safe, except that Close and destruction must not
// race with other calls on the same Store. Close waits for batches already handed to
// Commit/CommitAsync, flushes, checkpoints, and then fails later calls with Unavailable.
#ifndef DURASTORE_STORE_H_
#define DURASTORE_STORE_H_

#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "durastore/batch.h"
#include "durastore/clock.h"
#include "durastore/export.h"
#include "durastore/status.h"

namespace durastore {

enum class Durability : uint8_t { kSync, kNoSync };

// How the commit log is flushed (checkpoints always call fdatasync).
enum class FlushMethod : uint8_t {
  kAuto,       // the measured-faster method: fdatasync (docs/performance.md, "Flush method")
  kIoUring,    // io_uring (IORING_OP_FSYNC, DATASYNC) or fail Open with Unavailable
  kFdatasync,  // fdatasync
};

struct Options {
  Durability durability = Durability::kSync;
  // Borrowed; must outlive the Store. nullptr = SystemClock().
  const Clock* clock = nullptr;
  // Create a new store when `path` is missing or an empty directory (never over a
  // directory that holds anything: see Open).
  bool create_if_missing = true;
  // The LMDB map starts at this size and doubles when full, up to max_map_size (then
  // commits fail with ResourceExhausted). The file only grows as data is written.
  size_t initial_map_size = size_t{64} << 20;
  size_t max_map_size = size_t{1} << 40;
  FlushMethod flush_method = FlushMethod::kAuto;
  // Most batches the committer takes into one group.
  size_t max_group_size = 4096;
  // A checkpoint (flush of data.mdb, after which older log segments are reused) starts
  // once, since the last one began, this many log bytes were written, data.mdb grew by
  // this many bytes (until a checkpoint completes LMDB reuses no page freed after the
  // previous one, so the file grows by every page a commit copies), or this long passed
  // with anything written. It runs beside commits; recovery replays at most about this much.
  uint64_t checkpoint_log_bytes = uint64_t{64} << 20;
  uint64_t checkpoint_data_bytes = uint64_t{32} << 20;
  int64_t checkpoint_interval_ms = 5'000;
  // Largest size of a new commit-log segment (new segments start at 1 MiB and double).
  uint64_t log_segment_size = uint64_t{16} << 20;
  // Log records nobody waits for (kNoSync commits, dequeues) are flushed within this.
  int64_t background_flush_ms = 100;
  // Opens an existing store for reading only, beside its writer in another process (or
  // with no writer): takes no lock, starts no thread, never writes a store file (LMDB's
  // reader table in lock.mdb excepted). Every read sees what the writer has applied to
  // LMDB by the time the read starts: every acknowledged commit, and groups whose log
  // record is written but not yet flushed (the Visibility paragraph above); leases live in
  // the writer's memory and are not visible. Commit, CommitAsync, Flush and Dequeue fail
  // with InvalidArgument; tail waits poll (every 50 ms) since no wake-up crosses processes.
  // Open fails with NotFound when there is no store, with Busy (not retryable) when this
  // process has it open for writing (use that Store), and with Unavailable when the store
  // was not closed cleanly and no process has it open: its data.mdb may then name pages a
  // power cut lost, so open it once for writing (which recovers it) first. Other options
  // are ignored except clock.
  bool read_only = false;
};

// How Store::Backup copies the store.
struct BackupOptions {
  // Copy only the pages in use, renumbered (LMDB's MDB_CP_COMPACT): the copy is as small as
  // the live data, at the cost of walking every table. Otherwise the file is copied page
  // for page, free pages included (faster, and as large as data.mdb's used part).
  bool compact = false;
};

struct CommitOptions {
  std::optional<Durability> durability;  // unset = the store default
};

// What a commit assigned, in the order the operations were added to the batch.
struct AppendResult {
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  uint64_t first_position = 0;
  uint64_t last_position = 0;
};
struct CommitResult {
  std::vector<AppendResult> appends;  // one per Append operation
  std::vector<uint64_t> message_ids;  // one per Enqueue operation
};

// Figures about the commit pipeline since Open (for load tools and monitoring).
struct PipelineStats {
  uint64_t groups = 0;            // groups committed (one log record and LMDB transaction each)
  uint64_t batches = 0;           // batches committed (including dequeues)
  uint64_t failed_batches = 0;    // batches rolled back alone
  uint64_t flushes = 0;           // commit-log flushes completed (each one fdatasync per segment)
  uint64_t checkpoints = 0;       // checkpoints completed (each one fdatasync of data.mdb)
  uint64_t log_bytes = 0;         // commit-log bytes written since Open
  uint64_t replayed_records = 0;  // log records Open replayed (0 after a clean Close)
  uint64_t map_resizes = 0;
  bool using_io_uring = false;
};

struct VerifyOptions {
  // Problems listed at most (later ones only set VerifyReport::truncated).
  size_t max_problems = 1000;
  // If set, called with a table's name when the walk enters it (records = 0) and every
  // 10,000 records in it: lets a tool that runs Verify in a child process say where a
  // crash happened. Called on the caller's thread.
  std::function<void(std::string_view table, uint64_t records)> progress;
};

// What Store::Verify found.
struct VerifyReport {
  uint64_t records = 0;               // records read, each checksum checked
  std::vector<std::string> problems;  // "table 'events' key '...': what is wrong"
  bool truncated = false;             // more problems than VerifyOptions::max_problems
  bool ok() const { return problems.empty(); }
};

class DURASTORE_EXPORT Store {
 public:
  // Opens (or creates) the store in directory `path`. A new store is created only where
  // `path` is missing or an empty directory, and only with create_if_missing; a directory
  // holding any store file is opened as a store and never re-created. Errors: Busy if
  // another process holds the store (the message names its pid; retryable), Busy, not
  // retryable, if a Store of this process has it open (the message says so);
  // InvalidArgument for bad options, an empty path or one containing a NUL byte, or a
  // directory that holds other files but no store; NotFound if missing or empty and
  // !create_if_missing; Corruption if the directory holds store files but no data.mdb, an
  // empty one, no CHECKPOINT or no format marker (the message says what is missing), or
  // damaged ones; IOError.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const Options& options = {});

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies `batch` all-or-nothing; blocks until done (for kSync: until flushed).
  //
  // The batch is taken by rvalue: the committer thread owns it until it is applied, and a
  // move hands it over without copying a payload. Pass std::move(batch) (the variable is
  // left empty and reusable, as after Clear(), like a LevelDB WriteBatch) or a temporary
  // (`Commit(Batch().Put("k", "v"))`). An lvalue does not compile, because accepting one
  // would deep-copy every payload behind the caller's back; to commit a batch and keep
  // it, copy it visibly: Commit(Batch(batch)).
  Result<CommitResult> Commit(Batch&& batch, const CommitOptions& options = {});
  Result<CommitResult> Commit(const Batch& batch, const CommitOptions& options = {}) = delete;

  // Same, completing `done` on an internal thread. `done` must not block on the Store
  // (e.g. call Commit); it may call CommitAsync. It is called exactly once. The batch is
  // taken as by Commit.
  void CommitAsync(Batch&& batch, const CommitOptions& options,
                   std::function<void(Result<CommitResult>)> done);
  std::future<Result<CommitResult>> CommitAsync(Batch&& batch, const CommitOptions& options = {});
  void CommitAsync(const Batch& batch, const CommitOptions& options,
                   std::function<void(Result<CommitResult>)> done) = delete;
  std::future<Result<CommitResult>> CommitAsync(const Batch& batch,
                                                const CommitOptions& options = {}) = delete;

  // Makes everything committed so far durable (useful after kNoSync commits).
  Status Flush();

  // Writes a consistent copy of the store to `dest_dir`, a new store directory that
  // Store::Open opens as it is (restoring a backup is opening it, or moving the directory
  // into place first). Runs on the caller's thread while the store goes on committing; it
  // blocks no commit, except that a growth of the LMDB map waits until the copy ends.
  //
  // What the copy holds: one LMDB read snapshot, taken after Backup was called, so every
  // commit acknowledged before the call is in it, each batch whole (an acknowledged commit
  // is applied to LMDB: see Visibility above); commits that run during the backup are in it
  // whole or not at all. The copy holds no commit log: it is data.mdb (compacted if
  // `options.compact`) and a CHECKPOINT naming that snapshot, so opening it replays
  // nothing. The copy is flushed and its directory entries synced before Backup returns.
  //
  // `dest_dir` must not exist or be an empty directory (not a mount point: the copy is
  // renamed onto it from its parent's file system), and its parent must exist. The copy
  // is built in a hidden temporary directory beside it (".<name>.backup-XXXXXX") and renamed
  // to `dest_dir` only when complete, so an interrupted backup never leaves something at
  // `dest_dir` that looks like a store (a crash may leave the hidden directory: delete it).
  //
  // Errors: AlreadyExists if `dest_dir` exists and is not an empty directory (nothing is
  // written); NotFound if its parent does not exist; InvalidArgument for an empty path or
  // one containing a NUL byte; ResourceExhausted when the disk is full; IOError;
  // Unavailable when the store is closed. On any error nothing is left at `dest_dir`.
  //
  // Works on a store opened with Options::read_only beside a writer in another process:
  // the copy then holds every commit that writer acknowledged before the call. A store
  // whose writes failed (health() is not OK) can still be backed up: the copy is what its
  // readers see.
  Status Backup(const std::string& dest_dir, const BackupOptions& options = {});

  // Waits for pending commits, flushes and stops the committer. Later calls fail with
  // Unavailable. Called by the destructor.
  Status Close();

  // --- metadata reads (own read transaction) ---
  Result<std::string> Get(std::string_view key);  // NotFound if absent
  // Keys with `prefix`, ascending, at most `limit`; starting after `start_after` if set.
  Result<std::vector<std::pair<std::string, std::string>>> Scan(std::string_view prefix,
                                                                size_t limit = 1000,
                                                                std::string_view start_after = {});

  // The integrity walk: reads every record of every table in one snapshot, checking each
  // checksum, then checks every index against its records (event log: streams and stream
  // ids, partition records against their events, event keys and positions; queues: every
  // message's payload and index entries and every index entry's message; no stored id at
  // or past its counter). Problems go to the report; the Status is non-OK only when the
  // walk could not run. Runs beside commits (a read transaction; for a large store a long
  // one, which keeps LMDB from reusing pages freed meanwhile) and on read-only stores.
  // LMDB may crash the process on a damaged B-tree page: to survive that, run it in a
  // child process, as `durastore verify` does.
  Result<VerifyReport> Verify(const VerifyOptions& options = {});

  // What Open repaired, one line each; empty normally. Today one repair exists: a damaged
  // LMDB meta page of a cleanly closed store (which LMDB refuses to open, though the other
  // page and the data are intact) is rewritten from the copy CHECKPOINT keeps; the line
  // says which page, what was wrong and what, if anything, was lost.
  const std::vector<std::string>& repairs() const;

  PipelineStats GetPipelineStats() const;
  // The sticky error, OK while the store accepts writes.
  Status health() const;
  const std::string& path() const;
  const Clock& clock() const;

 private:
  friend class StoreInternal;
  class Impl;
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace durastore

#endif  // DURASTORE_STORE_H_
