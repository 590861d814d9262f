#include "lmdb_env.h"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>

#include "batch_rep.h"
#include "coding.h"
#include "crc32c.h"
#include "file_util.h"
#include "redo.h"
#include "status_macros.h"

namespace durastore::internal {

namespace {
Status MapLmdbCode(int rc, std::string_view what) {
  std::string msg = std::string(what) + ": " + mdb_strerror(rc);
  switch (rc) {
    case MDB_SUCCESS:
      return Status::OK();
    case MDB_NOTFOUND:
      return Status::NotFound(std::move(msg));
    case MDB_KEYEXIST:
      return Status::AlreadyExists(std::move(msg));
    case MDB_MAP_FULL:
    case MDB_TXN_FULL:
    case MDB_CURSOR_FULL:
    case MDB_PAGE_FULL:
    case MDB_DBS_FULL:
    case ENOSPC:
    case EDQUOT:
      return Status::ResourceExhausted(std::move(msg));
    case MDB_READERS_FULL:
    case EAGAIN:
    case EBUSY:
      return Status::Busy(std::move(msg));
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
      return Status::Corruption(std::move(msg));
    case MDB_BAD_VALSIZE:
      return Status::InvalidArgument(std::move(msg));
    case EINVAL:
      // LMDB's EINVAL means durastore called it wrongly (a bad transaction, table or flag):
      // a bug here, not the caller's input (which is validated before LMDB sees it) and
      // not damaged data (Corruption would send an operator to a backup). IOError is the
      // code for "the storage layer failed, do not retry".
      return Status::IOError(msg + " (internal misuse of LMDB: a durastore bug)");
    case EINTR:
      return Status::IOError(std::move(msg), /*transient=*/true);
    default:
      return Status::IOError(std::move(msg));
  }
}
}  // namespace

namespace {

// Table names by handle, for checksum messages. Every environment opens the tables in the
// same order, so a handle names the same table in each.
constexpr size_t kMaxTables = 64;
std::array<std::atomic<const char*>, kMaxTables> table_names{};

thread_local std::string last_mismatch;

uint32_t ValueChecksum(std::string_view key, std::string_view value) {
  // The key's length first (big-endian), so key and value cannot trade bytes.
  const auto n = static_cast<uint32_t>(key.size());
  const uint8_t length[4] = {static_cast<uint8_t>(n >> 24), static_cast<uint8_t>(n >> 16),
                             static_cast<uint8_t>(n >> 8), static_cast<uint8_t>(n)};
  uint32_t crc = Crc32cExtend(0, length, sizeof(length));
  crc = Crc32cExtend(crc, key.data(), key.size());
  return Crc32cExtend(crc, value.data(), value.size());
}

}  // namespace

void SealValue(std::string_view key, std::string_view value, std::string* out) {
  out->assign(value);
  PutU32(*out, ValueChecksum(key, value));
}

bool UnsealValue(MDB_dbi dbi, const MDB_val& k, MDB_val* v) {
  if (v->mv_size >= kChecksumSize) {
    std::string_view stored = View(*v);
    std::string_view value = stored.substr(0, stored.size() - kChecksumSize);
    if (GetU32(stored, value.size()) == ValueChecksum(View(k), value)) {
      v->mv_size = value.size();
      return true;
    }
  }
  const char* name = dbi < kMaxTables ? table_names[dbi].load(std::memory_order_relaxed) : nullptr;
  last_mismatch = "checksum mismatch in table '" + std::string(name ? name : "?") + "' at key '" +
                  Printable(View(k)) + "' (" + std::to_string(v->mv_size) +
                  " stored bytes): the store is damaged";
  return false;
}

Status ChecksumMismatch(std::string_view what) {
  return Status::Corruption(std::string(what) + ": " + last_mismatch);
}

Status LmdbStatus(int rc, std::string_view what) {
  if (rc == kChecksumMismatch) return ChecksumMismatch(what);
  if (rc == MDB_SUCCESS) return Status::OK();
  return StatusDetail::WithLmdbCode(MapLmdbCode(rc, what), rc);
}

Status LmdbWriteStatus(int rc, std::string_view what, int fd) {
  if (rc == EIO) {
    Status s = WriteErrnoStatus(what, rc, fd);
    if (s.code() == Code::kResourceExhausted) return StatusDetail::WithLmdbCode(std::move(s), rc);
  }
  return LmdbStatus(rc, what);
}

ReadTxn::ReadTxn(ReadTxn&& o) noexcept : env_(o.env_), txn_(o.txn_), lock_(std::move(o.lock_)) {
  o.txn_ = nullptr;
}

ReadTxn::~ReadTxn() {
  if (txn_ != nullptr) env_->ReleaseRead(txn_);
}

Env::~Env() {
  for (MDB_txn* t : pool_) mdb_txn_abort(t);
  if (env_ != nullptr) mdb_env_close(env_);
}

int Env::fd() const {
  mdb_filehandle_t fd = -1;
  if (mdb_env_get_fd(env_, &fd) != 0) return -1;  // (only for a null env: never once open)
  return fd;
}

Result<std::unique_ptr<Env>> Env::Open(const std::string& dir, size_t initial_map_size,
                                       size_t max_map_size, bool read_only) {
  std::unique_ptr<Env> env(new Env());
  int rc = mdb_env_create(&env->env_);
  if (rc != 0) return LmdbStatus(rc, "mdb_env_create");
  rc = mdb_env_set_maxdbs(env->env_, 32);
  if (rc != 0) return LmdbStatus(rc, "mdb_env_set_maxdbs");
  rc = mdb_env_set_maxreaders(env->env_, 1024);
  if (rc != 0) return LmdbStatus(rc, "mdb_env_set_maxreaders");
  if (!read_only) {  // a reader takes the size the writer recorded in the meta page
    rc = mdb_env_set_mapsize(env->env_, initial_map_size);
    if (rc != 0) return LmdbStatus(rc, "mdb_env_set_mapsize");
  }
  // NOSYNC | NOMETASYNC: commits never flush; the commit log is the commit point and a
  // checkpoint flushes data.mdb (checkpoint.h says how recovery survives the unflushed
  // pages). NOTLS: read transactions come from a pool and may move between threads, and
  // a checkpoint's pin is released by another thread than the one that took it.
  const unsigned flags = read_only ? MDB_RDONLY | MDB_NOTLS | MDB_NORDAHEAD
                                   : MDB_NOSYNC | MDB_NOMETASYNC | MDB_NOTLS | MDB_NORDAHEAD;
  rc = mdb_env_open(env->env_, dir.c_str(), flags, 0644);
  if (rc != 0) return LmdbStatus(rc, "opening LMDB environment in " + dir);
  int dead = 0;
  rc = mdb_reader_check(env->env_, &dead);  // clear reader slots of dead processes
  if (rc != 0) return LmdbStatus(rc, "mdb_reader_check");

  MDB_envinfo info;
  rc = mdb_env_info(env->env_, &info);
  if (rc != 0) return LmdbStatus(rc, "mdb_env_info");
  env->map_size_ = info.me_mapsize;
  // A meta page that names pages past the end of the file (a power cut that kept the meta
  // but not the data, after kNoSync commits) would make LMDB read beyond the mapping and
  // die of SIGBUS; report it as Corruption instead.
  MDB_stat stat;
  rc = mdb_env_stat(env->env_, &stat);
  if (rc != 0) return LmdbStatus(rc, "mdb_env_stat");
  struct stat file;
  const std::string data_file = dir + "/data.mdb";
  if (::stat(data_file.c_str(), &file) != 0) return ErrnoStatus("cannot stat", data_file, errno);
  if ((static_cast<uint64_t>(info.me_last_pgno) + 1) * stat.ms_psize >
      static_cast<uint64_t>(file.st_size)) {
    return Status::Corruption("data.mdb is shorter than its meta page says (" +
                              std::to_string(file.st_size) + " bytes, last page " +
                              std::to_string(info.me_last_pgno) +
                              "): the store lost data it had not flushed");
  }
  env->max_map_size_ = std::max(max_map_size, env->map_size_);

  RETURN_IF_ERROR(env->OpenTables(read_only));
  return env;
}

Status Env::OpenTables(bool read_only) {
  MDB_txn* raw = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, read_only ? MDB_RDONLY : 0, &raw);
  if (rc != 0) return LmdbStatus(rc, "mdb_txn_begin");
  Txn txn(raw);
  const auto dbis = tables_.refs();
  for (size_t i = 0; i < dbis.size(); ++i) {
    const char* name = Tables::kNames[i];
    rc = mdb_dbi_open(txn.get(), name, read_only ? 0 : MDB_CREATE, dbis[i]);
    if (rc == MDB_NOTFOUND) {
      return Status::Corruption(std::string("the store has no table '") + name + "'");
    }
    if (rc != 0) return LmdbStatus(rc, std::string("opening table ") + name);
    if (*dbis[i] < kMaxTables) table_names[*dbis[i]].store(name, std::memory_order_relaxed);
  }
  // Committing (also a read transaction) keeps the table handles for the environment.
  rc = txn.Commit();
  if (rc != 0) return WriteStatus(rc, "committing table creation");
  return Status::OK();
}

