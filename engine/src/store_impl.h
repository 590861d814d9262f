// Store::Impl: the state shared by the committer (committer.cc), Open/Close and recovery
// (store_open.cc), checkpoints (checkpointer.cc) and the facade (store.cc). Internal.
//
// Commit pipeline (docs/architecture.md, "Commit pipeline"):
//   callers --Submit--> queue_ --committer takes all--> one LMDB write transaction, each
//   request applied in it (flat; on a failure again with one nested transaction each, so
//   a failing batch rolls back alone) while every table write is captured (redo.h)
//   --> the LMDB transaction commits without a flush --> the group's writes become one
//   commit-log record, written (page cache) --> kNoSync batches and dequeues are
//   acknowledged; kSync batches wait in pending_[lsn] --> the log's flusher fdatasyncs
//   (or the thread that applied the group, when nothing is queued and no flush runs)
//   --> OnFlushed(lsn) acknowledges every pending record <= lsn.
// A blocking caller alone in the store is its own committer (Lead): it applies its
// request as a group of one on its thread. applying_ lets one thread apply at a time.
// A group in which every batch failed writes no record and commits nothing.
//
// Checkpoints (checkpoint.h): after a commit, once enough log was written, the committer
// pins the snapshot it just made with a read transaction and hands it to the checkpointer
// thread, which waits until the log holds it durably, flushes data.mdb, records the
// snapshot's meta page in CHECKPOINT and lets the segments before it be reused.
#ifndef DURASTORE_ENGINE_STORE_IMPL_H_
#define DURASTORE_ENGINE_STORE_IMPL_H_

#include "durastore/store.h"

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "checkpoint.h"
#include "commit_log.h"
#include "lease_table.h"
#include "lmdb_env.h"
#include "lock_file.h"
#include "redo.h"
#include "store_internal.h"
#include "thread_annotations.h"
#include "write_context.h"

namespace durastore {
namespace internal {

struct Request {
  enum class Kind : uint8_t { kBatch, kDequeue, kFlush };
  Kind kind = Kind::kBatch;
  bool sync = true;  // acknowledged only once its record is flushed (kSync, Flush)
  Batch batch;
  std::string queue;                               // kDequeue
  const queue::DequeueOptions* dequeue = nullptr;  // kDequeue; the caller blocks on it
  Status status;
  CommitResult result;
  DequeueAttempt attempt;
  std::function<void(Request&)> done;
  // `done` only hands the outcome to a thread blocked in this Store (a Rendezvous): it
  // cannot block, so it runs on whichever store thread completes the request instead of
  // costing one more thread wake-up through the completer.
  bool done_is_rendezvous = false;
  bool in_flight = false;  // counted in Store::Impl::in_flight_ (Submit queued or led it)
};
using RequestPtr = std::unique_ptr<Request>;

inline constexpr std::string_view kSequencesKey = "sequences";
inline constexpr std::string_view kFormatKey = "format";
inline constexpr std::string_view kFormatValue = "durastore-3";
inline constexpr size_t kSequencesSize = 36;
// How often a read-only opener's tail waits look for the writer's new commits.
inline constexpr std::chrono::milliseconds kReadOnlyPoll{50};

// sys/"sequences": the counters and the LSN of the last record applied (docs/format.md).
inline std::string EncodeSequences(const Sequences& s, uint64_t lsn) {
  std::string v;
  internal::PutU64(v, s.next_position);
  internal::PutU64(v, s.next_message_id);
  internal::PutU64(v, s.next_stream_id);
  internal::PutU32(v, s.next_queue_id);
  internal::PutU64(v, lsn);
  return v;
}

// Decodes sys/"sequences" into `s` and the applied LSN: Corruption unless 36 bytes.
inline Status DecodeSequences(std::string_view v, Sequences* s, uint64_t* lsn) {
  if (v.size() != kSequencesSize) {
    return Status::Corruption("sequence record is not " + std::to_string(kSequencesSize) +
                              " bytes");
  }
  s->next_position = internal::GetU64(v, 0);
  s->next_message_id = internal::GetU64(v, 8);
  s->next_stream_id = internal::GetU64(v, 16);
  s->next_queue_id = internal::GetU32(v, 24);
  *lsn = internal::GetU64(v, 28);
  return Status::OK();
}

}  // namespace internal

using internal::Env;
using internal::Request;
using internal::RequestPtr;
using internal::Sequences;
using internal::WriteContext;

class DURASTORE_NO_EXPORT Store::Impl {
 public:
  Impl(std::string path, const Options& options)
      : path_(std::move(path)),
        options_(options),
        clock_(options.clock != nullptr ? options.clock : &SystemClock()) {}
  ~Impl() { (void)Close(); }

  Status Open(TestHooks hooks);
  Status Close();

