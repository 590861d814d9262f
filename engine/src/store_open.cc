// Store::Impl's Open (recovery: checkpoint, meta-page restore, log replay) and Close.
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string_view>
#include <vector>

#include "batch_rep.h"
#include "file_util.h"
#include "status_macros.h"
#include "store_impl.h"

namespace durastore {

using internal::EncodeSequences;
using internal::kFormatKey;
using internal::kFormatValue;
using internal::kSequencesKey;
using internal::kSequencesSize;

namespace {

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

// The entries of a store directory, split into the files a store has (docs/format.md)
// and anything else.
struct DirContents {
  std::vector<std::string> store_files;  // sorted
  std::vector<std::string> others;       // sorted
  bool data_empty = false;               // data.mdb exists and has 0 bytes

  bool Has(std::string_view name) const {
    return std::find(store_files.begin(), store_files.end(), name) != store_files.end();
  }
};

// Present while a new store is being created, removed once its first checkpoint is
// durable: a directory holding it is an interrupted creation, never a lost store.
constexpr std::string_view kCreatingFile = "CREATING";

bool IsStoreFile(std::string_view name) {
  if (name == "LOCK" || name == internal::kCheckpointFile || name == "data.mdb" ||
      name == "lock.mdb" || name == kCreatingFile) {
    return true;
  }
  return name.starts_with("wal.") && name.size() > 4 &&
         name.find_first_not_of("0123456789", 4) == std::string_view::npos;
}

Result<DirContents> ListStoreDir(const std::string& dir) {
  DirContents c;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    (IsStoreFile(name) ? c.store_files : c.others).push_back(std::move(name));
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  std::sort(c.store_files.begin(), c.store_files.end());
  std::sort(c.others.begin(), c.others.end());
  if (c.Has("data.mdb")) {
    c.data_empty = std::filesystem::file_size(dir + "/data.mdb", ec) == 0 && !ec;
  }
  return c;
}

// A new store is about to be created in `path` (which holds `contents`): marks the
// creation with CREATING, durably, before any other store file is made, after removing
// what an interrupted creation left.
Status BeginCreation(const std::string& path, const DirContents& contents) {
  for (const std::string& name : contents.store_files) {
    if (name == "LOCK" || name == kCreatingFile) continue;
    const std::string file = path + "/" + name;
    if (::unlink(file.c_str()) != 0) return internal::ErrnoStatus("cannot remove", file, errno);
  }
  const std::string marker = path + "/" + std::string(kCreatingFile);
  int fd = ::open(marker.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return internal::ErrnoStatus("cannot create", marker, errno);
  ::close(fd);
  return internal::SyncDirectory(path);
}

std::string Join(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < 5; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > 5) out += ", ...";
  return out;
}

// Whether the existing directory `path` holds a store to open (true) or is empty (or
// holds an interrupted creation), so a new store may be created in it (false). A store is never
// invented over a lost one: a directory that holds any store file but no data.mdb with content is
// Corruption; one that holds only other files is not taken over. `lock_is_ours`: the LOCK file was
// created by this Open (the directory held none before), so it says nothing about the directory.
Result<bool> ClassifyStoreDir(const std::string& path, const DirContents& c, bool create_if_missing,
                              bool lock_is_ours) {
  std::vector<std::string> found = c.store_files;
  if (lock_is_ours) std::erase(found, std::string("LOCK"));
  if (c.Has(kCreatingFile)) {
    // Open never returned for this store, so nothing was ever acknowledged in it.
    if (create_if_missing) return false;
    return Status::NotFound("store " + path +
                            " does not exist: its creation was interrupted (CREATING is "
                            "present; Options.create_if_missing is false)");
  }
  if (found.empty()) {
    if (c.others.empty()) {
      if (create_if_missing) return false;
      return Status::NotFound("store " + path +
                              " does not exist: the directory is empty "
                              "(Options.create_if_missing is false)");
    }
    std::string what = path + " holds no durastore store (no data.mdb or CHECKPOINT) but " +
                       std::to_string(c.others.size()) + " other entries (" + Join(c.others) + ")";
    if (!create_if_missing) return Status::NotFound(what);
    return Status::InvalidArgument(what +
                                   ": a store is only created in a missing or empty directory");
  }
  if (!c.Has("data.mdb")) {
    return Status::Corruption("store " + path + " has " + Join(found) +
                              " but no data.mdb: its data file was lost (refusing to create a "
                              "new store over it)");
  }
  if (c.data_empty) {
    return Status::Corruption("store " + path +
                              " has an empty data.mdb (0 bytes): its data was lost "
                              "(refusing to create a new store over it)");
  }
  return true;
}

}  // namespace

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
      options_.checkpoint_interval_ms <= 0 || options_.checkpoint_log_bytes == 0 ||
      options_.checkpoint_data_bytes == 0) {
    return Status::InvalidArgument(
        "Options.log_segment_size must be at least 1 MiB, and background_flush_ms, "
        "checkpoint_interval_ms, checkpoint_log_bytes and checkpoint_data_bytes positive");
  }
  if (options_.read_only) return OpenReadOnly();
  const bool hooks_fdatasync = static_cast<bool>(hooks.fdatasync);
  after_replay_ = std::move(hooks.after_replay);
  sync_ =
      hooks.fdatasync ? internal::SyncFn(hooks.fdatasync) : internal::SyncFn(internal::Fdatasync);
  std::error_code ec;
  const bool created = !std::filesystem::exists(path_, ec);
  bool had_lock = false;
  if (created) {
    if (!options_.create_if_missing) return Status::NotFound("store " + path_ + " does not exist");
    std::filesystem::create_directories(path_, ec);
    if (ec) return Status::IOError("cannot create " + path_ + ": " + ec.message());
  } else if (!std::filesystem::is_directory(path_, ec)) {
    return Status::InvalidArgument(path_ + " is not a directory");
  } else {
    // Refuse what is not a store before the lock file is created in it.
    ASSIGN_OR_RETURN(DirContents before, ListStoreDir(path_));
    RETURN_IF_ERROR(ClassifyStoreDir(path_, before, options_.create_if_missing, false).status());
    had_lock = before.Has("LOCK");
  }
  ASSIGN_OR_RETURN(lock_file_, internal::LockFile::Acquire(path_));
  // Decided again under the lock: another process may have created the store meanwhile.
  ASSIGN_OR_RETURN(DirContents contents, ListStoreDir(path_));
  ASSIGN_OR_RETURN(const bool existing,
                   ClassifyStoreDir(path_, contents, options_.create_if_missing, !had_lock));
  if (!existing) RETURN_IF_ERROR(BeginCreation(path_, contents));

  // Until the threads start below, Open is the committer and the checkpointer.
  internal::RoleScope as_committer(&committer_role_);
  internal::RoleScope as_checkpointer(&checkpointer_role_);
  bool fresh = false;
  RETURN_IF_ERROR(OpenEnvironment(existing, &fresh));
  std::string checkpoint_path = path_ + "/" + internal::kCheckpointFile;
  checkpoint_fd_ = ::open(checkpoint_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (checkpoint_fd_ < 0) return internal::ErrnoStatus("cannot open", checkpoint_path, errno);

  internal::CommitLog::Config log_config;
  log_config.dir = path_;
  log_config.log_id = log_id_;
  log_config.segment_size = options_.log_segment_size;
  log_config.sync = sync_;
  log_config.background_flush_ms = options_.background_flush_ms;
  log_config.on_flushed = [this](uint64_t lsn, int err) { OnFlushed(lsn, err); };
  // kAuto is fdatasync: io_uring runs each fsync on an io-wq worker thread, two more
  // wake-ups per flush; it was as fast at 1 writer and slower at 8 to 256
  // (docs/performance.md, "Flush method"). A test's flush hook must see every flush: it
  // forces fdatasync too.
  log_config.io_uring = !hooks_fdatasync && options_.flush_method == FlushMethod::kIoUring;
  auto log = internal::CommitLog::Open(std::move(log_config), next_lsn_);
  if (!log.ok()) return log.status();
  log_ = std::move(*log);
  {
    internal::MutexLock lock(&pending_mu_);
    durable_lsn_ = next_lsn_ - 1;
  }
  // Everything replayed (or created) becomes a durable checkpoint before the first new
  // record can reuse a segment that held it.
  ASSIGN_OR_RETURN(PinnedSnapshot snapshot, PinSnapshot(next_lsn_ - 1));
  RETURN_IF_ERROR(Checkpoint(std::move(snapshot)));
  if (!existing) {
    // The first checkpoint is durable: the store exists.
    const std::string marker = path_ + "/" + std::string(kCreatingFile);
    if (::unlink(marker.c_str()) != 0) return internal::ErrnoStatus("cannot remove", marker, errno);
  }
  if (fresh || created || !existing) {
    RETURN_IF_ERROR(internal::SyncDirectory(path_));
    if (created) {
      RETURN_IF_ERROR(
          internal::SyncDirectory(std::filesystem::absolute(path_).parent_path().string()));
    }
  }
  {
    internal::MutexLock lock(&wait_mu_);
    committed_position_ = seqs_.next_position - 1;
  }
  checkpoint_mark_time_ = std::chrono::steady_clock::now();
  completer_ = std::thread([this] { RunCompleter(); });
  checkpointer_ = std::thread([this] { RunCheckpointer(); });
  committer_ = std::thread([this] { Run(); });
  return Status::OK();
}

