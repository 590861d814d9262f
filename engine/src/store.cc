// Store: the committer thread (group commit), the commit log's flush acknowledgements,
// checkpoints and recovery, the long-poll waiters and the public facade.
//
// Commit pipeline (docs/architecture.md, "Commit pipeline"):
//   callers --Submit--> queue_ --committer takes all--> one LMDB write transaction, each
//   request applied in it (flat; on a failure again with one nested transaction each, so
//   a failing batch rolls back alone) while every table write is captured (redo.h)
//   --> the group's writes become one commit-log record, written (page cache) --> the
//   LMDB transaction commits without a flush --> kNoSync batches and dequeues are
//   acknowledged; kSync batches wait in pending_[lsn] --> the log's flusher fdatasyncs
//   --> OnFlushed(lsn) acknowledges every pending record <= lsn.
// A group in which every batch failed writes no record and commits nothing.
//
// Checkpoints (checkpoint.h): after a commit, once enough log was written, the committer
// pins the snapshot it just made with a read transaction and hands it to the checkpointer
// thread, which waits until the log holds it durably, flushes data.mdb, records the
// snapshot's meta page in CHECKPOINT and lets the segments before it be reused.
#include "durastore/store.h"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "batch_rep.h"
#include "checkpoint.h"
#include "commit_log.h"
#include "eventlog_internal.h"
#include "file_util.h"
#include "lmdb_env.h"
#include "lock_file.h"
#include "queue_internal.h"
#include "redo.h"
#include "status_macros.h"
#include "store_internal.h"
#include "write_context.h"

namespace durastore {

using internal::Env;
using internal::Sequences;
using internal::WriteContext;

namespace {

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
};
using RequestPtr = std::unique_ptr<Request>;

constexpr std::string_view kSequencesKey = "sequences";
constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kFormatValue = "durastore-2";
constexpr std::string_view kOldFormatValue = "durastore-1";
constexpr size_t kSequencesSize = 36;

// sys/"sequences": the counters and the LSN of the last record applied (docs/format.md).
std::string EncodeSequences(const Sequences& s, uint64_t lsn) {
  std::string v;
  internal::PutU64(v, s.next_position);
  internal::PutU64(v, s.next_message_id);
  internal::PutU64(v, s.next_stream_id);
  internal::PutU32(v, s.next_queue_id);
  internal::PutU64(v, lsn);
  return v;
}

uint64_t RandomLogId() {
  uint64_t id = 0;
  while (id == 0) {
    if (getrandom(&id, sizeof(id), 0) != sizeof(id)) {
      id = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
           (static_cast<uint64_t>(getpid()) << 32);
    }
  }
  return id;
}

// A one-shot rendezvous for blocking calls, cheaper than std::promise (no call_once, no
// shared-state allocation). Set notifies while holding the mutex, so the waiter cannot
// return and destroy the object before Set stops touching it.
template <typename T>
class Rendezvous {
 public:
  void Set(T value) {
    std::lock_guard<std::mutex> lock(mu_);
    value_.emplace(std::move(value));
    cv_.notify_one();
  }
  T Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return value_.has_value(); });
    return std::move(*value_);
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<T> value_;
};

}  // namespace

// ---------------------------------------------------------------------------------------

class Store::Impl {
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
    std::lock_guard<std::mutex> lock(env_mu_);
    if (closed_.load(std::memory_order_acquire) || env_ == nullptr) {
      return Status::Unavailable("store " + path_ + " is closed");
    }
    return StoreInternal::EnvRef(env_);
  }
  Status health() const {
    std::lock_guard<std::mutex> lock(pending_mu_);
    return sticky_;
  }
  PipelineStats stats() const;

  uint64_t CommittedPosition() {
    std::lock_guard<std::mutex> lock(wait_mu_);
    return committed_position_;
  }
  void WaitForAppend(uint64_t after, StoreInternal::Deadline deadline);
  uint64_t QueueEpoch(std::string_view queue);
  void WaitForQueue(std::string_view queue, uint64_t epoch, StoreInternal::Deadline deadline);

  const std::string path_;
  const Options options_;
  const Clock* const clock_;
  internal::LeaseTable leases_;

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

  // Open's steps.
  Status OpenEnvironment(bool* fresh);
  Status Recover(const internal::Checkpoint& c, uint64_t* last_lsn);
  Status ApplyLogRecord(std::string_view ops);
  Status LoadSequences(uint64_t* lsn);

  // Committer thread.
  void Run();
  void RunGroup(std::vector<RequestPtr> group);
  uint64_t CommitGroup(std::vector<RequestPtr>& group, std::vector<RequestPtr>& retry);
  bool ApplyGroup(MDB_txn* txn, bool nested, int64_t now, std::vector<RequestPtr>& group,
                  GroupEffects& fx, std::vector<RequestPtr>& retry);
  void UndoGroup(std::vector<RequestPtr>& group, GroupEffects& fx, const Sequences& before);
  static Request* SoleWrite(std::vector<RequestPtr>& group);
  void Requeue(std::vector<RequestPtr> retry);
  Status ApplyRequest(WriteContext& ctx, Request& r);
  Status GrowAheadIfNeeded();
  void FailAll(std::vector<RequestPtr>& group, const Status& s);
  void Publish(const std::set<std::string>& touched, bool appended);
  void MaybeCheckpoint(uint64_t lsn);

  // Checkpoints.
  Result<PinnedSnapshot> PinSnapshot(uint64_t lsn);
  Status Checkpoint(PinnedSnapshot snapshot);
  void RunCheckpointer();

  // Completion.
  void CompleteLater(std::vector<RequestPtr> done);
  void RunCompleter();
  void OnFlushed(uint64_t lsn, int err);
  void SetSticky(const Status& s);

  std::unique_ptr<internal::LockFile> lock_file_;
  std::mutex env_mu_;         // guards env_ against Close
  std::shared_ptr<Env> env_;  // shared with readers' EnvRefs
  std::unique_ptr<internal::CommitLog> log_;
  internal::SyncFn sync_;
  uint64_t log_id_ = 0;
  int checkpoint_fd_ = -1;

  // Submission queue.
  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<RequestPtr> queue_;  // guarded by queue_mu_
  bool stopping_ = false;         // guarded by queue_mu_
  bool committer_idle_ = false;   // guarded by queue_mu_: waiting for requests
  std::atomic<bool> closed_{false};
  std::thread committer_;

  // Completion queue: callbacks run on their own thread.
  std::mutex complete_mu_;
  std::condition_variable complete_cv_;
  std::vector<RequestPtr> completions_;  // guarded by complete_mu_
  bool completer_stop_ = false;          // guarded by complete_mu_
  std::thread completer_;

  // Committer-thread state (Open and Close use it while the committer does not run).
  Sequences seqs_;
  uint64_t next_lsn_ = 1;
  std::optional<internal::RedoRecorder> redo_;
  size_t page_size_ = 4096;
  int64_t last_lease_gc_ms_ = 0;
  uint64_t checkpoint_mark_bytes_ = 0;  // log bytes when the last checkpoint was pinned
  std::chrono::steady_clock::time_point checkpoint_mark_time_;

  // The checkpointer.
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  std::optional<PinnedSnapshot> checkpoint_next_;  // guarded by checkpoint_mu_
  bool checkpoint_stop_ = false;                   // guarded by checkpoint_mu_
  std::atomic<bool> checkpoint_busy_{false};       // a snapshot is pinned and not yet done
  std::thread checkpointer_;
  // Checkpointer-thread state (Open and Close use it while the checkpointer does not run).
  MDB_txn* durable_pin_ = nullptr;  // pins the snapshot of the last durable checkpoint
  uint64_t checkpoint_seq_ = 0;

  // Requests waiting for a flush, by LSN; the sticky error.
  mutable std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::map<uint64_t, std::vector<RequestPtr>> pending_;  // guarded by pending_mu_
  uint64_t durable_lsn_ = 0;                             // guarded by pending_mu_
  Status sticky_;                                        // guarded by pending_mu_

  // Long-poll and tail waiters.
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  uint64_t committed_position_ = 0;                         // guarded by wait_mu_
  std::unordered_map<std::string, uint64_t> queue_epochs_;  // guarded by wait_mu_

  std::atomic<uint64_t> stat_groups_{0}, stat_batches_{0}, stat_failed_{0}, stat_resizes_{0},
      stat_checkpoints_{0}, stat_replayed_{0};
};

