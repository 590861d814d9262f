// Store::Backup (backup.h; docs/architecture.md, "Backup").
#include "backup.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "batch_rep.h"
#include "checkpoint.h"
#include "file_util.h"
#include "status_macros.h"
#include "store_impl.h"

namespace durastore {
namespace internal {
namespace {

// A file descriptor closed at scope end.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting a failure (a close can report a write-back error).
  Status Close(const std::string& path) {
    int rc = ::close(fd_);
    fd_ = -1;
    if (rc != 0) return ErrnoStatus("cannot close", path, errno);
    return Status::OK();
  }

 private:
  int fd_;
};

// The temporary directory, removed with its content unless Keep() was called.
class TempStoreDir {
 public:
  explicit TempStoreDir(std::string path) : path_(std::move(path)) {}
  ~TempStoreDir() {
    if (path_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempStoreDir(const TempStoreDir&) = delete;
  TempStoreDir& operator=(const TempStoreDir&) = delete;
  const std::string& path() const { return path_; }
  void Keep() { path_.clear(); }

 private:
  std::string path_;
};

// `dest` may become the backup: it does not exist, or is an empty directory; its parent
// is a directory. Returns the parent.
Result<std::string> CheckDestination(const std::string& dest) {
  if (dest.empty() || dest.find('\0') != std::string::npos) {
    return Status::InvalidArgument("backup destination must be non-empty and contain no NUL byte");
  }
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path target = fs::absolute(fs::path(dest), ec).lexically_normal();
  if (ec) return Status::InvalidArgument("backup destination " + dest + ": " + ec.message());
  if (!target.has_filename()) target = target.parent_path();  // "dir/" names "dir"
  const fs::file_status st = fs::symlink_status(target, ec);
  if (fs::exists(st)) {
    if (!fs::is_directory(st)) {
      return Status::AlreadyExists("backup destination " + dest +
                                   " exists and is not a directory: refusing to replace it");
    }
    if (!fs::is_empty(target, ec) || ec) {
      return Status::AlreadyExists("backup destination " + dest +
                                   " is not an empty directory: refusing to overwrite it (a "
                                   "backup goes to a new or empty directory)");
    }
  }
  const fs::path parent = target.parent_path();
  if (!fs::is_directory(parent, ec)) {
    return Status::NotFound("the parent directory " + parent.string() + " of backup destination " +
                            dest + " does not exist");
  }
  return target.string();
}

// What the copy at `dir` holds: its LMDB transaction id and page size, and the LSN its
// sys/sequences record carries. Opened read-only and without a lock file (nothing is
// written to the copy).
struct CopiedSnapshot {
  uint64_t txnid = 0;
  uint32_t page_size = 0;
  uint64_t lsn = 0;
};

Result<CopiedSnapshot> ReadCopy(const std::string& dir) {
  MDB_env* raw = nullptr;
  int rc = mdb_env_create(&raw);
  if (rc != 0) return LmdbStatus(rc, "mdb_env_create");
  std::unique_ptr<MDB_env, void (*)(MDB_env*)> env(raw, mdb_env_close);
  rc = mdb_env_set_maxdbs(raw, 32);
  if (rc == 0) rc = mdb_env_open(raw, dir.c_str(), MDB_RDONLY | MDB_NOLOCK | MDB_NORDAHEAD, 0644);
  if (rc != 0) return LmdbStatus(rc, "opening the backup copy in " + dir);
  MDB_txn* txn_raw = nullptr;
  rc = mdb_txn_begin(raw, nullptr, MDB_RDONLY, &txn_raw);
  if (rc != 0) return LmdbStatus(rc, "reading the backup copy");
  Txn txn(txn_raw);
  CopiedSnapshot copy;
  copy.txnid = mdb_txn_id(txn.get());
  MDB_stat st;
  rc = mdb_env_stat(raw, &st);
  if (rc != 0) return LmdbStatus(rc, "mdb_env_stat of the backup copy");
  copy.page_size = st.ms_psize;
  MDB_dbi sys = 0;
  rc = mdb_dbi_open(txn.get(), "sys", 0, &sys);
  if (rc != 0) return LmdbStatus(rc, "opening table sys of the backup copy");
  ASSIGN_OR_RETURN(std::string_view format, Get(txn.get(), sys, kFormatKey));
  if (format != kFormatValue) {
    return Status::Corruption("the backup copy has format '" + Printable(format) + "', not " +
                              std::string(kFormatValue));
  }
  ASSIGN_OR_RETURN(std::string_view seq, Get(txn.get(), sys, kSequencesKey));
  Sequences seqs;
  RETURN_IF_ERROR(DecodeSequences(seq, &seqs, &copy.lsn));
  return copy;
}

}  // namespace

Result<BackupFigures> BackupStore(Env& env, uint64_t log_id, const std::string& dest, bool compact,
                                  const SyncFn& sync) {
  ASSIGN_OR_RETURN(std::string target, CheckDestination(dest));
  namespace fs = std::filesystem;
  const std::string parent = fs::path(target).parent_path().string();
  std::string tmpl = parent + "/." + fs::path(target).filename().string() + ".backup-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return ErrnoStatus("cannot create a temporary directory", tmpl, errno);
  }
  TempStoreDir tmp(tmpl);

