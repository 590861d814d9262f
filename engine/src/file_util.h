// Small POSIX file helpers shared by the lock file, the commit log and the checkpoint,
// and the formatting of errno values into Status.
#ifndef DURASTORE_ENGINE_FILE_UTIL_H_
#define DURASTORE_ENGINE_FILE_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "durastore/status.h"

namespace durastore::internal {

// `what: strerror(err)`: the one way an errno is written into a message. `what` names the
// operation and its file ("cannot open /path/wal.3").
std::string ErrnoMessage(std::string_view what, int err);
// ErrnoMessage as the Status an errno calls for: ResourceExhausted for a full disk or
// quota, a transient IOError for EINTR/EAGAIN, IOError otherwise.
Status ErrnoStatus(std::string_view what, int err);
// The same for an operation on a file: "`op` `path`: strerror(err)". Pass errno straight
// in: no message is built before it is read.
Status ErrnoStatus(std::string_view op, std::string_view path, int err);

// pwrite/pread of exactly n bytes at `offset`, retrying short transfers and EINTR.
Status WriteFull(int fd, const void* data, uint64_t n, uint64_t offset);
bool ReadFull(int fd, void* data, uint64_t n, uint64_t offset);

// fsync of a directory, so entries created or renamed in it survive a power cut.
Status SyncDirectory(const std::string& dir);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_FILE_UTIL_H_
