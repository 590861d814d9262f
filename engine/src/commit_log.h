// The commit log: the store's commit point (docs/architecture.md, "Commit log and
// checkpoints"; the byte grammar is in docs/format.md, "Commit log").
//
// "The committer" here is whichever thread applies groups, one at a time: the store's
// committer thread or a caller leading a group of its own (store_impl.h); the store hands
// the role over under a mutex.
//
// Every group the committer applies becomes one record, written with one pwritev at the
// tail of a preallocated segment file (`wal.<n>` in the store directory) after the
// group's LMDB transaction commits. A flush makes the tail durable with one fdatasync per
// segment written since the last flush and reports the highest durable LSN. The flusher
// thread runs it, or the committer itself when it has nothing else to do
// (FlushNowIfIdle); either way one flush is in flight at a time, so a write-back error
// can never be reported to a flush other than the one that covered the failed write.
//
// Segments are filled with zeros when created, so a flush overwrites allocated blocks and
// needs no file-system journal commit; once a checkpoint covers a segment it is reused.
// Records are chained by LSN, not by file: recovery reads on from the checkpoint's
// position while the next record is whole and carries the next LSN, and otherwise looks
// for the segment whose first record does. Every Open starts a fresh segment, so bytes a
// power cut left behind the recovered tail are never read as part of the chain.
#ifndef DURASTORE_ENGINE_COMMIT_LOG_H_
#define DURASTORE_ENGINE_COMMIT_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "durastore/status.h"
#include "thread_annotations.h"

namespace durastore::internal {

// Where a record starts: a segment file (by its slot number n of `wal.<n>`) and offset.
struct LogPosition {
  uint64_t slot = 0;
  uint64_t offset = 0;
};

// Makes a file's written data durable: fdatasync, or a test's fault-injecting stand-in.
// Returns 0 or an errno.
using SyncFn = std::function<int(int fd)>;
int Fdatasync(int fd);

inline constexpr uint64_t kSegmentHeaderSize = 4096;
inline constexpr uint64_t kRecordHeaderSize = 16;

// What recovery found: the records after a checkpoint, applied in order by `apply`.
struct LogScan {
  uint64_t last_lsn = 0;  // the last record applied (the checkpoint's LSN if none)
  uint64_t records = 0;   // records applied
  uint64_t bytes = 0;     // their payload bytes
};

// Reads the chain of records with LSNs first_lsn, first_lsn + 1, ... starting at `from`,
// calling `apply` for each; stops at the first record that is missing, torn, from another
// log or out of sequence (the tail). An error from `apply` stops the scan and is returned.
Result<LogScan> ScanLog(const std::string& dir, uint64_t log_id, LogPosition from,
                        uint64_t first_lsn,
                        const std::function<Status(uint64_t lsn, std::string_view ops)>& apply);

class CommitLog {
 public:
  struct Config {
    std::string dir;
    uint64_t log_id = 0;                         // random per store; in every record's checksum
    uint64_t segment_size = uint64_t{16} << 20;  // largest a new segment is made
    SyncFn sync;
    // Flush the log through io_uring (IORING_OP_FSYNC with IORING_FSYNC_DATASYNC, one
    // per segment written, submitted together) instead of calling `sync`. Open fails with
    // Unavailable when io_uring is wanted but not built in or refused by the kernel.
    bool io_uring = false;
    // Called on the thread that flushed (the flusher, or the committer in FlushNowIfIdle)
    // after each flush: every record <= lsn is durable, or
    // (err != 0) the flush failed and the log must not be trusted any more.
    std::function<void(uint64_t lsn, int err)> on_flushed;
    // Records nobody asked to flush (kNoSync commits, dequeues) are flushed within this.
    int64_t background_flush_ms = 100;
  };

