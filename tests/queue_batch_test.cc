// Batch dequeue (DequeueOptions::max_messages): how many and which messages one lease
// takes, that every settlement covers all of them, and the limits and group-mode rule.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "durastore/limits.h"
#include "durastore/queue.h"
#include "queue_fixture.h"
#include "test_util.h"

namespace durastore {
namespace {

using queue::AttributeMatch;
using queue::DequeueOptions;
using queue::EnqueueOptions;
using queue::Lease;
using queue::Message;
using queue::QueueOptions;

// Every message these tests enqueue carries this attribute, so PeekMessages sees them all.
constexpr std::string_view kTagName = "suite";
constexpr std::string_view kTagValue = "batch";

// Enqueue options carrying the suite tag, plus `more` attributes.
EnqueueOptions Tagged(std::vector<queue::Attribute> more = {}) {
  EnqueueOptions o;
  o.attributes = {{std::string(kTagName), std::string(kTagValue)}};
  for (auto& a : more) o.attributes.push_back(std::move(a));
  return o;
}

class QueueBatchTest : public testing::QueueFixture {
 protected:
  // Enqueues "<prefix>0" .. "<prefix><n-1>" in one commit; returns their ids.
  std::vector<uint64_t> EnqueueN(std::string_view q, size_t n, std::string_view prefix = "m") {
    Batch b;
    for (size_t i = 0; i < n; ++i) b.Enqueue(q, std::string(prefix) + std::to_string(i), Tagged());
    auto r = store_->Commit(std::move(b));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->message_ids : std::vector<uint64_t>();
  }
  uint64_t EnqueueOne(std::string_view q, std::string_view payload, EnqueueOptions o = Tagged()) {
    auto r = store_->Commit(Batch().Enqueue(q, payload, o));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? r->message_ids.at(0) : 0;
  }
  static DequeueOptions Max(size_t n) {
    DequeueOptions o;
    o.max_messages = n;
    return o;
  }
  // Delivery count of every tagged message of `q`, oldest first, browsed without locking.
  std::vector<uint32_t> PeekedCounts(std::string_view q) {
    auto peeked = queue::PeekMessages(*store_, q, kTagName, kTagValue);
    EXPECT_TRUE(peeked.ok()) << peeked.status().ToString();
    std::vector<uint32_t> counts;
    if (peeked.ok()) {
      for (const auto& m : *peeked) counts.push_back(m.delivery_count);
    }
    return counts;
  }
};

std::vector<std::string> Payloads(const Lease& lease) {
  std::vector<std::string> out;
  for (const Message& m : lease.messages) out.push_back(m.payload);
  return out;
}
std::vector<uint64_t> Ids(const Lease& lease) {
  std::vector<uint64_t> out;
  for (const Message& m : lease.messages) out.push_back(m.id);
  return out;
}
std::vector<uint32_t> DeliveryCounts(const Lease& lease) {
  std::vector<uint32_t> out;
  for (const Message& m : lease.messages) out.push_back(m.delivery_count);
  return out;
}
using Strings = std::vector<std::string>;
using Counts = std::vector<uint32_t>;

TEST_F(QueueBatchTest, LeasesAtMostMaxMessagesOldestFirstAndCountsEach) {
  auto ids = EnqueueN("q", 5);
  DequeueOptions o = Max(3);
  o.lock_duration_ms = 700;
  auto lease = Take("q", o);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Payloads(*lease), (Strings{"m0", "m1", "m2"}));
  EXPECT_EQ(Ids(*lease), (std::vector<uint64_t>(ids.begin(), ids.begin() + 3)));
  EXPECT_EQ(DeliveryCounts(*lease), (Counts{1, 1, 1}));
  EXPECT_EQ(lease->locked_until_ms, clock_.NowMs() + 700);
  EXPECT_TRUE(lease->group_key.empty());
  // The increments are persisted, and only for the leased three.
  EXPECT_EQ(PeekedCounts("q"), (Counts{1, 1, 1, 0, 0}));
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, 3u);
  EXPECT_EQ(c.ready, 2u);
  // The default is still one message.
  EXPECT_EQ(DequeueOptions().max_messages, 1u);
  auto next = Take("q");
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(Payloads(*next), (Strings{"m3"}));
}

TEST_F(QueueBatchTest, FewerThanRequestedLeasesWhatThereIs) {
  EXPECT_FALSE(Take("never-created", Max(10)).has_value());
  EnqueueN("q", 2);
  auto lease = Take("q", Max(10));
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Payloads(*lease), (Strings{"m0", "m1"}));
  EXPECT_FALSE(Take("q", Max(10)).has_value());
  ASSERT_OK(store_->Commit(Batch().Ack(lease->token)));
  EXPECT_FALSE(Take("q", Max(10)).has_value());
}

