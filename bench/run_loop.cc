#include "run_loop.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>

namespace durastore::bench {

Recorder::Recorder(size_t slots, uint64_t ops_limit, size_t kinds) : limit_(ops_limit) {
  for (size_t i = 0; i < slots; ++i) slots_.push_back(std::make_unique<Slot>(kinds));
}

void Recorder::Record(size_t slot, Clock::time_point intended, Clock::time_point done) {
  RecordKind(slot, slots_[slot]->kind, intended, done);
}

void Recorder::RecordKind(size_t slot, size_t kind, Clock::time_point intended,
                          Clock::time_point done) {
  if (!measuring() || stop_.load(std::memory_order_relaxed)) return;
  uint64_t n = count_.fetch_add(1, std::memory_order_relaxed) + 1;
  if (limit_ != 0 && n > limit_) return;
  {
    Slot& s = *slots_[slot];
    std::lock_guard<std::mutex> lock(s.mu);
    s.h[kind].Record(MicrosBetween(intended, done));
  }
  if (limit_ != 0 && n == limit_) Stop(done);
}

void Recorder::SetSlotKind(size_t slot, size_t kind) { slots_[slot]->kind = kind; }

void Recorder::StartMeasuring(Clock::time_point at) {
  start_ = at;
  measuring_.store(true);
}

void Recorder::Stop(Clock::time_point at) {
  std::lock_guard<std::mutex> lock(end_mu_);
  if (stop_.load()) return;
  end_ = at;
  stop_.store(true);
}

Clock::time_point Recorder::end_time() const {
  std::lock_guard<std::mutex> lock(end_mu_);
  return end_;
}

Histogram Recorder::Snapshot() const {
  Histogram all;
  for (const auto& s : slots_) {
    std::lock_guard<std::mutex> lock(s->mu);
    for (const auto& h : s->h) all.Merge(h);
  }
  return all;
}

Histogram Recorder::SnapshotKind(size_t kind) const {
  Histogram all;
  for (const auto& s : slots_) {
    std::lock_guard<std::mutex> lock(s->mu);
    all.Merge(s->h[kind]);
  }
  return all;
}

namespace {

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

// /proc/self/io's write_bytes (the whole process); false when unreadable.
bool WriteBytes(uint64_t* bytes) {
  FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return false;
  char line[128];
  bool found = false;
  unsigned long long v = 0;
  while (!found && std::fgets(line, sizeof(line), f) != nullptr) {
    found = std::sscanf(line, "write_bytes: %llu", &v) == 1;
  }
  std::fclose(f);
  *bytes = v;
  return found;
}

// Sectors written to the block device (or partition) holding `path`, from
// /sys/dev/block/<major>:<minor>/stat (field 7); false when there is none (tmpfs, overlay).
bool DiskSectorsWritten(const std::string& path, uint64_t* sectors) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return false;
  const std::string file = "/sys/dev/block/" + std::to_string(major(st.st_dev)) + ":" +
                           std::to_string(minor(st.st_dev)) + "/stat";
  FILE* f = std::fopen(file.c_str(), "r");
  if (f == nullptr) return false;
  unsigned long long v[7] = {};
  const bool found = std::fscanf(f, "%llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                                 &v[3], &v[4], &v[5], &v[6]) == 7;
  std::fclose(f);
  *sectors = v[6];
  return found;
}

long PeakRssKb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

// Resident and anonymous kB from /proc/self/statm ("size resident shared ..." in pages).
RssSample SampleRss(double t_s) {
  RssSample sample;
  sample.t_s = t_s;
  long size = 0, resident = 0, shared = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld %ld", &size, &resident, &shared) != 3) resident = shared = 0;
    std::fclose(f);
  }
  const long page_kb = sysconf(_SC_PAGESIZE) / 1024;
  sample.kb = resident * page_kb;
  sample.anon_kb = (resident - shared) * page_kb;
  return sample;
}

PipelineStats Delta(const PipelineStats& a, const PipelineStats& b) {
  PipelineStats d = b;
  d.groups -= a.groups;
  d.batches -= a.batches;
  d.failed_batches -= a.failed_batches;
  d.flushes -= a.flushes;
  d.checkpoints -= a.checkpoints;
  d.log_bytes -= a.log_bytes;
  d.map_resizes -= a.map_resizes;
  return d;
}

// Sleeps until `t`, waking every 100 ms to notice `stop`.
void SleepUntil(Clock::time_point t, const std::atomic<bool>& stop) {
  while (!stop.load(std::memory_order_relaxed)) {
    auto now = Clock::now();
    if (now >= t) return;
    std::this_thread::sleep_until(std::min(t, now + std::chrono::milliseconds(100)));
  }
}

void PrintProgress(const LoopOptions& o, const Recorder& rec, Clock::time_point start) {
  auto now = Clock::now();
  double total = std::chrono::duration<double>(now - start).count();
  if (!rec.measuring()) {
    std::fprintf(stderr, "\r%s: warming up %.0f / %.0f s            ", o.label.c_str(), total,
                 o.warmup_s);
    return;
  }
  double el = std::chrono::duration<double>(now - rec.start_time()).count();
  double rate = el > 0 ? static_cast<double>(rec.count()) / el : 0;
  std::fprintf(stderr, "\r%s: %.0f ops/s  p99 %llu us  %.0f s elapsed", o.label.c_str(), rate,
               static_cast<unsigned long long>(rec.Snapshot().Percentile(0.99)), el);
  if (o.duration_s > 0) std::fprintf(stderr, ", %.0f s left", std::max(0.0, o.duration_s - el));
  std::fprintf(stderr, "      ");
}

}  // namespace