Status Store::Impl::Open(TestHooks hooks) {
  if (options_.initial_map_size < (size_t{1} << 20)) {
    return Status::InvalidArgument("Options.initial_map_size must be at least 1 MiB");
  }
  if (options_.max_map_size < options_.initial_map_size) {
    return Status::InvalidArgument("Options.max_map_size is smaller than initial_map_size");
  }
  if (options_.max_group_size == 0) {
    return Status::InvalidArgument("Options.max_group_size must be at least 1");
  }
  if (options_.log_segment_size < (uint64_t{1} << 20) || options_.background_flush_ms <= 0 ||
      options_.checkpoint_interval_ms <= 0 || options_.checkpoint_log_bytes == 0) {
    return Status::InvalidArgument(
        "Options.log_segment_size must be at least 1 MiB, and background_flush_ms, "
        "checkpoint_interval_ms and checkpoint_log_bytes positive");
  }
  sync_ =
      hooks.fdatasync ? internal::SyncFn(hooks.fdatasync) : internal::SyncFn(internal::Fdatasync);
  std::error_code ec;
  const bool created = !std::filesystem::exists(path_, ec);
  if (created) {
    if (!options_.create_if_missing) return Status::NotFound("store " + path_ + " does not exist");
    std::filesystem::create_directories(path_, ec);
    if (ec) return Status::IOError("cannot create " + path_ + ": " + ec.message());
  } else if (!std::filesystem::is_directory(path_, ec)) {
    return Status::InvalidArgument(path_ + " is not a directory");
  }
  ASSIGN_OR_RETURN(lock_file_, internal::LockFile::Acquire(path_));

  bool fresh = false;
  RETURN_IF_ERROR(OpenEnvironment(&fresh));
  std::string checkpoint_path = path_ + "/" + internal::kCheckpointFile;
  checkpoint_fd_ = ::open(checkpoint_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (checkpoint_fd_ < 0) return internal::ErrnoStatus("cannot open " + checkpoint_path, errno);

  internal::CommitLog::Config log_config;
  log_config.dir = path_;
  log_config.log_id = log_id_;
  log_config.segment_size = options_.log_segment_size;
  log_config.sync = sync_;
  log_config.background_flush_ms = options_.background_flush_ms;
  log_config.on_flushed = [this](uint64_t lsn, int err) { OnFlushed(lsn, err); };
  ASSIGN_OR_RETURN(log_, internal::CommitLog::Open(std::move(log_config), next_lsn_));
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    durable_lsn_ = next_lsn_ - 1;
  }
  // Everything replayed (or created) becomes a durable checkpoint before the first new
  // record can reuse a segment that held it.
  ASSIGN_OR_RETURN(PinnedSnapshot snapshot, PinSnapshot(next_lsn_ - 1));
  RETURN_IF_ERROR(Checkpoint(std::move(snapshot)));
  if (fresh || created) {
    RETURN_IF_ERROR(internal::SyncDirectory(path_));
    if (created) {
      RETURN_IF_ERROR(
          internal::SyncDirectory(std::filesystem::absolute(path_).parent_path().string()));
    }
  }
  committed_position_ = seqs_.next_position - 1;
  checkpoint_mark_time_ = std::chrono::steady_clock::now();
  completer_ = std::thread([this] { RunCompleter(); });
  checkpointer_ = std::thread([this] { RunCheckpointer(); });
  committer_ = std::thread([this] { Run(); });
  return Status::OK();
}

