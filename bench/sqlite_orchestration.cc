#include "sqlite_orchestration.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "run_loop.h"
#include "sqlite_duroxide.h"

namespace durastore::bench {
namespace {

namespace dx = duroxide_sqlite;
using Connections = std::vector<std::unique_ptr<dx::Connection>>;

constexpr std::chrono::milliseconds kEmptyPollPause{1};

bool IsBusy(const Status& s) { return s.code() == Code::kBusy; }

// After the n-th SQLITE_BUSY in a row (n from 0): 100 us doubling up to 1.6 ms, far
// below Duroxide's 200 ms+, but without spinning on the two cores the writer needs.
void BusyPause(int n) {
  std::this_thread::sleep_for(std::chrono::microseconds(100 << std::min(n, 4)));
}

// Runs `op` until it is not refused with SQLITE_BUSY; counts the refusals in `busy`.
Status RetryBusy(std::atomic<uint64_t>& busy, const std::function<Status()>& op) {
  for (int n = 0;; ++n) {
    Status s = op();
    if (!IsBusy(s)) return s;
    busy.fetch_add(1, std::memory_order_relaxed);
    BusyPause(n);
  }
}

// Creates the schema, runs `setup` on one unsynchronised connection in one transaction,
// checkpoints the WAL away, and opens `count` connections with the run's durability.
Result<Connections> SetUp(const std::string& file, const OrchestrationShape& shape, int count,
                          const std::function<Status(dx::Connection&)>& setup) {
  Status s = dx::CreateSchema(file);
  if (!s.ok()) return s;
  {
    auto c = dx::Connection::Open(file, /*sync=*/false);
    if (!c.ok()) return c.status();
    s = (*c)->Exec("BEGIN");
    if (s.ok()) s = setup(**c);
    if (s.ok()) s = (*c)->Exec("COMMIT; PRAGMA wal_checkpoint(TRUNCATE);");
    if (!s.ok()) return s;
  }
  Connections conns;
  for (int i = 0; i < count; ++i) {
    auto c = dx::Connection::Open(file, shape.sync);
    if (!c.ok()) return c.status();
    conns.push_back(std::move(c).value());
  }
  return conns;
}

// Workers' fetch loop: retries SQLITE_BUSY and an empty fetch after a short pause.
// nullopt when `stop` came first.
template <typename T>
Result<std::optional<T>> FetchUntilWork(const std::atomic<bool>& stop, std::atomic<uint64_t>& busy,
                                        std::atomic<uint64_t>& empty,
                                        const std::function<Result<std::optional<T>>()>& fetch) {
  for (int n = 0;;) {
    if (stop.load(std::memory_order_relaxed)) return std::optional<T>();
    auto r = fetch();
    if (!r.ok() && IsBusy(r.status())) {
      busy.fetch_add(1, std::memory_order_relaxed);
      BusyPause(n++);
      continue;
    }
    n = 0;
    if (!r.ok() || r->has_value()) return r;
    empty.fetch_add(1, std::memory_order_relaxed);
    std::this_thread::sleep_for(kEmptyPollPause);
  }
}

std::string TurnInstance(int i) { return "bench-turn-" + std::to_string(i); }
std::string ActivityInstance(int i) { return "bench-activity-" + std::to_string(i); }

class SqliteWorkloadBase : public OrchestrationWorkload {
 public:
  // SQLite has no commit pipeline; the caller does not ask (durastore_bench.cc).
  PipelineStats Pipeline() const override { return PipelineStats{}; }

 protected:
  void ReportBusy(const char* workload) {
    std::fprintf(stderr, "sqlite %s: %llu transactions retried after SQLITE_BUSY\n", workload,
                 static_cast<unsigned long long>(busy_.load()));
  }
  std::atomic<uint64_t> busy_{0};
  std::atomic<uint64_t> empty_fetches_{0};
};

// One op = fetch_orchestration_item + ack_orchestration_item, shaped as TurnWorkload's.
class SqliteTurnWorkload final : public SqliteWorkloadBase {
 public:
  SqliteTurnWorkload(Connections conns, const OrchestrationShape& shape)
      : conns_(std::move(conns)),
        payload_(shape.payload_bytes, 'p'),
        preloaded_(static_cast<uint64_t>(shape.history_events)),
        turns_per_execution_(static_cast<uint64_t>(std::max(1, shape.turns_per_execution))) {}

