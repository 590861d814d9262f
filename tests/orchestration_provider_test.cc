// Contract tests for durastore::orchestration::Provider: the provider side of the Duroxide
// storage contract (docs/orchestration.md), one test per behaviour, grouped by area, then the
// contract's scenarios (hello world, fan-out/fan-in, timer vs external event, delays and
// timeouts) replayed turn by turn at the provider level with made-up payload bytes.
//
// Time is a ManualClock: lock expiry, delays and timers move only with clock_.Advance().
// Long-poll waits are measured in real time (see clock.h); only the long-polling tests wait.
#include "durastore/orchestration/provider.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "../orchestration-layer/src/provider_internal.h"
#include "durastore/batch.h"
#include "durastore/clock.h"
#include "durastore/orchestration/admin.h"
#include "durastore/status.h"
#include "durastore/store.h"
#include "test_util.h"

namespace durastore::orchestration {

// Readable gtest output for the value types compared below.
void PrintTo(const HistoryEvent& e, std::ostream* os) {
  *os << "{" << e.event_id << ", \"" << e.payload.substr(0, 80) << "\"}";
}
void PrintTo(const OrchestratorItem& m, std::ostream* os) {
  *os << "{instance=\"" << m.instance << "\", kind=" << static_cast<int>(m.kind) << ", payload=\""
      << m.payload.substr(0, 80) << "\", name=\"" << m.orchestration_name << "\", version=\""
      << m.version << "\"}";
}

namespace {

using ::durastore::testing::OpenOrDie;
using ::durastore::testing::TempDir;
using Events = std::vector<HistoryEvent>;
using Kind = OrchestratorItem::Kind;
using Mode = TagFilter::Mode;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr int64_t kLockMs = 5'000;       // the runtime's orchestrator lock
constexpr int64_t kWorkLockMs = 30'000;  // the runtime's worker lock
constexpr milliseconds kNoWait{0};
constexpr milliseconds kLongPoll{20'000};
constexpr auto kWakeBound = std::chrono::seconds(5);  // generous: "soon", not a speed claim
constexpr char kName[] = "Orch";
constexpr char kVersion[] = "1.0.0";
// Well-formed (32 hex digits) but never handed out.
const std::string kUnknownToken(32, 'a');

HistoryEvent Ev(uint64_t id, std::string payload) { return HistoryEvent{id, std::move(payload)}; }

OrchestratorItem StartItem(std::string inst, std::string payload = "start",
                           std::string name = kName, std::string version = kVersion) {
  OrchestratorItem m;
  m.instance = std::move(inst);
  m.kind = Kind::kStart;
  m.payload = std::move(payload);
  m.orchestration_name = std::move(name);
  m.version = std::move(version);
  return m;
}

OrchestratorItem ContinueItem(std::string inst, std::string payload, std::string name = kName,
                              std::string version = kVersion) {
  OrchestratorItem m =
      StartItem(std::move(inst), std::move(payload), std::move(name), std::move(version));
  m.kind = Kind::kContinueAsNew;
  return m;
}

// An activity/timer/sub-orchestration completion, external event or cancel.
OrchestratorItem OtherItem(std::string inst, std::string payload,
                           std::optional<int64_t> visible_at = std::nullopt) {
  OrchestratorItem m;
  m.instance = std::move(inst);
  m.kind = Kind::kOther;
  m.payload = std::move(payload);
  m.visible_at_ms = visible_at;
  return m;
}

OrchestratorItem QueueItem(std::string inst, std::string payload) {
  OrchestratorItem m = OtherItem(std::move(inst), std::move(payload));
  m.kind = Kind::kQueueMessage;
  return m;
}

WorkerItem Work(std::string inst, uint64_t exec, uint64_t act, std::string payload,
                std::optional<std::string> session = std::nullopt,
                std::optional<std::string> tag = std::nullopt) {
  WorkerItem w;
  w.identity = ActivityId{std::move(inst), exec, act};
  w.payload = std::move(payload);
  w.session_id = std::move(session);
  w.tag = std::move(tag);
  return w;
}

// An ack as the runtime sends it: every ack carries the orchestration name and version.
OrchestrationAck MakeAck(uint64_t exec, Events delta, std::string name = kName,
                         std::string version = kVersion) {
  OrchestrationAck ack;
  ack.execution_id = exec;
  ack.history_delta = std::move(delta);
  ack.metadata.orchestration_name = std::move(name);
  ack.metadata.version = std::move(version);
  return ack;
}

KvChange KvSet(std::string key, std::string value) {
  return KvChange{KvChange::Kind::kSet, std::move(key), std::move(value)};
}
KvChange KvClear(std::string key) { return KvChange{KvChange::Kind::kClear, std::move(key), ""}; }
KvChange KvClearAll() { return KvChange{KvChange::Kind::kClearAll, "", ""}; }

TagFilter Tags(Mode mode, std::vector<std::string> tags = {}) {
  return TagFilter{mode, std::move(tags)};
}
SessionConfig Session(std::string owner, int64_t lock_ms = 30'000) {
  return SessionConfig{std::move(owner), lock_ms};
}
VersionFilter Range(std::string min, std::string max) {
  return VersionFilter{VersionRange{std::move(min), std::move(max)}};
}

std::map<std::string, std::string> KvValues(const std::map<std::string, KvEntry>& entries) {
  std::map<std::string, std::string> out;
  for (const auto& [k, e] : entries) out.emplace(k, e.value);
  return out;
}

std::vector<std::string> Payloads(const std::vector<OrchestratorItem>& messages) {
  std::vector<std::string> out;
  for (const auto& m : messages) out.push_back(m.payload);
  return out;
}

bool IsHex32(std::string_view s) {
  return s.size() == 32 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

// Duroxide's suite matches "Invalid lock token" (or "lock_token") in the message.
bool MentionsLockToken(const Status& s) {
  return s.message().find("Invalid lock token") != std::string::npos;
}

class ProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.clock = &clock_;
    options.durability = Durability::kNoSync;  // contract tests, not crash tests
    store_ = OpenOrDie(dir_.path(), options);
    ASSERT_NE(store_, nullptr);
    auto provider = Provider::Open(*store_);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    provider_ = std::move(provider).value();
  }
  void TearDown() override {
    provider_.reset();
    store_.reset();
  }

  Provider& p() { return *provider_; }
  Admin admin() { return Admin(*store_); }
  int64_t Now() const { return clock_.NowMs(); }

  void Enqueue(const OrchestratorItem& m, std::optional<int64_t> delay = std::nullopt) {
    ASSERT_OK(provider_->EnqueueForOrchestrator(m, delay));
  }
  void EnqueueWork(const WorkerItem& w) { ASSERT_OK(provider_->EnqueueForWorker(w)); }

  // One fetch without waiting; nullopt when nothing is eligible (an error fails the test).
  std::optional<FetchedOrchestration> Fetch(
      int64_t lock_ms = kLockMs, const std::optional<VersionFilter>& filter = std::nullopt) {
    auto r = provider_->FetchOrchestrationItem(lock_ms, kNoWait, filter);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return std::nullopt;
    return std::move(r).value();
  }
  std::optional<FetchedWork> FetchWork(const std::optional<SessionConfig>& session = std::nullopt,
                                       const TagFilter& tags = {}, int64_t lock_ms = kWorkLockMs) {
    auto r = provider_->FetchWorkItem(lock_ms, kNoWait, session, tags);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return std::nullopt;
    return std::move(r).value();
  }
  // Payloads of every worker item a filter hands out now (each stays locked).
  std::vector<std::string> DrainWork(const TagFilter& tags,
                                     const std::optional<SessionConfig>& session = std::nullopt) {
    std::vector<std::string> out;
    for (int i = 0; i < 100; ++i) {
      auto w = FetchWork(session, tags);
      if (!w) break;
      out.push_back(w->item.payload);
    }
    return out;
  }
  Status Ack(const std::string& token, const OrchestrationAck& ack) {
    return provider_->AckOrchestrationItem(token, ack);
  }

  Events History(std::string_view inst) {
    auto r = provider_->Read(inst);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Events{};
  }
  Events History(std::string_view inst, uint64_t exec) {
    auto r = provider_->ReadWithExecution(inst, exec);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : Events{};
  }
  QueueDepths Depths() {
    auto d = admin().GetQueueDepths();
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return d.ok() ? *d : QueueDepths{};
  }
  std::vector<std::string> Instances() {
    auto r = admin().ListInstances();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<std::string>{};
  }
  std::optional<InstanceInfo> Info(std::string_view inst) {
    auto r = admin().GetInstanceInfo(inst);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (!r.ok()) return std::nullopt;
    return *r;
  }
  std::optional<std::string> Kv(std::string_view inst, std::string_view key) {
    auto r = provider_->GetKvValue(inst, key);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }
  std::map<std::string, std::string> KvAll(std::string_view inst) {
    auto r = provider_->GetKvAllValues(inst);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::map<std::string, std::string>{};
  }
  std::optional<CustomStatus> Custom(std::string_view inst, uint64_t last_seen) {
    auto r = provider_->GetCustomStatus(inst, last_seen);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::nullopt;
  }

  // The first turn of `inst`: start message, fetch, ack of event 1 with name and version.
  void StartInstance(const std::string& inst,
                     const std::optional<std::string>& pinned = std::nullopt) {
    ASSERT_OK(provider_->EnqueueForOrchestrator(StartItem(inst)));
    auto f = Fetch();
    ASSERT_TRUE(f.has_value());
    ASSERT_EQ(f->item.instance, inst);
    OrchestrationAck ack = MakeAck(1, {Ev(1, "started:" + inst)});
    ack.metadata.pinned_version = pinned;
    ASSERT_OK(Ack(f->lock_token, ack));
  }
  // Delivers a "ping" to `inst`, fetches it and commits `ack`; returns the fetched item.
  FetchedOrchestration RunTurn(const std::string& inst, const OrchestrationAck& ack) {
    EXPECT_OK(provider_->EnqueueForOrchestrator(OtherItem(inst, "ping")));
    auto f = Fetch();
    EXPECT_TRUE(f.has_value());
    if (!f) return {};
    EXPECT_EQ(f->item.instance, inst);
    EXPECT_OK(Ack(f->lock_token, ack));
    return *f;
  }
  // What the next fetch of `inst` hands to replay as the KV snapshot (the store layer). The
  // probe message is consumed by an ack that repeats the execution's status, as a runtime
  // replaying a finished execution would.
  std::map<std::string, std::string> Snapshot(const std::string& inst) {
    EXPECT_OK(provider_->EnqueueForOrchestrator(OtherItem(inst, "snapshot-probe")));
    auto f = Fetch();
    EXPECT_TRUE(f.has_value());
    if (!f) return {};
    EXPECT_EQ(f->item.instance, inst);
    OrchestrationAck ack;
    ack.execution_id = f->item.execution_id;
    auto exec = admin().GetExecutionInfo(inst, f->item.execution_id);
    EXPECT_TRUE(exec.ok()) << exec.status().ToString();
    if (exec.ok() && IsTerminal(exec->status)) {
      ack.metadata.status = exec->status;
      ack.metadata.output = exec->output;
    }
    EXPECT_OK(Ack(f->lock_token, ack));
    return KvValues(f->item.kv_snapshot);
  }
  // Replaces the stored history of (inst, exec) with an event that has no event_id key.
  void CorruptHistory(const std::string& inst, uint64_t exec) {
    Batch b;
    b.DeletePartition(inst, exec);
    b.Append(inst, exec, std::string_view("garbage bytes"));
    ASSERT_OK(store_->Commit(std::move(b)));
  }

  ManualClock clock_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Provider> provider_;
};

// ===================================================================================
// Opening, sharing a store, opaque payloads
// ===================================================================================

// A caller's clock that throws while `broken` is set.
class BreakableClock final : public Clock {
 public:
  int64_t NowMs() const override {
    if (broken.load()) throw std::runtime_error("clock unplugged");
    return 1'000'000;
  }
  std::atomic<bool> broken{false};
};

TEST(ProviderClockTest, AThrowingClockFailsTheCallAndTheProviderGoesOnAfterwards) {
  TempDir dir;
  BreakableClock clock;
  Options options;
  options.clock = &clock;
  options.durability = Durability::kNoSync;
  auto store = OpenOrDie(dir.path(), options);
  ASSERT_NE(store, nullptr);
  auto provider = Provider::Open(*store);
  ASSERT_OK(provider);
  clock.broken = true;
  Status enqueue = (*provider)->EnqueueForOrchestrator(StartItem("a"));
  EXPECT_EQ(enqueue.code(), Code::kInvalidArgument) << enqueue.ToString();
  EXPECT_NE(enqueue.message().find("Clock::NowMs threw: clock unplugged"), std::string::npos)
      << enqueue.ToString();
  EXPECT_CODE((*provider)->FetchOrchestrationItem(kLockMs, kNoWait), kInvalidArgument);
  clock.broken = false;
  ASSERT_OK((*provider)->EnqueueForOrchestrator(StartItem("a")));
  auto fetched = (*provider)->FetchOrchestrationItem(kLockMs, kNoWait);
  ASSERT_OK(fetched);
  EXPECT_TRUE(fetched->has_value());
}

TEST_F(ProviderTest, NegativePollTimeoutsAreInvalidArgument) {
  EXPECT_CODE(p().FetchOrchestrationItem(kLockMs, milliseconds(-1)), kInvalidArgument);
  EXPECT_CODE(p().FetchWorkItem(kWorkLockMs, milliseconds(-1), std::nullopt, {}), kInvalidArgument);
}

TEST_F(ProviderTest, EmptyStoreHasNoOrchestrationOrWorkerWork) {
  EXPECT_FALSE(Fetch().has_value());
  EXPECT_FALSE(FetchWork().has_value());
  EXPECT_TRUE(Instances().empty());
  EXPECT_TRUE(History("nobody").empty());
}

TEST_F(ProviderTest, ProvidersSharingAStoreShareQueuesAndLocks) {
  auto second = Provider::Open(*store_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  Enqueue(StartItem("a"));
  auto f = (*second)->FetchOrchestrationItem(kLockMs, kNoWait);
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->item.instance, "a");
  EXPECT_FALSE(Fetch().has_value());  // locked through the other provider
}

// Session records are read-modify-written under a mutex. It used to be one static mutex
// for the process, so a session call on one Store waited for session calls on any other.
TEST_F(ProviderTest, SessionCallsOfUnrelatedStoresDoNotShareAMutex) {
  TempDir other_dir;
  auto other = OpenOrDie(other_dir.path());
  ASSERT_NE(other, nullptr);
  auto other_provider = Provider::Open(*other);
  ASSERT_TRUE(other_provider.ok()) << other_provider.status().ToString();
  auto mine = internal::SessionMutexOf(*store_);
  EXPECT_EQ(mine, internal::SessionMutexOf(*store_));  // shared by this store's Providers
  ASSERT_NE(mine, internal::SessionMutexOf(*other));

  // Hold the other store's session mutex: session calls on this store still complete.
  std::unique_lock hold(*internal::SessionMutexOf(*other));
  auto renewed = std::async(std::launch::async,
                            [this] { return p().RenewSessionLock({"owner"}, 1'000, 1'000); });
  const bool finished = renewed.wait_for(std::chrono::seconds(20)) == std::future_status::ready;
  hold.unlock();
  EXPECT_TRUE(finished) << "a session call waited for another store's session mutex";
  auto result = renewed.get();
  ASSERT_OK(result);
  EXPECT_EQ(*result, 0u);
}

TEST_F(ProviderTest, OrchestrationTokenFromOneProviderSettlesThroughAnother) {
  auto second = Provider::Open(*store_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_OK((*second)->RenewOrchestrationItemLock(f->lock_token, kLockMs));
  ASSERT_OK((*second)->AckOrchestrationItem(f->lock_token, MakeAck(1, {Ev(1, "started")})));
  EXPECT_EQ(History("a"), (Events{Ev(1, "started")}));
  EXPECT_FALSE(p().AckOrchestrationItem(f->lock_token, MakeAck(1, {Ev(2, "again")})).ok());
}

TEST_F(ProviderTest, WorkTokenFromOneProviderSettlesThroughAnother) {
  auto second = Provider::Open(*store_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EnqueueWork(Work("a", 1, 1, "w1"));
  EnqueueWork(Work("a", 1, 2, "w2"));
  auto first = FetchWork();
  ASSERT_TRUE(first.has_value());
  ASSERT_OK((*second)->RenewWorkItemLock(first->lock_token, kWorkLockMs));
  ASSERT_OK((*second)->AckWorkItem(first->lock_token, OtherItem("a", "done")));
  auto other = FetchWork();
  ASSERT_TRUE(other.has_value());
  ASSERT_OK((*second)->AbandonWorkItem(other->lock_token, std::nullopt, false));
  auto again = FetchWork();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->item.payload, "w2");
  auto completion = Fetch();
  ASSERT_TRUE(completion.has_value());
  EXPECT_EQ(Payloads(completion->item.messages), (std::vector<std::string>{"done"}));
}

TEST_F(ProviderTest, PayloadBytesComeBackUnchanged) {
  const std::string binary("\0\x01\xff\xfe{\"json\":true}\n\0", 18);
  Enqueue(StartItem("bin", binary));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->item.messages.size(), 1u);
  EXPECT_EQ(f->item.messages[0].payload, binary);
  OrchestrationAck ack = MakeAck(1, {Ev(1, binary), Ev(2, binary + "2")});
  ack.worker_items = {Work("bin", 1, 2, binary)};
  ASSERT_OK(Ack(f->lock_token, ack));
  EXPECT_EQ(History("bin"), (Events{Ev(1, binary), Ev(2, binary + "2")}));
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->item.payload, binary);
}

// ===================================================================================
// Atomicity and rollback: a failed ack applies nothing
// ===================================================================================

TEST_F(ProviderTest, AckWithDuplicateEventIdInDeltaAppliesNothing) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(1, "started"), Ev(2, "scheduled"), Ev(2, "dup")});
  ack.worker_items = {Work("a", 1, 2, "activity")};
  ack.orchestrator_items = {StartItem("other")};
  ack.metadata.status = ExecutionStatus::kCompleted;
  ack.metadata.output = "out";
  ack.custom_status.emplace("status");
  ack.kv_changes = {KvSet("k", "v")};
  EXPECT_CODE(Ack(f->lock_token, ack), kAlreadyExists);

  EXPECT_TRUE(History("a").empty());
  EXPECT_TRUE(Instances().empty());
  EXPECT_CODE(admin().GetInstanceInfo("a"), kNotFound);
  EXPECT_CODE(admin().GetExecutionInfo("a", 1), kNotFound);
  EXPECT_FALSE(FetchWork().has_value());  // no worker item
  EXPECT_FALSE(Fetch().has_value());      // no orchestrator item for "other"
  EXPECT_EQ(Depths().orchestrator, 0u);   // the start message is still locked, nothing new
  EXPECT_EQ(Depths().worker, 0u);
  EXPECT_FALSE(Custom("a", 0).has_value());  // custom status untouched
  EXPECT_FALSE(Kv("a", "k").has_value());    // KV untouched
}