  // 1. data.mdb: LMDB's copy of one read snapshot, taken now, so it holds every group
  //    committed to LMDB before this call (every acknowledged commit is).
  const std::string data_path = tmp.path() + "/data.mdb";
  {
    Fd data(::open(data_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (data.get() < 0) return ErrnoStatus("cannot create", data_path, errno);
    RETURN_IF_ERROR(env.CopyTo(data.get(), compact));
    int err = sync(data.get());
    if (err != 0) return ErrnoStatus("flush of " + data_path, err);
    RETURN_IF_ERROR(data.Close(data_path));
  }

  // 2. CHECKPOINT: a clean checkpoint of exactly that snapshot, at a log position with no
  //    segment, so Open trusts LMDB's meta page and replays nothing.
  ASSIGN_OR_RETURN(CopiedSnapshot copy, ReadCopy(tmp.path()));
  Checkpoint c;
  c.seq = 1;
  c.lsn = copy.lsn;
  c.txnid = copy.txnid;
  c.log_id = log_id;
  c.next = LogPosition{0, kSegmentHeaderSize};
  c.page_size = copy.page_size;
  c.clean = true;
  {
    Fd data(::open(data_path.c_str(), O_RDONLY | O_CLOEXEC));
    if (data.get() < 0) return ErrnoStatus("cannot open", data_path, errno);
    ASSIGN_OR_RETURN(c.meta, ReadMetaPage(data.get(), copy.txnid, copy.page_size));
  }
  const std::string checkpoint_path = tmp.path() + "/" + kCheckpointFile;
  {
    Fd file(::open(checkpoint_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    if (file.get() < 0) return ErrnoStatus("cannot create", checkpoint_path, errno);
    RETURN_IF_ERROR(WriteCheckpoint(file.get(), c, sync));
    RETURN_IF_ERROR(file.Close(checkpoint_path));
  }

  // 3. Publish: the directory's entries are durable before the rename makes it the
  //    backup, and the rename is durable before Backup returns.
  RETURN_IF_ERROR(SyncDirectory(tmp.path()));
  BackupFigures figures;
  figures.lsn = copy.lsn;
  std::error_code ec;
  figures.data_bytes = fs::file_size(data_path, ec);
  // rename(2) replaces an empty directory and fails on a non-empty one, so a destination
  // filled since it was checked is not overwritten.
  if (::rename(tmp.path().c_str(), target.c_str()) != 0) {
    const int err = errno;
    if (err == ENOTEMPTY || err == EEXIST || err == ENOTDIR) {
      return Status::AlreadyExists("backup destination " + dest +
                                   " was filled while the backup ran: refusing to overwrite it");
    }
    return ErrnoStatus("cannot rename " + tmp.path() + " to", target, err);
  }
  tmp.Keep();
  RETURN_IF_ERROR(SyncDirectory(parent));
  return figures;
}

}  // namespace internal

Status Store::Backup(const std::string& dest_dir, const BackupOptions& options) {
  ASSIGN_OR_RETURN(internal::Env * env, impl_->GetEnv());
  return internal::BackupStore(*env, impl_->log_id(), dest_dir, options.compact, impl_->sync())
      .status();
}

}  // namespace durastore
