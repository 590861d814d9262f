// The partitioned event log: appends with expected versions and event keys, sequences and
// positions, reads, tail reads, truncation and deletion, validation.
#include "durastore/eventlog.h"

#include <atomic>
#include <chrono>
#include <thread>

#include "durastore/limits.h"
#include "test_util.h"

namespace durastore {
namespace {

using eventlog::EventData;
using eventlog::ExpectedVersion;
using eventlog::ReadOptions;
using testing::OpenOrDie;
using testing::TempDir;

class EventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.path());
    ASSERT_NE(store_, nullptr);
  }
  Result<CommitResult> Append(std::string_view stream, uint64_t partition,
                              std::vector<std::string> payloads,
                              ExpectedVersion expected = ExpectedVersion::Any()) {
    std::vector<EventData> events;
    for (auto& p : payloads) events.push_back(EventData{std::move(p), ""});
    return store_->Commit(Batch().Append(stream, partition, std::move(events), expected));
  }
  std::vector<std::string> Payloads(std::string_view stream, uint64_t partition,
                                    ReadOptions options = {}) {
    auto events = eventlog::ReadPartition(*store_, stream, partition, options);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    std::vector<std::string> out;
    if (events.ok()) {
      for (auto& e : events->events) out.push_back(e.payload);
    }
    return out;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(EventLogTest, SequencesAreGaplessPerPartitionFromOne) {
  auto a = Append("s", 1, {"a", "b"});
  ASSERT_OK(a);
  EXPECT_EQ(a->appends[0].first_sequence, 1u);
  EXPECT_EQ(a->appends[0].last_sequence, 2u);
  auto b = Append("s", 1, {"c"});
  ASSERT_OK(b);
  EXPECT_EQ(b->appends[0].first_sequence, 3u);
  auto other = Append("s", 2, {"x"});
  ASSERT_OK(other);
  EXPECT_EQ(other->appends[0].first_sequence, 1u);  // partitions are independent
  auto events = eventlog::ReadPartition(*store_, "s", 1);
  ASSERT_OK(events);
  ASSERT_EQ(events->events.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(events->events[i].sequence, i + 1);
}

TEST_F(EventLogTest, PositionsIncreaseInCommitOrderAcrossStreams) {
  uint64_t last = 0;
  for (int i = 0; i < 10; ++i) {
    auto r = Append("s" + std::to_string(i % 3), static_cast<uint64_t>(i % 2), {"e", "f"});
    ASSERT_OK(r);
    EXPECT_GT(r->appends[0].first_position, last);
    EXPECT_EQ(r->appends[0].last_position, r->appends[0].first_position + 1);
    last = r->appends[0].last_position;
  }
  auto pos = eventlog::LastPosition(*store_);
  ASSERT_OK(pos);
  EXPECT_EQ(*pos, last);
}

TEST_F(EventLogTest, ExpectedVersionNoPartition) {
  EXPECT_OK(Append("s", 1, {"a"}, ExpectedVersion::NoPartition()));
  auto r = Append("s", 1, {"b"}, ExpectedVersion::NoPartition());
  EXPECT_CODE(r, kConflict);
  EXPECT_NE(r.status().message().find("expected no partition, actual last sequence 1"),
            std::string::npos)
      << r.status().message();
}

TEST_F(EventLogTest, NoPartitionLooksAtThePartitionNotTheStream) {
  ASSERT_OK(Append("s", 1, {"a"}));
  EXPECT_OK(Append("s", 2, {"b"}, ExpectedVersion::NoPartition()));  // the stream exists
  ASSERT_OK(store_->Commit(Batch().DeletePartition("s", 2)));
  EXPECT_OK(Append("s", 2, {"c"}, ExpectedVersion::NoPartition()));  // deleted = absent again
  ASSERT_OK(store_->Commit(Batch().TruncateBefore("s", 1, 2)));
  EXPECT_CODE(Append("s", 1, {"d"}, ExpectedVersion::NoPartition()), kConflict);  // emptied
  // The deprecated name is the same condition.
  EXPECT_EQ(ExpectedVersion::NoStream().kind(), ExpectedVersion::Kind::kNoPartition);
}

TEST_F(EventLogTest, ExpectedVersionExists) {
  auto r = Append("s", 1, {"a"}, ExpectedVersion::Exists());
  EXPECT_CODE(r, kConflict);
  EXPECT_NE(r.status().message().find("does not exist"), std::string::npos);
  EXPECT_OK(Append("s", 1, {"a"}));
  EXPECT_OK(Append("s", 1, {"b"}, ExpectedVersion::Exists()));
}

TEST_F(EventLogTest, ExpectedVersionExact) {
  EXPECT_OK(Append("s", 1, {"a"}, ExpectedVersion::Exact(0)));
  EXPECT_OK(Append("s", 1, {"b"}, ExpectedVersion::Exact(1)));
  auto stale = Append("s", 1, {"c"}, ExpectedVersion::Exact(1));
  EXPECT_CODE(stale, kConflict);
  EXPECT_NE(stale.status().message().find("actual last sequence 2"), std::string::npos)
      << stale.status().message();
  EXPECT_FALSE(stale.status().retryable());
  EXPECT_EQ(Payloads("s", 1), (std::vector<std::string>{"a", "b"}));
}

TEST_F(EventLogTest, DuplicateEventKeyFailsTheWholeBatch) {
  ASSERT_OK(store_->Commit(Batch().Append("s", 1, {EventData{"a", "key-1"}})));
  Batch b;
  b.Put("meta", "x");
  b.Append("t", 1, "other");
  b.Append("s", 1, {EventData{"b", "key-2"}, EventData{"c", "key-1"}});
  auto r = store_->Commit(std::move(b));
  EXPECT_CODE(r, kAlreadyExists);
  EXPECT_NE(r.status().message().find("key-1"), std::string::npos);
  EXPECT_CODE(store_->Get("meta"), kNotFound);
  EXPECT_CODE(eventlog::GetPartitionInfo(*store_, "t", 1), kNotFound);
  EXPECT_EQ(Payloads("s", 1), (std::vector<std::string>{"a"}));
  // key-2 was rolled back too, so it is still free.
  EXPECT_OK(store_->Commit(Batch().Append("s", 1, {EventData{"b", "key-2"}})));
}

TEST_F(EventLogTest, DuplicateKeyWithinOneAppendIsRejected) {
  auto r = store_->Commit(Batch().Append("s", 1, {EventData{"a", "k"}, EventData{"b", "k"}}));
  EXPECT_CODE(r, kAlreadyExists);
  EXPECT_CODE(eventlog::GetPartitionInfo(*store_, "s", 1), kNotFound);
}

TEST_F(EventLogTest, TheSameEventKeyIsFreeInAnotherPartition) {
  EXPECT_OK(store_->Commit(Batch().Append("s", 1, {EventData{"a", "k"}})));
  EXPECT_OK(store_->Commit(Batch().Append("s", 2, {EventData{"a", "k"}})));
  auto events = eventlog::ReadPartition(*store_, "s", 2);
  ASSERT_OK(events);
  EXPECT_EQ(events->events[0].key, "k");
}

TEST_F(EventLogTest, ReadForwardBackwardFromAndMaxCount) {
  ASSERT_OK(Append("s", 1, {"1", "2", "3", "4", "5"}));
  ReadOptions o;
  o.from_sequence = 2;
  o.max_count = 2;
  EXPECT_EQ(Payloads("s", 1, o), (std::vector<std::string>{"2", "3"}));
  o = ReadOptions();
  o.backward = true;
  o.max_count = 2;
  EXPECT_EQ(Payloads("s", 1, o), (std::vector<std::string>{"5", "4"}));
  o.from_sequence = 3;
  o.max_count = 10;
  EXPECT_EQ(Payloads("s", 1, o), (std::vector<std::string>{"3", "2", "1"}));
  o.from_sequence = 100;  // past the end: starts at the last
  o.max_count = 1;
  EXPECT_EQ(Payloads("s", 1, o), (std::vector<std::string>{"5"}));
  o = ReadOptions();
  o.from_sequence = 6;
  EXPECT_TRUE(Payloads("s", 1, o).empty());
  o.max_count = 0;
  EXPECT_CODE(eventlog::ReadPartition(*store_, "s", 1, o), kInvalidArgument);
}

// A page stops at max_count or at max_bytes; only next_sequence says whether more follow.
TEST_F(EventLogTest, PagesSayWhereTheNextPageStartsUntilThePartitionEnd) {
  ASSERT_OK(Append("s", 1, {std::string(100, 'a'), std::string(100, 'b'), "c"}));
  ASSERT_OK(Append("s", 2, {"other partition"}));
  ReadOptions o;
  o.max_bytes = 150;  // cut by bytes, far below max_count
  auto page = eventlog::ReadPartition(*store_, "s", 1, o);
  ASSERT_OK(page);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_FALSE(page->reached_end());
  EXPECT_EQ(page->next_sequence, 2u);
  o.from_sequence = page->next_sequence;
  o.max_bytes = 1000;
  page = eventlog::ReadPartition(*store_, "s", 1, o);
  ASSERT_OK(page);
  EXPECT_EQ(page->events.size(), 2u);
  EXPECT_TRUE(page->reached_end());  // the next key belongs to partition 2

  o = ReadOptions();
  o.max_count = 3;  // exactly the partition: a full page that still reached the end
  page = eventlog::ReadPartition(*store_, "s", 1, o);
  ASSERT_OK(page);
  EXPECT_EQ(page->events.size(), 3u);
  EXPECT_TRUE(page->reached_end());
  o.max_count = 2;
  page = eventlog::ReadPartition(*store_, "s", 1, o);
  ASSERT_OK(page);
  EXPECT_EQ(page->next_sequence, 3u);

  o = ReadOptions();
  o.backward = true;
  o.max_count = 2;
  page = eventlog::ReadPartition(*store_, "s", 1, o);
  ASSERT_OK(page);
  EXPECT_EQ(page->next_sequence, 1u);
  o.from_sequence = page->next_sequence;
  page = eventlog::ReadPartition(*store_, "s", 1, o);
  ASSERT_OK(page);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].payload, std::string(100, 'a'));
  EXPECT_TRUE(page->reached_end());

  ASSERT_OK(store_->Commit(Batch().TruncateBefore("s", 1, 3)));
  o = ReadOptions();
  o.max_count = 1;
  page = eventlog::ReadPartition(*store_, "s", 1, o);
  ASSERT_OK(page);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].sequence, 3u);
  EXPECT_TRUE(page->reached_end());
}

