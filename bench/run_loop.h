// The measurement loop every workload runs in: N writer threads doing ops closed loop (as
// fast as they can) or open loop (on a fixed schedule), with a warm-up excluded from the
// figures, a duration and/or op-count limit, and a live progress line on a terminal.
//
// Open loop (--rate R): writer w's k-th op is due at base + (k * writers + w) / R. A writer
// that falls behind does not skip slots; it issues its late ops back to back, and each
// op's latency is counted from its *intended* send time, so a stall shows up in the
// latency of every op it delayed (no coordinated omission). An op that starts more than
// kMissedSlotSlack after its slot counts as a missed slot.
#ifndef DURASTORE_BENCH_RUN_LOOP_H_
#define DURASTORE_BENCH_RUN_LOOP_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "durastore/store.h"
#include "histogram.h"

namespace durastore::bench {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kMissedSlotSlack{1};

inline uint64_t MicrosBetween(Clock::time_point from, Clock::time_point to) {
  if (to <= from) return 0;
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(to - from).count());
}

// Where completed ops are counted: one slot per recording thread (writers, and consumers
// of workloads whose ops complete on other threads), each with one fixed-size histogram
// per op kind (the `mixed` workload has several kinds; the others one). Thread-safe; a
// slot's mutex is only contended when the progress line takes a snapshot.
class Recorder {
 public:
  // `ops_limit` 0 = no limit; otherwise the run stops once that many ops are recorded.
  Recorder(size_t slots, uint64_t ops_limit, size_t kinds = 1);

  // Counts one op of the slot's kind (SetSlotKind; 0 by default) intended to start at
  // `intended` and completed at `done`. Ops that complete during warm-up or after the
  // end are not counted.
  void Record(size_t slot, Clock::time_point intended, Clock::time_point done);
  // The same for an op of kind `kind` (< kinds).
  void RecordKind(size_t slot, size_t kind, Clock::time_point intended, Clock::time_point done);
  // The kind Record counts for `slot`; call before any thread records.
  void SetSlotKind(size_t slot, size_t kind);
  bool measuring() const { return measuring_.load(std::memory_order_relaxed); }
  const std::atomic<bool>& stop() const { return stop_; }

  // Called by the loop: the end of warm-up, and the end of the run (first call wins).
  void StartMeasuring(Clock::time_point at);
  void Stop(Clock::time_point at);
  Clock::time_point start_time() const { return start_; }
  Clock::time_point end_time() const;  // valid once stop() is set
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  Histogram Snapshot() const;                 // every slot and kind merged
  Histogram SnapshotKind(size_t kind) const;  // every slot's `kind` merged

 private:
  struct alignas(64) Slot {
    explicit Slot(size_t kinds) : h(kinds) {}
    std::mutex mu;
    std::vector<Histogram> h;  // one per kind, guarded by mu
    size_t kind = 0;           // what Record counts; set before the run
  };
  const uint64_t limit_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::atomic<bool> measuring_{false};
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> count_{0};
  Clock::time_point start_;
  mutable std::mutex end_mu_;
  Clock::time_point end_;  // guarded by end_mu_
};

struct LoopOptions {
  std::string label;       // the progress line's prefix
  int writers = 1;         // threads calling Driver::op
  double duration_s = 0;   // measured seconds after warm-up; 0 = until ops_limit
  double warmup_s = 0;     // seconds run before measuring
  double rate = 0;         // ops/s over all writers; 0 = closed loop
  double rss_every_s = 0;  // > 0: sample the process RSS this often while measuring
  std::string disk_path;   // count the writes of the block device holding this path
};

// The process's resident set at `t_s` seconds after measuring started (/proc/self/statm):
// all of it, and the anonymous part (heap, stacks; resident minus file-backed pages such
// as LMDB's map, which grows with the data on disk).
struct RssSample {
  double t_s = 0;
  long kb = 0;
  long anon_kb = 0;
};

// What a run's writer threads drive.
struct Driver {
  // Per-writer setup, on the writer's thread. May be empty.
  std::function<Status(int writer)> start;
  // Writer `writer`'s n-th op (n from 1), due at `intended`; `fetch_us` is the writer's
  // own histogram for a sub-latency (turn/activity: the fetch). False = `stop` came first.
  std::function<Result<bool>(int writer, uint64_t n, Clock::time_point intended,
                             const std::atomic<bool>& stop, Histogram& fetch_us)>
      op;
  // True when ops complete elsewhere (queue: op enqueues, consumers call Recorder::Record).
  bool records_itself = false;
  // Stops background threads once the writers have returned; their first error. May be empty.
  std::function<Status()> finish;
  // Commit pipeline counters (durastore only). May be empty.
  std::function<PipelineStats()> pipeline;
  // The engine's device flushes so far (Engine::Flushes). May be empty; then a durastore
  // run counts its pipeline's log flushes and checkpoints.
  std::function<uint64_t()> flushes;
};

struct LoopResult {
  uint64_t ops = 0;
  double elapsed_s = 0;  // measured time (warm-up excluded)
  Histogram latency_us;
  Histogram fetch_us;
  uint64_t missed_slots = 0;  // open loop only
  double cpu_s = 0;           // process CPU (user + system) over the measured time
  long peak_rss_kb = 0;       // the process's peak RSS so far (getrusage ru_maxrss)
  bool has_pipeline = false;
  PipelineStats pipeline;  // counter deltas over the measured time
  bool has_flushes = false;
  uint64_t flushes = 0;  // device flushes (fdatasync / fsync) over the measured time
  // Bytes the process caused to be sent to the storage layer over the measured time
  // (/proc/self/io write_bytes: counted when a page is dirtied or written directly, so
  // it includes write-back that happens later); false when /proc/self/io is unreadable.
  bool has_write_bytes = false;
  uint64_t write_bytes = 0;
  // Bytes the block device holding LoopOptions::disk_path received over the measured
  // time (/sys/dev/block/M:m/stat, sectors written * 512): what reached the device, from
  // every process, with no write-back still owed counted; false when not a block device.
  bool has_disk_bytes = false;
  uint64_t disk_bytes = 0;
  std::vector<RssSample> rss_samples;  // LoopOptions::rss_every_s apart, from t = 0
};

// Runs `options.writers` threads over `driver` until the duration or the recorder's op
// limit is reached, or an op fails (its error is returned).
Status RunLoop(const LoopOptions& options, const Driver& driver, Recorder& recorder,
               LoopResult& out);

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_RUN_LOOP_H_