Status RunLoop(const LoopOptions& o, const Driver& driver, Recorder& rec, LoopResult& out) {
  const auto writers = static_cast<size_t>(o.writers);
  std::vector<Histogram> fetch(writers);
  std::vector<Status> errors(writers);
  std::atomic<uint64_t> missed{0};
  const auto start = Clock::now();
  if (o.warmup_s <= 0) rec.StartMeasuring(start);
  // What the measured interval's deltas start from (reset when warm-up ends).
  double cpu_before = CpuSeconds();
  PipelineStats pipe_before = driver.pipeline ? driver.pipeline() : PipelineStats{};
  uint64_t flushes_before = driver.flushes ? driver.flushes() : 0;
  uint64_t bytes_before = 0;
  bool has_bytes = WriteBytes(&bytes_before);
  uint64_t sectors_before = 0;
  bool has_sectors = DiskSectorsWritten(o.disk_path, &sectors_before);
  std::vector<std::thread> threads;
  for (size_t w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      const int writer = static_cast<int>(w);
      Histogram warmup_fetch;
      Status s = driver.start ? driver.start(writer) : Status::OK();
      for (uint64_t n = 1; s.ok() && !rec.stop().load(std::memory_order_relaxed); ++n) {
        auto intended = Clock::now();
        if (o.rate > 0) {
          double slot = static_cast<double>((n - 1) * writers + w) / o.rate;
          intended = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(slot));
          SleepUntil(intended, rec.stop());
          if (rec.stop().load()) break;
          if (rec.measuring() && Clock::now() - intended > kMissedSlotSlack) ++missed;
        }
        auto did =
            driver.op(writer, n, intended, rec.stop(), rec.measuring() ? fetch[w] : warmup_fetch);
        if (!did.ok()) s = did.status();
        if (!did.ok() || !*did) break;
        if (!driver.records_itself) rec.Record(w, intended, Clock::now());
      }
      errors[w] = s;
      if (!s.ok()) rec.Stop(Clock::now());
    });
  }
  const bool tty = isatty(STDERR_FILENO) != 0;
  auto next_progress = start + std::chrono::seconds(1);
  const auto rss_every = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(std::max(o.rss_every_s, 0.0)));
  Clock::time_point next_rss;  // set when measuring starts
  while (!rec.stop().load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    auto now = Clock::now();
    if (!rec.measuring() && now - start >= std::chrono::duration<double>(o.warmup_s)) {
      rec.StartMeasuring(now);
      cpu_before = CpuSeconds();
      if (driver.pipeline) pipe_before = driver.pipeline();
      if (driver.flushes) flushes_before = driver.flushes();
      has_bytes = WriteBytes(&bytes_before);
      has_sectors = DiskSectorsWritten(o.disk_path, &sectors_before);
    }
    if (o.rss_every_s > 0 && rec.measuring()) {
      if (out.rss_samples.empty()) next_rss = rec.start_time();
      if (now >= next_rss) {
        out.rss_samples.push_back(
            SampleRss(std::chrono::duration<double>(now - rec.start_time()).count()));
        next_rss += rss_every;
      }
    }
    if (rec.measuring() && o.duration_s > 0 &&
        now - rec.start_time() >= std::chrono::duration<double>(o.duration_s)) {
      rec.Stop(now);
    }
    if (tty && now >= next_progress) {
      PrintProgress(o, rec, start);
      next_progress += std::chrono::seconds(1);
    }
  }
  out.cpu_s = CpuSeconds() - cpu_before;
  uint64_t bytes_after = 0;
  out.has_write_bytes = has_bytes && WriteBytes(&bytes_after);
  if (out.has_write_bytes) out.write_bytes = bytes_after - bytes_before;
  uint64_t sectors_after = 0;
  out.has_disk_bytes = has_sectors && DiskSectorsWritten(o.disk_path, &sectors_after);
  if (out.has_disk_bytes) out.disk_bytes = (sectors_after - sectors_before) * 512;
  if (driver.pipeline) {
    out.has_pipeline = true;
    out.pipeline = Delta(pipe_before, driver.pipeline());
  }
  if (driver.flushes) {
    out.has_flushes = true;
    out.flushes = driver.flushes() - flushes_before;
  } else if (out.has_pipeline) {
    out.has_flushes = true;
    out.flushes = out.pipeline.flushes + out.pipeline.checkpoints;
  }
  for (auto& t : threads) t.join();
  Status finished = driver.finish ? driver.finish() : Status::OK();
  if (tty) std::fprintf(stderr, "\r%78s\r", "");
  for (auto& s : errors) {
    if (!s.ok()) return s;
  }
  if (!finished.ok()) return finished;
  out.elapsed_s = rec.measuring()
                      ? std::chrono::duration<double>(rec.end_time() - rec.start_time()).count()
                      : 0;
  out.latency_us = rec.Snapshot();
  for (auto& h : fetch) out.fetch_us.Merge(h);
  out.ops = out.latency_us.count();
  out.missed_slots = missed.load();
  out.peak_rss_kb = PeakRssKb();
  return Status::OK();
}

}  // namespace durastore::bench
