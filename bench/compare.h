// Engines compared in one run: the per-repetition throughput ratios of durastore over
// each baseline, their median and range, and a summary table of every engine's figures.
//
// The device's flush latency drifts by an order of magnitude for seconds at a time, so a
// ratio means something only between runs made close together: a comparison repeats each
// (writers, engine) point --repeat times, the engines interleaved within a repetition
// (durastore, sqlite, rocksdb, durastore, ...), and reports the ratio per repetition.
#ifndef DURASTORE_BENCH_COMPARE_H_
#define DURASTORE_BENCH_COMPARE_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "bench_config.h"
#include "report.h"

namespace durastore::bench {

// Median, minimum and maximum of `values` (all 0 when empty).
struct Spread {
  double median = 0;
  double min = 0;
  double max = 0;
};
Spread SpreadOf(std::vector<double> values);

// Not thread-safe; fed by the thread that runs the points, in order.
class Comparison {
 public:
  Comparison(std::string workload, std::vector<std::string> engines, int repeat)
      : workload_(std::move(workload)), engines_(std::move(engines)), repeat_(repeat) {}

  // Records repetition `rep`'s (from 0) run of `o.config.engine` at `o.config.writers`.
  void Add(int rep, const Outcome& o);
  // Prints the durastore ratios of repetition `rep` at `writers` (once all its engines ran).
  void PrintRepetition(int writers, int rep) const;
  // Prints the table of medians and ratio spreads, with the probes taken around the run.
  void PrintSummary(const FdatasyncProbe& before, const FdatasyncProbe& after) const;
  // The same as one JSON object (field list in durastore_bench.cc).
  nlohmann::json ToJson(const FdatasyncProbe& before, const FdatasyncProbe& after) const;

 private:
  // One run's figures; a flush or byte figure < 0 was not counted.
  struct Figures {
    double ops_per_sec = 0;
    double p50_us = 0;
    double p99_us = 0;
    double flushes_per_commit = -1;
    double device_bytes_per_commit = -1;
    double disk_bytes_per_commit = -1;
    double cpu_us_per_commit = 0;
  };
  using Reps = std::vector<Figures>;  // indexed by repetition
  // durastore's ops/s over `baseline`'s, per repetition where both ran.
  std::vector<double> Ratios(int writers, const std::string& baseline) const;
  std::vector<std::string> Baselines() const;

  const std::string workload_;
  const std::vector<std::string> engines_;
  const int repeat_;
  std::map<int, std::map<std::string, Reps>> points_;  // writers -> engine -> repetitions
};

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_COMPARE_H_
