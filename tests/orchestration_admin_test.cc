// Contract tests for durastore::orchestration::Admin (the Duroxide ProviderAdmin
// management part, docs/orchestration.md "Admin"): management reads, deletion,
// bulk deletion, pruning and the KV cascade. State is created through a Provider the
// way the runtime does it (fetch the start message, ack with metadata), on a
// ManualClock so every time is exact.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "durastore/clock.h"
#include "durastore/orchestration/admin.h"
#include "durastore/orchestration/provider.h"
#include "durastore/store.h"
#include "test_util.h"

namespace durastore::orchestration {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr int64_t kLockMs = 5'000;
constexpr std::chrono::milliseconds kNoWait{0};
constexpr const char* kName = "Orch";

using Kind = OrchestratorItem::Kind;

class AdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.clock = &clock_;
    options.durability = Durability::kNoSync;
    store_ = durastore::testing::OpenOrDie(dir_.path(), options);
    ASSERT_NE(store_, nullptr);
    auto provider = Provider::Open(*store_);
    ASSERT_OK(provider);
    provider_ = std::move(provider).value();
    admin_ = std::make_unique<Admin>(*store_);
  }

  struct InstState {
    uint64_t exec = 0;
    uint64_t next_event = 1;
    std::string version;
  };

  static std::string Payload(const std::string& inst, uint64_t exec, uint64_t event_id) {
    return inst + "/e" + std::to_string(exec) + "/" + std::to_string(event_id);
  }

  // Fetches orchestration work and asserts it is for `inst`.
  void FetchExpect(const std::string& inst, FetchedOrchestration* out) {
    auto fetched = provider_->FetchOrchestrationItem(kLockMs, kNoWait);
    ASSERT_OK(fetched);
    ASSERT_TRUE(fetched->has_value()) << "no orchestration work for " << inst;
    ASSERT_EQ((**fetched).item.instance, inst);
    *out = std::move(**fetched);
  }

  void EnqueueOther(const std::string& inst, const std::string& payload = "poke",
                    std::optional<int64_t> delay_ms = std::nullopt) {
    OrchestratorItem item;
    item.instance = inst;
    item.kind = Kind::kOther;
    item.payload = payload;
    ASSERT_OK(provider_->EnqueueForOrchestrator(item, delay_ms));
  }

  void EnqueueWorker(const std::string& inst, uint64_t activity_id) {
    WorkerItem w;
    w.identity = {inst, state_[inst].exec == 0 ? 1 : state_[inst].exec, activity_id};
    w.payload = "act-" + std::to_string(activity_id);
    ASSERT_OK(provider_->EnqueueForWorker(w));
  }

  // Starts `inst` the runtime way: start message, fetch, ack event 1 of execution 1
  // with name + version (+ parent), status unset (running).
  void Start(const std::string& inst, std::optional<std::string> parent = std::nullopt,
             const std::string& version = "1.0.0") {
    clock_.Advance(10);
    OrchestratorItem start;
    start.instance = inst;
    start.kind = Kind::kStart;
    start.payload = "start";
    start.orchestration_name = kName;
    start.version = version;
    ASSERT_OK(provider_->EnqueueForOrchestrator(start));
    FetchedOrchestration f;
    ASSERT_NO_FATAL_FAILURE(FetchExpect(inst, &f));
    ASSERT_EQ(f.item.execution_id, 1u);
    OrchestrationAck ack;
    ack.execution_id = 1;
    ack.history_delta = {{1, Payload(inst, 1, 1)}};
    ack.metadata.orchestration_name = kName;
    ack.metadata.version = version;
    ack.metadata.parent_instance = parent;
    ASSERT_OK(provider_->AckOrchestrationItem(f.lock_token, ack));
    state_[inst] = {1, 2, version};
  }

  // One turn on the current execution: a message, fetch, ack one event (customised).
  void Turn(const std::string& inst,
            const std::function<void(OrchestrationAck&)>& customize = nullptr) {
    clock_.Advance(10);
    ASSERT_NO_FATAL_FAILURE(EnqueueOther(inst));
    FetchedOrchestration f;
    ASSERT_NO_FATAL_FAILURE(FetchExpect(inst, &f));
    InstState& s = state_[inst];
    OrchestrationAck ack;
    ack.execution_id = s.exec;
    ack.history_delta = {{s.next_event, Payload(inst, s.exec, s.next_event)}};
    ack.metadata.orchestration_name = kName;
    ack.metadata.version = s.version;
    if (customize) customize(ack);
    ASSERT_OK(provider_->AckOrchestrationItem(f.lock_token, ack));
    s.next_event++;
  }

  void Complete(const std::string& inst, ExecutionStatus status = ExecutionStatus::kCompleted,
                const std::string& output = "done") {
    ASSERT_NO_FATAL_FAILURE(Turn(inst, [&](OrchestrationAck& ack) {
      ack.metadata.status = status;
      ack.metadata.output = output;
    }));
  }

  // Ends the current execution as ContinuedAsNew (no next execution yet).
  void EndContinued(const std::string& inst,
                    const std::function<void(OrchestrationAck&)>& customize = nullptr) {
    ASSERT_NO_FATAL_FAILURE(Turn(inst, [&](OrchestrationAck& ack) {
      ack.metadata.status = ExecutionStatus::kContinuedAsNew;
      ack.metadata.output = "continued";
      if (customize) customize(ack);
    }));
  }

  // Starts execution current+1 (the ContinueAsNew message's turn).
  void NextExecution(const std::string& inst,
                     const std::function<void(OrchestrationAck&)>& customize = nullptr) {
    clock_.Advance(10);
    InstState& s = state_[inst];
    OrchestratorItem can;
    can.instance = inst;
    can.kind = Kind::kContinueAsNew;
    can.payload = "can";
    can.orchestration_name = kName;
    can.version = s.version;
    ASSERT_OK(provider_->EnqueueForOrchestrator(can));
    FetchedOrchestration f;
    ASSERT_NO_FATAL_FAILURE(FetchExpect(inst, &f));
    OrchestrationAck ack;
    ack.execution_id = s.exec + 1;
    ack.history_delta = {{1, Payload(inst, s.exec + 1, 1)}};
    ack.metadata.orchestration_name = kName;
    ack.metadata.version = s.version;
    if (customize) customize(ack);
    ASSERT_OK(provider_->AckOrchestrationItem(f.lock_token, ack));
    s.exec++;
    s.next_event = 2;
  }

  void ContinueAsNew(const std::string& inst) {
    ASSERT_NO_FATAL_FAILURE(EndContinued(inst));
    ASSERT_NO_FATAL_FAILURE(NextExecution(inst));
  }

  void SetKv(const std::string& inst, const std::string& key, const std::string& value,
             std::optional<ExecutionStatus> status = std::nullopt) {
    ASSERT_NO_FATAL_FAILURE(Turn(inst, [&](OrchestrationAck& ack) {
      ack.kv_changes.push_back({KvChange::Kind::kSet, key, value});
      ack.metadata.status = status;
    }));
  }

  bool Exists(const std::string& inst) { return admin_->GetInstanceInfo(inst).ok(); }

  // Everything the contract says a delete removes is gone for `inst`.
  void ExpectGone(const std::string& inst) {
    EXPECT_CODE(admin_->GetInstanceInfo(inst), kNotFound);
    EXPECT_CODE(admin_->LatestExecutionId(inst), kNotFound);
    EXPECT_CODE(admin_->GetParentId(inst), kNotFound);
    auto history = provider_->Read(inst);
    ASSERT_OK(history);
    EXPECT_THAT(*history, IsEmpty()) << inst;
    auto kv = provider_->GetKvAllValues(inst);
    ASSERT_OK(kv);
    EXPECT_THAT(*kv, IsEmpty()) << inst;
    auto cs = provider_->GetCustomStatus(inst, 0);
    ASSERT_OK(cs);
    EXPECT_FALSE(cs->has_value()) << inst;
    auto instances = admin_->ListInstances();
    ASSERT_OK(instances);
    EXPECT_THAT(*instances, ::testing::Not(::testing::Contains(inst)));
  }

  std::vector<std::string> List() {
    auto r = admin_->ListInstances();
    EXPECT_OK(r);
    return r.ok() ? *r : std::vector<std::string>{};
  }

  std::vector<uint64_t> Executions(const std::string& inst) {
    auto r = admin_->ListExecutions(inst);
    EXPECT_OK(r);
    return r.ok() ? *r : std::vector<uint64_t>{};
  }

  QueueDepths Depths() {
    auto r = admin_->GetQueueDepths();
    EXPECT_OK(r);
    return r.ok() ? *r : QueueDepths{};
  }

  durastore::testing::TempDir dir_;
  ManualClock clock_{1'700'000'000'000};
  std::unique_ptr<Store> store_;
  std::unique_ptr<Provider> provider_;
  std::unique_ptr<Admin> admin_;
  std::map<std::string, InstState> state_;
};

