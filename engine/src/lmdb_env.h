// The LMDB layer: one environment, its named tables, RAII transactions and cursors, point
// reads and writes, and the mapping of LMDB return codes to Status (in exactly one place).
// The byte codecs of keys and values are in coding.h (included here for its users).
#ifndef DURASTORE_ENGINE_LMDB_ENV_H_
#define DURASTORE_ENGINE_LMDB_ENV_H_

#include <lmdb.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "coding.h"
#include "durastore/status.h"

namespace durastore::internal {

// Maps an LMDB (or errno) return code to a Status. `what` says which operation failed.
// The Status carries `rc` (StatusDetail::LmdbCode), so the engine can react to one LMDB
// error (MDB_MAP_FULL) without reading message text.
Status LmdbStatus(int rc, std::string_view what);
// LmdbStatus for a call that writes data.mdb (a write transaction's commit), `fd` being
// its descriptor: LMDB reports a short write as EIO, so an EIO on a full file system is
// ResourceExhausted (WriteErrnoStatus in file_util.h says how that is decided).
Status LmdbWriteStatus(int rc, std::string_view what, int fd);

class StatusDetail {
 public:
  // The LMDB/errno return code `s` was mapped from by LmdbStatus; 0 for any other Status.
  static int LmdbCode(const Status& s) { return s.lmdb_rc_; }

