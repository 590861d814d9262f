// Shared helpers for the libFuzzer targets in tests/fuzz: a store opened once per process
// in a temporary directory (tmpfs when available), a raw LMDB seam to plant corrupt
// records in its tables, and checks that abort (so libFuzzer records a crash) when a call
// returns a code its contract does not allow.
#ifndef DURASTORE_TESTS_FUZZ_FUZZ_UTIL_H_
#define DURASTORE_TESTS_FUZZ_FUZZ_UTIL_H_

#include <fuzzer/FuzzedDataProvider.h>
#include <lmdb.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "durastore/clock.h"
#include "durastore/status.h"
#include "durastore/store.h"
#include "lmdb_env.h"
#include "store_internal.h"

namespace durastore::fuzz {

// Prints `what` and aborts: libFuzzer (and ASan) report the input as a crash.
[[noreturn]] inline void Fail(const std::string& what) {
  std::fprintf(stderr, "durastore fuzz check failed: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

// With DURASTORE_FUZZ_TRACE set, targets describe what an input does (for crash analysis).
inline bool Tracing() {
  static const bool on = std::getenv("DURASTORE_FUZZ_TRACE") != nullptr;
  return on;
}
inline std::string Hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}

// Aborts unless `s` is OK or carries one of `allowed`.
template <typename S>
void CheckCode(const S& s, std::initializer_list<Code> allowed, const char* call) {
  const Status& st = StatusOf(s);
  if (st.ok()) return;
  for (Code c : allowed) {
    if (st.code() == c) return;
  }
  Fail(std::string(call) + " returned " + st.ToString());
}

// Findings F2, F4 and F6 (docs/reliability.md) are fixed; Strict() stays as the switch the
// targets check them under, now always on.
inline bool Strict() { return true; }

// CheckCode for calls over a damaged store (F2 fixed: a planted id past a counter is
// Corruption, which `allowed` must name).
template <typename S>
void CheckDamagedCode(const S& s, std::initializer_list<Code> allowed, const char* call) {
  CheckCode(s, allowed, call);
}

// A directory removed with its contents at scope end; on /dev/shm when it exists so the
// store's flushes cost nothing.
class ScratchDir {
 public:
  ScratchDir() {
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    if (const char* t = std::getenv("DURASTORE_FUZZ_TMPDIR"); t != nullptr && *t != '\0') base = t;
    std::string tmpl = base + "/durastore-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) Fail("mkdtemp in " + base);
    path_ = tmpl;
    // The targets never destroy their store (libFuzzer ends with exit()): remove the
    // directory at exit instead (a crash leaves it, with the store that crashed).
    static std::vector<std::string>* all = [] {
      auto* v = new std::vector<std::string>;
      std::atexit([] {
        for (const auto& p : *all) {
          std::error_code ec;
          std::filesystem::remove_all(p, ec);
        }
      });
      return v;
    }();
    all->push_back(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A kNoSync store on a manual clock in its own scratch directory.
struct FuzzStore {
  ScratchDir dir;
  ManualClock clock{1'700'000'000'000};
  std::unique_ptr<Store> store;

  FuzzStore() { Reopen(); }
  // Closes and deletes the store, then opens an empty one in its place.
  void Reopen() {
    store.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir.path() + "/db", ec);
    Options o;
    o.durability = Durability::kNoSync;
    o.clock = &clock;
    // RawWrite's transactions bypass the committer, so they never grow the map, and the
    // pinned checkpoint keeps LMDB from reusing the pages they free: one CI run's
    // queue_records_fuzzer filled an 8 MiB map after 137 inputs (MDB_MAP_FULL in the
    // harness's own commit; the input alone does not reproduce it). 64 MiB is sparse.
    o.initial_map_size = size_t{64} << 20;
    auto opened = Store::Open(dir.path() + "/db", o);
    if (!opened.ok()) Fail("Store::Open: " + opened.status().ToString());
    store = std::move(opened).value();
  }
  void MustCommit(Batch b) {
    auto r = store->Commit(std::move(b));
    if (!r.ok()) Fail("setup commit: " + r.status().ToString());
  }
};

// The contents of every table, for putting a store back to a known state between inputs.
using TableImage = std::vector<std::vector<std::pair<std::string, std::string>>>;

inline std::vector<MDB_dbi> AllTables(const internal::Tables& t) {
  const auto all = t.all();
  return {all.begin(), all.end()};
}

inline internal::Env& EnvOf(Store& store) {
  auto env = StoreInternal::GetEnv(store);
  if (!env.ok()) Fail("GetEnv: " + env.status().ToString());
  return *static_cast<internal::Env*>(*env);  // the Store keeps it alive while open
}

// A write transaction opened directly on the store's LMDB environment, outside the
// committer. Only use it while no commit is in flight (the fuzz targets are
// single-threaded: every Commit has returned). The environment has MDB_NOSYNC set, so
// this commit does not flush; and it is not in the commit log, so a reopen would drop it.
class RawWrite {
 public:
  explicit RawWrite(Store& store) : env_(EnvOf(store)) {
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_.raw(), nullptr, 0, &txn);
    if (rc != 0) Fail(std::string("mdb_txn_begin: ") + mdb_strerror(rc));
    txn_ = internal::Txn(txn);
  }
  const internal::Tables& tables() const { return env_.tables(); }
  void Put(MDB_dbi dbi, std::string_view key, std::string_view value) {
    if (Tracing()) {
      std::fprintf(stderr, "plant dbi %u key %s value %s\n", dbi, Hex(key).c_str(),
                   Hex(value).c_str());
    }
    PutQuietly(dbi, key, value);
  }
  // Planted with a valid checksum, so reads reach the record decoders under test.
  void PutQuietly(MDB_dbi dbi, std::string_view key, std::string_view value) {
    std::string sealed;
    internal::SealValue(key, value, &sealed);
    MDB_val k = internal::Val(key), v = internal::Val(sealed);
    int rc = mdb_put(txn_.get(), dbi, &k, &v, 0);
    if (rc != 0) Fail(std::string("mdb_put: ") + mdb_strerror(rc));
  }
  void Clear(MDB_dbi dbi) {
    int rc = mdb_drop(txn_.get(), dbi, 0);
    if (rc != 0) Fail(std::string("mdb_drop: ") + mdb_strerror(rc));
  }
  TableImage Read() {
    TableImage image;
    for (MDB_dbi dbi : AllTables(tables())) {
      image.emplace_back();
      internal::Cursor cur(txn_.get(), dbi);
      MDB_val k, v;
      for (int rc = cur.First(&k, &v); rc == 0; rc = cur.Next(&k, &v)) {
        image.back().emplace_back(std::string(internal::View(k)), std::string(internal::View(v)));
      }
    }
    return image;
  }
  void Write(const TableImage& image) {
    std::vector<MDB_dbi> dbis = AllTables(tables());
    for (size_t i = 0; i < dbis.size(); ++i) {
      Clear(dbis[i]);
      for (const auto& [k, v] : image[i]) PutQuietly(dbis[i], k, v);
    }
  }
  void Commit() {
    int rc = txn_.Commit();
    if (rc != 0) Fail(std::string("mdb_txn_commit: ") + mdb_strerror(rc));
  }

 private:
  internal::Env& env_;
  internal::Txn txn_;
};

// Every table of `store` (a baseline to put back between inputs).
inline TableImage SnapshotTables(Store& store) {
  RawWrite w(store);
  TableImage image = w.Read();
  w.Commit();
  return image;
}
// Puts every table of `store` back to `image`.
inline void RestoreTables(Store& store, const TableImage& image) {
  RawWrite w(store);
  w.Write(image);
  w.Commit();
}

// Aborts when the store went unhealthy (a failed commit must never make it sticky).
inline void CheckHealthy(Store& store, const char* after) {
  if (!store.health().ok()) {
    Fail(std::string("store unhealthy after ") + after + ": " + store.health().ToString());
  }
}

// Whether the store in `dir` (FuzzStore layout: <dir>/db) has grown past `bytes`, so a
// long run should start a new one.
inline bool StoreFileOver(const std::string& dir, uintmax_t bytes) {
  std::error_code ec;
  auto size = std::filesystem::file_size(dir + "/db/data.mdb", ec);
  return !ec && size > bytes;
}

// A duration in ms: 0, negative, any int64, or a plausible 1..120,000.
inline int64_t PickMs(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:
      return 0;
    case 1:
      return -in.ConsumeIntegralInRange<int64_t>(1, 1000);
    case 2:
      return in.ConsumeIntegral<int64_t>();
    default:
      return in.ConsumeIntegralInRange<int64_t>(1, 120'000);
  }
}

// A damaged version of a stored value: arbitrary bytes, a truncation, a few overwritten
// bytes (FlatBuffers offsets and lengths) or appended bytes.
inline std::string PickValue(FuzzedDataProvider& in, const std::string& original) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0:  // arbitrary bytes
      return in.ConsumeRandomLengthString(512);
    case 1:  // truncated original
      return original.substr(0, in.ConsumeIntegralInRange<size_t>(0, original.size()));
    case 2: {  // original with bytes overwritten (the FlatBuffers offsets and lengths)
      std::string v = original;
      int n = in.ConsumeIntegralInRange<int>(1, 4);
      for (int i = 0; i < n && !v.empty(); ++i) {
        v[in.ConsumeIntegralInRange<size_t>(0, v.size() - 1)] = in.ConsumeIntegral<char>();
      }
      return v;
    }
    default:  // original with bytes appended
      return original + in.ConsumeRandomLengthString(64);
  }
}

// Plants 1-4 damaged records in `tables` (indexes into AllTables()): a stored key with a
// damaged value (with `damage_keys`, sometimes the key damaged too), or a record no index
// points at.
template <size_t N>
void PlantCorruption(FuzzedDataProvider& in, Store& store, const TableImage& baseline,
                     const size_t (&tables)[N], bool damage_keys) {
  RawWrite w(store);
  std::vector<MDB_dbi> dbis = AllTables(w.tables());
  int n = in.ConsumeIntegralInRange<int>(1, 4);
  for (int i = 0; i < n && in.remaining_bytes() > 0; ++i) {
    size_t t = tables[in.ConsumeIntegralInRange<size_t>(0, N - 1)];
    const auto& rows = baseline[t];
    std::string key, original;
    if (!rows.empty() && in.ConsumeBool()) {
      const auto& row = rows[in.ConsumeIntegralInRange<size_t>(0, rows.size() - 1)];
      key = row.first;
      original = row.second;
      if (damage_keys && in.ConsumeBool()) {  // an index key with a damaged length byte or id
        std::string k = PickValue(in, key);
        key = k.empty() ? key : k.substr(0, 400);
      }
    } else {
      key = in.ConsumeRandomLengthString(64);  // a record no index points at
      if (key.empty()) key = "\x01";
    }
    w.Put(dbis[t], key, PickValue(in, original));
  }
  w.Commit();
}

}  // namespace durastore::fuzz

#endif  // DURASTORE_TESTS_FUZZ_FUZZ_UTIL_H_
