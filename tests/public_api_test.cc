// Compiles against the public headers only (no test_util.h, no internal header) and uses
// them end to end, so the public surface stays self-sufficient.
#include <durastore/batch.h>
#include <durastore/clock.h>
#include <durastore/eventlog.h>
#include <durastore/limits.h>
#include <durastore/orchestration/admin.h>
#include <durastore/orchestration/provider.h>
#include <durastore/queue.h>
#include <durastore/status.h>
#include <durastore/store.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

namespace {

TEST(PublicApiTest, AppendEnqueueDequeueAckRoundTrip) {
  std::string dir = "/tmp/durastore-public-api-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    durastore::ManualClock clock;
    durastore::Options options;
    options.clock = &clock;
    auto store = durastore::Store::Open(dir, options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    durastore::Batch batch;
    batch.Append("order-1", 1, "created", durastore::eventlog::ExpectedVersion::NoPartition())
        .Enqueue("emails", "order-1 created")
        .Put("orders/1", "created");
    auto committed = (*store)->Commit(std::move(batch));
    ASSERT_TRUE(committed.ok()) << committed.status().ToString();
    EXPECT_EQ(committed->appends.at(0).first_sequence, 1u);

    auto lease = durastore::queue::Dequeue(**store, "emails");
    ASSERT_TRUE(lease.ok() && lease->has_value());
    durastore::Batch settle;
    settle.Ack((*lease)->token).Put("orders/1", "emailed");
    ASSERT_TRUE((*store)->Commit(std::move(settle)).ok());

    auto events = durastore::eventlog::ReadPartition(**store, "order-1", 1);
    ASSERT_TRUE(events.ok());
    ASSERT_EQ(events->events.size(), 1u);
    EXPECT_EQ(events->events.at(0).payload, "created");
    EXPECT_EQ(*(*store)->Get("orders/1"), "emailed");
    auto streams = durastore::eventlog::ListStreams(**store, "order-");
    ASSERT_TRUE(streams.ok());
    EXPECT_EQ(*streams, std::vector<std::string>{"order-1"});
    auto browsed = durastore::queue::BrowseQueue(**store, "emails");
    ASSERT_TRUE(browsed.ok());
    EXPECT_TRUE(browsed->messages.empty());  // acked above
    EXPECT_LE(durastore::limits::kMaxStreamKey, 511u);
  }
  std::filesystem::remove_all(dir);
}

TEST(PublicApiTest, OrchestrationTurnThroughProviderAndAdmin) {
  namespace orch = durastore::orchestration;
  std::string dir = "/tmp/durastore-public-api-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  {
    auto store = durastore::Store::Open(dir);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto provider = orch::Provider::Open(**store);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    orch::OrchestratorItem start;
    start.instance = "order-1";
    start.kind = orch::OrchestratorItem::Kind::kStart;
    start.orchestration_name = "ProcessOrder";
    start.version = "1.0.0";
    ASSERT_TRUE((*provider)->EnqueueForOrchestrator(start).ok());
    auto fetched = (*provider)->FetchOrchestrationItem(5000, std::chrono::milliseconds(0));
    ASSERT_TRUE(fetched.ok() && fetched->has_value());
    orch::OrchestrationAck ack;
    ack.execution_id = (*fetched)->item.execution_id;
    ack.history_delta = {{1, "started"}, {2, "completed"}};
    ack.metadata.orchestration_name = "ProcessOrder";
    ack.metadata.version = "1.0.0";
    ack.metadata.status = orch::ExecutionStatus::kCompleted;
    ASSERT_TRUE((*provider)->AckOrchestrationItem((*fetched)->lock_token, ack).ok());

    orch::Admin admin(**store);
    auto info = admin.GetInstanceInfo("order-1");
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->status, orch::ExecutionStatus::kCompleted);
    auto history = (*provider)->Read("order-1");
    ASSERT_TRUE(history.ok());
    EXPECT_EQ(history->size(), 2u);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