// Opens LMDB at the last checkpoint and replays the log after it, or creates a new store.
Status Store::Impl::OpenEnvironment(bool* fresh) {
  ASSIGN_OR_RETURN(std::optional<internal::Checkpoint> checkpoint, internal::ReadCheckpoint(path_));
  const std::string data_path = path_ + "/data.mdb";
  std::error_code ec;
  const bool have_data = std::filesystem::exists(data_path, ec);
  if (checkpoint.has_value()) {
    if (!have_data) {
      return Status::Corruption("store " + path_ +
                                " has a CHECKPOINT but no data.mdb: its data "
                                "file was lost");
    }
    if (!checkpoint->clean)
      RETURN_IF_ERROR(internal::RestoreMetaPages(data_path, *checkpoint, sync_));
  }
  auto opened = Env::Open(path_, options_.initial_map_size, options_.max_map_size);
  if (!opened.ok()) return opened.status();
  {
    std::lock_guard<std::mutex> lock(env_mu_);
    env_ = std::shared_ptr<Env>(std::move(*opened));
  }
  MDB_stat st;
  int rc = mdb_env_stat(env_->raw(), &st);
  if (rc != 0) return internal::LmdbStatus(rc, "mdb_env_stat");
  page_size_ = st.ms_psize;
  redo_.emplace(env_->tables());

  std::string found;  // the format marker, empty when absent
  {
    ASSIGN_OR_RETURN(internal::ReadTxn read, env_->BeginRead());
    auto format = internal::Get(read.get(), env_->tables().sys, kFormatKey);
    if (format.ok()) {
      found = std::string(*format);
    } else if (format.status().code() != Code::kNotFound) {
      return format.status();
    }
  }
  if (found == kOldFormatValue) {
    return Status::InvalidArgument(
        "store " + path_ +
        " is in format durastore-1 (LMDB as the commit point, durastore "
        "0.1); this build reads format durastore-2 (commit log) and does not convert it: read "
        "it with the build that wrote it and copy its contents into a new store");
  }
  if (!checkpoint.has_value()) {
    if (!found.empty()) {
      return Status::Corruption("store " + path_ +
                                " has data.mdb but no CHECKPOINT file: the "
                                "checkpoint file was lost");
    }
    // A new store.
    *fresh = true;
    log_id_ = RandomLogId();
    ASSIGN_OR_RETURN(internal::Txn txn, env_->BeginWrite());
    RETURN_IF_ERROR(internal::Put(txn.get(), env_->tables().sys, kFormatKey, kFormatValue));
    RETURN_IF_ERROR(
        internal::Put(txn.get(), env_->tables().sys, kSequencesKey, EncodeSequences(seqs_, 0)));
    rc = txn.Commit();
    if (rc != 0) return internal::LmdbStatus(rc, "initialising store");
    next_lsn_ = 1;
    return Status::OK();
  }
  if (found != kFormatValue) {
    return Status::Corruption("store " + path_ + " has unknown format '" +
                              internal::Printable(found) + "'");
  }
  log_id_ = checkpoint->log_id;
  checkpoint_seq_ = checkpoint->seq;
  uint64_t last_lsn = 0;
  RETURN_IF_ERROR(Recover(*checkpoint, &last_lsn));
  next_lsn_ = last_lsn + 1;
  return Status::OK();
}

Status Store::Impl::Recover(const internal::Checkpoint& c, uint64_t* last_lsn) {
  uint64_t applied = 0;
  RETURN_IF_ERROR(LoadSequences(&applied));
  if (applied != c.lsn) {
    return Status::Corruption("store " + path_ +
                              ": the checkpointed LMDB snapshot holds log "
                              "record " +
                              std::to_string(applied) + ", its checkpoint says " +
                              std::to_string(c.lsn));
  }
  ASSIGN_OR_RETURN(
      internal::LogScan scan,
      internal::ScanLog(path_, c.log_id, c.next, c.lsn + 1,
                        [this](uint64_t, std::string_view ops) { return ApplyLogRecord(ops); }));
  stat_replayed_ = scan.records;
  RETURN_IF_ERROR(LoadSequences(&applied));
  if (applied != scan.last_lsn) {
    return Status::Corruption("store " + path_ + ": after replaying the log up to record " +
                              std::to_string(scan.last_lsn) + " the store says " +
                              std::to_string(applied));
  }
  *last_lsn = scan.last_lsn;
  return Status::OK();
}

Status Store::Impl::ApplyLogRecord(std::string_view ops) {
  for (;;) {
    ASSIGN_OR_RETURN(internal::Txn txn, env_->BeginWrite());
    Status s = internal::ReplayRedo(txn.get(), env_->tables(), ops);
    int rc = s.ok() ? txn.Commit() : 0;
    if (s.ok() && rc == 0) return Status::OK();
    if (!(rc == MDB_MAP_FULL || internal::IsMapFull(s))) {
      return s.ok() ? internal::LmdbStatus(rc, "replaying the commit log") : s;
    }
    txn.Abort();
    RETURN_IF_ERROR(env_->Grow());
    stat_resizes_.fetch_add(1, std::memory_order_relaxed);
  }
}

Status Store::Impl::LoadSequences(uint64_t* lsn) {
  ASSIGN_OR_RETURN(internal::ReadTxn txn, env_->BeginRead());
  ASSIGN_OR_RETURN(std::string_view seq,
                   internal::Get(txn.get(), env_->tables().sys, kSequencesKey));
  if (seq.size() != kSequencesSize) {
    return Status::Corruption("sequence record is not " + std::to_string(kSequencesSize) +
                              " bytes");
  }
  seqs_.next_position = internal::GetU64(seq, 0);
  seqs_.next_message_id = internal::GetU64(seq, 8);
  seqs_.next_stream_id = internal::GetU64(seq, 16);
  seqs_.next_queue_id = internal::GetU32(seq, 24);
  *lsn = internal::GetU64(seq, 28);
  return Status::OK();
}

