// Queues under real time and real concurrency: long polls that must wake on the commit,
// at a future visibility or when a group is released, and consumers racing for messages.
#include <chrono>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "durastore/queue.h"
#include "test_util.h"

namespace durastore {
namespace {

using queue::DequeueOptions;
using queue::EnqueueOptions;
using queue::Lease;
using queue::QueueOptions;
using testing::OpenOrDie;
using testing::TempDir;
using testing::WithGroup;

// Long polling uses real time (the system clock).
class QueueLongPollTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.path());
    ASSERT_NE(store_, nullptr);
  }
  TempDir dir_;
  struct Timed {
    Result<std::optional<Lease>> lease;
    std::chrono::steady_clock::duration waited;
  };
  // Dequeues from "q" waiting up to `wait`, and measures how long the call took.
  Timed TimedDequeue(std::chrono::milliseconds wait) {
    DequeueOptions o;
    o.wait = wait;
    auto start = std::chrono::steady_clock::now();
    auto lease = queue::Dequeue(*store_, "q", o);
    return Timed{std::move(lease), std::chrono::steady_clock::now() - start};
  }

  std::unique_ptr<Store> store_;
};

TEST_F(QueueLongPollTest, AWaitingDequeueWakesOnTheCommit) {
  std::thread producer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_OK(store_->Commit(Batch().Enqueue("q", "wake")));
  });
  auto [lease, waited] = TimedDequeue(std::chrono::seconds(20));
  producer.join();
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ((*lease)->messages[0].payload, "wake");
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST_F(QueueLongPollTest, AWaitingDequeueTimesOut) {
  auto [lease, waited] = TimedDequeue(std::chrono::milliseconds(300));
  ASSERT_OK(lease);
  EXPECT_FALSE(lease->has_value());
  EXPECT_GE(waited, std::chrono::milliseconds(250));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST_F(QueueLongPollTest, AWaitingDequeueWakesAtFutureVisibility) {
  EnqueueOptions later;
  later.delay_ms = 500;
  ASSERT_OK(store_->Commit(Batch().Enqueue("q", "timer", later)));
  auto [lease, waited] = TimedDequeue(std::chrono::seconds(10));
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  EXPECT_GE(waited, std::chrono::milliseconds(400));
  EXPECT_LT(waited, std::chrono::seconds(5));
}

TEST_F(QueueLongPollTest, AWaitingGroupDequeueWakesWhenTheGroupIsReleased) {
  QueueOptions options;
  options.group_mode = true;
  ASSERT_OK(store_->Commit(Batch().ConfigureQueue("q", options)));
  ASSERT_OK(store_->Commit(Batch().Enqueue("q", "a", WithGroup("A"))));
  auto held = queue::Dequeue(*store_, "q");
  ASSERT_OK(held);
  ASSERT_TRUE(held->has_value());
  ASSERT_OK(store_->Commit(Batch().Enqueue("q", "late", WithGroup("A"))));
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_OK(store_->Commit(Batch().Ack((*held)->token)));
  });
  auto [lease, waited] = TimedDequeue(std::chrono::seconds(20));
  releaser.join();
  ASSERT_OK(lease);
  ASSERT_TRUE(lease->has_value());
  EXPECT_EQ((*lease)->messages[0].payload, "late");
  EXPECT_LT(waited, std::chrono::seconds(3));
}

TEST_F(QueueLongPollTest, ConcurrentConsumersTakeEachMessageOnce) {
  constexpr int kMessages = 2000, kConsumers = 8;
  std::set<uint64_t> enqueued;
  for (int i = 0; i < kMessages; i += 100) {
    Batch b;
    for (int j = i; j < i + 100; ++j) b.Enqueue("q", std::to_string(j));
    auto r = store_->Commit(std::move(b));
    ASSERT_OK(r);
    enqueued.insert(r->message_ids.begin(), r->message_ids.end());
  }
  ASSERT_EQ(enqueued.size(), static_cast<size_t>(kMessages));
  std::mutex mu;
  std::multiset<uint64_t> seen;
  std::vector<std::thread> consumers;
  for (int c = 0; c < kConsumers; ++c) {
    consumers.emplace_back([&] {
      DequeueOptions o;
      o.wait = std::chrono::milliseconds(100);
      for (;;) {
        auto lease = queue::Dequeue(*store_, "q", o);
        if (!lease.ok() || !lease->has_value()) return;
        if (!store_->Commit(Batch().Ack((*lease)->token)).ok()) continue;
        std::lock_guard<std::mutex> lock(mu);
        seen.insert((*lease)->messages[0].id);
      }
    });
  }
  for (auto& t : consumers) t.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kMessages));  // acked once each: no duplicates
  EXPECT_EQ(std::set<uint64_t>(seen.begin(), seen.end()), enqueued);
  auto rest = queue::Dequeue(*store_, "q");
  ASSERT_OK(rest);
  EXPECT_FALSE(rest->has_value());
}

}  // namespace
}  // namespace durastore