Status Store::Impl::OpenReadOnly() {
  std::error_code ec;
  if (!std::filesystem::is_directory(path_, ec)) {
    return Status::NotFound("store " + path_ + " does not exist");
  }
  // A lost store is Corruption here too, and an empty directory NotFound.
  ASSIGN_OR_RETURN(DirContents contents, ListStoreDir(path_));
  RETURN_IF_ERROR(ClassifyStoreDir(path_, contents, /*create_if_missing=*/false,
                                   /*lock_is_ours=*/false)
                      .status());
  ASSIGN_OR_RETURN(internal::LockFile::Holder holder, internal::LockFile::Probe(path_));
  if (holder == internal::LockFile::Holder::kThisProcess) {
    // Two LMDB environments on one file in one process break LMDB's own locks.
    return Status::Busy(
        "store " + path_ + " is open for writing in this process; read through that Store",
        /*retryable=*/false);
  }
  ASSIGN_OR_RETURN(std::optional<internal::Checkpoint> checkpoint, internal::ReadCheckpoint(path_));
  if (!checkpoint.has_value()) {  // (a missing or empty data.mdb was refused above)
    return Status::Corruption("store " + path_ +
                              " has data.mdb but no CHECKPOINT file: the checkpoint file was "
                              "lost");
  }
  if (holder == internal::LockFile::Holder::kNobody && !checkpoint->clean) {
    return Status::Unavailable("store " + path_ +
                               " was not closed cleanly and no process has it open: open it "
                               "for writing once (that recovers it), then read-only");
  }
  if (holder == internal::LockFile::Holder::kNobody) {
    ASSIGN_OR_RETURN(std::string damage,
                     internal::CheckMetaPages(path_ + "/data.mdb", *checkpoint));
    if (!damage.empty()) {
      return Status::Corruption("store " + path_ + ": data.mdb: " + damage +
                                "; open it for writing once, which rewrites the meta pages "
                                "from CHECKPOINT");
    }
  }
  log_id_ = checkpoint->log_id;  // (Backup's copy names it)
  sync_ = internal::SyncFn(internal::Fdatasync);
  ASSIGN_OR_RETURN(auto env, Env::Open(path_, options_.initial_map_size, options_.max_map_size,
                                       /*read_only=*/true));
  {
    env_ = std::shared_ptr<Env>(std::move(env));
    internal::MutexLock lock(&env_mu_);
    readers_env_ = env_;
  }
  {
    ASSIGN_OR_RETURN(internal::ReadTxn read, env_->BeginRead());
    RETURN_IF_ERROR(CheckFormat(read.get()));
  }
  internal::RoleScope as_committer(&committer_role_);
  uint64_t applied = 0;
  RETURN_IF_ERROR(LoadSequences(&applied));
  internal::MutexLock lock(&wait_mu_);
  committed_position_ = seqs_.next_position - 1;
  return Status::OK();
}