Status Store::Impl::Close() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) return Status::OK();
    stopping_ = true;
  }
  queue_cv_.notify_all();
  if (committer_.joinable()) committer_.join();  // drains every submitted request
  if (log_ != nullptr) log_->RequestFlush();
  {
    // Wait for in-flight flushes so no kSync caller is left hanging.
    std::unique_lock<std::mutex> lock(pending_mu_);
    pending_cv_.wait(lock, [this] { return pending_.empty(); });
  }
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.notify_all();
  if (checkpointer_.joinable()) checkpointer_.join();
  Status result = health();
  // A final, clean checkpoint: the next Open replays nothing and trusts LMDB's meta page.
  if (result.ok() && log_ != nullptr) {
    auto snapshot = PinSnapshot(next_lsn_ - 1);
    if (snapshot.ok()) snapshot->checkpoint.clean = true;
    result = snapshot.ok() ? Checkpoint(std::move(*snapshot)) : snapshot.status();
  }
  {
    std::lock_guard<std::mutex> lock(complete_mu_);
    completer_stop_ = true;
  }
  complete_cv_.notify_one();
  if (completer_.joinable()) completer_.join();  // every callback has run
  closed_.store(true, std::memory_order_release);
  { std::lock_guard<std::mutex> lock(wait_mu_); }
  wait_cv_.notify_all();
  log_.reset();
  std::shared_ptr<Env> env;
  {
    std::lock_guard<std::mutex> lock(env_mu_);
    env.swap(env_);
  }
  // Readers that got the environment before `closed_` finish with it first.
  while (env != nullptr && env.use_count() > 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (durable_pin_ != nullptr) mdb_txn_abort(durable_pin_);
  durable_pin_ = nullptr;
  env.reset();
  if (checkpoint_fd_ >= 0) ::close(checkpoint_fd_);
  checkpoint_fd_ = -1;
  lock_file_.reset();
  return result;
}

void Store::Impl::Submit(RequestPtr r) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (!stopping_) {
      queue_.push_back(std::move(r));
      // A busy committer takes the request with its next group: no wake-up syscall.
      if (committer_idle_) queue_cv_.notify_one();
      return;
    }
  }
  r->status = Status::Unavailable("store " + path_ + " is closed");
  r->done(*r);  // the completer may be gone: the caller's thread, as store.h says
}

Result<CommitResult> Store::Impl::CommitBlocking(Batch batch, const CommitOptions& options) {
  Rendezvous<Result<CommitResult>> rendezvous;
  CommitAsync(
      std::move(batch), options,
      [&rendezvous](Result<CommitResult> r) { rendezvous.Set(std::move(r)); },
      /*done_is_rendezvous=*/true);
  return rendezvous.Wait();
}

void Store::Impl::CommitAsync(Batch batch, const CommitOptions& options,
                              std::function<void(Result<CommitResult>)> done,
                              bool done_is_rendezvous) {
  auto r = std::make_unique<Request>();
  r->done_is_rendezvous = done_is_rendezvous;
  r->kind = Request::Kind::kBatch;
  r->sync = options.durability.value_or(options_.durability) == Durability::kSync;
  r->done = [done = std::move(done)](Request& req) {
    if (req.status.ok()) {
      done(std::move(req.result));
    } else {
      done(req.status);
    }
  };
  Status valid = internal::ValidateBatch(internal::BatchRep::Of(batch));
  if (!valid.ok()) {
    r->status = valid;
    std::vector<RequestPtr> one;
    one.push_back(std::move(r));
    CompleteLater(std::move(one));  // on the completer thread, like every other outcome
    return;
  }
  r->batch = std::move(batch);
  Submit(std::move(r));
}

Status Store::Impl::Flush() {
  Rendezvous<Status> rendezvous;
  auto r = std::make_unique<Request>();
  r->kind = Request::Kind::kFlush;
  r->sync = true;
  r->done_is_rendezvous = true;
  r->done = [&rendezvous](Request& req) { rendezvous.Set(req.status); };
  Submit(std::move(r));
  return rendezvous.Wait();
}

Result<DequeueAttempt> Store::Impl::TryDequeue(std::string_view queue,
                                               const queue::DequeueOptions& options) {
  Rendezvous<Result<DequeueAttempt>> rendezvous;
  auto r = std::make_unique<Request>();
  r->kind = Request::Kind::kDequeue;
  r->sync = false;  // a lease is logged but never waits for a flush (store.h)
  r->done_is_rendezvous = true;
  r->queue = std::string(queue);
  r->dequeue = &options;
  r->done = [&rendezvous](Request& req) {
    if (req.status.ok()) {
      rendezvous.Set(std::move(req.attempt));
    } else {
      rendezvous.Set(req.status);
    }
  };
  Submit(std::move(r));
  return rendezvous.Wait();
}

void Store::Impl::Run() {
  for (;;) {
    std::vector<RequestPtr> group;
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      committer_idle_ = true;
      queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      committer_idle_ = false;
      if (queue_.empty()) return;  // stopping and drained
      while (!queue_.empty() && group.size() < options_.max_group_size) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunGroup(std::move(group));
  }
}

void Store::Impl::FailAll(std::vector<RequestPtr>& group, const Status& s) {
  for (auto& r : group) {
    if (r != nullptr) r->status = s;
  }
  CompleteLater(std::move(group));
  group.clear();
}