TEST_F(EventLogTest, ReadsAreBoundedByBytesButReturnAtLeastOneEvent) {
  ASSERT_OK(Append("s", 1, {std::string(100, 'a'), std::string(100, 'b'), "c"}));
  ReadOptions o;
  o.max_bytes = 150;
  EXPECT_EQ(Payloads("s", 1, o).size(), 1u);
  o.max_bytes = 10;
  EXPECT_EQ(Payloads("s", 1, o).size(), 1u);  // the first is returned whatever its size
  o.max_bytes = 201;
  EXPECT_EQ(Payloads("s", 1, o).size(), 3u);
}

TEST_F(EventLogTest, PartitionsAndStreamInfo) {
  ASSERT_OK(Append("s", 3, {"aa", "bbb"}));
  ASSERT_OK(Append("s", 1, {"c"}));
  ASSERT_OK(Append("s", 7, {"dddd"}));
  auto list = eventlog::ListPartitions(*store_, "s");
  ASSERT_OK(list);
  EXPECT_EQ(*list, (std::vector<uint64_t>{1, 3, 7}));
  auto latest = eventlog::LatestPartition(*store_, "s");
  ASSERT_OK(latest);
  EXPECT_EQ(*latest, 7u);
  auto info = eventlog::GetPartitionInfo(*store_, "s", 3);
  ASSERT_OK(info);
  EXPECT_EQ(info->first_sequence, 1u);
  EXPECT_EQ(info->last_sequence, 2u);
  EXPECT_EQ(info->event_count, 2u);
  EXPECT_EQ(info->bytes, 5u);
  auto stream = eventlog::GetStreamInfo(*store_, "s");
  ASSERT_OK(stream);
  EXPECT_EQ(stream->partition_count, 3u);
  EXPECT_EQ(stream->latest_partition, 7u);
  EXPECT_EQ(stream->event_count, 4u);
  EXPECT_EQ(stream->bytes, 10u);
}