TEST_F(ProviderTest, AckDuplicatingAStoredEventIdFailsAndKeepsHistory) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  Enqueue(OtherItem("a", "ping"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(2, "new"), Ev(1, "rewrite")});
  ack.worker_items = {Work("a", 1, 2, "activity")};
  EXPECT_CODE(Ack(f->lock_token, ack), kAlreadyExists);
  EXPECT_EQ(History("a"), (Events{Ev(1, "started:a")}));
  EXPECT_FALSE(FetchWork().has_value());
}

TEST_F(ProviderTest, AckWithEventIdZeroIsInvalidAndAppliesNothing) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(1, "started"), Ev(0, "zero")});
  ack.worker_items = {Work("a", 1, 2, "activity")};
  EXPECT_CODE(Ack(f->lock_token, ack), kInvalidArgument);
  EXPECT_TRUE(History("a").empty());
  EXPECT_TRUE(Instances().empty());
  EXPECT_FALSE(FetchWork().has_value());
}

TEST_F(ProviderTest, FailedAckKeepsTheLockAndTheSameTokenCanRetry) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_CODE(Ack(f->lock_token, MakeAck(1, {Ev(1, "x"), Ev(1, "y")})), kAlreadyExists);
  EXPECT_FALSE(Fetch().has_value());  // still locked
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));
  EXPECT_EQ(History("a"), (Events{Ev(1, "started")}));
  EXPECT_EQ(Depths().orchestrator, 0u);  // the batch was consumed by the good ack
}

TEST_F(ProviderTest, FailedAckLeavesTheBatchQueuedForRedelivery) {
  Enqueue(StartItem("a", "s"));
  Enqueue(OtherItem("a", "e"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_CODE(Ack(f->lock_token, MakeAck(1, {Ev(0, "bad")})), kInvalidArgument);
  ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false));
  auto again = Fetch();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Payloads(again->item.messages), (std::vector<std::string>{"s", "e"}));
  EXPECT_EQ(again->attempt_count, 2u);
}

TEST_F(ProviderTest, SuccessfulAckAppliesEveryPartTogether) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(1, "started"), Ev(2, "scheduled")});
  ack.worker_items = {Work("a", 1, 2, "activity")};
  ack.orchestrator_items = {StartItem("child", "child-start", "Child", "2.0.0")};
  ack.custom_status.emplace("busy");
  ack.kv_changes = {KvSet("k", "v")};
  ASSERT_OK(Ack(f->lock_token, ack));

  EXPECT_EQ(History("a"), (Events{Ev(1, "started"), Ev(2, "scheduled")}));
  EXPECT_EQ(Instances(), (std::vector<std::string>{"a"}));
  auto info = Info("a");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->orchestration_name, kName);
  EXPECT_EQ(info->version, kVersion);
  EXPECT_EQ(info->current_execution_id, 1u);
  EXPECT_EQ(info->status, ExecutionStatus::kRunning);
  auto cs = Custom("a", 0);
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(cs->status, "busy");
  EXPECT_EQ(Kv("a", "k"), "v");
  EXPECT_EQ(Depths().worker, 1u);
  auto child = Fetch();
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(child->item.instance, "child");
  EXPECT_EQ(child->item.orchestration_name, "Child");
}

TEST_F(ProviderTest, ConcurrentAcksWithOneTokenExactlyOneSucceeds) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(1, "started")});
  ack.worker_items = {Work("a", 1, 2, "activity")};
  std::latch go(2);
  Status s1, s2;
  std::thread t1([&] {
    go.arrive_and_wait();
    s1 = provider_->AckOrchestrationItem(f->lock_token, ack);
  });
  std::thread t2([&] {
    go.arrive_and_wait();
    s2 = provider_->AckOrchestrationItem(f->lock_token, ack);
  });
  t1.join();
  t2.join();
  EXPECT_EQ(int{s1.ok()} + int{s2.ok()}, 1) << s1.ToString() << " / " << s2.ToString();
  EXPECT_EQ(History("a"), (Events{Ev(1, "started")}));
  EXPECT_EQ(Depths().worker, 1u);  // enqueued once
}

TEST_F(ProviderTest, AckAfterTheInstanceWasDeletedFailsAndDoesNotResurrectIt) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  Enqueue(OtherItem("a", "ping"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(admin().DeleteInstancesAtomic({"a"}, /*force=*/true));
  Status st = Ack(f->lock_token, MakeAck(1, {Ev(2, "late")}));
  EXPECT_CODE(st, kLockLost);
  EXPECT_TRUE(MentionsLockToken(st)) << st.ToString();
  EXPECT_TRUE(History("a").empty());
  EXPECT_TRUE(Instances().empty());
}

// ===================================================================================
// Instance locking
// ===================================================================================

TEST_F(ProviderTest, FetchLocksTheInstanceAgainstAnotherFetch) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  Enqueue(OtherItem("a", "more"));
  EXPECT_FALSE(Fetch().has_value());  // new messages do not unlock it
}

TEST_F(ProviderTest, FetchHandsOutEveryVisibleMessageOfTheInstanceAsOneBatch) {
  Enqueue(StartItem("a", "s"));
  Enqueue(OtherItem("a", "e1"));
  Enqueue(OtherItem("b", "b-only"));
  Enqueue(OtherItem("a", "e2"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "a");
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"s", "e1", "e2"}));
  for (const auto& m : f->item.messages) EXPECT_EQ(m.instance, "a");
}

TEST_F(ProviderTest, LockTokensAreUniqueAnd32HexDigits) {
  std::set<std::string> tokens;
  for (int i = 0; i < 20; ++i) Enqueue(StartItem("i" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) {
    auto f = Fetch();
    ASSERT_TRUE(f.has_value());
    EXPECT_TRUE(IsHex32(f->lock_token)) << f->lock_token;
    tokens.insert(f->lock_token);
  }
  // A redelivery of the same instance gets a fresh token too.
  Enqueue(StartItem("again"));
  auto first = Fetch();
  ASSERT_TRUE(first.has_value());
  ASSERT_OK(p().AbandonOrchestrationItem(first->lock_token, std::nullopt, false));
  auto second = Fetch();
  ASSERT_TRUE(second.has_value());
  tokens.insert(first->lock_token);
  tokens.insert(second->lock_token);
  EXPECT_EQ(tokens.size(), 22u);
}

TEST_F(ProviderTest, TenConcurrentFetchersGetTenInstancesExactlyOnce) {
  for (int i = 0; i < 10; ++i) Enqueue(StartItem("inst-" + std::to_string(i)));
  std::mutex mu;
  std::vector<std::string> got;
  std::atomic<int> nothing{0}, errors{0};
  std::latch go(10);
  std::vector<std::thread> threads;
  for (int t = 0; t < 10; ++t) {
    threads.emplace_back([&] {
      go.arrive_and_wait();
      auto r = provider_->FetchOrchestrationItem(kLockMs, kNoWait);
      if (!r.ok()) {
        ++errors;
      } else if (!r->has_value()) {
        ++nothing;
      } else {
        std::lock_guard<std::mutex> lock(mu);
        got.push_back((*r)->item.instance);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(nothing.load(), 0) << "None must mean no eligible work, not a lost race";
  std::set<std::string> distinct(got.begin(), got.end());
  EXPECT_EQ(got.size(), 10u);
  EXPECT_EQ(distinct.size(), 10u);
}

TEST_F(ProviderTest, TenConcurrentFetchersDrainAHundredInstancesEachExactlyOnce) {
  constexpr int kThreads = 10, kPerThread = 10;
  for (int i = 0; i < kThreads * kPerThread; ++i) Enqueue(StartItem("inst-" + std::to_string(i)));
  std::mutex mu;
  std::vector<std::string> got;
  std::set<std::string> tokens;
  std::atomic<int> nothing{0}, errors{0};
  std::latch go(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      go.arrive_and_wait();
      for (int i = 0; i < kPerThread; ++i) {
        auto r = provider_->FetchOrchestrationItem(kLockMs, kNoWait);
        if (!r.ok()) {
          ++errors;
        } else if (!r->has_value()) {
          ++nothing;
        } else {
          std::lock_guard<std::mutex> lock(mu);
          got.push_back((*r)->item.instance);
          tokens.insert((*r)->lock_token);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(nothing.load(), 0);
  std::set<std::string> distinct(got.begin(), got.end());
  EXPECT_EQ(got.size(), 100u);
  EXPECT_EQ(distinct.size(), 100u);
  EXPECT_EQ(tokens.size(), 100u);
  EXPECT_FALSE(Fetch().has_value());
}

TEST_F(ProviderTest, MessagesArrivingDuringTheLockFormTheNextBatch) {
  Enqueue(StartItem("a", "start"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"start"}));
  Enqueue(OtherItem("a", "during-1"));
  Enqueue(OtherItem("a", "during-2"));
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));
  EXPECT_EQ(Depths().orchestrator, 2u);  // the ack deleted only the fetched batch
  auto next = Fetch();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->item.instance, "a");
  EXPECT_EQ(Payloads(next->item.messages), (std::vector<std::string>{"during-1", "during-2"}));
  EXPECT_EQ(next->item.history, (Events{Ev(1, "started")}));
  EXPECT_EQ(next->attempt_count, 1u);
}

TEST_F(ProviderTest, AckReleasesTheLock) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  Enqueue(OtherItem("a", "next"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "a");
}

TEST_F(ProviderTest, SecondAckWithTheSameTokenFails) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));
  Status st = Ack(f->lock_token, MakeAck(1, {Ev(2, "again")}));
  EXPECT_CODE(st, kLockLost);
  EXPECT_EQ(History("a"), (Events{Ev(1, "started")}));
}

TEST_F(ProviderTest, AbandonReleasesTheLockAndRedeliversTheBatch) {
  Enqueue(StartItem("a", "s"));
  Enqueue(OtherItem("a", "e"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false));
  auto again = Fetch();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->item.instance, "a");
  EXPECT_EQ(Payloads(again->item.messages), (std::vector<std::string>{"s", "e"}));
  EXPECT_NE(again->lock_token, f->lock_token);
}

TEST_F(ProviderTest, AbandonWithDelayHidesTheBatchUntilTheDelayPasses) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, 1000, false));
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(999);
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(1);
  auto again = Fetch();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->item.instance, "a");
}

TEST_F(ProviderTest, AbandonedTokenCanNoLongerAck) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false));
  EXPECT_CODE(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})), kLockLost);
  EXPECT_CODE(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false), kLockLost);
  EXPECT_TRUE(History("a").empty());
}

// ===================================================================================
// Lock expiry and renewal
// ===================================================================================

TEST_F(ProviderTest, ExpiredLockLetsAnotherFetchTakeTheInstanceAndTheOldAckFails) {
  Enqueue(StartItem("a"));
  auto first = Fetch(1000);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(1001);
  auto second = Fetch();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->item.instance, "a");
  EXPECT_NE(second->lock_token, first->lock_token);
  Status st = Ack(first->lock_token, MakeAck(1, {Ev(1, "stale")}));
  EXPECT_CODE(st, kLockLost);
  EXPECT_TRUE(MentionsLockToken(st)) << st.ToString();
  ASSERT_OK(Ack(second->lock_token, MakeAck(1, {Ev(1, "fresh")})));
  EXPECT_EQ(History("a"), (Events{Ev(1, "fresh")}));
}

TEST_F(ProviderTest, AckAfterLockExpiryFailsEvenWithoutAnotherFetch) {
  Enqueue(StartItem("a"));
  auto f = Fetch(1000);
  ASSERT_TRUE(f.has_value());
  clock_.Advance(1001);
  EXPECT_CODE(Ack(f->lock_token, MakeAck(1, {Ev(1, "late")})), kLockLost);
  EXPECT_TRUE(History("a").empty());
  EXPECT_TRUE(Instances().empty());
}

TEST_F(ProviderTest, LockHoldsUntilTheLockTimeout) {
  Enqueue(StartItem("a"));
  auto f = Fetch(1000);
  ASSERT_TRUE(f.has_value());
  clock_.Advance(999);
  EXPECT_FALSE(Fetch().has_value());
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));
}

TEST_F(ProviderTest, RenewExtendsALiveLock) {
  Enqueue(StartItem("a"));
  auto f = Fetch(1000);
  ASSERT_TRUE(f.has_value());
  clock_.Advance(800);
  ASSERT_OK(p().RenewOrchestrationItemLock(f->lock_token, 1000));
  clock_.Advance(800);  // 1600 ms after the fetch: past the original lock
  EXPECT_FALSE(Fetch().has_value());
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));
  EXPECT_EQ(History("a"), (Events{Ev(1, "started")}));
}

TEST_F(ProviderTest, RenewedLockStillExpiresAtTheNewTime) {
  Enqueue(StartItem("a"));
  auto f = Fetch(1000);
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(p().RenewOrchestrationItemLock(f->lock_token, 2000));
  clock_.Advance(2001);
  auto other = Fetch();
  ASSERT_TRUE(other.has_value());
  EXPECT_CODE(Ack(f->lock_token, MakeAck(1, {Ev(1, "late")})), kLockLost);
}

TEST_F(ProviderTest, RenewOfAnExpiredLockFails) {
  Enqueue(StartItem("a"));
  auto f = Fetch(1000);
  ASSERT_TRUE(f.has_value());
  clock_.Advance(1001);
  Status st = p().RenewOrchestrationItemLock(f->lock_token, 5000);
  EXPECT_CODE(st, kLockLost);
  EXPECT_TRUE(MentionsLockToken(st)) << st.ToString();
  EXPECT_TRUE(Fetch().has_value());  // not revived
}

TEST_F(ProviderTest, RenewWithAnUnknownTokenFails) {
  EXPECT_CODE(p().RenewOrchestrationItemLock(kUnknownToken, 1000), kLockLost);
}

TEST_F(ProviderTest, RefetchAfterExpiryIncludesMessagesThatArrivedDuringTheStaleLock) {
  Enqueue(StartItem("a", "start"));
  auto first = Fetch(1000);
  ASSERT_TRUE(first.has_value());
  Enqueue(OtherItem("a", "during"));
  clock_.Advance(1001);
  auto second = Fetch();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(Payloads(second->item.messages), (std::vector<std::string>{"start", "during"}));
  EXPECT_EQ(second->attempt_count, 2u);  // the max: "start" is on its second delivery
  ASSERT_OK(Ack(second->lock_token, MakeAck(1, {Ev(1, "started")})));
  EXPECT_EQ(Depths().orchestrator, 0u);
}

// ===================================================================================
// Queue FIFO, batching order, delays and timers
// ===================================================================================

TEST_F(ProviderTest, BatchMessagesKeepEnqueueOrder) {
  Enqueue(StartItem("a", "m0"));
  for (int i = 1; i < 8; ++i) Enqueue(OtherItem("a", "m" + std::to_string(i)));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  std::vector<std::string> expected;
  for (int i = 0; i < 8; ++i) expected.push_back("m" + std::to_string(i));
  EXPECT_EQ(Payloads(f->item.messages), expected);
}