Status Store::Impl::GrowAheadIfNeeded() {
  MDB_envinfo info;
  int rc = mdb_env_info(env_->raw(), &info);
  if (rc != 0) return internal::LmdbStatus(rc, "mdb_env_info");
  size_t used = (info.me_last_pgno + 1) * page_size_;
  if (used * 4 < env_->map_size() * 3) return Status::OK();
  Status s = env_->Grow();
  if (s.ok()) stat_resizes_.fetch_add(1, std::memory_order_relaxed);
  return s;
}
Status Store::Impl::ApplyRequest(WriteContext& ctx, Request& r) {
  if (r.kind == Request::Kind::kDequeue) {
    ASSIGN_OR_RETURN(r.attempt, internal::ApplyDequeue(ctx, leases_, r.queue, *r.dequeue));
    return Status::OK();
  }
  const auto& t = *ctx.tables;
  for (const internal::Op& op : internal::BatchRep::Of(r.batch).ops) {
    Status s = std::visit(
        [&](const auto& o) -> Status {
          using T = std::decay_t<decltype(o)>;
          if constexpr (std::is_same_v<T, internal::AppendOp>) {
            return eventlog::internal::ApplyAppend(ctx, o);
          } else if constexpr (std::is_same_v<T, internal::TruncateOp>) {
            return eventlog::internal::ApplyTruncate(ctx, o);
          } else if constexpr (std::is_same_v<T, internal::DeletePartitionOp>) {
            return eventlog::internal::ApplyDeletePartition(ctx, o);
          } else if constexpr (std::is_same_v<T, internal::DeleteStreamOp>) {
            return eventlog::internal::ApplyDeleteStream(ctx, o);
          } else if constexpr (std::is_same_v<T, internal::EnqueueOp>) {
            return internal::ApplyEnqueue(ctx, o);
          } else if constexpr (std::is_same_v<T, internal::ConfigureQueueOp>) {
            return internal::ApplyConfigureQueue(ctx, o);
          } else if constexpr (std::is_same_v<T, internal::SettleOp>) {
            return internal::ApplySettle(ctx, leases_, o);
          } else if constexpr (std::is_same_v<T, internal::DeleteMessagesOp>) {
            return internal::ApplyDeleteMessages(ctx, leases_, o);
          } else if constexpr (std::is_same_v<T, internal::PutOp>) {
            return internal::Put(ctx.txn, t.meta, o.key, o.value);
          } else if constexpr (std::is_same_v<T, internal::DeleteOp>) {
            return internal::Del(ctx.txn, t.meta, o.key);
          } else {
            static_assert(std::is_same_v<T, internal::DeleteRangeOp>);
            internal::Cursor cur(ctx.txn, t.meta);
            MDB_val k, v;
            int rc = o.begin.empty() ? cur.First(&k, &v) : cur.Seek(o.begin, &k, &v);
            while (rc == 0 && (o.end.empty() || internal::View(k) < o.end)) {
              rc = internal::CursorDelete(cur.get());
              if (rc != 0) return internal::LmdbStatus(rc, "deleting metadata range");
              rc = cur.Next(&k, &v);
            }
            if (rc != 0 && rc != MDB_NOTFOUND) return internal::LmdbStatus(rc, "metadata range");
            return Status::OK();
          }
        },
        op);
    if (!s.ok()) return s;
  }
  return Status::OK();
}

// The group's only write request, or null when it has none or several.
Request* Store::Impl::SoleWrite(std::vector<RequestPtr>& group) {
  Request* only = nullptr;
  for (auto& r : group) {
    if (r == nullptr || r->kind == Request::Kind::kFlush) continue;
    if (only != nullptr) return nullptr;
    only = r.get();
  }
  return only;
}

// Applies every write request of `group` inside `txn`, capturing its writes in redo_.
// Flat mode applies them directly in `txn` and stops at the first failure (sets its
// status and returns false: the caller discards the transaction and fails that request
// alone or replays in nested mode). Nested mode gives each request its own nested
// transaction, so a failing request is rolled back alone, its captured writes with it.
// Requests that hit MDB_MAP_FULL are moved to `retry` (nested mode only).
bool Store::Impl::ApplyGroup(MDB_txn* txn, bool nested, int64_t now, std::vector<RequestPtr>& group,
                             GroupEffects& fx, std::vector<RequestPtr>& retry) {
  std::lock_guard<std::mutex> lock(leases_.mu);
  internal::RedoScope capture(&*redo_);
  for (auto& r : group) {
    if (r == nullptr || r->kind == Request::Kind::kFlush) continue;
    MDB_txn* target = txn;
    if (nested) {
      int rc = mdb_txn_begin(env_->raw(), txn, 0, &target);
      if (rc != 0) {
        r->status = internal::LmdbStatus(rc, "beginning nested transaction");
        continue;
      }
    }
    const Sequences saved = seqs_;
    const size_t mark = redo_->Mark();
    WriteContext ctx;
    ctx.txn = target;
    ctx.tables = &env_->tables();
    ctx.now_ms = now;
    ctx.seq = &seqs_;
    ctx.result = &r->result;
    Status s = ApplyRequest(ctx, *r);
    if (nested) {
      if (s.ok()) {
        int rc = mdb_txn_commit(target);
        if (rc != 0) s = internal::LmdbStatus(rc, "committing nested transaction");
      } else {
        mdb_txn_abort(target);
      }
    }
    if (!s.ok()) {
      for (auto it = ctx.undo.rbegin(); it != ctx.undo.rend(); ++it) (*it)();
      seqs_ = saved;
      redo_->Rollback(mark);
      r->result = CommitResult();
      r->attempt = DequeueAttempt();
      r->status = s;
      if (!nested) return false;
      if (internal::IsMapFull(s)) {
        r->status = Status::OK();
        retry.push_back(std::move(r));  // leaves a null slot in `group`
      }
      continue;
    }
    for (auto& u : ctx.undo) fx.undo.push_back(std::move(u));
    fx.touched.merge(ctx.touched_queues);
    fx.appended |= ctx.appended;
  }
  return true;
}

void Store::Impl::UndoGroup(std::vector<RequestPtr>& group, GroupEffects& fx,
                            const Sequences& before) {
  {
    std::lock_guard<std::mutex> lock(leases_.mu);
    for (auto it = fx.undo.rbegin(); it != fx.undo.rend(); ++it) (*it)();
  }
  fx = GroupEffects();
  seqs_ = before;
  redo_->Clear();
  for (auto& r : group) {
    if (r == nullptr) continue;
    r->status = Status::OK();
    r->result = CommitResult();
    r->attempt = DequeueAttempt();
  }
}