TEST_F(EventLogTest, UnknownStreamsAndPartitionsAreNotFound) {
  ASSERT_OK(Append("s", 1, {"a"}));
  EXPECT_CODE(eventlog::ReadPartition(*store_, "nope", 1), kNotFound);
  EXPECT_CODE(eventlog::ReadPartition(*store_, "s", 2), kNotFound);
  EXPECT_CODE(eventlog::LatestPartition(*store_, "nope"), kNotFound);
  EXPECT_CODE(eventlog::ListPartitions(*store_, "nope"), kNotFound);
  EXPECT_CODE(eventlog::GetPartitionInfo(*store_, "s", 9), kNotFound);
  EXPECT_CODE(eventlog::GetStreamInfo(*store_, "nope"), kNotFound);
}

TEST_F(EventLogTest, TruncateBeforeKeepsTheNumbering) {
  ASSERT_OK(Append("s", 1, {"1", "2", "3", "4"}));
  ASSERT_OK(store_->Commit(Batch().TruncateBefore("s", 1, 3)));
  EXPECT_EQ(Payloads("s", 1), (std::vector<std::string>{"3", "4"}));
  auto info = eventlog::GetPartitionInfo(*store_, "s", 1);
  ASSERT_OK(info);
  EXPECT_EQ(info->first_sequence, 3u);
  EXPECT_EQ(info->last_sequence, 4u);
  EXPECT_EQ(info->event_count, 2u);
  EXPECT_EQ(info->bytes, 2u);
  auto next = Append("s", 1, {"5"}, ExpectedVersion::Exact(4));
  ASSERT_OK(next);
  EXPECT_EQ(next->appends[0].first_sequence, 5u);
  ASSERT_OK(store_->Commit(Batch().TruncateBefore("s", 1, 100)));
  info = eventlog::GetPartitionInfo(*store_, "s", 1);
  ASSERT_OK(info);
  EXPECT_EQ(info->event_count, 0u);
  EXPECT_EQ(info->last_sequence, 5u);  // an emptied partition still exists
  EXPECT_OK(Append("s", 1, {"6"}, ExpectedVersion::Exists()));
  // Truncating what does not exist is not an error.
  EXPECT_OK(store_->Commit(Batch().TruncateBefore("nope", 1, 5)));
}

