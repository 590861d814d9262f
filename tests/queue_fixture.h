// A store on a manual clock with the queue helpers the queue test files share.
#ifndef DURASTORE_TESTS_QUEUE_FIXTURE_H_
#define DURASTORE_TESTS_QUEUE_FIXTURE_H_

#include <memory>
#include <optional>
#include <string_view>

#include "durastore/queue.h"
#include "test_util.h"

namespace durastore::testing {

class QueueFixture : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }
  // (Re)opens the store in dir_ on clock_.
  void Open() {
    Options options;
    options.clock = &clock_;
    store_ = OpenOrDie(dir_.path(), options);
    ASSERT_NE(store_, nullptr);
  }
  // Dequeues or fails the test; nullopt when nothing is eligible.
  std::optional<queue::Lease> Take(std::string_view q, const queue::DequeueOptions& options = {}) {
    auto lease = queue::Dequeue(*store_, q, options);
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    if (!lease.ok()) return std::nullopt;
    return std::move(lease).value();
  }
  void Configure(std::string_view q, const queue::QueueOptions& options) {
    ASSERT_OK(store_->Commit(Batch().ConfigureQueue(q, options)));
  }
  queue::Counters CountersOf(std::string_view q) {
    auto c = queue::GetCounters(*store_, q);
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? *c : queue::Counters();
  }

  ManualClock clock_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

}  // namespace durastore::testing

#endif  // DURASTORE_TESTS_QUEUE_FIXTURE_H_