// Applies the write requests of a group, logs what they wrote as record next_lsn_ and
// commits. Sets each request's status; requests to run again after growing the map are
// moved to `retry`. Returns the record's LSN, or 0 when nothing was written (every
// request failed or had nothing to do).
uint64_t Store::Impl::CommitGroup(std::vector<RequestPtr>& group, std::vector<RequestPtr>& retry) {
  const Sequences before = seqs_;
  const int64_t now = clock_->NowMs();
  {
    std::lock_guard<std::mutex> lock(leases_.mu);
    if (now - last_lease_gc_ms_ > 1000) {
      leases_.DropExpired(now);
      last_lease_gc_ms_ = now;
    }
  }
  GroupEffects fx;
  redo_->Clear();
  auto txn = env_->BeginWrite();
  // Most groups have no failing request: apply them flat (no nested transaction, ~40%
  // less CPU), and replay with nested transactions only when one fails.
  if (txn.ok() && !ApplyGroup(txn->get(), /*nested=*/false, now, group, fx, retry)) {
    txn->Abort();
    // A group of one failing batch has nothing else to keep: fail it without the replay
    // (a nested transaction costs LMDB ~3 MiB of allocations).
    Request* only = SoleWrite(group);
    Status failed = only != nullptr ? only->status : Status::OK();
    UndoGroup(group, fx, before);
    if (only != nullptr && !internal::IsMapFull(failed)) {
      only->status = failed;
      return 0;
    }
    txn = env_->BeginWrite();
    if (txn.ok()) ApplyGroup(txn->get(), /*nested=*/true, now, group, fx, retry);
  }
  if (!txn.ok()) {
    UndoGroup(group, fx, before);
    for (auto& r : group) {
      if (r != nullptr) r->status = txn.status();
    }
    return 0;
  }
  if (redo_->empty()) return 0;  // nothing to log: the transaction aborts unwritten
  const uint64_t lsn = next_lsn_;
  Status s;
  {
    internal::RedoScope capture(&*redo_);
    s = internal::Put(txn->get(), env_->tables().sys, kSequencesKey, EncodeSequences(seqs_, lsn));
  }
  // LMDB commits first: a commit that fails (disk full, map full) leaves nothing in the log,
  // so the group cleanly did not happen. A process crash before the log write below loses
  // the group although readers may have seen it - it was acknowledged to nobody.
  int rc = s.ok() ? txn->Commit() : 0;
  if (internal::IsMapFull(s) || rc == MDB_MAP_FULL) {
    // Nothing of the group reached the file: undo and run every request again.
    txn->Abort();
    UndoGroup(group, fx, before);
    for (auto& r : group) {
      if (r != nullptr) retry.push_back(std::move(r));
    }
    group.clear();
    return 0;
  }
  if (s.ok() && rc != 0) s = internal::LmdbStatus(rc, "committing group");
  if (!s.ok()) {
    txn->Abort();
    UndoGroup(group, fx, before);
  } else {
    s = log_->Append(lsn, redo_->ops());
  }
  if (!s.ok()) {
    // LMDB's or the log's state is unknown (a partial record, a half-written commit):
    // refuse writes until a reopen recovers from the checkpoint and the log.
    SetSticky(s);
    for (auto& r : group) {
      if (r != nullptr) r->status = s;
    }
    return 0;
  }
  ++next_lsn_;
  stat_groups_.fetch_add(1, std::memory_order_relaxed);
  Publish(fx.touched, fx.appended);
  return lsn;
}

void Store::Impl::RunGroup(std::vector<RequestPtr> group) {
  {
    Status sticky = health();
    if (!sticky.ok()) {
      FailAll(group,
              Status::Unavailable("store " + path_ +
                                  " failed earlier and must be reopened: " + sticky.ToString()));
      return;
    }
  }
  (void)GrowAheadIfNeeded();  // at the maximum size, commits that do not fit fail below

  bool has_writes = false;
  for (const auto& r : group) has_writes |= r->kind != Request::Kind::kFlush;
  std::vector<RequestPtr> retry;  // hit MDB_MAP_FULL: grow and run again
  const uint64_t lsn = has_writes ? CommitGroup(group, retry) : 0;
  // kSync requests wait for the flush covering the last record so far: their own, or for
  // Flush (and a failed request's kSync caller needs nothing) the latest one.
  const uint64_t last = next_lsn_ - 1;
  bool wait_flush = false;
  std::vector<RequestPtr> now_done;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    for (auto& r : group) {
      if (r == nullptr) continue;
      if (r->kind != Request::Kind::kFlush) {
        (r->status.ok() ? stat_batches_ : stat_failed_).fetch_add(1, std::memory_order_relaxed);
      }
      const bool needs_flush = r->status.ok() && r->sync && sticky_.ok() &&
                               (r->kind == Request::Kind::kFlush ? last : lsn) > durable_lsn_;
      if (needs_flush) {
        pending_[r->kind == Request::Kind::kFlush ? last : lsn].push_back(std::move(r));
        wait_flush = true;
      } else {
        if (r->status.ok() && !sticky_.ok()) r->status = sticky_;
        now_done.push_back(std::move(r));
      }
    }
  }
  if (wait_flush) log_->RequestFlush();
  CompleteLater(std::move(now_done));
  if (lsn != 0) MaybeCheckpoint(lsn);
  if (!retry.empty()) Requeue(std::move(retry));
}

void Store::Impl::Requeue(std::vector<RequestPtr> retry) {
  Status grown = env_->Grow();
  if (grown.ok()) stat_resizes_.fetch_add(1, std::memory_order_relaxed);
  std::vector<RequestPtr> failed;
  std::lock_guard<std::mutex> lock(queue_mu_);
  for (auto it = retry.rbegin(); it != retry.rend(); ++it) {
    if (grown.ok()) {
      queue_.push_front(std::move(*it));
    } else {
      (*it)->status = grown;
      failed.push_back(std::move(*it));
    }
  }
  CompleteLater(std::move(failed));
}

// Callers' callbacks run on the completer thread, so the committer goes straight on to
// the next group and a slow callback delays no commit; a blocked caller is handed its
// outcome at once.
void Store::Impl::CompleteLater(std::vector<RequestPtr> done) {
  bool queued = false;
  {
    std::lock_guard<std::mutex> lock(complete_mu_);
    for (auto& r : done) {
      if (!r->done_is_rendezvous) {
        completions_.push_back(std::move(r));
        queued = true;
      }
    }
  }
  if (queued) complete_cv_.notify_one();
  for (auto& r : done) {
    if (r != nullptr) r->done(*r);
  }
}

