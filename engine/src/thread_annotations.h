// Clang thread-safety annotations (-Wthread-safety) and the annotated mutex the engine
// locks with, after LevelDB's port/thread_annotations.h. Under GCC the macros are empty;
// the `thread-safety` meson test compiles the library with clang to check them.
#ifndef DURASTORE_ENGINE_THREAD_ANNOTATIONS_H_
#define DURASTORE_ENGINE_THREAD_ANNOTATIONS_H_

#include <chrono>
#include <condition_variable>
#include <mutex>

#if defined(__clang__)
#define DS_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define DS_THREAD_ANNOTATION(x)
#endif

#define CAPABILITY(x) DS_THREAD_ANNOTATION(capability(x))
#define SCOPED_CAPABILITY DS_THREAD_ANNOTATION(scoped_lockable)
#define GUARDED_BY(x) DS_THREAD_ANNOTATION(guarded_by(x))
#define PT_GUARDED_BY(x) DS_THREAD_ANNOTATION(pt_guarded_by(x))
#define REQUIRES(...) DS_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define EXCLUDES(...) DS_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) DS_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) DS_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ASSERT_CAPABILITY(x) DS_THREAD_ANNOTATION(assert_capability(x))
#define NO_THREAD_SAFETY_ANALYSIS DS_THREAD_ANNOTATION(no_thread_safety_analysis)

namespace durastore::internal {

// std::mutex with the capability annotations.
class CAPABILITY("mutex") Mutex {
 public:
  void Lock() ACQUIRE() { mu_.lock(); }
  void Unlock() RELEASE() { mu_.unlock(); }
  bool TryLock() DS_THREAD_ANNOTATION(try_acquire_capability(true)) { return mu_.try_lock(); }
  // For the analysis only: the caller knows it holds the mutex.
  void AssertHeld() ASSERT_CAPABILITY(this) {}

 private:
  friend class CondVar;
  std::mutex mu_;
};

class SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex* mu) ACQUIRE(mu) : mu_(mu) { mu_->Lock(); }
  ~MutexLock() RELEASE() { mu_->Unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

 private:
  Mutex* const mu_;
};

// A capability that is not a lock: the right to touch state that only one thread uses
// (the committer's, the checkpointer's). That thread holds its role for its whole life;
// Open and Close take it too, while the thread does not run. Costs nothing at run time:
// it only lets the analysis check that no other thread's code reaches that state.
class CAPABILITY("role") ThreadRole {
 public:
  void Acquire() ACQUIRE() {}
  void Release() RELEASE() {}
};

class SCOPED_CAPABILITY RoleScope {
 public:
  explicit RoleScope(ThreadRole* role) ACQUIRE(role) : role_(role) { role_->Acquire(); }
  ~RoleScope() RELEASE() { role_->Release(); }
  RoleScope(const RoleScope&) = delete;
  RoleScope& operator=(const RoleScope&) = delete;

 private:
  ThreadRole* const role_;
};

// Releases a Mutex the caller holds for its scope and takes it back when destroyed (also
// on an exception): for running caller code from under an engine lock.
class SCOPED_CAPABILITY MutexUnlock {
 public:
  explicit MutexUnlock(Mutex* mu) RELEASE(mu) : mu_(mu) { mu_->Unlock(); }
  ~MutexUnlock() RELEASE() { mu_->Lock(); }  // clang's spelling for "reacquires"
  MutexUnlock(const MutexUnlock&) = delete;
  MutexUnlock& operator=(const MutexUnlock&) = delete;

 private:
  Mutex* const mu_;
};

// A condition variable waiting on a Mutex the caller holds.
class CondVar {
 public:
  template <typename Pred>
  void Wait(Mutex* mu, Pred pred) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    cv_.wait(lock, pred);
    lock.release();
  }
  // Returns pred() (false: the deadline or timeout passed first).
  template <typename Clock, typename Duration, typename Pred>
  bool WaitUntil(Mutex* mu, std::chrono::time_point<Clock, Duration> deadline, Pred pred)
      REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    bool result = cv_.wait_until(lock, deadline, pred);
    lock.release();
    return result;
  }
  template <typename Rep, typename Period, typename Pred>
  bool WaitFor(Mutex* mu, std::chrono::duration<Rep, Period> timeout, Pred pred) REQUIRES(mu) {
    std::unique_lock<std::mutex> lock(mu->mu_, std::adopt_lock);
    bool result = cv_.wait_for(lock, timeout, pred);
    lock.release();
    return result;
  }
  void NotifyOne() { cv_.notify_one(); }
  void NotifyAll() { cv_.notify_all(); }

 private:
  std::condition_variable cv_;
};

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_THREAD_ANNOTATIONS_H_