Result<ReadTxn> Env::BeginRead() {
  std::shared_lock<std::shared_mutex> lock(resize_mu_);
  MDB_txn* txn = nullptr;
  {
    std::lock_guard<std::mutex> g(pool_mu_);
    if (!pool_.empty()) {
      txn = pool_.back();
      pool_.pop_back();
    }
  }
  int rc;
  if (txn != nullptr) {
    rc = mdb_txn_renew(txn);
    if (rc != 0) {
      mdb_txn_abort(txn);
      txn = nullptr;
    }
  }
  if (txn == nullptr) {
    rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc == MDB_MAP_RESIZED) {
      lock.unlock();
      RETURN_IF_ERROR(AdoptMapSize());
      return BeginRead();
    }
    if (rc != 0) return LmdbStatus(rc, "beginning read transaction");
  }
  return ReadTxn(this, txn, std::move(lock));
}

Status Env::AdoptMapSize() {
  std::unique_lock<std::shared_mutex> lock(resize_mu_);
  int rc = mdb_env_set_mapsize(env_, 0);  // 0: the size in the newest meta page
  if (rc != 0) return LmdbStatus(rc, "adopting the writer's map size");
  MDB_envinfo info;
  rc = mdb_env_info(env_, &info);
  if (rc != 0) return LmdbStatus(rc, "mdb_env_info");
  map_size_ = info.me_mapsize;
  return Status::OK();
}

