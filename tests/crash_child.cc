// The process crash_test kills. Usage: crash_child <store-dir>
//
// Four writer threads commit batches in a loop. Writer w's n-th batch appends one event
// to stream "w<w>" partition 1 with ExpectedVersion::Exact(n-1), enqueues "w<w>:<n>" to
// queue "crash" and puts "crash/w<w>/last" = n; after Commit returns OK it prints
// "ACK <w> <n>". A consumer thread dequeues from "crash" and commits Ack + a put of
// "crash/acked/<payload>" in one batch, then prints "DEQ <payload>". Every line is one
// write(2), so a line is either whole or absent when the process is killed.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "crash_workload.h"
#include "durastore/store.h"

namespace {

using durastore::Batch;
using durastore::Store;

void Say(const std::string& line) {
  std::string out = line + "\n";
  if (write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(4);
}

[[noreturn]] void Die(const std::string& what, const durastore::Status& s) {
  std::fprintf(stderr, "ERR %s: %s\n", what.c_str(), s.ToString().c_str());
  std::_Exit(3);
}

void Writer(Store& store, int w) {
  uint64_t n = 0;
  auto last = store.Get(durastore::crash::LastKey(w));
  if (last.ok()) n = std::stoull(*last);
  for (;;) {
    ++n;
    Batch batch;
    batch.Append(durastore::crash::Stream(w), 1, durastore::crash::Payload(w, n),
                 durastore::eventlog::ExpectedVersion::Exact(n - 1));
    batch.Enqueue(durastore::crash::kQueue, durastore::crash::Message(w, n));
    batch.Put(durastore::crash::LastKey(w), std::to_string(n));
    auto r = store.Commit(std::move(batch));
    if (!r.ok()) Die("commit w" + std::to_string(w), r.status());
    Say("ACK " + std::to_string(w) + " " + std::to_string(n));
  }
}

void Consumer(Store& store) {
  durastore::queue::DequeueOptions options;
  options.wait = std::chrono::milliseconds(50);
  options.lock_duration_ms = 60'000;
  for (;;) {
    auto lease = durastore::queue::Dequeue(store, durastore::crash::kQueue, options);
    if (!lease.ok()) Die("dequeue", lease.status());
    if (!lease->has_value()) continue;
    const std::string payload = (*lease)->messages[0].payload;
    Batch batch;
    batch.Ack((*lease)->token);
    batch.Put(durastore::crash::AckedKey(payload), "1");
    auto r = store.Commit(std::move(batch));
    if (!r.ok()) Die("ack", r.status());
    Say("DEQ " + payload);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: crash_child <store-dir>\n");
    return 2;
  }
  auto store = Store::Open(argv[1]);
  if (!store.ok()) Die("open", store.status());
  std::vector<std::thread> threads;
  for (int w = 0; w < durastore::crash::kWriters; ++w) {
    threads.emplace_back([&store, w] { Writer(**store, w); });
  }
  threads.emplace_back([&store] { Consumer(**store); });
  for (auto& t : threads) t.join();  // never: the parent kills this process
  return 0;
}
