// Limits of the public API (docs/hostile-input.md) that no module test covered: each
// input exactly at its limit is accepted whole, one byte or item past it fails with the
// documented code and applies nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "durastore/batch.h"
#include "durastore/eventlog.h"
#include "durastore/limits.h"
#include "durastore/orchestration/provider.h"
#include "durastore/queue.h"
#include "durastore/store.h"
#include "test_util.h"

namespace durastore {
namespace {

using queue::Attribute;
using queue::EnqueueOptions;

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.durability = Durability::kNoSync;  // contract tests, not crash tests
    store_ = testing::OpenOrDie(dir_.path(), options);
    ASSERT_NE(store_, nullptr);
  }

  // The single message of `queue` (leased), or nullopt.
  std::optional<queue::Message> TakeOne(std::string_view queue) {
    auto lease = queue::Dequeue(*store_, queue);
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    if (!lease.ok() || !lease->has_value()) return std::nullopt;
    return (*lease)->messages.at(0);
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(LimitsTest, ABatchOfExactlyTheOperationLimitCommitsAndOneMoreIsResourceExhausted) {
  Batch at_limit;
  for (size_t i = 0; i < limits::kMaxBatchOps; ++i) at_limit.Put("k" + std::to_string(i), "v");
  ASSERT_OK(store_->Commit(std::move(at_limit)));
  EXPECT_OK(store_->Get("k" + std::to_string(limits::kMaxBatchOps - 1)));

  Batch past;
  for (size_t i = 0; i <= limits::kMaxBatchOps; ++i) past.Put("p" + std::to_string(i), "v");
  auto r = store_->Commit(std::move(past));
  EXPECT_CODE(r, kResourceExhausted);
  EXPECT_NE(r.status().message().find(std::to_string(limits::kMaxBatchOps)), std::string::npos)
      << r.status().ToString();
  EXPECT_CODE(store_->Get("p0"), kNotFound);
}

TEST_F(LimitsTest, NegativeWaitsAreInvalidArgumentNotSilentlyZero) {
  ASSERT_OK(store_->Commit(Batch().Enqueue("q", "m").Append("s", 0, "e")));
  queue::DequeueOptions dequeue;
  dequeue.wait = std::chrono::milliseconds(-1);
  auto lease = queue::Dequeue(*store_, "q", dequeue);
  EXPECT_CODE(lease, kInvalidArgument);
  EXPECT_NE(lease.status().message().find("wait"), std::string::npos) << lease.status().ToString();
  EXPECT_CODE(eventlog::ReadAfter(*store_, 0, 10, std::chrono::milliseconds(-5)), kInvalidArgument);
  eventlog::TailOptions tail;
  tail.wait = std::chrono::milliseconds(-1);
  EXPECT_CODE(eventlog::ReadAfter(*store_, 0, tail), kInvalidArgument);
  // Nothing was consumed by the refused calls.
  EXPECT_TRUE(TakeOne("q").has_value());
}

TEST_F(LimitsTest, TheOperationLimitCountsEveryAppendedEventSoManyEmptyEventsAreRefused) {
  // One Append of kMaxBatchOps + 1 empty events: 1 operation and a few bytes, but as many
  // records to write as the limit forbids.
  Batch past;
  past.Append("s", 0, std::vector<eventlog::EventData>(limits::kMaxBatchOps + 1));
  auto r = store_->Commit(std::move(past));
  EXPECT_CODE(r, kResourceExhausted);
  EXPECT_NE(r.status().message().find(std::to_string(limits::kMaxBatchOps + 1)), std::string::npos)
      << r.status().ToString();
  EXPECT_CODE(eventlog::GetPartitionInfo(*store_, "s", 0), kNotFound);

  // Events and other operations add up.
  Batch mixed;
  mixed.Append("s", 0, std::vector<eventlog::EventData>(limits::kMaxBatchOps));
  mixed.Put("k", "v");
  EXPECT_CODE(store_->Commit(std::move(mixed)), kResourceExhausted);
  EXPECT_CODE(store_->Get("k"), kNotFound);
}

TEST_F(LimitsTest, AnEventKeyAtTheLimitIsAcceptedAndStoredWhole) {
  const std::string key(limits::kMaxEventKey, 'e');
  ASSERT_OK(store_->Commit(Batch().Append("s", 1, std::vector<eventlog::EventData>{{"p", key}})));
  auto events = eventlog::ReadPartition(*store_, "s", 1);
  ASSERT_OK(events);
  ASSERT_EQ(events->events.size(), 1u);
  EXPECT_EQ(events->events[0].key, key);
}

TEST_F(LimitsTest, QueueNameAndGroupKeyAtTheLimitAreAcceptedAndStoredWhole) {
  const std::string queue(limits::kMaxQueueName, 'q');
  ASSERT_OK(store_->Commit(
      Batch().Enqueue(queue, "m", testing::WithGroup(std::string(limits::kMaxGroupKey, 'g')))));
  auto message = TakeOne(queue);
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->group_key, std::string(limits::kMaxGroupKey, 'g'));
  EXPECT_CODE(store_->Commit(Batch().Enqueue(
                  "q", "m", testing::WithGroup(std::string(limits::kMaxGroupKey + 1, 'g')))),
              kInvalidArgument);
  EXPECT_CODE(queue::GetCounters(*store_, "q"), kNotFound);
}

TEST_F(LimitsTest, TheMaximumNumberOfMaximumSizeAttributesIsAcceptedAndStoredWhole) {
  EnqueueOptions options;
  for (size_t i = 0; i < limits::kMaxAttributes; ++i) {
    std::string name(limits::kMaxAttributeName, 'n');
    name.replace(0, 2, std::to_string(10 + i));  // unique, still at the limit
    options.attributes.push_back({name, std::string(limits::kMaxAttributeValue, 'v')});
  }
  ASSERT_OK(store_->Commit(Batch().Enqueue("q", "m", options)));
  auto message = TakeOne("q");
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->attributes, options.attributes);
}

