#include "commit_log.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "coding.h"
#include "crc32c.h"
#include "durastore_config.h"
#if DURASTORE_HAVE_LIBURING
#include <liburing.h>
#endif
#include "file_util.h"
#include "status_macros.h"

namespace durastore::internal {
namespace {

constexpr char kSegmentMagic[8] = {'D', 'S', 'W', 'A', 'L', '0', '0', '1'};
constexpr std::string_view kSegmentPrefix = "wal.";

std::string SegmentPath(const std::string& dir, uint64_t slot) {
  return dir + "/" + std::string(kSegmentPrefix) + std::to_string(slot);
}

std::string SegmentHeader(uint64_t log_id, uint64_t slot, uint64_t size) {
  std::string h(kSegmentHeaderSize, '\0');
  std::memcpy(h.data(), kSegmentMagic, 8);
  PutLe(h.data() + 8, log_id, 8);
  PutLe(h.data() + 16, slot, 8);
  PutLe(h.data() + 24, size, 8);
  PutLe(h.data() + 32, Crc32cExtend(0, h.data(), 32), 4);
  return h;
}

// The record checksum covers the log id too, so a segment of another store never chains.
uint32_t RecordCrc(uint64_t log_id, const char* header_tail, std::string_view ops) {
  char id[8];
  PutLe(id, log_id, 8);
  uint32_t crc = Crc32cExtend(0, id, 8);
  crc = Crc32cExtend(crc, header_tail, kRecordHeaderSize - 4);
  return Crc32cExtend(crc, ops.data(), ops.size());
}

struct SegmentFile {
  uint64_t slot = 0;
  uint64_t size = 0;
  int fd = -1;
};

// Every `wal.<n>` segment of `dir` with a valid header of this log, by slot.
Result<std::vector<SegmentFile>> ListSegments(const std::string& dir, uint64_t log_id) {
  std::vector<SegmentFile> out;
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) return ErrnoStatus("cannot list", dir, errno);
  std::vector<uint64_t> slots;
  while (dirent* e = readdir(d)) {
    std::string_view name(e->d_name);
    if (!name.starts_with(kSegmentPrefix)) continue;
    std::string digits(name.substr(kSegmentPrefix.size()));
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    slots.push_back(std::stoull(digits));
  }
  closedir(d);
  std::sort(slots.begin(), slots.end());
  for (uint64_t slot : slots) {
    std::string path = SegmentPath(dir, slot);
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      Status s = ErrnoStatus("cannot open", path, errno);
      for (auto& f : out) ::close(f.fd);
      return s;
    }
    char h[40];
    struct stat st;
    bool valid = ::pread(fd, h, sizeof(h), 0) == static_cast<ssize_t>(sizeof(h)) &&
                 std::memcmp(h, kSegmentMagic, 8) == 0 && GetLe(h + 8, 8) == log_id &&
                 GetLe(h + 16, 8) == slot && GetLe(h + 32, 4) == Crc32cExtend(0, h, 32) &&
                 ::fstat(fd, &st) == 0 && GetLe(h + 24, 8) <= static_cast<uint64_t>(st.st_size);
    if (!valid) {
      // A segment whose creation a crash interrupted: never part of the chain.
      ::close(fd);
      continue;
    }
    out.push_back({slot, GetLe(h + 24, 8), fd});
  }
  return out;
}

// Reads the record at `offset` of `seg` if it is whole, of this log and numbered `lsn`.
bool ReadRecord(const SegmentFile& seg, uint64_t log_id, uint64_t offset, uint64_t lsn,
                std::string* ops) {
  if (offset < kSegmentHeaderSize || offset + kRecordHeaderSize > seg.size) return false;
  char h[kRecordHeaderSize];
  if (::pread(seg.fd, h, sizeof(h), static_cast<off_t>(offset)) != sizeof(h)) return false;
  uint64_t length = GetLe(h + 4, 4);
  if (GetLe(h + 8, 8) != lsn || length == 0 || length > seg.size - offset - kRecordHeaderSize) {
    return false;
  }
  ops->resize(length);
  if (!ReadFull(seg.fd, ops->data(), length, offset + kRecordHeaderSize)) return false;
  return GetLe(h, 4) == RecordCrc(log_id, h + 4, *ops);
}

}  // namespace

int Fdatasync(int fd) {
  for (;;) {
    if (::fdatasync(fd) == 0) return 0;
    if (errno != EINTR) return errno;
  }
}

