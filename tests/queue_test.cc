// Peek-lock queues: FIFO, delays, leases and their settlement, group mode, filters,
// dead letters, long polling, counters, reopen, validation.
#include "durastore/queue.h"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <lmdb.h>

#include "durastore/eventlog.h"
#include "durastore/limits.h"
#include "lease_table.h"
#include "queue_fixture.h"
#include "store_internal.h"
#include "test_util.h"

namespace durastore {
namespace {

using queue::Attribute;
using queue::AttributeMatch;
using queue::DequeueOptions;
using queue::EnqueueOptions;
using queue::Lease;
using queue::QueueOptions;
using testing::WithGroup;

class QueueTest : public testing::QueueFixture {
 protected:
  void Enqueue(std::string_view q, std::string_view payload, EnqueueOptions options = {}) {
    ASSERT_OK(store_->Commit(Batch().Enqueue(q, payload, options)));
  }
  // Closes the store, writes `value` under `key` in its LMDB table `table` as damage would,
  // and reopens it. An empty `key` means the table's first key with its last byte cut off.
  void PutRaw(const char* table, std::string_view key, std::string_view value) {
    store_.reset();
    MDB_env* env = nullptr;
    ASSERT_EQ(mdb_env_create(&env), 0);
    ASSERT_EQ(mdb_env_set_maxdbs(env, 32), 0);
    ASSERT_EQ(mdb_env_open(env, dir_.path().c_str(), 0, 0644), 0);
    MDB_txn* txn = nullptr;
    MDB_dbi dbi = 0;
    ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
    ASSERT_EQ(mdb_dbi_open(txn, table, 0, &dbi), 0);
    std::string damaged(key);
    if (damaged.empty()) {
      MDB_cursor* cur = nullptr;
      ASSERT_EQ(mdb_cursor_open(txn, dbi, &cur), 0);
      MDB_val first, unused;
      ASSERT_EQ(mdb_cursor_get(cur, &first, &unused, MDB_FIRST), 0);
      damaged.assign(static_cast<const char*>(first.mv_data), first.mv_size - 1);
      mdb_cursor_close(cur);
    }
    MDB_val k{damaged.size(), damaged.data()};
    MDB_val v{value.size(), const_cast<char*>(value.data())};
    ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
    ASSERT_EQ(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    Open();
  }
};

std::string BigEndian(uint64_t v, int bytes) {
  std::string out;
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>(v >> shift));
  }
  return out;
}

EnqueueOptions WithAttrs(std::vector<Attribute> attrs) {
  EnqueueOptions o;
  o.attributes = std::move(attrs);
  return o;
}
std::optional<std::string> AttributeOf(const queue::Message& m, std::string_view name) {
  for (const auto& a : m.attributes) {
    if (a.name == name) return a.value;
  }
  return std::nullopt;
}

TEST_F(QueueTest, DequeueReturnsTheMessageWithItsEnvelope) {
  EnqueueOptions o = WithAttrs({{"tag", "gpu"}, {"session", "s1"}});
  o.group_key = "g";
  Enqueue("q", "hello", o);
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  ASSERT_EQ(lease->messages.size(), 1u);
  const auto& m = lease->messages[0];
  EXPECT_EQ(m.payload, "hello");
  EXPECT_EQ(m.group_key, "g");
  EXPECT_EQ(m.attributes, (std::vector<Attribute>{{"tag", "gpu"}, {"session", "s1"}}));
  EXPECT_EQ(m.delivery_count, 1u);
  EXPECT_EQ(m.enqueued_at_ms, clock_.NowMs());
  EXPECT_EQ(lease->queue, "q");
  EXPECT_EQ(lease->locked_until_ms, clock_.NowMs() + QueueOptions().lock_duration_ms);
  EXPECT_EQ(lease->token.ToHex().size(), 32u);
}

TEST_F(QueueTest, AnAcceptPredicateThatThrowsFailsThatDequeueAndTheStoreKeepsWorking) {
  Enqueue("q", "first");
  Enqueue("q", "second");
  queue::DequeueOptions throwing;
  throwing.accept = [](const queue::Candidate&) -> bool { throw std::runtime_error("boom"); };
  auto failed = queue::Dequeue(*store_, "q", throwing);
  EXPECT_CODE(failed, kInvalidArgument);
  EXPECT_NE(failed.status().message().find("DequeueOptions.accept threw: boom"), std::string::npos)
      << failed.status().ToString();
  queue::DequeueOptions throwing_int;
  throwing_int.accept = [](const queue::Candidate&) -> bool { throw 7; };
  EXPECT_CODE(queue::Dequeue(*store_, "q", throwing_int), kInvalidArgument);

  // Nothing was leased or counted, and the committer still commits.
  EXPECT_EQ(CountersOf("q").leased, 0u);
  Enqueue("q", "third");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  ASSERT_EQ(lease->messages.size(), 1u);
  EXPECT_EQ(lease->messages[0].payload, "first");
  EXPECT_EQ(lease->messages[0].delivery_count, 1u);
  EXPECT_OK(store_->Commit(Batch().Ack(lease->token)));
}

TEST_F(QueueTest, EmptyAndUnknownQueuesReturnNothing) {
  EXPECT_FALSE(Take("never-created").has_value());
  Enqueue("q", "a");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  ASSERT_OK(store_->Commit(Batch().Ack(lease->token)));
  EXPECT_FALSE(Take("q").has_value());
}

// One convention for unknown names (queue.h): reads that name a queue say NotFound, an
// existing but empty queue reads as empty; Dequeue, a consumer, finds nothing.
TEST_F(QueueTest, ReadsOfAnUnknownQueueAreNotFoundAndOfAnEmptyOneEmpty) {
  EXPECT_CODE(queue::PeekMessages(*store_, "never-created", "tag", "x"), kNotFound);
  EXPECT_CODE(queue::GetCounters(*store_, "never-created"), kNotFound);
  EXPECT_CODE(queue::GetQueueOptions(*store_, "never-created"), kNotFound);
  EXPECT_FALSE(Take("never-created").has_value());
  Configure("empty", QueueOptions{});
  auto peeked = queue::PeekMessages(*store_, "empty", "tag", "x");
  ASSERT_OK(peeked);
  EXPECT_TRUE(peeked->empty());
  EXPECT_EQ(CountersOf("empty").ready, 0u);
}

TEST_F(QueueTest, MessagesComeOutInFifoOrderWithIncreasingIds) {
  for (int i = 0; i < 5; ++i) Enqueue("q", std::to_string(i));
  uint64_t last_id = 0;
  for (int i = 0; i < 5; ++i) {
    auto lease = Take("q");
    ASSERT_TRUE(lease.has_value());
    EXPECT_EQ(lease->messages[0].payload, std::to_string(i));
    EXPECT_GT(lease->messages[0].id, last_id);
    last_id = lease->messages[0].id;
  }
}

TEST_F(QueueTest, DelayedMessagesBecomeVisibleWithTheClock) {
  EnqueueOptions later;
  later.delay_ms = 5000;
  Enqueue("q", "later", later);
  Enqueue("q", "now");
  auto c = CountersOf("q");
  EXPECT_EQ(c.ready, 1u);
  EXPECT_EQ(c.delayed, 1u);
  auto first = Take("q");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->messages[0].payload, "now");
  EXPECT_FALSE(Take("q").has_value());
  clock_.Advance(4999);
  EXPECT_FALSE(Take("q").has_value());
  clock_.Advance(1);
  auto second = Take("q");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->messages[0].payload, "later");
}