Status Env::CopyTo(int fd, bool compact) {
  for (;;) {
    // LMDB's copy reads through the map with its own read transaction: the map must not
    // move under it.
    std::shared_lock<std::shared_mutex> lock(resize_mu_);
    int rc = mdb_env_copyfd2(env_, fd, compact ? MDB_CP_COMPACT : 0);
    if (rc == MDB_MAP_RESIZED) {  // (read-only) the writer grew the map: follow and retry
      lock.unlock();
      RETURN_IF_ERROR(AdoptMapSize());
      if (::ftruncate(fd, 0) != 0) return ErrnoStatus("cannot truncate the copy", errno);
      if (::lseek(fd, 0, SEEK_SET) != 0) return ErrnoStatus("cannot rewind the copy", errno);
      continue;
    }
    if (rc != 0) return LmdbStatus(rc, "copying the LMDB environment");
    return Status::OK();
  }
}

void Env::ReleaseRead(MDB_txn* txn) {
  mdb_txn_reset(txn);
  std::lock_guard<std::mutex> g(pool_mu_);
  if (pool_.size() < 64) {
    pool_.push_back(txn);
  } else {
    mdb_txn_abort(txn);
  }
}

Result<Txn> Env::BeginWrite() {
  MDB_txn* txn = nullptr;
  int rc = mdb_txn_begin(env_, nullptr, 0, &txn);
  if (rc != 0) return LmdbStatus(rc, "beginning write transaction");
  return Txn(txn);
}

