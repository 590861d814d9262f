// What durastore-bench prints: the environment, the text summary, the JSON object and
// the sweep CSV row of a run (field list at the top of durastore_bench.cc).
#ifndef DURASTORE_BENCH_REPORT_H_
#define DURASTORE_BENCH_REPORT_H_

#include <nlohmann/json.hpp>
#include <string>

#include "bench_config.h"

namespace durastore::bench {

// Cores, kernel, file system of `dir`, and a warning when built without optimization.
void PrintEnvironment(const std::string& dir);
// 200 x (pwrite 4 KiB + fdatasync) in `dir`: the floor under any durable commit. The
// device's flush latency drifts (here between ~150 us and ~4 ms for seconds at a time),
// so a comparison prints it before and after its runs.
struct FdatasyncProbe {
  size_t samples = 0;  // 0: the probe file could not be written or flushed
  double p50_us = 0;
  double p90_us = 0;
  double max_us = 0;
};
FdatasyncProbe MeasureFdatasync(const std::string& dir);
// Its median.
double MeasureFdatasyncUs(const std::string& dir);

void PrintOutcome(const Outcome& o);
nlohmann::json ToJson(const Outcome& o);

// The sweep CSV: engine,workload,writers,ops_per_sec,p50_us,p90_us,p99_us,p999_us,max_us
std::string CsvHeader();
std::string CsvRow(const Outcome& o);

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_REPORT_H_
