#include "orchestration_workloads.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "durastore/orchestration/provider.h"

namespace durastore::bench {
namespace {

using orchestration::FetchedOrchestration;
using orchestration::FetchedWork;
using orchestration::HistoryEvent;
using orchestration::OrchestrationAck;
using orchestration::OrchestratorItem;
using orchestration::Provider;
using orchestration::WorkerItem;
using Clock = std::chrono::steady_clock;

// Duroxide's defaults: a long lock (a turn never outlives it here) and its minimum poll.
constexpr int64_t kLockMs = 30'000;
constexpr std::chrono::milliseconds kPoll{100};
constexpr const char* kName = "bench";
constexpr const char* kVersion = "1.0.0";
// Activity: the instances completions are routed to (the feeder's batches).
constexpr int kActivityInstances = 16;
constexpr int kActivityDepthPerWorker = 1000;

uint64_t MicrosSince(Clock::time_point t0) {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count());
}

// A store and the provider borrowing it (declared after it, so destroyed first).
struct Layer {
  std::unique_ptr<Store> store;
  std::unique_ptr<Provider> provider;
};

Result<Layer> OpenLayer(const std::string& dir, Durability durability, FlushMethod flush) {
  Options options;
  options.durability = durability;
  options.flush_method = flush;
  auto store = Store::Open(dir, options);
  if (!store.ok()) return store.status();
  Layer layer;
  layer.store = std::move(store).value();
  auto provider = Provider::Open(*layer.store);
  if (!provider.ok()) return provider.status();
  layer.provider = std::move(provider).value();
  return layer;
}

// Runs fn(0..n-1) on `threads` threads; the first error wins.
Status ParallelFor(int threads, int n, const std::function<Status(int)>& fn) {
  std::atomic<int> next{0};
  std::mutex mu;
  Status first;
  std::vector<std::thread> pool;
  for (int t = 0; t < std::min(threads, n); ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        Status s = fn(i);
        if (s.ok()) continue;
        std::lock_guard<std::mutex> lock(mu);
        if (first.ok()) first = s;
        next = n;
      }
    });
  }
  for (auto& t : pool) t.join();
  return first;
}

// Runs `setup` on a kNoSync store (fast), makes it durable, and reopens the store with
// the run's durability so the run's pipeline figures start from zero.
Result<Layer> SetUp(const std::string& dir, const OrchestrationShape& shape,
                    const std::function<Status(Provider&)>& setup) {
  {
    auto layer = OpenLayer(dir, Durability::kNoSync, shape.flush);
    if (!layer.ok()) return layer.status();
    Status s = setup(*layer->provider);
    if (s.ok()) s = layer->store->Flush();
    layer->provider.reset();
    Status closed = layer->store->Close();
    if (!s.ok()) return s;
    if (!closed.ok()) return closed;
  }
  return OpenLayer(dir, shape.sync ? Durability::kSync : Durability::kNoSync, shape.flush);
}

bool HasKind(const orchestration::OrchestrationItem& item, OrchestratorItem::Kind kind) {
  return std::any_of(item.messages.begin(), item.messages.end(),
                     [&](const auto& m) { return m.kind == kind; });
}

std::string TurnInstance(int i) { return "bench-turn-" + std::to_string(i); }
std::string ActivityInstance(int i) { return "bench-activity-" + std::to_string(i); }

class TurnWorkload final : public OrchestrationWorkload {
 public:
  TurnWorkload(Layer layer, const OrchestrationShape& shape)
      : layer_(std::move(layer)),
        payload_(shape.payload_bytes, 'p'),
        preloaded_(static_cast<uint64_t>(shape.history_events)),
        turns_per_execution_(static_cast<uint64_t>(std::max(1, shape.turns_per_execution))) {}

