// Small helpers shared by the SQLite baselines: statements are stepped and reset in one
// call, errors become Status values.
#ifndef DURASTORE_BENCH_SQLITE_UTIL_H_
#define DURASTORE_BENCH_SQLITE_UTIL_H_

#include <sqlite3.h>

#include <string>

#include "durastore/status.h"

namespace durastore::bench::sqlite {

// Steps `s` once and resets it (bindings are kept); the step's result code.
inline int Step(sqlite3_stmt* s) {
  int rc = sqlite3_step(s);
  sqlite3_reset(s);
  return rc;
}

inline Status Error(sqlite3* db, const char* what) {
  return Status::IOError(std::string("sqlite ") + what + ": " +
                         (db != nullptr ? sqlite3_errmsg(db) : "out of memory"));
}

inline Status Exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "unknown";
    sqlite3_free(err);
    return Status::IOError(std::string("sqlite: ") + msg);
  }
  return Status::OK();
}

// Opens `file` with a long busy timeout and the run's synchronous mode.
inline Status Open(const std::string& file, bool sync, sqlite3** db) {
  if (sqlite3_open(file.c_str(), db) != SQLITE_OK) return Error(*db, "open");
  sqlite3_busy_timeout(*db, 60'000);
  return Exec(*db, sync ? "PRAGMA synchronous=FULL;" : "PRAGMA synchronous=OFF;");
}

inline Status Prepare(sqlite3* db, const char* sql, sqlite3_stmt** out) {
  if (sqlite3_prepare_v2(db, sql, -1, out, nullptr) != SQLITE_OK) return Error(db, "prepare");
  return Status::OK();
}

}  // namespace durastore::bench::sqlite

#endif  // DURASTORE_BENCH_SQLITE_UTIL_H_
