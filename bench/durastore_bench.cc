// durastore-bench: load tests of the commit path, durastore and SQLite side by side, and
// of the orchestration layer's Duroxide-shaped hot path.
//
//   durastore-bench commit   [--writers N] [--duration S] [--durability sync|nosync]
//                            [--payload BYTES] [--engine durastore|sqlite] [--path DIR]
//                            [--keep] [--json]
//   durastore-bench turn     (the same flags) [--instances N] [--history EVENTS]
//                            [--turns-per-execution N]
//   durastore-bench activity (the same flags)
//   durastore-bench demo     [--path DIR]
//
// One `commit` operation = one atomic batch appending one event to the writer's own
// stream and putting one metadata key. One `turn` = fetch an instance with its history,
// ack appending 2 events, enqueueing 1 activity and 1 message for the instance. One
// `activity` = fetch a work item, ack it with a completion (orchestration_workloads.h).
// Closed loop: each writer (dispatcher) does ops as fast as it can.
// With --json the last line of stdout is one JSON object (fields in docs/performance.md).
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "engines.h"
#include "histogram.h"
#include "orchestration_workloads.h"

namespace durastore::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string workload = "commit";  // commit, turn or activity
  int writers = 16;
  double duration_s = 5;
  std::string durability = "sync";
  size_t payload = 256;
  std::string engine = "durastore";
  std::string flush = "auto";  // durastore only: auto, io_uring or fdatasync
  std::string path;            // parent directory; empty = the system temp directory
  bool keep = false;
  bool json = false;
  int instances = 0;             // turn: 0 = writers * 4
  int history = 0;               // turn: events pre-loaded per execution
  int turns_per_execution = 10;  // turn: then continue-as-new
};

int Instances(const Config& c) { return c.instances > 0 ? c.instances : c.writers * 4; }

struct Outcome {
  Config config;
  uint64_t ops = 0;
  double elapsed_s = 0;
  Histogram latency_us;
  bool has_fetch = false;  // turn and activity: the fetch part of each op
  Histogram fetch_us;
  OrchestrationStats orchestration;
  double fdatasync_us = 0;
  bool has_pipeline = false;
  PipelineStats pipeline;
  double cpu_s = 0;
  long peak_rss_kb = 0;
  double ops_per_sec() const { return elapsed_s > 0 ? static_cast<double>(ops) / elapsed_s : 0; }
};