TEST_F(QueueBatchTest, SkipsDelayedMessagesAndMessagesOfOtherLeases) {
  EnqueueOne("q", "a");
  EnqueueOptions later = Tagged();
  later.delay_ms = 5000;
  EnqueueOne("q", "delayed", later);
  EnqueueOne("q", "b");
  EnqueueOne("q", "c");
  auto single = Take("q");
  ASSERT_TRUE(single.has_value());
  EXPECT_EQ(Payloads(*single), (Strings{"a"}));
  auto batch = Take("q", Max(10));
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(Payloads(*batch), (Strings{"b", "c"}));
  EXPECT_EQ(DeliveryCounts(*batch), (Counts{1, 1}));
  EXPECT_EQ(PeekedCounts("q"), (Counts{1, 0, 1, 1}));  // by id: a, delayed, b, c
  EXPECT_EQ(CountersOf("q").delayed, 1u);
  clock_.Advance(5000);
  auto fired = Take("q", Max(10));
  ASSERT_TRUE(fired.has_value());
  EXPECT_EQ(Payloads(*fired), (Strings{"delayed"}));
}

TEST_F(QueueBatchTest, FollowsVisibilityOrderLikeSuccessiveSingleDequeues) {
  EnqueueOne("q", "new1");
  EnqueueOptions old_timer = Tagged();
  old_timer.visible_at_ms = clock_.NowMs() - 10;  // fires before the newer messages
  EnqueueOne("q", "old-timer", old_timer);
  EnqueueOne("q", "new2");
  auto lease = Take("q", Max(3));
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Payloads(*lease), (Strings{"old-timer", "new1", "new2"}));
}

TEST_F(QueueBatchTest, SkipsMessagesFailingTheFilterOrAcceptWithoutCountingThem) {
  EnqueueOne("q", "cpu0", Tagged({{"tag", "cpu"}}));
  EnqueueOne("q", "gpu1", Tagged({{"tag", "gpu"}}));
  EnqueueOne("q", "gpu2-rejected", Tagged({{"tag", "gpu"}, {"reject", "1"}}));
  EnqueueOne("q", "cpu3", Tagged({{"tag", "cpu"}}));
  EnqueueOne("q", "gpu4", Tagged({{"tag", "gpu"}}));
  EnqueueOne("q", "gpu5", Tagged({{"tag", "gpu"}}));
  EnqueueOne("q", "gpu6", Tagged({{"tag", "gpu"}}));
  DequeueOptions o = Max(3);
  o.filter = {AttributeMatch{"tag", {"gpu"}, false, false}};
  o.accept = [](const queue::Candidate& c) {
    const auto& attrs = c.attributes();
    return std::none_of(attrs.begin(), attrs.end(),
                        [](const auto& a) { return a.name == "reject"; });
  };
  auto lease = Take("q", o);
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Payloads(*lease), (Strings{"gpu1", "gpu4", "gpu5"}));
  EXPECT_EQ(PeekedCounts("q"), (Counts{0, 1, 0, 0, 1, 1, 0}));
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, 3u);
  EXPECT_EQ(c.ready, 4u);
  // The skipped ones are free for anyone else, uncounted.
  auto rest = Take("q", Max(10));
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(Payloads(*rest), (Strings{"cpu0", "gpu2-rejected", "cpu3", "gpu6"}));
  EXPECT_EQ(DeliveryCounts(*rest), (Counts{1, 1, 1, 1}));
}

TEST_F(QueueBatchTest, ConsecutiveBatchesAreDisjointAndCoverTheQueue) {
  auto ids = EnqueueN("q", 10);
  std::vector<uint64_t> seen;
  std::vector<size_t> sizes;
  while (auto lease = Take("q", Max(4))) {
    sizes.push_back(lease->messages.size());
    for (uint64_t id : Ids(*lease)) seen.push_back(id);
  }
  EXPECT_EQ(sizes, (std::vector<size_t>{4, 4, 2}));
  EXPECT_EQ(seen, ids);  // each once, in order
  EXPECT_EQ(CountersOf("q").leased, 10u);
}