TEST_F(QueueTest, AbsoluteVisibilityOrdersBeforeLaterMessages) {
  EnqueueOptions at;
  at.visible_at_ms = clock_.NowMs() - 10;  // an old timer fires before newer messages
  Enqueue("q", "new");
  Enqueue("q", "old-timer", at);
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->messages[0].payload, "old-timer");
}

TEST_F(QueueTest, DeliveredMessagesCarryAbsoluteTimes) {
  const int64_t t0 = clock_.NowMs();
  EnqueueOptions later;
  later.delay_ms = 5000;
  Enqueue("q", "delayed", later);
  EnqueueOptions at;
  at.visible_at_ms = t0 + 7000;
  Enqueue("q", "scheduled", at);
  auto c = CountersOf("q");
  EXPECT_EQ(c.ready, 0u);
  EXPECT_EQ(c.delayed, 2u);
  clock_.Advance(7000);
  auto first = Take("q");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->messages[0].payload, "delayed");
  EXPECT_EQ(first->messages[0].enqueued_at_ms, t0);
  EXPECT_EQ(first->messages[0].visible_at_ms, t0 + 5000);
  auto second = Take("q");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->messages[0].payload, "scheduled");
  EXPECT_EQ(second->messages[0].visible_at_ms, t0 + 7000);
}

TEST_F(QueueTest, LeasesUseTheQueueDefaultOrTheRequestedLockDuration) {
  QueueOptions options;
  options.lock_duration_ms = 500;
  Configure("q", options);
  Enqueue("q", "a");
  Enqueue("q", "b");
  const int64_t t0 = clock_.NowMs();
  auto a = Take("q");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->locked_until_ms, t0 + 500);
  DequeueOptions longer;
  longer.lock_duration_ms = 2000;
  auto b = Take("q", longer);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->locked_until_ms, t0 + 2000);
  clock_.Advance(500);
  auto a_again = Take("q");
  ASSERT_TRUE(a_again.has_value());
  EXPECT_EQ(a_again->messages[0].payload, "a");
  EXPECT_FALSE(Take("q").has_value());  // b is still locked
}

TEST_F(QueueTest, AnExpiredLeaseNoLongerCountsAsLeased) {
  Enqueue("q", "m");
  DequeueOptions o;
  o.lock_duration_ms = 1000;
  ASSERT_TRUE(Take("q", o).has_value());
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, 1u);
  EXPECT_EQ(c.ready, 0u);
  EXPECT_EQ(c.oldest_ready_age_ms, 0);
  clock_.Advance(1000);
  c = CountersOf("q");
  EXPECT_EQ(c.leased, 0u);
  EXPECT_EQ(c.ready, 1u);
  EXPECT_EQ(c.oldest_ready_age_ms, 1000);
}

TEST_F(QueueTest, ALeasedMessageIsHiddenUntilTheLockExpires) {
  Enqueue("q", "m");
  DequeueOptions o;
  o.lock_duration_ms = 1000;
  auto first = Take("q", o);
  ASSERT_TRUE(first.has_value());
  EXPECT_FALSE(Take("q").has_value());
  clock_.Advance(999);
  EXPECT_FALSE(Take("q").has_value());
  clock_.Advance(1);
  auto again = Take("q");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->messages[0].delivery_count, 2u);
  EXPECT_NE(again->token, first->token);
}

TEST_F(QueueTest, AnExpiredLeaseFailsItsWholeBatch) {
  Enqueue("q", "m");
  DequeueOptions o;
  o.lock_duration_ms = 1000;
  auto lease = Take("q", o);
  ASSERT_TRUE(lease.has_value());
  clock_.Advance(1000);
  Batch b;
  b.Put("done", "1").Append("s", 1, "e").Ack(lease->token);
  auto r = store_->Commit(std::move(b));
  EXPECT_CODE(r, kLockLost);
  EXPECT_NE(r.status().message().find(lease->token.ToHex()), std::string::npos);
  EXPECT_NE(r.status().message().find("expired"), std::string::npos);
  EXPECT_CODE(store_->Get("done"), kNotFound);
  EXPECT_CODE(eventlog::GetPartitionInfo(*store_, "s", 1), kNotFound);
  EXPECT_EQ(CountersOf("q").ready, 1u);  // the message is still there
}

TEST_F(QueueTest, ASupersededLeaseIsLostForGood) {
  Enqueue("q", "m");
  DequeueOptions o;
  o.lock_duration_ms = 1000;
  auto old = Take("q", o);
  ASSERT_TRUE(old.has_value());
  clock_.Advance(2000);
  auto current = Take("q", o);
  ASSERT_TRUE(current.has_value());
  EXPECT_CODE(store_->Commit(Batch().Renew(old->token, 5000)), kLockLost);
  EXPECT_CODE(store_->Commit(Batch().Ack(old->token)), kLockLost);
  EXPECT_OK(store_->Commit(Batch().Ack(current->token)));
}

TEST_F(QueueTest, RenewExtendsALiveLease) {
  Enqueue("q", "m");
  DequeueOptions o;
  o.lock_duration_ms = 1000;
  auto lease = Take("q", o);
  ASSERT_TRUE(lease.has_value());
  clock_.Advance(800);
  ASSERT_OK(store_->Commit(Batch().Renew(lease->token, 1000)));
  clock_.Advance(800);  // 1600 ms after the dequeue: past the original lock
  EXPECT_FALSE(Take("q").has_value());
  EXPECT_EQ(CountersOf("q").leased, 1u);
  clock_.Advance(200);
  EXPECT_CODE(store_->Commit(Batch().Renew(lease->token, 1000)), kLockLost);
}