TEST_F(EventLogTest, TruncatedEventKeysCanBeReused) {
  ASSERT_OK(store_->Commit(Batch().Append("s", 1, {EventData{"a", "k"}})));
  ASSERT_OK(store_->Commit(Batch().TruncateBefore("s", 1, 2)));
  EXPECT_OK(store_->Commit(Batch().Append("s", 1, {EventData{"b", "k"}})));
}

TEST_F(EventLogTest, DeletePartitionRestartsAtOne) {
  ASSERT_OK(Append("s", 1, {"a", "b"}));
  ASSERT_OK(Append("s", 2, {"x"}));
  ASSERT_OK(store_->Commit(Batch().DeletePartition("s", 1)));
  EXPECT_CODE(eventlog::GetPartitionInfo(*store_, "s", 1), kNotFound);
  EXPECT_OK(eventlog::GetPartitionInfo(*store_, "s", 2));
  auto again = Append("s", 1, {"c"}, ExpectedVersion::NoPartition());
  ASSERT_OK(again);
  EXPECT_EQ(again->appends[0].first_sequence, 1u);
}

TEST_F(EventLogTest, DeleteStreamRemovesEveryPartition) {
  ASSERT_OK(Append("s", 1, {"a"}));
  ASSERT_OK(Append("s", 2, {"b"}));
  ASSERT_OK(Append("keep", 1, {"k"}));
  ASSERT_OK(store_->Commit(Batch().DeleteStream("s")));
  EXPECT_CODE(eventlog::GetStreamInfo(*store_, "s"), kNotFound);
  EXPECT_CODE(eventlog::ListPartitions(*store_, "s"), kNotFound);
  auto tail = eventlog::ReadAfter(*store_, 0, 100);
  ASSERT_OK(tail);
  ASSERT_EQ(tail->size(), 1u);  // deleted events leave the position index too
  EXPECT_EQ((*tail)[0].stream, "keep");
  EXPECT_OK(store_->Commit(Batch().DeleteStream("never-existed")));
}

