#include "mixed_workload.h"

#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <vector>

#include "durastore/orchestration/provider.h"
#include "engines.h"

namespace durastore::bench {
namespace {

using orchestration::Provider;

constexpr size_t kCommit = 0, kQueue = 1, kTurn = 2, kActivity = 3;
constexpr int kActivitiesPerWriter = 100;

// One store and everything running on it, declared so that the borrowers go first.
struct MixedStore {
  std::unique_ptr<Store> store;
  std::unique_ptr<Provider> provider;
  std::unique_ptr<Engine> commit;
  std::unique_ptr<QueueWorkload> queue;
  std::unique_ptr<OrchestrationWorkload> turn;
  std::unique_ptr<OrchestrationWorkload> activity;
};

Status OpenStore(const std::string& dir, Durability durability, FlushMethod flush, MixedStore& m) {
  Options options;
  options.durability = durability;
  options.flush_method = flush;
  auto store = Store::Open(dir, options);
  if (!store.ok()) return store.status();
  m.store = std::move(store).value();
  auto provider = Provider::Open(*m.store);
  if (!provider.ok()) return provider.status();
  m.provider = std::move(provider).value();
  return Status::OK();
}

// Creates the turn instances and the activities on a kNoSync store (fast), makes them
// durable and closes the store, so the run's pipeline figures start from zero.
Status SetUp(const std::string& dir, FlushMethod flush, const OrchestrationShape& shape,
             const MixWeights& w, int activities) {
  MixedStore m;
  Status s = OpenStore(dir, Durability::kNoSync, flush, m);
  if (s.ok() && w[kTurn] > 0) s = SetUpTurnInstances(*m.provider, shape);
  if (s.ok() && w[kActivity] > 0) {
    s = SetUpActivities(*m.provider, shape, activities, /*to_turns=*/w[kTurn] > 0);
  }
  if (s.ok()) s = m.store->Flush();
  m.provider.reset();
  if (m.store == nullptr) return s;
  Status closed = m.store->Close();
  return s.ok() ? closed : s;
}

// Writer-private: its random source and the weighted pick over the kinds.
struct Picker {
  std::mt19937_64 rng;
  std::discrete_distribution<size_t> kind;
};

}  // namespace

bool ParseMix(const std::string& spec, MixWeights* weights, std::string* error) {
  MixWeights out{};
  std::vector<bool> seen(kMixKinds.size(), false);
  std::string rest = spec + ",";
  size_t at = 0;
  for (size_t comma; (comma = rest.find(',', at)) != std::string::npos; at = comma + 1) {
    const std::string item = rest.substr(at, comma - at);
    const size_t eq = item.find('=');
    const std::string name = item.substr(0, eq);
    size_t k = 0;
    while (k < kMixKinds.size() && name != kMixKinds[k]) ++k;
    if (eq == std::string::npos || k == kMixKinds.size()) {
      *error = "--mix: '" + item + "' is not KIND=WEIGHT with KIND commit, queue, turn or activity";
      return false;
    }
    if (seen[k]) {
      *error = "--mix: " + name + " given twice";
      return false;
    }
    seen[k] = true;
    const std::string value = item.substr(eq + 1);
    char* end = nullptr;
    const double v = std::strtod(value.c_str(), &end);
    if (value.empty() || *end != '\0' || !std::isfinite(v) || v < 0) {
      *error = "--mix: the weight of " + name + " must be a number >= 0, got '" + value + "'";
      return false;
    }
    out[k] = v;
  }
  double sum = 0;
  for (double v : out) sum += v;
  if (sum <= 0) {
    *error = "--mix: every weight is 0";
    return false;
  }
  *weights = out;
  return true;
}

Status RunMixed(const Config& c, const std::string& dir, const LoopOptions& loop, FlushMethod flush,
                Outcome& out) {
  const MixWeights& w = c.mix;
  OrchestrationShape oshape;
  oshape.workers = c.writers;
  oshape.payload_bytes = c.payload;
  oshape.instances = Instances(c);
  oshape.history_events = c.history;
  oshape.turns_per_execution = c.turns_per_execution;
  oshape.sync = c.durability == "sync";
  oshape.flush = flush;
  oshape.feeder = w[kTurn] == 0;  // else the turns take the completions in
  oshape.give_up_when_empty = true;
  const int activities = c.writers * kActivitiesPerWriter;
  Status s = SetUp(dir, flush, oshape, w, activities);
  if (!s.ok()) return s;

  MixedStore m;
  s = OpenStore(dir, oshape.sync ? Durability::kSync : Durability::kNoSync, flush, m);
  if (!s.ok()) return s;
  m.commit = NewDurastoreEngine(
      *m.store, {c.appends_per_batch, c.events_per_append, c.enqueues_per_batch, c.puts_per_batch});
  QueueShape qshape;
  qshape.producers = c.writers;
  qshape.consumers = c.consumers;
  qshape.payload_bytes = c.payload;
  qshape.max_depth = c.max_depth;
  qshape.sync = oshape.sync;
  qshape.flush = flush;
  m.queue = NewDurastoreQueueWorkload(*m.store, qshape);
  m.turn = NewTurnWorkload(*m.store, *m.provider, oshape);
  m.activity =
      NewActivityWorkload(*m.store, *m.provider, oshape, static_cast<uint64_t>(activities) + 1);

  const auto writers = static_cast<size_t>(c.writers);
  std::vector<Picker> pickers;
  for (size_t i = 0; i < writers; ++i) {
    std::seed_seq seed{c.seed, static_cast<uint64_t>(i)};
    pickers.push_back(
        {std::mt19937_64(seed), std::discrete_distribution<size_t>(w.begin(), w.end())});
  }
  Recorder rec(writers + static_cast<size_t>(c.consumers), c.ops, kMixKinds.size());
  for (size_t i = writers; i < writers + static_cast<size_t>(c.consumers); ++i) {
    rec.SetSlotKind(i, kQueue);
  }
  const std::string payload(c.payload_sizes.max(), 'p');
  Driver driver;
  driver.records_itself = true;
  driver.op = [&](int writer, uint64_t n, Clock::time_point intended, const std::atomic<bool>& stop,
                  Histogram& fetch_us) -> Result<bool> {
    auto& [rng, pick] = pickers[static_cast<size_t>(writer)];
    while (!stop.load(std::memory_order_relaxed)) {
      const size_t kind = pick(rng);
      Result<bool> did = true;
      if (kind == kCommit) {
        Status committed =
            c.payload_sizes.fixed()
                ? m.commit->CommitOp(writer, n, payload)
                : m.commit->CommitOp(writer, n,
                                     payload.substr(0, c.payload_sizes.Pick(writer, n, c.seed)));
        if (!committed.ok()) return committed;
      } else if (kind == kQueue) {
        return m.queue->Produce(writer, intended, stop);  // a consumer records it
      } else {
        did = (kind == kTurn ? m.turn : m.activity)->Op(writer, stop, fetch_us);
        if (!did.ok()) return did.status();
      }
      if (!*did) continue;  // no work within one poll (or stop): pick again
      rec.RecordKind(static_cast<size_t>(writer), kind, intended, Clock::now());
      return true;
    }
    return false;
  };
  driver.finish = [&] {
    m.activity->Stop();
    return m.queue->Stop();
  };
  driver.pipeline = [&] { return m.store->GetPipelineStats(); };
  s = m.queue->Start(rec, writers);
  if (s.ok()) s = RunLoop(loop, driver, rec, out.run);
  if (!s.ok()) {
    rec.Stop(Clock::now());
    (void)m.queue->Stop();  // the first error is what the caller needs
    return s;
  }
  double sum = 0;
  for (double v : w) sum += v;
  out.mix.clear();
  for (size_t k = 0; k < kMixKinds.size(); ++k)
    out.mix.push_back({w[k] / sum, rec.SnapshotKind(k)});
  out.has_queue = true;
  out.queue = m.queue->Stats();
  return Status::OK();
}

}  // namespace durastore::bench
