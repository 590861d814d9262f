// Store: the lock file, the committer thread (group commit) and the flush pipeline.
//
// Commit pipeline (DESIGN.md "atomic_batch and the commit pipeline"):
//   callers --Submit--> queue_ --committer takes all--> one LMDB write transaction,
//   each request in a nested transaction (a failure rolls back alone) --> commit:
//   LMDB writes the data pages, fdatasyncs them (MDB_NOMETASYNC), writes the meta page
//   --> ticket t; kSync requests wait in pending_[t] --> Flusher fdatasyncs again
//   (hardening the meta page) --> OnFlushed(t) acknowledges every pending ticket <= t.
//   The next group's own data sync also hardens t's meta page, so it acknowledges t too.
// Groups made only of kNoSync requests commit with MDB_NOSYNC and are acknowledged at
// once; a group with any kSync request is synced, so a kSync caller is never
// acknowledged by an unflushed commit.
#include "durastore/store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>

#include "batch_rep.h"
#include "eventlog_internal.h"
#include "flusher.h"
#include "lmdb_env.h"
#include "queue_internal.h"
#include "status_macros.h"
#include "store_internal.h"
#include "write_context.h"

namespace durastore {

using internal::Env;
using internal::Sequences;
using internal::WriteContext;

namespace {

// How much durability a request needs from its group's commit.
enum class SyncClass : uint8_t {
  kNone,  // no flush (kNoSync): the group may commit with MDB_NOSYNC
  kData,  // the group must sync its data pages (integrity), but no wait for the meta flush
  kFull,  // acknowledged only once a flush covering the commit completed (kSync)
};

struct Request {
  enum class Kind : uint8_t { kBatch, kDequeue, kFlush };
  Kind kind = Kind::kBatch;
  SyncClass sync = SyncClass::kFull;
  Batch batch;
  std::string queue;                               // kDequeue
  const queue::DequeueOptions* dequeue = nullptr;  // kDequeue; the caller blocks on it
  Status status;
  CommitResult result;
  DequeueAttempt attempt;
  std::function<void(Request&)> done;
};
using RequestPtr = std::unique_ptr<Request>;

constexpr std::string_view kSequencesKey = "sequences";
constexpr std::string_view kFormatKey = "format";
constexpr std::string_view kFormatValue = "durastore-1";

std::string EncodeSequences(const Sequences& s, uint64_t ticket) {
  std::string v;
  internal::PutU64(v, s.next_position);
  internal::PutU64(v, s.next_message_id);
  internal::PutU64(v, s.next_stream_id);
  internal::PutU32(v, s.next_queue_id);
  internal::PutU64(v, ticket);
  return v;
}

// Holds an exclusive flock on <dir>/LOCK with the holder's pid written in it.
class LockFile {
 public:
  static Result<std::unique_ptr<LockFile>> Acquire(const std::string& dir) {
    std::string path = dir + "/LOCK";
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError("cannot open " + path + ": " + strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      char buf[32] = {};
      ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
      close(fd);
      if (err == EWOULDBLOCK) {
        std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
        while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
          holder.pop_back();
        return Status::Busy("store " + dir + " is in use by process " + holder + " (lock file " +
                            path + ")");
      }
      return Status::IOError("cannot lock " + path + ": " + strerror(err));
    }
    std::string pid = std::to_string(getpid()) + "\n";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
      // The pid is only informational; the lock itself is held.
    }
    return std::unique_ptr<LockFile>(new LockFile(fd));
  }
  ~LockFile() { close(fd_); }  // closing releases the flock

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_;
};

// fsync of a directory, so the entries created in it survive a power cut.
Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::IOError("cannot open directory " + dir + ": " + std::strerror(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return Status::IOError("fsync of directory " + dir + ": " + std::strerror(err));
  return Status::OK();
}

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
                   std::function<void(Result<CommitResult>)> done);
  Status Flush();
  Result<DequeueAttempt> TryDequeue(std::string_view queue, const queue::DequeueOptions& o);

