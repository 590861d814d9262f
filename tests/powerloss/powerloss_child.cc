// The process powerloss_test runs under the interposer and cuts.
// Usage: powerloss_child <store-dir> sync|nosync <seed>
//
// The store always flushes with the fdatasync thread (FlushMethod::kFdatasync): io_uring
// submissions bypass libc, so the interposer could not see them (the io_uring path is
// covered by the kill -9 crash test only).
//
// sync: the crash_child workload (tests/crash_workload.h) on a kSync store. Four writer
//   threads; writer w's n-th batch appends event n to stream "w<w>" partition 1 with
//   ExpectedVersion::Exact(n-1), enqueues "w<w>:<n>" and puts "crash/w<w>/last" = n, then
//   prints "ACK <w> <n>". A consumer dequeues and commits Ack + "crash/acked/<payload>",
//   then prints "DEQ <payload>".
// nosync: one thread on a kNoSync store. It prints "BURST", commits 1..40 of the same
//   batches round-robin over the writers (printing "ACK <w> <n>" after each), calls
//   Store::Flush, prints "FLUSHED", idles 0..10 ms and starts over. When "FLUSHED" is the
//   last line printed, nothing was committed since the last flush.
// The store checkpoints every 64 KiB of log or 20 ms, with 1 MiB log segments, so the
// cuts also fall during checkpoints and the reuse of segments.
// Every line is one write(2), so a line is either whole or absent after SIGKILL.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crash_workload.h"
#include "durastore/queue.h"
#include "durastore/store.h"

namespace {

using durastore::Batch;
using durastore::Store;
namespace crash = durastore::crash;

void Say(const std::string& line) {
  std::string out = line + "\n";
  if (write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(4);
}

[[noreturn]] void Die(const std::string& what, const durastore::Status& s) {
  std::fprintf(stderr, "ERR %s: %s\n", what.c_str(), s.ToString().c_str());
  std::_Exit(3);
}

uint64_t LastCommitted(Store& store, int w) {
  auto last = store.Get(crash::LastKey(w));
  return last.ok() ? std::stoull(*last) : 0;
}

Batch WriterBatch(int w, uint64_t n) {
  Batch batch;
  batch.Append(crash::Stream(w), 1, crash::Payload(w, n),
               durastore::eventlog::ExpectedVersion::Exact(n - 1));
  batch.Enqueue(crash::kQueue, crash::Message(w, n));
  batch.Put(crash::LastKey(w), std::to_string(n));
  return batch;
}

void Writer(Store& store, int w) {
  for (uint64_t n = LastCommitted(store, w) + 1;; ++n) {
    auto r = store.Commit(WriterBatch(w, n));
    if (!r.ok()) Die("commit w" + std::to_string(w), r.status());
    Say("ACK " + std::to_string(w) + " " + std::to_string(n));
  }
}

void Consumer(Store& store) {
  durastore::queue::DequeueOptions options;
  options.wait = std::chrono::milliseconds(50);
  options.lock_duration_ms = 60'000;
  for (;;) {
    auto lease = durastore::queue::Dequeue(store, crash::kQueue, options);
    if (!lease.ok()) Die("dequeue", lease.status());
    if (!lease->has_value()) continue;
    const std::string payload = (*lease)->messages[0].payload;
    Batch batch;
    batch.Ack((*lease)->token);
    batch.Put(crash::AckedKey(payload), "1");
    auto r = store.Commit(std::move(batch));
    if (!r.ok()) Die("ack", r.status());
    Say("DEQ " + payload);
  }
}

void RunSync(Store& store) {
  std::vector<std::thread> threads;
  for (int w = 0; w < crash::kWriters; ++w) {
    threads.emplace_back([&store, w] { Writer(store, w); });
  }
  threads.emplace_back([&store] { Consumer(store); });
  for (auto& t : threads) t.join();  // never: the parent kills this process
}

[[noreturn]] void RunNoSync(Store& store, uint64_t seed) {
  std::mt19937_64 rng(seed);
  uint64_t next[crash::kWriters];
  for (int w = 0; w < crash::kWriters; ++w) next[w] = LastCommitted(store, w) + 1;
  for (int w = 0;;) {
    Say("BURST");
    const int commits = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < commits; ++i, w = (w + 1) % crash::kWriters) {
      auto r = store.Commit(WriterBatch(w, next[w]));
      if (!r.ok()) Die("commit w" + std::to_string(w), r.status());
      Say("ACK " + std::to_string(w) + " " + std::to_string(next[w]++));
    }
    durastore::Status flushed = store.Flush();
    if (!flushed.ok()) Die("flush", flushed);
    Say("FLUSHED");
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 10000));
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4 || (std::strcmp(argv[2], "sync") != 0 && std::strcmp(argv[2], "nosync") != 0)) {
    std::fprintf(stderr, "usage: powerloss_child <store-dir> sync|nosync <seed>\n");
    return 2;
  }
  const bool sync = std::strcmp(argv[2], "sync") == 0;
  durastore::Options options;
  options.durability = sync ? durastore::Durability::kSync : durastore::Durability::kNoSync;
  options.flush_method = durastore::FlushMethod::kFdatasync;
  // Checkpoints every 64 KiB of log (or 20 ms) and 1 MiB segments, so cuts land during
  // checkpoints and segment reuse as well as between them.
  options.checkpoint_log_bytes = 64 << 10;
  options.checkpoint_interval_ms = 20;
  options.log_segment_size = 1 << 20;
  auto store = Store::Open(argv[1], options);
  if (!store.ok()) Die("open", store.status());
  if ((*store)->GetPipelineStats().using_io_uring) {
    Die("open",
        durastore::Status::InvalidArgument("io_uring flusher: invisible to the interposer"));
  }
  if (sync) {
    RunSync(**store);
  } else {
    RunNoSync(**store, std::strtoull(argv[3], nullptr, 10));
  }
  return 0;
}
