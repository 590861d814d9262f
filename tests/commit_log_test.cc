// The commit log as the commit point: replay after a crash, checkpoints and segment reuse,
// flush-free leases and kNoSync commits, what readers see before a flush, and refusing
// stores that are not (or no longer) whole. Power cuts are tests/powerloss; kill -9 loops
// are tests/crash_test.
#include <lmdb.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commit_log.h"
#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "store_internal.h"
#include "test_util.h"

namespace durastore {
namespace {

using eventlog::ExpectedVersion;
using testing::OpenOrDie;
using testing::TempDir;

// Runs `body` in a forked child that ends with _exit(0) - no Close, no destructors: what
// a process crash leaves (the kernel keeps everything written). Returns the exit status.
template <typename Body>
int InCrashingChild(Body body) {
  std::fflush(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    body();
    _exit(0);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

// No checkpoint after Open's own: everything committed lives only in the log.
Options NoCheckpoints(Durability durability) {
  Options o;
  o.durability = durability;
  o.checkpoint_log_bytes = uint64_t{1} << 40;
  o.checkpoint_data_bytes = uint64_t{1} << 40;
  o.checkpoint_interval_ms = 3'600'000;
  return o;
}

size_t SegmentFiles(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    n += e.path().filename().string().rfind("wal.", 0) == 0;
  }
  return n;
}

void CommitAndCrash(const std::string& dir, Durability durability, int batches) {
  int status = InCrashingChild([&] {
    auto store = Store::Open(dir, NoCheckpoints(durability));
    if (!store.ok()) _exit(1);
    for (int i = 1; i <= batches; ++i) {
      Batch b;
      b.Append("s", 1, "event-" + std::to_string(i), ExpectedVersion::Exact(i - 1))
          .Put("last", std::to_string(i))
          .Enqueue("q", "m" + std::to_string(i));
      if (!(*store)->Commit(std::move(b)).ok()) _exit(2);
    }
    _exit(0);  // no Close: LMDB holds the groups unflushed, the log holds them written
  });
  ASSERT_EQ(status, 0);
}

void ExpectAllBatches(Store& store, int batches) {
  auto last = store.Get("last");
  ASSERT_OK(last);
  EXPECT_EQ(*last, std::to_string(batches));
  eventlog::ReadOptions read;
  read.max_count = batches + 1;
  auto page = eventlog::ReadPartition(store, "s", 1, read);
  ASSERT_OK(page);
  ASSERT_EQ(page->events.size(), static_cast<size_t>(batches));
  EXPECT_EQ(page->events.back().payload, "event-" + std::to_string(batches));
  auto counters = queue::GetCounters(store, "q");
  ASSERT_OK(counters);
  EXPECT_EQ(counters->ready, static_cast<uint64_t>(batches));
}

TEST(CommitLogTest, OpenReplaysTheLogAfterACrash) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(CommitAndCrash(dir.path(), Durability::kSync, 50));
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  // Open rolled LMDB back to its checkpoint (taken when the store was created) and
  // replayed every group from the log.
  EXPECT_EQ(store->GetPipelineStats().replayed_records, 50u);
  ExpectAllBatches(*store, 50);
  // The sequence counters were replayed too: the next append and message follow on.
  auto next = store->Commit(Batch().Append("s", 1, "event-51", ExpectedVersion::Exact(50)));
  ASSERT_OK(next);
  EXPECT_EQ(next->appends[0].first_sequence, 51u);
}

TEST(CommitLogTest, NoSyncCommitsSurviveAProcessCrash) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(CommitAndCrash(dir.path(), Durability::kNoSync, 30));
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  ExpectAllBatches(*store, 30);
}

TEST(CommitLogTest, ReplayingTwiceIsHarmless) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(CommitAndCrash(dir.path(), Durability::kSync, 20));
  // A crash during recovery itself: Open replays, then the process dies before Close.
  ASSERT_EQ(InCrashingChild([&] {
              auto store = Store::Open(dir.path(), NoCheckpoints(Durability::kSync));
              _exit(store.ok() && (*store)->GetPipelineStats().replayed_records == 20 ? 0 : 1);
            }),
            0);
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  ExpectAllBatches(*store, 20);
}

