// Store::Impl's checkpoints (checkpoint.h; docs/architecture.md, "Checkpoints").
#include "file_util.h"
#include "store_impl.h"

namespace durastore {

// Committer thread, right after record `lsn` committed: starts a checkpoint of this
// snapshot when none is running and, since the last one began, enough log was written,
// data.mdb grew enough, or enough time passed. The growth bound matters most: while a
// checkpoint's snapshot is pinned LMDB reuses no page freed after it, so every
// transaction's copied-on-write pages are new pages until the next checkpoint.
void Store::Impl::MaybeCheckpoint(uint64_t lsn) {
  if (checkpoint_busy_.load(std::memory_order_acquire)) return;
  const uint64_t written = log_->appended_bytes();
  const auto now = std::chrono::steady_clock::now();
  MDB_envinfo info;
  const uint64_t pages = mdb_env_info(env_->raw(), &info) == 0 ? info.me_last_pgno : 0;
  if (written - checkpoint_mark_bytes_ < options_.checkpoint_log_bytes &&
      (pages - std::min(pages, checkpoint_mark_pages_)) * page_size_ <
          options_.checkpoint_data_bytes &&
      now - checkpoint_mark_time_ < std::chrono::milliseconds(options_.checkpoint_interval_ms)) {
    return;
  }
  checkpoint_mark_pages_ = pages;
  auto snapshot = PinSnapshot(lsn);
  if (!snapshot.ok()) {
    SetSticky(snapshot.status());
    return;
  }
  checkpoint_mark_bytes_ = written;
  checkpoint_mark_time_ = now;
  checkpoint_busy_.store(true, std::memory_order_release);
  {
    internal::MutexLock lock(&checkpoint_mu_);
    checkpoint_next_ = std::move(*snapshot);
  }
  checkpoint_cv_.NotifyOne();
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
    s = internal::WriteErrnoStatus("checkpoint: flush (fdatasync) of " + path_ + "/data.mdb", err,
                                   env_->fd());
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
  internal::RoleScope role(&checkpointer_role_);  // for the thread's life
  internal::MutexLock lock(&checkpoint_mu_);
  for (;;) {
    checkpoint_cv_.Wait(&checkpoint_mu_, [this]() REQUIRES(checkpoint_mu_) {
      return checkpoint_stop_ || checkpoint_next_.has_value();
    });
    if (!checkpoint_next_.has_value()) return;  // stopping with nothing pinned
    PinnedSnapshot snapshot = std::move(*checkpoint_next_);
    checkpoint_next_.reset();
    checkpoint_mu_.Unlock();
    (void)Checkpoint(std::move(snapshot));  // a failure is the sticky error
    checkpoint_busy_.store(false, std::memory_order_release);
    checkpoint_mu_.Lock();
  }
}

}  // namespace durastore