TEST_F(QueueBatchTest, ConcurrentBatchDequeuesNeverShareAMessage) {
  auto ids = EnqueueN("q", 300);
  std::mutex mu;
  std::vector<uint64_t> seen;
  std::atomic<bool> failed{false};
  std::vector<std::thread> consumers;
  for (int t = 0; t < 4; ++t) {
    consumers.emplace_back([&] {
      for (;;) {
        auto lease = queue::Dequeue(*store_, "q", Max(7));
        if (!lease.ok()) {
          failed = true;
          return;
        }
        if (!lease->has_value()) return;
        std::lock_guard<std::mutex> lock(mu);
        for (const Message& m : (*lease)->messages) seen.push_back(m.id);
      }
    });
  }
  for (auto& t : consumers) t.join();
  EXPECT_FALSE(failed);
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, ids);  // every message exactly once
  EXPECT_EQ(PeekedCounts("q"), Counts(300, 1));
}

TEST_F(QueueBatchTest, AckDeletesExactlyTheLeasedMessages) {
  EnqueueN("q", 5);
  auto lease = Take("q", Max(3));
  ASSERT_TRUE(lease.has_value());
  EnqueueOne("q", "late");  // arrives during the lease
  ASSERT_OK(store_->Commit(Batch().Ack(lease->token)));
  EXPECT_EQ(PeekedCounts("q"), (Counts{0, 0, 0}));
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, 0u);
  EXPECT_EQ(c.ready, 3u);
  EXPECT_CODE(store_->Commit(Batch().Ack(lease->token)), kLockLost);
  auto rest = Take("q", Max(10));
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(Payloads(*rest), (Strings{"m3", "m4", "late"}));
}

TEST_F(QueueBatchTest, CountedAbandonReturnsEveryMessageWithItsDelivery) {
  EnqueueN("q", 4);
  auto lease = Take("q", Max(3));
  ASSERT_TRUE(lease.has_value());
  ASSERT_OK(store_->Commit(Batch().Abandon(lease->token, 2000)));
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, 0u);
  EXPECT_EQ(c.delayed, 3u);
  EXPECT_EQ(c.ready, 1u);
  EXPECT_EQ(PeekedCounts("q"), (Counts{1, 1, 1, 0}));
  auto m3 = Take("q", Max(10));
  ASSERT_TRUE(m3.has_value());
  EXPECT_EQ(Payloads(*m3), (Strings{"m3"}));
  clock_.Advance(2000);
  auto again = Take("q", Max(10));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Payloads(*again), (Strings{"m0", "m1", "m2"}));
  EXPECT_EQ(DeliveryCounts(*again), (Counts{2, 2, 2}));
  EXPECT_CODE(store_->Commit(Batch().Ack(lease->token)), kLockLost);
}

TEST_F(QueueBatchTest, UncountedAbandonUndoesEveryIncrement) {
  EnqueueN("q", 3);
  auto lease = Take("q", Max(3));
  ASSERT_TRUE(lease.has_value());
  ASSERT_OK(store_->Commit(Batch().Abandon(lease->token, 0, /*count_attempt=*/false)));
  EXPECT_EQ(PeekedCounts("q"), (Counts{0, 0, 0}));
  EXPECT_EQ(CountersOf("q").ready, 3u);
  auto again = Take("q", Max(3));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(Payloads(*again), (Strings{"m0", "m1", "m2"}));
  EXPECT_EQ(DeliveryCounts(*again), (Counts{1, 1, 1}));
}

TEST_F(QueueBatchTest, RenewExtendsEveryMessageOfTheLease) {
  EnqueueN("q", 3);
  DequeueOptions o = Max(3);
  o.lock_duration_ms = 1000;
  auto lease = Take("q", o);
  ASSERT_TRUE(lease.has_value());
  clock_.Advance(800);
  ASSERT_OK(store_->Commit(Batch().Renew(lease->token, 1000)));
  clock_.Advance(800);  // past the original lock, inside the renewed one
  EXPECT_FALSE(Take("q", Max(10)).has_value());
  EXPECT_FALSE(Take("q").has_value());
  EXPECT_EQ(CountersOf("q").leased, 3u);
  EXPECT_EQ(PeekedCounts("q"), (Counts{1, 1, 1}));
  clock_.Advance(200);  // the renewed lock ends
  auto again = Take("q", Max(10));
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(DeliveryCounts(*again), (Counts{2, 2, 2}));
}