  Result<Env*> GetEnv() {
    if (closed_.load(std::memory_order_acquire)) return Status::Unavailable("store is closed");
    return env_.get();
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
  std::mutex components_mu_;
  std::map<std::string, std::shared_ptr<void>, std::less<>> components_;  // by components_mu_

 private:
  SyncClass SyncOf(const CommitOptions& o) const {
    return o.durability.value_or(options_.durability) == Durability::kSync ? SyncClass::kFull
                                                                           : SyncClass::kNone;
  }
  struct GroupEffects {
    std::vector<std::function<void()>> undo;  // in-memory changes, to undo on failure
    std::set<std::string> touched;            // queues whose waiters to wake
    bool appended = false;                    // tail readers to wake
  };
  void Run();
  void RunGroup(std::vector<RequestPtr> group);
  bool CommitGroup(std::vector<RequestPtr>& group, bool need_sync, uint64_t ticket,
                   std::vector<RequestPtr>& retry);
  bool ApplyGroup(MDB_txn* txn, bool nested, int64_t now, std::vector<RequestPtr>& group,
                  GroupEffects& fx, std::vector<RequestPtr>& retry);
  void UndoGroup(std::vector<RequestPtr>& group, GroupEffects& fx, const Sequences& before);
  static Request* SoleWrite(std::vector<RequestPtr>& group);
  void Requeue(std::vector<RequestPtr> retry);
  void CompleteLater(std::vector<RequestPtr> done);
  void RunCompleter();
  Status ApplyRequest(WriteContext& ctx, Request& r);
  Status GrowAheadIfNeeded();
  void FailAll(std::vector<RequestPtr>& group, const Status& s);
  void MarkDurable(uint64_t ticket);
  void SubmitFlush();  // flushes up to unflushed_ticket_
  void OnFlushed(uint64_t ticket, int err);
  void Publish(const std::set<std::string>& touched, bool appended);

  std::unique_ptr<LockFile> lock_file_;
  std::unique_ptr<Env> env_;
  std::unique_ptr<internal::Flusher> flusher_;

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

  // Committer-thread state.
  Sequences seqs_;
  uint64_t ticket_ = 0;
  uint64_t unflushed_ticket_ = 0;  // highest ticket with kSync waiters and no flush yet
  bool unflushed_nosync_ = false;
  size_t page_size_ = 4096;
  int64_t last_lease_gc_ms_ = 0;

  // Requests waiting for a flush, by ticket; the sticky error.
  mutable std::mutex pending_mu_;
  std::condition_variable pending_cv_;
  std::map<uint64_t, std::vector<RequestPtr>> pending_;  // guarded by pending_mu_
  uint64_t durable_ticket_ = 0;                          // guarded by pending_mu_
  Status sticky_;                                        // guarded by pending_mu_

  // Long-poll and tail waiters.
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  uint64_t committed_position_ = 0;                         // guarded by wait_mu_
  std::unordered_map<std::string, uint64_t> queue_epochs_;  // guarded by wait_mu_

  std::atomic<uint64_t> stat_groups_{0}, stat_batches_{0}, stat_failed_{0}, stat_flushes_{0},
      stat_resizes_{0};
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
  std::error_code ec;
  const bool created = !std::filesystem::exists(path_, ec);
  if (created) {
    if (!options_.create_if_missing) return Status::NotFound("store " + path_ + " does not exist");
    std::filesystem::create_directories(path_, ec);
    if (ec) return Status::IOError("cannot create " + path_ + ": " + ec.message());
  } else if (!std::filesystem::is_directory(path_, ec)) {
    return Status::InvalidArgument(path_ + " is not a directory");
  }
  ASSIGN_OR_RETURN(lock_file_, LockFile::Acquire(path_));
  ASSIGN_OR_RETURN(env_, Env::Open(path_, options_.initial_map_size, options_.max_map_size));
  MDB_stat st;
  mdb_env_stat(env_->raw(), &st);
  page_size_ = st.ms_psize;

  // Format marker and counters.
  {
    ASSIGN_OR_RETURN(internal::Txn txn, env_->BeginWrite(false));
    const auto& t = env_->tables();
    auto format = internal::Get(txn.get(), t.sys, kFormatKey);
    if (format.ok()) {
      if (*format != kFormatValue) {
        return Status::Corruption("store " + path_ + " has unknown format '" +
                                  internal::Printable(*format) + "'");
      }
    } else if (format.status().code() == Code::kNotFound) {
      RETURN_IF_ERROR(internal::Put(txn.get(), t.sys, kFormatKey, kFormatValue));
    } else {
      return format.status();
    }
    auto seq = internal::Get(txn.get(), t.sys, kSequencesKey);
    if (seq.ok()) {
      if (seq->size() != 36) return Status::Corruption("sequence record is not 36 bytes");
      seqs_.next_position = internal::GetU64(*seq, 0);
      seqs_.next_message_id = internal::GetU64(*seq, 8);
      seqs_.next_stream_id = internal::GetU64(*seq, 16);
      seqs_.next_queue_id = internal::GetU32(*seq, 24);
    } else if (seq.status().code() != Code::kNotFound) {
      return seq.status();
    }
    int rc = txn.Commit();
    if (rc != 0) return internal::LmdbStatus(rc, "initialising store");
  }
  committed_position_ = seqs_.next_position - 1;
  // Make the directory entries of data.mdb and LOCK durable (and the store directory's
  // own entry when Open created it): a power cut must not lose the files themselves.
  RETURN_IF_ERROR(SyncDirectory(path_));
  if (created) {
    RETURN_IF_ERROR(SyncDirectory(std::filesystem::absolute(path_).parent_path().string()));
  }

  ASSIGN_OR_RETURN(
      flusher_, internal::MakeFlusher(env_->fd(), options_.flush_method, std::move(hooks.fdatasync),
                                      [this](uint64_t t, int err) { OnFlushed(t, err); }));
  completer_ = std::thread([this] { RunCompleter(); });
  committer_ = std::thread([this] { Run(); });
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
  {
    // Wait for in-flight flushes so no kSync caller is left hanging.
    std::unique_lock<std::mutex> lock(pending_mu_);
    pending_cv_.wait(lock, [this] { return pending_.empty(); });
  }
  flusher_.reset();
  {
    std::lock_guard<std::mutex> lock(complete_mu_);
    completer_stop_ = true;
  }
  complete_cv_.notify_one();
  if (completer_.joinable()) completer_.join();  // every callback has run
  Status result = health();
  if (env_ != nullptr && unflushed_nosync_ && result.ok()) {
    int rc = mdb_env_sync(env_->raw(), 1);
    if (rc != 0) result = internal::LmdbStatus(rc, "final flush at close");
  }
  closed_.store(true, std::memory_order_release);
  { std::lock_guard<std::mutex> lock(wait_mu_); }
  wait_cv_.notify_all();
  env_.reset();
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
  r->done(*r);
}

namespace {
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

Result<CommitResult> Store::Impl::CommitBlocking(Batch batch, const CommitOptions& options) {
  Rendezvous<Result<CommitResult>> rendezvous;
  CommitAsync(std::move(batch), options,
              [&rendezvous](Result<CommitResult> r) { rendezvous.Set(std::move(r)); });
  return rendezvous.Wait();
}

void Store::Impl::CommitAsync(Batch batch, const CommitOptions& options,
                              std::function<void(Result<CommitResult>)> done) {
  Status valid = internal::ValidateBatch(internal::BatchRep::Of(batch));
  if (!valid.ok()) {
    done(valid);
    return;
  }
  auto r = std::make_unique<Request>();
  r->kind = Request::Kind::kBatch;
  r->sync = SyncOf(options);
  r->batch = std::move(batch);
  r->done = [done = std::move(done)](Request& req) {
    if (req.status.ok()) {
      done(std::move(req.result));
    } else {
      done(req.status);
    }
  };
  Submit(std::move(r));
}

Status Store::Impl::Flush() {
  Rendezvous<Status> rendezvous;
  auto r = std::make_unique<Request>();
  r->kind = Request::Kind::kFlush;
  r->sync = SyncClass::kFull;
  r->done = [&rendezvous](Request& req) { rendezvous.Set(req.status); };
  Submit(std::move(r));
  return rendezvous.Wait();
}

Result<DequeueAttempt> Store::Impl::TryDequeue(std::string_view queue,
                                               const queue::DequeueOptions& options) {
  Rendezvous<Result<DequeueAttempt>> rendezvous;
  auto r = std::make_unique<Request>();
  r->kind = Request::Kind::kDequeue;
  // Delivery counts must never corrupt the store on power loss: in a kSync store the
  // dequeue's commit syncs its data pages, but its caller does not wait for the meta flush.
  r->sync = options_.durability == Durability::kSync ? SyncClass::kData : SyncClass::kNone;
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
  for (auto& r : group) r->status = s;
  CompleteLater(std::move(group));
  group.clear();
}

Status Store::Impl::GrowAheadIfNeeded() {
  MDB_envinfo info;
  mdb_env_info(env_->raw(), &info);
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
              rc = mdb_cursor_del(cur.get(), 0);
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

// Applies every write request of `group` inside `txn`. Flat mode applies them directly in
// `txn` and stops at the first failure (sets its status and returns false: the caller
// discards the transaction and fails that request alone or replays in nested mode). Nested mode
// gives each request its own nested transaction, so a failing request is rolled back alone.
// Requests that hit MDB_MAP_FULL are moved to `retry` (nested mode only).
bool Store::Impl::ApplyGroup(MDB_txn* txn, bool nested, int64_t now, std::vector<RequestPtr>& group,
                             GroupEffects& fx, std::vector<RequestPtr>& retry) {
  std::lock_guard<std::mutex> lock(leases_.mu);
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
  for (auto& r : group) {
    if (r == nullptr) continue;
    r->status = Status::OK();
    r->result = CommitResult();
    r->attempt = DequeueAttempt();
  }
}

// Applies and commits the write requests of a group. Sets each request's status;
// requests to run again after growing the map are moved to `retry`. Returns true when
// an LMDB commit happened.
bool Store::Impl::CommitGroup(std::vector<RequestPtr>& group, bool need_sync, uint64_t ticket,
                              std::vector<RequestPtr>& retry) {
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
  auto txn = env_->BeginWrite(/*nosync=*/!need_sync);
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
      return false;
    }
    txn = env_->BeginWrite(/*nosync=*/!need_sync);
    if (txn.ok()) ApplyGroup(txn->get(), /*nested=*/true, now, group, fx, retry);
  }
  if (!txn.ok()) {
    UndoGroup(group, fx, before);
    for (auto& r : group) {
      if (r != nullptr) r->status = txn.status();
    }
    return false;
  }
  // The ticket is written every group so a synced group always has dirty pages (and so
  // LMDB's data sync, which also hardens the previous group's meta page, really runs).
  Status s =
      internal::Put(txn->get(), env_->tables().sys, kSequencesKey, EncodeSequences(seqs_, ticket));
  int rc = s.ok() ? txn->Commit() : MDB_MAP_FULL;
  if (rc == MDB_MAP_FULL) {
    // Nothing of the group reached the file: undo and run every request again.
    txn->Abort();
    UndoGroup(group, fx, before);
    for (auto& r : group) {
      if (r != nullptr) retry.push_back(std::move(r));
    }
    group.clear();
    return false;
  }
  if (rc != 0) {
    Status failed = internal::LmdbStatus(rc, "committing group");
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      if (sticky_.ok()) sticky_ = failed;
    }
    for (auto& r : group) {
      if (r != nullptr) r->status = failed;
    }
    return false;
  }
  stat_groups_.fetch_add(1, std::memory_order_relaxed);
  Publish(fx.touched, fx.appended);
  if (!need_sync) unflushed_nosync_ = true;
  return true;
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

