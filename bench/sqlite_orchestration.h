// The `turn` and `activity` workloads of orchestration_workloads.h run against the
// Duroxide SQLite provider's schema and statements (sqlite_duroxide.h): the baseline of
// what Duroxide users run today. Same op shapes, same setup sizes, one sqlite3 connection
// per dispatcher thread (and one for the activity feeder).
//
// Differences from the durastore runs, all in the baseline's favour or neutral:
//  - Duroxide's SQLite provider ignores poll_timeout and its runtime then sleeps out its
//    100 ms minimum poll interval; here an empty fetch is retried after 1 ms.
//  - SQLITE_BUSY (a deferred transaction that could not become the writer) is a
//    retryable error that Duroxide's dispatchers answer with a 200 ms+ back-off; here the
//    transaction is retried after 0.1-1.6 ms. The count of such retries goes to stderr.
//  - Durability: synchronous=FULL for sync, OFF for nosync. Duroxide itself runs WAL with
//    synchronous=NORMAL (commits are not fsynced), between the two.
#ifndef DURASTORE_BENCH_SQLITE_ORCHESTRATION_H_
#define DURASTORE_BENCH_SQLITE_ORCHESTRATION_H_

#include <memory>
#include <string>

#include "orchestration_workloads.h"

namespace durastore::bench {

Result<std::unique_ptr<OrchestrationWorkload>> OpenSqliteTurnWorkload(
    const std::string& dir, const OrchestrationShape& shape);
Result<std::unique_ptr<OrchestrationWorkload>> OpenSqliteActivityWorkload(
    const std::string& dir, const OrchestrationShape& shape);

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_SQLITE_ORCHESTRATION_H_