// ---------------------------------------------------------------------------------------
// Management reads
// ---------------------------------------------------------------------------------------

TEST_F(AdminTest, ListInstancesIsNewestFirstByCreationTime) {
  ASSERT_NO_FATAL_FAILURE(Start("a"));
  ASSERT_NO_FATAL_FAILURE(Start("b"));
  ASSERT_NO_FATAL_FAILURE(Start("c"));
  EXPECT_THAT(List(), ElementsAre("c", "b", "a"));
  // Updating the oldest instance does not move it: the order is by creation.
  ASSERT_NO_FATAL_FAILURE(Complete("a"));
  EXPECT_THAT(List(), ElementsAre("c", "b", "a"));
}

TEST_F(AdminTest, ListInstancesOnEmptyStoreIsEmpty) { EXPECT_THAT(List(), IsEmpty()); }

TEST_F(AdminTest, ListInstancesIgnoresAcksWithoutNameAndVersion) {
  ASSERT_NO_FATAL_FAILURE(Start("named"));
  // An ack without name+version appends history but creates no instance record.
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("anon"));
  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("anon", &f));
  OrchestrationAck ack;
  ack.execution_id = 1;
  ack.history_delta = {{1, "anon-1"}};
  ASSERT_OK(provider_->AckOrchestrationItem(f.lock_token, ack));
  EXPECT_THAT(List(), ElementsAre("named"));
  EXPECT_CODE(admin_->GetInstanceInfo("anon"), kNotFound);
}