Status Store::Impl::CheckFormat(std::optional<std::string_view> stored) const {
  // Older formats stored the marker without a checksum: compare the raw bytes first.
  if (stored == "durastore-1" || stored == "durastore-2") {
    const bool v1 = stored == "durastore-1";
    return Status::InvalidArgument(
        "store " + path_ + " is in format " + std::string(*stored) +
        (v1 ? " (LMDB as the commit point, durastore 0.1)" : " (commit log without checksums)") +
        "; this build reads format " + std::string(kFormatValue) +
        " (commit log, checksummed records) and does not convert it: read it with the build "
        "that wrote it and copy its contents into a new store (durastore export/import)");
  }
  if (!stored.has_value()) {
    return Status::Corruption("store " + path_ +
                              " has no format marker (sys/format): its data.mdb is not a durastore "
                              "store or lost its data");
  }
  MDB_val k = internal::Val(kFormatKey), v = internal::Val(*stored);
  if (internal::UnsealValue(env_->tables().sys, k, &v) && internal::View(v) == kFormatValue) {
    return Status::OK();
  }
  return Status::Corruption("store " + path_ + " has unknown format '" +
                            internal::Printable(*stored) + "'");
}

Status Store::Impl::CheckFormat(MDB_txn* txn) const {
  ASSIGN_OR_RETURN(auto stored, internal::GetStoredBytes(txn, env_->tables().sys, kFormatKey));
  return CheckFormat(stored);
}

