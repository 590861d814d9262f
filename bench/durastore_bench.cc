// durastore-bench: load tests of the commit path, durastore beside SQLite and RocksDB, and
// of the orchestration layer's Duroxide-shaped hot path.
//
//   durastore-bench commit   [--writers N] [--duration S | --ops N] [--warmup S] [--rate R]
//                            [--durability sync|nosync] [--payload BYTES|MIN-MAX|S:W,...]
//                            [--engine durastore|sqlite|rocksdb|both|all] [--repeat N]
//                            [--flush auto|io_uring|fdatasync]
//                            [--path DIR] [--keep] [--json] [--sweep writers=1,2,4] [--csv FILE]
//                            [--appends-per-batch N] [--events-per-append N]
//                            [--enqueues-per-batch N] [--puts-per-batch N] [--seed N]
//   durastore-bench queue    (the common flags) [--producers N] [--consumers N]
//                            [--delay-ms MS] [--max-depth N] [--batch N]
//   durastore-bench turn     (the common flags) [--instances N]
//                            [--history EVENTS] [--turns-per-execution N]
//   durastore-bench activity (the common flags)
//   durastore-bench mixed    (the common flags, durastore only) [--mix commit=70,queue=10,...]
//                            [--seed N] [--consumers N] [--max-depth N] [--instances N]
//                            [the commit shape flags]
//   durastore-bench demo     [--path DIR]
//
// One `commit` op = one atomic batch of --appends-per-batch appends (each of
// --events-per-append events, to the writer's own streams), --enqueues-per-batch enqueues
// and --puts-per-batch metadata puts (default: one event and one put); its events and
// messages are --payload bytes, which for commit and mixed may be a size distribution
// (payload_sizes.h: a uniform range or weighted sizes, the same sequence for both engines,
// seeded by --seed). One `queue` op =
// one message enqueued by a producer, dequeued and acked by a consumer; its latency is end
// to end (queue_workload.h). With --batch N a producer enqueues N messages per commit and a
// consumer leases up to N and acks them in one commit; ops still count messages, and
// --rate still counts messages/s (producers commit R / N batches per second; a late batch
// counts its N messages in missed_slots). One `turn` = fetch an instance with its history, ack
// appending 2 events, enqueueing 1 activity and 1 message for the instance. One
// `activity` = fetch a work item, ack it with a completion (orchestration_workloads.h).
// One `mixed` op = one op of a kind each writer picks by weight (--mix, normalised;
// default commit=70,queue=10,turn=15,activity=5; seeded by --seed), all on one store
// (mixed_workload.h). --rss-every S prints the process RSS every S seconds while
// measuring ("rss_kb t=<s> <kb>" lines).
// For turn and activity, --engine sqlite runs the schema and statements of Duroxide's own
// SQLite provider (sqlite_duroxide.h, sqlite_orchestration.h).
//
// Closed loop by default: each writer does ops as fast as it can. --rate R makes it open
// loop: ops are due on a fixed schedule and latency counts from the due time (run_loop.h).
// --warmup S runs S seconds before measuring; nothing in the figures includes it. A live
// progress line goes to stderr once per second when stderr is a terminal. --sweep runs the
// workload once per writer count (and per engine with --engine both) and writes the CSV
// --csv FILE: engine,workload,writers,ops_per_sec,p50_us,p90_us,p99_us,p999_us,max_us
// (bench/plot turns it into an SVG). Exit status: 0 ok, 1 run failed, 2 usage error.
//
// Comparisons: --engine both runs durastore and SQLite, --engine all durastore, SQLite
// and RocksDB (`commit` only: RocksDB does one WriteBatch per op, rocksdb_engine.cc;
// other workloads run the first two; a build without librocksdb-dev says so and skips
// it). --repeat N runs every (writers, engine) point N times, the engines interleaved
// within each repetition, prints durastore's throughput ratio over each baseline per
// repetition, then a summary table (compare.h): per engine the medians of commits/s, p50,
// p99, flushes, device bytes and CPU per commit, and the ratios' median [min-max]. A
// comparison runs an fdatasync probe (200 x pwrite 4 KiB + fdatasync) before and after
// all its runs and prints both with the summary: the device's flush latency drifts, so
// quote ratios from one run with its probes.
//
// With --json each run prints one JSON object on one line, after its text summary (the
// last line of stdout is the last run's). Fields (names are stable; latencies are
// microseconds from a log-linear histogram with < 0.8 % relative error, histogram.h):
//   workload         "commit" | "queue" | "turn" | "activity" | "mixed"
//   engine           "durastore" | "sqlite" | "rocksdb"
//   writers          threads issuing ops (queue: producers + consumers)
//   duration_s       measured seconds (warm-up excluded)
//   warmup_s         seconds run before measuring
//   durability       "sync" | "nosync"
//   payload_bytes    bytes per event / message (with a size distribution: its mean, rounded)
//   payload_sizes    the --payload spec ("256", "64-4096", "100:70,1k:25,64k:5")
//   loop             "closed" | "open"
//   target_rate      open loop: ops/s scheduled over all writers; 0 when closed
//   missed_slots     open loop: ops that started more than 1 ms after their due time
//   ops              ops completed in the measured time
//   ops_per_sec      ops / duration_s
//   p50_us p90_us p99_us p999_us max_us
//                    op latency (open loop: from the due time; queue: end to end)
//   fdatasync_us     median pwrite 4 KiB + fdatasync in the store's directory
//   cpu_s            process CPU time (user + system) during the measured time
//   peak_rss_kb      process peak resident set so far (a sweep's later runs include
//                    earlier ones)
//   commits          transactions committed in the measured time (commit: ops; other
//                    workloads: durastore's pipeline batches, dequeues included; SQLite: ops)
//   flushes_per_commit  device flushes per commit, null where not counted (durastore: log
//                    flushes + checkpoints; RocksDB: WAL syncs + memtable flushes +
//                    compactions; SQLite: not counted)
//   device_bytes_per_commit  /proc/self/io write_bytes over the measured time per commit
//                    (bytes the process sent or dirtied for the storage layer, including
//                    write-back that happens later; null if /proc/self/io is unreadable).
//                    Compare engines with it, but check absolute figures against
//                    /proc/diskstats: for durastore's LMDB page writes it has read
//                    several times what the device received
//   disk_bytes_per_commit  bytes the block device holding --path received over the
//                    measured time per commit (/sys/dev/block/M:m/stat sectors written;
//                    every process's writes; null when --path is on no block device).
//                    What reached the device in the window: write-back owed later (a
//                    checkpoint or memtable flush after the run) is not in it
//   cpu_us_per_commit   cpu_s per commit, in microseconds
//  durastore only:
//   flushes_per_sec  log flushes + checkpoints per second
//   log_flushes checkpoints   their counts
//   log_bytes_per_commit   commit-log bytes per commit
//   avg_group_size   batches (dequeues included) per committed write transaction
//   io_uring         whether flushes went through io_uring
//  commit:
//   appends_per_batch events_per_append enqueues_per_batch puts_per_batch   the shape
//  queue:
//   producers consumers delay_ms max_depth   the shape
//   batch            messages per producer commit and (at most) per consumer lease
//   consume_p50_us consume_p90_us consume_p99_us   dequeue + ack of one lease (with
//                    --batch N, of up to N messages)
//   empty_dequeues   dequeue attempts that found nothing
//  turn and activity:
//   fetch_p50_us fetch_p99_us   the fetch half of each op
//   empty_fetches    fetches that found no work within the poll timeout
//  turn: instances, history_preload, mean_history_at_fetch;  activity: feeder_turns
//  mixed: the queue fields (producers = writers) and
//   mix              {"commit": {...}, "queue": ..., "turn": ..., "activity": ...}, each
//                    {"weight" (normalised), "ops", "ops_per_sec", "p50_us", "p99_us"}
//   seed             the seed of the writers' picks
//  with --rss-every:
//   rss_every_s      the sampling period
//   rss_samples_kb   resident set (/proc/self/statm) at t = 0, S, 2S, ... of the measured run
//   rss_anon_samples_kb   the same minus file-backed pages (LMDB's map grows with the data)
// A comparison (--engine both|all, or --repeat > 1) prints one more object last:
//   summary "comparison", workload, repeat, engines (in run order),
//   fdatasync_probe_before, fdatasync_probe_after   {p50_us, p90_us, max_us}
//   points  [{writers, engines: {<engine>: {ops_per_sec: {median, min, max},
//            p50_us: {median, min, max}, flushes_per_commit, device_bytes_per_commit,
//            cpu_us_per_commit (medians)}}, ratios: {durastore_over_<baseline>:
//            {median, min, max, per_repetition: [...]}}}]
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "bench_config.h"
#include "compare.h"
#include "durastore/limits.h"
#include "engines.h"
#include "mixed_workload.h"
#include "report.h"
#include "sqlite_orchestration.h"