TEST_F(AdminTest, ListInstancesByStatusUsesCurrentExecutionStatus) {
  ASSERT_NO_FATAL_FAILURE(Start("run"));
  ASSERT_NO_FATAL_FAILURE(Start("done"));
  ASSERT_NO_FATAL_FAILURE(Complete("done"));
  ASSERT_NO_FATAL_FAILURE(Start("bad"));
  ASSERT_NO_FATAL_FAILURE(Complete("bad", ExecutionStatus::kFailed, "boom"));
  ASSERT_NO_FATAL_FAILURE(Start("can"));
  ASSERT_NO_FATAL_FAILURE(EndContinued("can"));
  // Continued as new and already in its next (running) execution: Running.
  ASSERT_NO_FATAL_FAILURE(Start("next"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("next"));

  auto running = admin_->ListInstancesByStatus(ExecutionStatus::kRunning);
  ASSERT_OK(running);
  EXPECT_THAT(*running, UnorderedElementsAre("run", "next"));
  auto completed = admin_->ListInstancesByStatus(ExecutionStatus::kCompleted);
  ASSERT_OK(completed);
  EXPECT_THAT(*completed, ElementsAre("done"));
  auto failed = admin_->ListInstancesByStatus(ExecutionStatus::kFailed);
  ASSERT_OK(failed);
  EXPECT_THAT(*failed, ElementsAre("bad"));
  auto continued = admin_->ListInstancesByStatus(ExecutionStatus::kContinuedAsNew);
  ASSERT_OK(continued);
  EXPECT_THAT(*continued, ElementsAre("can"));
}

TEST_F(AdminTest, ListExecutionsIsAscendingAfterContinueAsNew) {
  ASSERT_NO_FATAL_FAILURE(Start("p"));
  EXPECT_THAT(Executions("p"), ElementsAre(1u));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("p"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("p"));
  EXPECT_THAT(Executions("p"), ElementsAre(1u, 2u, 3u));
}

TEST_F(AdminTest, ReadHistoryReturnsLatestExecutionInEventOrder) {
  ASSERT_NO_FATAL_FAILURE(Start("h"));
  ASSERT_NO_FATAL_FAILURE(Turn("h"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("h"));
  ASSERT_NO_FATAL_FAILURE(Turn("h"));
  auto latest = admin_->ReadHistory("h");
  ASSERT_OK(latest);
  EXPECT_THAT(*latest, ElementsAre(HistoryEvent{1, Payload("h", 2, 1)},
                                   HistoryEvent{2, Payload("h", 2, 2)}));
}

TEST_F(AdminTest, ReadHistoryWithExecutionIdReturnsThatExecution) {
  ASSERT_NO_FATAL_FAILURE(Start("h"));
  ASSERT_NO_FATAL_FAILURE(Turn("h"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("h"));
  auto first = admin_->ReadHistoryWithExecutionId("h", 1);
  ASSERT_OK(first);
  EXPECT_THAT(*first,
              ElementsAre(HistoryEvent{1, Payload("h", 1, 1)}, HistoryEvent{2, Payload("h", 1, 2)},
                          HistoryEvent{3, Payload("h", 1, 3)}));
  auto second = admin_->ReadHistoryWithExecutionId("h", 2);
  ASSERT_OK(second);
  EXPECT_THAT(*second, ElementsAre(HistoryEvent{1, Payload("h", 2, 1)}));
}

TEST_F(AdminTest, LatestExecutionIdFollowsContinueAsNew) {
  ASSERT_NO_FATAL_FAILURE(Start("l"));
  auto one = admin_->LatestExecutionId("l");
  ASSERT_OK(one);
  EXPECT_EQ(*one, 1u);
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("l"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("l"));
  auto three = admin_->LatestExecutionId("l");
  ASSERT_OK(three);
  EXPECT_EQ(*three, 3u);
}

TEST_F(AdminTest, LatestExecutionIdOfUnknownInstanceIsNotFound) {
  EXPECT_CODE(admin_->LatestExecutionId("nobody"), kNotFound);
}

TEST_F(AdminTest, GetInstanceInfoReportsEveryField) {
  ASSERT_NO_FATAL_FAILURE(Start("info", std::nullopt, "2.1.0"));
  const int64_t created = clock_.NowMs();
  ASSERT_NO_FATAL_FAILURE(Turn("info"));
  ASSERT_NO_FATAL_FAILURE(Complete("info", ExecutionStatus::kCompleted, "the-result"));
  const int64_t updated = clock_.NowMs();
  ASSERT_GT(updated, created);

  auto info = admin_->GetInstanceInfo("info");
  ASSERT_OK(info);
  EXPECT_EQ(info->instance, "info");
  EXPECT_EQ(info->orchestration_name, kName);
  EXPECT_EQ(info->version, "2.1.0");
  EXPECT_EQ(info->current_execution_id, 1u);
  EXPECT_EQ(info->status, ExecutionStatus::kCompleted);
  EXPECT_EQ(info->output, std::optional<std::string>("the-result"));
  EXPECT_EQ(info->created_at_ms, created);
  EXPECT_EQ(info->updated_at_ms, updated);
  EXPECT_FALSE(info->parent_instance.has_value());
}

TEST_F(AdminTest, GetInstanceInfoOfRunningChildAfterContinueAsNew) {
  ASSERT_NO_FATAL_FAILURE(Start("root"));
  ASSERT_NO_FATAL_FAILURE(Start("kid", "root"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("kid"));
  auto info = admin_->GetInstanceInfo("kid");
  ASSERT_OK(info);
  EXPECT_EQ(info->current_execution_id, 2u);
  EXPECT_EQ(info->status, ExecutionStatus::kRunning);
  EXPECT_FALSE(info->output.has_value());
  EXPECT_EQ(info->parent_instance, std::optional<std::string>("root"));
}

TEST_F(AdminTest, GetInstanceInfoOfUnknownInstanceIsNotFound) {
  EXPECT_CODE(admin_->GetInstanceInfo("ghost"), kNotFound);
}

TEST_F(AdminTest, GetExecutionInfoOfCompletedExecution) {
  ASSERT_NO_FATAL_FAILURE(Start("x"));
  const int64_t started = clock_.NowMs();
  ASSERT_NO_FATAL_FAILURE(Turn("x"));
  ASSERT_NO_FATAL_FAILURE(Turn("x"));
  ASSERT_NO_FATAL_FAILURE(Complete("x", ExecutionStatus::kCompleted, "out-x"));
  const int64_t completed = clock_.NowMs();

  auto info = admin_->GetExecutionInfo("x", 1);
  ASSERT_OK(info);
  EXPECT_EQ(info->execution_id, 1u);
  EXPECT_EQ(info->status, ExecutionStatus::kCompleted);
  EXPECT_EQ(info->output, std::optional<std::string>("out-x"));
  EXPECT_EQ(info->started_at_ms, started);
  EXPECT_EQ(info->completed_at_ms, std::optional<int64_t>(completed));
  EXPECT_EQ(info->event_count, 4u);
}

TEST_F(AdminTest, GetExecutionInfoOfContinuedAndRunningExecutions) {
  ASSERT_NO_FATAL_FAILURE(Start("x"));
  ASSERT_NO_FATAL_FAILURE(EndContinued("x"));
  const int64_t continued_at = clock_.NowMs();
  ASSERT_NO_FATAL_FAILURE(NextExecution("x"));
  const int64_t second_started = clock_.NowMs();

  auto first = admin_->GetExecutionInfo("x", 1);
  ASSERT_OK(first);
  EXPECT_EQ(first->status, ExecutionStatus::kContinuedAsNew);
  EXPECT_EQ(first->completed_at_ms, std::optional<int64_t>(continued_at));
  EXPECT_EQ(first->event_count, 2u);

  auto second = admin_->GetExecutionInfo("x", 2);
  ASSERT_OK(second);
  EXPECT_EQ(second->execution_id, 2u);
  EXPECT_EQ(second->status, ExecutionStatus::kRunning);
  EXPECT_FALSE(second->output.has_value());
  EXPECT_EQ(second->started_at_ms, second_started);
  EXPECT_FALSE(second->completed_at_ms.has_value());
  EXPECT_EQ(second->event_count, 1u);
}

TEST_F(AdminTest, GetExecutionInfoOfUnknownExecutionIsNotFound) {
  ASSERT_NO_FATAL_FAILURE(Start("x"));
  EXPECT_CODE(admin_->GetExecutionInfo("x", 7), kNotFound);
  EXPECT_CODE(admin_->GetExecutionInfo("ghost", 1), kNotFound);
}

TEST_F(AdminTest, SystemMetricsCountInstancesExecutionsStatusesAndEvents) {
  ASSERT_NO_FATAL_FAILURE(Start("run"));   // 1 exec, 1 ev
  ASSERT_NO_FATAL_FAILURE(Start("done"));  // 1 exec, 2 ev
  ASSERT_NO_FATAL_FAILURE(Complete("done"));
  ASSERT_NO_FATAL_FAILURE(Start("bad"));  // 1 exec, 2 ev
  ASSERT_NO_FATAL_FAILURE(Complete("bad", ExecutionStatus::kFailed, "x"));
  ASSERT_NO_FATAL_FAILURE(Start("next"));  // 2 exec, 3 ev
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("next"));
  ASSERT_NO_FATAL_FAILURE(Start("can"));  // 1 exec, 2 ev
  ASSERT_NO_FATAL_FAILURE(EndContinued("can"));

  auto m = admin_->GetSystemMetrics();
  ASSERT_OK(m);
  EXPECT_EQ(m->total_instances, 5u);
  EXPECT_EQ(m->total_executions, 6u);
  EXPECT_EQ(m->running_instances, 2u);
  EXPECT_EQ(m->completed_instances, 1u);
  EXPECT_EQ(m->failed_instances, 1u);
  EXPECT_EQ(m->continued_as_new_instances, 1u);
  EXPECT_EQ(m->total_events, 10u);
}

TEST_F(AdminTest, SystemMetricsOnEmptyStoreAreZero) {
  auto m = admin_->GetSystemMetrics();
  ASSERT_OK(m);
  EXPECT_EQ(m->total_instances, 0u);
  EXPECT_EQ(m->total_executions, 0u);
  EXPECT_EQ(m->running_instances, 0u);
  EXPECT_EQ(m->total_events, 0u);
}

TEST_F(AdminTest, OrchestratorQueueDepthCountsUnlockedMessagesOnly) {
  EXPECT_EQ(Depths().orchestrator, 0u);
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("q1"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("q2"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("q3", "timer", 60'000));  // delayed: still counted
  EXPECT_EQ(Depths().orchestrator, 3u);

  auto fetched = provider_->FetchOrchestrationItem(kLockMs, kNoWait);
  ASSERT_OK(fetched);
  ASSERT_TRUE(fetched->has_value());
  EXPECT_EQ(Depths().orchestrator, 2u);  // the locked message is not counted

  ASSERT_OK(provider_->AbandonOrchestrationItem((**fetched).lock_token, std::nullopt, false));
  EXPECT_EQ(Depths().orchestrator, 3u);
}

TEST_F(AdminTest, WorkerQueueDepthCountsUnlockedMessagesOnly) {
  EXPECT_EQ(Depths().worker, 0u);
  ASSERT_NO_FATAL_FAILURE(EnqueueWorker("w", 1));
  ASSERT_NO_FATAL_FAILURE(EnqueueWorker("w", 2));
  EXPECT_EQ(Depths().worker, 2u);
  EXPECT_EQ(Depths().orchestrator, 0u);

  auto work = provider_->FetchWorkItem(30'000, kNoWait, std::nullopt, TagFilter{});
  ASSERT_OK(work);
  ASSERT_TRUE(work->has_value());
  EXPECT_EQ(Depths().worker, 1u);  // the locked item is not counted

  ASSERT_OK(provider_->AckWorkItem((**work).lock_token, std::nullopt));
  EXPECT_EQ(Depths().worker, 1u);
}

TEST_F(AdminTest, ListChildrenListsDirectChildrenOnly) {
  ASSERT_NO_FATAL_FAILURE(Start("root"));
  ASSERT_NO_FATAL_FAILURE(Start("c1", "root"));
  ASSERT_NO_FATAL_FAILURE(Start("c2", "root"));
  ASSERT_NO_FATAL_FAILURE(Start("g1", "c1"));
  ASSERT_NO_FATAL_FAILURE(Start("other"));

  auto root_children = admin_->ListChildren("root");
  ASSERT_OK(root_children);
  EXPECT_THAT(*root_children, UnorderedElementsAre("c1", "c2"));
  auto c1_children = admin_->ListChildren("c1");
  ASSERT_OK(c1_children);
  EXPECT_THAT(*c1_children, ElementsAre("g1"));
  auto leaf_children = admin_->ListChildren("g1");
  ASSERT_OK(leaf_children);
  EXPECT_THAT(*leaf_children, IsEmpty());
}

TEST_F(AdminTest, GetParentIdIsNulloptForRootAndParentForChild) {
  ASSERT_NO_FATAL_FAILURE(Start("root"));
  ASSERT_NO_FATAL_FAILURE(Start("child", "root"));
  auto root_parent = admin_->GetParentId("root");
  ASSERT_OK(root_parent);
  EXPECT_FALSE(root_parent->has_value());
  auto child_parent = admin_->GetParentId("child");
  ASSERT_OK(child_parent);
  EXPECT_EQ(*child_parent, std::optional<std::string>("root"));
}

TEST_F(AdminTest, GetParentIdOfUnknownInstanceIsNotFound) {
  EXPECT_CODE(admin_->GetParentId("ghost"), kNotFound);
}

TEST_F(AdminTest, ParentIsSetOnceAndNotOverwrittenByLaterAcks) {
  ASSERT_NO_FATAL_FAILURE(Start("p1"));
  ASSERT_NO_FATAL_FAILURE(Start("p2"));
  ASSERT_NO_FATAL_FAILURE(Start("child", "p1"));
  ASSERT_NO_FATAL_FAILURE(
      Turn("child", [](OrchestrationAck& ack) { ack.metadata.parent_instance = "p2"; }));
  auto parent = admin_->GetParentId("child");
  ASSERT_OK(parent);
  EXPECT_EQ(*parent, std::optional<std::string>("p1"));
}

TEST_F(AdminTest, InstanceTreeIsBreadthFirstOverFourLevels) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("a", "r"));
  ASSERT_NO_FATAL_FAILURE(Start("b", "r"));
  ASSERT_NO_FATAL_FAILURE(Start("a1", "a"));
  ASSERT_NO_FATAL_FAILURE(Start("b1", "b"));
  ASSERT_NO_FATAL_FAILURE(Start("a1x", "a1"));
  ASSERT_NO_FATAL_FAILURE(Start("unrelated"));

  auto tree = admin_->GetInstanceTree("r");
  ASSERT_OK(tree);
  EXPECT_EQ(tree->root, "r");
  ASSERT_EQ(tree->instances.size(), 6u);
  EXPECT_EQ(tree->instances[0], "r");
  EXPECT_THAT(std::vector<std::string>(tree->instances.begin() + 1, tree->instances.begin() + 3),
              UnorderedElementsAre("a", "b"));
  EXPECT_THAT(std::vector<std::string>(tree->instances.begin() + 3, tree->instances.begin() + 5),
              UnorderedElementsAre("a1", "b1"));
  EXPECT_EQ(tree->instances[5], "a1x");
}

TEST_F(AdminTest, InstanceTreeOfLeafIsJustTheLeaf) {
  ASSERT_NO_FATAL_FAILURE(Start("solo"));
  auto tree = admin_->GetInstanceTree("solo");
  ASSERT_OK(tree);
  EXPECT_EQ(tree->root, "solo");
  EXPECT_THAT(tree->instances, ElementsAre("solo"));
}

TEST_F(AdminTest, MaxOrchestratorAttemptCountIsHighestDeliveryCountOfQueuedMessages) {
  auto none = admin_->MaxOrchestratorAttemptCount("m");
  ASSERT_OK(none);
  EXPECT_EQ(*none, 0u);

  ASSERT_NO_FATAL_FAILURE(EnqueueOther("m", "first"));
  for (uint32_t i = 1; i <= 2; ++i) {
    FetchedOrchestration f;
    ASSERT_NO_FATAL_FAILURE(FetchExpect("m", &f));
    EXPECT_EQ(f.attempt_count, i);
    ASSERT_OK(provider_->AbandonOrchestrationItem(f.lock_token, std::nullopt, false));
    auto max = admin_->MaxOrchestratorAttemptCount("m");
    ASSERT_OK(max);
    EXPECT_EQ(*max, i);
  }
  // A fresh message (count 0) does not lower the maximum.
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("m", "second"));
  auto max = admin_->MaxOrchestratorAttemptCount("m");
  ASSERT_OK(max);
  EXPECT_EQ(*max, 2u);

  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("m", &f));
  EXPECT_EQ(f.attempt_count, 3u);
  ASSERT_OK(provider_->AbandonOrchestrationItem(f.lock_token, std::nullopt, false));
  max = admin_->MaxOrchestratorAttemptCount("m");
  ASSERT_OK(max);
  EXPECT_EQ(*max, 3u);
}

TEST_F(AdminTest, MaxOrchestratorAttemptCountIgnoresOtherInstances) {
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("busy"));
  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("busy", &f));
  ASSERT_OK(provider_->AbandonOrchestrationItem(f.lock_token, std::nullopt, false));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("quiet"));
  auto quiet = admin_->MaxOrchestratorAttemptCount("quiet");
  ASSERT_OK(quiet);
  EXPECT_EQ(*quiet, 0u);
  auto busy = admin_->MaxOrchestratorAttemptCount("busy");
  ASSERT_OK(busy);
  EXPECT_EQ(*busy, 1u);
}

