// Does a read slow the commit path? One writer commits (kSync, one event append + one
// metadata put, 256 B) while, in alternate phases, nothing else runs ("alone") or a
// reader loops on queue::GetCounters over a queue of --messages messages ("counters",
// what Admin::GetQueueDepths calls), on a metadata scan of the same size ("scan"), or on
// Store::Backup of the whole store to a fresh directory, removed after each ("backup").
// Phases are interleaved and repeated; each prints the writer's commit latency
// (mean, p50, p99, max) and the reader's calls, and the run prints the fdatasync probe
// before and after. Issue 11's review measured the counters read raising mean commit
// latency from 0.2-0.4 ms to 1.6-7.8 ms before GetCounters stopped holding the lease
// mutex the committer needs.
//
//   durastore-reader-interference [--messages 100000] [--seconds 3] [--repeat 3] [--path DIR]
// (percentiles from the load tool's histogram: bucket bounds within 0.8 %)
#include <CLI/CLI.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "durastore/queue.h"
#include "durastore/store.h"
#include "histogram.h"
#include "report.h"

namespace {

using namespace durastore;
using Clock = std::chrono::steady_clock;

struct Phase {
  double mean_us = 0, p50_us = 0, p99_us = 0, max_us = 0;
  size_t commits = 0, reads = 0;
};

Phase Run(Store& store, const char* reader, double seconds, uint64_t* seq,
          const std::string& backup_dir) {
  std::atomic<bool> stop{false};
  std::atomic<size_t> reads{0};
  std::thread r;
  if (std::strcmp(reader, "counters") == 0) {
    r = std::thread([&] {
      while (!stop.load()) {
        if (!queue::GetCounters(store, "q").ok()) std::abort();
        reads.fetch_add(1);
      }
    });
  } else if (std::strcmp(reader, "scan") == 0) {
    r = std::thread([&] {
      while (!stop.load()) {
        std::string after;
        for (;;) {  // the whole "m/" prefix, in pages
          auto page = store.Scan("m/", 10'000, after);
          if (!page.ok()) std::abort();
          if (page->empty()) break;
          after = page->back().first;
        }
        reads.fetch_add(1);
      }
    });
  } else if (std::strcmp(reader, "backup") == 0) {
    r = std::thread([&] {
      while (!stop.load()) {
        const std::string dest = backup_dir + "/copy";
        if (!store.Backup(dest).ok()) std::abort();
        std::filesystem::remove_all(dest);
        reads.fetch_add(1);
      }
    });
  }
  bench::Histogram lat;  // µs
  double total_us = 0;
  const std::string payload(256, 'x');
  const auto end = Clock::now() + std::chrono::duration<double>(seconds);
  while (Clock::now() < end) {
    Batch b;
    b.Append("s", 1, payload, eventlog::ExpectedVersion::Exact(*seq)).Put("k", payload);
    auto t0 = Clock::now();
    if (!store.Commit(std::move(b)).ok()) std::abort();
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    lat.Record(static_cast<uint64_t>(us));
    total_us += us;
    ++*seq;
  }
  stop = true;
  if (r.joinable()) r.join();
  Phase p;
  p.commits = lat.count();
  p.reads = reads.load();
  p.mean_us = p.commits > 0 ? total_us / static_cast<double>(p.commits) : 0;
  p.p50_us = static_cast<double>(lat.Percentile(0.50));
  p.p99_us = static_cast<double>(lat.Percentile(0.99));
  p.max_us = static_cast<double>(lat.max());
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  size_t messages = 100'000;
  double seconds = 3;
  int repeat = 3;
  std::string base = std::filesystem::temp_directory_path().string();
  CLI::App app{"durastore-reader-interference: commit latency alone and beside a reader"};
  app.add_option("--messages", messages, "Messages in the queue and metadata keys (default 100000)")
      ->check(CLI::Range(size_t{1}, size_t{100'000'000}));
  app.add_option("--seconds", seconds, "Seconds per phase (default 3)")
      ->check(CLI::Range(0.001, 3600.0));
  app.add_option("--repeat", repeat, "Repetitions of the four phases (default 3)")
      ->check(CLI::Range(1, 1000));
  app.add_option("--path", base, "Directory to create the store in (a fresh subdirectory)");
  CLI11_PARSE(app, argc, argv);
  const std::string dir = base + "/reader-interference-" + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir + "-backups");
  std::filesystem::create_directories(dir + "-backups");
  bench::PrintEnvironment(base);
  auto probe_before = bench::MeasureFdatasync(base);
  auto opened = Store::Open(dir);
  if (!opened.ok()) {
    std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
    return 1;
  }
  Store& store = **opened;
  std::fprintf(stderr, "filling: %zu messages in queue q and %zu metadata keys m/...\n", messages,
               messages);
  for (size_t done = 0; done < messages;) {
    Batch b;
    for (size_t i = 0; i < 1000 && done < messages; ++i, ++done) {
      char key[32];
      std::snprintf(key, sizeof(key), "m/%09zu", done);
      b.Enqueue("q", std::string(64, 'p')).Put(key, std::string(64, 'v'));
    }
    if (!store.Commit(std::move(b)).ok()) return 1;
  }
  uint64_t seq = 0;
  std::printf("%-9s %4s %9s %9s %9s %9s %8s %8s\n", "reader", "rep", "mean_us", "p50_us", "p99_us",
              "max_us", "commits", "reads");
  for (int rep = 1; rep <= repeat; ++rep) {
    for (const char* reader : {"alone", "counters", "scan", "backup"}) {
      Phase p = Run(store, reader, seconds, &seq, dir + "-backups");
      std::printf("%-9s %4d %9.0f %9.0f %9.0f %9.0f %8zu %8zu\n", reader, rep, p.mean_us, p.p50_us,
                  p.p99_us, p.max_us, p.commits, p.reads);
      std::fflush(stdout);
    }
  }
  auto probe_after = bench::MeasureFdatasync(base);
  std::printf("fdatasync p50 %.0f us before, %.0f us after (4 KiB, median of %zu)\n",
              probe_before.p50_us, probe_after.p50_us, probe_after.samples);
  opened->reset();
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(dir + "-backups");
  return 0;
}
