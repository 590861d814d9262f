// A run's settings (from the command line) and its outcome (what the report prints).
#ifndef DURASTORE_BENCH_BENCH_CONFIG_H_
#define DURASTORE_BENCH_BENCH_CONFIG_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "histogram.h"
#include "orchestration_workloads.h"
#include "payload_sizes.h"
#include "queue_workload.h"
#include "run_loop.h"

namespace durastore::bench {

// The `mixed` workload's op kinds, in the order of Config::mix and Outcome::mix.
inline constexpr std::array<const char*, 4> kMixKinds = {"commit", "queue", "turn", "activity"};
using MixWeights = std::array<double, kMixKinds.size()>;

struct Config {
  std::string workload = "commit";  // commit, queue, turn, activity or mixed
  int writers = 16;
  double duration_s = 5;  // 0 = until --ops
  uint64_t ops = 0;       // 0 = until --duration
  double warmup_s = 0;
  double rate = 0;  // open loop ops/s; 0 = closed loop
  std::string durability = "sync";
  size_t payload = 256;              // bytes per event / message (commit, mixed: the mean)
  PayloadSizes payload_sizes;        // commit and mixed commits: the size of each op's payloads
  std::string engine = "durastore";  // durastore, sqlite, rocksdb (both, all: expanded)
  std::string flush = "auto";        // durastore only: auto, io_uring or fdatasync
  std::string path;                  // parent directory; empty = the system temp directory
  bool keep = false;
  bool json = false;
  // commit: the batch shape
  int appends_per_batch = 1;
  int events_per_append = 1;
  int enqueues_per_batch = 0;
  int puts_per_batch = 1;
  // queue: 0 = split --writers (producers = writers / 2, consumers = the rest)
  int producers = 0;
  int consumers = 0;
  int64_t delay_ms = 0;
  int max_depth = 1000;
  int batch = 1;  // queue only: messages per producer commit and per consumer lease (at most)
  // turn
  int instances = 0;             // 0 = writers * 4
  int history = 0;               // events pre-loaded per execution
  int turns_per_execution = 10;  // then continue-as-new
  // mixed: relative weights of the kinds (not normalised) and the seed of the writers' picks
  MixWeights mix = {70, 10, 15, 5};
  uint64_t seed = 1;
  double rss_every_s = 0;  // > 0: sample the RSS this often while measuring
  int repeat = 1;          // runs of each (writers, engine) point, engines interleaved
};

inline int Instances(const Config& c) { return c.instances > 0 ? c.instances : c.writers * 4; }

// One kind of a `mixed` run: its share of the picks and its ops' latencies.
struct MixKindOutcome {
  double weight = 0;  // normalised: the weights sum to 1
  Histogram latency_us;
};

struct Outcome {
  Config config;  // as run (queue: writers = producers + consumers)
  LoopResult run;
  double fdatasync_us = 0;
  bool has_fetch = false;  // turn and activity: the fetch part of each op
  OrchestrationStats orchestration;
  bool has_queue = false;
  QueueStats queue;
  std::vector<MixKindOutcome> mix;  // mixed: one per kMixKinds entry
  double ops_per_sec() const {
    return run.elapsed_s > 0 ? static_cast<double>(run.ops) / run.elapsed_s : 0;
  }
  // Transactions committed in the measured time: a `commit` op is one; otherwise
  // durastore's pipeline counts its batches (dequeues included), and for the SQLite
  // baselines an op stands for its commits.
  uint64_t commits() const {
    return config.workload != "commit" && run.has_pipeline ? run.pipeline.batches : run.ops;
  }
  // `total` per commit; 0 without commits.
  double PerCommit(double total) const {
    return commits() > 0 ? total / static_cast<double>(commits()) : 0;
  }
};

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_BENCH_CONFIG_H_