TEST_F(QueueTest, AckDeletesAndASecondAckIsLockLost) {
  Enqueue("q", "m");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  ASSERT_OK(store_->Commit(Batch().Ack(lease->token)));
  EXPECT_CODE(store_->Commit(Batch().Ack(lease->token)), kLockLost);
  auto c = CountersOf("q");
  EXPECT_EQ(c.ready + c.delayed + c.leased, 0u);
}

TEST_F(QueueTest, AnUnknownTokenIsLockLost) {
  queue::LeaseToken token;
  token.bytes.fill(7);
  auto r = store_->Commit(Batch().Put("x", "1").Ack(token));
  EXPECT_CODE(r, kLockLost);
  EXPECT_FALSE(r.status().retryable());
  EXPECT_CODE(store_->Get("x"), kNotFound);
}

TEST_F(QueueTest, TokensAreDistinct) {
  for (int i = 0; i < 1000; ++i) Enqueue("q", "m");
  std::set<std::string> tokens;
  for (int i = 0; i < 1000; ++i) {
    auto lease = Take("q");
    ASSERT_TRUE(lease.has_value());
    std::string hex = lease->token.ToHex();
    EXPECT_EQ(hex.size(), 32u);
    EXPECT_EQ(hex.find_first_not_of("0123456789abcdef"), std::string::npos) << hex;
    tokens.insert(std::move(hex));
  }
  EXPECT_EQ(tokens.size(), 1000u);
}

TEST_F(QueueTest, ALeaseTokenRoundTripsThroughHex) {
  Enqueue("q", "m");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  const std::string hex = lease->token.ToHex();
  auto parsed = queue::LeaseToken::FromHex(hex);
  ASSERT_OK(parsed);
  EXPECT_EQ(*parsed, lease->token);
  EXPECT_CODE(queue::LeaseToken::FromHex(hex.substr(1)), kInvalidArgument);
  EXPECT_CODE(queue::LeaseToken::FromHex(hex + "0"), kInvalidArgument);
  EXPECT_CODE(queue::LeaseToken::FromHex(std::string(32, 'g')), kInvalidArgument);
  EXPECT_OK(store_->Commit(Batch().Ack(*parsed)));  // a token kept as text still settles
  EXPECT_FALSE(Take("q").has_value());
}

TEST_F(QueueTest, AFailedBatchLeavesItsLeaseLive) {
  ASSERT_OK(store_->Commit(Batch().Append("s", 1, "e1")));
  Enqueue("q", "m");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  Batch b;
  b.Ack(lease->token)
      .Enqueue("next", "n")
      .Append("s", 1, "e2", eventlog::ExpectedVersion::Exact(0));
  EXPECT_CODE(store_->Commit(std::move(b)), kConflict);
  EXPECT_CODE(queue::GetCounters(*store_, "next"), kNotFound);
  EXPECT_FALSE(Take("q").has_value());  // still leased, not deleted
  EXPECT_EQ(CountersOf("q").leased, 1u);
  EXPECT_OK(store_->Commit(Batch().Ack(lease->token)));
  EXPECT_FALSE(Take("q").has_value());
}

TEST_F(QueueTest, AFailedBatchUndoesItsRenew) {
  Enqueue("q", "m");
  DequeueOptions o;
  o.lock_duration_ms = 1000;
  auto lease = Take("q", o);
  ASSERT_TRUE(lease.has_value());
  clock_.Advance(800);
  Batch b;
  b.Renew(lease->token, 10'000).Append("s", 1, "e", eventlog::ExpectedVersion::Exact(7));
  EXPECT_CODE(store_->Commit(std::move(b)), kConflict);
  clock_.Advance(200);  // the original lock ends here
  auto again = Take("q");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->messages[0].delivery_count, 2u);
}

TEST_F(QueueTest, SettlingALeaseTwiceInOneBatchFailsAsAWhole) {
  Enqueue("q", "m");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  EXPECT_CODE(store_->Commit(Batch().Ack(lease->token).Ack(lease->token)), kLockLost);
  EXPECT_FALSE(Take("q").has_value());  // the first Ack was rolled back with the batch
  EXPECT_OK(store_->Commit(Batch().Ack(lease->token)));
}

TEST_F(QueueTest, AnAckCommitsAtomicallyWithEnqueuesAndMetadata) {
  Enqueue("q", "step1");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  auto r = store_->Commit(
      Batch().Ack(lease->token).Enqueue("q", "step2").Enqueue("other", "x").Put("state", "2"));
  ASSERT_OK(r);
  ASSERT_EQ(r->message_ids.size(), 2u);
  EXPECT_GT(r->message_ids[0], lease->messages[0].id);
  EXPECT_GT(r->message_ids[1], r->message_ids[0]);
  auto state = store_->Get("state");
  ASSERT_OK(state);
  EXPECT_EQ(*state, "2");
  auto next = Take("q");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->messages[0].payload, "step2");
  EXPECT_EQ(next->messages[0].id, r->message_ids[0]);
  EXPECT_TRUE(Take("other").has_value());
}

TEST_F(QueueTest, InvalidSettlementArgumentsApplyNothing) {
  Enqueue("q", "m");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  EXPECT_CODE(store_->Commit(Batch().Put("x", "1").Abandon(lease->token, -1)), kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Put("x", "1").Renew(lease->token, -1)), kInvalidArgument);
  auto too_long = store_->Commit(Batch().Put("x", "1").DeadLetter(
      lease->token, std::string(limits::kMaxDeadLetterReason + 1, 'r')));
  EXPECT_FALSE(too_long.ok());
  EXPECT_NE(too_long.status().code(), Code::kLockLost);
  EXPECT_CODE(store_->Commit(Batch().Put("x", "1").DeleteMessages("q", "", "v")), kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Put("x", "1").DeleteMessages("", "a", "v")), kInvalidArgument);
  EXPECT_CODE(store_->Get("x"), kNotFound);
  EXPECT_CODE(queue::GetCounters(*store_, "q.dead-letter"), kNotFound);
  EXPECT_FALSE(Take("q").has_value());  // still leased
  EXPECT_OK(store_->Commit(Batch().Ack(lease->token)));
}

TEST_F(QueueTest, AbandonWithDelayKeepsTheCount) {
  Enqueue("q", "m");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  ASSERT_OK(store_->Commit(Batch().Abandon(lease->token, 3000)));
  EXPECT_FALSE(Take("q").has_value());
  EXPECT_EQ(CountersOf("q").delayed, 1u);
  clock_.Advance(3000);
  auto again = Take("q");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->messages[0].delivery_count, 2u);
  EXPECT_CODE(store_->Commit(Batch().Ack(lease->token)), kLockLost);
}