  bool need_sync = false, has_writes = false;
  for (const auto& r : group) {
    need_sync |= r->sync != SyncClass::kNone;
    has_writes |= r->kind != Request::Kind::kFlush;
  }
  // A deferred flush is not covered by a group that will not sync: flush it now.
  if (unflushed_ticket_ != 0 && !(need_sync && has_writes)) SubmitFlush();

  std::vector<RequestPtr> retry;  // hit MDB_MAP_FULL: grow and run again
  const uint64_t ticket = ++ticket_;
  bool committed = has_writes && CommitGroup(group, need_sync, ticket, retry);
  // A group that did not commit synced nothing, so it hardens no earlier group: flush for
  // the previous group's waiters now (after a failed commit the store is sticky and no
  // later group will commit to do it; waiting for one would hang them).
  if (has_writes && !committed && unflushed_ticket_ != 0) SubmitFlush();

  // Acknowledge: this commit synced its data pages, so every earlier group is durable.
  if (committed && need_sync) {
    MarkDurable(ticket - 1);
    unflushed_ticket_ = 0;
  }
  bool wait_flush = false;
  std::vector<RequestPtr> now_done;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    for (auto& r : group) {
      if (r == nullptr) continue;
      if (r->kind != Request::Kind::kFlush) {
        (r->status.ok() ? stat_batches_ : stat_failed_).fetch_add(1, std::memory_order_relaxed);
      }
      if (r->status.ok() && r->sync == SyncClass::kFull && sticky_.ok()) {
        pending_[ticket].push_back(std::move(r));
        wait_flush = true;
      } else {
        now_done.push_back(std::move(r));
      }
    }
  }
  if (wait_flush) unflushed_ticket_ = ticket;
  // If more requests are already queued, the next group's commit will fsync its data
  // pages, which hardens this group's meta page too (one flush per group under load).
  // Otherwise flush now: nobody else is coming to do it.
  bool more_waiting;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    more_waiting = !queue_.empty() || !retry.empty();
  }
  if (unflushed_ticket_ != 0 && !more_waiting) SubmitFlush();
  CompleteLater(std::move(now_done));
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