// Opens LMDB at the last checkpoint and replays the log after it, or creates a new store.
Status Store::Impl::OpenEnvironment(bool existing, bool* fresh) {
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
    if (!checkpoint->clean) {
      RETURN_IF_ERROR(internal::RestoreMetaPages(data_path, *checkpoint, sync_));
    } else {
      // Salvage: a damaged meta page (LMDB refuses a store with one, though the other and
      // the data are intact) is rewritten from the checkpoint's copy of the snapshot.
      ASSIGN_OR_RETURN(std::string damage, internal::CheckMetaPages(data_path, *checkpoint));
      if (!damage.empty()) {
        RETURN_IF_ERROR(internal::RestoreMetaPages(data_path, *checkpoint, sync_));
        repairs_.push_back("data.mdb: " + damage +
                           "; both meta pages were rewritten from CHECKPOINT (checkpoint " +
                           std::to_string(checkpoint->seq) + ", LMDB transaction " +
                           std::to_string(checkpoint->txnid) +
                           ", the state of the last clean Close: nothing the store wrote is "
                           "lost; writes made to data.mdb with LMDB's own tools since are)");
      }
    }
  }
  auto opened = Env::Open(path_, options_.initial_map_size, options_.max_map_size);
  if (!opened.ok()) return opened.status();
  {
    env_ = std::shared_ptr<Env>(std::move(*opened));
    internal::MutexLock lock(&env_mu_);
    readers_env_ = env_;
  }
  MDB_stat st;
  int rc = mdb_env_stat(env_->raw(), &st);
  if (rc != 0) return internal::LmdbStatus(rc, "mdb_env_stat");
  page_size_ = st.ms_psize;
  redo_.emplace(env_->tables());

  std::optional<std::string> found;  // the format marker's stored bytes
  {
    ASSIGN_OR_RETURN(internal::ReadTxn read, env_->BeginRead());
    ASSIGN_OR_RETURN(auto format,
                     internal::GetStoredBytes(read.get(), env_->tables().sys, kFormatKey));
    if (format) found = std::string(*format);
  }
  if (found == "durastore-1") return CheckFormat(found);  // it had no CHECKPOINT
  if (!checkpoint.has_value()) {
    if (existing) {
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
    if (rc != 0) return env_->WriteStatus(rc, "initialising store");
    next_lsn_ = 1;
    return Status::OK();
  }
  RETURN_IF_ERROR(CheckFormat(found));
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
  // The replay's transactions must not reuse a page of the checkpointed snapshot until the
  // checkpoint Open writes after it is durable: a crash before then restores that snapshot
  // again. Pinned like every checkpoint; Open's checkpoint releases it.
  int rc = mdb_txn_begin(env_->raw(), nullptr, MDB_RDONLY, &durable_pin_);
  if (rc != 0) return internal::LmdbStatus(rc, "pinning the checkpointed snapshot");
  ASSIGN_OR_RETURN(internal::LogScan scan,
                   internal::ScanLog(path_, c.log_id, c.next, c.lsn + 1,
                                     [this](uint64_t lsn, std::string_view ops) -> Status {
                                       RETURN_IF_ERROR(ApplyLogRecord(ops));
                                       if (after_replay_) after_replay_(lsn);
                                       return Status::OK();
                                     }));
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
      return s.ok() ? env_->WriteStatus(rc, "replaying the commit log") : s;
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
  return internal::DecodeSequences(seq, &seqs_, lsn);
}

