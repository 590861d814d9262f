// The integrity walk behind Store::Verify (docs/architecture.md, "Verify").
//
// VerifyStore reads every record of every table in one read transaction, which checks
// every record's checksum, then asks each component to check its indexes against its
// records: the engine declares the component checks here and the component that owns the
// tables defines them (as with apply.h), so the engine reaches no component header.
#ifndef DURASTORE_ENGINE_VERIFY_H_
#define DURASTORE_ENGINE_VERIFY_H_

#include <lmdb.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "durastore/store.h"
#include "lmdb_env.h"
#include "write_context.h"

namespace durastore::internal {

// Collects the problems a walk finds (up to VerifyOptions::max_problems) and reports
// progress.
class VerifySink {
 public:
  VerifySink(const VerifyOptions& options, VerifyReport* report)
      : options_(options), report_(report) {}
  // One problem with the record `key` of `table`.
  void Problem(std::string_view table, std::string_view key, std::string_view what);
  // One more record read from `table` (progress is reported every 10,000).
  void Record(std::string_view table);
  void StartTable(std::string_view table);

 private:
  const VerifyOptions& options_;
  VerifyReport* report_;
  uint64_t in_table_ = 0;
};

// Calls `each(key, value)` for every record of `dbi` (a component's index check); records
// whose checksum failed were reported by the table walk and are skipped.
template <typename Fn>
Status ForEachRecord(MDB_txn* txn, MDB_dbi dbi, std::string_view table, VerifySink& sink, Fn each) {
  sink.StartTable(table);
  Cursor cur(txn, dbi);
  MDB_val k, v;
  int rc = cur.First(&k, &v);
  for (; rc == 0 || rc == kChecksumMismatch; rc = cur.Next(&k, &v)) {
    if (rc == 0) each(View(k), View(v));
  }
  if (rc != MDB_NOTFOUND) return LmdbStatus(rc, "verifying " + std::string(table));
  return Status::OK();
}

// The whole walk over `txn` (a read transaction of `env`).
Status VerifyStore(MDB_txn* txn, const Tables& tables, const VerifyOptions& options,
                   VerifyReport* report);

// The components' index checks (defined in eventlog/ and queue/). `seqs` are the store's
// counters: no stored id may have reached them. Each returns non-OK only when it cannot
// go on (an LMDB error); what it finds wrong goes to `sink`.
Status VerifyEventLog(MDB_txn* txn, const Tables& t, const Sequences& seqs, VerifySink& sink);
Status VerifyQueues(MDB_txn* txn, const Tables& t, const Sequences& seqs, VerifySink& sink);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_VERIFY_H_