  Result<bool> Op(int, const std::atomic<bool>& stop, Histogram& fetch_us) override {
    auto t0 = Clock::now();
    std::optional<FetchedOrchestration> fetched;
    while (!fetched) {
      if (stop.load(std::memory_order_relaxed)) return false;
      auto r = layer_.provider->FetchOrchestrationItem(kLockMs, kPoll);
      if (!r.ok()) return r.status();
      fetched = std::move(r).value();
      if (!fetched) empty_fetches_.fetch_add(1, std::memory_order_relaxed);
    }
    fetch_us.Record(MicrosSince(t0));
    const orchestration::OrchestrationItem& item = fetched->item;
    if (item.history_error) {
      return Status::Corruption("history of " + item.instance + ": " + *item.history_error);
    }
    fetches_.fetch_add(1, std::memory_order_relaxed);
    history_events_.fetch_add(item.history.size(), std::memory_order_relaxed);

    // An execution lasts turns_per_execution turns and then continues as new, so the
    // history handed back stays bounded (preload + 2 events per turn) however long the run.
    // The turn that handles the continue-as-new message starts the next execution and
    // re-appends the preloaded events there.
    const bool continues = HasKind(item, OrchestratorItem::Kind::kContinueAsNew);
    OrchestrationAck ack;
    ack.execution_id = continues ? item.execution_id + 1 : item.execution_id;
    uint64_t next = 1;
    if (continues) {
      for (; next <= preloaded_; ++next) ack.history_delta.push_back({next, payload_});
    } else {
      uint64_t last = item.history.empty() ? 0 : item.history.back().event_id;
      next = std::max(last, preloaded_) + 1;
    }
    ack.history_delta.push_back({next, payload_});
    ack.history_delta.push_back({next + 1, payload_});
    WorkerItem work;
    work.identity = {item.instance, ack.execution_id, next};
    work.payload = payload_;
    ack.worker_items.push_back(std::move(work));
    const uint64_t turn_in_execution = (next + 1 - preloaded_) / 2;  // 1, 2, ...
    const bool ends = turn_in_execution >= turns_per_execution_;
    OrchestratorItem again;
    again.instance = item.instance;
    again.kind = ends ? OrchestratorItem::Kind::kContinueAsNew : OrchestratorItem::Kind::kOther;
    again.orchestration_name = kName;
    again.version = kVersion;
    again.payload = payload_;
    ack.orchestrator_items.push_back(std::move(again));
    if (ends) ack.metadata.status = orchestration::ExecutionStatus::kContinuedAsNew;
    if (continues || HasKind(item, OrchestratorItem::Kind::kStart)) {
      ack.metadata.orchestration_name = item.orchestration_name;
      ack.metadata.version = item.version;
    }
    Status s = layer_.provider->AckOrchestrationItem(fetched->lock_token, ack);
    if (!s.ok()) return s;
    return true;
  }

  void Stop() override {}
  PipelineStats Pipeline() const override { return layer_.store->GetPipelineStats(); }
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
  Layer layer_;
  const std::string payload_;
  const uint64_t preloaded_;
  const uint64_t turns_per_execution_;
  std::atomic<uint64_t> empty_fetches_{0};
  std::atomic<uint64_t> fetches_{0};
  std::atomic<uint64_t> history_events_{0};
};

// Workers fetch and ack activities; each ack routes a completion to one of
// kActivityInstances instances. The feeder thread plays the orchestration dispatcher:
// it fetches those instances and answers every completion with a new activity, so the
// number of activities in the system stays at the pre-filled count.
class ActivityWorkload final : public OrchestrationWorkload {
 public:
  ActivityWorkload(Layer layer, const OrchestrationShape& shape, uint64_t first_activity_id)
      : layer_(std::move(layer)),
        payload_(shape.payload_bytes, 'p'),
        next_activity_id_(first_activity_id) {
    feeder_ = std::thread([this] { Feed(); });
  }
  ~ActivityWorkload() override { Stop(); }

  Result<bool> Op(int, const std::atomic<bool>& stop, Histogram& fetch_us) override {
    auto t0 = Clock::now();
    std::optional<FetchedWork> fetched;
    while (!fetched) {
      if (stop.load(std::memory_order_relaxed)) return false;
      if (feeder_failed_.load()) return FeederStatus();
      auto r = layer_.provider->FetchWorkItem(kLockMs, kPoll, std::nullopt, {});
      if (!r.ok()) return r.status();
      fetched = std::move(r).value();
      if (!fetched) empty_fetches_.fetch_add(1, std::memory_order_relaxed);
    }
    fetch_us.Record(MicrosSince(t0));
    OrchestratorItem completion;
    completion.instance = fetched->item.identity.instance;
    completion.kind = OrchestratorItem::Kind::kOther;
    completion.payload = payload_;
    Status s = layer_.provider->AckWorkItem(fetched->lock_token, completion);
    if (!s.ok()) return s;
    return true;
  }