TEST_F(QueueTest, AbandonWithoutCountingUndoesTheIncrement) {
  Enqueue("q", "m");
  auto first = Take("q");
  ASSERT_TRUE(first.has_value());
  ASSERT_OK(store_->Commit(Batch().Abandon(first->token, 0, /*count_attempt=*/false)));
  auto second = Take("q");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->messages[0].delivery_count, 1u);
}

TEST_F(QueueTest, DeadLetterMovesTheMessageWithItsReason) {
  Enqueue("q", "poison");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  ASSERT_OK(store_->Commit(Batch().DeadLetter(lease->token, "cannot parse")));
  EXPECT_FALSE(Take("q").has_value());
  EXPECT_EQ(CountersOf("q").dead_lettered, 1u);
  auto dead = Take("q.dead-letter");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->messages[0].payload, "poison");
  EXPECT_EQ(AttributeOf(dead->messages[0], "dead-letter-reason"), "cannot parse");
}

TEST_F(QueueTest, ADeadLetterReasonUpToItsLimitIsRecordedWhole) {
  Enqueue("q", "poison");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  const std::string reason(limits::kMaxDeadLetterReason, 'r');
  ASSERT_OK(store_->Commit(Batch().DeadLetter(lease->token, reason)));
  auto dead = Take("q.dead-letter");
  ASSERT_TRUE(dead.has_value());
  auto recorded = AttributeOf(dead->messages[0], "dead-letter-reason");
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->size(), reason.size());  // limits.h: nothing is truncated silently
  EXPECT_TRUE(*recorded == reason);
}

TEST_F(QueueTest, AnExpiredLeaseCannotBeAbandonedOrDeadLettered) {
  Enqueue("q", "m");
  DequeueOptions o;
  o.lock_duration_ms = 1000;
  auto lease = Take("q", o);
  ASSERT_TRUE(lease.has_value());
  clock_.Advance(1000);
  EXPECT_CODE(store_->Commit(Batch().Abandon(lease->token, 60'000)), kLockLost);
  EXPECT_CODE(store_->Commit(Batch().DeadLetter(lease->token, "late")), kLockLost);
  EXPECT_EQ(CountersOf("q").dead_lettered, 0u);
  EXPECT_CODE(queue::GetCounters(*store_, "q.dead-letter"), kNotFound);
  auto again = Take("q");  // neither the delay nor the move was applied
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->messages[0].delivery_count, 2u);
}

TEST_F(QueueTest, MaxDeliveriesSendsToTheConfiguredDeadLetterQueue) {
  QueueOptions options;
  options.max_deliveries = 2;
  options.dead_letter_queue = "graveyard";
  options.lock_duration_ms = 100;
  Configure("q", options);
  Enqueue("q", "m");
  for (uint32_t attempt = 1; attempt <= 2; ++attempt) {
    auto lease = Take("q");
    ASSERT_TRUE(lease.has_value());
    EXPECT_EQ(lease->messages[0].delivery_count, attempt);
    clock_.Advance(100);
  }
  EXPECT_FALSE(Take("q").has_value());  // the third delivery is a dead letter instead
  EXPECT_EQ(CountersOf("q").dead_lettered, 1u);
  auto dead = Take("graveyard");
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(dead->messages[0].payload, "m");
}

TEST_F(QueueTest, GroupModeLeasesTheWholeGroup) {
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  Enqueue("q", "a1", WithGroup("A"));
  Enqueue("q", "b1", WithGroup("B"));
  Enqueue("q", "a2", WithGroup("A"));
  auto a = Take("q");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->group_key, "A");
  ASSERT_EQ(a->messages.size(), 2u);
  EXPECT_EQ(a->messages[0].payload, "a1");
  EXPECT_EQ(a->messages[1].payload, "a2");
  auto b = Take("q");
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->group_key, "B");
  // A message for A arriving during the lease is not handed to anyone else.
  Enqueue("q", "a3", WithGroup("A"));
  EXPECT_FALSE(Take("q").has_value());
  ASSERT_OK(store_->Commit(Batch().Ack(a->token)));
  auto next = Take("q");
  ASSERT_TRUE(next.has_value());
  ASSERT_EQ(next->messages.size(), 1u);
  EXPECT_EQ(next->messages[0].payload, "a3");  // only the leased messages were deleted
}

TEST_F(QueueTest, GroupModeTakesOnlyVisibleMessagesOfTheGroup) {
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  EnqueueOptions timer = WithGroup("A");
  timer.delay_ms = 1000;
  Enqueue("q", "timer", timer);
  Enqueue("q", "now", WithGroup("A"));
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  ASSERT_EQ(lease->messages.size(), 1u);
  EXPECT_EQ(lease->messages[0].payload, "now");
  ASSERT_OK(store_->Commit(Batch().Ack(lease->token)));
  clock_.Advance(1000);
  auto fired = Take("q");
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(fired->messages[0].payload, "timer");
}

TEST_F(QueueTest, GroupLockExpiresLikeAnyLease) {
  QueueOptions options;
  options.group_mode = true;
  options.lock_duration_ms = 500;
  Configure("q", options);
  Enqueue("q", "a", WithGroup("A"));
  auto first = Take("q");
  ASSERT_TRUE(first.has_value());
  Enqueue("q", "b", WithGroup("A"));
  EXPECT_FALSE(Take("q").has_value());
  clock_.Advance(500);
  auto second = Take("q");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->messages.size(), 2u);  // both, including the one that carried a stale lock
  EXPECT_CODE(store_->Commit(Batch().Ack(first->token)), kLockLost);
  EXPECT_OK(store_->Commit(Batch().Ack(second->token)));
}

TEST_F(QueueTest, AbandoningAGroupLeaseReleasesTheGroup) {
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  Enqueue("q", "a1", WithGroup("A"));
  Enqueue("q", "a2", WithGroup("A"));
  auto first = Take("q");
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->messages.size(), 2u);
  Enqueue("q", "a3", WithGroup("A"));
  ASSERT_OK(store_->Commit(Batch().Abandon(first->token)));
  auto second = Take("q");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->group_key, "A");
  ASSERT_EQ(second->messages.size(), 3u);
  EXPECT_EQ(second->messages[0].payload, "a1");
  EXPECT_EQ(second->messages[0].delivery_count, 2u);
  EXPECT_EQ(second->messages[1].delivery_count, 2u);
  EXPECT_EQ(second->messages[2].payload, "a3");
  EXPECT_EQ(second->messages[2].delivery_count, 1u);
}