Status Env::Grow() {
  if (map_size_ >= max_map_size_) {
    return Status::ResourceExhausted("store map is at its maximum size of " +
                                     std::to_string(max_map_size_) +
                                     " bytes (Options::max_map_size)");
  }
  size_t next = std::min(max_map_size_, map_size_ * 2);
  std::unique_lock<std::shared_mutex> lock(resize_mu_);
  int rc = mdb_env_set_mapsize(env_, next);
  if (rc != 0) return LmdbStatus(rc, "growing the map to " + std::to_string(next));
  map_size_ = next;
  return Status::OK();
}

Result<std::string_view> Get(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
  ASSIGN_OR_RETURN(std::optional<std::string_view> value, GetIfPresent(txn, dbi, key));
  if (!value) return LmdbStatus(MDB_NOTFOUND, "get");
  return *value;
}

Result<std::optional<std::string_view>> GetIfPresent(MDB_txn* txn, MDB_dbi dbi,
                                                     std::string_view key) {
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return LmdbStatus(rc, "get");
  if (!UnsealValue(dbi, k, &v)) return ChecksumMismatch("get");
  return std::optional<std::string_view>(View(v));
}

Result<std::optional<std::string_view>> GetStoredBytes(MDB_txn* txn, MDB_dbi dbi,
                                                       std::string_view key) {
  MDB_val k = Val(key), v;
  int rc = mdb_get(txn, dbi, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return LmdbStatus(rc, "get");
  return std::optional<std::string_view>(View(v));
}

Status Put(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view value,
           unsigned flags) {
  // One buffer per thread: a put copies the value once more, never allocates for it.
  thread_local std::string sealed;
  SealValue(key, value, &sealed);
  MDB_val k = Val(key), v = Val(sealed);
  int rc = mdb_put(txn, dbi, &k, &v, flags);
  if (rc == MDB_KEYEXIST && (flags & MDB_APPEND) != 0) {
    // Appended keys come from a counter in sys; an existing one means stored ids run past
    // the counter: the store is damaged, not the caller's input duplicated.
    return Status::Corruption("put: a key past the id counter already exists (damaged store)");
  }
  if (rc != 0) return LmdbStatus(rc, "put");
  if (RedoRecorder* redo = CurrentRedo()) redo->Put(dbi, key, sealed);
  if (sealed.capacity() > (size_t{1} << 20)) std::string().swap(sealed);  // keep no big one
  return Status::OK();
}

Status Del(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
  MDB_val k = Val(key);
  int rc = mdb_del(txn, dbi, &k, nullptr);
  if (rc == MDB_NOTFOUND) return Status::OK();
  if (rc != 0) return LmdbStatus(rc, "delete");
  if (RedoRecorder* redo = CurrentRedo()) redo->Delete(dbi, key);
  return Status::OK();
}

int CursorDelete(MDB_cursor* cursor) {
  RedoRecorder* redo = CurrentRedo();
  MDB_val k, v;
  if (redo != nullptr) {
    int rc = mdb_cursor_get(cursor, &k, &v, MDB_GET_CURRENT);
    if (rc != 0) return rc;
  }
  int rc = mdb_cursor_del(cursor, 0);
  if (rc == 0 && redo != nullptr) redo->Delete(mdb_cursor_dbi(cursor), View(k));
  return rc;
}

Result<uint64_t> DelPrefix(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix) {
  Cursor cur(txn, dbi);
  if (cur.open_rc() != 0) return LmdbStatus(cur.open_rc(), "cursor");
  MDB_val k, v;
  uint64_t n = 0;
  int rc = cur.Seek(prefix, &k, &v);
  while (rc == 0 && HasPrefix(View(k), prefix)) {
    rc = CursorDelete(cur.get());
    if (rc != 0) return LmdbStatus(rc, "delete");
    ++n;
    rc = cur.Next(&k, &v);  // after a delete LMDB's MDB_NEXT yields the following key
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "cursor");
  return n;
}

}  // namespace durastore::internal