// ---------------------------------------------------------------------------------------
// Deletion
// ---------------------------------------------------------------------------------------

TEST_F(AdminTest, DeleteInstanceWithForceDeletesRunningInstance) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("keep"));
  auto result = admin_->DeleteInstance("r", true);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 1u);
  ASSERT_NO_FATAL_FAILURE(ExpectGone("r"));
  EXPECT_THAT(List(), ElementsAre("keep"));
}

TEST_F(AdminTest, DeleteInstanceWithoutForceRefusesRunningInstance) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  EXPECT_CODE(admin_->DeleteInstance("r", false), kConflict);
  auto info = admin_->GetInstanceInfo("r");
  ASSERT_OK(info);
  EXPECT_EQ(info->status, ExecutionStatus::kRunning);
  auto history = provider_->Read("r");
  ASSERT_OK(history);
  EXPECT_EQ(history->size(), 1u);
}

TEST_F(AdminTest, DeleteInstanceWithoutForceDeletesTerminalInstances) {
  ASSERT_NO_FATAL_FAILURE(Start("ok"));
  ASSERT_NO_FATAL_FAILURE(Complete("ok"));
  ASSERT_NO_FATAL_FAILURE(Start("bad"));
  ASSERT_NO_FATAL_FAILURE(Complete("bad", ExecutionStatus::kFailed, "boom"));
  ASSERT_OK(admin_->DeleteInstance("ok", false));
  ASSERT_OK(admin_->DeleteInstance("bad", false));
  ASSERT_NO_FATAL_FAILURE(ExpectGone("ok"));
  ASSERT_NO_FATAL_FAILURE(ExpectGone("bad"));
}

TEST_F(AdminTest, DeleteInstanceCascadesThroughFourLevels) {
  for (auto [inst, parent] : std::vector<std::pair<std::string, std::optional<std::string>>>{
           {"r", std::nullopt}, {"c", "r"}, {"g", "c"}, {"gg", "g"}, {"c2", "r"}}) {
    ASSERT_NO_FATAL_FAILURE(Start(inst, parent));
  }
  ASSERT_NO_FATAL_FAILURE(Start("survivor"));
  for (const char* inst : {"gg", "g", "c2", "c", "r"}) ASSERT_NO_FATAL_FAILURE(Complete(inst));

  auto result = admin_->DeleteInstance("r", false);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 5u);
  EXPECT_EQ(result->executions_deleted, 5u);
  EXPECT_EQ(result->events_deleted, 10u);
  for (const char* inst : {"r", "c", "g", "gg", "c2"}) ASSERT_NO_FATAL_FAILURE(ExpectGone(inst));
  EXPECT_THAT(List(), ElementsAre("survivor"));
  auto children = admin_->ListChildren("r");
  if (children.ok()) {
    EXPECT_THAT(*children, IsEmpty());
  }
}

TEST_F(AdminTest, DeleteInstanceWithoutForceRefusesTreeWithRunningDescendant) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Start("g", "c"));  // stays running
  ASSERT_NO_FATAL_FAILURE(Complete("c"));
  ASSERT_NO_FATAL_FAILURE(Complete("r"));
  EXPECT_CODE(admin_->DeleteInstance("r", false), kConflict);
  for (const char* inst : {"r", "c", "g"}) EXPECT_TRUE(Exists(inst)) << inst;

  auto forced = admin_->DeleteInstance("r", true);
  ASSERT_OK(forced);
  EXPECT_EQ(forced->instances_deleted, 3u);
  for (const char* inst : {"r", "c", "g"}) ASSERT_NO_FATAL_FAILURE(ExpectGone(inst));
}

