// Small POSIX file helpers shared by the lock file, the commit log and the checkpoint,
// and the formatting of errno values into Status.
#ifndef DURASTORE_ENGINE_FILE_UTIL_H_
#define DURASTORE_ENGINE_FILE_UTIL_H_

#include <cstdint>
#include <optional>
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

// A file system with less than this many bytes available to unprivileged writers is full.
inline constexpr uint64_t kDiskFullBytes = uint64_t{1} << 20;
// Bytes available to unprivileged writers on the file system holding `fd`
// (fstatvfs f_bavail * f_frsize); nullopt when fstatvfs fails.
std::optional<uint64_t> AvailableBytes(int fd);
// ErrnoStatus for the failure `err` of a write or flush of a file on the file system of
// `fd`, except that an EIO on a full file system is ResourceExhausted: LMDB reports a short
// write (the kernel's way of saying "no space" for the part it could not write) as EIO,
// and a write-back that found no space can come back from fdatasync as EIO. Decided by
// the space left when the failure is reported (< kDiskFullBytes): after a short write the
// file system has less than one block left.
Status WriteErrnoStatus(std::string_view what, int err, int fd);

// pwrite/pread of exactly n bytes at `offset`, retrying short transfers and EINTR. `what`
// names the write in the error ("write to wal.3").
Status WriteFull(int fd, const void* data, uint64_t n, uint64_t offset,
                 std::string_view what = "write");
bool ReadFull(int fd, void* data, uint64_t n, uint64_t offset);

// fsync of a directory, so entries created or renamed in it survive a power cut.
Status SyncDirectory(const std::string& dir);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_FILE_UTIL_H_