TEST_F(QueueTest, GroupModeDeliversUngroupedMessagesOneAtATime) {
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  Enqueue("q", "x");
  Enqueue("q", "y");
  auto x = Take("q");
  ASSERT_TRUE(x.has_value());
  ASSERT_EQ(x->messages.size(), 1u);
  EXPECT_EQ(x->messages[0].payload, "x");
  auto y = Take("q");  // no group key: no group lock blocks it
  ASSERT_TRUE(y.has_value());
  ASSERT_EQ(y->messages.size(), 1u);
  EXPECT_EQ(y->messages[0].payload, "y");
}

TEST_F(QueueTest, AttributeFiltersSelectBeforeCounting) {
  Enqueue("q", "untagged");
  Enqueue("q", "gpu", WithAttrs({{"tag", "gpu"}}));
  Enqueue("q", "cpu", WithAttrs({{"tag", "cpu"}}));
  DequeueOptions tagged;
  tagged.filter = {AttributeMatch{"tag", {"gpu"}, false, false}};
  auto gpu = Take("q", tagged);
  ASSERT_TRUE(gpu.has_value());
  EXPECT_EQ(gpu->messages[0].payload, "gpu");
  EXPECT_FALSE(Take("q", tagged).has_value());

  DequeueOptions default_only;
  default_only.filter = {AttributeMatch{"tag", {}, true, false}};
  auto plain = Take("q", default_only);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->messages[0].payload, "untagged");

  DequeueOptions any_tag;
  any_tag.filter = {AttributeMatch{"tag", {}, false, true}};
  auto cpu = Take("q", any_tag);
  ASSERT_TRUE(cpu.has_value());
  EXPECT_EQ(cpu->messages[0].payload, "cpu");
  // Filtered-out messages were never counted as deliveries.
  EXPECT_EQ(cpu->messages[0].delivery_count, 1u);
}

TEST_F(QueueTest, DefaultAndSetFilterMatchesBoth) {
  Enqueue("q", "other", WithAttrs({{"tag", "other"}}));
  Enqueue("q", "untagged");
  Enqueue("q", "gpu", WithAttrs({{"tag", "gpu"}}));
  DequeueOptions o;
  o.filter = {AttributeMatch{"tag", {"gpu"}, true, false}};
  std::vector<std::string> got;
  while (auto lease = Take("q", o)) got.push_back(lease->messages[0].payload);
  EXPECT_EQ(got, (std::vector<std::string>{"untagged", "gpu"}));
}

TEST_F(QueueTest, AFilteredOutMessageIsNotCountedAsADelivery) {
  Enqueue("q", "tagged", WithAttrs({{"tag", "gpu"}}));
  Enqueue("q", "plain");
  DequeueOptions untagged;
  untagged.filter = {AttributeMatch{"tag", {}, true, false}};
  auto plain = Take("q", untagged);
  ASSERT_TRUE(plain.has_value());
  EXPECT_EQ(plain->messages[0].payload, "plain");
  EXPECT_FALSE(Take("q", untagged).has_value());
  EXPECT_EQ(CountersOf("q").ready, 1u);  // skipped, not locked
  auto tagged = Take("q");
  ASSERT_TRUE(tagged.has_value());
  EXPECT_EQ(tagged->messages[0].payload, "tagged");
  EXPECT_EQ(tagged->messages[0].delivery_count, 1u);
}

TEST_F(QueueTest, TheAcceptPredicateSeesEachCandidateBeforeItIsCounted) {
  Enqueue("q", "a", WithAttrs({{"k", "1"}}));
  Enqueue("q", "b", WithAttrs({{"k", "2"}}));
  auto a = Take("q");
  ASSERT_TRUE(a.has_value());
  ASSERT_OK(store_->Commit(Batch().Abandon(a->token)));  // a: delivered once
  struct Seen {
    uint64_t id;
    uint32_t delivery_count;
    std::vector<Attribute> attributes;
  };
  std::vector<Seen> seen;
  DequeueOptions o;
  o.accept = [&seen](const queue::Candidate& c) {
    seen.push_back({c.message_id(), c.delivery_count(), c.attributes()});
    return c.attributes().at(0).value == "2";
  };
  auto b = Take("q", o);
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->messages[0].payload, "b");
  EXPECT_EQ(b->messages[0].delivery_count, 1u);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].id, a->messages[0].id);
  EXPECT_EQ(seen[0].delivery_count, 1u);
  EXPECT_EQ(seen[0].attributes, (std::vector<Attribute>{{"k", "1"}}));
  EXPECT_EQ(seen[1].id, b->messages[0].id);
  EXPECT_EQ(seen[1].delivery_count, 0u);
  auto a_again = Take("q");  // the rejection neither locked nor counted it
  ASSERT_TRUE(a_again.has_value());
  EXPECT_EQ(a_again->messages[0].delivery_count, 2u);
}

TEST_F(QueueTest, TheAcceptPredicateSkipsWithoutLockingOrCounting) {
  ASSERT_OK(store_->Commit(Batch().Put("blocked/A", "1")));
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  Enqueue("q", "a", WithGroup("A"));
  Enqueue("q", "b", WithGroup("B"));
  DequeueOptions o;
  int calls = 0;
  o.accept = [&calls](const queue::Candidate& c) {
    ++calls;
    return !c.GetMetadata("blocked/" + std::string(c.group_key())).ok();
  };
  auto lease = Take("q", o);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->group_key, "B");
  EXPECT_GE(calls, 2);
  auto a = Take("q");  // A was neither locked nor counted
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->group_key, "A");
  EXPECT_EQ(a->messages[0].delivery_count, 1u);
}

TEST_F(QueueTest, DeleteMessagesByAttribute) {
  Enqueue("q", "a", WithAttrs({{"activity", "1"}}));
  Enqueue("q", "b", WithAttrs({{"activity", "2"}}));
  Enqueue("q", "c", WithAttrs({{"activity", "1"}}));
  auto leased = Take("q");  // "a", activity 1
  ASSERT_TRUE(leased.has_value());
  ASSERT_OK(store_->Commit(Batch().DeleteMessages("q", "activity", "1")));
  auto rest = Take("q");
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(rest->messages[0].payload, "b");
  EXPECT_FALSE(Take("q").has_value());
  auto r = store_->Commit(Batch().Ack(leased->token));
  EXPECT_CODE(r, kLockLost);
  EXPECT_NE(r.status().message().find("deleted"), std::string::npos);
  EXPECT_OK(store_->Commit(Batch().DeleteMessages("q", "activity", "none")));
  EXPECT_OK(store_->Commit(Batch().DeleteMessages("no-such-queue", "activity", "1")));
}