TEST_F(ProviderTest, InstancesAreFetchedOldestMessageFirst) {
  Enqueue(StartItem("c"));
  Enqueue(StartItem("a"));
  Enqueue(StartItem("b"));
  Enqueue(OtherItem("c", "later-for-c"));
  std::vector<std::string> order;
  for (int i = 0; i < 3; ++i) {
    auto f = Fetch();
    ASSERT_TRUE(f.has_value());
    order.push_back(f->item.instance);
  }
  EXPECT_EQ(order, (std::vector<std::string>{"c", "a", "b"}));
}

TEST_F(ProviderTest, MessageFieldsRoundTrip) {
  OrchestratorItem start = StartItem("a", "s", "Name", "2.1.0");
  OrchestratorItem timer = OtherItem("a", "t", Now());
  Enqueue(start);
  Enqueue(QueueItem("a", "q"));
  Enqueue(timer);
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_EQ(f->item.messages.size(), 3u);
  EXPECT_EQ(f->item.messages[0], start);
  EXPECT_EQ(f->item.messages[1].kind, Kind::kQueueMessage);
  EXPECT_EQ(f->item.messages[1].payload, "q");
  EXPECT_EQ(f->item.messages[2].kind, Kind::kOther);
  EXPECT_EQ(f->item.messages[2].payload, "t");
  EXPECT_EQ(f->item.messages[2].visible_at_ms, timer.visible_at_ms);
}

TEST_F(ProviderTest, DelayedMessageIsInvisibleUntilTheDelayPasses) {
  Enqueue(StartItem("a"), 5000);
  EXPECT_FALSE(Fetch().has_value());
  EXPECT_EQ(Depths().orchestrator, 1u);  // delayed messages are unlocked messages
  clock_.Advance(4999);
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(1);
  EXPECT_TRUE(Fetch().has_value());
}

TEST_F(ProviderTest, TimerMessageIsVisibleAtItsFireTime) {
  Enqueue(OtherItem("a", "timer", Now() + 3000));
  Enqueue(StartItem("b"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "b");
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(3000);
  Enqueue(StartItem("a", "start-a"));  // the timer's instance gets a start to be fetchable
  auto timer = Fetch();
  ASSERT_TRUE(timer.has_value());
  EXPECT_EQ(timer->item.instance, "a");
  EXPECT_EQ(Payloads(timer->item.messages), (std::vector<std::string>{"timer", "start-a"}));
}

TEST_F(ProviderTest, VisibleAtIsTheLaterOfDelayAndFireTime) {
  Enqueue(StartItem("a", "delayed"), 1000);
  OrchestratorItem timer = StartItem("b");
  timer.visible_at_ms = Now() + 3000;
  Enqueue(timer, 1000);  // fire time wins over the shorter delay
  OrchestratorItem past = StartItem("c");
  past.visible_at_ms = Now() - 1000;
  Enqueue(past, 2000);  // delay wins over a past fire time
  clock_.Advance(1000);
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "a");
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(1000);
  f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "c");
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(1000);
  f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "b");
}

TEST_F(ProviderTest, TimerEnqueuedByAnAckBecomesVisibleAtItsFireTime) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(1, "started"), Ev(2, "timer-created")});
  ack.orchestrator_items = {OtherItem("a", "timer-fired", Now() + 5000)};
  ASSERT_OK(Ack(f->lock_token, ack));
  EXPECT_FALSE(Fetch().has_value());
  EXPECT_EQ(Depths().orchestrator, 1u);
  clock_.Advance(4999);
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(1);
  auto fired = Fetch();
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(Payloads(fired->item.messages), (std::vector<std::string>{"timer-fired"}));
}

TEST_F(ProviderTest, FutureTimerIsNotPartOfTheBatchAndKeepsItsTimeAcrossAbandon) {
  Enqueue(StartItem("a", "start"));
  Enqueue(OtherItem("a", "timer", Now() + 10'000));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"start"}));
  ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false));
  auto again = Fetch();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Payloads(again->item.messages), (std::vector<std::string>{"start"}));
  ASSERT_OK(Ack(again->lock_token, MakeAck(1, {Ev(1, "started")})));
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(10'000);
  auto timer = Fetch();
  ASSERT_TRUE(timer.has_value());
  EXPECT_EQ(Payloads(timer->item.messages), (std::vector<std::string>{"timer"}));
}

TEST_F(ProviderTest, AckRoutesSubOrchestrationCompletionToTheParent) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("parent"));
  Enqueue(OtherItem("parent", "spawn"));
  auto pf = Fetch();
  ASSERT_TRUE(pf.has_value());
  OrchestrationAck spawn = MakeAck(1, {Ev(2, "sub-orchestration-scheduled")});
  spawn.orchestrator_items = {StartItem("parent::sub::2", "child-input", "Child", "1.0.0")};
  ASSERT_OK(Ack(pf->lock_token, spawn));

  auto cf = Fetch();
  ASSERT_TRUE(cf.has_value());
  EXPECT_EQ(cf->item.instance, "parent::sub::2");
  EXPECT_EQ(cf->item.orchestration_name, "Child");
  OrchestrationAck done = MakeAck(1, {Ev(1, "child-started"), Ev(2, "child-completed")}, "Child");
  done.metadata.parent_instance = "parent";
  done.metadata.status = ExecutionStatus::kCompleted;
  done.metadata.output = "42";
  done.orchestrator_items = {OtherItem("parent", "sub-orchestration-completed:42")};
  ASSERT_OK(Ack(cf->lock_token, done));

  auto back = Fetch();
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->item.instance, "parent");
  EXPECT_EQ(Payloads(back->item.messages),
            (std::vector<std::string>{"sub-orchestration-completed:42"}));
  auto children = admin().ListChildren("parent");
  ASSERT_TRUE(children.ok()) << children.status().ToString();
  EXPECT_EQ(*children, (std::vector<std::string>{"parent::sub::2"}));
}

TEST_F(ProviderTest, WorkerItemsAreFetchedInInsertionOrder) {
  for (int i = 1; i <= 5; ++i) EnqueueWork(Work("a", 1, i, "w" + std::to_string(i)));
  EXPECT_EQ(DrainWork(Tags(Mode::kDefaultOnly)),
            (std::vector<std::string>{"w1", "w2", "w3", "w4", "w5"}));
}

TEST_F(ProviderTest, WorkerItemFieldsRoundTrip) {
  WorkerItem w = Work("inst", 3, 7, "payload", "session-1", "gpu");
  EnqueueWork(w);
  auto f = FetchWork(Session("owner"), Tags(Mode::kAny));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item, w);
  EXPECT_EQ(f->attempt_count, 1u);
  EXPECT_TRUE(IsHex32(f->lock_token)) << f->lock_token;
}

TEST_F(ProviderTest, EnqueueForOrchestratorRejectsActivityExecute) {
  OrchestratorItem m = OtherItem("a", "activity");
  m.kind = Kind::kActivityExecute;
  Status st = p().EnqueueForOrchestrator(m);
  EXPECT_CODE(st, kInvalidArgument);
  EXPECT_FALSE(st.retryable());
  EXPECT_EQ(Depths().orchestrator, 0u);
}

// ===================================================================================
// Multi-execution (continue-as-new)
// ===================================================================================

TEST_F(ProviderTest, ContinueAsNewThenAckOfExecution2MakesItCurrent) {
  Enqueue(StartItem("c", "input-0"));
  auto f1 = Fetch();
  ASSERT_TRUE(f1.has_value());
  OrchestrationAck ack1 = MakeAck(1, {Ev(1, "started-1"), Ev(2, "continued-as-new")});
  ack1.metadata.status = ExecutionStatus::kContinuedAsNew;
  ack1.metadata.output = "input-1";
  ack1.orchestrator_items = {ContinueItem("c", "input-1")};
  ASSERT_OK(Ack(f1->lock_token, ack1));

  auto f2 = Fetch();
  ASSERT_TRUE(f2.has_value());
  EXPECT_EQ(f2->item.instance, "c");
  EXPECT_EQ(f2->item.execution_id, 1u);  // still the current execution until an ack says 2
  ASSERT_EQ(f2->item.messages.size(), 1u);
  EXPECT_EQ(f2->item.messages[0].kind, Kind::kContinueAsNew);
  EXPECT_EQ(f2->item.messages[0].payload, "input-1");
  ASSERT_OK(Ack(f2->lock_token, MakeAck(2, {Ev(1, "started-2")})));

  EXPECT_EQ(History("c"), (Events{Ev(1, "started-2")}));
  EXPECT_EQ(History("c", 1), (Events{Ev(1, "started-1"), Ev(2, "continued-as-new")}));
  EXPECT_EQ(History("c", 2), (Events{Ev(1, "started-2")}));
  auto latest = admin().LatestExecutionId("c");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, 2u);
  auto execs = admin().ListExecutions("c");
  ASSERT_TRUE(execs.ok()) << execs.status().ToString();
  EXPECT_EQ(*execs, (std::vector<uint64_t>{1, 2}));
  auto info = Info("c");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->current_execution_id, 2u);
  EXPECT_EQ(info->status, ExecutionStatus::kRunning);
  auto e1 = admin().GetExecutionInfo("c", 1);
  ASSERT_TRUE(e1.ok()) << e1.status().ToString();
  EXPECT_EQ(e1->status, ExecutionStatus::kContinuedAsNew);
  EXPECT_EQ(e1->output, "input-1");

  Enqueue(OtherItem("c", "ping"));
  auto f3 = Fetch();
  ASSERT_TRUE(f3.has_value());
  EXPECT_EQ(f3->item.execution_id, 2u);
  EXPECT_EQ(f3->item.history, (Events{Ev(1, "started-2")}));
}

TEST_F(ProviderTest, EventIdsRestartPerExecution) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("c"));
  OrchestrationAck can = MakeAck(1, {Ev(2, "can")});
  can.metadata.status = ExecutionStatus::kContinuedAsNew;
  RunTurn("c", can);
  // Event ids 1 and 2 are free again in execution 2.
  RunTurn("c", MakeAck(2, {Ev(1, "started-2"), Ev(2, "second-2")}));
  EXPECT_EQ(History("c", 1), (Events{Ev(1, "started:c"), Ev(2, "can")}));
  EXPECT_EQ(History("c", 2), (Events{Ev(1, "started-2"), Ev(2, "second-2")}));
}

TEST_F(ProviderTest, CurrentExecutionNeverMovesBackwards) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(Ack(f->lock_token, MakeAck(2, {Ev(1, "exec-2")})));
  RunTurn("a", MakeAck(1, {Ev(1, "exec-1")}));
  auto latest = admin().LatestExecutionId("a");
  ASSERT_TRUE(latest.ok()) << latest.status().ToString();
  EXPECT_EQ(*latest, 2u);
  EXPECT_EQ(History("a"), (Events{Ev(1, "exec-2")}));
  EXPECT_EQ(History("a", 1), (Events{Ev(1, "exec-1")}));
}

TEST_F(ProviderTest, ExecutionStatusOutputAndTimesAreStored) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  const int64_t started = Now();
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));
  clock_.Advance(500);
  const int64_t completed = Now();
  OrchestrationAck done = MakeAck(1, {Ev(2, "completed")});
  done.metadata.status = ExecutionStatus::kCompleted;
  done.metadata.output = "result";
  RunTurn("a", done);

  auto e = admin().GetExecutionInfo("a", 1);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->status, ExecutionStatus::kCompleted);
  EXPECT_EQ(e->output, "result");
  EXPECT_EQ(e->started_at_ms, started);
  EXPECT_EQ(e->completed_at_ms, completed);
  EXPECT_EQ(e->event_count, 2u);
  auto info = Info("a");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, ExecutionStatus::kCompleted);
  EXPECT_EQ(info->output, "result");
  EXPECT_EQ(info->created_at_ms, started);
}

TEST_F(ProviderTest, FailedStatusIsStoredWithItsOutput) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck failed = MakeAck(1, {Ev(2, "failed")});
  failed.metadata.status = ExecutionStatus::kFailed;
  failed.metadata.output = "boom";
  RunTurn("a", failed);
  auto info = Info("a");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, ExecutionStatus::kFailed);
  EXPECT_EQ(info->output, "boom");
  auto failed_list = admin().ListInstancesByStatus(ExecutionStatus::kFailed);
  ASSERT_TRUE(failed_list.ok()) << failed_list.status().ToString();
  EXPECT_EQ(*failed_list, (std::vector<std::string>{"a"}));
}

TEST_F(ProviderTest, AppendWithExecutionAppendsAndNeverOverwrites) {
  ASSERT_OK(p().AppendWithExecution("x", 1, {Ev(1, "one"), Ev(2, "two")}));
  EXPECT_CODE(p().AppendWithExecution("x", 1, {Ev(2, "overwrite")}), kAlreadyExists);
  EXPECT_CODE(p().AppendWithExecution("x", 1, {Ev(3, "a"), Ev(3, "b")}), kAlreadyExists);
  EXPECT_CODE(p().AppendWithExecution("x", 1, {Ev(0, "zero")}), kInvalidArgument);
  ASSERT_OK(p().AppendWithExecution("x", 1, {Ev(3, "three")}));
  EXPECT_EQ(History("x", 1), (Events{Ev(1, "one"), Ev(2, "two"), Ev(3, "three")}));
  EXPECT_TRUE(Instances().empty());  // history alone is not an instance record
}

TEST_F(ProviderTest, ReadOfAnUnknownInstanceIsEmpty) {
  auto r = p().Read("never-seen");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
}

TEST_F(ProviderTest, HistoryIsReturnedInEventOrderAcrossAcks) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  Events expected{Ev(1, "started:a")};
  for (uint64_t id = 2; id <= 10; id += 2) {
    RunTurn("a", MakeAck(1, {Ev(id, "e" + std::to_string(id)),
                             Ev(id + 1, "e" + std::to_string(id + 1))}));
    expected.push_back(Ev(id, "e" + std::to_string(id)));
    expected.push_back(Ev(id + 1, "e" + std::to_string(id + 1)));
  }
  EXPECT_EQ(History("a"), expected);
  Enqueue(OtherItem("a", "ping"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.history, expected);
}

// ===================================================================================
// Instance creation only via ack
// ===================================================================================

TEST_F(ProviderTest, EnqueueAndFetchAloneCreateNoInstance) {
  Enqueue(StartItem("a"));
  EXPECT_TRUE(Instances().empty());
  EXPECT_CODE(admin().GetInstanceInfo("a"), kNotFound);
  EXPECT_CODE(admin().LatestExecutionId("a"), kNotFound);
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_TRUE(Instances().empty());
  EXPECT_CODE(admin().GetInstanceInfo("a"), kNotFound);
  auto metrics = admin().GetSystemMetrics();
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(metrics->total_instances, 0u);
  EXPECT_EQ(metrics->total_executions, 0u);
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));
  EXPECT_EQ(Instances(), (std::vector<std::string>{"a"}));
}

TEST_F(ProviderTest, AckWithNameAndVersionCreatesTheInstanceRecord) {
  Enqueue(StartItem("a", "s", "Greeter", "3.2.1"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")}, "Greeter", "3.2.1")));
  auto info = Info("a");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->instance, "a");
  EXPECT_EQ(info->orchestration_name, "Greeter");
  EXPECT_EQ(info->version, "3.2.1");
  EXPECT_EQ(info->current_execution_id, 1u);
  EXPECT_FALSE(info->parent_instance.has_value());
  auto parent = admin().GetParentId("a");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  EXPECT_FALSE(parent->has_value());
  // The next fetch takes name and version from the record.
  Enqueue(OtherItem("a", "ping"));
  auto next = Fetch();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->item.orchestration_name, "Greeter");
  EXPECT_EQ(next->item.version, "3.2.1");
}

TEST_F(ProviderTest, AckWithoutNameAndVersionCreatesExecutionButNoInstance) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack;
  ack.execution_id = 1;
  ack.history_delta = {Ev(1, "started")};
  ASSERT_OK(Ack(f->lock_token, ack));
  EXPECT_TRUE(Instances().empty());
  EXPECT_CODE(admin().GetInstanceInfo("a"), kNotFound);
  EXPECT_EQ(History("a"), (Events{Ev(1, "started")}));
  auto e = admin().GetExecutionInfo("a", 1);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(e->status, ExecutionStatus::kRunning);
  EXPECT_EQ(e->event_count, 1u);
}

TEST_F(ProviderTest, InstanceWithoutARecordCanStillBeFetched) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack;
  ack.execution_id = 1;
  ack.history_delta = {Ev(1, "started")};
  ASSERT_OK(Ack(f->lock_token, ack));
  Enqueue(OtherItem("a", "activity-completed"));
  auto next = Fetch();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->item.instance, "a");
  EXPECT_EQ(next->item.execution_id, 1u);
  EXPECT_EQ(next->item.history, (Events{Ev(1, "started")}));
  EXPECT_EQ(Payloads(next->item.messages), (std::vector<std::string>{"activity-completed"}));
}

