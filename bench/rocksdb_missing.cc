// Built instead of rocksdb_engine.cc when librocksdb-dev was not found at configure time.
#include "engines.h"

namespace durastore::bench {

bool RocksdbAvailable() { return false; }

Result<std::unique_ptr<Engine>> OpenRocksdb(const std::string&, bool, const CommitShape&) {
  return Status::Unavailable(
      "rocksdb is not available: durastore-bench was built without librocksdb-dev");
}

}  // namespace durastore::bench
