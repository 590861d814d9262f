#include "lock_file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <utility>

#include "file_util.h"
#include "thread_annotations.h"

namespace durastore::internal {

namespace {

// The LOCK files (device, inode) this process holds, with the pid that took each: a
// second Open of the same store in this process is told so, and not told to retry (flock
// alone cannot tell it from another process, and a retry cannot succeed while the first
// Store is open). A child of fork() inherits the map but not the lock: entries of another
// pid are the parent's, and flock below reports the parent as the holder.
struct Registry {
  Mutex mu;
  std::map<std::pair<dev_t, ino_t>, pid_t> held GUARDED_BY(mu);
};
Registry& Held() {
  static auto* registry = new Registry();  // never destroyed: a Store may close during exit
  return *registry;
}

}  // namespace

Result<std::unique_ptr<LockFile>> LockFile::Acquire(const std::string& dir) {
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return ErrnoStatus("cannot stat", path, err);
  }
  const std::pair<dev_t, ino_t> key(st.st_dev, st.st_ino);
  Registry& registry = Held();
  MutexLock guard(&registry.mu);
  if (auto it = registry.held.find(key); it != registry.held.end() && it->second == ::getpid()) {
    ::close(fd);
    return Status::Busy("store " + dir + " is already open in this process (pid " +
                            std::to_string(::getpid()) +
                            "); close that Store first, a retry cannot succeed while it is open",
                        /*retryable=*/false);
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    char buf[32] = {};
    ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
    ::close(fd);
    if (err != EWOULDBLOCK) return ErrnoStatus("cannot lock " + path, err);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "unknown";
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    return Status::Busy("store " + dir + " is in use by process " + holder + " (lock file " + path +
                        ")");
  }
  // The pid is only informational; the lock itself is held whatever these return.
  std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) == 0) (void)WriteFull(fd, pid.data(), pid.size(), 0);
  registry.held[key] = ::getpid();
  return std::unique_ptr<LockFile>(new LockFile(fd, key));
}

Result<LockFile::Holder> LockFile::Probe(const std::string& dir) {
  std::string path = dir + "/LOCK";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return Holder::kNobody;
    return ErrnoStatus("cannot open", path, errno);
  }
  struct stat st {};
  Holder holder = Holder::kNobody;
  int err = 0;
  if (::fstat(fd, &st) != 0) {
    err = errno;
  } else {
    Registry& registry = Held();
    MutexLock guard(&registry.mu);
    auto it = registry.held.find({st.st_dev, st.st_ino});
    if (it != registry.held.end() && it->second == ::getpid()) {
      holder = Holder::kThisProcess;
    } else if (::flock(fd, LOCK_SH | LOCK_NB) == 0) {
      (void)::flock(fd, LOCK_UN);
    } else if (errno == EWOULDBLOCK) {
      holder = Holder::kOtherProcess;
    } else {
      err = errno;
    }
  }
  ::close(fd);
  if (err != 0) return ErrnoStatus("cannot probe the lock " + path, err);
  return holder;
}

LockFile::~LockFile() {
  Registry& registry = Held();
  MutexLock guard(&registry.mu);
  ::close(fd_);  // before forgetting the key, so a new opener finds the lock released
  registry.held.erase(key_);
}

}  // namespace durastore::internal