  Result<bool> Op(int worker, const std::atomic<bool>& stop, Histogram& fetch_us) override {
    dx::Connection& c = *conns_[static_cast<size_t>(worker)];
    auto t0 = Clock::now();
    auto r = FetchUntilWork<dx::FetchedTurn>(stop, busy_, empty_fetches_, [&] {
      return c.FetchOrchestrationItem(kOrchestrationLockMs);
    });
    if (!r.ok()) return r.status();
    if (!r->has_value()) return false;
    fetch_us.Record(MicrosBetween(t0, Clock::now()));
    const dx::FetchedTurn& item = **r;
    fetches_.fetch_add(1, std::memory_order_relaxed);
    history_events_.fetch_add(item.history.size(), std::memory_order_relaxed);
    const dx::TurnAck ack = Turn(item);
    Status s = RetryBusy(
        busy_, [&] { return c.AckOrchestrationItem(item.lock_token, item.instance, ack); });
    if (!s.ok()) return s;
    return true;
  }

  void Stop() override { ReportBusy("turn"); }
  OrchestrationStats Stats() const override {
    OrchestrationStats stats;
    stats.empty_fetches = empty_fetches_.load();
    uint64_t fetches = fetches_.load();
    stats.mean_history_at_fetch =
        fetches == 0 ? 0.0
                     : static_cast<double>(history_events_.load()) / static_cast<double>(fetches);
    return stats;
  }

 private:
  // The ack TurnWorkload::Op builds: 2 events, 1 activity, 1 message re-arming the
  // instance, and every turns_per_execution turns a continue-as-new.
  dx::TurnAck Turn(const dx::FetchedTurn& item) const {
    auto has = [&](const char* kind) {
      return std::any_of(item.messages.begin(), item.messages.end(),
                         [&](const std::string& m) { return dx::IsKind(m, kind); });
    };
    const bool continues = has("ContinueAsNew");
    dx::TurnAck ack;
    ack.execution_id = continues ? item.execution_id + 1 : item.execution_id;
    uint64_t next = 1;
    if (continues) {
      for (; next <= preloaded_; ++next) {
        ack.history_delta.push_back(
            {next, next == 1 ? "OrchestrationStarted" : "ActivityCompleted", payload_});
      }
    } else {
      next = std::max(static_cast<uint64_t>(item.history.size()), preloaded_) + 1;
    }
    ack.history_delta.push_back({next, "ActivityCompleted", payload_});
    ack.history_delta.push_back({next + 1, "ActivityScheduled", payload_});
    ack.worker_items.push_back({ack.execution_id, next,
                                dx::ActivityItem(item.instance, ack.execution_id, next, payload_)});
    const uint64_t turn_in_execution = (next + 1 - preloaded_) / 2;  // 1, 2, ...
    const bool ends = turn_in_execution >= turns_per_execution_;
    ack.orchestrator_items.push_back(
        {item.instance, ends ? dx::ContinueAsNewItem(item.instance, kOrchestrationName,
                                                     kOrchestrationVersion, payload_)
                             : dx::CompletionItem(item.instance, next, payload_)});
    if (ends) ack.status = "ContinuedAsNew";
    if (continues || has("StartOrchestration")) {
      ack.name = item.name;
      ack.version = item.version;
      ack.pin_version = true;
    }
    return ack;
  }

  Connections conns_;
  const std::string payload_;
  const uint64_t preloaded_;
  const uint64_t turns_per_execution_;
  std::atomic<uint64_t> fetches_{0};
  std::atomic<uint64_t> history_events_{0};
};

// One op = fetch_work_item + ack_work_item with a completion; a feeder thread on its own
// connection turns completions back into activities, as ActivityWorkload's does.
class SqliteActivityWorkload final : public SqliteWorkloadBase {
 public:
  SqliteActivityWorkload(Connections conns, const OrchestrationShape& shape,
                         uint64_t first_activity_id)
      : conns_(std::move(conns)),
        payload_(shape.payload_bytes, 'p'),
        next_activity_id_(first_activity_id) {
    feeder_ = std::thread([this] { Feed(); });
  }
  ~SqliteActivityWorkload() override { StopFeeder(); }

  Result<bool> Op(int worker, const std::atomic<bool>& stop, Histogram& fetch_us) override {
    dx::Connection& c = *conns_[static_cast<size_t>(worker)];
    const std::string owner = "work-" + std::to_string(worker) + "-bench";
    auto t0 = Clock::now();
    auto r = FetchUntilWork<dx::FetchedActivity>(stop, busy_, empty_fetches_, [&] {
      if (feeder_failed_.load()) return Result<std::optional<dx::FetchedActivity>>(FeederStatus());
      return c.FetchWorkItem(kOrchestrationLockMs, owner);
    });
    if (!r.ok()) return r.status();
    if (!r->has_value()) return false;
    fetch_us.Record(MicrosBetween(t0, Clock::now()));
    const dx::FetchedActivity& item = **r;
    const std::string instance = dx::FieldOf(item.work_item, "instance");
    const std::string completion = dx::CompletionItem(instance, 0, payload_);
    Status s =
        RetryBusy(busy_, [&] { return c.AckWorkItem(item.lock_token, instance, completion); });
    if (!s.ok()) return s;
    return true;
  }