namespace durastore::bench {
namespace {

// Where runs make their stores: --path, or the system's temporary directory.
std::string ParentDir(const std::string& path) {
  return path.empty() ? std::filesystem::temp_directory_path().string() : path;
}

// A fresh directory under `parent` that is removed at scope end unless `keep`.
class RunDir {
 public:
  RunDir(const std::string& parent, bool keep) : keep_(keep) {
    std::string base = ParentDir(parent);
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

FlushMethod FlushOf(const Config& c) {
  return c.flush == "io_uring"    ? FlushMethod::kIoUring
         : c.flush == "fdatasync" ? FlushMethod::kFdatasync
                                  : FlushMethod::kAuto;
}

LoopOptions LoopOf(const Config& c, int writers) {
  LoopOptions o;
  o.label = c.engine + " " + c.workload + " writers=" + std::to_string(c.writers);
  o.writers = writers;
  o.duration_s = c.duration_s;
  o.warmup_s = c.warmup_s;
  o.rate = c.rate;
  o.rss_every_s = c.rss_every_s;
  o.disk_path = ParentDir(c.path);
  return o;
}

Status RunCommit(const Config& c, const std::string& dir, Outcome& out) {
  bool sync = c.durability == "sync";
  CommitShape shape{c.appends_per_batch, c.events_per_append, c.enqueues_per_batch,
                    c.puts_per_batch};
  auto engine = c.engine == "durastore" ? OpenDurastore(dir, sync, FlushOf(c), shape)
                : c.engine == "rocksdb" ? OpenRocksdb(dir, sync, shape)
                                        : OpenSqlite(dir, sync, c.writers, shape);
  if (!engine.ok()) return engine.status();
  Engine& e = **engine;
  const std::string payload(c.payload_sizes.max(), 'p');
  Driver driver;
  driver.start = [&](int w) { return e.StartWriter(w); };
  driver.op = [&](int w, uint64_t n, Clock::time_point, const std::atomic<bool>&,
                  Histogram&) -> Result<bool> {
    Status s = c.payload_sizes.fixed()
                   ? e.CommitOp(w, n, payload)
                   : e.CommitOp(w, n, payload.substr(0, c.payload_sizes.Pick(w, n, c.seed)));
    if (!s.ok()) return s;
    return true;
  };
  PipelineStats probe;
  if (e.Pipeline(&probe)) {
    driver.pipeline = [&] {
      PipelineStats p;
      e.Pipeline(&p);
      return p;
    };
  }
  uint64_t flushes = 0;
  if (e.Flushes(&flushes)) {
    driver.flushes = [&] {
      uint64_t n = 0;
      e.Flushes(&n);
      return n;
    };
  }
  Recorder recorder(static_cast<size_t>(c.writers), c.ops);
  return RunLoop(LoopOf(c, c.writers), driver, recorder, out.run);
}

Status RunQueue(const Config& c, const std::string& dir, Outcome& out) {
  QueueShape shape;
  shape.producers = c.producers;
  shape.consumers = c.consumers;
  shape.payload_bytes = c.payload;
  shape.delay_ms = c.delay_ms;
  shape.max_depth = c.max_depth;
  shape.batch = c.batch;
  shape.sync = c.durability == "sync";
  shape.flush = FlushOf(c);
  auto workload = OpenQueueWorkload(c.engine, dir, shape);
  if (!workload.ok()) return workload.status();
  QueueWorkload& wl = **workload;
  Driver driver;
  driver.start = [&](int p) { return wl.StartProducer(p); };
  driver.op = [&](int p, uint64_t, Clock::time_point intended, const std::atomic<bool>& stop,
                  Histogram&) { return wl.Produce(p, intended, stop); };
  driver.records_itself = true;
  driver.finish = [&] { return wl.Stop(); };
  PipelineStats probe;
  if (wl.Pipeline(&probe)) {
    driver.pipeline = [&] {
      PipelineStats p;
      wl.Pipeline(&p);
      return p;
    };
  }
  Recorder recorder(static_cast<size_t>(c.producers + c.consumers), c.ops);
  Status s = wl.Start(recorder, static_cast<size_t>(c.producers));
  LoopOptions loop = LoopOf(c, c.producers);
  loop.rate = c.rate / c.batch;  // --rate is messages/s; a producer op enqueues a batch
  if (s.ok()) s = RunLoop(loop, driver, recorder, out.run);
  if (!s.ok()) {
    recorder.Stop(Clock::now());
    (void)wl.Stop();  // the first error is what the caller needs
    return s;
  }
  out.run.missed_slots *= static_cast<uint64_t>(c.batch);  // every message of a late batch
  out.has_queue = true;
  out.queue = wl.Stats();
  return Status::OK();
}

Status RunOrchestration(const Config& c, const std::string& dir, Outcome& out) {
  OrchestrationShape shape;
  shape.workers = c.writers;
  shape.payload_bytes = c.payload;
  shape.instances = Instances(c);
  shape.history_events = c.history;
  shape.turns_per_execution = c.turns_per_execution;
  shape.sync = c.durability == "sync";
  shape.flush = FlushOf(c);
  const bool turn = c.workload == "turn";
  auto workload =
      c.engine == "sqlite"
          ? (turn ? OpenSqliteTurnWorkload(dir, shape) : OpenSqliteActivityWorkload(dir, shape))
          : (turn ? OpenTurnWorkload(dir, shape) : OpenActivityWorkload(dir, shape));
  if (!workload.ok()) return workload.status();
  OrchestrationWorkload& wl = **workload;
  Driver driver;
  driver.op = [&](int w, uint64_t, Clock::time_point, const std::atomic<bool>& stop,
                  Histogram& fetch_us) { return wl.Op(w, stop, fetch_us); };
  driver.finish = [&] {
    wl.Stop();
    return Status::OK();
  };
  if (c.engine == "durastore") driver.pipeline = [&] { return wl.Pipeline(); };
  Recorder recorder(static_cast<size_t>(c.writers), c.ops);
  Status s = RunLoop(LoopOf(c, c.writers), driver, recorder, out.run);
  if (!s.ok()) return s;
  out.has_fetch = true;
  out.orchestration = wl.Stats();
  return Status::OK();
}

// Fills in what depends on --writers (the queue split).
Config Resolve(Config c) {
  if (c.workload == "mixed" && c.consumers == 0) c.consumers = std::max(1, c.writers / 4);
  if (c.workload == "mixed") c.producers = c.writers;
  if (c.workload == "queue") {
    if (c.producers == 0) c.producers = std::max(1, c.writers / 2);
    if (c.consumers == 0) c.consumers = std::max(1, c.writers - c.producers);
    c.writers = c.producers + c.consumers;
  }
  return c;
}

Result<Outcome> RunWorkload(const Config& config) {
  const Config c = Resolve(config);
  // Start from a quiet disk: write back what earlier runs (or other programs) left dirty,
  // so one run's writeback does not land in the next run's figures.
  ::sync();
  RunDir dir(c.path, c.keep);
  Outcome out;
  out.config = c;
  out.fdatasync_us = MeasureFdatasyncUs(dir.path());
  Status s = c.workload == "commit"  ? RunCommit(c, dir.path(), out)
             : c.workload == "queue" ? RunQueue(c, dir.path(), out)
             : c.workload == "mixed"
                 ? RunMixed(c, dir.path(), LoopOf(c, c.writers), FlushOf(c), out)
                 : RunOrchestration(c, dir.path(), out);
  if (!s.ok()) return s;
  return out;
}

// The engines --engine names, in the order a repetition runs them.
std::vector<std::string> EnginesOf(const Config& c) {
  if (c.engine == "both") return {"durastore", "sqlite"};
  if (c.engine != "all") return {c.engine};
  if (c.workload != "commit") {
    std::printf("note: rocksdb runs the commit workload only; comparing durastore and sqlite\n");
    return {"durastore", "sqlite"};
  }
  if (!RocksdbAvailable()) {
    std::printf(
        "note: rocksdb is not available (built without librocksdb-dev); comparing "
        "durastore and sqlite\n");
    return {"durastore", "sqlite"};
  }
  return {"durastore", "sqlite", "rocksdb"};
}

FdatasyncProbe Probe(const Config& c, const char* when) {
  RunDir dir(c.path, false);
  FdatasyncProbe p = MeasureFdatasync(dir.path());
  std::printf(
      "fdatasync probe %s: p50 %.0f us  p90 %.0f us  max %.0f us (%zu x pwrite 4 KiB + "
      "fdatasync)\n",
      when, p.p50_us, p.p90_us, p.max_us, p.samples);
  return p;
}

// Runs every (writers, repetition, engine) point, engines innermost; prints each and
// appends it to `csv` if open; a comparison ends with its summary.
int Run(const Config& c, const std::vector<int>& sweep, std::ofstream* csv) {
  const std::vector<std::string> engines = EnginesOf(c);
  const std::vector<int> writers = sweep.empty() ? std::vector<int>{c.writers} : sweep;
  const bool compare = engines.size() > 1 || c.repeat > 1;
  Comparison comparison(c.workload, engines, c.repeat);
  // A single run's JSON line stays last on stdout; its own probe is in fdatasync_us.
  const FdatasyncProbe before = compare ? Probe(c, "before") : FdatasyncProbe{};
  for (int w : writers) {
    for (int rep = 0; rep < c.repeat; ++rep) {
      for (const auto& engine : engines) {
        Config point = c;
        point.writers = w;
        point.engine = engine;
        auto out = RunWorkload(point);
        if (!out.ok()) {
          std::fprintf(stderr, "durastore-bench: %s\n", out.status().ToString().c_str());
          return 1;
        }
        PrintOutcome(*out);
        if (c.json) std::printf("%s\n", ToJson(*out).dump().c_str());
        std::fflush(stdout);
        if (csv != nullptr) {
          *csv << CsvRow(*out);
          csv->flush();
        }
        comparison.Add(rep, *out);
      }
      if (engines.size() > 1) comparison.PrintRepetition(w, rep);
    }
  }
  if (compare) {
    const FdatasyncProbe after = Probe(c, "after");
    comparison.PrintSummary(before, after);
    if (c.json) std::printf("%s\n", comparison.ToJson(before, after).dump().c_str());
  }
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

int UsageError(const std::string& message) {
  std::fprintf(stderr, "durastore-bench: %s\n", message.c_str());
  return 2;
}

// "writers=1,2,4" -> {1, 2, 4}; empty on a malformed spec.
std::vector<int> ParseSweep(const std::string& spec) {
  const std::string prefix = "writers=";
  std::vector<int> out;
  if (spec.rfind(prefix, 0) != 0) return {};
  std::string rest = spec.substr(prefix.size()) + ",";
  size_t at = 0;
  for (size_t comma; (comma = rest.find(',', at)) != std::string::npos; at = comma + 1) {
    std::string item = rest.substr(at, comma - at);
    char* end = nullptr;
    long v = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || v < 1 || v > 4096) return {};
    out.push_back(static_cast<int>(v));
  }
  return out;
}

}  // namespace
}  // namespace durastore::bench

int main(int argc, char** argv) {
  using durastore::bench::Config;
  using durastore::bench::UsageError;
  CLI::App app{"durastore-bench: load tests of durastore's commit path and orchestration layer"};
  app.require_subcommand(1);
  Config c;
  std::string sweep_spec, csv_file, payload_spec;
  auto add_common = [&c, &payload_spec](CLI::App* sub) {
    sub->add_option("--path", c.path, "Directory to create the store in (a fresh subdirectory)");
    sub->add_option("--payload", payload_spec,
                    "Event / message bytes (commit, mixed: or MIN-MAX, or SIZE:WEIGHT,...)");
  };
  auto add_run = [&](const char* name, const char* about) {
    CLI::App* sub = app.add_subcommand(name, about);
    add_common(sub);
    sub->add_option("--writers", c.writers, "Concurrent writers (dispatchers)")
        ->check(CLI::Range(1, 4096));
    sub->add_option("--duration", c.duration_s, "Seconds to measure (default 5)")
        ->check(CLI::Range(0.001, 86400.0));
    sub->add_option("--ops", c.ops, "Ops to measure (instead of --duration)")
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
    sub->add_option("--warmup", c.warmup_s, "Seconds to run before measuring")
        ->check(CLI::Range(0.0, 3600.0));
    sub->add_option("--rate", c.rate, "Open loop: ops/s issued on a fixed schedule")
        ->check(CLI::Range(0.001, 1e9));
    sub->add_option("--durability", c.durability, "sync or nosync")
        ->check(CLI::IsMember({"sync", "nosync"}));
    sub->add_option("--engine", c.engine,
                    "durastore, sqlite, rocksdb (commit only), both (durastore and sqlite) or "
                    "all")
        ->check(CLI::IsMember({"durastore", "sqlite", "rocksdb", "both", "all"}));
    sub->add_option("--repeat", c.repeat,
                    "Runs per (writers, engine) point, engines interleaved (default 1)")
        ->check(CLI::Range(1, 1000));
    sub->add_option("--flush", c.flush, "durastore flush path: auto, io_uring or fdatasync")
        ->check(CLI::IsMember({"auto", "io_uring", "fdatasync"}));
    sub->add_option("--sweep", sweep_spec, "Run once per writer count: writers=1,2,4,...");
    sub->add_option("--csv", csv_file, "Write one CSV row per run to FILE (with --sweep)");
    sub->add_flag("--keep", c.keep, "Keep the store directory");
    sub->add_flag("--json", c.json, "Print one JSON object per run as a line");
    sub->add_option("--rss-every", c.rss_every_s, "Sample the process RSS every S seconds")
        ->check(CLI::Range(0.01, 3600.0));
    sub->callback([&c, name] { c.workload = name; });
    return sub;
  };
  CLI::App* commit = add_run("commit", "Writers committing batches");
  CLI::App* mixed = add_run("mixed", "Writers doing a weighted mix of the other workloads' ops");
  auto shape = [&](const char* flag, int& field, const char* about) {
    for (CLI::App* sub : {commit, mixed}) {
      sub->add_option(flag, field, about)->check(CLI::Range(0, 10'000));
    }
  };
  shape("--appends-per-batch", c.appends_per_batch, "Appends per batch (default 1)");
  shape("--events-per-append", c.events_per_append, "Events per append (default 1)");
  shape("--enqueues-per-batch", c.enqueues_per_batch, "Messages enqueued per batch (default 0)");
  shape("--puts-per-batch", c.puts_per_batch, "Metadata keys put per batch (default 1)");
  CLI::App* queue = add_run("queue", "Producers enqueueing, consumers dequeueing and acking");
  queue->add_option("--producers", c.producers, "Producers (default writers / 2)")
      ->check(CLI::Range(1, 4096));
  queue->add_option("--consumers", c.consumers, "Consumers (default the other writers)")
      ->check(CLI::Range(1, 4096));
  queue->add_option("--delay-ms", c.delay_ms, "Each message is visible this long after enqueue")
      ->check(CLI::Range(int64_t{0}, int64_t{3'600'000}));
  queue->add_option("--max-depth", c.max_depth, "Producers wait at this many in flight (1000)")
      ->check(CLI::Range(1, 10'000'000));
  queue
      ->add_option("--batch", c.batch,
                   "Messages per producer commit and per consumer lease (default 1)")
      ->check(CLI::Range(1, static_cast<int>(durastore::limits::kMaxDequeueBatch)));
  std::string mix_spec;
  mixed->add_option("--mix", mix_spec, "Weights: commit=70,queue=10,turn=15,activity=5");
  mixed->add_option("--seed", c.seed, "Seed of the writers' picks and payload sizes (default 1)");
  commit->add_option("--seed", c.seed, "Seed of the payload sizes (default 1)");
  mixed->add_option("--consumers", c.consumers, "Queue consumers (default writers / 4)")
      ->check(CLI::Range(1, 4096));
  mixed->add_option("--max-depth", c.max_depth, "Queue producers wait at this many in flight")
      ->check(CLI::Range(1, 10'000'000));
  mixed->add_option("--instances", c.instances, "Turn instances (default writers * 4)")
      ->check(CLI::Range(1, 1'000'000));
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
  if (!*demo) {
    // --ops alone measures until that many ops are done; with --duration, whichever first.
    CLI::App* sub = app.get_subcommands().front();
    if (sub->count("--ops") > 0 && sub->count("--duration") == 0) c.duration_s = 0;
  }
  if (!payload_spec.empty()) {
    std::string error;
    if (!durastore::bench::PayloadSizes::Parse(payload_spec, &c.payload_sizes, &error)) {
      return UsageError(error);
    }
    if (!c.payload_sizes.fixed() && (*demo || (c.workload != "commit" && c.workload != "mixed"))) {
      return UsageError("--payload: only commit and mixed take a size distribution");
    }
    c.payload = static_cast<size_t>(c.payload_sizes.mean() + 0.5);
  }
  if (c.workload == "mixed") {
    std::string error;
    if (mixed->count("--mix") > 0 && !durastore::bench::ParseMix(mix_spec, &c.mix, &error)) {
      return UsageError(error);
    }
    if (c.engine != "durastore") return UsageError("mixed: durastore only");
  }
  if (c.engine == "rocksdb" && c.workload != "commit") {
    return UsageError("--engine rocksdb: the commit workload only");
  }
  if (c.engine == "rocksdb" && !durastore::bench::RocksdbAvailable()) {
    return UsageError("--engine rocksdb: rocksdb is not available (built without librocksdb-dev)");
  }
  if (c.workload == "queue" && c.max_depth < c.batch) {
    // A producer waits for room for its whole batch: it would wait forever.
    return UsageError("queue: --max-depth (" + std::to_string(c.max_depth) +
                      ") must be at least --batch (" + std::to_string(c.batch) + ")");
  }
  const bool commits = c.workload == "commit" || (c.workload == "mixed" && c.mix[0] > 0);
  if (commits && c.appends_per_batch + c.enqueues_per_batch + c.puts_per_batch == 0) {
    return UsageError("commit: the batch is empty (every *-per-batch is 0)");
  }
  if (commits && c.appends_per_batch > 0 && c.events_per_append == 0) {
    return UsageError("commit: --events-per-append must be at least 1 when appending");
  }
  std::vector<int> sweep;
  if (!sweep_spec.empty()) {
    sweep = durastore::bench::ParseSweep(sweep_spec);
    if (sweep.empty()) {
      return UsageError("--sweep wants writers=N,N,... with each N in 1..4096, got '" + sweep_spec +
                        "'");
    }
    if (csv_file.empty()) return UsageError("--sweep needs --csv FILE for its results");
  }
  std::ofstream csv;
  if (!csv_file.empty()) {
    csv.open(csv_file, std::ios::trunc);
    if (!csv) return UsageError("cannot write --csv " + csv_file + ": " + strerror(errno));
    csv << durastore::bench::CsvHeader();
  }
  std::string env_dir = durastore::bench::ParentDir(c.path);
  std::error_code ec;
  std::filesystem::create_directories(env_dir, ec);
  durastore::bench::PrintEnvironment(env_dir);
  if (*demo) return durastore::bench::Demo(c);
  return durastore::bench::Run(c, sweep, csv.is_open() ? &csv : nullptr);
}