// A fresh directory under `parent` that is removed at scope end unless `keep`.
class RunDir {
 public:
  RunDir(const std::string& parent, bool keep) : keep_(keep) {
    std::string base = parent.empty() ? std::filesystem::temp_directory_path().string() : parent;
    std::filesystem::create_directories(base);
    std::string tmpl = base + "/durastore-bench-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) {
      std::fprintf(stderr, "cannot create a directory under %s: %s\n", base.c_str(),
                   strerror(errno));
      std::exit(2);
    }
    path_ = tmpl;
  }
  ~RunDir() {
    if (keep_) {
      std::printf("kept %s\n", path_.c_str());
    } else {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool keep_;
};

// Median of 200 x (pwrite 4 KiB + fdatasync) in `dir`: the floor under any durable commit.
double MeasureFdatasyncUs(const std::string& dir) {
  std::string file = dir + "/fdatasync-probe";
  int fd = open(file.c_str(), O_CREAT | O_RDWR | O_TRUNC, 0644);
  if (fd < 0) return 0;
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
  if (us.empty()) return 0;
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

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

FlushMethod FlushOf(const Config& c) {
  return c.flush == "io_uring"    ? FlushMethod::kIoUring
         : c.flush == "fdatasync" ? FlushMethod::kFdatasync
                                  : FlushMethod::kAuto;
}

Result<std::unique_ptr<Engine>> OpenEngine(const Config& c, const std::string& dir) {
  bool sync = c.durability == "sync";
  if (c.engine == "durastore") return OpenDurastore(dir, sync, FlushOf(c));
  return OpenSqlite(dir, sync, c.writers);
}

// What a run's threads drive: per-thread setup, then ops until `stop`.
struct Driver {
  std::function<Status(int writer)> start;
  // Writer `writer`'s n-th op; false = `stop` came before an op was done.
  std::function<Result<bool>(int writer, uint64_t n, const std::atomic<bool>& stop,
                             Histogram& fetch_us)>
      op;
};

// Runs c.writers closed-loop threads over `driver` for c.duration_s and fills the
// latency, elapsed-time and resource fields of `out`.
Status RunLoop(const Config& c, const Driver& driver, Outcome& out) {
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> done{0};
  const auto writers = static_cast<size_t>(c.writers);
  std::vector<Histogram> histograms(writers), fetch_histograms(writers);
  std::vector<Status> errors(writers);
  rusage before{};
  getrusage(RUSAGE_SELF, &before);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int w = 0; w < c.writers; ++w) {
    threads.emplace_back([&, w] {
      auto& h = histograms[static_cast<size_t>(w)];
      auto& fetch = fetch_histograms[static_cast<size_t>(w)];
      Status s = driver.start(w);
      for (uint64_t n = 1; s.ok() && !stop.load(std::memory_order_relaxed); ++n) {
        auto t0 = Clock::now();
        auto did = driver.op(w, n, stop, fetch);
        if (!did.ok()) s = did.status();
        if (!did.ok() || !*did) break;
        h.Record(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count()));
        done.fetch_add(1, std::memory_order_relaxed);
      }
      errors[static_cast<size_t>(w)] = s;
      if (!s.ok()) stop = true;
    });
  }
  const bool tty = isatty(STDERR_FILENO) != 0;
  const auto end = start + std::chrono::duration<double>(c.duration_s);
  while (!stop && Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(tty ? 1000 : 50));
    if (tty) {
      double el = std::chrono::duration<double>(Clock::now() - start).count();
      std::fprintf(stderr, "\r%s %s: %.0f ops/s  %.1f / %.0f s   ", c.engine.c_str(),
                   c.workload.c_str(), static_cast<double>(done.load()) / el, el, c.duration_s);
    }
  }
  stop = true;
  for (auto& t : threads) t.join();
  out.elapsed_s = std::chrono::duration<double>(Clock::now() - start).count();
  if (tty) std::fprintf(stderr, "\r%60s\r", "");
  for (auto& s : errors) {
    if (!s.ok()) return s;
  }
  for (auto& h : histograms) out.latency_us.Merge(h);
  for (auto& h : fetch_histograms) out.fetch_us.Merge(h);
  out.ops = out.latency_us.count();
  rusage after{};
  getrusage(RUSAGE_SELF, &after);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  out.cpu_s =
      secs(after.ru_utime) - secs(before.ru_utime) + secs(after.ru_stime) - secs(before.ru_stime);
  out.peak_rss_kb = after.ru_maxrss;
  return Status::OK();
}

Status RunCommitLoop(const Config& c, const std::string& dir, Outcome& out) {
  auto engine = OpenEngine(c, dir);
  if (!engine.ok()) return engine.status();
  const std::string payload(c.payload, 'p');
  Driver driver;
  driver.start = [&](int w) { return (*engine)->StartWriter(w); };
  driver.op = [&](int w, uint64_t n, const std::atomic<bool>&, Histogram&) -> Result<bool> {
    Status s = (*engine)->CommitOp(w, n, payload);
    if (!s.ok()) return s;
    return true;
  };
  Status s = RunLoop(c, driver, out);
  if (!s.ok()) return s;
  out.has_pipeline = (*engine)->Pipeline(&out.pipeline);
  return Status::OK();
}

Status RunOrchestrationLoop(const Config& c, const std::string& dir, Outcome& out) {
  OrchestrationShape shape;
  shape.workers = c.writers;
  shape.payload_bytes = c.payload;
  shape.instances = Instances(c);
  shape.history_events = c.history;
  shape.turns_per_execution = c.turns_per_execution;
  shape.sync = c.durability == "sync";
  shape.flush = FlushOf(c);
  auto workload =
      c.workload == "turn" ? OpenTurnWorkload(dir, shape) : OpenActivityWorkload(dir, shape);
  if (!workload.ok()) return workload.status();
  OrchestrationWorkload& wl = **workload;
  Driver driver;
  driver.start = [](int) { return Status::OK(); };
  driver.op = [&](int w, uint64_t, const std::atomic<bool>& stop, Histogram& fetch_us) {
    return wl.Op(w, stop, fetch_us);
  };
  Status s = RunLoop(c, driver, out);
  wl.Stop();
  if (!s.ok()) return s;
  out.has_fetch = true;
  out.orchestration = wl.Stats();
  out.pipeline = wl.Pipeline();
  out.has_pipeline = true;
  return Status::OK();
}