void Store::Impl::RunCompleter() {
  std::unique_lock<std::mutex> lock(complete_mu_);
  for (;;) {
    complete_cv_.wait(lock, [this] { return completer_stop_ || !completions_.empty(); });
    if (completions_.empty()) return;  // stopping and drained
    std::vector<RequestPtr> batch;
    batch.swap(completions_);
    lock.unlock();
    for (auto& r : batch) r->done(*r);
    lock.lock();
  }
}

void Store::Impl::Publish(const std::set<std::string>& touched, bool appended) {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    if (appended) committed_position_ = seqs_.next_position - 1;
    for (const auto& q : touched) ++queue_epochs_[q];
  }
  if (appended || !touched.empty()) wait_cv_.notify_all();
}

void Store::Impl::SetSticky(const Status& s) {
  std::lock_guard<std::mutex> lock(pending_mu_);
  if (sticky_.ok()) sticky_ = s;
}

// On the log's flusher thread.
void Store::Impl::OnFlushed(uint64_t lsn, int err) {
  std::vector<RequestPtr> done;
  Status failed;
  if (err != 0) {
    // The log's state after a failed flush is unknown: refuse every later write.
    failed = Status::IOError("flush (fdatasync) of the commit log of " + path_ +
                             " failed: " + std::strerror(err) +
                             "; the store refuses writes until it is reopened");
  }
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    if (err == 0) {
      durable_lsn_ = std::max(durable_lsn_, lsn);
      while (!pending_.empty() && pending_.begin()->first <= durable_lsn_) {
        for (auto& r : pending_.begin()->second) done.push_back(std::move(r));
        pending_.erase(pending_.begin());
      }
    } else {
      if (sticky_.ok()) sticky_ = failed;
      for (auto& [l, rs] : pending_) {
        for (auto& r : rs) {
          r->status = failed;
          done.push_back(std::move(r));
        }
      }
      pending_.clear();
    }
  }
  CompleteLater(std::move(done));
  pending_cv_.notify_all();
}

// ---------------------------------------------------------------------------------------
// Checkpoints

// Committer thread, right after record `lsn` committed: starts a checkpoint of this
// snapshot when enough log was written since the last one and none is running.
void Store::Impl::MaybeCheckpoint(uint64_t lsn) {
  if (checkpoint_busy_.load(std::memory_order_acquire)) return;
  const uint64_t written = log_->appended_bytes();
  const auto now = std::chrono::steady_clock::now();
  if (written - checkpoint_mark_bytes_ < options_.checkpoint_log_bytes &&
      now - checkpoint_mark_time_ < std::chrono::milliseconds(options_.checkpoint_interval_ms)) {
    return;
  }
  auto snapshot = PinSnapshot(lsn);
  if (!snapshot.ok()) {
    SetSticky(snapshot.status());
    return;
  }
  checkpoint_mark_bytes_ = written;
  checkpoint_mark_time_ = now;
  checkpoint_busy_.store(true, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    checkpoint_next_ = std::move(*snapshot);
  }
  checkpoint_cv_.notify_one();
}

// Pins the latest committed snapshot, which holds every record <= lsn and no other, with
// a read transaction, and copies its meta page. Committer thread (or Open/Close).
Result<Store::Impl::PinnedSnapshot> Store::Impl::PinSnapshot(uint64_t lsn) {
  PinnedSnapshot s;
  // Not from the read pool: the pin holds no resize lock (LMDB remaps under open read
  // transactions of this process; the pin is never read through).
  int rc = mdb_txn_begin(env_->raw(), nullptr, MDB_RDONLY, &s.pin);
  if (rc != 0) return internal::LmdbStatus(rc, "pinning a checkpoint snapshot");
  const uint64_t txnid = mdb_txn_id(s.pin);
  auto meta = internal::ReadMetaPage(env_->fd(), txnid, static_cast<uint32_t>(page_size_));
  if (!meta.ok()) {
    mdb_txn_abort(s.pin);
    return meta.status();
  }
  s.checkpoint.lsn = lsn;
  s.checkpoint.txnid = txnid;
  s.checkpoint.log_id = log_id_;
  s.checkpoint.next = log_->tail();
  s.checkpoint.page_size = static_cast<uint32_t>(page_size_);
  s.checkpoint.meta = std::move(*meta);
  return s;
}

// Makes `snapshot` the durable checkpoint: the log holds it durably, data.mdb is flushed,
// CHECKPOINT names it; then the previous pin and the segments before it are released.
// Checkpointer thread (or Open/Close while it does not run).
Status Store::Impl::Checkpoint(PinnedSnapshot snapshot) {
  Status s;
  int err = log_->WaitFlushed(snapshot.checkpoint.lsn);
  if (err != 0) {
    s = internal::ErrnoStatus("checkpoint: the commit log flush failed", err);
  } else if ((err = sync_(env_->fd())) != 0) {
    s = internal::ErrnoStatus("checkpoint: flush (fdatasync) of " + path_ + "/data.mdb", err);
  } else {
    snapshot.checkpoint.seq = checkpoint_seq_ + 1;
    s = internal::WriteCheckpoint(checkpoint_fd_, snapshot.checkpoint, sync_);
  }
  if (!s.ok()) {
    mdb_txn_abort(snapshot.pin);
    SetSticky(s);
    return s;
  }
  checkpoint_seq_ = snapshot.checkpoint.seq;
  if (durable_pin_ != nullptr) mdb_txn_abort(durable_pin_);
  durable_pin_ = snapshot.pin;
  log_->Release(snapshot.checkpoint.next);
  stat_checkpoints_.fetch_add(1, std::memory_order_relaxed);
  return Status::OK();
}

void Store::Impl::RunCheckpointer() {
  std::unique_lock<std::mutex> lock(checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.wait(lock, [this] { return checkpoint_stop_ || checkpoint_next_.has_value(); });
    if (!checkpoint_next_.has_value()) return;  // stopping with nothing pinned
    PinnedSnapshot snapshot = std::move(*checkpoint_next_);
    checkpoint_next_.reset();
    lock.unlock();
    (void)Checkpoint(std::move(snapshot));  // a failure is the sticky error
    checkpoint_busy_.store(false, std::memory_order_release);
    lock.lock();
  }
}