TEST_F(AdminTest, DeleteInstanceOnSubOrchestrationIsConflict) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Complete("c"));
  EXPECT_CODE(admin_->DeleteInstance("c", false), kConflict);
  EXPECT_CODE(admin_->DeleteInstance("c", true), kConflict);
  EXPECT_TRUE(Exists("c"));
  auto children = admin_->ListChildren("r");
  ASSERT_OK(children);
  EXPECT_THAT(*children, ElementsAre("c"));
}

TEST_F(AdminTest, DeleteInstancesAtomicRefusesWhenAChildOutsideTheListWouldBeOrphaned) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Complete("c"));
  ASSERT_NO_FATAL_FAILURE(Complete("r"));
  EXPECT_CODE(admin_->DeleteInstancesAtomic({"r"}, false), kConflict);
  EXPECT_CODE(admin_->DeleteInstancesAtomic({"r"}, true), kConflict);
  EXPECT_TRUE(Exists("r"));
  EXPECT_TRUE(Exists("c"));
  auto history = provider_->Read("r");
  ASSERT_OK(history);
  EXPECT_EQ(history->size(), 2u);
}

TEST_F(AdminTest, DeleteInstancesAtomicDetectsOrphanAtThirdLevelAndDeletesNothing) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Start("g", "c"));
  for (const char* inst : {"g", "c", "r"}) ASSERT_NO_FATAL_FAILURE(Complete(inst));
  EXPECT_CODE(admin_->DeleteInstancesAtomic({"r", "c"}, true), kConflict);
  for (const char* inst : {"r", "c", "g"}) EXPECT_TRUE(Exists(inst)) << inst;
  auto m = admin_->GetSystemMetrics();
  ASSERT_OK(m);
  EXPECT_EQ(m->total_instances, 3u);
  EXPECT_EQ(m->total_events, 6u);
}

TEST_F(AdminTest, DeleteInstancesAtomicIsAllOrNothingWhenOneIsRunning) {
  ASSERT_NO_FATAL_FAILURE(Start("done"));
  ASSERT_NO_FATAL_FAILURE(Complete("done"));
  ASSERT_NO_FATAL_FAILURE(Start("running"));
  EXPECT_CODE(admin_->DeleteInstancesAtomic({"done", "running"}, false), kConflict);
  EXPECT_TRUE(Exists("done"));
  EXPECT_TRUE(Exists("running"));
  EXPECT_THAT(List(), UnorderedElementsAre("done", "running"));

  auto forced = admin_->DeleteInstancesAtomic({"done", "running"}, true);
  ASSERT_OK(forced);
  EXPECT_EQ(forced->instances_deleted, 2u);
  EXPECT_THAT(List(), IsEmpty());
}

TEST_F(AdminTest, DeleteInstancesAtomicDeletesParentAndChildTogether) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Complete("c"));
  ASSERT_NO_FATAL_FAILURE(Complete("r"));
  auto result = admin_->DeleteInstancesAtomic({"c", "r"}, false);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 2u);
  ASSERT_NO_FATAL_FAILURE(ExpectGone("r"));
  ASSERT_NO_FATAL_FAILURE(ExpectGone("c"));
}

TEST_F(AdminTest, DeleteInstancesAtomicOfALeafChildUnlinksItFromItsParent) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Complete("c"));
  ASSERT_OK(admin_->DeleteInstancesAtomic({"c"}, false));
  ASSERT_NO_FATAL_FAILURE(ExpectGone("c"));
  EXPECT_TRUE(Exists("r"));
  auto children = admin_->ListChildren("r");
  ASSERT_OK(children);
  EXPECT_THAT(*children, IsEmpty());
  auto tree = admin_->GetInstanceTree("r");
  ASSERT_OK(tree);
  EXPECT_THAT(tree->instances, ElementsAre("r"));
}

TEST_F(AdminTest, AckFromLockHolderAfterForceDeleteFailsWithLockLostAndWritesNothing) {
  ASSERT_NO_FATAL_FAILURE(Start("z"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("z"));
  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("z", &f));

  ASSERT_OK(admin_->DeleteInstance("z", true));

  OrchestrationAck ack;
  ack.execution_id = 1;
  ack.history_delta = {{2, "zombie"}};
  ack.metadata.orchestration_name = kName;
  ack.metadata.version = "1.0.0";
  ack.metadata.status = ExecutionStatus::kCompleted;
  ack.metadata.output = "resurrected";
  ack.worker_items.push_back(WorkerItem{{"z", 1, 1}, "act", std::nullopt, std::nullopt});
  ack.orchestrator_items.push_back(OrchestratorItem{"z", Kind::kOther, "self", "", "", {}});
  ack.custom_status = std::optional<std::string>("zombie-status");
  ack.kv_changes.push_back({KvChange::Kind::kSet, "k", "v"});
  Status st = provider_->AckOrchestrationItem(f.lock_token, ack);
  EXPECT_EQ(st.code(), Code::kLockLost) << st.ToString();
  EXPECT_THAT(st.message(), HasSubstr("lock token"));
  // A retry with the same token fails the same way.
  EXPECT_CODE(provider_->AckOrchestrationItem(f.lock_token, ack), kLockLost);

  ASSERT_NO_FATAL_FAILURE(ExpectGone("z"));
  EXPECT_EQ(Depths().orchestrator, 0u);
  EXPECT_EQ(Depths().worker, 0u);
  auto m = admin_->GetSystemMetrics();
  ASSERT_OK(m);
  EXPECT_EQ(m->total_instances, 0u);
  EXPECT_EQ(m->total_executions, 0u);
  EXPECT_EQ(m->total_events, 0u);
  auto next = provider_->FetchOrchestrationItem(kLockMs, kNoWait);
  ASSERT_OK(next);
  EXPECT_FALSE(next->has_value());
}

TEST_F(AdminTest, AckFromLockHolderAfterAtomicDeleteOfTerminalInstanceFailsWithLockLost) {
  ASSERT_NO_FATAL_FAILURE(Start("z"));
  ASSERT_NO_FATAL_FAILURE(Complete("z"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("z", "late-event"));
  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("z", &f));

  ASSERT_OK(admin_->DeleteInstancesAtomic({"z"}, false));

  OrchestrationAck ack;
  ack.execution_id = 1;
  ack.history_delta = {{3, "zombie"}};
  ack.metadata.orchestration_name = kName;
  ack.metadata.version = "1.0.0";
  EXPECT_CODE(provider_->AckOrchestrationItem(f.lock_token, ack), kLockLost);
  ASSERT_NO_FATAL_FAILURE(ExpectGone("z"));
}

TEST_F(AdminTest, RecreateAfterDeleteStartsAtExecutionOneWithEmptyHistory) {
  ASSERT_NO_FATAL_FAILURE(Start("re"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("re"));
  ASSERT_NO_FATAL_FAILURE(Complete("re"));
  ASSERT_OK(admin_->DeleteInstance("re", false));

  clock_.Advance(10);
  OrchestratorItem start;
  start.instance = "re";
  start.kind = Kind::kStart;
  start.payload = "start-again";
  start.orchestration_name = "Other";
  start.version = "3.0.0";
  ASSERT_OK(provider_->EnqueueForOrchestrator(start));
  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("re", &f));
  EXPECT_EQ(f.item.execution_id, 1u);
  EXPECT_THAT(f.item.history, IsEmpty());
  EXPECT_THAT(f.item.kv_snapshot, IsEmpty());
  EXPECT_EQ(f.item.orchestration_name, "Other");
  EXPECT_EQ(f.item.version, "3.0.0");

  OrchestrationAck ack;
  ack.execution_id = 1;
  ack.history_delta = {{1, "fresh-1"}};  // event 1 again: no duplicate with the old history
  ack.metadata.orchestration_name = "Other";
  ack.metadata.version = "3.0.0";
  ASSERT_OK(provider_->AckOrchestrationItem(f.lock_token, ack));

  EXPECT_THAT(Executions("re"), ElementsAre(1u));
  auto info = admin_->GetInstanceInfo("re");
  ASSERT_OK(info);
  EXPECT_EQ(info->orchestration_name, "Other");
  EXPECT_EQ(info->current_execution_id, 1u);
  EXPECT_EQ(info->status, ExecutionStatus::kRunning);
  EXPECT_EQ(info->created_at_ms, clock_.NowMs());
  auto history = admin_->ReadHistory("re");
  ASSERT_OK(history);
  EXPECT_THAT(*history, ElementsAre(HistoryEvent{1, "fresh-1"}));
}