Result<LogScan> ScanLog(const std::string& dir, uint64_t log_id, LogPosition from,
                        uint64_t first_lsn,
                        const std::function<Status(uint64_t lsn, std::string_view ops)>& apply) {
  auto listed = ListSegments(dir, log_id);
  if (!listed.ok()) return listed.status();
  std::vector<SegmentFile> segs = std::move(*listed);
  struct Closer {
    std::vector<SegmentFile>& s;
    ~Closer() {
      for (auto& f : s) ::close(f.fd);
    }
  } closer{segs};

  LogScan scan;
  scan.last_lsn = first_lsn - 1;
  const SegmentFile* seg = nullptr;
  for (const auto& s : segs) {
    if (s.slot == from.slot) seg = &s;
  }
  uint64_t offset = from.offset;
  std::string ops;
  for (uint64_t lsn = first_lsn;; ++lsn) {
    if (seg == nullptr || !ReadRecord(*seg, log_id, offset, lsn, &ops)) {
      // The chain goes on at the start of whichever segment begins with this LSN.
      seg = nullptr;
      for (const auto& s : segs) {
        if (ReadRecord(s, log_id, kSegmentHeaderSize, lsn, &ops)) {
          seg = &s;
          offset = kSegmentHeaderSize;
          break;
        }
      }
      if (seg == nullptr) return scan;  // the tail
    }
    Status s = apply(lsn, ops);
    if (!s.ok()) return s;
    offset += kRecordHeaderSize + ops.size();
    scan.last_lsn = lsn;
    ++scan.records;
    scan.bytes += ops.size();
  }
}

#if DURASTORE_HAVE_LIBURING
struct CommitLog::Ring {
  io_uring ring{};
  ~Ring() { io_uring_queue_exit(&ring); }
  // fdatasync of every fd, submitted together; returns the first error (an errno) or 0.
  int Sync(const std::vector<int>& fds) {
    int err = 0;
    for (size_t done = 0; done < fds.size();) {
      const size_t n = std::min<size_t>(fds.size() - done, 8);
      for (size_t i = 0; i < n; ++i) {
        io_uring_sqe* sqe = io_uring_get_sqe(&ring);  // never null: at most 8 of 8 in flight
        io_uring_prep_fsync(sqe, fds[done + i], IORING_FSYNC_DATASYNC);
      }
      int rc = io_uring_submit_and_wait(&ring, static_cast<unsigned>(n));
      if (rc < 0) return -rc;  // not submitted: nothing is in flight
      for (size_t i = 0; i < n; ++i) {
        io_uring_cqe* cqe = nullptr;
        do {
          rc = io_uring_wait_cqe(&ring, &cqe);
        } while (rc == -EINTR);
        if (rc < 0) return -rc;
        if (cqe->res < 0 && err == 0) err = -cqe->res;
        io_uring_cqe_seen(&ring, cqe);
      }
      done += n;
    }
    return err;
  }
};
#else
struct CommitLog::Ring {
  int Sync(const std::vector<int>&) { return ENOSYS; }
};
#endif

CommitLog::CommitLog(Config cfg) : cfg_(std::move(cfg)) {}

int CommitLog::FlushSegments(const std::vector<int>& fds) {
  if (ring_ != nullptr) return ring_->Sync(fds);
  for (int fd : fds) {
    int err = cfg_.sync(fd);
    if (err != 0) return err;
  }
  return 0;
}

Result<std::unique_ptr<CommitLog>> CommitLog::Open(Config cfg, uint64_t next_lsn) {
  std::unique_ptr<CommitLog> log(new CommitLog(std::move(cfg)));
  Status s = log->LoadSegments();
  if (!s.ok()) return s;
  log->next_lsn_ = next_lsn;
  {
    MutexLock lock(&log->mu_);
    log->written_lsn_ = log->flushed_lsn_ = next_lsn - 1;
  }
  auto first = log->NextSegment(kSegmentHeaderSize + kRecordHeaderSize);
  if (!first.ok()) return first.status();
  log->current_ = *first;
  log->offset_ = kSegmentHeaderSize;
  if (log->cfg_.io_uring) {
#if DURASTORE_HAVE_LIBURING
    auto ring = std::make_unique<Ring>();
    int rc = io_uring_queue_init(8, &ring->ring, 0);
    if (rc < 0) return Status::Unavailable(ErrnoMessage("io_uring_queue_init", -rc));
    // Probe: some kernels and sandboxes set up a ring but refuse the operation.
    log->ring_ = std::move(ring);
    int err = log->ring_->Sync({log->current_->fd});
    if (err != 0) return Status::Unavailable(ErrnoMessage("io_uring fsync probe", err));
#else
    return Status::Unavailable("durastore was built without liburing");
#endif
  }
  {
    MutexLock lock(&log->mu_);
    log->in_use_.push_back(log->current_);
  }
  log->flusher_ = std::thread([p = log.get()] { p->RunFlusher(); });
  return log;
}

