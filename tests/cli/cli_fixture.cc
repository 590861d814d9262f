// The stores the durastore command's tests run against, built through the public API on a
// manual clock so that every id, sequence, position and time is the same on every run.
//
//   cli_fixture build DIR        a store holding streams, queues, dead letters, metadata
//                                and orchestration instances (the goldens describe it)
//   cli_fixture hold DIR         opens DIR, prints "ready", holds it until stdin closes
//   cli_fixture append DIR N MS  opens DIR, appends N events to stream "live", one per MS
//                                milliseconds (a writer beside a follower)
//   cli_fixture abandon DIR      creates DIR, commits, exits without closing (a crash)
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "durastore/batch.h"
#include "durastore/clock.h"
#include "durastore/orchestration/provider.h"
#include "durastore/queue.h"
#include "durastore/store.h"

namespace {

using durastore::Batch;
using durastore::Status;
namespace orch = durastore::orchestration;

constexpr int64_t kStart = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
constexpr int64_t kYear2100 = 4'102'444'800'000;

void Die(const Status& s, const char* what) {
  if (s.ok()) return;
  std::cerr << "cli_fixture: " << what << ": " << s.ToString() << "\n";
  std::exit(1);
}

std::unique_ptr<durastore::Store> Open(const std::string& dir, const durastore::Clock* clock) {
  durastore::Options options;
  options.clock = clock;
  auto store = durastore::Store::Open(dir, options);
  Die(store.status(), "open");
  return std::move(store).value();
}

void Events(durastore::Store& store, durastore::ManualClock& clock) {
  using durastore::eventlog::EventData;
  Die(store
          .Commit(Batch().Append("order/1", 1,
                                 {EventData{R"({"type":"Created","total":42})", "e1"},
                                  EventData{R"({"type":"Paid"})", "e2"}}))
          .status(),
      "append");
  clock.Advance(1000);
  Die(store
          .Commit(Batch()
                      .Append("order/2", 1, R"({"type":"Created","total":7})")
                      .Append("order/1", 1, R"({"type":"Shipped"})"))
          .status(),
      "append");
  clock.Advance(1000);
  Die(store
          .Commit(Batch()
                      .Append("order/2", 2, R"({"type":"Reopened"})")
                      .Append("blob", 1, std::string("\xff\x00\x01raw", 6)))
          .status(),
      "append");
  clock.Advance(1000);
}

void Queues(durastore::Store& store, durastore::ManualClock& clock) {
  namespace q = durastore::queue;
  q::EnqueueOptions tagged;
  tagged.group_key = "customer-9";
  tagged.attributes = {{"kind", "welcome"}};
  q::EnqueueOptions later;
  later.visible_at_ms = kYear2100;
  Die(store
          .Commit(Batch()
                      .Enqueue("emails", "hello customer 9", tagged)
                      .Enqueue("emails", "reminder", later))
          .status(),
      "enqueue");
  q::QueueOptions jobs;
  jobs.max_deliveries = 3;
  Die(store
          .Commit(Batch()
                      .ConfigureQueue("jobs", jobs)
                      .Enqueue("jobs", "job-1")
                      .Enqueue("jobs", "job-2")
                      .Enqueue("jobs", "job-3"))
          .status(),
      "enqueue");
  clock.Advance(1000);
  for (int i = 0; i < 2; ++i) {
    auto lease = q::Dequeue(store, "jobs");
    Die(lease.status(), "dequeue");
    Die(store.Commit(Batch().DeadLetter((*lease)->token, "poison")).status(), "dead-letter");
    clock.Advance(1000);
  }
}

void Metadata(durastore::Store& store) {
  Die(store
          .Commit(Batch()
                      .Put("config/retention", "30d")
                      .Put("config/owner", "ops@example.com")
                      .Put("binary", std::string("\x00\xfe", 2)))
          .status(),
      "put");
}

void Start(orch::Provider& p, durastore::ManualClock& clock, const std::string& instance,
           const std::optional<std::string>& parent, std::optional<orch::ExecutionStatus> status) {
  orch::OrchestratorItem start;
  start.instance = instance;
  start.kind = orch::OrchestratorItem::Kind::kStart;
  start.payload = R"({"StartOrchestration":{"input":"42"}})";
  start.orchestration_name = "ProcessOrder";
  start.version = "1.0.0";
  Die(p.EnqueueForOrchestrator(start), "enqueue start");
  auto fetched = p.FetchOrchestrationItem(30'000, std::chrono::milliseconds(0));
  Die(fetched.status(), "fetch");
  if (!*fetched) Die(Status::NotFound("nothing fetched"), "fetch");
  orch::OrchestrationAck ack;
  ack.execution_id = 1;
  ack.history_delta = {{1, R"({"OrchestrationStarted":{"name":"ProcessOrder"}})"},
                       {2, R"({"ActivityScheduled":{"name":"Charge"}})"}};
  ack.metadata.orchestration_name = "ProcessOrder";
  ack.metadata.version = "1.0.0";
  ack.metadata.parent_instance = parent;
  ack.metadata.status = status;
  if (status == orch::ExecutionStatus::kCompleted) ack.metadata.output = R"("shipped")";
  Die(p.AckOrchestrationItem((*fetched)->lock_token, ack), "ack");
  clock.Advance(1000);
}

void Orchestrations(durastore::Store& store, durastore::ManualClock& clock) {
  auto provider = orch::Provider::Open(store);
  Die(provider.status(), "provider");
  Start(**provider, clock, "order-7", std::nullopt, orch::ExecutionStatus::kCompleted);
  Start(**provider, clock, "order-8", std::nullopt, std::nullopt);
  Start(**provider, clock, "order-8::charge", "order-8", std::nullopt);
}

int Build(const std::string& dir) {
  durastore::ManualClock clock(kStart);
  auto store = Open(dir, &clock);
  Events(*store, clock);
  Queues(*store, clock);
  Metadata(*store);
  Orchestrations(*store, clock);
  Die(store->Close(), "close");
  return 0;
}

int Hold(const std::string& dir) {
  auto store = Open(dir, nullptr);
  std::cout << "ready" << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  return 0;
}

int Append(const std::string& dir, int n, int ms) {
  auto store = Open(dir, nullptr);
  std::cout << "ready" << std::endl;
  for (int i = 1; i <= n; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(ms));
    Die(store->Commit(Batch().Append("live", 1, "live-" + std::to_string(i))).status(), "append");
  }
  return 0;
}

int Abandon(const std::string& dir) {
  auto store = Open(dir, nullptr);
  Die(store->Commit(Batch().Append("s", 1, "x")).status(), "append");
  std::_Exit(0);  // no Close: the store is left as a crash leaves it
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 2 ? argv[1] : "";
  if (mode == "build" && argc == 3) return Build(argv[2]);
  if (mode == "hold" && argc == 3) return Hold(argv[2]);
  if (mode == "abandon" && argc == 3) return Abandon(argv[2]);
  if (mode == "append" && argc == 5) return Append(argv[2], std::atoi(argv[3]), std::atoi(argv[4]));
  std::cerr << "usage: cli_fixture build DIR | hold DIR | append DIR N MS | abandon DIR\n";
  return 2;
}
