// Store: one durastore database directory, its committer and its reads.
//
// Open a Store with Store::Open; it owns the LMDB environment, a lock file that keeps a
// second process out, and one committer thread. Every write is a Batch committed through
// Commit/CommitAsync; the committer takes every batch waiting, applies each in its own
// nested transaction (a failing batch leaves no trace; the rest of its group commits),
// commits the group once and flushes once (group commit).
//
// Durability (per store default, overridable per commit):
//  - kSync: Commit returns only after the batch is on stable storage; it survives a
//    process crash and power loss.
//  - kNoSync: Commit returns once the batch is applied to the file (page cache); it
//    survives a process crash. On power loss or an OS crash, kNoSync commits made since
//    the last flush may be lost and - as with SQLite synchronous=OFF and LMDB MDB_NOSYNC,
//    because the OS may write pages out of order - the store may be left unreadable.
//    Use kNoSync only for data you can rebuild; Store::Flush hardens everything so far.
//    A kSync caller is never acknowledged by an unflushed commit.
//
// Failure: if a flush or commit fails with an IO error the store refuses every later
// write with Unavailable (sticky error) until it is reopened: the file's state after a
// failed fsync is unknown. Reads keep working.
//
// Thread-safety: every method is thread-safe, except that Close and destruction must not
// race with other calls on the same Store. Close waits for batches already handed to
// Commit/CommitAsync, flushes, and then fails later calls with Unavailable.
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
#include "durastore/status.h"

namespace durastore {

enum class Durability : uint8_t { kSync, kNoSync };

// How kSync flushes reach the disk.
enum class FlushMethod : uint8_t {
  kAuto,       // io_uring when built with liburing and the kernel allows it, else fdatasync
  kIoUring,    // io_uring or fail Open with Unavailable
  kFdatasync,  // a flusher thread calling fdatasync
};

struct Options {
  Durability durability = Durability::kSync;
  // Borrowed; must outlive the Store. nullptr = SystemClock().
  const Clock* clock = nullptr;
  bool create_if_missing = true;
  // The LMDB map starts at this size and doubles when full, up to max_map_size (then
  // commits fail with ResourceExhausted). The file only grows as data is written.
  size_t initial_map_size = size_t{64} << 20;
  size_t max_map_size = size_t{1} << 40;
  FlushMethod flush_method = FlushMethod::kAuto;
  // Most batches the committer takes into one group.
  size_t max_group_size = 4096;
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
  uint64_t groups = 0;          // LMDB write transactions committed
  uint64_t batches = 0;         // batches committed (including dequeues)
  uint64_t failed_batches = 0;  // batches rolled back alone
  uint64_t flushes = 0;         // flushes (fdatasync / io_uring fsync) completed
  uint64_t map_resizes = 0;
  bool using_io_uring = false;
};

class Store {
 public:
  // Opens (or creates) the store in directory `path`. Errors: Busy if another process
  // holds the store (the message names its pid), InvalidArgument for bad options,
  // NotFound if missing and !create_if_missing, IOError, Corruption.
  static Result<std::unique_ptr<Store>> Open(const std::string& path, const Options& options = {});

  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Applies `batch` all-or-nothing; blocks until done (for kSync: until flushed).
  Result<CommitResult> Commit(Batch batch, const CommitOptions& options = {});

  // Same, completing `done` on an internal thread. `done` must not block on the Store
  // (e.g. call Commit); it may call CommitAsync. It is called exactly once.
  void CommitAsync(Batch batch, const CommitOptions& options,
                   std::function<void(Result<CommitResult>)> done);
  std::future<Result<CommitResult>> CommitAsync(Batch batch, const CommitOptions& options = {});

  // Makes everything committed so far durable (useful after kNoSync commits).
  Status Flush();

  // Waits for pending commits, flushes and stops the committer. Later calls fail with
  // Unavailable. Called by the destructor.
  Status Close();

  // --- metadata reads (own read transaction) ---
  Result<std::string> Get(std::string_view key);  // NotFound if absent
  // Keys with `prefix`, ascending, at most `limit`; starting after `start_after` if set.
  Result<std::vector<std::pair<std::string, std::string>>> Scan(std::string_view prefix,
                                                                size_t limit = 1000,
                                                                std::string_view start_after = {});

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