 private:
  friend Status LmdbStatus(int rc, std::string_view what);
  friend Status LmdbWriteStatus(int rc, std::string_view what, int fd);
  static Status WithLmdbCode(Status s, int rc) {
    s.lmdb_rc_ = rc;
    return s;
  }
};

inline MDB_val Val(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }
inline std::string_view View(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

// The named tables of a store. Layout of every key and value: docs/format.md, "Tables".
struct Tables {
  MDB_dbi sys = 0;      // engine counters and format version
  MDB_dbi meta = 0;     // user metadata
  MDB_dbi streams = 0;  // the event log (eventlog.cc)
  MDB_dbi stream_keys = 0;
  MDB_dbi partitions = 0;
  MDB_dbi events = 0;
  MDB_dbi event_keys = 0;
  MDB_dbi positions = 0;
  MDB_dbi queues = 0;  // the queues (queue.cc)
  MDB_dbi q_ready = 0;
  MDB_dbi q_msgs = 0;
  MDB_dbi q_payloads = 0;
  MDB_dbi q_groups = 0;
  MDB_dbi q_attrs = 0;

  // Every table, in the fixed order above: a table's index here is its number in the
  // commit log (docs/format.md), so new tables are only ever added at the end.
  std::array<MDB_dbi, 14> all() const {
    return {sys,       meta,   streams, stream_keys, partitions, events,   event_keys,
            positions, queues, q_ready, q_msgs,      q_payloads, q_groups, q_attrs};
  }
  std::array<MDB_dbi*, 14> refs() {
    return {&sys,       &meta,   &streams, &stream_keys, &partitions, &events,   &event_keys,
            &positions, &queues, &q_ready, &q_msgs,      &q_payloads, &q_groups, &q_attrs};
  }
  // Their LMDB names, in the same order.
  static constexpr std::array<const char*, 14> kNames = {
      "sys",       "meta",   "streams", "stream_keys", "partitions", "events",   "event_keys",
      "positions", "queues", "q_ready", "q_msgs",      "q_payloads", "q_groups", "q_attrs"};
};

// A write or read transaction that aborts in its destructor unless committed.
class Txn {
 public:
  Txn() = default;
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  ~Txn() { Abort(); }
  Txn(Txn&& o) noexcept : txn_(o.txn_) { o.txn_ = nullptr; }
  Txn& operator=(Txn&& o) noexcept {
    if (this != &o) {
      Abort();
      txn_ = o.txn_;
      o.txn_ = nullptr;
    }
    return *this;
  }
  MDB_txn* get() const { return txn_; }
  int Commit() {
    int rc = mdb_txn_commit(txn_);
    txn_ = nullptr;
    return rc;
  }
  void Abort() {
    if (txn_ != nullptr) mdb_txn_abort(txn_);
    txn_ = nullptr;
  }

 private:
  MDB_txn* txn_ = nullptr;
};

class Env;

// A read transaction from the environment's pool; holds the resize lock shared so the
// map cannot be resized under it. Keep it short.
class ReadTxn {
 public:
  ReadTxn(ReadTxn&& o) noexcept;
  ~ReadTxn();
  MDB_txn* get() const { return txn_; }

 private:
  friend class Env;
  ReadTxn(Env* env, MDB_txn* txn, std::shared_lock<std::shared_mutex> lock)
      : env_(env), txn_(txn), lock_(std::move(lock)) {}
  Env* env_;
  MDB_txn* txn_;
  std::shared_lock<std::shared_mutex> lock_;
};

class Env {
 public:
  ~Env();
  // Opens the environment in `dir` (which exists) and every table. `read_only` opens it
  // MDB_RDONLY beside a writer in another process: the tables must exist, the map size is
  // the writer's, and BeginWrite and Grow must not be called.
  static Result<std::unique_ptr<Env>> Open(const std::string& dir, size_t initial_map_size,
                                           size_t max_map_size, bool read_only = false);

  MDB_env* raw() const { return env_; }
  const Tables& tables() const { return tables_; }
  int fd() const;  // the data file descriptor; -1 if LMDB cannot give it
  // LmdbWriteStatus on this environment's data file.
  Status WriteStatus(int rc, std::string_view what) const {
    return LmdbWriteStatus(rc, what, fd());
  }

  Result<ReadTxn> BeginRead();
  // Writes a consistent copy of the environment (one read snapshot, taken after every
  // transaction committed so far) to `fd` with mdb_env_copyfd2, compacted (MDB_CP_COMPACT:
  // free pages left out, pages renumbered) when `compact`. Holds the resize lock shared
  // for the whole copy, like a read transaction: a map growth waits for it.
  Status CopyTo(int fd, bool compact);
  // Only the committer writes (and Open before it starts). Commits never flush: the
  // commit log is the commit point and checkpoints flush data.mdb (store.cc).
  Result<Txn> BeginWrite();

  // Doubles the map (up to the maximum). Waits for readers to leave. Only call with no
  // write transaction open. ResourceExhausted when already at the maximum.
  Status Grow();
  size_t map_size() const { return map_size_; }

 private:
  friend class ReadTxn;
  Env() = default;
  Status OpenTables(bool read_only);
  void ReleaseRead(MDB_txn* txn);
  // A writer in another process grew the map past ours: adopt its size (no read open).
  Status AdoptMapSize();

  MDB_env* env_ = nullptr;
  Tables tables_;
  size_t map_size_ = 0;
  size_t max_map_size_ = 0;
  std::shared_mutex resize_mu_;  // shared: open read txns; exclusive: resize
  std::mutex pool_mu_;
  std::vector<MDB_txn*> pool_;  // guarded by pool_mu_: reset read transactions
};

// Checksums. Every value stored in a table ends with a 4-byte CRC32C of its key and value
// (docs/format.md, "Checksums"): Put appends it; Get, GetIfPresent and Cursor check and
// strip it, so a damaged record reads as Corruption naming its table and key, never as
// data. A Cursor reports a mismatch as kChecksumMismatch (not an LMDB code), which
// LmdbStatus maps to that Corruption.
inline constexpr size_t kChecksumSize = 4;
inline constexpr int kChecksumMismatch = -30000;
// The stored form of `value` under `key`: value, then the checksum.
void SealValue(std::string_view key, std::string_view value, std::string* out);
// Checks the checksum of the stored value `v` of `k` in table `dbi` and strips it. False
// on a mismatch, remembering (per thread) the table and key for LmdbStatus's message.
bool UnsealValue(MDB_dbi dbi, const MDB_val& k, MDB_val* v);
// The Corruption status of the last mismatch UnsealValue found on this thread.
Status ChecksumMismatch(std::string_view what);

// Cursor RAII. If mdb_cursor_open fails, open_rc() is its return code and every
// positioning call returns that same code (never MDB_NOTFOUND), so the caller's usual
// "rc != 0 && rc != MDB_NOTFOUND" check reports the open failure as what it is, at the
// first call, instead of LMDB's EINVAL for a null cursor later.
class Cursor {
 public:
  Cursor(MDB_txn* txn, MDB_dbi dbi) : dbi_(dbi) {
    rc_ = mdb_cursor_open(txn, dbi, &cur_);
    if (rc_ != 0) cur_ = nullptr;  // (mdb_cursor_open never returns MDB_NOTFOUND)
  }
  ~Cursor() {
    if (cur_ != nullptr) mdb_cursor_close(cur_);
  }
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  int open_rc() const { return rc_; }
  MDB_cursor* get() const { return cur_; }
  // Positions at the first key >= `key`. Returns MDB_NOTFOUND past the end.
  int Seek(std::string_view key, MDB_val* k, MDB_val* v) {
    *k = Val(key);
    return Get(k, v, MDB_SET_RANGE);
  }
  int First(MDB_val* k, MDB_val* v) { return Get(k, v, MDB_FIRST); }
  int Next(MDB_val* k, MDB_val* v) { return Get(k, v, MDB_NEXT); }
  int Prev(MDB_val* k, MDB_val* v) { return Get(k, v, MDB_PREV); }
  int Last(MDB_val* k, MDB_val* v) { return Get(k, v, MDB_LAST); }

 private:
  int Get(MDB_val* k, MDB_val* v, MDB_cursor_op op) {
    if (cur_ == nullptr) return rc_;
    int rc = mdb_cursor_get(cur_, k, v, op);
    if (rc == 0 && !UnsealValue(dbi_, *k, v)) return kChecksumMismatch;
    return rc;
  }

  MDB_dbi dbi_;
  MDB_cursor* cur_ = nullptr;
  int rc_ = 0;
};

// Point helpers over a transaction. Every write of the committer goes through these (or
// CursorDelete): they record it in the commit log's redo capture (redo.h). Get returns NotFound
// when absent. Put with MDB_APPEND (keys from a counter) reports a key that is not past the last
// one as Corruption.
Result<std::string_view> Get(MDB_txn* txn, MDB_dbi dbi, std::string_view key);
// Get for a key that may be absent: nullopt then, never NotFound. The value points into
// the transaction's map: copy it before the transaction ends.
Result<std::optional<std::string_view>> GetIfPresent(MDB_txn* txn, MDB_dbi dbi,
                                                     std::string_view key);
// The stored bytes of `key`, checksum included and unchecked: only for the format marker,
// which must be readable in every format to name the one a store is in.
Result<std::optional<std::string_view>> GetStoredBytes(MDB_txn* txn, MDB_dbi dbi,
                                                       std::string_view key);
Status Put(MDB_txn* txn, MDB_dbi dbi, std::string_view key, std::string_view value,
           unsigned flags = 0);
// Deletes a key; absent is OK.
Status Del(MDB_txn* txn, MDB_dbi dbi, std::string_view key);
// Deletes the cursor's current item (mdb_cursor_del) and records it in the redo capture.
// Returns LMDB's code.
int CursorDelete(MDB_cursor* cursor);
// Deletes every key with `prefix`; returns how many.
Result<uint64_t> DelPrefix(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix);

// True when `s` is the error LMDB returns for a full map (grow the map and retry): decided
// by the return code LmdbStatus recorded, never by the message text.
inline bool IsMapFull(const Status& s) { return StatusDetail::LmdbCode(s) == MDB_MAP_FULL; }

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_LMDB_ENV_H_