TEST_F(EventLogTest, ReadAfterReturnsEventsInPositionOrder) {
  ASSERT_OK(Append("a", 1, {"a1"}));
  ASSERT_OK(Append("b", 5, {"b1", "b2"}));
  ASSERT_OK(Append("a", 1, {"a2"}));
  auto all = eventlog::ReadAfter(*store_, 0, 100);
  ASSERT_OK(all);
  ASSERT_EQ(all->size(), 4u);
  std::vector<std::string> order;
  for (auto& e : *all)
    order.push_back(e.stream + "/" + std::to_string(e.partition) + "/" + e.event.payload);
  EXPECT_EQ(order, (std::vector<std::string>{"a/1/a1", "b/5/b1", "b/5/b2", "a/1/a2"}));
  auto rest = eventlog::ReadAfter(*store_, (*all)[1].event.position, 1);
  ASSERT_OK(rest);
  ASSERT_EQ(rest->size(), 1u);
  EXPECT_EQ((*rest)[0].event.payload, "b2");
}

TEST_F(EventLogTest, ReadAfterWaitsForTheNextCommit) {
  ASSERT_OK(Append("s", 1, {"first"}));
  auto last = eventlog::LastPosition(*store_);
  ASSERT_OK(last);
  std::thread writer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_OK(Append("s", 1, {"second"}));
  });
  auto start = std::chrono::steady_clock::now();
  auto events = eventlog::ReadAfter(*store_, *last, 10, std::chrono::seconds(20));
  auto waited = std::chrono::steady_clock::now() - start;
  writer.join();
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].event.payload, "second");
  EXPECT_LT(waited, std::chrono::seconds(3)) << "the tail read was not woken by the commit";
}

TEST_F(EventLogTest, ReadAfterTimesOutEmpty) {
  ASSERT_OK(Append("s", 1, {"a"}));
  auto start = std::chrono::steady_clock::now();
  auto events = eventlog::ReadAfter(*store_, 1, 10, std::chrono::milliseconds(200));
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_OK(events);
  EXPECT_TRUE(events->empty());
  EXPECT_GE(waited, std::chrono::milliseconds(190));
}

TEST_F(EventLogTest, ReadAfterWithTheLongestWaitBlocksUntilACommit) {
  // now + milliseconds::max() used to overflow into the past and return at once.
  std::atomic<bool> returned{false};
  Result<std::vector<eventlog::PositionedEvent>> events = Status::Unavailable("not run");
  std::thread reader([&] {
    events = eventlog::ReadAfter(*store_, 0, 10, std::chrono::milliseconds::max());
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(returned) << "ReadAfter with milliseconds::max() returned without a commit";
  ASSERT_OK(Append("s", 1, {"wakes"}));
  reader.join();
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].event.payload, "wakes");
}

std::vector<std::string> TailPayloads(const eventlog::TailPage& page) {
  std::vector<std::string> out;
  for (const auto& e : page.events) out.push_back(e.stream + ":" + e.event.payload);
  return out;
}