TEST_F(AdminTest, StaleWorkerAckAfterDeleteAndRecreateFailsWithLockLost) {
  ASSERT_NO_FATAL_FAILURE(Start("w"));
  ASSERT_NO_FATAL_FAILURE(Turn("w", [](OrchestrationAck& ack) {
    ack.worker_items.push_back(WorkerItem{{"w", 1, 1}, "act", std::nullopt, std::nullopt});
  }));
  auto work = provider_->FetchWorkItem(30'000, kNoWait, std::nullopt, TagFilter{});
  ASSERT_OK(work);
  ASSERT_TRUE(work->has_value());
  const std::string stale_token = (**work).lock_token;

  ASSERT_OK(admin_->DeleteInstance("w", true));
  ASSERT_NO_FATAL_FAILURE(Start("w"));  // recreated under the same id

  OrchestratorItem completion{"w", Kind::kOther, "activity-completed", "", "", {}};
  EXPECT_CODE(provider_->AckWorkItem(stale_token, completion), kLockLost);
  EXPECT_CODE(provider_->RenewWorkItemLock(stale_token, 1'000), kLockLost);
  // The completion never reached the new instance.
  EXPECT_EQ(Depths().orchestrator, 0u);
  auto max = admin_->MaxOrchestratorAttemptCount("w");
  ASSERT_OK(max);
  EXPECT_EQ(*max, 0u);
  auto next = provider_->FetchOrchestrationItem(kLockMs, kNoWait);
  ASSERT_OK(next);
  EXPECT_FALSE(next->has_value());
  auto history = provider_->Read("w");
  ASSERT_OK(history);
  EXPECT_EQ(history->size(), 1u);
}

TEST_F(AdminTest, DeleteRemovesKvCustomStatusHistoryAndQueuedMessagesOfBothQueues) {
  ASSERT_NO_FATAL_FAILURE(Start("d"));
  ASSERT_NO_FATAL_FAILURE(EndContinued("d", [](OrchestrationAck& ack) {
    ack.kv_changes.push_back({KvChange::Kind::kSet, "stored", "1"});
    ack.custom_status = std::optional<std::string>("busy");
  }));
  ASSERT_NO_FATAL_FAILURE(NextExecution("d"));
  ASSERT_NO_FATAL_FAILURE(Turn("d", [](OrchestrationAck& ack) {
    ack.kv_changes.push_back({KvChange::Kind::kSet, "delta", "2"});
    ack.worker_items.push_back(WorkerItem{{"d", 2, 1}, "act", std::nullopt, std::nullopt});
    ack.worker_items.push_back(WorkerItem{{"d", 2, 2}, "act", std::string("sess"), "gpu"});
  }));
  ASSERT_NO_FATAL_FAILURE(Start("keep"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("d", "event"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("d", "timer", 60'000));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("keep", "keep-event"));
  ASSERT_NO_FATAL_FAILURE(EnqueueWorker("keep", 9));

  auto kv = provider_->GetKvAllValues("d");
  ASSERT_OK(kv);
  ASSERT_EQ(kv->size(), 2u);
  auto cs = provider_->GetCustomStatus("d", 0);
  ASSERT_OK(cs);
  ASSERT_TRUE(cs->has_value());
  EXPECT_EQ(Depths().orchestrator, 3u);
  EXPECT_EQ(Depths().worker, 3u);

  ASSERT_OK(admin_->DeleteInstance("d", true));

  ASSERT_NO_FATAL_FAILURE(ExpectGone("d"));
  auto value = provider_->GetKvValue("d", "stored");
  ASSERT_OK(value);
  EXPECT_FALSE(value->has_value());
  EXPECT_EQ(Depths().orchestrator, 1u);  // only keep's message
  EXPECT_EQ(Depths().worker, 1u);        // only keep's item
  clock_.Advance(120'000);               // past d's timer: it must be gone too
  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("keep", &f));
  ASSERT_EQ(f.item.messages.size(), 1u);
  EXPECT_EQ(f.item.messages[0].payload, "keep-event");
  auto more = provider_->FetchOrchestrationItem(kLockMs, kNoWait);
  ASSERT_OK(more);
  EXPECT_FALSE(more->has_value());
  auto work = provider_->FetchWorkItem(30'000, kNoWait, SessionConfig{"owner", 30'000},
                                       TagFilter{TagFilter::Mode::kAny, {}});
  ASSERT_OK(work);
  ASSERT_TRUE(work->has_value());
  EXPECT_EQ((**work).item.identity.instance, "keep");
  auto work2 = provider_->FetchWorkItem(30'000, kNoWait, SessionConfig{"owner", 30'000},
                                        TagFilter{TagFilter::Mode::kAny, {}});
  ASSERT_OK(work2);
  EXPECT_FALSE(work2->has_value());
  auto keep_history = provider_->Read("keep");
  ASSERT_OK(keep_history);
  EXPECT_EQ(keep_history->size(), 1u);
}

TEST_F(AdminTest, DeleteResultCountsInstancesExecutionsEventsAndQueueMessages) {
  ASSERT_NO_FATAL_FAILURE(Start("c"));  // exec 1: events 1..2
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("c"));
  ASSERT_NO_FATAL_FAILURE(Turn("c", [](OrchestrationAck& ack) {  // exec 2: events 1..3
    ack.worker_items.push_back(WorkerItem{{"c", 2, 1}, "act", std::nullopt, std::nullopt});
  }));
  ASSERT_NO_FATAL_FAILURE(Complete("c"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("c", "late"));

  auto result = admin_->DeleteInstance("c", false);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 1u);
  EXPECT_EQ(result->executions_deleted, 2u);
  EXPECT_EQ(result->events_deleted, 5u);
  EXPECT_EQ(result->queue_messages_deleted, 2u);  // one per queue
}

TEST_F(AdminTest, DeleteResultCountsSumOverTheTree) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("c"));
  ASSERT_NO_FATAL_FAILURE(Complete("c"));
  ASSERT_NO_FATAL_FAILURE(Complete("r"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("r", "late-r"));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("c", "late-c"));
  // r: 1 exec, 2 events. c: exec 1 (2 events) + exec 2 (2 events).
  auto result = admin_->DeleteInstance("r", false);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 2u);
  EXPECT_EQ(result->executions_deleted, 3u);
  EXPECT_EQ(result->events_deleted, 6u);
  EXPECT_EQ(result->queue_messages_deleted, 2u);
}

// ---------------------------------------------------------------------------------------
// Bulk deletion: filters and limits
// ---------------------------------------------------------------------------------------

TEST_F(AdminTest, BulkDeleteByInstanceIdsDeletesOnlyListedTerminalRoots) {
  for (const char* inst : {"a", "b", "c"}) {
    ASSERT_NO_FATAL_FAILURE(Start(inst));
    ASSERT_NO_FATAL_FAILURE(Complete(inst));
  }
  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"a", "c", "never-existed"};
  auto result = admin_->DeleteInstanceBulk(filter);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 2u);
  EXPECT_THAT(List(), ElementsAre("b"));
}