  void Submit(RequestPtr r);
  Result<CommitResult> CommitBlocking(Batch batch, const CommitOptions& options);
  void CommitAsync(Batch batch, const CommitOptions& options,
                   std::function<void(Result<CommitResult>)> done, bool done_is_rendezvous = false);
  Status Flush();
  Result<DequeueAttempt> TryDequeue(std::string_view queue, const queue::DequeueOptions& o);

  // The environment for one read; Close waits until every reference is gone.
  Result<StoreInternal::EnvRef> GetEnv() {
    internal::MutexLock lock(&env_mu_);
    if (readers_env_ == nullptr) return Status::Unavailable("store " + path_ + " is closed");
    return StoreInternal::EnvRef(readers_env_);
  }
  Status health() const {
    internal::MutexLock lock(&pending_mu_);
    return sticky_;
  }
  PipelineStats stats() const;
  // Set by Open, read-only afterwards.
  uint64_t log_id() const { return log_id_; }
  const internal::SyncFn& sync() const { return sync_; }

  uint64_t CommittedPosition();
  Result<uint64_t> ReadCommittedPosition();
  void WaitForAppend(uint64_t after, StoreInternal::Deadline deadline);
  uint64_t QueueEpoch(std::string_view queue);
  void WaitForQueue(std::string_view queue, uint64_t epoch, StoreInternal::Deadline deadline);

  std::vector<std::string> repairs_;  // set by Open, then read-only
  const std::string path_;
  const Options options_;
  const Clock* const clock_;
  // In-memory leases: the committer changes them through a LeaseTable::Writer, readers
  // copy what they need (LiveLocksOf); the table locks itself.
  internal::LeaseTable leases_;
  // Components' per-store state (StoreInternal::Component), destroyed with the Store.
  internal::Mutex components_mu_;
  std::map<std::string, std::shared_ptr<void>, std::less<>> components_ GUARDED_BY(components_mu_);

 private:
  struct GroupEffects {
    std::vector<std::function<void()>> undo;  // in-memory changes, to undo on failure
    std::set<std::string> touched;            // queues whose waiters to wake
    bool appended = false;                    // tail readers to wake
  };
  // A snapshot pinned for a checkpoint: nothing of it is reused while `pin` is open.
  struct PinnedSnapshot {
    MDB_txn* pin = nullptr;
    internal::Checkpoint checkpoint;
  };

  // Open's steps (Open holds both thread roles until it starts the threads).
  Status OpenReadOnly();
  // OK when `stored` (the format marker's stored bytes, nullopt when absent) is this
  // build's format; else why the store cannot be read, naming an older format.
  Status CheckFormat(std::optional<std::string_view> stored) const;
  Status CheckFormat(MDB_txn* txn) const;
  // `existing`: the directory holds a store (Open checked its files); otherwise it was
  // missing or empty and a new store is created.
  Status OpenEnvironment(bool existing, bool* fresh) REQUIRES(committer_role_, checkpointer_role_);
  Status Recover(const internal::Checkpoint& c, uint64_t* last_lsn)
      REQUIRES(committer_role_, checkpointer_role_);
  Status ApplyLogRecord(std::string_view ops);
  Status LoadSequences(uint64_t* lsn) REQUIRES(committer_role_);

  // Committer thread, or a blocked caller leading a group of its own (Lead).
  // noexcept: an exception (only bad_alloc can get here) would leave applying_ taken and
  // hang the store; it ends the process, as one on the committer thread does.
  void Lead(RequestPtr r) noexcept;
  void Run();
  // Applies and logs a group; true when kSync requests of it wait for a flush.
  bool RunGroup(std::vector<RequestPtr> group) REQUIRES(committer_role_);
  void EndGroup(bool flush);
  uint64_t CommitGroup(std::vector<RequestPtr>& group, std::vector<RequestPtr>& retry)
      REQUIRES(committer_role_);
  bool ApplyGroup(MDB_txn* txn, bool nested, int64_t now, std::vector<RequestPtr>& group,
                  GroupEffects& fx, std::vector<RequestPtr>& retry) REQUIRES(committer_role_);
  void UndoGroup(std::vector<RequestPtr>& group, GroupEffects& fx, const Sequences& before)
      REQUIRES(committer_role_);
  static Request* SoleWrite(std::vector<RequestPtr>& group);
  void Requeue(std::vector<RequestPtr> retry);
  Status ApplyRequest(WriteContext& ctx, Request& r, internal::LeaseTable::Writer& leases)
      REQUIRES(committer_role_);
  Status GrowAheadIfNeeded();
  void FailAll(std::vector<RequestPtr>& group, const Status& s);
  void Publish(const std::set<std::string>& touched, bool appended) REQUIRES(committer_role_);
  void MaybeCheckpoint(uint64_t lsn) REQUIRES(committer_role_);

  // Checkpoints.
  Result<PinnedSnapshot> PinSnapshot(uint64_t lsn);
  Status Checkpoint(PinnedSnapshot snapshot) REQUIRES(checkpointer_role_);
  void RunCheckpointer();

