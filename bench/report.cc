#include "report.h"

#include <fcntl.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <thread>
#include <vector>

namespace durastore::bench {
namespace {

unsigned long long U(uint64_t v) { return static_cast<unsigned long long>(v); }

double PerSec(uint64_t n, double s) { return s > 0 ? static_cast<double>(n) / s : 0; }

double AvgGroup(const PipelineStats& p) {
  return p.groups == 0 ? 0.0 : static_cast<double>(p.batches) / static_cast<double>(p.groups);
}

// "per commit: 0.05 flushes, 1234 device bytes, 12.3 cpu us" (n/a where not counted).
void PrintPerCommit(const Outcome& o) {
  char flushes[32] = "n/a", bytes[32] = "n/a", disk[32] = "n/a";
  if (o.run.has_flushes) {
    std::snprintf(flushes, sizeof(flushes), "%.3f",
                  o.PerCommit(static_cast<double>(o.run.flushes)));
  }
  if (o.run.has_write_bytes) {
    std::snprintf(bytes, sizeof(bytes), "%.0f",
                  o.PerCommit(static_cast<double>(o.run.write_bytes)));
  }
  if (o.run.has_disk_bytes) {
    std::snprintf(disk, sizeof(disk), "%.0f", o.PerCommit(static_cast<double>(o.run.disk_bytes)));
  }
  std::printf(
      "          per %s (%llu): %s flushes, %s device bytes written (%s reached the disk), "
      "%.1f cpu us\n",
      o.config.workload == "commit" ? "commit" : "commit or op", U(o.commits()), flushes, bytes,
      disk, o.PerCommit(o.run.cpu_s * 1e6));
}

}  // namespace

FdatasyncProbe MeasureFdatasync(const std::string& dir) {
  FdatasyncProbe probe;
  std::string file = dir + "/fdatasync-probe";
  int fd = open(file.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) return probe;
  std::string page(4096, 'x');
  std::vector<double> us;
  for (int i = 0; i < 200; ++i) {
    if (pwrite(fd, page.data(), page.size(), (i % 16) * 4096) < 0) break;
    auto start = Clock::now();
    if (fdatasync(fd) != 0) break;
    us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  close(fd);
  unlink(file.c_str());
  if (us.empty()) return probe;
  std::sort(us.begin(), us.end());
  probe.samples = us.size();
  probe.p50_us = us[us.size() / 2];
  probe.p90_us = us[us.size() * 9 / 10];
  probe.max_us = us.back();
  return probe;
}

double MeasureFdatasyncUs(const std::string& dir) { return MeasureFdatasync(dir).p50_us; }

void PrintEnvironment(const std::string& dir) {
  utsname u{};
  uname(&u);
  struct statfs fs {};
  statfs(dir.c_str(), &fs);
  const char* fs_name = fs.f_type == 0xEF53       ? "ext4"
                        : fs.f_type == 0x58465342 ? "xfs"
                        : fs.f_type == 0x01021994 ? "tmpfs"
                        : fs.f_type == 0x9123683E ? "btrfs"
                                                  : "other";
  std::printf("environment: %u cores, %s %s, %s on %s\n", std::thread::hardware_concurrency(),
              u.sysname, u.release, fs_name, dir.c_str());
#if !defined(__OPTIMIZE__) || !defined(NDEBUG)
  std::printf(
      "WARNING: built without optimization (or with assertions); figures are not "
      "representative. Use the release build from scripts/setup.\n");
#endif
}

nlohmann::json ToJson(const Outcome& o) {
  const Config& c = o.config;
  const Histogram& h = o.run.latency_us;
  nlohmann::json j = {
      {"workload", c.workload},
      {"engine", c.engine},
      {"writers", c.writers},
      {"duration_s", o.run.elapsed_s},
      {"warmup_s", c.warmup_s},
      {"durability", c.durability},
      {"payload_bytes", c.payload},
      {"payload_sizes", c.payload_sizes.spec()},
      {"loop", c.rate > 0 ? "open" : "closed"},
      {"target_rate", c.rate},
      {"missed_slots", o.run.missed_slots},
      {"ops", o.run.ops},
      {"ops_per_sec", o.ops_per_sec()},
      {"p50_us", h.Percentile(0.50)},
      {"p90_us", h.Percentile(0.90)},
      {"p99_us", h.Percentile(0.99)},
      {"p999_us", h.Percentile(0.999)},
      {"max_us", h.max()},
      {"fdatasync_us", o.fdatasync_us},
      {"cpu_s", o.run.cpu_s},
      {"peak_rss_kb", o.run.peak_rss_kb},
  };
  j["commits"] = o.commits();
  j["flushes_per_commit"] = o.run.has_flushes
                                ? nlohmann::json(o.PerCommit(static_cast<double>(o.run.flushes)))
                                : nlohmann::json(nullptr);
  j["device_bytes_per_commit"] =
      o.run.has_write_bytes ? nlohmann::json(o.PerCommit(static_cast<double>(o.run.write_bytes)))
                            : nlohmann::json(nullptr);
  j["disk_bytes_per_commit"] =
      o.run.has_disk_bytes ? nlohmann::json(o.PerCommit(static_cast<double>(o.run.disk_bytes)))
                           : nlohmann::json(nullptr);
  j["cpu_us_per_commit"] = o.PerCommit(o.run.cpu_s * 1e6);
  if (o.run.has_pipeline) {
    const PipelineStats& p = o.run.pipeline;
    j["flushes_per_sec"] = PerSec(p.flushes + p.checkpoints, o.run.elapsed_s);
    j["log_flushes"] = p.flushes;
    j["checkpoints"] = p.checkpoints;
    j["log_bytes_per_commit"] = o.PerCommit(static_cast<double>(p.log_bytes));
    j["avg_group_size"] = AvgGroup(p);
    j["io_uring"] = p.using_io_uring;
  }
  if (c.workload == "commit") {
    j["appends_per_batch"] = c.appends_per_batch;
    j["events_per_append"] = c.events_per_append;
    j["enqueues_per_batch"] = c.enqueues_per_batch;
    j["puts_per_batch"] = c.puts_per_batch;
  }
  if (o.has_queue) {
    j["producers"] = c.producers;
    j["consumers"] = c.consumers;
    j["delay_ms"] = c.delay_ms;
    j["max_depth"] = c.max_depth;
    if (c.workload == "queue") j["batch"] = c.batch;
    j["consume_p50_us"] = o.queue.consume_us.Percentile(0.50);
    j["consume_p90_us"] = o.queue.consume_us.Percentile(0.90);
    j["consume_p99_us"] = o.queue.consume_us.Percentile(0.99);
    j["empty_dequeues"] = o.queue.empty_dequeues;
  }
  if (o.has_fetch) {
    j["fetch_p50_us"] = o.run.fetch_us.Percentile(0.50);
    j["fetch_p99_us"] = o.run.fetch_us.Percentile(0.99);
    j["empty_fetches"] = o.orchestration.empty_fetches;
  }
  if (!o.mix.empty()) {
    nlohmann::json mix = nlohmann::json::object();
    for (size_t k = 0; k < o.mix.size(); ++k) {
      const Histogram& kh = o.mix[k].latency_us;
      mix[kMixKinds[k]] = {{"weight", o.mix[k].weight},
                           {"ops", kh.count()},
                           {"ops_per_sec", PerSec(kh.count(), o.run.elapsed_s)},
                           {"p50_us", kh.Percentile(0.50)},
                           {"p99_us", kh.Percentile(0.99)}};
    }
    j["mix"] = mix;
    j["seed"] = c.seed;
  }
  if (c.rss_every_s > 0) {
    nlohmann::json all = nlohmann::json::array(), anon = nlohmann::json::array();
    for (const RssSample& r : o.run.rss_samples) {
      all.push_back(r.kb);
      anon.push_back(r.anon_kb);
    }
    j["rss_every_s"] = c.rss_every_s;
    j["rss_samples_kb"] = all;
    j["rss_anon_samples_kb"] = anon;
  }
  if (c.workload == "turn") {
    j["instances"] = Instances(c);
    j["history_preload"] = c.history;
    j["mean_history_at_fetch"] = o.orchestration.mean_history_at_fetch;
  } else if (c.workload == "activity") {
    j["feeder_turns"] = o.orchestration.feeder_turns;
  }
  return j;
}

void PrintOutcome(const Outcome& o) {
  const Config& c = o.config;
  const Histogram& h = o.run.latency_us;
  std::string payload = c.payload_sizes.fixed()
                            ? std::to_string(c.payload) + "B"
                            : c.payload_sizes.spec() + " (mean " + std::to_string(c.payload) + "B)";
  std::printf("%-9s %-8s writers=%d durability=%s payload=%s: %.0f ops/s over %.1f s",
              c.engine.c_str(), c.workload.c_str(), c.writers, c.durability.c_str(),
              payload.c_str(), o.ops_per_sec(), o.run.elapsed_s);
  if (c.warmup_s > 0) std::printf(" (after %.1f s warm-up)", c.warmup_s);
  std::printf("\n          latency us: p50 %llu  p90 %llu  p99 %llu  p999 %llu  max %llu\n",
              U(h.Percentile(0.5)), U(h.Percentile(0.9)), U(h.Percentile(0.99)),
              U(h.Percentile(0.999)), U(h.max()));
  if (c.rate > 0) {
    std::printf("          open loop at %.0f ops/s: %llu ops missed their slot (> %lld ms late)\n",
                c.rate, U(o.run.missed_slots), static_cast<long long>(kMissedSlotSlack.count()));
  }
  PrintPerCommit(o);
  if (o.run.has_pipeline && o.run.pipeline.groups > 0) {
    const PipelineStats& p = o.run.pipeline;
    std::printf(
        "          group commit: %llu log flushes + %llu checkpoints (%.0f flushes/s), %.1f "
        "batches per group, %.0f log bytes per commit, flush via %s\n",
        U(p.flushes), U(p.checkpoints), PerSec(p.flushes + p.checkpoints, o.run.elapsed_s),
        AvgGroup(p), o.PerCommit(static_cast<double>(p.log_bytes)),
        p.using_io_uring ? "io_uring" : "fdatasync thread");
  }
  if (o.has_queue) {
    const Histogram& q = o.queue.consume_us;
    const std::string batch =
        c.workload == "queue" && c.batch > 1 ? ", batch " + std::to_string(c.batch) : "";
    std::printf(
        "          %d producers, %d consumers, delay %lld ms, depth <= %d%s; dequeue+ack us%s: "
        "p50 %llu  p90 %llu  p99 %llu; %llu empty dequeues\n",
        c.producers, c.consumers, static_cast<long long>(c.delay_ms), c.max_depth, batch.c_str(),
        batch.empty() ? "" : " (per lease)", U(q.Percentile(0.5)), U(q.Percentile(0.9)),
        U(q.Percentile(0.99)), U(o.queue.empty_dequeues));
  }
  if (o.has_fetch) {
    std::printf("          fetch us: p50 %llu  p99 %llu; %llu empty fetches",
                U(o.run.fetch_us.Percentile(0.5)), U(o.run.fetch_us.Percentile(0.99)),
                U(o.orchestration.empty_fetches));
    if (c.workload == "turn") {
      std::printf("; %d instances, %.1f history events per fetch", Instances(c),
                  o.orchestration.mean_history_at_fetch);
    } else {
      std::printf("; %llu feeder turns", U(o.orchestration.feeder_turns));
    }
    std::printf("\n");
  }
  for (size_t k = 0; k < o.mix.size(); ++k) {
    const Histogram& kh = o.mix[k].latency_us;
    std::printf("          %-8s %5.1f%%: %llu ops, %.0f ops/s, latency us p50 %llu  p99 %llu\n",
                kMixKinds[k], 100 * o.mix[k].weight, U(kh.count()),
                PerSec(kh.count(), o.run.elapsed_s), U(kh.Percentile(0.5)), U(kh.Percentile(0.99)));
  }
  std::printf("          fdatasync %.0f us (4 KiB, median of 200); cpu %.2f s; peak rss %ld KiB\n",
              o.fdatasync_us, o.run.cpu_s, o.run.peak_rss_kb);
  for (const RssSample& r : o.run.rss_samples) {
    std::printf("rss_kb t=%.2f %ld\n", r.t_s, r.kb);
  }
}

std::string CsvHeader() {
  return "engine,workload,writers,ops_per_sec,p50_us,p90_us,p99_us,p999_us,max_us\n";
}

std::string CsvRow(const Outcome& o) {
  const Histogram& h = o.run.latency_us;
  char row[256];
  std::snprintf(row, sizeof(row), "%s,%s,%d,%.1f,%llu,%llu,%llu,%llu,%llu\n",
                o.config.engine.c_str(), o.config.workload.c_str(), o.config.writers,
                o.ops_per_sec(), U(h.Percentile(0.5)), U(h.Percentile(0.9)), U(h.Percentile(0.99)),
                U(h.Percentile(0.999)), U(h.max()));
  return row;
}

}  // namespace durastore::bench
