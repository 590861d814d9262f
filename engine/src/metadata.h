// The metadata table: user keys -> values, written by batches (Put, Delete, DeleteRange)
// and read by Store::Get/Scan from read transactions. Grammar: docs/format.md ("meta").
#ifndef DURASTORE_ENGINE_METADATA_H_
#define DURASTORE_ENGINE_METADATA_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "batch_rep.h"
#include "lmdb_env.h"
#include "write_context.h"

namespace durastore::internal {

// The write path (ApplyMetadataPut, ApplyMetadataDelete, ApplyMetadataDeleteRange) is
// declared in apply.h.

// NotFound naming the key when it is not set.
Result<std::string> GetMetadata(MDB_txn* txn, const Tables& tables, std::string_view key);
// Keys with `prefix`, ascending, at most `limit`, starting after `start_after` if set.
Result<std::vector<std::pair<std::string, std::string>>> ScanMetadata(MDB_txn* txn,
                                                                      const Tables& tables,
                                                                      std::string_view prefix,
                                                                      size_t limit,
                                                                      std::string_view start_after);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_METADATA_H_