TEST_F(LimitsTest, AnAttributeNamePastTheLimitIsInvalidAndAppliesNothing) {
  EnqueueOptions options;
  options.attributes.push_back({std::string(limits::kMaxAttributeName + 1, 'n'), "v"});
  EXPECT_CODE(store_->Commit(Batch().Put("x", "1").Enqueue("q", "m", options)), kInvalidArgument);
  EXPECT_CODE(store_->Get("x"), kNotFound);
  EXPECT_CODE(queue::GetCounters(*store_, "q"), kNotFound);
}

TEST_F(LimitsTest, AMessagePayloadAtTheLimitIsAcceptedAndDeliveredWhole) {
  const std::string payload(limits::kMaxPayload, 'x');
  ASSERT_OK(store_->Commit(Batch().Enqueue("q", payload)));
  auto message = TakeOne("q");
  ASSERT_TRUE(message.has_value());
  EXPECT_EQ(message->payload.size(), limits::kMaxPayload);
  EXPECT_TRUE(message->payload == payload);
}

TEST_F(LimitsTest, ADeadLetterQueueNamePastTheLimitIsInvalid) {
  queue::QueueOptions options;
  options.dead_letter_queue = std::string(limits::kMaxQueueName, 'd');
  ASSERT_OK(store_->Commit(Batch().ConfigureQueue("q", options)));
  auto stored = queue::GetQueueOptions(*store_, "q");
  ASSERT_OK(stored);
  EXPECT_EQ(stored->dead_letter_queue, options.dead_letter_queue);
  options.dead_letter_queue = std::string(limits::kMaxQueueName + 1, 'd');
  EXPECT_CODE(store_->Commit(Batch().ConfigureQueue("r", options)), kInvalidArgument);
  EXPECT_CODE(queue::GetQueueOptions(*store_, "r"), kNotFound);
}

TEST_F(LimitsTest, DeleteRangeBoundsPastTheMetadataKeyLimitAreInvalid) {
  ASSERT_OK(store_->Commit(Batch().Put("a", "1").Put("b", "2")));
  const std::string at_limit(limits::kMaxMetadataKey, 'z');
  EXPECT_CODE(store_->Commit(Batch().DeleteRange("a", at_limit + "z")), kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().DeleteRange(at_limit + "a", "b")), kInvalidArgument);
  EXPECT_OK(store_->Get("a"));
  ASSERT_OK(store_->Commit(Batch().DeleteRange("a", at_limit)));
  EXPECT_CODE(store_->Get("a"), kNotFound);
  EXPECT_CODE(store_->Get("b"), kNotFound);
}