TEST_F(EventLogTest, ReadAfterPagesByBytesAndSaysWhenItReachedTheEnd) {
  ASSERT_OK(Append("s", 1, {"aaaa", "bbbb", "cccc"}));
  eventlog::TailOptions options;
  options.max_bytes = 9;  // two 4-byte payloads fit, the third does not
  auto first = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(first);
  EXPECT_EQ(TailPayloads(*first), (std::vector<std::string>{"s:aaaa", "s:bbbb"}));
  EXPECT_FALSE(first->reached_end());
  EXPECT_EQ(first->next_after, first->events.back().event.position);
  auto second = eventlog::ReadAfter(*store_, first->next_after, options);
  ASSERT_OK(second);
  EXPECT_EQ(TailPayloads(*second), (std::vector<std::string>{"s:cccc"}));
  EXPECT_TRUE(second->reached_end());

  options.max_bytes = 1;  // smaller than any event: still one per page
  auto one = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(one);
  EXPECT_EQ(TailPayloads(*one), (std::vector<std::string>{"s:aaaa"}));
  EXPECT_FALSE(one->reached_end());

  // A full page is not a sign of more: a page holding exactly the last event says so.
  options = {};
  options.max_count = 3;
  auto exact = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(exact);
  EXPECT_EQ(exact->events.size(), 3u);
  EXPECT_TRUE(exact->reached_end());
  options.max_count = 2;
  auto cut = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(cut);
  EXPECT_FALSE(cut->reached_end());

  auto nothing = eventlog::ReadAfter(*store_, UINT64_MAX);
  ASSERT_OK(nothing);
  EXPECT_TRUE(nothing->events.empty());
  EXPECT_TRUE(nothing->reached_end());
}

TEST_F(EventLogTest, ReadAfterFiltersByStreamPrefixOrExactStream) {
  ASSERT_OK(Append("order-1", 1, {"o1"}));
  ASSERT_OK(Append("user-1", 1, {"u1"}));
  ASSERT_OK(Append("order-12", 2, {"o12"}));
  ASSERT_OK(Append("user-1", 1, {"u2"}));
  eventlog::TailOptions options;
  options.stream_prefix = "order-";
  auto orders = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(orders);
  EXPECT_EQ(TailPayloads(*orders), (std::vector<std::string>{"order-1:o1", "order-12:o12"}));
  EXPECT_EQ(orders->events[1].partition, 2u);
  EXPECT_TRUE(orders->reached_end());
  EXPECT_EQ(orders->next_after, 4u);  // the user-1 event after them was examined too

  options.stream_prefix = "order-1";
  auto prefixed = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(prefixed);
  EXPECT_EQ(TailPayloads(*prefixed), (std::vector<std::string>{"order-1:o1", "order-12:o12"}));
  options.exact_stream = true;
  auto exact = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(exact);
  EXPECT_EQ(TailPayloads(*exact), (std::vector<std::string>{"order-1:o1"}));

  options = {};
  options.stream_prefix = "nobody";  // a filter, not a name: no match is not NotFound
  auto none = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(none);
  EXPECT_TRUE(none->events.empty());
  EXPECT_TRUE(none->reached_end());
  EXPECT_EQ(none->next_after, 4u);

  options.stream_prefix = std::string(limits::kMaxStreamKey + 1, 'x');
  EXPECT_CODE(eventlog::ReadAfter(*store_, 0, options), kInvalidArgument);
  options = {};
  options.max_skipped = 0;
  EXPECT_CODE(eventlog::ReadAfter(*store_, 0, options), kInvalidArgument);
  options = {};
  options.max_count = 0;
  EXPECT_CODE(eventlog::ReadAfter(*store_, 0, options), kInvalidArgument);
}

TEST_F(EventLogTest, ARarelyMatchingTailFilterStopsAfterMaxSkipped) {
  for (int i = 0; i < 5; ++i) ASSERT_OK(Append("other", 1, {"x"}));
  ASSERT_OK(Append("wanted", 1, {"w"}));
  eventlog::TailOptions options;
  options.stream_prefix = "wanted";
  options.max_skipped = 2;
  auto page = eventlog::ReadAfter(*store_, 0, options);
  ASSERT_OK(page);
  EXPECT_TRUE(page->events.empty());
  EXPECT_FALSE(page->reached_end());  // empty, but not the end: call again at once
  EXPECT_EQ(page->next_after, 2u);
  page = eventlog::ReadAfter(*store_, page->next_after, options);
  ASSERT_OK(page);
  EXPECT_TRUE(page->events.empty());
  EXPECT_EQ(page->next_after, 4u);
  page = eventlog::ReadAfter(*store_, page->next_after, options);
  ASSERT_OK(page);
  EXPECT_EQ(TailPayloads(*page), (std::vector<std::string>{"wanted:w"}));
  EXPECT_TRUE(page->reached_end());
}