Status CommitLog::LoadSegments() {
  ASSIGN_OR_RETURN(auto files, ListSegments(cfg_.dir, cfg_.log_id));
  MutexLock lock(&mu_);
  for (const auto& f : files) {
    all_.push_back(std::make_unique<Segment>(Segment{f.slot, f.size, f.fd}));
    free_.push_back(all_.back().get());  // recovery replayed them: all reusable
  }
  return Status::OK();
}

CommitLog::~CommitLog() {
  if (flusher_.joinable()) {
    {
      MutexLock lock(&mu_);
      stop_ = true;
    }
    cv_.NotifyAll();
    flusher_.join();
  }
  for (auto& s : all_) ::close(s->fd);
}

Result<CommitLog::Segment*> CommitLog::NextSegment(uint64_t need) {
  {
    MutexLock lock(&mu_);
    // The smallest free segment that holds the record.
    auto best = free_.end();
    for (auto it = free_.begin(); it != free_.end(); ++it) {
      if ((*it)->size >= need && (best == free_.end() || (*it)->size < (*best)->size)) best = it;
    }
    if (best != free_.end()) {
      Segment* seg = *best;
      free_.erase(best);
      return seg;
    }
  }
  // A new segment: zeros, flushed, then its header, flushed, then its directory entry.
  // A file whose header is missing or names a larger size than it has (creation cut
  // short) is ignored by ListSegments and overwritten here later.
  uint64_t slot = 0;
  for (const auto& s : all_) slot = std::max(slot, s->slot + 1);
  constexpr uint64_t kMiB = uint64_t{1} << 20;
  uint64_t size = std::max(next_new_size_, (need + kMiB - 1) / kMiB * kMiB);
  next_new_size_ = std::min(cfg_.segment_size, next_new_size_ * 2);
  std::string path = SegmentPath(cfg_.dir, slot);
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot create", path, errno);
  Status s;
  std::string zeros(kMiB, '\0');
  for (uint64_t at = kSegmentHeaderSize; s.ok() && at < size; at += zeros.size()) {
    s = WriteFull(fd, zeros.data(), std::min<uint64_t>(zeros.size(), size - at), at,
                  "preallocation of new log segment " + path);
  }
  std::string header = SegmentHeader(cfg_.log_id, slot, size);
  for (int step = 0; step < 2 && s.ok(); ++step) {
    if (step == 1) s = WriteFull(fd, header.data(), header.size(), 0, "header of " + path);
    int err = s.ok() ? cfg_.sync(fd) : 0;
    if (err != 0) s = ErrnoStatus("flush of new log segment " + path, err);
  }
  if (s.ok()) s = SyncDirectory(cfg_.dir);
  if (!s.ok()) {
    ::close(fd);
    ::unlink(path.c_str());
    return s;
  }
  all_.push_back(std::make_unique<Segment>(Segment{slot, size, fd}));
  return all_.back().get();
}