TEST_F(QueueBatchTest, DeadLetterMovesEveryLeasedMessage) {
  EnqueueN("q", 4);
  auto lease = Take("q", Max(3));
  ASSERT_TRUE(lease.has_value());
  ASSERT_OK(store_->Commit(Batch().DeadLetter(lease->token, "bad batch")));
  auto c = CountersOf("q");
  EXPECT_EQ(c.dead_lettered, 3u);
  EXPECT_EQ(c.leased, 0u);
  EXPECT_EQ(c.ready, 1u);
  EXPECT_EQ(PeekedCounts("q"), (Counts{0}));
  auto dead = Take("q.dead-letter", Max(10));
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(Payloads(*dead), (Strings{"m0", "m1", "m2"}));
  for (const Message& m : dead->messages) {
    EXPECT_EQ(m.delivery_count, 2u) << m.payload;  // 1 in q, kept, plus this delivery
    EXPECT_NE(std::find(m.attributes.begin(), m.attributes.end(),
                        queue::Attribute{"dead-letter-reason", "bad batch"}),
              m.attributes.end())
        << m.payload;
  }
  EXPECT_CODE(store_->Commit(Batch().Ack(lease->token)), kLockLost);
}

TEST_F(QueueBatchTest, AnExpiredBatchLeaseReleasesAllAndCannotBeSettled) {
  EnqueueN("q", 3);
  DequeueOptions o = Max(3);
  o.lock_duration_ms = 1000;
  auto old = Take("q", o);
  ASSERT_TRUE(old.has_value());
  clock_.Advance(1000);
  EXPECT_EQ(CountersOf("q").leased, 0u);
  EXPECT_EQ(CountersOf("q").ready, 3u);
  auto one = Take("q");  // takes one message of the expired lease
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(Payloads(*one), (Strings{"m0"}));
  EXPECT_EQ(DeliveryCounts(*one), (Counts{2}));
  EXPECT_CODE(store_->Commit(Batch().Ack(old->token)), kLockLost);
  EXPECT_CODE(store_->Commit(Batch().Renew(old->token, 5000)), kLockLost);
  EXPECT_CODE(store_->Commit(Batch().Abandon(old->token)), kLockLost);
  EXPECT_CODE(store_->Commit(Batch().DeadLetter(old->token, "late")), kLockLost);
  EXPECT_EQ(PeekedCounts("q"), (Counts{2, 1, 1}));  // nothing deleted, moved or reset
  auto rest = Take("q", Max(10));
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(Payloads(*rest), (Strings{"m1", "m2"}));
  EXPECT_EQ(DeliveryCounts(*rest), (Counts{2, 2}));
  EXPECT_OK(store_->Commit(Batch().Ack(one->token).Ack(rest->token)));
  EXPECT_TRUE(PeekedCounts("q").empty());
}

TEST_F(QueueBatchTest, DeletingOneMessageEndsTheWholeBatchLease) {
  EnqueueOne("q", "a");
  EnqueueOne("q", "doomed", Tagged({{"activity", "1"}}));
  EnqueueOne("q", "c");
  auto lease = Take("q", Max(3));
  ASSERT_TRUE(lease.has_value());
  ASSERT_EQ(lease->messages.size(), 3u);
  ASSERT_OK(store_->Commit(Batch().DeleteMessages("q", "activity", "1")));
  EXPECT_CODE(store_->Commit(Batch().Ack(lease->token)), kLockLost);
  // queue.h/batch.h: the lease ended, so its other messages are not deleted by the
  // failed Ack and are no longer locked.
  auto rest = Take("q", Max(10));
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(Payloads(*rest), (Strings{"a", "c"}));
  EXPECT_EQ(DeliveryCounts(*rest), (Counts{2, 2}));
}

TEST_F(QueueBatchTest, MaxDeliveriesDeadLettersDuringTheScanAndTheBatchStillFills) {
  QueueOptions options;
  options.max_deliveries = 1;
  options.lock_duration_ms = 100;
  options.dead_letter_queue = "graveyard";
  Configure("q", options);
  auto ids = EnqueueN("q", 5);
  // Deliver m1 and m3 once and let that lease expire: they are at max_deliveries.
  DequeueOptions odd = Max(2);
  odd.accept = [&ids](const queue::Candidate& c) {
    return c.message_id() == ids[1] || c.message_id() == ids[3];
  };
  auto first = Take("q", odd);
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(Payloads(*first), (Strings{"m1", "m3"}));
  clock_.Advance(100);

  auto lease = Take("q", Max(3));
  ASSERT_TRUE(lease.has_value());
  EXPECT_EQ(Payloads(*lease), (Strings{"m0", "m2", "m4"}));
  EXPECT_EQ(DeliveryCounts(*lease), (Counts{1, 1, 1}));
  auto c = CountersOf("q");
  EXPECT_EQ(c.dead_lettered, 2u);
  EXPECT_EQ(c.leased, 3u);
  EXPECT_EQ(c.ready + c.delayed, 0u);
  auto dead = Take("graveyard", Max(10));
  ASSERT_TRUE(dead.has_value());
  EXPECT_EQ(Payloads(*dead), (Strings{"m1", "m3"}));
  // The dead-lettered ones are not part of the lease: acking it empties the queue.
  ASSERT_OK(store_->Commit(Batch().Ack(lease->token)));
  EXPECT_TRUE(PeekedCounts("q").empty());
}

