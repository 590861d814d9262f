// The flush seam: how the committer makes a committed LMDB file durable.
//
// Submit(ticket) asks for an fdatasync of the data file that starts after the commit
// numbered `ticket` was written. Completion calls `done(ticket, errno)` on the flusher's
// own thread; a completion for ticket t means every commit <= t is durable. Two
// implementations: io_uring (IORING_OP_FSYNC with IORING_FSYNC_DATASYNC, reaped by one
// thread) and a thread calling fdatasync (coalescing waiting tickets).
#ifndef DURASTORE_ENGINE_FLUSHER_H_
#define DURASTORE_ENGINE_FLUSHER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "durastore/store.h"

namespace durastore::internal {

class Flusher {
 public:
  using Done = std::function<void(uint64_t ticket, int err)>;
  virtual ~Flusher() = default;
  // Called from one thread (the committer). Never blocks on the disk.
  virtual void Submit(uint64_t ticket) = 0;
  virtual bool uses_io_uring() const = 0;
};

// `sync_override`, when set, replaces fdatasync (fault injection) and forces the thread
// flusher. kAuto picks io_uring when it is built in and a probe fsync through it works.
Result<std::unique_ptr<Flusher>> MakeFlusher(int fd, FlushMethod method,
                                             std::function<int(int)> sync_override,
                                             Flusher::Done done);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_FLUSHER_H_