TEST_F(LimitsTest, PeekMessagesChecksAttributeLimits) {
  ASSERT_OK(store_->Commit(Batch().Enqueue("q", "m")));
  EXPECT_CODE(queue::PeekMessages(*store_, "q", "", "v"), kInvalidArgument);
  EXPECT_CODE(
      queue::PeekMessages(*store_, "q", std::string(limits::kMaxAttributeName + 1, 'n'), "v"),
      kInvalidArgument);
  EXPECT_CODE(
      queue::PeekMessages(*store_, "q", "n", std::string(limits::kMaxAttributeValue + 1, 'v')),
      kInvalidArgument);
  auto at_limit = queue::PeekMessages(*store_, "q", std::string(limits::kMaxAttributeName, 'n'),
                                      std::string(limits::kMaxAttributeValue, 'v'));
  ASSERT_OK(at_limit);
  EXPECT_TRUE(at_limit->empty());
}

// provider.h: KV values up to kMaxKvValue, outputs and custom status up to kMaxRecordValue.
// Each test starts instance "i" and acks its first turn with one value at (or past) its
// limit.
class OrchestrationLimitsTest : public LimitsTest {
 protected:
  Status AckFirstTurn(const orchestration::OrchestrationAck& extra) {
    using namespace orchestration;  // NOLINT(build/namespaces)
    auto provider = Provider::Open(*store_);
    if (!provider.ok()) return provider.status();
    provider_ = std::move(provider).value();
    OrchestratorItem start;
    start.instance = "i";
    start.kind = OrchestratorItem::Kind::kStart;
    start.payload = "start";
    start.orchestration_name = "Orch";
    start.version = "1";
    Status enqueued = provider_->EnqueueForOrchestrator(start);
    if (!enqueued.ok()) return enqueued;
    auto fetched = provider_->FetchOrchestrationItem(60'000, std::chrono::milliseconds(0));
    if (!fetched.ok()) return fetched.status();
    if (!fetched->has_value()) return Status::NotFound("no orchestration item");
    OrchestrationAck ack = extra;
    ack.execution_id = 1;
    ack.history_delta = {HistoryEvent{1, "started"}};
    ack.metadata.orchestration_name = "Orch";
    ack.metadata.version = "1";
    return provider_->AckOrchestrationItem((*fetched)->lock_token, ack);
  }

  const std::string big_ = std::string(limits::kMaxPayload, 'v');
  std::unique_ptr<orchestration::Provider> provider_;
};

TEST_F(OrchestrationLimitsTest, AKvValueAtItsLimitIsAccepted) {
  const std::string value(orchestration::kMaxKvValue, 'v');
  orchestration::OrchestrationAck ack;
  ack.kv_changes = {orchestration::KvChange{orchestration::KvChange::Kind::kSet, "k", value}};
  ASSERT_OK(AckFirstTurn(ack));
  auto kv = provider_->GetKvValue("i", "k");
  ASSERT_OK(kv);
  EXPECT_TRUE(kv->has_value() && **kv == value);
}

TEST_F(OrchestrationLimitsTest, AKvValueOneBytePastItsLimitIsInvalid) {
  orchestration::OrchestrationAck ack;
  ack.kv_changes = {orchestration::KvChange{orchestration::KvChange::Kind::kSet, "k",
                                            std::string(orchestration::kMaxKvValue + 1, 'v')}};
  Status past = AckFirstTurn(ack);
  EXPECT_EQ(past.code(), Code::kInvalidArgument) << past.ToString();
  EXPECT_NE(past.message().find("limit"), std::string::npos) << past.ToString();
}

TEST_F(OrchestrationLimitsTest, ACustomStatusAndAnOutputAtTheirLimitAreAccepted) {
  const std::string value(orchestration::kMaxRecordValue, 'v');
  orchestration::OrchestrationAck ack;
  ack.custom_status = std::optional<std::string>(value);
  ack.metadata.output = value;
  ASSERT_OK(AckFirstTurn(ack));
  auto status = provider_->GetCustomStatus("i", 0);
  ASSERT_OK(status);
  EXPECT_TRUE(status->has_value() && (*status)->status == value);
}

TEST_F(OrchestrationLimitsTest, ACustomStatusPastTheLimitIsInvalid) {
  orchestration::OrchestrationAck ack;
  ack.custom_status = std::optional<std::string>(big_);
  EXPECT_EQ(AckFirstTurn(ack).code(), Code::kInvalidArgument);
}

TEST_F(OrchestrationLimitsTest, AnOutputPastTheLimitIsInvalid) {
  orchestration::OrchestrationAck ack;
  ack.metadata.output = big_;
  EXPECT_EQ(AckFirstTurn(ack).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace durastore