TEST_F(QueueBatchTest, OutOfRangeMaxMessagesIsInvalidAndChangesNothing) {
  EnqueueN("q", 3);
  for (size_t n : {size_t{0}, limits::kMaxDequeueBatch + 1}) {
    DequeueOptions o = Max(n);
    o.wait = std::chrono::seconds(20);  // rejected up front, not after waiting
    auto start = std::chrono::steady_clock::now();
    EXPECT_CODE(queue::Dequeue(*store_, "q", o), kInvalidArgument);
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3)) << n;
    EXPECT_CODE(queue::Dequeue(*store_, "never-created", o), kInvalidArgument);
  }
  EXPECT_CODE(queue::GetCounters(*store_, "never-created"), kNotFound);
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, 0u);
  EXPECT_EQ(c.ready, 3u);
  EXPECT_EQ(PeekedCounts("q"), (Counts{0, 0, 0}));
}

TEST_F(QueueBatchTest, TheLargestBatchIsAccepted) {
  auto ids = EnqueueN("q", limits::kMaxDequeueBatch + 5);
  ASSERT_EQ(ids.size(), limits::kMaxDequeueBatch + 5);
  auto lease = Take("q", Max(limits::kMaxDequeueBatch));
  ASSERT_TRUE(lease.has_value());
  ASSERT_EQ(lease->messages.size(), limits::kMaxDequeueBatch);
  EXPECT_EQ(Ids(*lease),
            (std::vector<uint64_t>(ids.begin(), ids.begin() + limits::kMaxDequeueBatch)));
  EXPECT_EQ(DeliveryCounts(*lease), Counts(limits::kMaxDequeueBatch, 1));
  auto c = CountersOf("q");
  EXPECT_EQ(c.leased, limits::kMaxDequeueBatch);
  EXPECT_EQ(c.ready, 5u);
  ASSERT_OK(store_->Commit(Batch().Ack(lease->token)));
  auto rest = Take("q", Max(limits::kMaxDequeueBatch));
  ASSERT_TRUE(rest.has_value());
  EXPECT_EQ(Ids(*rest), (std::vector<uint64_t>(ids.end() - 5, ids.end())));
}

TEST_F(QueueBatchTest, GroupModeRequiresOneAndStillLeasesWholeGroups) {
  QueueOptions options;
  options.group_mode = true;
  Configure("q", options);
  auto in_group = [](std::string g) {
    EnqueueOptions o = Tagged();
    o.group_key = std::move(g);
    return o;
  };
  EnqueueOne("q", "a1", in_group("A"));
  EnqueueOne("q", "b1", in_group("B"));
  EnqueueOne("q", "a2", in_group("A"));
  EnqueueOne("q", "loose");  // no group key
  EXPECT_CODE(queue::Dequeue(*store_, "q", Max(2)), kInvalidArgument);
  EXPECT_CODE(queue::Dequeue(*store_, "q", Max(limits::kMaxDequeueBatch)), kInvalidArgument);
  EXPECT_EQ(CountersOf("q").leased, 0u);
  EXPECT_EQ(PeekedCounts("q"), (Counts{0, 0, 0, 0}));
  auto a = Take("q", Max(1));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->group_key, "A");
  EXPECT_EQ(Payloads(*a), (Strings{"a1", "a2"}));
  auto b = Take("q", Max(1));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(Payloads(*b), (Strings{"b1"}));
  auto loose = Take("q", Max(1));
  ASSERT_TRUE(loose.has_value());
  EXPECT_EQ(Payloads(*loose), (Strings{"loose"}));
}

TEST_F(QueueBatchTest, ALongPollReturnsOnTheFirstEligibleMessage) {
  std::thread producer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // let the poll start waiting
    EXPECT_OK(store_->Commit(Batch().Enqueue("q", "wake", Tagged())));
  });
  DequeueOptions o = Max(10);
  o.wait = std::chrono::seconds(20);
  auto start = std::chrono::steady_clock::now();
  auto lease = queue::Dequeue(*store_, "q", o);
  auto waited = std::chrono::steady_clock::now() - start;
  producer.join();
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ(Payloads(**lease), (Strings{"wake"}));
  EXPECT_LT(waited, std::chrono::seconds(3));
}

}  // namespace
}  // namespace durastore
