// Store::Impl's committer: submission, group commit, the apply of each request, and
// completion (store_impl.h has the pipeline in brief, docs/architecture.md in full).
#include <cerrno>

#include "apply.h"
#include "batch_rep.h"
#include "file_util.h"
#include "status_macros.h"
#include "store_impl.h"
#include "time_math.h"

namespace durastore {

using internal::EncodeSequences;
using internal::kSequencesKey;

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

void Store::Impl::Submit(RequestPtr r) {
  if (options_.read_only) {
    r->status = Status::InvalidArgument("store " + path_ + " is open read-only");
    r->done(*r);  // the caller's thread, as for a closed store
    return;
  }
  bool lead = false;
  {
    internal::MutexLock lock(&queue_mu_);
    if (!stopping_) {
      r->in_flight = true;
      const bool alone = in_flight_.fetch_add(1, std::memory_order_relaxed) == 0;
      if (!alone || !r->done_is_rendezvous || applying_ || last_group_size_ != 1) {
        queue_.push_back(std::move(r));
        // A busy committer takes the request with its next group: no wake-up syscall.
        if (committer_idle_ && !applying_) queue_cv_.NotifyOne();
        return;
      }
      // A blocked caller alone in the store (nothing queued, applied or waiting for a
      // flush, and the last group a group of one) applies its request as a group of one on
      // its own thread (LevelDB's leader writer): no wake-up of the committer and, when it
      // flushes itself, none back. With others in flight it queues: they submit again
      // soon, and one group for all of them writes fewer LMDB pages than a group of one
      // each. What arrives meanwhile queues for the committer thread.
      applying_ = true;
      ++leaders_;
      last_group_size_ = 1;
      lead = true;
    }
  }
  if (lead) {
    Lead(std::move(r));
    return;
  }
  r->status = Status::Unavailable("store " + path_ + " is closed");
  r->done(*r);  // the completer may be gone: the caller's thread, as store.h says
}

// The caller's thread, holding applying_ (Submit took it).
void Store::Impl::Lead(RequestPtr r) noexcept {
  bool flush;
  {
    internal::RoleScope role(&committer_role_);  // applying_ keeps every other applier out
    std::vector<RequestPtr> group;
    group.push_back(std::move(r));
    flush = RunGroup(std::move(group));
  }
  EndGroup(flush);
  internal::MutexLock lock(&queue_mu_);
  // Close waits for every leader to be gone (its flush touches the log); notifying under
  // the lock, so Close cannot go on before this thread stops touching the store.
  if (--leaders_ == 0 && stopping_) queue_cv_.NotifyAll();
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
  internal::RoleScope role(&committer_role_);  // for the thread's life, shared with leaders
  for (;;) {
    std::vector<RequestPtr> group;
    {
      internal::MutexLock lock(&queue_mu_);
      committer_idle_ = true;
      queue_cv_.Wait(&queue_mu_, [this]() REQUIRES(queue_mu_) {
        return !applying_ && (!queue_.empty() || (stopping_ && leaders_ == 0));
      });
      committer_idle_ = false;
      if (queue_.empty()) return;  // stopping, drained, and no leader left
      while (!queue_.empty() && group.size() < options_.max_group_size) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      applying_ = true;
      last_group_size_ = group.size();
    }
    EndGroup(RunGroup(std::move(group)));
  }
}

// Hands applying_ back (waking the committer thread for what queued behind a leader's
// group), then, when the group's kSync requests wait (`flush`): with nothing queued behind
// it the applying thread would only wait, so it flushes itself unless a flush is in
// flight; under load the flusher keeps flushing while the next group is applied. The
// token is free by then, so the next group (the committer's or a leader's) is applied
// during this flush.
void Store::Impl::EndGroup(bool flush) {
  bool queued;
  {
    internal::MutexLock lock(&queue_mu_);
    applying_ = false;
    queued = !queue_.empty();
    if (queued && committer_idle_) queue_cv_.NotifyOne();
  }
  if (flush && (queued || !log_->FlushNowIfIdle())) log_->RequestFlush();
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
Status Store::Impl::ApplyRequest(WriteContext& ctx, Request& r,
                                 internal::LeaseTable::Writer& leases) {
  if (r.kind == Request::Kind::kDequeue) {
    ASSIGN_OR_RETURN(r.attempt, internal::ApplyDequeue(ctx, leases, r.queue, *r.dequeue));
    return Status::OK();
  }
  for (const internal::Op& op : internal::BatchRep::Of(r.batch).ops) {
    RETURN_IF_ERROR(internal::ApplyOp(ctx, leases, op));
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
  internal::LeaseTable::Writer leases(leases_);  // for the group: undo entries run under it
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
    Status s = ApplyRequest(ctx, *r, leases);
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
    internal::LeaseTable::Writer leases(leases_);  // the lease table's undo entries need it
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
  // A clock that throws or reads negative fails this group's writes, which need `now`,
  // and leaves the committer running for the next group (the clock may recover).
  Result<int64_t> read_clock = internal::ReadClock(*clock_);
  if (!read_clock.ok()) {
    for (auto& r : group) {
      if (r != nullptr && r->kind != Request::Kind::kFlush) r->status = read_clock.status();
    }
    return 0;
  }
  const int64_t now = *read_clock;
  {
    internal::LeaseTable::Writer leases(leases_);
    if (now - last_lease_gc_ms_ > 1000) {
      leases.DropExpired(now);
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
  if (s.ok() && rc != 0) s = env_->WriteStatus(rc, "committing group");
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

bool Store::Impl::RunGroup(std::vector<RequestPtr> group) {
  {
    Status sticky = health();
    if (!sticky.ok()) {
      FailAll(group,
              Status::Unavailable("store " + path_ +
                                  " failed earlier and must be reopened: " + sticky.ToString()));
      return false;
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
    internal::MutexLock lock(&pending_mu_);
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
  CompleteLater(std::move(now_done));
  if (lsn != 0) MaybeCheckpoint(lsn);
  if (!retry.empty()) Requeue(std::move(retry));
  return wait_flush;
}

void Store::Impl::Requeue(std::vector<RequestPtr> retry) {
  Status grown = env_->Grow();
  if (grown.ok()) stat_resizes_.fetch_add(1, std::memory_order_relaxed);
  std::vector<RequestPtr> failed;
  internal::MutexLock lock(&queue_mu_);
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
  int64_t completed = 0;
  {
    internal::MutexLock lock(&complete_mu_);
    for (auto& r : done) {
      if (r == nullptr) continue;
      completed += r->in_flight ? 1 : 0;
      if (!r->done_is_rendezvous) {
        completions_.push_back(std::move(r));
        queued = true;
      }
    }
  }
  // Before the callers wake: one that commits again at once may then lead.
  in_flight_.fetch_sub(completed, std::memory_order_relaxed);
  if (queued) complete_cv_.NotifyOne();
  for (auto& r : done) {
    if (r != nullptr) r->done(*r);
  }
}

void Store::Impl::RunCompleter() {
  internal::MutexLock lock(&complete_mu_);
  for (;;) {
    complete_cv_.Wait(&complete_mu_, [this]() REQUIRES(complete_mu_) {
      return completer_stop_ || !completions_.empty();
    });
    if (completions_.empty()) return;  // stopping and drained
    std::vector<RequestPtr> batch;
    batch.swap(completions_);
    complete_mu_.Unlock();
    for (auto& r : batch) r->done(*r);
    complete_mu_.Lock();
  }
}

void Store::Impl::Publish(const std::set<std::string>& touched, bool appended) {
  {
    internal::MutexLock lock(&wait_mu_);
    if (appended) committed_position_ = seqs_.next_position - 1;
    for (const auto& q : touched) ++queue_epochs_[q];
  }
  if (appended || !touched.empty()) wait_cv_.NotifyAll();
}

void Store::Impl::SetSticky(const Status& s) {
  internal::MutexLock lock(&pending_mu_);
  if (sticky_.ok()) sticky_ = s;
}

// On the thread that flushed: the log's flusher, or the committer (FlushNowIfIdle).
void Store::Impl::OnFlushed(uint64_t lsn, int err) {
  std::vector<RequestPtr> done;
  Status failed;
  if (err != 0) {
    // The log's state after a failed flush is unknown: refuse every later write.
    // (The segments share data.mdb's file system: a full one turns an EIO into
    // ResourceExhausted.)
    Status cause = internal::WriteErrnoStatus("flush (fdatasync) of the commit log of " + path_,
                                              err, env_->fd());
    std::string msg = cause.message() + "; the store refuses writes until it is reopened";
    failed = cause.code() == Code::kResourceExhausted ? Status::ResourceExhausted(std::move(msg))
                                                      : Status::IOError(std::move(msg));
  }
  {
    internal::MutexLock lock(&pending_mu_);
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
  pending_cv_.NotifyAll();
}

}  // namespace durastore
