#include "file_util.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace durastore::internal {

std::string ErrnoMessage(std::string_view what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

Status ErrnoStatus(std::string_view what, int err) {
  std::string msg = ErrnoMessage(what, err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
      return Status::ResourceExhausted(std::move(msg));
    case EINTR:
    case EAGAIN:
      return Status::IOError(std::move(msg), /*transient=*/true);
    default:
      return Status::IOError(std::move(msg));
  }
}

Status ErrnoStatus(std::string_view op, std::string_view path, int err) {
  return ErrnoStatus(std::string(op) + " " + std::string(path), err);
}

std::optional<uint64_t> AvailableBytes(int fd) {
  struct statvfs vfs;
  if (::fstatvfs(fd, &vfs) != 0) return std::nullopt;
  return static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize;
}

Status WriteErrnoStatus(std::string_view what, int err, int fd) {
  if (err == EIO && fd >= 0) {
    const std::optional<uint64_t> available = AvailableBytes(fd);
    if (available && *available < kDiskFullBytes) {
      return Status::ResourceExhausted(
          ErrnoMessage(what, err) + ": the file system is full (" + std::to_string(*available) +
          " bytes available; a short write for want of space is reported as EIO)");
    }
  }
  return ErrnoStatus(what, err);
}

Status WriteFull(int fd, const void* data, uint64_t n, uint64_t offset, std::string_view what) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
    if (w < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus(what, errno);
    }
    if (w == 0) return ErrnoStatus(what, ENOSPC);
    p += w;
    n -= static_cast<uint64_t>(w);
    offset += static_cast<uint64_t>(w);
  }
  return Status::OK();
}

bool ReadFull(int fd, void* data, uint64_t n, uint64_t offset) {
  char* p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<uint64_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return true;
}

Status SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("cannot open directory", dir, errno);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return ErrnoStatus("fsync of directory " + dir, err);
  return Status::OK();
}

}  // namespace durastore::internal