// Callbacks run on the completer thread, so the committer goes straight on to the next
// group instead of waking dozens of callers one by one.
void Store::Impl::CompleteLater(std::vector<RequestPtr> done) {
  if (done.empty()) return;
  {
    std::lock_guard<std::mutex> lock(complete_mu_);
    for (auto& r : done) completions_.push_back(std::move(r));
  }
  complete_cv_.notify_one();
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

void Store::Impl::SubmitFlush() {
  flusher_->Submit(unflushed_ticket_);
  unflushed_ticket_ = 0;
}

void Store::Impl::MarkDurable(uint64_t ticket) {
  std::vector<RequestPtr> done;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    durable_ticket_ = std::max(durable_ticket_, ticket);
    while (!pending_.empty() && pending_.begin()->first <= durable_ticket_) {
      for (auto& r : pending_.begin()->second) done.push_back(std::move(r));
      pending_.erase(pending_.begin());
    }
  }
  CompleteLater(std::move(done));
  pending_cv_.notify_all();
}

void Store::Impl::OnFlushed(uint64_t ticket, int err) {
  stat_flushes_.fetch_add(1, std::memory_order_relaxed);
  if (err == 0) {
    MarkDurable(ticket);
    return;
  }
  // The file's state after a failed flush is unknown: refuse every later write.
  Status failed =
      Status::IOError(std::string("flush (fdatasync) of ") + path_ + " failed: " + strerror(err) +
                      "; the store refuses writes until it is reopened");
  std::vector<RequestPtr> done;
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    if (sticky_.ok()) sticky_ = failed;
    for (auto& [t, rs] : pending_) {
      for (auto& r : rs) done.push_back(std::move(r));
    }
    pending_.clear();
  }
  for (auto& r : done) r->status = failed;
  CompleteLater(std::move(done));
  pending_cv_.notify_all();
}

PipelineStats Store::Impl::stats() const {
  PipelineStats s;
  s.groups = stat_groups_.load(std::memory_order_relaxed);
  s.batches = stat_batches_.load(std::memory_order_relaxed);
  s.failed_batches = stat_failed_.load(std::memory_order_relaxed);
  s.flushes = stat_flushes_.load(std::memory_order_relaxed);
  s.map_resizes = stat_resizes_.load(std::memory_order_relaxed);
  s.using_io_uring = flusher_ != nullptr && flusher_->uses_io_uring();
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

Result<internal::Env*> StoreInternal::GetEnv(Store& store) { return store.impl_->GetEnv(); }
internal::LeaseTable& StoreInternal::Leases(Store& store) { return store.impl_->leases_; }
std::shared_ptr<void> StoreInternal::Component(Store& store, std::string_view name,
                                               const std::function<std::shared_ptr<void>()>& make) {
  Store::Impl& impl = *store.impl_;
  std::lock_guard lock(impl.components_mu_);
  auto it = impl.components_.find(name);
  if (it == impl.components_.end()) it = impl.components_.emplace(std::string(name), make()).first;
  return it->second;
}
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
