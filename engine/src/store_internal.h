// Internal access to a Store for tests and for the components (eventlog, queue) that
// implement its reads. Not a public header.
#ifndef DURASTORE_ENGINE_STORE_INTERNAL_H_
#define DURASTORE_ENGINE_STORE_INTERNAL_H_

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "durastore/queue_types.h"
#include "durastore/store.h"

namespace durastore {

namespace internal {
class Env;
class LeaseTable;
}  // namespace internal

// Fault-injection seams for tests: the flush the committer waits for, a point in recovery.
struct TestHooks {
  // Called instead of fdatasync(fd) for every asynchronous flush; returns 0 or an errno.
  // Setting it forces the fdatasync flusher (no io_uring).
  std::function<int(int fd)> fdatasync;
  // Called by Open after each commit-log record it replayed (a test ends the process in
  // the middle of a recovery with it).
  std::function<void(uint64_t lsn)> after_replay;
};

// The outcome of one dequeue attempt inside the committer.
struct DequeueAttempt {
  std::optional<queue::Lease> lease;
  // When nothing was eligible: the earliest store-clock time at which something may
  // become eligible without another commit (future visibility or lease expiry).
  std::optional<int64_t> next_wake_ms;
};

class StoreInternal {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  static Result<std::unique_ptr<Store>> OpenWithHooks(const std::string& path,
                                                      const Options& options, TestHooks hooks);

  // A counted reference to the store's LMDB environment for the length of one read:
  // Close waits until every EnvRef is gone before it closes the environment, so hold one
  // only while reading (never across a wait). Converts to Env*, so
  // `ASSIGN_OR_RETURN(Env* env, GetEnv(store))` keeps the reference for the scope.
  class EnvRef {
   public:
    explicit EnvRef(std::shared_ptr<internal::Env> env) : env_(std::move(env)) {}
    operator internal::Env*() const { return env_.get(); }  // NOLINT: implicit by design
    internal::Env* operator->() const { return env_.get(); }

   private:
    std::shared_ptr<internal::Env> env_;
  };
  // Unavailable when the store is closed.
  static Result<EnvRef> GetEnv(Store& store);
  static internal::LeaseTable& Leases(Store& store);
  // The Store's one instance of a component's per-store state (e.g. the orchestration
  // layer's lock registry, shared by every Provider on the Store): created by `make` on
  // the first call for `name` (unlocked: it may ask for another component; of two racing
  // calls one result is kept), destroyed with the Store. Thread-safe.
  static std::shared_ptr<void> Component(Store& store, std::string_view name,
                                         const std::function<std::shared_ptr<void>()>& make);

  // Position of the last event committed so far (0 if none).
  static uint64_t CommittedPosition(Store& store);
  // Blocks until an event with position > `after_position` is committed or `deadline`.
  static void WaitForAppend(Store& store, uint64_t after_position, Deadline deadline);

  // One dequeue attempt, run by the committer (it writes delivery counts).
  static Result<DequeueAttempt> TryDequeue(Store& store, std::string_view queue,
                                           const queue::DequeueOptions& options);
  // A counter that changes whenever a commit may have made messages of `queue` eligible.
  static uint64_t QueueEpoch(Store& store, std::string_view queue);
  // Blocks until QueueEpoch(queue) != epoch, or `deadline`.
  static void WaitForQueue(Store& store, std::string_view queue, uint64_t epoch, Deadline deadline);
};

}  // namespace durastore

#endif  // DURASTORE_ENGINE_STORE_INTERNAL_H_
