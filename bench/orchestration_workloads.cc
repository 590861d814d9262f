#include "orchestration_workloads.h"

#include <algorithm>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "durastore/orchestration/provider.h"
#include "run_loop.h"

namespace durastore::bench {
namespace {

using orchestration::FetchedOrchestration;
using orchestration::FetchedWork;
using orchestration::HistoryEvent;
using orchestration::OrchestrationAck;
using orchestration::OrchestratorItem;
using orchestration::Provider;
using orchestration::WorkerItem;

// Duroxide's minimum poll interval.
constexpr std::chrono::milliseconds kPoll{100};

// A store and the provider borrowing it (declared after it, so destroyed first); the
// owners are null when both are borrowed.
struct Layer {
  std::unique_ptr<Store> owned_store;
  std::unique_ptr<Provider> owned_provider;
  Store* store = nullptr;
  Provider* provider = nullptr;
};

Result<Layer> OpenLayer(const std::string& dir, Durability durability, FlushMethod flush) {
  Options options;
  options.durability = durability;
  options.flush_method = flush;
  auto store = Store::Open(dir, options);
  if (!store.ok()) return store.status();
  Layer layer;
  layer.owned_store = std::move(store).value();
  auto provider = Provider::Open(*layer.owned_store);
  if (!provider.ok()) return provider.status();
  layer.owned_provider = std::move(provider).value();
  layer.store = layer.owned_store.get();
  layer.provider = layer.owned_provider.get();
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
    layer->owned_provider.reset();
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
        turns_per_execution_(static_cast<uint64_t>(std::max(1, shape.turns_per_execution))),
        give_up_when_empty_(shape.give_up_when_empty) {}

  Result<bool> Op(int, const std::atomic<bool>& stop, Histogram& fetch_us) override {
    auto t0 = Clock::now();
    std::optional<FetchedOrchestration> fetched;
    while (!fetched) {
      if (stop.load(std::memory_order_relaxed)) return false;
      auto r = layer_.provider->FetchOrchestrationItem(kOrchestrationLockMs, kPoll);
      if (!r.ok()) return r.status();
      fetched = std::move(r).value();
      if (fetched) break;
      empty_fetches_.fetch_add(1, std::memory_order_relaxed);
      if (give_up_when_empty_) return false;
    }
    fetch_us.Record(MicrosBetween(t0, Clock::now()));
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
    again.orchestration_name = kOrchestrationName;
    again.version = kOrchestrationVersion;
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
  const bool give_up_when_empty_;
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
        give_up_when_empty_(shape.give_up_when_empty),
        next_activity_id_(first_activity_id) {
    if (shape.feeder) feeder_ = std::thread([this] { Feed(); });
  }
  ~ActivityWorkload() override { Stop(); }

  Result<bool> Op(int, const std::atomic<bool>& stop, Histogram& fetch_us) override {
    auto t0 = Clock::now();
    std::optional<FetchedWork> fetched;
    while (!fetched) {
      if (stop.load(std::memory_order_relaxed)) return false;
      if (feeder_failed_.load()) return FeederStatus();
      auto r = layer_.provider->FetchWorkItem(kOrchestrationLockMs, kPoll, std::nullopt, {});
      if (!r.ok()) return r.status();
      fetched = std::move(r).value();
      if (fetched) break;
      empty_fetches_.fetch_add(1, std::memory_order_relaxed);
      if (give_up_when_empty_) return false;
    }
    fetch_us.Record(MicrosBetween(t0, Clock::now()));
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
    auto r = layer_.provider->FetchOrchestrationItem(kOrchestrationLockMs, kPoll);
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
  const bool give_up_when_empty_;
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

Status SetUpTurnInstances(Provider& provider, const OrchestrationShape& shape) {
  const int instances = shape.instances > 0 ? shape.instances : shape.workers * 4;
  const std::string payload(shape.payload_bytes, 'p');
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
    start.orchestration_name = kOrchestrationName;
    start.version = kOrchestrationVersion;
    start.payload = payload;
    return provider.EnqueueForOrchestrator(start);
  });
}

Status SetUpActivities(Provider& provider, const OrchestrationShape& shape, int count,
                       bool to_turns) {
  const int instances = shape.instances > 0 ? shape.instances : shape.workers * 4;
  const std::string payload(shape.payload_bytes, 'p');
  // Routed to turn instances, the ids stay clear of the ones turns give (their event ids).
  const uint64_t first_id = to_turns ? uint64_t{1} << 40 : 1;
  return ParallelFor(shape.workers, count, [&](int i) {
    WorkerItem work;
    work.identity = {
        to_turns ? TurnInstance(i % instances) : ActivityInstance(i % kActivityInstances), 1,
        first_id + static_cast<uint64_t>(i)};
    work.payload = payload;
    return provider.EnqueueForWorker(work);
  });
}

Result<std::unique_ptr<OrchestrationWorkload>> OpenTurnWorkload(const std::string& dir,
                                                                const OrchestrationShape& shape) {
  auto layer =
      SetUp(dir, shape, [&](Provider& provider) { return SetUpTurnInstances(provider, shape); });
  if (!layer.ok()) return layer.status();
  return std::unique_ptr<OrchestrationWorkload>(new TurnWorkload(std::move(layer).value(), shape));
}

Result<std::unique_ptr<OrchestrationWorkload>> OpenActivityWorkload(
    const std::string& dir, const OrchestrationShape& shape) {
  const int depth = shape.workers * kActivityDepthPerWorker;
  auto layer = SetUp(dir, shape, [&](Provider& provider) {
    return SetUpActivities(provider, shape, depth, /*to_turns=*/false);
  });
  if (!layer.ok()) return layer.status();
  return std::unique_ptr<OrchestrationWorkload>(
      new ActivityWorkload(std::move(layer).value(), shape, static_cast<uint64_t>(depth) + 1));
}

namespace {
Layer Borrowed(Store& store, Provider& provider) {
  Layer layer;
  layer.store = &store;
  layer.provider = &provider;
  return layer;
}
}  // namespace

std::unique_ptr<OrchestrationWorkload> NewTurnWorkload(Store& store, Provider& provider,
                                                       const OrchestrationShape& shape) {
  return std::make_unique<TurnWorkload>(Borrowed(store, provider), shape);
}

std::unique_ptr<OrchestrationWorkload> NewActivityWorkload(Store& store, Provider& provider,
                                                           const OrchestrationShape& shape,
                                                           uint64_t first_activity_id) {
  return std::make_unique<ActivityWorkload>(Borrowed(store, provider), shape, first_activity_id);
}

}  // namespace durastore::bench