Result<Outcome> RunWorkload(const Config& c) {
  // Start from a quiet disk: write back what earlier runs (or other programs) left dirty,
  // so one run's writeback does not land in the next run's figures.
  ::sync();
  RunDir dir(c.path, c.keep);
  Outcome out;
  out.config = c;
  out.fdatasync_us = MeasureFdatasyncUs(dir.path());
  Status s = c.workload == "commit" ? RunCommitLoop(c, dir.path(), out)
                                    : RunOrchestrationLoop(c, dir.path(), out);
  if (!s.ok()) return s;
  return out;
}

nlohmann::json ToJson(const Outcome& o) {
  const Histogram& h = o.latency_us;
  nlohmann::json j = {
      {"workload", o.config.workload},
      {"engine", o.config.engine},
      {"writers", o.config.writers},
      {"duration_s", o.elapsed_s},
      {"durability", o.config.durability},
      {"payload_bytes", o.config.payload},
      {"ops", o.ops},
      {"ops_per_sec", o.ops_per_sec()},
      {"p50_us", h.Percentile(0.50)},
      {"p90_us", h.Percentile(0.90)},
      {"p99_us", h.Percentile(0.99)},
      {"p999_us", h.Percentile(0.999)},
      {"max_us", h.max()},
      {"fdatasync_us", o.fdatasync_us},
      {"cpu_s", o.cpu_s},
      {"peak_rss_kb", o.peak_rss_kb},
  };
  if (o.has_pipeline) {
    j["flushes_per_sec"] = static_cast<double>(o.pipeline.flushes) / o.elapsed_s;
    j["avg_group_size"] = o.pipeline.groups == 0 ? 0.0
                                                 : static_cast<double>(o.pipeline.batches) /
                                                       static_cast<double>(o.pipeline.groups);
    j["io_uring"] = o.pipeline.using_io_uring;
  }
  if (o.has_fetch) {
    j["fetch_p50_us"] = o.fetch_us.Percentile(0.50);
    j["fetch_p99_us"] = o.fetch_us.Percentile(0.99);
    j["empty_fetches"] = o.orchestration.empty_fetches;
  }
  if (o.config.workload == "turn") {
    j["instances"] = Instances(o.config);
    j["history_preload"] = o.config.history;
    j["mean_history_at_fetch"] = o.orchestration.mean_history_at_fetch;
  } else if (o.config.workload == "activity") {
    j["feeder_turns"] = o.orchestration.feeder_turns;
  }
  return j;
}

void PrintOutcome(const Outcome& o) {
  const Histogram& h = o.latency_us;
  std::printf(
      "%-9s %-8s writers=%d durability=%s payload=%zuB: %.0f ops/s over %.1f s\n"
      "          latency us: p50 %llu  p90 %llu  p99 %llu  p999 %llu  max %llu\n",
      o.config.engine.c_str(), o.config.workload.c_str(), o.config.writers,
      o.config.durability.c_str(), o.config.payload, o.ops_per_sec(), o.elapsed_s,
      static_cast<unsigned long long>(h.Percentile(0.5)),
      static_cast<unsigned long long>(h.Percentile(0.9)),
      static_cast<unsigned long long>(h.Percentile(0.99)),
      static_cast<unsigned long long>(h.Percentile(0.999)),
      static_cast<unsigned long long>(h.max()));
  if (o.has_pipeline && o.pipeline.groups > 0) {
    std::printf("          group commit: %.0f flushes/s, %.1f batches per group, flush via %s\n",
                static_cast<double>(o.pipeline.flushes) / o.elapsed_s,
                static_cast<double>(o.pipeline.batches) / static_cast<double>(o.pipeline.groups),
                o.pipeline.using_io_uring ? "io_uring" : "fdatasync thread");
  }
  if (o.has_fetch) {
    std::printf("          fetch us: p50 %llu  p99 %llu; %llu empty fetches",
                static_cast<unsigned long long>(o.fetch_us.Percentile(0.5)),
                static_cast<unsigned long long>(o.fetch_us.Percentile(0.99)),
                static_cast<unsigned long long>(o.orchestration.empty_fetches));
    if (o.config.workload == "turn") {
      std::printf("; %d instances, %.1f history events per fetch", Instances(o.config),
                  o.orchestration.mean_history_at_fetch);
    } else {
      std::printf("; %llu feeder turns",
                  static_cast<unsigned long long>(o.orchestration.feeder_turns));
    }
    std::printf("\n");
  }
  std::printf("          fdatasync %.0f us (4 KiB, median of 200); cpu %.2f s; peak rss %ld KiB\n",
              o.fdatasync_us, o.cpu_s, o.peak_rss_kb);
}

