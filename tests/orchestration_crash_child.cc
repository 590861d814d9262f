// The process orchestration_crash_test kills. Usage: orchestration_crash_child <store-dir>
//
// Runs Duroxide-shaped traffic through the orchestration layer with kSync commits:
// kInstances instances, each re-armed by every turn. Three dispatcher threads fetch an
// instance and ack a turn that appends events (last+1, last+2) with payload
// "<instance>:<event_id>", schedules one activity "<instance>:<last+1>", re-arms the
// instance and sets KV "turns" to the turn count; after the ack returns OK they print
// "TURN <instance> <last+2>". A worker thread fetches activities and acks each with a
// completion to its instance, then prints "ACT <activity payload>". Each line is one
// write(2), so it is whole or absent when the process is killed.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "durastore/orchestration/provider.h"
#include "durastore/store.h"
#include "orchestration_crash_workload.h"

namespace {

using namespace durastore;                 // NOLINT: a test program
using namespace durastore::orchestration;  // NOLINT

void Say(const std::string& line) {
  std::string out = line + "\n";
  if (write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(4);
}

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "ERR %s: %s\n", what.c_str(), s.ToString().c_str());
  std::_Exit(3);
}

OrchestratorItem Arm(const std::string& instance, OrchestratorItem::Kind kind) {
  OrchestratorItem item;
  item.instance = instance;
  item.kind = kind;
  item.orchestration_name = crash::kName;
  item.version = crash::kVersion;
  item.payload = "arm";
  return item;
}

void Dispatcher(Provider& provider) {
  for (;;) {
    auto fetched = provider.FetchOrchestrationItem(60'000, std::chrono::milliseconds(50));
    if (!fetched.ok()) Die("fetch", fetched.status());
    if (!fetched->has_value()) continue;
    const OrchestrationItem& item = (*fetched)->item;
    if (item.history_error) Die("history", Status::Corruption(*item.history_error));
    const uint64_t last = item.history.empty() ? 0 : item.history.back().event_id;
    OrchestrationAck ack;
    ack.execution_id = item.execution_id;
    ack.history_delta = {{last + 1, crash::EventPayload(item.instance, last + 1)},
                         {last + 2, crash::EventPayload(item.instance, last + 2)}};
    WorkerItem work;
    work.identity = {item.instance, item.execution_id, last + 1};
    work.payload = crash::EventPayload(item.instance, last + 1);
    ack.worker_items.push_back(work);
    ack.orchestrator_items.push_back(Arm(item.instance, OrchestratorItem::Kind::kOther));
    ack.metadata.orchestration_name = crash::kName;
    ack.metadata.version = crash::kVersion;
    ack.kv_changes.push_back(
        {KvChange::Kind::kSet, crash::kTurnsKey, std::to_string(last / 2 + 1)});
    Status s = provider.AckOrchestrationItem((*fetched)->lock_token, ack);
    if (!s.ok()) Die("ack " + item.instance, s);
    Say("TURN " + item.instance + " " + std::to_string(last + 2));
  }
}

void Worker(Provider& provider) {
  for (;;) {
    auto fetched = provider.FetchWorkItem(60'000, std::chrono::milliseconds(50), std::nullopt, {});
    if (!fetched.ok()) Die("fetch work", fetched.status());
    if (!fetched->has_value()) continue;
    const WorkerItem& work = (*fetched)->item;
    OrchestratorItem completion = Arm(work.identity.instance, OrchestratorItem::Kind::kOther);
    completion.payload = "done:" + work.payload;
    Status s = provider.AckWorkItem((*fetched)->lock_token, completion);
    if (!s.ok()) Die("ack work", s);
    Say("ACT " + work.payload);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: orchestration_crash_child <store-dir>\n");
    return 2;
  }
  auto store = Store::Open(argv[1]);
  if (!store.ok()) Die("open", store.status());
  auto provider = Provider::Open(**store);
  if (!provider.ok()) Die("provider", provider.status());
  if (!(*store)->Get(crash::kSeededKey).ok()) {
    // First run: start every instance and mark it, in one batch-free sequence; a kill in
    // between only means some starts are enqueued twice (the test tolerates that).
    for (int i = 0; i < crash::kInstances; ++i) {
      Status s = (*provider)->EnqueueForOrchestrator(
          Arm(crash::Instance(i), OrchestratorItem::Kind::kStart));
      if (!s.ok()) Die("start", s);
    }
    auto r = (*store)->Commit(Batch().Put(crash::kSeededKey, "1"));
    if (!r.ok()) Die("seed", r.status());
  }
  std::vector<std::thread> threads;
  for (int d = 0; d < crash::kDispatchers; ++d) {
    threads.emplace_back([&provider] { Dispatcher(**provider); });
  }
  threads.emplace_back([&provider] { Worker(**provider); });
  for (auto& t : threads) t.join();  // never: the parent kills this process
  return 0;
}