  // Opens the segments in cfg.dir for writing; the next record gets `next_lsn` and goes
  // to the start of a fresh (new or reused) segment. Starts the flusher thread.
  static Result<std::unique_ptr<CommitLog>> Open(Config cfg, uint64_t next_lsn);
  // Flushes what was written (reporting through on_flushed) and stops the flusher.
  ~CommitLog();
  CommitLog(const CommitLog&) = delete;
  CommitLog& operator=(const CommitLog&) = delete;

  // Committer thread only. Writes record `lsn` (must be the next LSN) to the page cache.
  // IOError/ResourceExhausted when the write fails (the log is then unusable).
  Status Append(uint64_t lsn, std::string_view ops);
  // Where the next record will start (committer thread only).
  LogPosition tail() const { return {current_->slot, offset_}; }
  // Asks the flusher to flush everything appended so far without waiting out its interval.
  void RequestFlush();
  // Committer thread, when it has nothing else to do: if no flush is in flight, flushes
  // everything appended so far on the calling thread (reporting through on_flushed, as
  // the flusher would) and returns true. Returns false, doing nothing, while a flush is
  // in flight or after one failed; the caller then RequestFlush()es. Saves the flusher's
  // wake-up and its hand-back, two thread switches per flush, when commits come one at
  // a time; one flush is still in flight at a time.
  bool FlushNowIfIdle();
  // Blocks until every record <= lsn is durable (or a flush failed: returns its errno).
  int WaitFlushed(uint64_t lsn);
  // Segments holding only records <= a durable checkpoint's LSN, i.e. every segment in
  // use before the one holding `keep`, may be reused. Any thread.
  void Release(LogPosition keep);

  bool uses_io_uring() const { return ring_ != nullptr; }
  uint64_t appended_bytes() const;  // record bytes appended since Open
  uint64_t flushes() const;
  uint64_t segments() const;  // segment files in the directory

 private:
  struct Segment {
    uint64_t slot = 0;
    uint64_t size = 0;
    int fd = -1;
  };
  explicit CommitLog(Config cfg);
  Status LoadSegments();
  Result<Segment*> NextSegment(uint64_t need);  // a reusable or new segment of >= need bytes
  void RunFlusher();
  // Flushes everything written so far on the calling thread, which holds mu_ and no flush
  // is in flight; releases mu_ around the flush and the on_flushed call.
  void FlushLocked() REQUIRES(mu_);
  int FlushSegments(const std::vector<int>& fds);  // the flushing thread; 0 or the first errno

  struct Ring;  // io_uring state (commit_log.cc), used by the thread flushing (flushing_)
  std::unique_ptr<Ring> ring_;

  const Config cfg_;
  std::vector<std::unique_ptr<Segment>> all_;  // every segment file, by slot; fds stay open

  // Committer-thread state.
  Segment* current_ = nullptr;
  uint64_t offset_ = 0;
  uint64_t next_lsn_ = 0;
  uint64_t next_new_size_ = uint64_t{1} << 20;  // new segments start small and double

  mutable Mutex mu_;
  CondVar cv_;  // wakes the flusher
  CondVar flushed_cv_;
  std::vector<Segment*> in_use_ GUARDED_BY(mu_);  // segments of the chain, oldest first
  std::vector<Segment*> free_ GUARDED_BY(mu_);    // reusable segments
  std::vector<int> dirty_ GUARDED_BY(mu_);        // fds written since the flush began
  uint64_t written_lsn_ GUARDED_BY(mu_) = 0;
  uint64_t flushed_lsn_ GUARDED_BY(mu_) = 0;
  int flush_error_ GUARDED_BY(mu_) = 0;
  bool flush_requested_ GUARDED_BY(mu_) = false;
  bool flushing_ GUARDED_BY(mu_) = false;  // a flush is in flight (flusher or committer)
  bool stop_ GUARDED_BY(mu_) = false;
  uint64_t appended_bytes_ GUARDED_BY(mu_) = 0;
  uint64_t flushes_ GUARDED_BY(mu_) = 0;
  std::thread flusher_;
};

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_COMMIT_LOG_H_