TEST_F(ProviderTest, BrandNewInstanceReportsExecution1AndTheStartNameAndVersion) {
  Enqueue(StartItem("new", "input", "Billing", "4.5.6"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "new");
  EXPECT_EQ(f->item.orchestration_name, "Billing");
  EXPECT_EQ(f->item.version, "4.5.6");
  EXPECT_EQ(f->item.execution_id, 1u);
  EXPECT_TRUE(f->item.history.empty());
  EXPECT_TRUE(f->item.kv_snapshot.empty());
  EXPECT_FALSE(f->item.history_error.has_value());
  EXPECT_EQ(f->attempt_count, 1u);
}

TEST_F(ProviderTest, BrandNewInstanceWithAnEmptyVersionReportsUnknown) {
  Enqueue(StartItem("new", "input", "Billing", ""));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.orchestration_name, "Billing");
  EXPECT_EQ(f->item.version, "unknown");
}

TEST_F(ProviderTest, QueueMessagesAloneForAnUnknownInstanceAreDiscarded) {
  Enqueue(QueueItem("ghost", "q1"));
  Enqueue(QueueItem("ghost", "q2"));
  EXPECT_FALSE(Fetch().has_value());
  EXPECT_EQ(Depths().orchestrator, 0u);  // gone, not just skipped
  Enqueue(StartItem("ghost", "start"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"start"}));
}

TEST_F(ProviderTest, DiscardedQueueMessagesDoNotHideOtherWork) {
  Enqueue(QueueItem("ghost", "q1"));
  Enqueue(StartItem("real"));
  auto f = Fetch();  // "None must mean no eligible work"
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "real");
}

TEST_F(ProviderTest, QueueMessageForAnExistingInstanceIsDelivered) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  Enqueue(QueueItem("a", "q"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "a");
  ASSERT_EQ(f->item.messages.size(), 1u);
  EXPECT_EQ(f->item.messages[0].kind, Kind::kQueueMessage);
}

TEST_F(ProviderTest, QueueMessageForAnInstanceWithHistoryButNoRecordIsDelivered) {
  ASSERT_OK(p().AppendWithExecution("h", 1, {Ev(1, "started")}));
  Enqueue(QueueItem("h", "q"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "h");
  EXPECT_EQ(f->item.history, (Events{Ev(1, "started")}));
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"q"}));
}

// Six events of 15 MiB: the event log cuts a read page at 64 MiB, so paging by "fewer
// than max_count events" stopped after four and returned a truncated history with OK.
TEST_F(ProviderTest, HistoryLargerThanOneReadPageComesBackWhole) {
  constexpr size_t kEventBytes = 15u << 20;
  Events big;
  for (uint64_t id = 1; id <= 6; ++id) big.push_back(Ev(id, std::string(kEventBytes, 'a' + id)));
  ASSERT_OK(p().AppendWithExecution("big", 1, big));
  auto expect_whole = [&](const Events& got, const char* via) {
    ASSERT_EQ(got.size(), big.size()) << via;
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].event_id, big[i].event_id) << via;
      EXPECT_TRUE(got[i].payload == big[i].payload) << via << ": event " << i + 1 << " differs";
    }
  };
  expect_whole(History("big"), "Read");
  expect_whole(History("big", 1), "ReadWithExecution");
  Enqueue(QueueItem("big", "q"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  expect_whole(f->item.history, "FetchOrchestrationItem");
}

TEST_F(ProviderTest, QueueMessageNextToAStartMessageIsDelivered) {
  Enqueue(QueueItem("n", "q"));
  Enqueue(StartItem("n", "s", "Named", "1.0.0"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.orchestration_name, "Named");
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"q", "s"}));
}

TEST_F(ProviderTest, ParentIsSetOnceAndChildrenAreListed) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("p1"));
  ASSERT_NO_FATAL_FAILURE(StartInstance("p2"));
  Enqueue(StartItem("child"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck first = MakeAck(1, {Ev(1, "started")});
  first.metadata.parent_instance = "p1";
  ASSERT_OK(Ack(f->lock_token, first));
  OrchestrationAck second = MakeAck(1, {Ev(2, "more")});
  second.metadata.parent_instance = "p2";
  RunTurn("child", second);

  auto parent = admin().GetParentId("child");
  ASSERT_TRUE(parent.ok()) << parent.status().ToString();
  EXPECT_EQ(*parent, "p1");
  auto info = Info("child");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->parent_instance, "p1");
  auto c1 = admin().ListChildren("p1");
  ASSERT_TRUE(c1.ok()) << c1.status().ToString();
  EXPECT_EQ(*c1, (std::vector<std::string>{"child"}));
  auto c2 = admin().ListChildren("p2");
  ASSERT_TRUE(c2.ok()) << c2.status().ToString();
  EXPECT_TRUE(c2->empty());
}

TEST_F(ProviderTest, InstancesAreListedNewestFirst) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  clock_.Advance(10);
  ASSERT_NO_FATAL_FAILURE(StartInstance("b"));
  clock_.Advance(10);
  ASSERT_NO_FATAL_FAILURE(StartInstance("c"));
  EXPECT_EQ(Instances(), (std::vector<std::string>{"c", "b", "a"}));
}

// ===================================================================================
// Cancellation of activities
// ===================================================================================

TEST_F(ProviderTest, ActivityScheduledAndCancelledInTheSameAckIsAbsent) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(1, "started")});
  ack.worker_items = {Work("a", 1, 2, "act-2"), Work("a", 1, 3, "act-3"), Work("a", 1, 4, "act-4")};
  ack.cancelled_activities = {ActivityId{"a", 1, 3}};
  ASSERT_OK(Ack(f->lock_token, ack));
  EXPECT_EQ(Depths().worker, 2u);
  EXPECT_EQ(DrainWork(Tags(Mode::kDefaultOnly)), (std::vector<std::string>{"act-2", "act-4"}));
}

TEST_F(ProviderTest, CancellingAnUnknownActivityIsNotAnError) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(1, "started")});
  ack.cancelled_activities = {ActivityId{"a", 1, 99}, ActivityId{"nobody", 7, 1}};
  ASSERT_OK(Ack(f->lock_token, ack));
  EXPECT_EQ(History("a"), (Events{Ev(1, "started")}));
}

TEST_F(ProviderTest, WorkerHoldingACancelledActivityGetsLockLostOnAck) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck ack = MakeAck(1, {Ev(1, "started"), Ev(2, "scheduled")});
  ack.worker_items = {Work("a", 1, 2, "act-2")};
  ASSERT_OK(Ack(f->lock_token, ack));
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());

  OrchestrationAck cancel = MakeAck(1, {Ev(3, "cancel-requested")});
  cancel.cancelled_activities = {ActivityId{"a", 1, 2}};
  RunTurn("a", cancel);

  Status st = p().AckWorkItem(w->lock_token, OtherItem("a", "activity-completed"));
  EXPECT_CODE(st, kLockLost);
  EXPECT_TRUE(MentionsLockToken(st)) << st.ToString();
  EXPECT_FALSE(st.retryable());
  EXPECT_EQ(Depths().orchestrator, 0u);  // the completion was not enqueued
  EXPECT_EQ(Depths().worker, 0u);
}

TEST_F(ProviderTest, WorkerHoldingACancelledActivityGetsLockLostOnRenew) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  EnqueueWork(Work("a", 1, 2, "act-2"));
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  OrchestrationAck cancel = MakeAck(1, {Ev(2, "cancel")});
  cancel.cancelled_activities = {ActivityId{"a", 1, 2}};
  RunTurn("a", cancel);
  EXPECT_CODE(p().RenewWorkItemLock(w->lock_token, 10'000), kLockLost);
}

TEST_F(ProviderTest, CancellationMatchesTheExactActivityIdentity) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  EnqueueWork(Work("a", 1, 5, "a-1-5"));
  EnqueueWork(Work("a", 2, 5, "a-2-5"));
  EnqueueWork(Work("b", 1, 5, "b-1-5"));
  EnqueueWork(Work("ab", 1, 5, "ab-1-5"));
  EnqueueWork(Work("a", 1, 6, "a-1-6"));
  OrchestrationAck cancel = MakeAck(1, {Ev(2, "cancel")});
  cancel.cancelled_activities = {ActivityId{"a", 1, 5}};
  RunTurn("a", cancel);
  EXPECT_EQ(DrainWork(Tags(Mode::kDefaultOnly)),
            (std::vector<std::string>{"a-2-5", "b-1-5", "ab-1-5", "a-1-6"}));
}

TEST_F(ProviderTest, CancellationReachesSessionAndTaggedActivities) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  EnqueueWork(Work("a", 1, 2, "in-session", "s1"));
  EnqueueWork(Work("a", 1, 3, "tagged", std::nullopt, "gpu"));
  OrchestrationAck cancel = MakeAck(1, {Ev(2, "cancel")});
  cancel.cancelled_activities = {ActivityId{"a", 1, 2}, ActivityId{"a", 1, 3}};
  RunTurn("a", cancel);
  EXPECT_EQ(Depths().worker, 0u);
  EXPECT_FALSE(FetchWork(Session("owner"), Tags(Mode::kAny)).has_value());
}

// ===================================================================================
// Worker items: ack, renew, abandon
// ===================================================================================

TEST_F(ProviderTest, AckWorkItemDeletesItAndEnqueuesTheCompletion) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  EnqueueWork(Work("a", 1, 2, "act"));
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(Depths().orchestrator, 0u);
  ASSERT_OK(p().AckWorkItem(w->lock_token, OtherItem("a", "activity-completed:2")));
  EXPECT_EQ(Depths().worker, 0u);
  EXPECT_FALSE(FetchWork().has_value());
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "a");
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"activity-completed:2"}));
}

TEST_F(ProviderTest, AckWorkItemWithoutCompletionOnlyDeletes) {
  EnqueueWork(Work("a", 1, 2, "act"));
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  ASSERT_OK(p().AckWorkItem(w->lock_token, std::nullopt));
  EXPECT_EQ(Depths().worker, 0u);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_CODE(p().AckWorkItem(w->lock_token, std::nullopt), kLockLost);  // already gone
}

TEST_F(ProviderTest, LockedWorkItemIsNotHandedOutTwice) {
  EnqueueWork(Work("a", 1, 1, "w1"));
  EnqueueWork(Work("a", 1, 2, "w2"));
  auto first = FetchWork();
  auto second = FetchWork();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->item.payload, "w1");
  EXPECT_EQ(second->item.payload, "w2");
  EXPECT_NE(first->lock_token, second->lock_token);
  EXPECT_FALSE(FetchWork().has_value());
}

TEST_F(ProviderTest, ExpiredWorkLockLetsTheItemBeRefetchedAndTheOldAckFails) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  EnqueueWork(Work("a", 1, 2, "act"));
  auto w1 = FetchWork(std::nullopt, {}, 1000);
  ASSERT_TRUE(w1.has_value());
  EXPECT_FALSE(FetchWork().has_value());
  clock_.Advance(1001);
  auto w2 = FetchWork();
  ASSERT_TRUE(w2.has_value());
  EXPECT_EQ(w2->item.payload, "act");
  EXPECT_EQ(w2->attempt_count, 2u);
  EXPECT_CODE(p().AckWorkItem(w1->lock_token, OtherItem("a", "stale")), kLockLost);
  EXPECT_EQ(Depths().orchestrator, 0u);
  ASSERT_OK(p().AckWorkItem(w2->lock_token, OtherItem("a", "fresh")));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"fresh"}));
}

TEST_F(ProviderTest, RenewWorkItemLockExtendsIt) {
  EnqueueWork(Work("a", 1, 2, "act"));
  auto w = FetchWork(std::nullopt, {}, 1000);
  ASSERT_TRUE(w.has_value());
  clock_.Advance(800);
  ASSERT_OK(p().RenewWorkItemLock(w->lock_token, 1000));
  clock_.Advance(800);
  EXPECT_FALSE(FetchWork().has_value());
  ASSERT_OK(p().AckWorkItem(w->lock_token, std::nullopt));
}

TEST_F(ProviderTest, RenewOfAnExpiredWorkLockFails) {
  EnqueueWork(Work("a", 1, 2, "act"));
  auto w = FetchWork(std::nullopt, {}, 1000);
  ASSERT_TRUE(w.has_value());
  clock_.Advance(1001);
  Status st = p().RenewWorkItemLock(w->lock_token, 1000);
  EXPECT_CODE(st, kLockLost);
  EXPECT_FALSE(st.retryable());
}

TEST_F(ProviderTest, AbandonWorkItemWithDelayHidesItUntilTheDelayPasses) {
  EnqueueWork(Work("a", 1, 2, "act"));
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  ASSERT_OK(p().AbandonWorkItem(w->lock_token, 2000, false));
  EXPECT_FALSE(FetchWork().has_value());
  clock_.Advance(1999);
  EXPECT_FALSE(FetchWork().has_value());
  clock_.Advance(1);
  auto again = FetchWork();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->item.payload, "act");
  EXPECT_EQ(again->attempt_count, 2u);
}

TEST_F(ProviderTest, WorkAttemptCountIncrementsAndIgnoreAttemptUndoesIt) {
  EnqueueWork(Work("a", 1, 2, "act"));
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->attempt_count, 1u);
  ASSERT_OK(p().AbandonWorkItem(w->lock_token, std::nullopt, false));
  w = FetchWork();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->attempt_count, 2u);
  ASSERT_OK(p().AbandonWorkItem(w->lock_token, std::nullopt, true));
  w = FetchWork();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->attempt_count, 2u);
  EXPECT_CODE(p().AbandonWorkItem(kUnknownToken, std::nullopt, false), kLockLost);
}

// ===================================================================================
// Version filtering
// ===================================================================================

TEST_F(ProviderTest, FilterSkipsAPinnedVersionOutsideTheRangeWithoutLockingOrCounting) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a", "1.0.0"));
  Enqueue(OtherItem("a", "ping"));
  EXPECT_FALSE(Fetch(kLockMs, Range("2.0.0", "3.0.0")).has_value());
  auto max_attempts = admin().MaxOrchestratorAttemptCount("a");
  ASSERT_TRUE(max_attempts.ok()) << max_attempts.status().ToString();
  EXPECT_EQ(*max_attempts, 0u);                      // not counted
  auto f = Fetch(kLockMs, Range("1.0.0", "1.5.0"));  // not locked either
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "a");
  EXPECT_EQ(f->attempt_count, 1u);
}

TEST_F(ProviderTest, UnpinnedExecutionPassesAnyFilter) {
  Enqueue(StartItem("new"));  // no execution yet
  auto f = Fetch(kLockMs, Range("5.0.0", "6.0.0"));
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));  // no pinned version
  Enqueue(OtherItem("new", "ping"));
  EXPECT_TRUE(Fetch(kLockMs, Range("9.0.0", "9.9.9")).has_value());
}

TEST_F(ProviderTest, OnlyTheFirstRangeOfAFilterIsUsed) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a", "1.0.0"));
  Enqueue(OtherItem("a", "ping"));
  VersionFilter filter{VersionRange{"2.0.0", "3.0.0"}, VersionRange{"1.0.0", "1.5.0"}};
  EXPECT_FALSE(Fetch(kLockMs, filter).has_value());
  VersionFilter reversed{VersionRange{"1.0.0", "1.5.0"}, VersionRange{"2.0.0", "3.0.0"}};
  EXPECT_TRUE(Fetch(kLockMs, reversed).has_value());
}

TEST_F(ProviderTest, EmptyFilterReturnsNothing) {
  Enqueue(StartItem("a"));
  EXPECT_FALSE(Fetch(kLockMs, VersionFilter{}).has_value());
  auto f = Fetch();  // untouched by the empty-filter fetch
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->attempt_count, 1u);
}

TEST_F(ProviderTest, FilterBoundsAreInclusive) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a", "1.2.3"));
  Enqueue(OtherItem("a", "ping"));
  EXPECT_FALSE(Fetch(kLockMs, Range("1.2.4", "2.0.0")).has_value());
  EXPECT_FALSE(Fetch(kLockMs, Range("1.0.0", "1.2.2")).has_value());
  auto f = Fetch(kLockMs, Range("1.2.3", "1.2.3"));
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, true));
  EXPECT_TRUE(Fetch(kLockMs, Range("1.0.0", "1.2.3")).has_value());
}

TEST_F(ProviderTest, FilterComparesVersionsNumerically) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a", "1.10.0"));
  Enqueue(OtherItem("a", "ping"));
  EXPECT_FALSE(Fetch(kLockMs, Range("1.2.0", "1.9.0")).has_value());
  EXPECT_TRUE(Fetch(kLockMs, Range("1.9.0", "1.20.0")).has_value());
}