int Run(const Config& c) {
  auto out = RunWorkload(c);
  if (!out.ok()) {
    std::fprintf(stderr, "durastore-bench: %s\n", out.status().ToString().c_str());
    return 1;
  }
  PrintOutcome(*out);
  if (c.json) std::printf("%s\n", ToJson(*out).dump().c_str());
  return 0;
}

int Demo(Config c) {
  c.writers = 64;
  c.duration_s = 3;
  c.durability = "sync";
  std::printf("demo: %d writers committing %zu-byte events durably for %.0f s per engine\n",
              c.writers, c.payload, c.duration_s);
  std::vector<Outcome> results;
  for (const char* engine : {"durastore", "sqlite"}) {
    c.engine = engine;
    auto out = RunWorkload(c);
    if (!out.ok()) {
      std::fprintf(stderr, "durastore-bench: %s\n", out.status().ToString().c_str());
      return 1;
    }
    PrintOutcome(*out);
    results.push_back(std::move(out).value());
  }
  double ratio =
      results[1].ops_per_sec() > 0 ? results[0].ops_per_sec() / results[1].ops_per_sec() : 0;
  std::printf("durastore / sqlite: %.1fx the durable commits per second\n", ratio);
  return 0;
}

}  // namespace
}  // namespace durastore::bench

int main(int argc, char** argv) {
  using durastore::bench::Config;
  CLI::App app{"durastore-bench: load tests of durastore's commit path and orchestration layer"};
  app.require_subcommand(1);
  Config c;
  auto add_common = [&c](CLI::App* sub) {
    sub->add_option("--path", c.path, "Directory to create the store in (a fresh subdirectory)");
    sub->add_option("--payload", c.payload, "Event payload bytes")
        ->check(CLI::Range(size_t{0}, size_t{16} << 20));
  };
  auto add_run = [&](const char* name, const char* about) {
    CLI::App* sub = app.add_subcommand(name, about);
    add_common(sub);
    sub->add_option("--writers", c.writers, "Concurrent writers (dispatchers)")
        ->check(CLI::Range(1, 4096));
    sub->add_option("--duration", c.duration_s, "Seconds to run")
        ->check(CLI::Range(0.001, 86400.0));
    sub->add_option("--durability", c.durability, "sync or nosync")
        ->check(CLI::IsMember({"sync", "nosync"}));
    sub->add_option("--engine", c.engine, "durastore or sqlite")
        ->check(CLI::IsMember({"durastore", "sqlite"}));
    sub->add_option("--flush", c.flush, "durastore flush path: auto, io_uring or fdatasync")
        ->check(CLI::IsMember({"auto", "io_uring", "fdatasync"}));
    sub->add_flag("--keep", c.keep, "Keep the store directory");
    sub->add_flag("--json", c.json, "Print one JSON object as the last line");
    sub->callback([&c, name] { c.workload = name; });
    return sub;
  };
  add_run("commit", "Closed-loop writers committing batches");
  CLI::App* turn = add_run("turn", "Dispatchers doing orchestration turns (fetch + ack)");
  turn->add_option("--instances", c.instances, "Instances in the loop (default writers * 4)")
      ->check(CLI::Range(1, 1'000'000));
  turn->add_option("--history", c.history, "History events pre-loaded per execution")
      ->check(CLI::Range(0, 100'000));
  turn->add_option("--turns-per-execution", c.turns_per_execution,
                   "Turns before an execution continues as new (default 10)")
      ->check(CLI::Range(1, 1'000'000));
  add_run("activity", "Workers fetching and acking activities with a completion");
  CLI::App* demo = app.add_subcommand("demo", "64 durable writers, durastore vs SQLite, 3 s each");
  add_common(demo);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  if (c.workload != "commit" && !*demo && c.engine == "sqlite") {
    std::fprintf(stderr,
                 "durastore-bench: turn/activity: --engine sqlite is not implemented yet "
                 "(issue #4)\n");
    return 2;
  }
  std::string env_dir = c.path.empty() ? std::filesystem::temp_directory_path().string() : c.path;
  std::error_code ec;
  std::filesystem::create_directories(env_dir, ec);
  durastore::bench::PrintEnvironment(env_dir);
  if (*demo) return durastore::bench::Demo(c);
  return durastore::bench::Run(c);
}