  // Completion.
  void CompleteLater(std::vector<RequestPtr> done);
  void RunCompleter();
  void OnFlushed(uint64_t lsn, int err);
  void SetSticky(const Status& s);

  std::unique_ptr<internal::LockFile> lock_file_;
  // The environment: set by Open, released by Close once no store thread runs, read
  // freely in between. Readers get it through readers_env_, which Close takes away first.
  std::shared_ptr<Env> env_;
  internal::Mutex env_mu_;
  std::shared_ptr<Env> readers_env_ GUARDED_BY(env_mu_);
  std::unique_ptr<internal::CommitLog> log_;
  internal::SyncFn sync_;
  std::function<void(uint64_t lsn)> after_replay_;  // TestHooks::after_replay
  uint64_t log_id_ = 0;
  int checkpoint_fd_ = -1;

  // Submission queue.
  internal::Mutex queue_mu_;
  internal::CondVar queue_cv_;
  std::deque<RequestPtr> queue_ GUARDED_BY(queue_mu_);
  bool stopping_ GUARDED_BY(queue_mu_) = false;
  bool committer_idle_ GUARDED_BY(queue_mu_) = false;  // waiting for requests
  // One thread applies a group at a time: the committer thread or a leader (Lead).
  bool applying_ GUARDED_BY(queue_mu_) = false;
  int leaders_ GUARDED_BY(queue_mu_) = 0;  // callers in Lead, its flush included
  // Requests submitted and not yet completed (CompleteLater): a caller leads only when it
  // is alone.
  std::atomic<int64_t> in_flight_{0};
  // The last group's request count.
  size_t last_group_size_ GUARDED_BY(queue_mu_) = 1;
  std::atomic<bool> closed_{false};
  std::thread committer_;

  // Completion queue: callbacks run on their own thread.
  internal::Mutex complete_mu_;
  internal::CondVar complete_cv_;
  std::vector<RequestPtr> completions_ GUARDED_BY(complete_mu_);
  bool completer_stop_ GUARDED_BY(complete_mu_) = false;
  std::thread completer_;

  // Committer-thread state (Open and Close use it while the committer does not run).
  internal::ThreadRole committer_role_;
  Sequences seqs_ GUARDED_BY(committer_role_);
  uint64_t next_lsn_ GUARDED_BY(committer_role_) = 1;
  std::optional<internal::RedoRecorder> redo_ GUARDED_BY(committer_role_);
  int64_t last_lease_gc_ms_ GUARDED_BY(committer_role_) = 0;
  // Log bytes, LMDB's last page number and the time when the last checkpoint was pinned.
  uint64_t checkpoint_mark_bytes_ GUARDED_BY(committer_role_) = 0;
  uint64_t checkpoint_mark_pages_ GUARDED_BY(committer_role_) = 0;
  std::chrono::steady_clock::time_point checkpoint_mark_time_ GUARDED_BY(committer_role_);
  size_t page_size_ = 4096;  // set by Open, then read-only

  // The checkpointer.
  internal::Mutex checkpoint_mu_;
  internal::CondVar checkpoint_cv_;
  std::optional<PinnedSnapshot> checkpoint_next_ GUARDED_BY(checkpoint_mu_);
  bool checkpoint_stop_ GUARDED_BY(checkpoint_mu_) = false;
  std::atomic<bool> checkpoint_busy_{false};  // a snapshot is pinned and not yet done
  std::thread checkpointer_;
  // Checkpointer-thread state (Open and Close use it while the checkpointer does not run).
  internal::ThreadRole checkpointer_role_;
  // Pins the snapshot of the last durable checkpoint.
  MDB_txn* durable_pin_ GUARDED_BY(checkpointer_role_) = nullptr;
  uint64_t checkpoint_seq_ GUARDED_BY(checkpointer_role_) = 0;

  // Requests waiting for a flush, by LSN; the sticky error.
  mutable internal::Mutex pending_mu_;
  internal::CondVar pending_cv_;
  std::map<uint64_t, std::vector<RequestPtr>> pending_ GUARDED_BY(pending_mu_);
  uint64_t durable_lsn_ GUARDED_BY(pending_mu_) = 0;
  Status sticky_ GUARDED_BY(pending_mu_);

  // Long-poll and tail waiters.
  internal::Mutex wait_mu_;
  internal::CondVar wait_cv_;
  uint64_t committed_position_ GUARDED_BY(wait_mu_) = 0;
  std::unordered_map<std::string, uint64_t> queue_epochs_ GUARDED_BY(wait_mu_);

  std::atomic<uint64_t> stat_groups_{0}, stat_batches_{0}, stat_failed_{0}, stat_resizes_{0},
      stat_checkpoints_{0}, stat_replayed_{0};
};

}  // namespace durastore

#endif  // DURASTORE_ENGINE_STORE_IMPL_H_