TEST(CommitLogTest, ACrashInTheMiddleOfAReplayLeavesTheCheckpointWhole) {
  TempDir dir;
  ASSERT_NO_FATAL_FAILURE(CommitAndCrash(dir.path(), Durability::kSync, 200));
  // The process dies halfway through the replay, after its transactions freed (and could
  // have reused) pages of the checkpointed snapshot that the next Open restores.
  ASSERT_EQ(InCrashingChild([&] {
              TestHooks hooks;
              hooks.after_replay = [](uint64_t lsn) {
                if (lsn == 100) _exit(0);
              };
              (void)StoreInternal::OpenWithHooks(dir.path(), NoCheckpoints(Durability::kSync),
                                                 std::move(hooks));
              _exit(1);  // the replay never reached record 100
            }),
            0);
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetPipelineStats().replayed_records, 200u);
  ExpectAllBatches(*store, 200);
}

TEST(CommitLogTest, CleanCloseLeavesNothingToReplay) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.path(), NoCheckpoints(Durability::kSync));
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 10; ++i)
      ASSERT_OK(store->Commit(Batch().Put("k" + std::to_string(i), "v")));
  }
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->GetPipelineStats().replayed_records, 0u);
  EXPECT_OK(store->Get("k9"));
}

TEST(CommitLogTest, CheckpointsLetSegmentsBeReusedSoTheLogStaysSmall) {
  TempDir dir;
  Options o;
  o.checkpoint_log_bytes = 256 << 10;
  o.log_segment_size = 1 << 20;
  const std::string payload(16 << 10, 'p');
  {
    auto store = OpenOrDie(dir.path(), o);
    ASSERT_NE(store, nullptr);
    for (int i = 0; i < 1100; ++i) {  // ~17 MiB of log: 17 segments of 1 MiB without reuse
      ASSERT_OK(
          store->Commit(Batch().Put("k" + std::to_string(i % 50), payload), {Durability::kNoSync}));
    }
    ASSERT_OK(store->Flush());
    PipelineStats stats = store->GetPipelineStats();
    EXPECT_GT(stats.log_bytes, 17u << 20);
    // Checkpoints run beside the commits (each waits for a flush of data.mdb), so how
    // many complete depends on the disk; a few always do, and their segments are reused.
    EXPECT_GE(stats.checkpoints, 3u);
    EXPECT_LT(SegmentFiles(dir.path()), 17u) << "segments were not reused";
  }
  auto store = OpenOrDie(dir.path(), o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->Get("k49").value_or(""), payload);
}

TEST(CommitLogTest, AGroupWhoseBatchesAllFailWritesNoRecordAndFlushesNothing) {
  TempDir dir;
  auto store = OpenOrDie(dir.path());
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Commit(Batch().Append("s", 1, "e", ExpectedVersion::NoPartition())));
  const PipelineStats before = store->GetPipelineStats();
  for (int i = 0; i < 20; ++i) {
    EXPECT_CODE(store->Commit(Batch().Append("s", 1, "e", ExpectedVersion::NoPartition())),
                kConflict);
  }
  const PipelineStats after = store->GetPipelineStats();
  EXPECT_EQ(after.groups, before.groups);
  EXPECT_EQ(after.log_bytes, before.log_bytes);
  EXPECT_EQ(after.flushes, before.flushes);
  EXPECT_EQ(after.failed_batches, before.failed_batches + 20);
}

// A flush hook that blocks until opened: commits that wait for a flush cannot finish.
class FlushGate {
 public:
  TestHooks Hooks() {
    TestHooks hooks;
    hooks.fdatasync = [this](int fd) {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return open_; });
      return ::fdatasync(fd) == 0 ? 0 : errno;
    };
    return hooks;
  }
  void Close() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = false;
  }
  void Open() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
};

constexpr auto kHang = std::chrono::seconds(10);  // only a hang takes this long