TEST_F(QueueTest, DeleteMessagesCommitsWithTheAckAndTouchesOnlyItsQueue) {
  Enqueue("orch", "turn");
  Enqueue("work", "act1", WithAttrs({{"activity", "1"}}));
  Enqueue("work", "act2", WithAttrs({{"activity", "2"}}));
  Enqueue("other", "act1", WithAttrs({{"activity", "1"}}));
  auto turn = Take("orch");
  ASSERT_TRUE(turn.has_value());
  queue::LeaseToken bogus;
  bogus.bytes.fill(9);
  EXPECT_CODE(store_->Commit(Batch().DeleteMessages("work", "activity", "1").Ack(bogus)),
              kLockLost);
  EXPECT_EQ(CountersOf("work").ready, 2u);  // the failed batch deleted nothing
  ASSERT_OK(store_->Commit(Batch().Ack(turn->token).DeleteMessages("work", "activity", "1")));
  auto work = Take("work");
  ASSERT_TRUE(work.has_value());
  EXPECT_EQ(work->messages[0].payload, "act2");
  EXPECT_FALSE(Take("work").has_value());
  EXPECT_EQ(CountersOf("other").ready, 1u);
  EXPECT_FALSE(Take("orch").has_value());
}

TEST_F(QueueTest, DeletingALeasedMessageReleasesItsGroup) {
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  EnqueueOptions doomed = WithGroup("A");
  doomed.attributes = {{"activity", "1"}};
  Enqueue("q", "a1", doomed);
  Enqueue("q", "a2", WithGroup("A"));
  auto held = Take("q");
  ASSERT_TRUE(held.has_value());
  ASSERT_EQ(held->messages.size(), 2u);
  ASSERT_OK(store_->Commit(Batch().DeleteMessages("q", "activity", "1")));
  auto next = Take("q");  // no waiting for the old lease to expire
  ASSERT_TRUE(next.has_value());
  ASSERT_EQ(next->messages.size(), 1u);
  EXPECT_EQ(next->messages[0].payload, "a2");
  EXPECT_CODE(store_->Commit(Batch().Ack(held->token)), kLockLost);
}

TEST_F(QueueTest, GroupModeCountsMessagesOfALeasedGroupAsLeased) {
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  Enqueue("q", "a1", WithGroup("A"));
  auto held = Take("q");
  ASSERT_TRUE(held.has_value());
  Enqueue("q", "a2", WithGroup("A"));
  Enqueue("q", "b1", WithGroup("B"));
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, 2u);
  EXPECT_EQ(c.ready, 1u);
}

TEST_F(QueueTest, CountersSeeLiveLeasesOfTheirOwnQueueOnly) {
  QueueOptions grouped;
  grouped.group_mode = true;
  grouped.lock_duration_ms = 1000;
  Configure("g", grouped);
  QueueOptions plain;
  plain.lock_duration_ms = 1000;
  Configure("p", plain);
  Enqueue("g", "a1", WithGroup("A"));
  Enqueue("g", "b1", WithGroup("B"));
  Enqueue("p", "x1");
  Enqueue("p", "x2");
  DequeueOptions two;
  two.max_messages = 2;
  auto p_lease = Take("p", two);
  ASSERT_TRUE(p_lease.has_value());
  auto g_lease = Take("g");
  ASSERT_TRUE(g_lease.has_value());
  EXPECT_EQ(g_lease->group_key, "A");
  Enqueue("g", "a2", WithGroup("A"));  // joins a leased group
  Enqueue("g", "none");                // no group: never held back by a group lease
  Enqueue("p", "x3");
  auto g = CountersOf("g");
  EXPECT_EQ(g.leased, 2u);  // a1 (its lease) and a2 (its group's lease)
  EXPECT_EQ(g.ready, 2u);   // b1, none
  auto p = CountersOf("p");
  EXPECT_EQ(p.leased, 2u);
  EXPECT_EQ(p.ready, 1u);
  clock_.Advance(1000);  // every lease expires: their messages are ready again
  g = CountersOf("g");
  EXPECT_EQ(g.leased, 0u);
  EXPECT_EQ(g.ready, 4u);
  p = CountersOf("p");
  EXPECT_EQ(p.leased, 0u);
  EXPECT_EQ(p.ready, 3u);
  auto again = Take("p");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(CountersOf("p").leased, 1u);
  ASSERT_OK(store_->Commit(Batch().Ack(again->token)));
  EXPECT_EQ(CountersOf("p").leased, 0u);
  EXPECT_EQ(CountersOf("p").ready, 2u);
}

// The predicate is caller code run by the committer: it must not run under the lease
// mutex (it used to, so a predicate calling GetCounters deadlocked the store).
TEST_F(QueueTest, AcceptPredicateRunsWithoutTheLeaseMutex) {
  Enqueue("q", "a");
  Enqueue("q", "b");
  const internal::LeaseTable& leases = StoreInternal::Leases(*store_);
  int calls = 0;
  bool mutex_was_free = true;
  std::optional<queue::Counters> seen;
  DequeueOptions options;
  options.accept = [&](const queue::Candidate&) {
    ++calls;
    if (!leases.MutexIsFreeForTesting()) {
      mutex_was_free = false;
      return false;
    }
    auto counters = queue::GetCounters(*store_, "q");  // takes the mutex itself
    if (counters.ok()) seen = *counters;
    return calls > 1;  // skip the first: the scan goes on after the predicate
  };
  auto lease = Take("q", options);
  EXPECT_TRUE(mutex_was_free);
  EXPECT_EQ(calls, 2);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(lease->messages[0].payload, "b");
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->ready, 2u);
  EXPECT_EQ(CountersOf("q").leased, 1u);
}

