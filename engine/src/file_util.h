// Small POSIX file helpers shared by the lock file, the commit log and the checkpoint.
#ifndef DURASTORE_ENGINE_FILE_UTIL_H_
#define DURASTORE_ENGINE_FILE_UTIL_H_

#include <cstdint>
#include <string>

#include "durastore/status.h"

namespace durastore::internal {

// `what: strerror(err)` as the Status an errno calls for: ResourceExhausted for a full
// disk or quota, a transient IOError for EINTR/EAGAIN, IOError otherwise.
Status ErrnoStatus(const std::string& what, int err);

// pwrite/pread of exactly n bytes at `offset`, retrying short transfers and EINTR.
Status WriteFull(int fd, const void* data, uint64_t n, uint64_t offset);
bool ReadFull(int fd, void* data, uint64_t n, uint64_t offset);

// fsync of a directory, so entries created or renamed in it survive a power cut.
Status SyncDirectory(const std::string& dir);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_FILE_UTIL_H_