TEST_F(ProviderTest, FilteredOutInstanceIsPassedOverForAnEligibleOne) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("old", "1.0.0"));
  ASSERT_NO_FATAL_FAILURE(StartInstance("new", "2.0.0"));
  Enqueue(OtherItem("old", "ping-old"));  // older message first
  Enqueue(OtherItem("new", "ping-new"));
  auto f = Fetch(kLockMs, Range("2.0.0", "2.9.9"));
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "new");
  EXPECT_FALSE(Fetch(kLockMs, Range("2.0.0", "2.9.9")).has_value());
  auto old = Fetch(kLockMs, Range("1.0.0", "1.0.0"));
  ASSERT_TRUE(old.has_value());
  EXPECT_EQ(old->item.instance, "old");
  EXPECT_EQ(old->attempt_count, 1u);
}

TEST_F(ProviderTest, PinnedVersionIsOverwrittenWhenGivenAndKeptWhenAbsent) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a", "1.0.0"));
  Enqueue(OtherItem("a", "ping-1"));
  auto f = Fetch(kLockMs, Range("1.0.0", "1.0.0"));
  ASSERT_TRUE(f.has_value());
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(2, "no-pin")})));  // pinned version absent
  Enqueue(OtherItem("a", "ping-2"));
  f = Fetch(kLockMs, Range("1.0.0", "1.0.0"));
  ASSERT_TRUE(f.has_value());  // still pinned to 1.0.0
  OrchestrationAck repin = MakeAck(1, {Ev(3, "repin")});
  repin.metadata.pinned_version = "2.0.0";
  ASSERT_OK(Ack(f->lock_token, repin));
  Enqueue(OtherItem("a", "ping-3"));
  EXPECT_FALSE(Fetch(kLockMs, Range("1.0.0", "1.0.0")).has_value());
  EXPECT_TRUE(Fetch(kLockMs, Range("2.0.0", "2.0.0")).has_value());
}

TEST_F(ProviderTest, FilterUsesThePinOfTheCurrentExecution) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a", "1.0.0"));
  OrchestrationAck can = MakeAck(1, {Ev(2, "can")});
  can.metadata.status = ExecutionStatus::kContinuedAsNew;
  can.orchestrator_items = {ContinueItem("a", "next")};
  RunTurn("a", can);
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck exec2 = MakeAck(2, {Ev(1, "started-2")});
  exec2.metadata.pinned_version = "2.0.0";
  ASSERT_OK(Ack(f->lock_token, exec2));
  Enqueue(OtherItem("a", "ping"));
  EXPECT_FALSE(Fetch(kLockMs, Range("1.0.0", "1.0.0")).has_value());
  EXPECT_TRUE(Fetch(kLockMs, Range("2.0.0", "2.0.0")).has_value());
}

// ===================================================================================
// Attempt counting and poison detection
// ===================================================================================

TEST_F(ProviderTest, RepeatedAbandonCountsAttempts) {
  Enqueue(StartItem("a"));
  for (uint32_t expected = 1; expected <= 3; ++expected) {
    auto f = Fetch();
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->attempt_count, expected);
    ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false));
  }
}

TEST_F(ProviderTest, AbandonIgnoringTheAttemptKeepsTheCount) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->attempt_count, 1u);
  ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, true));
  f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->attempt_count, 1u);
  ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false));
  f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->attempt_count, 2u);
}

TEST_F(ProviderTest, AttemptCountIsTheMaximumOverTheBatch) {
  Enqueue(StartItem("a", "old"));
  for (int i = 0; i < 2; ++i) {
    auto f = Fetch();
    ASSERT_TRUE(f.has_value());
    ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false));
  }
  Enqueue(OtherItem("a", "new"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"old", "new"}));
  EXPECT_EQ(f->attempt_count, 3u);
}

TEST_F(ProviderTest, AdminReportsTheHighestAttemptCountOfQueuedMessages) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  Enqueue(OtherItem("a", "ping"));
  for (int i = 0; i < 2; ++i) {
    auto f = Fetch();
    ASSERT_TRUE(f.has_value());
    ASSERT_OK(p().AbandonOrchestrationItem(f->lock_token, std::nullopt, false));
  }
  Enqueue(OtherItem("a", "fresh"));
  auto max_attempts = admin().MaxOrchestratorAttemptCount("a");
  ASSERT_TRUE(max_attempts.ok()) << max_attempts.status().ToString();
  EXPECT_EQ(*max_attempts, 2u);
  auto none = admin().MaxOrchestratorAttemptCount("nobody");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(*none, 0u);
}

TEST_F(ProviderTest, AttemptCountReachesThePoisonThresholdAcrossLockExpiries) {
  Enqueue(StartItem("poison"));
  std::optional<FetchedOrchestration> f;
  for (uint32_t delivery = 1; delivery <= 11; ++delivery) {
    f = Fetch(1000);
    ASSERT_TRUE(f.has_value());
    EXPECT_EQ(f->attempt_count, delivery);
    clock_.Advance(1001);  // the runtime crashed mid-turn
  }
  // The 11th delivery exceeds the runtime's 10 attempts; it fails the instance.
  f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->attempt_count, 12u);
  OrchestrationAck poisoned = MakeAck(1, {Ev(1, "started"), Ev(2, "failed:poison")});
  poisoned.metadata.status = ExecutionStatus::kFailed;
  ASSERT_OK(Ack(f->lock_token, poisoned));
  EXPECT_EQ(Depths().orchestrator, 0u);
}

// ===================================================================================
// Undecodable history
// ===================================================================================

TEST_F(ProviderTest, FetchOfUndecodableHistoryReturnsTheItemWithAnErrorAndHoldsTheLock) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("bad"));
  Enqueue(OtherItem("bad", "ping"));
  ASSERT_NO_FATAL_FAILURE(CorruptHistory("bad", 1));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.instance, "bad");
  EXPECT_EQ(f->item.execution_id, 1u);
  ASSERT_TRUE(f->item.history_error.has_value());
  EXPECT_FALSE(f->item.history_error->empty());
  EXPECT_TRUE(f->item.history.empty());
  EXPECT_EQ(Payloads(f->item.messages), (std::vector<std::string>{"ping"}));
  EXPECT_FALSE(Fetch().has_value());  // lock held
}

TEST_F(ProviderTest, ReadOfUndecodableHistoryIsCorruption) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("bad"));
  ASSERT_NO_FATAL_FAILURE(CorruptHistory("bad", 1));
  EXPECT_CODE(p().Read("bad"), kCorruption);
  EXPECT_CODE(p().ReadWithExecution("bad", 1), kCorruption);
}

TEST_F(ProviderTest, FailureEventCanBeAppendedToUndecodableHistory) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("bad"));
  Enqueue(OtherItem("bad", "ping"));
  ASSERT_NO_FATAL_FAILURE(CorruptHistory("bad", 1));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  ASSERT_TRUE(f->item.history_error.has_value());
  OrchestrationAck fail = MakeAck(1, {Ev(2, "OrchestrationFailed:undecodable history")});
  fail.metadata.status = ExecutionStatus::kFailed;
  fail.metadata.output = "undecodable history";
  ASSERT_OK(Ack(f->lock_token, fail));
  auto info = Info("bad");
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, ExecutionStatus::kFailed);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_CODE(p().Read("bad"), kCorruption);  // append-only: the garbage is still there
}

// ===================================================================================
// Sessions
// ===================================================================================

TEST_F(ProviderTest, SessionItemsNeedASessionConfig) {
  EnqueueWork(Work("a", 1, 1, "in-session", "s1"));
  EXPECT_FALSE(FetchWork().has_value());
  auto w = FetchWork(Session("A"));
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->item.session_id, "s1");
}

TEST_F(ProviderTest, FetchClaimsTheSessionForItsOwner) {
  EnqueueWork(Work("a", 1, 1, "s1-first", "s1"));
  EnqueueWork(Work("a", 1, 2, "s1-second", "s1"));
  auto first = FetchWork(Session("A"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->item.payload, "s1-first");
  EXPECT_FALSE(FetchWork(Session("B")).has_value());
  auto second = FetchWork(Session("A"));  // affinity: the owner gets the next one
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->item.payload, "s1-second");
}

TEST_F(ProviderTest, OtherOwnerCannotTakeAnItemOfAHeldSessionAfterAck) {
  EnqueueWork(Work("a", 1, 1, "s1-first", "s1"));
  auto first = FetchWork(Session("A"));
  ASSERT_TRUE(first.has_value());
  ASSERT_OK(p().AckWorkItem(first->lock_token, std::nullopt));
  EnqueueWork(Work("a", 1, 2, "s1-later", "s1"));
  EXPECT_FALSE(FetchWork(Session("B")).has_value());
  auto mine = FetchWork(Session("A"));
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(mine->item.payload, "s1-later");
}

TEST_F(ProviderTest, OwnerOfOneSessionStillGetsSessionlessAndUnheldSessionItems) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto held = FetchWork(Session("B"));
  ASSERT_TRUE(held.has_value());
  EnqueueWork(Work("a", 1, 2, "s1-again", "s1"));
  EnqueueWork(Work("a", 1, 3, "plain"));
  EnqueueWork(Work("a", 1, 4, "s2", "s2"));
  EXPECT_EQ(DrainWork(Tags(Mode::kDefaultOnly), Session("A")),
            (std::vector<std::string>{"plain", "s2"}));
}

TEST_F(ProviderTest, ExpiredSessionCanBeClaimedByAnotherOwner) {
  EnqueueWork(Work("a", 1, 1, "first", "s1"));
  EnqueueWork(Work("a", 1, 2, "second", "s1"));
  auto a = FetchWork(Session("A", 1000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  EXPECT_FALSE(FetchWork(Session("B", 1000)).has_value());
  clock_.Advance(1001);
  auto b = FetchWork(Session("B", 1000));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->item.payload, "second");
}

TEST_F(ProviderTest, RenewSessionLockCountsLiveSessionsOfTheGivenOwners) {
  EnqueueWork(Work("a", 1, 3, "s3", "s3"));
  auto b = FetchWork(Session("B"));
  ASSERT_TRUE(b.has_value());
  ASSERT_OK(p().AckWorkItem(b->lock_token, std::nullopt));
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  EnqueueWork(Work("a", 1, 2, "s2", "s2"));
  for (int i = 0; i < 2; ++i) {
    auto a = FetchWork(Session("A"));
    ASSERT_TRUE(a.has_value());
    ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  }
  auto count = [&](std::vector<std::string> owners) {
    auto r = p().RenewSessionLock(owners, 60'000, 300'000);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : uint64_t{999};
  };
  EXPECT_EQ(count({"A"}), 2u);
  EXPECT_EQ(count({"B"}), 1u);
  EXPECT_EQ(count({"A", "B"}), 3u);
  EXPECT_EQ(count({"C"}), 0u);
  EXPECT_EQ(count({}), 0u);
}

TEST_F(ProviderTest, RenewSessionLockSkipsIdleSessions) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A", 600'000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  clock_.Advance(2000);
  auto idle = p().RenewSessionLock({"A"}, 60'000, 1000);
  ASSERT_TRUE(idle.ok()) << idle.status().ToString();
  EXPECT_EQ(*idle, 0u);
  auto active = p().RenewSessionLock({"A"}, 60'000, 5000);
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_EQ(*active, 1u);
}

TEST_F(ProviderTest, RenewSessionLockWithIdleTimeoutZeroRenewsNothing) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A", 600'000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  auto r = p().RenewSessionLock({"A"}, 60'000, 0);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 0u);  // idle 0: every session counts as idle
  EXPECT_FALSE(p().RenewSessionLock({"A"}, 60'000, -1).ok());
}

TEST_F(ProviderTest, RenewWorkItemLockTouchesTheSessionActivityTime) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A", 600'000));
  ASSERT_TRUE(a.has_value());
  clock_.Advance(900);
  ASSERT_OK(p().RenewWorkItemLock(a->lock_token, kWorkLockMs));
  clock_.Advance(900);  // 1800 ms after the claim, 900 ms after the renewal
  auto r = p().RenewSessionLock({"A"}, 60'000, 1000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 1u);
}

TEST_F(ProviderTest, RenewSessionLockSkipsExpiredSessions) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A", 1000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  clock_.Advance(1001);
  auto r = p().RenewSessionLock({"A"}, 60'000, 300'000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 0u);  // an expired session is not revived
}

TEST_F(ProviderTest, RenewedSessionStaysWithItsOwner) {
  EnqueueWork(Work("a", 1, 1, "first", "s1"));
  auto a = FetchWork(Session("A", 1000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  EnqueueWork(Work("a", 1, 2, "second", "s1"));
  clock_.Advance(800);
  auto renewed = p().RenewSessionLock({"A"}, 1000, 300'000);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(*renewed, 1u);
  clock_.Advance(800);  // past the original session lock, inside the renewed one
  EXPECT_FALSE(FetchWork(Session("B", 1000)).has_value());
  auto mine = FetchWork(Session("A", 1000));
  ASSERT_TRUE(mine.has_value());
  EXPECT_EQ(mine->item.payload, "second");
}

TEST_F(ProviderTest, AckWorkItemTouchesTheSessionActivityTime) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A", 600'000));
  ASSERT_TRUE(a.has_value());
  clock_.Advance(900);
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  clock_.Advance(900);  // 1800 ms after the claim, 900 ms after the ack
  auto r = p().RenewSessionLock({"A"}, 60'000, 1000);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 1u);
}

TEST_F(ProviderTest, CleanupRemovesExpiredSessionsNoItemRefersTo) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A", 1000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  clock_.Advance(5000);
  auto removed = p().CleanupOrphanedSessions(1000);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1u);
  auto again = p().CleanupOrphanedSessions(1000);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(*again, 0u);
}

TEST_F(ProviderTest, CleanupRemovesAnExpiredOrphanWhateverItsIdleTime) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A", 1000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  clock_.Advance(1500);  // lock expired, idle only 1.5 s of the 300 s idle timeout
  auto removed = p().CleanupOrphanedSessions(300'000);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 1u);
  // A new item of the session is claimed afresh by another owner.
  EnqueueWork(Work("a", 1, 2, "s1-again", "s1"));
  auto b = FetchWork(Session("B", 1000));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->item.payload, "s1-again");
}

TEST_F(ProviderTest, CleanupKeepsSessionsThatQueuedItemsReferTo) {
  EnqueueWork(Work("a", 1, 1, "first", "s1"));
  EnqueueWork(Work("a", 1, 2, "second", "s1"));
  auto a = FetchWork(Session("A", 1000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  clock_.Advance(5000);
  auto removed = p().CleanupOrphanedSessions(1000);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 0u);
}

TEST_F(ProviderTest, CleanupKeepsLiveSessions) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A", 600'000));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AckWorkItem(a->lock_token, std::nullopt));
  clock_.Advance(10);
  auto removed = p().CleanupOrphanedSessions(300'000);
  ASSERT_TRUE(removed.ok()) << removed.status().ToString();
  EXPECT_EQ(*removed, 0u);
  auto renewed = p().RenewSessionLock({"A"}, 1000, 300'000);
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  EXPECT_EQ(*renewed, 1u);
}

TEST_F(ProviderTest, TwoOwnersRacingForOneSessionOnlyOneGetsItems) {
  constexpr int kItems = 10;
  for (int i = 0; i < kItems; ++i) EnqueueWork(Work("a", 1, i + 1, "w" + std::to_string(i), "s"));
  std::atomic<int> done{0}, errors{0};
  int got[2] = {0, 0};
  std::latch go(2);
  auto worker = [&](int who, std::string owner) {
    go.arrive_and_wait();
    for (int spin = 0; spin < 20'000 && done.load() < kItems; ++spin) {
      auto r = provider_->FetchWorkItem(kWorkLockMs, kNoWait, Session(owner), {});
      if (!r.ok()) {
        ++errors;
        continue;
      }
      if (!r->has_value()) continue;
      ++got[who];
      if (!provider_->AckWorkItem((*r)->lock_token, std::nullopt).ok()) ++errors;
      ++done;
    }
  };
  std::thread a(worker, 0, "A");
  std::thread b(worker, 1, "B");
  a.join();
  b.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(got[0] + got[1], kItems);
  EXPECT_TRUE(got[0] == 0 || got[1] == 0) << "A got " << got[0] << ", B got " << got[1];
}

TEST_F(ProviderTest, AbandonedSessionItemStaysWithTheSessionOwner) {
  EnqueueWork(Work("a", 1, 1, "s1", "s1"));
  auto a = FetchWork(Session("A"));
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(p().AbandonWorkItem(a->lock_token, std::nullopt, false));
  EXPECT_FALSE(FetchWork(Session("B")).has_value());
  EXPECT_FALSE(FetchWork().has_value());  // still a session item
  auto again = FetchWork(Session("A"));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->item.session_id, "s1");
  EXPECT_EQ(again->attempt_count, 2u);
}

// ===================================================================================
// Tag filters
// ===================================================================================

class ProviderTagTest : public ProviderTest {
 protected:
  void SetUp() override {
    ProviderTest::SetUp();
    EnqueueWork(Work("a", 1, 1, "untagged-1"));
    EnqueueWork(Work("a", 1, 2, "gpu", std::nullopt, "gpu"));
    EnqueueWork(Work("a", 1, 3, "cpu", std::nullopt, "cpu"));
    EnqueueWork(Work("a", 1, 4, "untagged-2"));
  }
};

TEST_F(ProviderTagTest, DefaultOnlyTakesUntaggedItemsOnly) {
  EXPECT_EQ(DrainWork(Tags(Mode::kDefaultOnly)),
            (std::vector<std::string>{"untagged-1", "untagged-2"}));
}

TEST_F(ProviderTagTest, TagsTakesOnlyTheListedTags) {
  EXPECT_EQ(DrainWork(Tags(Mode::kTags, {"gpu"})), (std::vector<std::string>{"gpu"}));
  EXPECT_EQ(DrainWork(Tags(Mode::kTags, {"cpu", "tpu"})), (std::vector<std::string>{"cpu"}));
}

TEST_F(ProviderTagTest, DefaultAndTagsTakesUntaggedAndListedInOrder) {
  EXPECT_EQ(DrainWork(Tags(Mode::kDefaultAndTags, {"gpu"})),
            (std::vector<std::string>{"untagged-1", "gpu", "untagged-2"}));
}

TEST_F(ProviderTagTest, AnyTakesEverythingInOrder) {
  EXPECT_EQ(DrainWork(Tags(Mode::kAny)),
            (std::vector<std::string>{"untagged-1", "gpu", "cpu", "untagged-2"}));
}

TEST_F(ProviderTagTest, NoneReturnsNothingAtOnceEvenWithALongPoll) {
  const auto start = SteadyClock::now();
  auto r = p().FetchWorkItem(kWorkLockMs, kLongPoll, std::nullopt, Tags(Mode::kNone));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->has_value());
  EXPECT_LT(SteadyClock::now() - start, kWakeBound);
  EXPECT_EQ(Depths().worker, 4u);  // nothing was locked
}

TEST_F(ProviderTagTest, AbandonedItemKeepsItsTag) {
  auto gpu = FetchWork(std::nullopt, Tags(Mode::kTags, {"gpu"}));
  ASSERT_TRUE(gpu.has_value());
  ASSERT_OK(p().AbandonWorkItem(gpu->lock_token, std::nullopt, false));
  EXPECT_EQ(DrainWork(Tags(Mode::kDefaultOnly)),
            (std::vector<std::string>{"untagged-1", "untagged-2"}));
  auto again = FetchWork(std::nullopt, Tags(Mode::kTags, {"gpu"}));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->item.tag, "gpu");
}

// ===================================================================================
// Custom status
// ===================================================================================

TEST_F(ProviderTest, NoCustomStatusForUnknownOrFreshInstances) {
  EXPECT_FALSE(Custom("nobody", 0).has_value());
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  EXPECT_FALSE(Custom("a", 0).has_value());
}

TEST_F(ProviderTest, SetCustomStatusIsVersioned) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck ack = MakeAck(1, {Ev(2, "custom-status")});
  ack.custom_status.emplace("50%");
  RunTurn("a", ack);
  auto cs = Custom("a", 0);
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(cs->status, "50%");
  EXPECT_EQ(cs->version, 1u);
  EXPECT_FALSE(Custom("a", 1).has_value());  // nothing newer than version 1
}