// GetCounters copies a queue's live locks under the lease table's own mutex while the
// committer changes the table under its Writer: a reader on another thread never sees a
// half-changed table (run under ThreadSanitizer, this checks the table's locking).
TEST_F(QueueTest, CountersReadWhileLeasesChangeOnTheCommitter) {
  constexpr uint64_t kMessages = 40;
  for (uint64_t i = 0; i < kMessages; ++i) Enqueue("q", "m" + std::to_string(i));
  std::atomic<bool> stop{false};
  std::atomic<int> reads{0};
  std::thread reader([&] {
    while (!stop.load() || reads.load() == 0) {
      auto c = queue::GetCounters(*store_, "q");
      EXPECT_TRUE(c.ok()) << c.status().ToString();
      if (c.ok()) {
        EXPECT_LE(c->ready + c->leased, kMessages);
      }
      reads.fetch_add(1);
    }
  });
  for (uint64_t i = 0; i < kMessages; ++i) {
    auto lease = Take("q");  // no ASSERT before the join: the reader must be joined
    EXPECT_TRUE(lease.has_value());
    if (!lease) break;
    if (i % 2 == 0) {
      EXPECT_OK(store_->Commit(Batch().Ack(lease->token)));
    } else {
      EXPECT_OK(store_->Commit(Batch().Renew(lease->token, 60'000)));
    }
  }
  stop = true;
  reader.join();
  EXPECT_GT(reads.load(), 0);
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, kMessages / 2);
  EXPECT_EQ(c.ready, 0u);
}

TEST_F(QueueTest, AnUndecodableMessageInAGroupModeQueueIsCorruptionForCounters) {
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  auto committed = store_->Commit(Batch().Enqueue("q", "m", WithGroup("A")));
  ASSERT_OK(committed);
  ASSERT_NO_FATAL_FAILURE(PutRaw("q_msgs", BigEndian(committed->message_ids[0], 8), "garbage"));
  // It used to be counted "ready" by the counters while a dequeue reported Corruption.
  EXPECT_CODE(queue::GetCounters(*store_, "q"), kCorruption);
  EXPECT_CODE(queue::Dequeue(*store_, "q"), kCorruption);
}

// NewToken runs on the committer thread: a getrandom failure other than EINTR used to
// make it spin forever; now it fails the dequeue.
TEST(LeaseTokenSourceTest, AFailingRandomSourceIsAnIoErrorNotASpin) {
  auto no_syscall = [](void*, size_t, unsigned) -> ssize_t {
    errno = ENOSYS;
    return -1;
  };
  auto token = internal::NewToken(no_syscall);
  EXPECT_CODE(token, kIOError);
  EXPECT_NE(token.status().message().find("getrandom"), std::string::npos)
      << token.status().ToString();
  auto nothing = [](void*, size_t, unsigned) -> ssize_t { return 0; };
  EXPECT_CODE(internal::NewToken(nothing), kIOError);
}

TEST(LeaseTokenSourceTest, InterruptedAndShortReadsAreRetriedUntilTheTokenIsFull) {
  static int calls;
  calls = 0;
  auto flaky = [](void* buf, size_t len, unsigned) -> ssize_t {
    if (++calls % 2 == 1) {
      errno = EINTR;
      return -1;
    }
    std::memset(buf, 0xab, 1);  // one byte at a time
    return len > 0 ? 1 : 0;
  };
  auto token = internal::NewToken(flaky);
  ASSERT_OK(token);
  EXPECT_EQ(token->ToHex(), "abababababababababababababababab");
  EXPECT_EQ(calls, 32);
}

// A malformed attribute-index key used to be skipped silently (while a malformed
// group-index key was Corruption): both are Corruption through the one checked reader.
TEST_F(QueueTest, AMalformedAttributeIndexKeyIsCorruption) {
  Enqueue("q", "m", WithAttrs({{"activity", "1"}}));
  ASSERT_NO_FATAL_FAILURE(PutRaw("q_attrs", "", ""));  // the key with a 7-byte message id
  EXPECT_CODE(queue::PeekMessages(*store_, "q", "activity", "1", 10), kCorruption);
  EXPECT_CODE(store_->Commit(Batch().DeleteMessages("q", "activity", "1")), kCorruption);
  EXPECT_EQ(CountersOf("q").ready, 1u);  // nothing was deleted
}

TEST_F(QueueTest, CountersAreExact) {
  QueueOptions options;
  options.lock_duration_ms = 1000;
  Configure("q", options);
  Enqueue("q", "1");
  clock_.Advance(100);
  Enqueue("q", "2");
  Enqueue("q", "3");
  EnqueueOptions later;
  later.delay_ms = 10'000;
  Enqueue("q", "later", later);
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  clock_.Advance(50);
  auto c = CountersOf("q");
  EXPECT_EQ(c.ready, 2u);
  EXPECT_EQ(c.delayed, 1u);
  EXPECT_EQ(c.leased, 1u);
  EXPECT_EQ(c.dead_lettered, 0u);
  EXPECT_EQ(c.oldest_ready_age_ms, 50);
  EXPECT_CODE(queue::GetCounters(*store_, "unknown"), kNotFound);
}

TEST_F(QueueTest, QueueOptionsAndListing) {
  QueueOptions options;
  options.lock_duration_ms = 1234;
  options.max_deliveries = 5;
  options.dead_letter_queue = "dlq";
  options.group_mode = true;
  Configure("b-queue", options);
  Enqueue("a-queue", "m");
  auto got = queue::GetQueueOptions(*store_, "b-queue");
  ASSERT_OK(got);
  EXPECT_EQ(got->lock_duration_ms, 1234);
  EXPECT_EQ(got->max_deliveries, 5u);
  EXPECT_EQ(got->dead_letter_queue, "dlq");
  EXPECT_TRUE(got->group_mode);
  auto defaults = queue::GetQueueOptions(*store_, "a-queue");
  ASSERT_OK(defaults);
  EXPECT_EQ(defaults->lock_duration_ms, QueueOptions().lock_duration_ms);
  auto names = queue::ListQueues(*store_);
  ASSERT_OK(names);
  EXPECT_EQ(*names, (std::vector<std::string>{"a-queue", "b-queue"}));
  EXPECT_CODE(queue::GetQueueOptions(*store_, "nope"), kNotFound);
}

TEST_F(QueueTest, ReopenReleasesLeasesAndKeepsDeliveryCounts) {
  Enqueue("q", "m");
  auto lease = Take("q");
  ASSERT_TRUE(lease.has_value());
  ASSERT_OK(store_->Close());  // the consumer "crashes" holding the lease
  store_.reset();
  Open();
  EXPECT_EQ(CountersOf("q").ready, 1u);  // visible at once: no clock advance
  auto again = Take("q");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->messages[0].delivery_count, 2u);
  EXPECT_CODE(store_->Commit(Batch().Ack(lease->token)), kLockLost);
}

TEST_F(QueueTest, MessageIdsKeepIncreasingAcrossReopen) {
  auto first = store_->Commit(Batch().Enqueue("q", "a").Enqueue("q", "b"));
  ASSERT_OK(first);
  ASSERT_EQ(first->message_ids.size(), 2u);
  for (int i = 0; i < 2; ++i) {  // empty the queue so no id is left to derive the next one from
    auto lease = Take("q");
    ASSERT_TRUE(lease.has_value());
    ASSERT_OK(store_->Commit(Batch().Ack(lease->token)));
  }
  ASSERT_OK(store_->Close());
  store_.reset();
  Open();
  auto second = store_->Commit(Batch().Enqueue("q", "c"));
  ASSERT_OK(second);
  ASSERT_EQ(second->message_ids.size(), 1u);
  EXPECT_GT(second->message_ids[0], first->message_ids[1]);
}

TEST_F(QueueTest, ValidationErrorsApplyNothing) {
  EXPECT_CODE(store_->Commit(Batch().Enqueue("", "m")), kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Enqueue(std::string(limits::kMaxQueueName + 1, 'q'), "m")),
              kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Enqueue("q", std::string(limits::kMaxPayload + 1, 'x'))),
              kResourceExhausted);
  std::vector<Attribute> many;
  for (size_t i = 0; i <= limits::kMaxAttributes; ++i)
    many.push_back({"a" + std::to_string(i), ""});
  EXPECT_CODE(store_->Commit(Batch().Enqueue("q", "m", WithAttrs(many))), kInvalidArgument);
  EXPECT_CODE(
      store_->Commit(Batch().Enqueue(
          "q", "m", WithAttrs({{"tag", std::string(limits::kMaxAttributeValue + 1, 'v')}}))),
      kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Enqueue("q", "m", WithAttrs({{"", "v"}}))), kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Enqueue("q", "m", WithAttrs({{"a", "1"}, {"a", "2"}}))),
              kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Enqueue("q", "m", WithGroup(std::string(201, 'g')))),
              kInvalidArgument);
  EnqueueOptions negative;
  negative.delay_ms = -1;
  EXPECT_CODE(store_->Commit(Batch().Enqueue("q", "m", negative)), kInvalidArgument);
  QueueOptions bad;
  bad.lock_duration_ms = -5;
  EXPECT_CODE(store_->Commit(Batch().ConfigureQueue("q", bad)), kInvalidArgument);
  bad = QueueOptions();
  bad.dead_letter_queue = "q";
  EXPECT_CODE(store_->Commit(Batch().ConfigureQueue("q", bad)), kInvalidArgument);
  EXPECT_CODE(queue::Dequeue(*store_, ""), kInvalidArgument);
  DequeueOptions negative_lock;
  negative_lock.lock_duration_ms = -1;
  EXPECT_CODE(queue::Dequeue(*store_, "q", negative_lock), kInvalidArgument);
  EXPECT_CODE(queue::GetCounters(*store_, "q"), kNotFound);  // nothing was created
}

