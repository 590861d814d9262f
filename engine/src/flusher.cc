#include "flusher.h"

#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>

#include "durastore_config.h"
#if DURASTORE_HAVE_LIBURING
#include <liburing.h>
#endif

namespace durastore::internal {
namespace {

int PlainFdatasync(int fd) {
  for (;;) {
    if (fdatasync(fd) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

// One thread; waiting tickets coalesce into one fdatasync.
class ThreadFlusher final : public Flusher {
 public:
  ThreadFlusher(int fd, std::function<int(int)> sync, Done done)
      : fd_(fd), sync_(std::move(sync)), done_(std::move(done)), thread_([this] { Run(); }) {}

  ~ThreadFlusher() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  void Submit(uint64_t ticket) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requested_ = std::max(requested_, ticket);
    }
    cv_.notify_one();
  }

  bool uses_io_uring() const override { return false; }

 private:
  void Run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      cv_.wait(lock, [this] { return stop_ || requested_ > flushed_; });
      if (requested_ <= flushed_) return;  // stopping with nothing left to flush
      uint64_t ticket = requested_;
      lock.unlock();
      int err = sync_(fd_);
      done_(ticket, err);
      lock.lock();
      flushed_ = ticket;
    }
  }

  const int fd_;
  const std::function<int(int)> sync_;
  const Done done_;
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t requested_ = 0;  // guarded by mu_
  uint64_t flushed_ = 0;    // guarded by mu_
  bool stop_ = false;       // guarded by mu_
  std::thread thread_;      // last: starts after the members above exist
};

#if DURASTORE_HAVE_LIBURING
// Submissions from the committer, completions reaped by one thread. At most kMaxInFlight
// fsyncs are outstanding; a ticket that finds them all busy is folded into the next one.
class UringFlusher final : public Flusher {
 public:
  static Result<std::unique_ptr<Flusher>> Create(int fd, Done done) {
    std::unique_ptr<UringFlusher> f(new UringFlusher(fd, std::move(done)));
    int rc = io_uring_queue_init(64, &f->ring_, 0);
    if (rc < 0) return Status::Unavailable(std::string("io_uring_queue_init: ") + strerror(-rc));
    f->ring_ready_ = true;
    // Probe: some kernels and sandboxes set up a ring but refuse the operation.
    io_uring_sqe* sqe = io_uring_get_sqe(&f->ring_);
    io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
    io_uring_submit(&f->ring_);
    io_uring_cqe* cqe = nullptr;
    do {
      rc = io_uring_wait_cqe(&f->ring_, &cqe);
    } while (rc == -EINTR);
    if (rc < 0) return Status::Unavailable(std::string("io_uring_wait_cqe: ") + strerror(-rc));
    int res = cqe->res;
    io_uring_cqe_seen(&f->ring_, cqe);
    if (res < 0) return Status::Unavailable(std::string("io_uring fsync probe: ") + strerror(-res));
    f->reaper_ = std::thread([p = f.get()] { p->Reap(); });
    return std::unique_ptr<Flusher>(std::move(f));
  }

  ~UringFlusher() override {
    if (reaper_.joinable()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
        io_uring_prep_nop(sqe);
        sqe->user_data = kStop;
        io_uring_submit(&ring_);
      }
      reaper_.join();
    }
    if (ring_ready_) io_uring_queue_exit(&ring_);
  }

  void Submit(uint64_t ticket) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_flight_ >= kMaxInFlight) {
      deferred_ = std::max(deferred_, ticket);
      return;
    }
    SubmitLocked(ticket);
  }

  bool uses_io_uring() const override { return true; }

 private:
  static constexpr uint64_t kStop = UINT64_MAX;
  static constexpr int kMaxInFlight = 16;

  UringFlusher(int fd, Done done) : fd_(fd), done_(std::move(done)) {}

  void SubmitLocked(uint64_t ticket) {
    io_uring_sqe* sqe = io_uring_get_sqe(&ring_);  // never null: in_flight_ < ring size
    io_uring_prep_fsync(sqe, fd_, IORING_FSYNC_DATASYNC);
    sqe->user_data = ticket;
    io_uring_submit(&ring_);
    ++in_flight_;
  }

  void Reap() {
    for (;;) {
      io_uring_cqe* cqe = nullptr;
      int rc = io_uring_wait_cqe(&ring_, &cqe);
      if (rc == -EINTR) continue;
      if (rc < 0) {
        done_(UINT64_MAX - 1, -rc);  // the ring itself failed: report as a flush failure
        return;
      }
      uint64_t ticket = cqe->user_data;
      int res = cqe->res;
      io_uring_cqe_seen(&ring_, cqe);
      if (ticket == kStop) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        --in_flight_;
        if (deferred_ != 0) {
          SubmitLocked(deferred_);
          deferred_ = 0;
        }
      }
      done_(ticket, res < 0 ? -res : 0);
    }
  }

  const int fd_;
  const Done done_;
  io_uring ring_{};
  bool ring_ready_ = false;
  std::mutex mu_;  // guards the submission queue and the fields below
  int in_flight_ = 0;
  uint64_t deferred_ = 0;
  std::thread reaper_;
};
#endif

}  // namespace

Result<std::unique_ptr<Flusher>> MakeFlusher(int fd, FlushMethod method,
                                             std::function<int(int)> sync_override,
                                             Flusher::Done done) {
  if (sync_override) {
    return std::unique_ptr<Flusher>(
        new ThreadFlusher(fd, std::move(sync_override), std::move(done)));
  }
#if DURASTORE_HAVE_LIBURING
  if (method != FlushMethod::kFdatasync) {
    auto uring = UringFlusher::Create(fd, done);
    if (uring.ok() || method == FlushMethod::kIoUring) return uring;
  }
#else
  if (method == FlushMethod::kIoUring) {
    return Status::Unavailable("durastore was built without liburing (FlushMethod::kIoUring)");
  }
#endif
  return std::unique_ptr<Flusher>(new ThreadFlusher(fd, PlainFdatasync, std::move(done)));
}

}  // namespace durastore::internal