TEST_F(ProviderTest, AckWithoutCustomStatusLeavesItUnchanged) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck set = MakeAck(1, {Ev(2, "custom-status")});
  set.custom_status.emplace("phase-1");
  RunTurn("a", set);
  RunTurn("a", MakeAck(1, {Ev(3, "other")}));
  auto cs = Custom("a", 0);
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(cs->status, "phase-1");
  EXPECT_EQ(cs->version, 1u);
}

TEST_F(ProviderTest, ClearingCustomStatusBumpsTheVersion) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck set = MakeAck(1, {Ev(2, "set")});
  set.custom_status.emplace("phase-1");
  RunTurn("a", set);
  OrchestrationAck clear = MakeAck(1, {Ev(3, "clear")});
  clear.custom_status.emplace(std::nullopt);
  RunTurn("a", clear);
  auto cs = Custom("a", 1);
  ASSERT_TRUE(cs.has_value());
  EXPECT_FALSE(cs->status.has_value());
  EXPECT_EQ(cs->version, 2u);
}

TEST_F(ProviderTest, EachAckCarryingAChangeBumpsTheVersionOnce) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck first = MakeAck(1, {Ev(1, "started")});
  first.custom_status.emplace("one");
  ASSERT_OK(Ack(f->lock_token, first));
  for (int i = 2; i <= 4; ++i) {
    OrchestrationAck next = MakeAck(1, {Ev(i, "e")});
    next.custom_status.emplace("s" + std::to_string(i));
    RunTurn("a", next);
  }
  auto cs = Custom("a", 0);
  ASSERT_TRUE(cs.has_value());
  EXPECT_EQ(cs->status, "s4");
  EXPECT_EQ(cs->version, 4u);
  auto newer = Custom("a", 3);
  ASSERT_TRUE(newer.has_value());
  EXPECT_EQ(newer->version, 4u);
}

// ===================================================================================
// KV store: two layers (store = previous executions, delta = current execution)
// ===================================================================================

TEST_F(ProviderTest, KvSnapshotExcludesTheCurrentExecutionDelta) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck ack = MakeAck(1, {Ev(2, "kv-set")});
  ack.kv_changes = {KvSet("k", "v")};
  RunTurn("a", ack);
  EXPECT_TRUE(Snapshot("a").empty());  // replay of execution 1 must not see its own writes
  EXPECT_EQ(Kv("a", "k"), "v");        // clients do
}

TEST_F(ProviderTest, ContinueAsNewMergesTheDeltaIntoTheStoreLayer) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck can = MakeAck(1, {Ev(2, "kv-set"), Ev(3, "can")});
  can.kv_changes = {KvSet("k", "v")};
  can.metadata.status = ExecutionStatus::kContinuedAsNew;
  can.orchestrator_items = {ContinueItem("a", "next")};
  RunTurn("a", can);
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(KvValues(f->item.kv_snapshot), (std::map<std::string, std::string>{{"k", "v"}}));
  EXPECT_EQ(Kv("a", "k"), "v");
}

TEST_F(ProviderTest, KvSnapshotCarriesEachKeysLastUpdatedTime) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck first = MakeAck(1, {Ev(2, "kv-set")});
  KvChange old_key = KvSet("old", "1");
  old_key.updated_at_ms = 1'000;
  KvChange rewritten = KvSet("k", "first");
  rewritten.updated_at_ms = 2'000;
  first.kv_changes = {old_key, rewritten};
  RunTurn("a", first);
  OrchestrationAck can = MakeAck(1, {Ev(3, "kv-set"), Ev(4, "can")});
  KvChange later = KvSet("k", "second");
  later.updated_at_ms = 7'000;  // the runtime's time of the later write wins
  can.kv_changes = {later};
  can.metadata.status = ExecutionStatus::kContinuedAsNew;
  can.orchestrator_items = {ContinueItem("a", "next")};
  RunTurn("a", can);
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->item.kv_snapshot, (std::map<std::string, KvEntry>{{"k", KvEntry{"second", 7'000}},
                                                                 {"old", KvEntry{"1", 1'000}}}));
}

TEST_F(ProviderTest, CompletedStatusMergesTheDelta) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck done = MakeAck(1, {Ev(2, "kv-set"), Ev(3, "completed")});
  done.kv_changes = {KvSet("k", "v")};
  done.metadata.status = ExecutionStatus::kCompleted;
  RunTurn("a", done);
  EXPECT_EQ(Snapshot("a"), (std::map<std::string, std::string>{{"k", "v"}}));
  EXPECT_EQ(KvAll("a"), (std::map<std::string, std::string>{{"k", "v"}}));
}

TEST_F(ProviderTest, FailedStatusMergesTheDelta) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck failed = MakeAck(1, {Ev(2, "kv-set"), Ev(3, "failed")});
  failed.kv_changes = {KvSet("k", "v")};
  failed.metadata.status = ExecutionStatus::kFailed;
  RunTurn("a", failed);
  EXPECT_EQ(Snapshot("a"), (std::map<std::string, std::string>{{"k", "v"}}));
}

TEST_F(ProviderTest, DeltaAccumulatesOverRunningAcks) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  OrchestrationAck one = MakeAck(1, {Ev(2, "set-a")});
  one.kv_changes = {KvSet("a", "1")};
  RunTurn("a", one);
  OrchestrationAck two = MakeAck(1, {Ev(3, "set-b")});
  two.kv_changes = {KvSet("b", "2")};
  RunTurn("a", two);
  EXPECT_EQ(KvAll("a"), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
  EXPECT_TRUE(Snapshot("a").empty());
  OrchestrationAck done = MakeAck(1, {Ev(4, "completed")});
  done.metadata.status = ExecutionStatus::kCompleted;
  RunTurn("a", done);
  EXPECT_EQ(Snapshot("a"), (std::map<std::string, std::string>{{"a", "1"}, {"b", "2"}}));
}

// Execution 1 leaves {a=1, b=2} in the store layer; execution 2 is running.
class ProviderKvTest : public ProviderTest {
 protected:
  void SetUp() override {
    ProviderTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(StartInstance("kv"));
    OrchestrationAck can = MakeAck(1, {Ev(2, "kv"), Ev(3, "can")});
    can.kv_changes = {KvSet("a", "1"), KvSet("b", "2")};
    can.metadata.status = ExecutionStatus::kContinuedAsNew;
    can.orchestrator_items = {ContinueItem("kv", "next")};
    RunTurn("kv", can);
    auto f = Fetch();
    ASSERT_TRUE(f.has_value());
    ASSERT_OK(Ack(f->lock_token, MakeAck(2, {Ev(1, "started-2")})));
  }
  // A running turn of execution 2 with `changes`.
  void Change(std::vector<KvChange> changes, uint64_t event_id,
              std::optional<ExecutionStatus> status = std::nullopt) {
    OrchestrationAck ack = MakeAck(2, {Ev(event_id, "kv-change")});
    ack.kv_changes = std::move(changes);
    ack.metadata.status = status;
    RunTurn("kv", ack);
  }
  using Map = std::map<std::string, std::string>;
};

TEST_F(ProviderKvTest, ClientReadsOverlayTheDeltaOnTheStore) {
  ASSERT_NO_FATAL_FAILURE(Change({KvSet("b", "3"), KvSet("c", "4")}, 2));
  EXPECT_EQ(KvAll("kv"), (Map{{"a", "1"}, {"b", "3"}, {"c", "4"}}));
  EXPECT_EQ(Kv("kv", "a"), "1");
  EXPECT_EQ(Kv("kv", "b"), "3");
  EXPECT_EQ(Kv("kv", "c"), "4");
  EXPECT_FALSE(Kv("kv", "missing").has_value());
  EXPECT_EQ(Snapshot("kv"), (Map{{"a", "1"}, {"b", "2"}}));
}

TEST_F(ProviderKvTest, ClearTombstoneHidesTheStoreValue) {
  ASSERT_NO_FATAL_FAILURE(Change({KvClear("a")}, 2));
  EXPECT_FALSE(Kv("kv", "a").has_value());
  EXPECT_EQ(KvAll("kv"), (Map{{"b", "2"}}));
  EXPECT_EQ(Snapshot("kv"), (Map{{"a", "1"}, {"b", "2"}}));
}

TEST_F(ProviderKvTest, ClearAllHidesEveryStoreKey) {
  ASSERT_NO_FATAL_FAILURE(Change({KvClearAll(), KvSet("c", "3")}, 2));
  EXPECT_FALSE(Kv("kv", "a").has_value());
  EXPECT_FALSE(Kv("kv", "b").has_value());
  EXPECT_EQ(KvAll("kv"), (Map{{"c", "3"}}));
  EXPECT_EQ(Snapshot("kv"), (Map{{"a", "1"}, {"b", "2"}}));
}

TEST_F(ProviderKvTest, MergeAppliesTombstones) {
  ASSERT_NO_FATAL_FAILURE(Change({KvClear("a"), KvSet("c", "3")}, 2));
  ASSERT_NO_FATAL_FAILURE(Change({}, 3, ExecutionStatus::kCompleted));
  EXPECT_EQ(Snapshot("kv"), (Map{{"b", "2"}, {"c", "3"}}));
  EXPECT_EQ(KvAll("kv"), (Map{{"b", "2"}, {"c", "3"}}));
}

TEST_F(ProviderKvTest, MergeAppliesClearAll) {
  ASSERT_NO_FATAL_FAILURE(Change({KvClearAll()}, 2));
  ASSERT_NO_FATAL_FAILURE(Change({KvSet("c", "3")}, 3, ExecutionStatus::kCompleted));
  EXPECT_EQ(Snapshot("kv"), (Map{{"c", "3"}}));
  EXPECT_EQ(KvAll("kv"), (Map{{"c", "3"}}));
}

TEST_F(ProviderKvTest, ChangesApplyInOrderWithinAnAck) {
  ASSERT_NO_FATAL_FAILURE(Change({KvSet("x", "1"), KvClearAll(), KvSet("y", "2"), KvSet("y", "3"),
                                  KvSet("z", "4"), KvClear("z")},
                                 2));
  EXPECT_EQ(KvAll("kv"), (Map{{"y", "3"}}));
}

TEST_F(ProviderKvTest, SetAfterClearInALaterAckIsVisibleAgain) {
  ASSERT_NO_FATAL_FAILURE(Change({KvClear("a")}, 2));
  ASSERT_NO_FATAL_FAILURE(Change({KvSet("a", "again")}, 3));
  EXPECT_EQ(Kv("kv", "a"), "again");
}

TEST_F(ProviderKvTest, FailedAckLeavesKvUnchanged) {
  Enqueue(OtherItem("kv", "ping"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck bad = MakeAck(2, {Ev(1, "duplicate of started-2")});
  bad.kv_changes = {KvClearAll(), KvSet("z", "9")};
  bad.metadata.status = ExecutionStatus::kCompleted;
  EXPECT_CODE(Ack(f->lock_token, bad), kAlreadyExists);
  EXPECT_EQ(KvAll("kv"), (Map{{"a", "1"}, {"b", "2"}}));
}

TEST_F(ProviderTest, LargeKvValuesRoundTrip) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  std::string v64k(64 * 1024, '\0');
  for (size_t i = 0; i < v64k.size(); ++i) v64k[i] = static_cast<char>(i * 31 % 251);
  const std::string v1m(1 << 20, 'x');
  OrchestrationAck ack = MakeAck(1, {Ev(2, "kv")});
  ack.kv_changes = {KvSet("big", v64k), KvSet("bigger", v1m)};
  RunTurn("a", ack);
  EXPECT_EQ(Kv("a", "big"), v64k);
  EXPECT_EQ(Kv("a", "bigger"), v1m);
  OrchestrationAck done = MakeAck(1, {Ev(3, "completed")});
  done.metadata.status = ExecutionStatus::kCompleted;
  RunTurn("a", done);
  auto snapshot = Snapshot("a");
  EXPECT_EQ(snapshot["big"], v64k);
  EXPECT_EQ(snapshot["bigger"], v1m);
}

TEST_F(ProviderTest, AnyUtf8KvKeyRoundTrips) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  const std::map<std::string, std::string> values{{"ключ", "cyrillic"},
                                                  {"鍵", "cjk"},
                                                  {"🎉 party", "emoji"},
                                                  {"with/slash and space", "s"},
                                                  {"a", "prefix"},
                                                  {"ab", "extended"},
                                                  {std::string("nul\0inside", 10), "nul"},
                                                  {std::string(kMaxKvKey, 'k'), "max"}};
  OrchestrationAck ack = MakeAck(1, {Ev(2, "kv")});
  for (const auto& [k, v] : values) ack.kv_changes.push_back(KvSet(k, v));
  RunTurn("a", ack);
  EXPECT_EQ(KvAll("a"), values);
  for (const auto& [k, v] : values) EXPECT_EQ(Kv("a", k), v) << k;
  OrchestrationAck done = MakeAck(1, {Ev(3, "completed")});
  done.metadata.status = ExecutionStatus::kCompleted;
  RunTurn("a", done);
  EXPECT_EQ(Snapshot("a"), values);
}

TEST_F(ProviderTest, KvOfAnUnknownInstanceIsEmpty) {
  EXPECT_FALSE(Kv("nobody", "k").has_value());
  EXPECT_TRUE(KvAll("nobody").empty());
}

TEST_F(ProviderTest, InvalidKvKeyFailsTheAckAndAppliesNothing) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  Enqueue(OtherItem("a", "ping"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck empty_key = MakeAck(1, {Ev(2, "kv")});
  empty_key.kv_changes = {KvSet("ok", "1"), KvSet("", "x")};
  EXPECT_CODE(Ack(f->lock_token, empty_key), kInvalidArgument);
  OrchestrationAck long_key = MakeAck(1, {Ev(2, "kv")});
  long_key.kv_changes = {KvSet("ok", "1"), KvSet(std::string(kMaxKvKey + 1, 'k'), "x")};
  EXPECT_CODE(Ack(f->lock_token, long_key), kInvalidArgument);
  EXPECT_TRUE(KvAll("a").empty());
  EXPECT_EQ(History("a"), (Events{Ev(1, "started:a")}));
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(2, "fine")})));  // lock kept
}

