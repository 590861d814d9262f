// The process crash_test kills. Usage: crash_child <store-dir>
//
// At start it configures queue "crash" (max_deliveries 3, dead-letter queue "crash-dlq");
// ConfigureQueue keeps the queue's messages and its dead-lettered counter, so this is
// safe on every restart. Four writer threads then commit batches in a loop. Writer w's
// n-th batch appends one event to stream "w<w>" partition 1 with
// ExpectedVersion::Exact(n-1), enqueues "w<w>:<n>" to "crash" with the attribute
// w=<w> when crash::Enqueues(n) (every 4th batch), and puts "crash/w<w>/last" = n; after Commit
// returns OK it prints "ACK <w> <n>". A writer waits while the queue holds kMaxBacklog messages.
//
// Two consumer threads dequeue from "crash" and settle each delivery in one batch as the
// message's Policy says (crash_workload.h; a hash of the payload picks it):
//   ack:      Ack + put "crash/acked/<payload>" = delivery count; prints "DEQ <payload>";
//   abandon:  Abandon(kAbandonDelayMs, counted) or Abandon(0, uncounted) + put
//             "crash/abandoned/<payload>"; prints "ABN <payload> <1|0>" (1 = counted).
// Every line is printed after its commit returned OK, as one write(2), so a line is either
// whole or absent when the process is killed.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "crash_workload.h"
#include "durastore/queue.h"
#include "durastore/store.h"

namespace {

using durastore::Batch;
using durastore::Code;
using durastore::FlushMethod;
using durastore::Options;
using durastore::Store;
namespace crash = durastore::crash;
namespace queue = durastore::queue;

void Say(const std::string& line) {
  std::string out = line + "\n";
  if (write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(4);
}

[[noreturn]] void Die(const std::string& what, const durastore::Status& s) {
  std::fprintf(stderr, "ERR %s: %s\n", what.c_str(), s.ToString().c_str());
  std::_Exit(3);
}

void ConfigureQueue(Store& store) {
  queue::QueueOptions options;
  options.max_deliveries = crash::kMaxDeliveries;
  options.dead_letter_queue = crash::kDeadLetterQueue;
  Batch batch;
  batch.ConfigureQueue(crash::kQueue, options);
  auto r = store.Commit(std::move(batch));
  if (!r.ok()) Die("configure", r.status());
}

// Waits until the queue holds fewer than kMaxBacklog messages (ready, delayed or leased).
void WaitForRoom(Store& store) {
  for (;;) {
    auto c = queue::GetCounters(store, crash::kQueue);
    if (!c.ok()) Die("counters", c.status());
    if (c->ready + c->delayed + c->leased < crash::kMaxBacklog) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

void Writer(Store& store, int w) {
  uint64_t n = 0;
  auto last = store.Get(crash::LastKey(w));
  if (last.ok()) n = std::stoull(*last);
  queue::EnqueueOptions tagged;
  tagged.attributes = {{crash::kWriterAttribute, crash::WriterTag(w)}};
  for (;;) {
    ++n;
    if (crash::Enqueues(n)) WaitForRoom(store);
    Batch batch;
    batch.Append(crash::Stream(w), 1, crash::Payload(w, n),
                 durastore::eventlog::ExpectedVersion::Exact(n - 1));
    if (crash::Enqueues(n)) batch.Enqueue(crash::kQueue, crash::Message(w, n), tagged);
    batch.Put(crash::LastKey(w), std::to_string(n));
    auto r = store.Commit(std::move(batch));
    if (!r.ok()) Die("commit w" + std::to_string(w), r.status());
    Say("ACK " + std::to_string(w) + " " + std::to_string(n));
  }
}

enum class Action { kAck, kAbandonCounted, kAbandonUncounted };

Action Decide(Store& store, const queue::Message& m) {
  switch (crash::PolicyOf(m.payload)) {
    case crash::Policy::kAckFirst:
      return Action::kAck;
    case crash::Policy::kAbandonCountedOnce:
      return m.delivery_count == 1 ? Action::kAbandonCounted : Action::kAck;
    case crash::Policy::kAbandonUncountedOnce: {
      auto marker = store.Get(crash::AbandonedKey(m.payload));
      if (marker.ok()) return Action::kAck;
      if (marker.status().code() != durastore::Code::kNotFound) Die("get", marker.status());
      return Action::kAbandonUncounted;
    }
    case crash::Policy::kAlwaysAbandon:
      break;
  }
  return Action::kAbandonCounted;
}

void Consumer(Store& store) {
  queue::DequeueOptions options;
  options.wait = std::chrono::milliseconds(50);
  options.lock_duration_ms = 60'000;  // never expires within a run
  for (;;) {
    auto lease = queue::Dequeue(store, crash::kQueue, options);
    if (!lease.ok()) Die("dequeue", lease.status());
    if (!lease->has_value()) continue;
    const queue::Message& m = (*lease)->messages[0];
    Batch batch;
    std::string line;
    switch (Decide(store, m)) {
      case Action::kAck:
        batch.Ack((*lease)->token);
        batch.Put(crash::AckedKey(m.payload), std::to_string(m.delivery_count));
        line = "DEQ " + m.payload;
        break;
      case Action::kAbandonCounted:
        batch.Abandon((*lease)->token, crash::kAbandonDelayMs, /*count_attempt=*/true);
        line = "ABN " + m.payload + " 1";
        break;
      case Action::kAbandonUncounted:
        batch.Abandon((*lease)->token, 0, /*count_attempt=*/false);
        batch.Put(crash::AbandonedKey(m.payload), "1");
        line = "ABN " + m.payload + " 0";
        break;
    }
    auto r = store.Commit(std::move(batch));
    if (!r.ok()) Die("settle " + m.payload, r.status());
    Say(line);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: crash_child <store-dir> io_uring|fdatasync\n");
    return 2;
  }
  Options options;
  if (std::string_view(argv[2]) == "io_uring") options.flush_method = FlushMethod::kIoUring;
  auto store = Store::Open(argv[1], options);
  if (!store.ok() && store.status().code() == Code::kUnavailable) {
    store = Store::Open(argv[1]);  // no io_uring here: the default flusher
  }
  if (!store.ok()) Die("open", store.status());
  ConfigureQueue(**store);  // before any message of this run is enqueued or dequeued
  std::vector<std::thread> threads;
  for (int w = 0; w < crash::kWriters; ++w) {
    threads.emplace_back([&store, w] { Writer(**store, w); });
  }
  for (int c = 0; c < crash::kConsumers; ++c) {
    threads.emplace_back([&store] { Consumer(**store); });
  }
  for (auto& t : threads) t.join();  // never: the parent kills this process
  return 0;
}