TEST(CommitLogTest, ADequeueAndAKNoSyncCommitNeverWaitForAFlush) {
  TempDir dir;
  FlushGate gate;
  auto opened = StoreInternal::OpenWithHooks(dir.path(), Options(), gate.Hooks());
  ASSERT_OK(opened);
  Store& store = **opened;
  ASSERT_OK(store.Commit(Batch().Enqueue("q", "m")));
  gate.Close();
  auto lease = std::async(std::launch::async, [&] { return queue::Dequeue(store, "q"); });
  ASSERT_EQ(lease.wait_for(kHang), std::future_status::ready) << "the dequeue waited for a flush";
  auto got = lease.get();
  ASSERT_OK(got);
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->messages[0].delivery_count, 1u);
  auto nosync = std::async(std::launch::async, [&] {
    return store.Commit(Batch().Put("k", "v"), {Durability::kNoSync});
  });
  ASSERT_EQ(nosync.wait_for(kHang), std::future_status::ready) << "kNoSync waited for a flush";
  EXPECT_OK(nosync.get());
  gate.Open();
  ASSERT_OK(store.Close());
}

// store.h, "Visibility": a kSync group is visible to readers once its LMDB transaction
// commits, before the flush that acknowledges it.
TEST(CommitLogTest, ReadersSeeAKSyncGroupBeforeItsFlushAcknowledgesIt) {
  TempDir dir;
  FlushGate gate;
  auto opened = StoreInternal::OpenWithHooks(dir.path(), Options(), gate.Hooks());
  ASSERT_OK(opened);
  Store& store = **opened;
  gate.Close();
  std::atomic<bool> acknowledged{false};
  auto commit = std::async(std::launch::async, [&] {
    auto r = store.Commit(Batch().Put("k", "v").Append("s", 1, "e"));
    acknowledged = true;
    return r;
  });
  const auto deadline = std::chrono::steady_clock::now() + kHang;
  while (!store.Get("k").ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_OK(store.Get("k"));
  auto page = eventlog::ReadPartition(store, "s", 1);
  ASSERT_OK(page);
  EXPECT_EQ(page->events.size(), 1u);
  EXPECT_FALSE(acknowledged) << "acknowledged before its flush";
  gate.Open();
  EXPECT_OK(commit.get());
  ASSERT_OK(store.Close());
}

// Writes sys/format = `value` with LMDB itself, as an older build stored it (bare).
void PutFormatMarker(const std::string& dir, std::string value) {
  MDB_env* env = nullptr;
  ASSERT_EQ(mdb_env_create(&env), 0);
  ASSERT_EQ(mdb_env_set_maxdbs(env, 32), 0);
  ASSERT_EQ(mdb_env_open(env, dir.c_str(), 0, 0644), 0);
  MDB_txn* txn = nullptr;
  MDB_dbi dbi = 0;
  ASSERT_EQ(mdb_txn_begin(env, nullptr, 0, &txn), 0);
  ASSERT_EQ(mdb_dbi_open(txn, "sys", MDB_CREATE, &dbi), 0);
  std::string key = "format";
  MDB_val k{key.size(), key.data()}, v{value.size(), value.data()};
  ASSERT_EQ(mdb_put(txn, dbi, &k, &v, 0), 0);
  ASSERT_EQ(mdb_txn_commit(txn), 0);
  mdb_env_close(env);
}

TEST(CommitLogTest, AStoreInTheOldFormatIsRefusedByName) {
  TempDir dir;
  PutFormatMarker(dir.path(), "durastore-1");
  auto store = Store::Open(dir.path());
  EXPECT_CODE(store, kInvalidArgument);
  EXPECT_NE(store.status().message().find("durastore-1"), std::string::npos)
      << store.status().message();
}

TEST(CommitLogTest, AStoreWithoutChecksumsIsRefusedByName) {
  // durastore-2 had the commit log but stored records without their checksum: its marker
  // is the bare string. Rewrite a closed store's marker that way.
  TempDir dir;
  { ASSERT_OK(OpenOrDie(dir.path())->Commit(Batch().Put("k", "v"))); }
  PutFormatMarker(dir.path(), "durastore-2");
  auto store = Store::Open(dir.path());
  EXPECT_CODE(store, kInvalidArgument);
  EXPECT_NE(store.status().message().find("durastore-2"), std::string::npos)
      << store.status().message();
  Options read_only;
  read_only.read_only = true;
  EXPECT_CODE(Store::Open(dir.path(), read_only), kInvalidArgument);
}

TEST(CommitLogTest, AStoreThatLostAFileIsNeverOpenedAsANewOne) {
  for (const char* lost : {"CHECKPOINT", "data.mdb"}) {
    SCOPED_TRACE(lost);
    TempDir dir;
    {
      auto store = OpenOrDie(dir.path());
      ASSERT_NE(store, nullptr);
      ASSERT_OK(store->Commit(Batch().Put("k", "v")));
    }
    std::filesystem::remove(dir.Sub(lost));
    auto store = Store::Open(dir.path());
    EXPECT_CODE(store, kCorruption);
    EXPECT_NE(store.status().message().find(lost), std::string::npos) << store.status().message();
  }
}

// The committer flushes itself when no flush is in flight (CommitLog::FlushNowIfIdle), on
// its own thread and reporting like the flusher; it never starts a second flush beside one
// in flight, and never flushes again after a flush failed.
TEST(CommitLogTest, AnIdleCommitterFlushesOnItsOwnThreadOneFlushAtATime) {
  TempDir dir;
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false, holding = false, fail = false;
  int syncs_here = 0, syncs_elsewhere = 0;
  std::vector<std::pair<uint64_t, int>> reports;
  std::vector<bool> reported_here;
  const auto me = std::this_thread::get_id();
  internal::CommitLog::Config cfg;
  cfg.dir = dir.path();
  cfg.log_id = 42;
  cfg.sync = [&](int fd) {
    std::unique_lock<std::mutex> lock(mu);
    ++(std::this_thread::get_id() == me ? syncs_here : syncs_elsewhere);
    holding = true;
    cv.notify_all();
    cv.wait(lock, [&] { return !hold; });
    holding = false;
    if (fail) return EIO;
    return ::fdatasync(fd) == 0 ? 0 : errno;
  };
  cfg.on_flushed = [&](uint64_t lsn, int err) {
    std::lock_guard<std::mutex> lock(mu);
    reports.emplace_back(lsn, err);
    reported_here.push_back(std::this_thread::get_id() == me);
  };
  cfg.background_flush_ms = 3'600'000;  // no unrequested flushes
  auto log = internal::CommitLog::Open(cfg, 1);
  ASSERT_OK(log);
  internal::CommitLog& l = **log;
  {
    std::lock_guard<std::mutex> lock(mu);
    syncs_here = syncs_elsewhere = 0;  // Open flushed its new segment
  }

  EXPECT_FALSE(l.FlushNowIfIdle()) << "nothing was appended";
  ASSERT_OK(l.Append(1, "one"));
  EXPECT_TRUE(l.FlushNowIfIdle());
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(syncs_here, 1);
    EXPECT_EQ(syncs_elsewhere, 0);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0], std::make_pair(uint64_t{1}, 0));
    EXPECT_TRUE(reported_here[0]);
  }
  EXPECT_EQ(l.WaitFlushed(1), 0);

  // A flush in flight on the flusher thread: the committer does not start another.
  ASSERT_OK(l.Append(2, "two"));
  {
    std::unique_lock<std::mutex> lock(mu);
    hold = true;
    lock.unlock();
    l.RequestFlush();
    lock.lock();
    cv.wait(lock, [&] { return holding; });
  }
  ASSERT_OK(l.Append(3, "three"));
  EXPECT_FALSE(l.FlushNowIfIdle()) << "a second flush beside the one in flight";
  {
    std::lock_guard<std::mutex> lock(mu);
    hold = false;
    EXPECT_EQ(syncs_elsewhere, 1);
  }
  cv.notify_all();
  EXPECT_EQ(l.WaitFlushed(3), 0);  // the flusher covers record 3 with its next flush

  // After a failed flush nothing flushes again: the log is not to be trusted.
  ASSERT_OK(l.Append(4, "four"));
  {
    std::lock_guard<std::mutex> lock(mu);
    fail = true;
  }
  EXPECT_TRUE(l.FlushNowIfIdle());
  {
    std::lock_guard<std::mutex> lock(mu);
    ASSERT_FALSE(reports.empty());
    EXPECT_EQ(reports.back(), std::make_pair(uint64_t{4}, EIO));
    EXPECT_TRUE(reported_here.back());
  }
  ASSERT_OK(l.Append(5, "five"));
  EXPECT_FALSE(l.FlushNowIfIdle());
  EXPECT_EQ(l.WaitFlushed(5), EIO);
  {
    std::lock_guard<std::mutex> lock(mu);
    fail = false;  // the destructor's final flush must not hang or matter
  }
}