TEST_F(ProviderTest, KvIsInstanceScoped) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  ASSERT_NO_FATAL_FAILURE(StartInstance("ab"));
  OrchestrationAck ack = MakeAck(1, {Ev(2, "kv")});
  ack.kv_changes = {KvSet("k", "from-a")};
  RunTurn("a", ack);
  EXPECT_FALSE(Kv("ab", "k").has_value());
  EXPECT_TRUE(KvAll("ab").empty());
  OrchestrationAck clear_all = MakeAck(1, {Ev(2, "kv")});
  clear_all.kv_changes = {KvClearAll()};
  RunTurn("ab", clear_all);
  EXPECT_EQ(Kv("a", "k"), "from-a");
}

TEST_F(ProviderKvTest, PruningKeepsKvAndDeletingTheInstanceRemovesIt) {
  ASSERT_NO_FATAL_FAILURE(Change({KvSet("c", "3")}, 2));
  PruneOptions keep_one;
  keep_one.keep_last = 1;
  auto pruned = admin().PruneExecutions("kv", keep_one);
  ASSERT_TRUE(pruned.ok()) << pruned.status().ToString();
  EXPECT_EQ(pruned->executions_deleted, 1u);
  EXPECT_EQ(KvAll("kv"), (Map{{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  auto deleted = admin().DeleteInstance("kv", /*force=*/true);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  EXPECT_FALSE(Kv("kv", "a").has_value());
  EXPECT_TRUE(KvAll("kv").empty());
}

// ===================================================================================
// Long polling (real time: the only tests that wait)
// ===================================================================================

TEST_F(ProviderTest, OrchestrationLongPollReturnsSoonAfterAnotherThreadEnqueues) {
  std::optional<Result<std::optional<FetchedOrchestration>>> got;
  SteadyClock::time_point returned;
  std::thread fetcher([&] {
    got.emplace(provider_->FetchOrchestrationItem(kLockMs, kLongPoll));
    returned = SteadyClock::now();
  });
  std::this_thread::sleep_for(milliseconds(300));
  const auto enqueued = SteadyClock::now();
  EXPECT_OK(provider_->EnqueueForOrchestrator(StartItem("late")));
  fetcher.join();
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status().ToString();
  ASSERT_TRUE(got->value().has_value());
  EXPECT_EQ(got->value()->item.instance, "late");
  EXPECT_LT(returned - enqueued, kWakeBound);
}

TEST_F(ProviderTest, WorkLongPollReturnsSoonAfterAnotherThreadEnqueues) {
  std::optional<Result<std::optional<FetchedWork>>> got;
  SteadyClock::time_point returned;
  std::thread fetcher([&] {
    got.emplace(provider_->FetchWorkItem(kWorkLockMs, kLongPoll, std::nullopt, {}));
    returned = SteadyClock::now();
  });
  std::this_thread::sleep_for(milliseconds(300));
  const auto enqueued = SteadyClock::now();
  EXPECT_OK(provider_->EnqueueForWorker(Work("a", 1, 1, "late-work")));
  fetcher.join();
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status().ToString();
  ASSERT_TRUE(got->value().has_value());
  EXPECT_EQ(got->value()->item.payload, "late-work");
  EXPECT_LT(returned - enqueued, kWakeBound);
}

TEST_F(ProviderTest, OrchestrationLongPollWakesOnAWorkerCompletion) {
  ASSERT_NO_FATAL_FAILURE(StartInstance("a"));
  EnqueueWork(Work("a", 1, 2, "act"));
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  std::optional<Result<std::optional<FetchedOrchestration>>> got;
  SteadyClock::time_point returned;
  std::thread fetcher([&] {
    got.emplace(provider_->FetchOrchestrationItem(kLockMs, kLongPoll));
    returned = SteadyClock::now();
  });
  std::this_thread::sleep_for(milliseconds(300));
  const auto completed = SteadyClock::now();
  EXPECT_OK(provider_->AckWorkItem(w->lock_token, OtherItem("a", "done")));
  fetcher.join();
  ASSERT_TRUE(got.has_value());
  ASSERT_TRUE(got->ok()) << got->status().ToString();
  ASSERT_TRUE(got->value().has_value());
  EXPECT_EQ(Payloads(got->value()->item.messages), (std::vector<std::string>{"done"}));
  EXPECT_LT(returned - completed, kWakeBound);
}

TEST_F(ProviderTest, LongPollWithoutWorkNeverReturnsBeforeThePollTimeout) {
  for (int i = 0; i < 20; ++i) {
    const auto start = SteadyClock::now();
    auto f = p().FetchOrchestrationItem(kLockMs, milliseconds(30));
    const auto orch_elapsed = SteadyClock::now() - start;
    ASSERT_TRUE(f.ok()) << f.status().ToString();
    EXPECT_FALSE(f->has_value());
    EXPECT_GE(orch_elapsed, milliseconds(30)) << "round " << i;
    const auto work_start = SteadyClock::now();
    auto w = p().FetchWorkItem(kWorkLockMs, milliseconds(30), std::nullopt, {});
    const auto work_elapsed = SteadyClock::now() - work_start;
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_FALSE(w->has_value());
    EXPECT_GE(work_elapsed, milliseconds(30)) << "round " << i;
  }
}

TEST_F(ProviderTest, LongPollWithoutWorkReturnsNothing) {
  auto f = p().FetchOrchestrationItem(kLockMs, milliseconds(200));
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  EXPECT_FALSE(f->has_value());
  auto w = p().FetchWorkItem(kWorkLockMs, milliseconds(200), std::nullopt, {});
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_FALSE(w->has_value());
}

// ===================================================================================
// Error messages and retryability
// ===================================================================================

TEST_F(ProviderTest, InvalidOrchestrationTokenErrorsNameTheLockTokenAndAreNotRetryable) {
  const Status errors[] = {
      Ack(kUnknownToken, MakeAck(1, {Ev(1, "x")})),
      p().AbandonOrchestrationItem(kUnknownToken, std::nullopt, false),
      p().RenewOrchestrationItemLock(kUnknownToken, 1000),
  };
  for (const Status& st : errors) {
    EXPECT_CODE(st, kLockLost);
    EXPECT_TRUE(MentionsLockToken(st)) << st.ToString();
    EXPECT_FALSE(st.retryable()) << st.ToString();
  }
}

TEST_F(ProviderTest, InvalidWorkTokenErrorsNameTheLockTokenAndAreNotRetryable) {
  const Status errors[] = {
      p().AckWorkItem(kUnknownToken, std::nullopt),
      p().RenewWorkItemLock(kUnknownToken, 1000),
      p().AbandonWorkItem(kUnknownToken, std::nullopt, false),
  };
  for (const Status& st : errors) {
    EXPECT_CODE(st, kLockLost);
    EXPECT_TRUE(MentionsLockToken(st)) << st.ToString();
    EXPECT_FALSE(st.retryable()) << st.ToString();
  }
}

TEST_F(ProviderTest, MalformedTokensFailPermanentlyWithoutACrash) {
  const std::vector<std::string> tokens{"", "not-a-token", std::string(32, 'z'),
                                        std::string(64, '0')};
  for (const std::string& token : tokens) {
    const Status errors[] = {
        Ack(token, MakeAck(1, {Ev(1, "x")})),
        p().AbandonOrchestrationItem(token, std::nullopt, false),
        p().RenewOrchestrationItemLock(token, 1000),
        p().AckWorkItem(token, std::nullopt),
        p().RenewWorkItemLock(token, 1000),
        p().AbandonWorkItem(token, std::nullopt, false),
    };
    for (const Status& st : errors) {
      EXPECT_FALSE(st.ok()) << "token \"" << token << "\"";
      EXPECT_FALSE(st.retryable()) << st.ToString();
      EXPECT_TRUE(MentionsLockToken(st)) << st.ToString();
    }
  }
}

TEST_F(ProviderTest, ExpiredLockErrorIsPermanentAndNamesTheLockToken) {
  Enqueue(StartItem("a"));
  auto f = Fetch(1000);
  ASSERT_TRUE(f.has_value());
  clock_.Advance(1001);
  Status st = Ack(f->lock_token, MakeAck(1, {Ev(1, "late")}));
  EXPECT_CODE(st, kLockLost);
  EXPECT_TRUE(MentionsLockToken(st)) << st.ToString();
  EXPECT_FALSE(st.retryable());
}

TEST_F(ProviderTest, DuplicateAndInvalidArgumentErrorsArePermanent) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  Status dup = Ack(f->lock_token, MakeAck(1, {Ev(1, "x"), Ev(1, "y")}));
  EXPECT_CODE(dup, kAlreadyExists);
  EXPECT_FALSE(dup.retryable());
  Status zero = Ack(f->lock_token, MakeAck(1, {Ev(0, "x")}));
  EXPECT_CODE(zero, kInvalidArgument);
  EXPECT_FALSE(zero.retryable());
}

// ===================================================================================
// Input validation: InvalidArgument, never a crash
// ===================================================================================

TEST_F(ProviderTest, EmptyInstanceIsInvalidEverywhere) {
  EXPECT_CODE(p().EnqueueForOrchestrator(StartItem("")), kInvalidArgument);
  EXPECT_CODE(p().EnqueueForWorker(Work("", 1, 1, "w")), kInvalidArgument);
  EXPECT_CODE(p().Read(""), kInvalidArgument);
  EXPECT_CODE(p().ReadWithExecution("", 1), kInvalidArgument);
  EXPECT_CODE(p().AppendWithExecution("", 1, {Ev(1, "x")}), kInvalidArgument);
  EXPECT_CODE(p().GetCustomStatus("", 0), kInvalidArgument);
  EXPECT_CODE(p().GetKvValue("", "k"), kInvalidArgument);
  EXPECT_CODE(p().GetKvAllValues(""), kInvalidArgument);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 0u);
}

TEST_F(ProviderTest, InstanceIdsUpToTheLimitWorkAndLongerOnesAreInvalid) {
  const std::string max_id(kMaxInstanceId, 'i');
  const std::string too_long(kMaxInstanceId + 1, 'i');
  ASSERT_NO_FATAL_FAILURE(StartInstance(max_id));
  EXPECT_EQ(History(max_id), (Events{Ev(1, "started:" + max_id)}));
  EXPECT_CODE(p().EnqueueForOrchestrator(StartItem(too_long)), kInvalidArgument);
  EXPECT_CODE(p().EnqueueForWorker(Work(too_long, 1, 1, "w")), kInvalidArgument);
  EXPECT_CODE(p().Read(too_long), kInvalidArgument);
  EXPECT_CODE(p().ReadWithExecution(too_long, 1), kInvalidArgument);
  EXPECT_CODE(p().AppendWithExecution(too_long, 1, {Ev(1, "x")}), kInvalidArgument);
  EXPECT_CODE(p().GetKvAllValues(too_long), kInvalidArgument);
}

TEST_F(ProviderTest, TooLongNameOrVersionIsInvalidOnEnqueue) {
  EXPECT_OK(p().EnqueueForOrchestrator(StartItem("a", "s", std::string(kMaxName, 'n'))));
  EXPECT_CODE(p().EnqueueForOrchestrator(StartItem("b", "s", std::string(kMaxName + 1, 'n'))),
              kInvalidArgument);
  EXPECT_CODE(
      p().EnqueueForOrchestrator(StartItem("c", "s", kName, std::string(kMaxName + 1, '9'))),
      kInvalidArgument);
  EXPECT_EQ(Depths().orchestrator, 1u);
}

TEST_F(ProviderTest, TooLongSessionOrTagIsInvalidOnEnqueue) {
  EXPECT_OK(p().EnqueueForWorker(Work("a", 1, 1, "w", std::string(kMaxName, 's'))));
  EXPECT_OK(p().EnqueueForWorker(Work("a", 1, 2, "w", std::nullopt, std::string(kMaxName, 't'))));
  EXPECT_CODE(p().EnqueueForWorker(Work("a", 1, 3, "w", std::string(kMaxName + 1, 's'))),
              kInvalidArgument);
  EXPECT_CODE(
      p().EnqueueForWorker(Work("a", 1, 4, "w", std::nullopt, std::string(kMaxName + 1, 't'))),
      kInvalidArgument);
  EXPECT_EQ(Depths().worker, 2u);
}

TEST_F(ProviderTest, InvalidAckContentFailsTheAckAndKeepsTheLock) {
  Enqueue(StartItem("a"));
  auto f = Fetch();
  ASSERT_TRUE(f.has_value());
  OrchestrationAck long_name = MakeAck(1, {Ev(1, "started")}, std::string(kMaxName + 1, 'n'));
  EXPECT_CODE(Ack(f->lock_token, long_name), kInvalidArgument);
  OrchestrationAck long_version = MakeAck(1, {Ev(1, "started")}, kName, std::string(201, '1'));
  EXPECT_CODE(Ack(f->lock_token, long_version), kInvalidArgument);
  OrchestrationAck long_tag = MakeAck(1, {Ev(1, "started")});
  long_tag.worker_items = {Work("a", 1, 2, "w", std::nullopt, std::string(kMaxName + 1, 't'))};
  EXPECT_CODE(Ack(f->lock_token, long_tag), kInvalidArgument);
  OrchestrationAck empty_target = MakeAck(1, {Ev(1, "started")});
  empty_target.orchestrator_items = {OtherItem("", "nowhere")};
  EXPECT_CODE(Ack(f->lock_token, empty_target), kInvalidArgument);
  EXPECT_TRUE(History("a").empty());
  EXPECT_TRUE(Instances().empty());
  EXPECT_EQ(Depths().worker, 0u);
  ASSERT_OK(Ack(f->lock_token, MakeAck(1, {Ev(1, "started")})));
  EXPECT_EQ(History("a"), (Events{Ev(1, "started")}));
}

TEST_F(ProviderTest, InstanceIdsMayHoldAnyUtf8AndStayApart) {
  const std::vector<std::string> ids{"a", "ab", "a/b", "ünïcødé 実例", "with space", "a:1"};
  for (const auto& id : ids) ASSERT_NO_FATAL_FAILURE(StartInstance(id));
  for (const auto& id : ids) EXPECT_EQ(History(id), (Events{Ev(1, "started:" + id)})) << id;
  std::vector<std::string> listed = Instances();
  std::sort(listed.begin(), listed.end());
  std::vector<std::string> expected = ids;
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(listed, expected);
}

// ===================================================================================
// Scenarios replayed at the provider level: the test is the runtime.
// ===================================================================================

TEST_F(ProviderTest, ScenarioHelloWorld) {
  const std::string inst = "hello-1";
  Enqueue(StartItem(inst, "Start{input:World}", "HelloWorld", "1.0.0"));
  EXPECT_EQ(Depths().orchestrator, 1u);

  // Turn 1: start, schedule Greet.
  auto t1 = Fetch();
  ASSERT_TRUE(t1.has_value());
  EXPECT_EQ(t1->item.instance, inst);
  EXPECT_EQ(t1->item.orchestration_name, "HelloWorld");
  EXPECT_EQ(t1->item.version, "1.0.0");
  EXPECT_EQ(t1->item.execution_id, 1u);
  EXPECT_TRUE(t1->item.history.empty());
  EXPECT_EQ(Payloads(t1->item.messages), (std::vector<std::string>{"Start{input:World}"}));
  Events expected{Ev(1, "OrchestrationStarted{HelloWorld,1.0.0,World}"),
                  Ev(2, "ActivityScheduled{id:2,Greet,World}")};
  OrchestrationAck a1 = MakeAck(1, expected, "HelloWorld", "1.0.0");
  a1.worker_items = {Work(inst, 1, 2, "ActivityExecute{id:2,Greet,World}")};
  ASSERT_OK(Ack(t1->lock_token, a1));
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 1u);
  EXPECT_FALSE(Fetch().has_value());

  // The activity runs.
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  EXPECT_EQ(w->item.identity, (ActivityId{inst, 1, 2}));
  EXPECT_EQ(w->item.payload, "ActivityExecute{id:2,Greet,World}");
  ASSERT_OK(
      p().AckWorkItem(w->lock_token, OtherItem(inst, "ActivityCompleted{id:2,Hello, World!}")));
  EXPECT_EQ(Depths().orchestrator, 1u);
  EXPECT_EQ(Depths().worker, 0u);

  // Turn 2: complete.
  auto t2 = Fetch();
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->item.execution_id, 1u);
  EXPECT_EQ(t2->item.history, expected);
  EXPECT_EQ(Payloads(t2->item.messages),
            (std::vector<std::string>{"ActivityCompleted{id:2,Hello, World!}"}));
  Events delta{Ev(3, "ActivityCompleted{id:2,Hello, World!}"),
               Ev(4, "OrchestrationCompleted{Hello, World!}")};
  OrchestrationAck a2 = MakeAck(1, delta, "HelloWorld", "1.0.0");
  a2.metadata.status = ExecutionStatus::kCompleted;
  a2.metadata.output = "Hello, World!";
  ASSERT_OK(Ack(t2->lock_token, a2));
  expected.insert(expected.end(), delta.begin(), delta.end());
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 0u);
  EXPECT_FALSE(Fetch().has_value());
  EXPECT_FALSE(FetchWork().has_value());
  auto info = Info(inst);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, ExecutionStatus::kCompleted);
  EXPECT_EQ(info->output, "Hello, World!");
  auto completed = admin().ListInstancesByStatus(ExecutionStatus::kCompleted);
  ASSERT_TRUE(completed.ok()) << completed.status().ToString();
  EXPECT_EQ(*completed, (std::vector<std::string>{inst}));
}