TEST_F(AdminTest, BulkDeleteCompletedBeforeUsesCurrentExecutionCompletionTime) {
  ASSERT_NO_FATAL_FAILURE(Start("old"));
  ASSERT_NO_FATAL_FAILURE(Complete("old"));
  clock_.Advance(1'000);
  const int64_t cutoff = clock_.NowMs();
  clock_.Advance(1'000);
  ASSERT_NO_FATAL_FAILURE(Start("new"));
  ASSERT_NO_FATAL_FAILURE(Complete("new"));
  ASSERT_NO_FATAL_FAILURE(Start("running"));

  InstanceFilter filter;
  filter.completed_before_ms = cutoff;
  auto result = admin_->DeleteInstanceBulk(filter);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 1u);
  EXPECT_THAT(List(), UnorderedElementsAre("new", "running"));
}

TEST_F(AdminTest, BulkDeleteCombinesIdsAndCompletedBefore) {
  ASSERT_NO_FATAL_FAILURE(Start("old1"));
  ASSERT_NO_FATAL_FAILURE(Complete("old1"));
  ASSERT_NO_FATAL_FAILURE(Start("old2"));
  ASSERT_NO_FATAL_FAILURE(Complete("old2"));
  clock_.Advance(1'000);
  const int64_t cutoff = clock_.NowMs();
  ASSERT_NO_FATAL_FAILURE(Start("new"));
  ASSERT_NO_FATAL_FAILURE(Complete("new"));

  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"old1", "new"};
  filter.completed_before_ms = cutoff;
  auto result = admin_->DeleteInstanceBulk(filter);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 1u);
  EXPECT_THAT(List(), UnorderedElementsAre("old2", "new"));
}

TEST_F(AdminTest, BulkDeleteRespectsLimit) {
  for (const char* inst : {"a", "b", "c", "d"}) {
    ASSERT_NO_FATAL_FAILURE(Start(inst));
    ASSERT_NO_FATAL_FAILURE(Complete(inst));
  }
  InstanceFilter filter;
  filter.limit = 3;
  auto result = admin_->DeleteInstanceBulk(filter);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 3u);
  EXPECT_EQ(List().size(), 1u);

  auto rest = admin_->DeleteInstanceBulk(filter);
  ASSERT_OK(rest);
  EXPECT_EQ(rest->instances_deleted, 1u);
  EXPECT_THAT(List(), IsEmpty());
}

TEST_F(AdminTest, BulkDeleteSkipsRunningInstancesSilently) {
  ASSERT_NO_FATAL_FAILURE(Start("running"));
  ASSERT_NO_FATAL_FAILURE(Start("done"));
  ASSERT_NO_FATAL_FAILURE(Complete("done"));
  ASSERT_NO_FATAL_FAILURE(Start("failed"));
  ASSERT_NO_FATAL_FAILURE(Complete("failed", ExecutionStatus::kFailed, "boom"));

  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"running", "done", "failed"};
  auto result = admin_->DeleteInstanceBulk(filter);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 2u);
  EXPECT_THAT(List(), ElementsAre("running"));

  auto again = admin_->DeleteInstanceBulk(InstanceFilter{});
  ASSERT_OK(again);
  EXPECT_EQ(again->instances_deleted, 0u);
  EXPECT_TRUE(Exists("running"));
}

TEST_F(AdminTest, BulkDeleteOnlySelectsRootInstances) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Complete("c"));
  // The root stays running: its completed child is not deleted on its own.
  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"c"};
  auto by_id = admin_->DeleteInstanceBulk(filter);
  ASSERT_OK(by_id);
  EXPECT_EQ(by_id->instances_deleted, 0u);
  auto all = admin_->DeleteInstanceBulk(InstanceFilter{});
  ASSERT_OK(all);
  EXPECT_EQ(all->instances_deleted, 0u);
  EXPECT_TRUE(Exists("r"));
  EXPECT_TRUE(Exists("c"));
}

TEST_F(AdminTest, BulkDeleteDeletesChildrenWithTheirRoots) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Start("g", "c"));
  for (const char* inst : {"g", "c", "r"}) ASSERT_NO_FATAL_FAILURE(Complete(inst));
  ASSERT_NO_FATAL_FAILURE(Start("solo"));
  ASSERT_NO_FATAL_FAILURE(Complete("solo"));

  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"r"};
  auto result = admin_->DeleteInstanceBulk(filter);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_deleted, 3u);
  for (const char* inst : {"r", "c", "g"}) ASSERT_NO_FATAL_FAILURE(ExpectGone(inst));
  EXPECT_THAT(List(), ElementsAre("solo"));
}

// ---------------------------------------------------------------------------------------
// Pruning
// ---------------------------------------------------------------------------------------

TEST_F(AdminTest, PruneKeepLastKeepsTheNewestExecutions) {
  ASSERT_NO_FATAL_FAILURE(Start("p"));
  for (int i = 0; i < 3; ++i) ASSERT_NO_FATAL_FAILURE(ContinueAsNew("p"));
  ASSERT_THAT(Executions("p"), ElementsAre(1u, 2u, 3u, 4u));

  PruneOptions options;
  options.keep_last = 2;
  auto result = admin_->PruneExecutions("p", options);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_processed, 1u);
  EXPECT_EQ(result->executions_deleted, 2u);
  EXPECT_EQ(result->events_deleted, 4u);
  EXPECT_THAT(Executions("p"), ElementsAre(3u, 4u));

  auto info = admin_->GetInstanceInfo("p");
  ASSERT_OK(info);
  EXPECT_EQ(info->current_execution_id, 4u);
  EXPECT_EQ(info->status, ExecutionStatus::kRunning);
  auto kept = admin_->ReadHistoryWithExecutionId("p", 3);
  ASSERT_OK(kept);
  EXPECT_EQ(kept->size(), 2u);
  auto m = admin_->GetSystemMetrics();
  ASSERT_OK(m);
  EXPECT_EQ(m->total_executions, 2u);
  EXPECT_EQ(m->total_events, 3u);
}