// A blocked caller alone in the store applies and flushes its own group (Store::Impl::Lead,
// LevelDB's leader writer): the flush covering each of its commits runs on its thread.
// While it flushes, the next group (a kNoSync commit from another thread, applied by the
// committer) neither waits for that flush nor for the leader; Close waits for the leader.
TEST(CommitLogTest, ALoneCallerCommitsOnItsOwnThreadAndOthersGoOnDuringItsFlush) {
  TempDir dir;
  std::mutex mu;
  std::condition_variable cv;
  bool hold = false, holding = false;
  std::thread::id leader;
  std::vector<std::thread::id> flushed_by;
  TestHooks hooks;
  hooks.fdatasync = [&](int fd) {
    std::unique_lock<std::mutex> lock(mu);
    flushed_by.push_back(std::this_thread::get_id());
    if (hold && std::this_thread::get_id() == leader) {
      holding = true;
      cv.notify_all();
      cv.wait(lock, [&] { return !hold; });
    }
    return ::fdatasync(fd) == 0 ? 0 : errno;
  };
  Options options = NoCheckpoints(Durability::kSync);
  // No timed flush, which could take a leader's record between its write and its flush.
  options.background_flush_ms = 3'600'000;
  auto opened = StoreInternal::OpenWithHooks(dir.path(), options, std::move(hooks));
  ASSERT_OK(opened);
  Store& store = **opened;
  const auto me = std::this_thread::get_id();
  // A batch refused before it reaches the committer leaves the count of requests in
  // flight as it was: the next caller is still alone.
  ASSERT_FALSE(store.Commit(Batch().Put("", "v")).ok());
  for (int i = 0; i < 20; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      flushed_by.clear();
    }
    ASSERT_OK(store.Commit(Batch().Put("k" + std::to_string(i), "v")));
    std::lock_guard<std::mutex> lock(mu);
    // The caller's own flush, and no other.
    ASSERT_EQ(flushed_by.size(), 1u) << "commit " << i;
    EXPECT_EQ(flushed_by[0], me) << "commit " << i << " was flushed by another thread";
  }

  // A leader held in its flush (its group is applied and logged, not yet durable).
  std::future<Status> leader_commit;
  {
    std::unique_lock<std::mutex> lock(mu);
    hold = true;
    leader_commit = std::async(std::launch::async, [&] {
      {
        std::lock_guard<std::mutex> l(mu);
        leader = std::this_thread::get_id();
      }
      return store.Commit(Batch().Put("led", "v")).status();
    });
    // (No ASSERT while a thread may be held: the test would hang, not fail.)
    EXPECT_TRUE(cv.wait_for(lock, kHang, [&] { return holding; })) << "no leader flushed";
  }
  auto nosync = std::async(std::launch::async, [&] {
    return store.Commit(Batch().Put("behind", "v"), {Durability::kNoSync}).status();
  });
  const bool went_on = nosync.wait_for(kHang) == std::future_status::ready;
  EXPECT_TRUE(went_on) << "the next group waited for the leader's flush";
  EXPECT_OK(store.Get("behind"));
  EXPECT_EQ(leader_commit.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
      << "the leader was acknowledged before its flush";
  auto closing = std::async(std::launch::async, [&] { return store.Close(); });
  EXPECT_EQ(closing.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
      << "Close returned while a leader was still flushing";
  {
    std::lock_guard<std::mutex> lock(mu);
    hold = false;
  }
  cv.notify_all();
  EXPECT_OK(leader_commit.get());
  if (went_on) EXPECT_OK(nosync.get());
  EXPECT_OK(closing.get());
}

}  // namespace
}  // namespace durastore