PipelineStats Store::Impl::stats() const {
  PipelineStats s;
  s.groups = stat_groups_.load(std::memory_order_relaxed);
  s.batches = stat_batches_.load(std::memory_order_relaxed);
  s.failed_batches = stat_failed_.load(std::memory_order_relaxed);
  s.flushes = log_ != nullptr ? log_->flushes() : 0;
  s.checkpoints = stat_checkpoints_.load(std::memory_order_relaxed);
  s.log_bytes = log_ != nullptr ? log_->appended_bytes() : 0;
  s.replayed_records = stat_replayed_.load(std::memory_order_relaxed);
  s.map_resizes = stat_resizes_.load(std::memory_order_relaxed);
  s.using_io_uring = false;
  return s;
}

void Store::Impl::WaitForAppend(uint64_t after, StoreInternal::Deadline deadline) {
  std::unique_lock<std::mutex> lock(wait_mu_);
  wait_cv_.wait_until(lock, deadline, [&] {
    return committed_position_ > after || closed_.load(std::memory_order_acquire);
  });
}

uint64_t Store::Impl::QueueEpoch(std::string_view queue) {
  std::lock_guard<std::mutex> lock(wait_mu_);
  auto it = queue_epochs_.find(std::string(queue));
  return it == queue_epochs_.end() ? 0 : it->second;
}

void Store::Impl::WaitForQueue(std::string_view queue, uint64_t epoch,
                               StoreInternal::Deadline deadline) {
  std::string name(queue);
  std::unique_lock<std::mutex> lock(wait_mu_);
  wait_cv_.wait_until(lock, deadline, [&] {
    auto it = queue_epochs_.find(name);
    return (it != queue_epochs_.end() && it->second != epoch) ||
           closed_.load(std::memory_order_acquire);
  });
}

// ---------------------------------------------------------------------------------------
// Store

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const Options& options) {
  return StoreInternal::OpenWithHooks(path, options, TestHooks{});
}

Result<CommitResult> Store::Commit(Batch batch, const CommitOptions& options) {
  return impl_->CommitBlocking(std::move(batch), options);
}

void Store::CommitAsync(Batch batch, const CommitOptions& options,
                        std::function<void(Result<CommitResult>)> done) {
  impl_->CommitAsync(std::move(batch), options, std::move(done));
}

std::future<Result<CommitResult>> Store::CommitAsync(Batch batch, const CommitOptions& options) {
  auto promise = std::make_shared<std::promise<Result<CommitResult>>>();
  auto future = promise->get_future();
  impl_->CommitAsync(std::move(batch), options,
                     [promise](Result<CommitResult> r) { promise->set_value(std::move(r)); });
  return future;
}

Status Store::Flush() { return impl_->Flush(); }
Status Store::Close() { return impl_->Close(); }

Result<std::string> Store::Get(std::string_view key) {
  RETURN_IF_ERROR(internal::ValidateMetadataKey(key));
  ASSIGN_OR_RETURN(Env * env, impl_->GetEnv());
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  auto v = internal::Get(txn.get(), env->tables().meta, key);
  if (!v.ok()) {
    if (v.status().code() == Code::kNotFound) {
      return Status::NotFound("metadata key '" + internal::Printable(key) + "' is not set");
    }
    return v.status();
  }
  return std::string(*v);
}

Result<std::vector<std::pair<std::string, std::string>>> Store::Scan(std::string_view prefix,
                                                                     size_t limit,
                                                                     std::string_view start_after) {
  ASSIGN_OR_RETURN(Env * env, impl_->GetEnv());
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  std::vector<std::pair<std::string, std::string>> out;
  internal::Cursor cur(txn.get(), env->tables().meta);
  MDB_val k, v;
  std::string from = std::max(std::string(prefix), std::string(start_after));
  int rc = from.empty() ? cur.First(&k, &v) : cur.Seek(from, &k, &v);
  for (; rc == 0 && out.size() < limit && internal::HasPrefix(internal::View(k), prefix);
       rc = cur.Next(&k, &v)) {
    if (!start_after.empty() && internal::View(k) == start_after) continue;
    out.emplace_back(internal::View(k), internal::View(v));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return internal::LmdbStatus(rc, "scanning metadata");
  return out;
}

PipelineStats Store::GetPipelineStats() const { return impl_->stats(); }
Status Store::health() const { return impl_->health(); }
const std::string& Store::path() const { return impl_->path_; }
const Clock& Store::clock() const { return *impl_->clock_; }

// ---------------------------------------------------------------------------------------
// StoreInternal

Result<std::unique_ptr<Store>> StoreInternal::OpenWithHooks(const std::string& path,
                                                            const Options& options,
                                                            TestHooks hooks) {
  auto impl = std::make_unique<Store::Impl>(path, options);
  RETURN_IF_ERROR(impl->Open(std::move(hooks)));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<StoreInternal::EnvRef> StoreInternal::GetEnv(Store& store) { return store.impl_->GetEnv(); }
internal::LeaseTable& StoreInternal::Leases(Store& store) { return store.impl_->leases_; }
uint64_t StoreInternal::CommittedPosition(Store& store) { return store.impl_->CommittedPosition(); }
void StoreInternal::WaitForAppend(Store& store, uint64_t after, Deadline deadline) {
  store.impl_->WaitForAppend(after, deadline);
}
Result<DequeueAttempt> StoreInternal::TryDequeue(Store& store, std::string_view queue,
                                                 const queue::DequeueOptions& options) {
  return store.impl_->TryDequeue(queue, options);
}
uint64_t StoreInternal::QueueEpoch(Store& store, std::string_view queue) {
  return store.impl_->QueueEpoch(queue);
}
void StoreInternal::WaitForQueue(Store& store, std::string_view queue, uint64_t epoch,
                                 Deadline deadline) {
  store.impl_->WaitForQueue(queue, epoch, deadline);
}

}  // namespace durastore