  void Stop() override {
    stop_feeder_ = true;
    if (feeder_.joinable()) feeder_.join();
  }
  PipelineStats Pipeline() const override { return layer_.store->GetPipelineStats(); }
  OrchestrationStats Stats() const override {
    OrchestrationStats stats;
    stats.empty_fetches = empty_fetches_.load();
    stats.feeder_turns = feeder_turns_.load();
    return stats;
  }

 private:
  void Feed() {
    while (!stop_feeder_) {
      Status s = FeedOnce();
      if (s.ok()) continue;
      std::lock_guard<std::mutex> lock(mu_);
      feeder_status_ = s;
      feeder_failed_ = true;
      return;
    }
  }

  Status FeedOnce() {
    auto r = layer_.provider->FetchOrchestrationItem(kLockMs, kPoll);
    if (!r.ok()) return r.status();
    if (!r->has_value()) return Status::OK();
    const FetchedOrchestration& fetched = **r;
    OrchestrationAck ack;
    ack.execution_id = fetched.item.execution_id;
    for (size_t i = 0; i < fetched.item.messages.size(); ++i) {
      WorkerItem work;
      work.identity = {fetched.item.instance, 1, next_activity_id_++};
      work.payload = payload_;
      ack.worker_items.push_back(std::move(work));
    }
    feeder_turns_.fetch_add(1, std::memory_order_relaxed);
    return layer_.provider->AckOrchestrationItem(fetched.lock_token, ack);
  }

  Status FeederStatus() {
    std::lock_guard<std::mutex> lock(mu_);
    if (feeder_status_.ok()) return Status::Unavailable("feeder stopped");
    return feeder_status_;
  }

  Layer layer_;
  const std::string payload_;
  uint64_t next_activity_id_;  // feeder thread only
  std::atomic<bool> stop_feeder_{false};
  std::atomic<bool> feeder_failed_{false};
  std::mutex mu_;
  Status feeder_status_;  // guarded by mu_
  std::atomic<uint64_t> empty_fetches_{0};
  std::atomic<uint64_t> feeder_turns_{0};
  std::thread feeder_;  // last: started in the constructor once the rest exists
};

}  // namespace

Result<std::unique_ptr<OrchestrationWorkload>> OpenTurnWorkload(const std::string& dir,
                                                                const OrchestrationShape& shape) {
  const int instances = shape.instances > 0 ? shape.instances : shape.workers * 4;
  const std::string payload(shape.payload_bytes, 'p');
  auto layer = SetUp(dir, shape, [&](Provider& provider) {
    return ParallelFor(shape.workers, instances, [&](int i) {
      std::string instance = TurnInstance(i);
      if (shape.history_events > 0) {
        std::vector<HistoryEvent> events;
        for (int e = 1; e <= shape.history_events; ++e) {
          events.push_back({static_cast<uint64_t>(e), payload});
        }
        Status s = provider.AppendWithExecution(instance, 1, events);
        if (!s.ok()) return s;
      }
      OrchestratorItem start;
      start.instance = instance;
      start.kind = OrchestratorItem::Kind::kStart;
      start.orchestration_name = kName;
      start.version = kVersion;
      start.payload = payload;
      return provider.EnqueueForOrchestrator(start);
    });
  });
  if (!layer.ok()) return layer.status();
  return std::unique_ptr<OrchestrationWorkload>(new TurnWorkload(std::move(layer).value(), shape));
}

Result<std::unique_ptr<OrchestrationWorkload>> OpenActivityWorkload(
    const std::string& dir, const OrchestrationShape& shape) {
  const int depth = shape.workers * kActivityDepthPerWorker;
  const std::string payload(shape.payload_bytes, 'p');
  auto layer = SetUp(dir, shape, [&](Provider& provider) {
    return ParallelFor(shape.workers, depth, [&](int i) {
      WorkerItem work;
      work.identity = {ActivityInstance(i % kActivityInstances), 1, static_cast<uint64_t>(i) + 1};
      work.payload = payload;
      return provider.EnqueueForWorker(work);
    });
  });
  if (!layer.ok()) return layer.status();
  return std::unique_ptr<OrchestrationWorkload>(
      new ActivityWorkload(std::move(layer).value(), shape, static_cast<uint64_t>(depth) + 1));
}

}  // namespace durastore::bench