  void Stop() override {
    StopFeeder();
    ReportBusy("activity");
  }
  OrchestrationStats Stats() const override {
    OrchestrationStats stats;
    stats.empty_fetches = empty_fetches_.load();
    stats.feeder_turns = feeder_turns_.load();
    return stats;
  }

 private:
  void StopFeeder() {
    stop_feeder_ = true;
    if (feeder_.joinable()) feeder_.join();
  }

  void Feed() {
    dx::Connection& c = *conns_.back();
    std::atomic<uint64_t> empty{0};
    while (!stop_feeder_) {
      auto r = FetchUntilWork<dx::FetchedTurn>(stop_feeder_, busy_, empty, [&] {
        return c.FetchOrchestrationItem(kOrchestrationLockMs);
      });
      Status s = r.status();
      if (r.ok() && r->has_value()) {
        const dx::FetchedTurn& item = **r;
        dx::TurnAck ack;
        ack.execution_id = item.execution_id;
        for (size_t i = 0; i < item.messages.size(); ++i) {
          const uint64_t id = next_activity_id_++;
          ack.worker_items.push_back({1, id, dx::ActivityItem(item.instance, 1, id, payload_)});
        }
        feeder_turns_.fetch_add(1, std::memory_order_relaxed);
        s = RetryBusy(busy_,
                      [&] { return c.AckOrchestrationItem(item.lock_token, item.instance, ack); });
      }
      if (s.ok()) continue;
      std::lock_guard<std::mutex> lock(mu_);
      feeder_status_ = s;
      feeder_failed_ = true;
      return;
    }
  }

  Status FeederStatus() {
    std::lock_guard<std::mutex> lock(mu_);
    if (feeder_status_.ok()) return Status::Unavailable("feeder stopped");
    return feeder_status_;
  }

  Connections conns_;  // one per worker, the feeder's last
  const std::string payload_;
  uint64_t next_activity_id_;  // feeder thread only
  std::atomic<bool> stop_feeder_{false};
  std::atomic<bool> feeder_failed_{false};
  std::mutex mu_;
  Status feeder_status_;  // guarded by mu_
  std::atomic<uint64_t> feeder_turns_{0};
  std::thread feeder_;  // last: started in the constructor once the rest exists
};

}  // namespace

Result<std::unique_ptr<OrchestrationWorkload>> OpenSqliteTurnWorkload(
    const std::string& dir, const OrchestrationShape& shape) {
  const int instances = shape.instances > 0 ? shape.instances : shape.workers * 4;
  const std::string payload(shape.payload_bytes, 'p');
  auto conns = SetUp(dir + "/duroxide.sqlite", shape, shape.workers, [&](dx::Connection& c) {
    for (int i = 0; i < instances; ++i) {
      const std::string instance = TurnInstance(i);
      std::vector<dx::HistoryRow> events;
      for (int e = 1; e <= shape.history_events; ++e) {
        events.push_back({static_cast<uint64_t>(e),
                          e == 1 ? "OrchestrationStarted" : "ActivityCompleted", payload});
      }
      Status s = c.AppendHistory(instance, 1, events);
      if (s.ok())
        s = c.EnqueueForOrchestrator(
            instance, dx::StartItem(instance, kOrchestrationName, kOrchestrationVersion, payload));
      if (!s.ok()) return s;
    }
    return Status::OK();
  });
  if (!conns.ok()) return conns.status();
  return std::unique_ptr<OrchestrationWorkload>(
      new SqliteTurnWorkload(std::move(conns).value(), shape));
}

Result<std::unique_ptr<OrchestrationWorkload>> OpenSqliteActivityWorkload(
    const std::string& dir, const OrchestrationShape& shape) {
  const int depth = shape.workers * kActivityDepthPerWorker;
  const std::string payload(shape.payload_bytes, 'p');
  // The completions' instances exist (a Duroxide fetch holds back completions for an
  // instance without a record or a start message).
  auto conns = SetUp(dir + "/duroxide.sqlite", shape, shape.workers + 1, [&](dx::Connection& c) {
    for (int i = 0; i < kActivityInstances; ++i) {
      Status s = c.CreateInstance(ActivityInstance(i), kOrchestrationName, kOrchestrationVersion);
      if (!s.ok()) return s;
    }
    for (int i = 0; i < depth; ++i) {
      const std::string instance = ActivityInstance(i % kActivityInstances);
      const auto id = static_cast<uint64_t>(i) + 1;
      Status s = c.EnqueueForWorker(instance, 1, id, dx::ActivityItem(instance, 1, id, payload));
      if (!s.ok()) return s;
    }
    return Status::OK();
  });
  if (!conns.ok()) return conns.status();
  return std::unique_ptr<OrchestrationWorkload>(new SqliteActivityWorkload(
      std::move(conns).value(), shape, static_cast<uint64_t>(depth) + 1));
}

}  // namespace durastore::bench
