// The store's process lock: an exclusive flock on <dir>/LOCK, with the holder's pid
// written in it so a second opener's Busy error can name the process.
#ifndef DURASTORE_ENGINE_LOCK_FILE_H_
#define DURASTORE_ENGINE_LOCK_FILE_H_

#include <memory>
#include <string>

#include "durastore/status.h"

namespace durastore::internal {

class LockFile {
 public:
  // Busy (naming the holder's pid) when another process holds the store.
  static Result<std::unique_ptr<LockFile>> Acquire(const std::string& dir);
  ~LockFile();  // closing the descriptor releases the lock
  LockFile(const LockFile&) = delete;
  LockFile& operator=(const LockFile&) = delete;

 private:
  explicit LockFile(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_LOCK_FILE_H_