TEST_F(EventLogTest, AFilteredTailWaitsThroughCommitsOfOtherStreams) {
  ASSERT_OK(Append("a", 1, {"first"}));
  auto last = eventlog::LastPosition(*store_);
  ASSERT_OK(last);
  std::thread writer([this] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_OK(Append("b", 1, {"other"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_OK(Append("a", 1, {"second"}));
  });
  eventlog::TailOptions options;
  options.stream_prefix = "a";
  options.wait = std::chrono::seconds(20);
  auto start = std::chrono::steady_clock::now();
  auto page = eventlog::ReadAfter(*store_, *last, options);
  auto waited = std::chrono::steady_clock::now() - start;
  writer.join();
  ASSERT_OK(page);
  EXPECT_EQ(TailPayloads(*page), (std::vector<std::string>{"a:second"}));
  EXPECT_EQ(page->next_after, *last + 2);
  EXPECT_LT(waited, std::chrono::seconds(5)) << "the filtered tail was not woken by the commit";
}

// What a pager sees when the partition changes between pages (eventlog.h, "Paging across
// calls"): no snapshot is kept, addresses are never reused, so it continues sensibly.
TEST_F(EventLogTest, PagersSeeTruncationAndDeletionBetweenPagesAsDocumented) {
  ASSERT_OK(Append("s", 1, {"1", "2", "3", "4", "5", "6"}));
  ReadOptions options;
  options.max_count = 2;
  auto page = eventlog::ReadPartition(*store_, "s", 1, options);
  ASSERT_OK(page);
  ASSERT_EQ(page->next_sequence, 3u);
  eventlog::TailOptions tail;
  tail.max_count = 2;
  auto tail_page = eventlog::ReadAfter(*store_, 0, tail);
  ASSERT_OK(tail_page);
  ASSERT_EQ(tail_page->next_after, 2u);

  ASSERT_OK(store_->Commit(Batch().TruncateBefore("s", 1, 5)));
  ASSERT_OK(Append("s", 1, {"7"}));
  options.from_sequence = page->next_sequence;
  options.max_count = 10;
  page = eventlog::ReadPartition(*store_, "s", 1, options);
  ASSERT_OK(page);
  ASSERT_FALSE(page->events.empty());
  EXPECT_EQ(page->events.front().sequence, 5u);  // 3 and 4 are visibly missing
  EXPECT_EQ(page->events.size(), 3u);            // and the append is read on into
  tail.max_count = 10;
  tail_page = eventlog::ReadAfter(*store_, tail_page->next_after, tail);
  ASSERT_OK(tail_page);
  EXPECT_EQ(TailPayloads(*tail_page), (std::vector<std::string>{"s:5", "s:6", "s:7"}));

  ReadOptions backward;
  backward.backward = true;
  backward.from_sequence = 6;
  ASSERT_OK(Append("s", 1, {"8"}));
  EXPECT_EQ(Payloads("s", 1, backward), (std::vector<std::string>{"6", "5"}));  // not 7, 8

  ASSERT_OK(store_->Commit(Batch().DeletePartition("s", 1)));
  options.from_sequence = 2;
  EXPECT_CODE(eventlog::ReadPartition(*store_, "s", 1, options), kNotFound);
  ASSERT_OK(Append("s", 1, {"new-1", "new-2"}));
  page = eventlog::ReadPartition(*store_, "s", 1, options);
  ASSERT_OK(page);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].payload, "new-2");  // the new partition, sequences from 1 again
  EXPECT_GT(page->events[0].position, tail_page->next_after);
}

TEST_F(EventLogTest, PayloadsRoundTripByteExact) {
  std::string binary("\0\x01\xff\0tail", 8);
  std::string mib(1 << 20, '\0');
  for (size_t i = 0; i < mib.size(); ++i) mib[i] = static_cast<char>(i * 31);
  ASSERT_OK(Append("s", 1, {binary, "", mib}));
  auto events = eventlog::ReadPartition(*store_, "s", 1);
  ASSERT_OK(events);
  ASSERT_EQ(events->events.size(), 3u);
  EXPECT_EQ(events->events[0].payload, binary);
  EXPECT_EQ(events->events[1].payload, "");
  EXPECT_EQ(events->events[2].payload, mib);
}