TEST_F(ProviderTest, ScenarioFanOutFanIn) {
  const std::string inst = "fan";
  Enqueue(StartItem(inst, "Start{n:3}", "FanOut", "1.0.0"));

  // Turn 1: fan out three Square activities.
  auto t1 = Fetch();
  ASSERT_TRUE(t1.has_value());
  Events expected{Ev(1, "OrchestrationStarted{FanOut}"), Ev(2, "ActivityScheduled{id:2,Square,1}"),
                  Ev(3, "ActivityScheduled{id:3,Square,2}"),
                  Ev(4, "ActivityScheduled{id:4,Square,3}")};
  OrchestrationAck a1 = MakeAck(1, expected, "FanOut");
  a1.worker_items = {Work(inst, 1, 2, "Square(1)"), Work(inst, 1, 3, "Square(2)"),
                     Work(inst, 1, 4, "Square(3)")};
  ASSERT_OK(Ack(t1->lock_token, a1));
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 3u);

  // Three workers take them in FIFO order and finish out of order: 4, 2, 3.
  std::vector<FetchedWork> wave1;
  for (uint64_t act = 2; act <= 4; ++act) {
    auto w = FetchWork();
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->item.identity.activity_id, act);
    wave1.push_back(*w);
  }
  ASSERT_OK(p().AckWorkItem(wave1[2].lock_token, OtherItem(inst, "ActivityCompleted{id:4,9}")));
  ASSERT_OK(p().AckWorkItem(wave1[0].lock_token, OtherItem(inst, "ActivityCompleted{id:2,1}")));
  ASSERT_OK(p().AckWorkItem(wave1[1].lock_token, OtherItem(inst, "ActivityCompleted{id:3,4}")));
  EXPECT_EQ(Depths().orchestrator, 3u);
  EXPECT_EQ(Depths().worker, 0u);

  // Turn 2: join all three in one batch, fan out three Cube activities.
  auto t2 = Fetch();
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->item.history, expected);
  EXPECT_EQ(Payloads(t2->item.messages),
            (std::vector<std::string>{"ActivityCompleted{id:4,9}", "ActivityCompleted{id:2,1}",
                                      "ActivityCompleted{id:3,4}"}));
  Events d2{Ev(5, "ActivityCompleted{id:4,9}"),      Ev(6, "ActivityCompleted{id:2,1}"),
            Ev(7, "ActivityCompleted{id:3,4}"),      Ev(8, "ActivityScheduled{id:8,Cube,1}"),
            Ev(9, "ActivityScheduled{id:9,Cube,2}"), Ev(10, "ActivityScheduled{id:10,Cube,3}")};
  OrchestrationAck a2 = MakeAck(1, d2, "FanOut");
  a2.worker_items = {Work(inst, 1, 8, "Cube(1)"), Work(inst, 1, 9, "Cube(2)"),
                     Work(inst, 1, 10, "Cube(3)")};
  ASSERT_OK(Ack(t2->lock_token, a2));
  expected.insert(expected.end(), d2.begin(), d2.end());
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 3u);

  // Two of the second wave finish; a turn starts; the third finishes during the turn.
  std::vector<FetchedWork> wave2;
  for (uint64_t act = 8; act <= 10; ++act) {
    auto w = FetchWork();
    ASSERT_TRUE(w.has_value());
    EXPECT_EQ(w->item.identity.activity_id, act);
    wave2.push_back(*w);
  }
  ASSERT_OK(p().AckWorkItem(wave2[0].lock_token, OtherItem(inst, "ActivityCompleted{id:8,1}")));
  ASSERT_OK(p().AckWorkItem(wave2[1].lock_token, OtherItem(inst, "ActivityCompleted{id:9,8}")));
  auto t3 = Fetch();
  ASSERT_TRUE(t3.has_value());
  EXPECT_EQ(Payloads(t3->item.messages),
            (std::vector<std::string>{"ActivityCompleted{id:8,1}", "ActivityCompleted{id:9,8}"}));
  ASSERT_OK(p().AckWorkItem(wave2[2].lock_token, OtherItem(inst, "ActivityCompleted{id:10,27}")));
  EXPECT_FALSE(Fetch().has_value());  // the instance is locked by turn 3
  Events d3{Ev(11, "ActivityCompleted{id:8,1}"), Ev(12, "ActivityCompleted{id:9,8}")};
  ASSERT_OK(Ack(t3->lock_token, MakeAck(1, d3, "FanOut")));
  expected.insert(expected.end(), d3.begin(), d3.end());
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 1u);
  EXPECT_EQ(Depths().worker, 0u);

  // Turn 4: the last completion arrives alone; the orchestration completes.
  auto t4 = Fetch();
  ASSERT_TRUE(t4.has_value());
  EXPECT_EQ(t4->item.history, expected);
  EXPECT_EQ(Payloads(t4->item.messages), (std::vector<std::string>{"ActivityCompleted{id:10,27}"}));
  Events d4{Ev(13, "ActivityCompleted{id:10,27}"),
            Ev(14, "OrchestrationCompleted{[1,4,9,1,8,27]}")};
  OrchestrationAck a4 = MakeAck(1, d4, "FanOut");
  a4.metadata.status = ExecutionStatus::kCompleted;
  a4.metadata.output = "[1,4,9,1,8,27]";
  ASSERT_OK(Ack(t4->lock_token, a4));
  expected.insert(expected.end(), d4.begin(), d4.end());
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(expected.size(), 14u);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 0u);
  auto info = Info(inst);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, ExecutionStatus::kCompleted);
  EXPECT_EQ(info->output, "[1,4,9,1,8,27]");
}

TEST_F(ProviderTest, ScenarioExternalEventBeatsTimer) {
  const std::string inst = "approval";
  const int64_t t0 = Now();
  Enqueue(StartItem(inst, "Start{}", "Approval"));

  // Turn 1: a 5 s timer and a subscription to the Approve event.
  auto t1 = Fetch();
  ASSERT_TRUE(t1.has_value());
  Events expected{Ev(1, "OrchestrationStarted{Approval}"), Ev(2, "TimerCreated{id:2,5000}"),
                  Ev(3, "ExternalSubscribed{id:3,Approve}")};
  OrchestrationAck a1 = MakeAck(1, expected, "Approval");
  a1.orchestrator_items = {OtherItem(inst, "TimerFired{id:2}", t0 + 5000)};
  ASSERT_OK(Ack(t1->lock_token, a1));
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 1u);  // the pending timer
  EXPECT_FALSE(Fetch().has_value());

  // After 2 s a client raises the event.
  clock_.Advance(2000);
  Enqueue(OtherItem(inst, "ExternalEvent{Approve,yes}"));
  auto t2 = Fetch();
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->item.history, expected);
  EXPECT_EQ(Payloads(t2->item.messages), (std::vector<std::string>{"ExternalEvent{Approve,yes}"}));
  Events d2{Ev(4, "ExternalEvent{id:3,yes}"), Ev(5, "OrchestrationCompleted{approved}")};
  OrchestrationAck a2 = MakeAck(1, d2, "Approval");
  a2.metadata.status = ExecutionStatus::kCompleted;
  a2.metadata.output = "approved";
  ASSERT_OK(Ack(t2->lock_token, a2));
  expected.insert(expected.end(), d2.begin(), d2.end());
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 1u);  // the timer is still pending
  EXPECT_FALSE(Fetch().has_value());

  // At 5 s the stale timer fires; replay ignores it and nothing is appended.
  clock_.Advance(3000);
  auto t3 = Fetch();
  ASSERT_TRUE(t3.has_value());
  EXPECT_EQ(t3->item.history, expected);
  EXPECT_EQ(Payloads(t3->item.messages), (std::vector<std::string>{"TimerFired{id:2}"}));
  OrchestrationAck a3 = MakeAck(1, {}, "Approval");
  a3.metadata.status = ExecutionStatus::kCompleted;
  a3.metadata.output = "approved";
  ASSERT_OK(Ack(t3->lock_token, a3));
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 0u);
  auto info = Info(inst);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, ExecutionStatus::kCompleted);
  EXPECT_EQ(info->output, "approved");
}

TEST_F(ProviderTest, ScenarioTimerBeatsLateExternalEvent) {
  const std::string inst = "approval-late";
  const int64_t t0 = Now();
  Enqueue(StartItem(inst, "Start{}", "Approval"));
  auto t1 = Fetch();
  ASSERT_TRUE(t1.has_value());
  Events expected{Ev(1, "OrchestrationStarted{Approval}"), Ev(2, "TimerCreated{id:2,5000}"),
                  Ev(3, "ExternalSubscribed{id:3,Approve}")};
  OrchestrationAck a1 = MakeAck(1, expected, "Approval");
  a1.orchestrator_items = {OtherItem(inst, "TimerFired{id:2}", t0 + 5000)};
  ASSERT_OK(Ack(t1->lock_token, a1));

  clock_.Advance(5000);
  auto t2 = Fetch();
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(Payloads(t2->item.messages), (std::vector<std::string>{"TimerFired{id:2}"}));
  Events d2{Ev(4, "TimerFired{id:2}"), Ev(5, "OrchestrationCompleted{timed out}")};
  OrchestrationAck a2 = MakeAck(1, d2, "Approval");
  a2.metadata.status = ExecutionStatus::kCompleted;
  a2.metadata.output = "timed out";
  ASSERT_OK(Ack(t2->lock_token, a2));
  expected.insert(expected.end(), d2.begin(), d2.end());
  EXPECT_EQ(Depths().orchestrator, 0u);

  clock_.Advance(1000);
  Enqueue(OtherItem(inst, "ExternalEvent{Approve,yes}"));
  auto t3 = Fetch();
  ASSERT_TRUE(t3.has_value());
  EXPECT_EQ(Payloads(t3->item.messages), (std::vector<std::string>{"ExternalEvent{Approve,yes}"}));
  OrchestrationAck a3 = MakeAck(1, {}, "Approval");
  a3.metadata.status = ExecutionStatus::kCompleted;
  a3.metadata.output = "timed out";
  ASSERT_OK(Ack(t3->lock_token, a3));
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  auto info = Info(inst);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->output, "timed out");
}

TEST_F(ProviderTest, ScenarioDurableDelay) {
  const std::string inst = "delay";
  const int64_t t0 = Now();
  Enqueue(StartItem(inst, "Start{1s}", "Delay"));
  auto t1 = Fetch();
  ASSERT_TRUE(t1.has_value());
  Events expected{Ev(1, "OrchestrationStarted{Delay}"), Ev(2, "TimerCreated{id:2,1000}")};
  OrchestrationAck a1 = MakeAck(1, expected, "Delay");
  a1.orchestrator_items = {OtherItem(inst, "TimerFired{id:2}", t0 + 1000)};
  ASSERT_OK(Ack(t1->lock_token, a1));
  clock_.Advance(999);
  EXPECT_FALSE(Fetch().has_value());
  clock_.Advance(1);
  auto t2 = Fetch();
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->item.history, expected);
  EXPECT_EQ(Payloads(t2->item.messages), (std::vector<std::string>{"TimerFired{id:2}"}));
  Events d2{Ev(3, "TimerFired{id:2}"), Ev(4, "OrchestrationCompleted{slept}")};
  OrchestrationAck a2 = MakeAck(1, d2, "Delay");
  a2.metadata.status = ExecutionStatus::kCompleted;
  a2.metadata.output = "slept";
  ASSERT_OK(Ack(t2->lock_token, a2));
  expected.insert(expected.end(), d2.begin(), d2.end());
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 0u);
}

TEST_F(ProviderTest, ScenarioActivityTimesOut) {
  const std::string inst = "timeout";
  const int64_t t0 = Now();
  Enqueue(StartItem(inst, "Start{}", "Timeout"));

  // Turn 1: an activity races a 1 s timer.
  auto t1 = Fetch();
  ASSERT_TRUE(t1.has_value());
  Events expected{Ev(1, "OrchestrationStarted{Timeout}"), Ev(2, "ActivityScheduled{id:2,Slow}"),
                  Ev(3, "TimerCreated{id:3,1000}")};
  OrchestrationAck a1 = MakeAck(1, expected, "Timeout");
  a1.worker_items = {Work(inst, 1, 2, "Slow()")};
  a1.orchestrator_items = {OtherItem(inst, "TimerFired{id:3}", t0 + 1000)};
  ASSERT_OK(Ack(t1->lock_token, a1));
  EXPECT_EQ(Depths().orchestrator, 1u);
  EXPECT_EQ(Depths().worker, 1u);

  // A worker starts the slow activity; the timer fires first.
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  clock_.Advance(1000);
  auto t2 = Fetch();
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->item.history, expected);
  EXPECT_EQ(Payloads(t2->item.messages), (std::vector<std::string>{"TimerFired{id:3}"}));
  Events d2{Ev(4, "TimerFired{id:3}"), Ev(5, "OrchestrationFailed{timeout}")};
  OrchestrationAck a2 = MakeAck(1, d2, "Timeout");
  a2.metadata.status = ExecutionStatus::kFailed;
  a2.metadata.output = "timeout";
  a2.cancelled_activities = {ActivityId{inst, 1, 2}};
  ASSERT_OK(Ack(t2->lock_token, a2));
  expected.insert(expected.end(), d2.begin(), d2.end());

  // The worker learns of the cancellation when it tries to finish.
  EXPECT_CODE(p().RenewWorkItemLock(w->lock_token, kWorkLockMs), kLockLost);
  EXPECT_CODE(p().AckWorkItem(w->lock_token, OtherItem(inst, "ActivityCompleted{id:2}")),
              kLockLost);
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 0u);
  EXPECT_FALSE(Fetch().has_value());
  auto info = Info(inst);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->status, ExecutionStatus::kFailed);
  EXPECT_EQ(info->output, "timeout");
}

TEST_F(ProviderTest, ScenarioActivityBeatsTimeout) {
  const std::string inst = "in-time";
  const int64_t t0 = Now();
  Enqueue(StartItem(inst, "Start{}", "Timeout"));
  auto t1 = Fetch();
  ASSERT_TRUE(t1.has_value());
  Events expected{Ev(1, "OrchestrationStarted{Timeout}"), Ev(2, "ActivityScheduled{id:2,Fast}"),
                  Ev(3, "TimerCreated{id:3,1000}")};
  OrchestrationAck a1 = MakeAck(1, expected, "Timeout");
  a1.worker_items = {Work(inst, 1, 2, "Fast()")};
  a1.orchestrator_items = {OtherItem(inst, "TimerFired{id:3}", t0 + 1000)};
  ASSERT_OK(Ack(t1->lock_token, a1));

  clock_.Advance(500);
  auto w = FetchWork();
  ASSERT_TRUE(w.has_value());
  ASSERT_OK(p().AckWorkItem(w->lock_token, OtherItem(inst, "ActivityCompleted{id:2,ok}")));
  auto t2 = Fetch();
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(Payloads(t2->item.messages), (std::vector<std::string>{"ActivityCompleted{id:2,ok}"}));
  Events d2{Ev(4, "ActivityCompleted{id:2,ok}"), Ev(5, "OrchestrationCompleted{ok}")};
  OrchestrationAck a2 = MakeAck(1, d2, "Timeout");
  a2.metadata.status = ExecutionStatus::kCompleted;
  a2.metadata.output = "ok";
  ASSERT_OK(Ack(t2->lock_token, a2));
  expected.insert(expected.end(), d2.begin(), d2.end());
  EXPECT_EQ(Depths().orchestrator, 1u);  // the timer has not fired yet

  clock_.Advance(500);
  auto t3 = Fetch();
  ASSERT_TRUE(t3.has_value());
  EXPECT_EQ(Payloads(t3->item.messages), (std::vector<std::string>{"TimerFired{id:3}"}));
  OrchestrationAck a3 = MakeAck(1, {}, "Timeout");
  a3.metadata.status = ExecutionStatus::kCompleted;
  a3.metadata.output = "ok";
  ASSERT_OK(Ack(t3->lock_token, a3));
  EXPECT_EQ(History(inst), expected);
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 0u);
}

}  // namespace
}  // namespace durastore::orchestration