TEST_F(QueueTest, PeekMessagesBrowsesByAttributeInEveryStateWithoutLocking) {
  Enqueue("q", "ready", WithAttrs({{"i", "x"}}));
  Enqueue("q", "other", WithAttrs({{"i", "y"}}));
  EnqueueOptions delayed = WithAttrs({{"i", "x"}});
  delayed.delay_ms = 60'000;
  Enqueue("q", "delayed", delayed);
  Enqueue("q", "longer-value", WithAttrs({{"i", "xx"}}));
  auto leased = Take("q");  // "ready": delivery count 1
  ASSERT_TRUE(leased.has_value());

  auto peeked = queue::PeekMessages(*store_, "q", "i", "x");
  ASSERT_OK(peeked);
  ASSERT_EQ(peeked->size(), 2u);
  EXPECT_EQ((*peeked)[0].payload, "ready");
  EXPECT_EQ((*peeked)[0].delivery_count, 1u);
  EXPECT_EQ((*peeked)[1].payload, "delayed");
  EXPECT_EQ((*peeked)[1].delivery_count, 0u);
  auto limited = queue::PeekMessages(*store_, "q", "i", "x", 1);
  ASSERT_OK(limited);
  EXPECT_EQ(limited->size(), 1u);
  // Peeking neither locked nor counted anything: the lease is still good.
  EXPECT_EQ(CountersOf("q").leased, 1u);
  EXPECT_OK(store_->Commit(Batch().Ack(leased->token)));

  auto none = queue::PeekMessages(*store_, "q", "i", "no-such-value");
  ASSERT_OK(none);
  EXPECT_TRUE(none->empty());
  EXPECT_CODE(queue::PeekMessages(*store_, "no-such-queue", "i", "x"), kNotFound);
  EXPECT_CODE(queue::PeekMessages(*store_, "q", "", "x"), kInvalidArgument);
  EXPECT_CODE(queue::PeekMessages(*store_, "q", "i", std::string(300, 'v')), kInvalidArgument);
}

TEST_F(QueueTest, BrowseQueueListsEveryStateInDeliveryOrderAndPages) {
  queue::EnqueueOptions delayed;
  delayed.delay_ms = 60'000;
  ASSERT_OK(store_->Commit(Batch()
                               .Enqueue("q", "later", delayed)
                               .Enqueue("q", "first")
                               .Enqueue("q", "second")
                               .Enqueue("other", "x")));
  auto leased = Take("q");  // "first" stays listed while leased
  ASSERT_TRUE(leased.has_value());
  auto page = queue::BrowseQueue(*store_, "q", 2);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->messages.size(), 2u);
  EXPECT_EQ(page->messages[0].payload, "first");
  EXPECT_EQ(page->messages[0].delivery_count, 1u);
  EXPECT_EQ(page->messages[1].payload, "second");
  ASSERT_TRUE(page->next_after.has_value());
  auto rest = queue::BrowseQueue(*store_, "q", 2, page->next_after);
  ASSERT_TRUE(rest.ok()) << rest.status().ToString();
  ASSERT_EQ(rest->messages.size(), 1u);
  EXPECT_EQ(rest->messages[0].payload, "later");
  EXPECT_FALSE(rest->next_after.has_value());
  // Exactly `limit` left: the page ends without a next position.
  auto exact = queue::BrowseQueue(*store_, "q", 3);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->messages.size(), 3u);
  EXPECT_FALSE(exact->next_after.has_value());
}

TEST_F(QueueTest, BrowseQueueOfAnUnknownQueueIsNotFoundAndLimitZeroInvalid) {
  EXPECT_EQ(queue::BrowseQueue(*store_, "nope").status().code(), Code::kNotFound);
  ASSERT_OK(store_->Commit(Batch().Enqueue("q", "m")));
  EXPECT_EQ(queue::BrowseQueue(*store_, "q", 0).status().code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace durastore