TEST_F(EventLogTest, BinaryStreamKeysWork) {
  std::string key("\0stream\xff", 8);
  ASSERT_OK(Append(key, 1, {"a"}));
  auto info = eventlog::GetStreamInfo(*store_, key);
  ASSERT_OK(info);
  EXPECT_EQ(info->event_count, 1u);
  EXPECT_CODE(eventlog::GetStreamInfo(*store_, std::string("\0stream", 7)), kNotFound);
}

TEST_F(EventLogTest, InvalidAppendsApplyNothing) {
  EXPECT_CODE(Append("", 1, {"a"}), kInvalidArgument);
  EXPECT_CODE(Append(std::string(limits::kMaxStreamKey + 1, 's'), 1, {"a"}), kInvalidArgument);
  EXPECT_OK(Append(std::string(limits::kMaxStreamKey, 's'), 1, {"a"}));
  EXPECT_CODE(store_->Commit(Batch().Append("s", 1, std::vector<EventData>{})), kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Append(
                  "s", 1, {EventData{"a", std::string(limits::kMaxEventKey + 1, 'k')}})),
              kInvalidArgument);
  auto big = store_->Commit(
      Batch().Put("before", "x").Append("s", 1, std::string(limits::kMaxPayload + 1, 'x')));
  EXPECT_CODE(big, kResourceExhausted);
  EXPECT_NE(big.status().message().find(std::to_string(limits::kMaxPayload)), std::string::npos);
  EXPECT_CODE(store_->Get("before"), kNotFound);
  EXPECT_CODE(eventlog::GetPartitionInfo(*store_, "s", 1), kNotFound);
  EXPECT_CODE(eventlog::ReadPartition(*store_, "", 1), kInvalidArgument);
}

TEST_F(EventLogTest, TheMaximumPayloadIsAccepted) {
  ASSERT_OK(Append("s", 1, {std::string(limits::kMaxPayload, 'x')}));
  auto info = eventlog::GetPartitionInfo(*store_, "s", 1);
  ASSERT_OK(info);
  EXPECT_EQ(info->bytes, limits::kMaxPayload);
}

TEST_F(EventLogTest, DataAndPositionsSurviveReopen) {
  auto first = Append("s", 1, {"a", "b"});
  ASSERT_OK(first);
  ASSERT_OK(store_->Commit(Batch().DeleteStream("s")));  // positions are never reused
  store_.reset();
  store_ = OpenOrDie(dir_.path());
  ASSERT_NE(store_, nullptr);
  auto next = Append("s", 1, {"c"});
  ASSERT_OK(next);
  EXPECT_EQ(next->appends[0].first_sequence, 1u);
  EXPECT_GT(next->appends[0].first_position, first->appends[0].last_position);
}

TEST_F(EventLogTest, ListStreamsPagesThroughKeysWithAPrefixInByteOrder) {
  ASSERT_OK(Append("order/2", 1, {"a"}));
  ASSERT_OK(Append("order/1", 3, {"b"}));
  ASSERT_OK(Append("other", 1, {"c"}));
  ASSERT_OK(Append("order/3", 1, {"d"}));
  auto all = eventlog::ListStreams(*store_);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(*all, (std::vector<std::string>{"order/1", "order/2", "order/3", "other"}));
  auto first = eventlog::ListStreams(*store_, "order/", 2);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(*first, (std::vector<std::string>{"order/1", "order/2"}));
  auto second = eventlog::ListStreams(*store_, "order/", 2, first->back());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*second, (std::vector<std::string>{"order/3"}));
  auto none = eventlog::ListStreams(*store_, "zzz");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST_F(EventLogTest, ListStreamsOmitsAStreamOnceItsLastPartitionIsDeleted) {
  ASSERT_OK(Append("gone", 1, {"a"}));
  ASSERT_OK(Append("kept", 1, {"b"}));
  ASSERT_OK(store_->Commit(Batch().DeletePartition("gone", 1)));
  auto streams = eventlog::ListStreams(*store_);
  ASSERT_TRUE(streams.ok());
  EXPECT_EQ(*streams, (std::vector<std::string>{"kept"}));
}

}  // namespace
}  // namespace durastore