TEST_F(AdminTest, PruneCompletedBeforePrunesOnlyOlderExecutions) {
  ASSERT_NO_FATAL_FAILURE(Start("p"));
  ASSERT_NO_FATAL_FAILURE(EndContinued("p"));  // exec 1 completes here
  clock_.Advance(1'000);
  const int64_t cutoff = clock_.NowMs();
  ASSERT_NO_FATAL_FAILURE(NextExecution("p"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("p"));  // exec 2 completes after the cutoff

  PruneOptions options;
  options.completed_before_ms = cutoff;
  auto result = admin_->PruneExecutions("p", options);
  ASSERT_OK(result);
  EXPECT_EQ(result->executions_deleted, 1u);
  EXPECT_EQ(result->events_deleted, 2u);
  EXPECT_THAT(Executions("p"), ElementsAre(2u, 3u));
}

TEST_F(AdminTest, PruneNeverDeletesTheCurrentExecution) {
  ASSERT_NO_FATAL_FAILURE(Start("p"));
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("p"));
  ASSERT_NO_FATAL_FAILURE(Complete("p"));  // exec 2 is current and completed

  PruneOptions options;
  options.completed_before_ms = clock_.NowMs() + 1'000'000;
  auto result = admin_->PruneExecutions("p", options);
  ASSERT_OK(result);
  EXPECT_EQ(result->executions_deleted, 1u);
  EXPECT_THAT(Executions("p"), ElementsAre(2u));
  auto latest = admin_->ReadHistory("p");
  ASSERT_OK(latest);
  EXPECT_EQ(latest->size(), 2u);
  auto info = admin_->GetInstanceInfo("p");
  ASSERT_OK(info);
  EXPECT_EQ(info->status, ExecutionStatus::kCompleted);

  auto again = admin_->PruneExecutions("p", options);
  ASSERT_OK(again);
  EXPECT_EQ(again->executions_deleted, 0u);
  EXPECT_THAT(Executions("p"), ElementsAre(2u));
}

TEST_F(AdminTest, PruneOfAnUnknownInstanceIsAPermanentError) {
  PruneOptions options;
  options.keep_last = 1;
  auto result = admin_->PruneExecutions("never-created", options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Code::kNotFound);
  EXPECT_FALSE(result.status().retryable());
}

TEST_F(AdminTest, PruneKeepLastNeverDeletesARunningExecution) {
  ASSERT_NO_FATAL_FAILURE(Start("p"));          // exec 1 never gets a status: running
  ASSERT_NO_FATAL_FAILURE(NextExecution("p"));  // exec 2
  ASSERT_NO_FATAL_FAILURE(ContinueAsNew("p"));  // exec 2 ContinuedAsNew, exec 3 current
  ASSERT_THAT(Executions("p"), ElementsAre(1u, 2u, 3u));

  PruneOptions options;
  options.keep_last = 1;
  auto result = admin_->PruneExecutions("p", options);
  ASSERT_OK(result);
  EXPECT_EQ(result->executions_deleted, 1u);
  EXPECT_THAT(Executions("p"), ElementsAre(1u, 3u));
  auto running = admin_->GetExecutionInfo("p", 1);
  ASSERT_OK(running);
  EXPECT_EQ(running->status, ExecutionStatus::kRunning);
}

TEST_F(AdminTest, PruneNeverTouchesKv) {
  ASSERT_NO_FATAL_FAILURE(Start("p"));
  ASSERT_NO_FATAL_FAILURE(SetKv("p", "old", "from-exec-1", ExecutionStatus::kContinuedAsNew));
  ASSERT_NO_FATAL_FAILURE(NextExecution("p"));
  ASSERT_NO_FATAL_FAILURE(SetKv("p", "new", "from-exec-2"));

  PruneOptions options;
  options.keep_last = 1;
  auto result = admin_->PruneExecutions("p", options);
  ASSERT_OK(result);
  EXPECT_EQ(result->executions_deleted, 1u);

  auto kv = provider_->GetKvAllValues("p");
  ASSERT_OK(kv);
  EXPECT_EQ(*kv,
            (std::map<std::string, std::string>{{"new", "from-exec-2"}, {"old", "from-exec-1"}}));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("p"));
  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("p", &f));
  ASSERT_EQ(f.item.kv_snapshot.size(), 1u);
  EXPECT_EQ(f.item.kv_snapshot["old"].value, "from-exec-1");
  EXPECT_EQ(f.item.execution_id, 2u);
}

TEST_F(AdminTest, PruneExecutionsBulkCountsOverMatchingInstances) {
  for (const char* inst : {"a", "b", "c"}) {
    ASSERT_NO_FATAL_FAILURE(Start(inst));
    ASSERT_NO_FATAL_FAILURE(ContinueAsNew(inst));
    ASSERT_NO_FATAL_FAILURE(ContinueAsNew(inst));
  }
  InstanceFilter filter;
  filter.instance_ids = std::vector<std::string>{"a", "b"};
  PruneOptions options;
  options.keep_last = 1;
  auto result = admin_->PruneExecutionsBulk(filter, options);
  ASSERT_OK(result);
  EXPECT_EQ(result->instances_processed, 2u);
  EXPECT_EQ(result->executions_deleted, 4u);
  EXPECT_EQ(result->events_deleted, 8u);
  EXPECT_THAT(Executions("a"), ElementsAre(3u));
  EXPECT_THAT(Executions("b"), ElementsAre(3u));
  EXPECT_THAT(Executions("c"), ElementsAre(1u, 2u, 3u));  // not in the filter
}

TEST_F(AdminTest, PruneExecutionsBulkWithCompletedBeforeKeepsCurrentExecutions) {
  for (const char* inst : {"a", "b"}) {
    ASSERT_NO_FATAL_FAILURE(Start(inst));
    ASSERT_NO_FATAL_FAILURE(ContinueAsNew(inst));
    ASSERT_NO_FATAL_FAILURE(Complete(inst));
  }
  PruneOptions options;
  options.completed_before_ms = clock_.NowMs() + 1'000'000;
  auto result = admin_->PruneExecutionsBulk(InstanceFilter{}, options);
  ASSERT_OK(result);
  EXPECT_EQ(result->executions_deleted, 2u);
  EXPECT_EQ(result->events_deleted, 4u);
  EXPECT_THAT(Executions("a"), ElementsAre(2u));
  EXPECT_THAT(Executions("b"), ElementsAre(2u));
}

// ---------------------------------------------------------------------------------------
// KV delete cascade
// ---------------------------------------------------------------------------------------

TEST_F(AdminTest, DeletingARootRemovesKvOfTheWholeTree) {
  ASSERT_NO_FATAL_FAILURE(Start("r"));
  ASSERT_NO_FATAL_FAILURE(Start("c", "r"));
  ASSERT_NO_FATAL_FAILURE(Start("g", "c"));
  ASSERT_NO_FATAL_FAILURE(SetKv("g", "gk", "gv", ExecutionStatus::kCompleted));  // store layer
  ASSERT_NO_FATAL_FAILURE(SetKv("c", "ck", "cv"));                               // delta layer
  ASSERT_NO_FATAL_FAILURE(SetKv("r", "rk", "rv", ExecutionStatus::kCompleted));
  ASSERT_NO_FATAL_FAILURE(Start("other"));
  ASSERT_NO_FATAL_FAILURE(SetKv("other", "ok", "ov", ExecutionStatus::kCompleted));

  ASSERT_OK(admin_->DeleteInstance("r", true));
  for (const char* inst : {"r", "c", "g"}) {
    auto kv = provider_->GetKvAllValues(inst);
    ASSERT_OK(kv);
    EXPECT_THAT(*kv, IsEmpty()) << inst;
  }
  auto other = provider_->GetKvValue("other", "ok");
  ASSERT_OK(other);
  EXPECT_EQ(*other, std::optional<std::string>("ov"));
}

TEST_F(AdminTest, RecreatedInstanceSeesNoKvFromTheDeletedOne) {
  ASSERT_NO_FATAL_FAILURE(Start("k"));
  ASSERT_NO_FATAL_FAILURE(SetKv("k", "a", "1", ExecutionStatus::kContinuedAsNew));
  ASSERT_NO_FATAL_FAILURE(NextExecution("k"));
  ASSERT_NO_FATAL_FAILURE(Turn("k", [](OrchestrationAck& ack) {
    ack.kv_changes.push_back({KvChange::Kind::kClearAll, "", ""});
    ack.kv_changes.push_back({KvChange::Kind::kSet, "b", "2"});
  }));
  ASSERT_OK(admin_->DeleteInstancesAtomic({"k"}, true));

  ASSERT_NO_FATAL_FAILURE(Start("k"));
  auto kv = provider_->GetKvAllValues("k");
  ASSERT_OK(kv);
  EXPECT_THAT(*kv, IsEmpty());
  ASSERT_NO_FATAL_FAILURE(SetKv("k", "c", "3"));
  auto c = provider_->GetKvAllValues("k");
  ASSERT_OK(c);
  EXPECT_EQ(*c, (std::map<std::string, std::string>{{"c", "3"}}));
  // No leftover "all cleared" marker or store layer from before the delete.
  ASSERT_NO_FATAL_FAILURE(SetKv("k", "d", "4", ExecutionStatus::kCompleted));
  ASSERT_NO_FATAL_FAILURE(EnqueueOther("k"));
  FetchedOrchestration f;
  ASSERT_NO_FATAL_FAILURE(FetchExpect("k", &f));
  ASSERT_EQ(f.item.kv_snapshot.size(), 2u);
  EXPECT_EQ(f.item.kv_snapshot["c"].value, "3");
  EXPECT_EQ(f.item.kv_snapshot["d"].value, "4");
}

}  // namespace
}  // namespace durastore::orchestration