Status CommitLog::Append(uint64_t lsn, std::string_view ops) {
  if (lsn != next_lsn_) return Status::Corruption("commit log: LSN out of order (a bug)");
  if (ops.size() > UINT32_MAX) {
    return Status::ResourceExhausted("a group's commit-log record exceeds 4 GiB");
  }
  const uint64_t need = kRecordHeaderSize + ops.size();
  if (offset_ + need > current_->size) {
    ASSIGN_OR_RETURN(Segment * next, NextSegment(kSegmentHeaderSize + need));
    current_ = next;
    offset_ = kSegmentHeaderSize;
    MutexLock lock(&mu_);
    in_use_.push_back(next);
  }
  char h[kRecordHeaderSize];
  PutLe(h + 4, ops.size(), 4);
  PutLe(h + 8, lsn, 8);
  PutLe(h, RecordCrc(cfg_.log_id, h + 4, ops), 4);
  iovec iov[2] = {{h, sizeof(h)}, {const_cast<char*>(ops.data()), ops.size()}};
  uint64_t at = offset_;
  ssize_t n = ::pwritev(current_->fd, iov, 2, static_cast<off_t>(at));
  if (n < 0) {
    const int err = errno;  // (before building the message can change it)
    return ErrnoStatus("commit log write to wal." + std::to_string(current_->slot), err);
  }
  // A short write (a full disk reports ENOSPC on the retry) finishes part by part.
  auto done = static_cast<uint64_t>(n);
  if (done < sizeof(h)) {
    RETURN_IF_ERROR(WriteFull(current_->fd, h + done, sizeof(h) - done, at + done,
                              "commit log write to wal." + std::to_string(current_->slot)));
    done = sizeof(h);
  }
  if (done < need) {
    RETURN_IF_ERROR(WriteFull(current_->fd, ops.data() + (done - sizeof(h)), need - done, at + done,
                              "commit log write to wal." + std::to_string(current_->slot)));
  }
  offset_ += need;
  ++next_lsn_;
  {
    MutexLock lock(&mu_);
    written_lsn_ = lsn;
    appended_bytes_ += need;
    if (dirty_.empty() || dirty_.back() != current_->fd) dirty_.push_back(current_->fd);
  }
  return Status::OK();
}

void CommitLog::RequestFlush() {
  {
    MutexLock lock(&mu_);
    flush_requested_ = true;
  }
  cv_.NotifyAll();
}

int CommitLog::WaitFlushed(uint64_t lsn) {
  MutexLock lock(&mu_);
  if (flushed_lsn_ < lsn && flush_error_ == 0) {
    flush_requested_ = true;
    cv_.NotifyAll();
  }
  flushed_cv_.Wait(&mu_, [&]() REQUIRES(mu_) { return flushed_lsn_ >= lsn || flush_error_ != 0; });
  return flushed_lsn_ >= lsn ? 0 : flush_error_;
}

void CommitLog::Release(LogPosition keep) {
  MutexLock lock(&mu_);
  auto it = std::find_if(in_use_.begin(), in_use_.end(),
                         [&](Segment* s) { return s->slot == keep.slot; });
  if (it == in_use_.end()) return;
  free_.insert(free_.end(), in_use_.begin(), it);
  in_use_.erase(in_use_.begin(), it);
}

uint64_t CommitLog::appended_bytes() const {
  MutexLock lock(&mu_);
  return appended_bytes_;
}
uint64_t CommitLog::flushes() const {
  MutexLock lock(&mu_);
  return flushes_;
}
uint64_t CommitLog::segments() const { return all_.size(); }

bool CommitLog::FlushNowIfIdle() {
  MutexLock lock(&mu_);
  if (flushing_ || flush_error_ != 0 || written_lsn_ <= flushed_lsn_) return false;
  FlushLocked();
  return true;
}

void CommitLog::FlushLocked() {
  flushing_ = true;
  const uint64_t target = written_lsn_;
  std::vector<int> fds;
  fds.swap(dirty_);
  flush_requested_ = false;
  mu_.Unlock();
  int err = FlushSegments(fds);
  mu_.Lock();
  ++flushes_;
  if (err == 0) {
    flushed_lsn_ = target;
  } else {
    flush_error_ = err;
  }
  flushing_ = false;
  flushed_cv_.NotifyAll();
  // A flush asked for while this one ran (by the committer or a checkpoint) is the
  // flusher's; it waits for flushing_ to clear.
  if (flush_requested_ || stop_) cv_.NotifyAll();
  mu_.Unlock();
  cfg_.on_flushed(target, err);
  mu_.Lock();
}

void CommitLog::RunFlusher() {
  MutexLock lock(&mu_);
  const auto interval = std::chrono::milliseconds(cfg_.background_flush_ms);
  for (;;) {
    // A requested flush starts at once; an unrequested tail is flushed within the interval.
    // While the committer flushes (FlushNowIfIdle), wait for it: one flush at a time.
    cv_.WaitFor(&mu_, interval, [this]() REQUIRES(mu_) {
      return !flushing_ && (stop_ || (flush_requested_ && written_lsn_ > flushed_lsn_));
    });
    if (flushing_) continue;  // the interval passed during the committer's flush
    if (flush_error_ != 0 || written_lsn_ <= flushed_lsn_) {
      flush_requested_ = false;
      if (stop_) return;
      continue;
    }
    FlushLocked();
  }
}

}  // namespace durastore::internal