Status Store::Impl::Close() {
  {
    internal::MutexLock lock(&queue_mu_);
    if (stopping_) return Status::OK();
    stopping_ = true;
  }
  queue_cv_.NotifyAll();
  if (committer_.joinable()) committer_.join();  // drains every submitted request
  if (log_ != nullptr) log_->RequestFlush();
  {
    // Wait for in-flight flushes so no kSync caller is left hanging.
    internal::MutexLock lock(&pending_mu_);
    pending_cv_.Wait(&pending_mu_, [this]() REQUIRES(pending_mu_) { return pending_.empty(); });
  }
  {
    internal::MutexLock lock(&checkpoint_mu_);
    checkpoint_stop_ = true;
  }
  checkpoint_cv_.NotifyAll();
  if (checkpointer_.joinable()) checkpointer_.join();
  // Both threads are gone: Close is the committer and the checkpointer now.
  internal::RoleScope as_committer(&committer_role_);
  internal::RoleScope as_checkpointer(&checkpointer_role_);
  Status result = health();
  // A final, clean checkpoint: the next Open replays nothing and trusts LMDB's meta page.
  if (result.ok() && log_ != nullptr) {
    auto snapshot = PinSnapshot(next_lsn_ - 1);
    if (snapshot.ok()) snapshot->checkpoint.clean = true;
    result = snapshot.ok() ? Checkpoint(std::move(*snapshot)) : snapshot.status();
  }
  {
    internal::MutexLock lock(&complete_mu_);
    completer_stop_ = true;
  }
  complete_cv_.NotifyOne();
  if (completer_.joinable()) completer_.join();  // every callback has run
  closed_.store(true, std::memory_order_release);
  { internal::MutexLock lock(&wait_mu_); }
  wait_cv_.NotifyAll();
  log_.reset();
  {
    internal::MutexLock lock(&env_mu_);
    readers_env_.reset();
  }
  // Readers that got the environment before finish with it first.
  while (env_ != nullptr && env_.use_count() > 1) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (durable_pin_ != nullptr) mdb_txn_abort(durable_pin_);
  durable_pin_ = nullptr;
  env_.reset();
  if (checkpoint_fd_ >= 0) ::close(checkpoint_fd_);
  checkpoint_fd_ = -1;
  lock_file_.reset();
  return result;
}

}  // namespace durastore
