// The store's process lock: an exclusive flock on <dir>/LOCK, with the holder's pid
// written in it so a second opener's Busy error can name the process.
#ifndef DURASTORE_ENGINE_LOCK_FILE_H_
#define DURASTORE_ENGINE_LOCK_FILE_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <utility>

#include "durastore/status.h"

namespace durastore::internal {

class LockFile {
 public:
  // Busy (naming the holder's pid) when another process holds the store; Busy, not
  // retryable, when a LockFile of this process already holds it.
  static Result<std::unique_ptr<LockFile>> Acquire(const std::string& dir);
  // Who holds the store's lock, without taking it (read-only openers). A probe takes a
  // shared flock for an instant: a writer opening in that instant gets a retryable Busy.
  enum class Holder : uint8_t { kNobody, kOtherProcess, kThisProcess };
  static Result<Holder> Probe(const std::string& dir);

  ~LockFile();  // closing the descriptor releases the lock
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  LockFile(int fd, std::pair<dev_t, ino_t> key) : fd_(fd), key_(key) {}
  int fd_;
  std::pair<dev_t, ino_t> key_;  // (device, inode) of the LOCK file
};

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_LOCK_FILE_H_
