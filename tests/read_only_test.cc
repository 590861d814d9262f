// Options::read_only: a reader beside a live writer in another process (a forked child),
// and the cases where a read-only open must refuse.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>

#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "test_util.h"

namespace durastore {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

Options ReadOnly() {
  Options o;
  o.read_only = true;
  return o;
}

// Commits `count` batches, each putting key<i> and appending one event to stream "s".
void CommitRange(Store& store, int from, int count) {
  for (int i = from; i < from + count; ++i) {
    Batch b;
    b.Put("key" + std::to_string(i), "value" + std::to_string(i));
    b.Append("s", 0, "event" + std::to_string(i));
    auto r = store.Commit(std::move(b));
    if (!r.ok()) _exit(3);
  }
}

// A writer in a child process, driven one step at a time through a pipe: each byte the
// test sends makes it commit `per_step` more batches (or, for 'q', close and exit; for
// 'k', exit without closing) and answer with one byte once done.
class WriterProcess {
 public:
  WriterProcess(const std::string& path, int per_step, const Options& options = {}) {
    int to_child[2], to_parent[2];
    if (pipe(to_child) != 0 || pipe(to_parent) != 0) std::abort();
    pid_ = fork();
    if (pid_ == 0) {
      close(to_child[1]);
      close(to_parent[0]);
      auto store = Store::Open(path, options);
      if (!store.ok()) _exit(2);
      int done = 0;
      char c;
      while (read(to_child[0], &c, 1) == 1) {
        if (c == 'k') _exit(0);  // a crash: no Close
        if (c == 'q') break;
        CommitRange(**store, done, per_step);
        done += per_step;
        if (write(to_parent[1], "1", 1) != 1) _exit(4);
      }
      if (!(*store)->Close().ok()) _exit(5);
      _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    out_ = to_child[1];
    in_ = to_parent[0];
  }
  ~WriterProcess() {
    if (pid_ > 0) Finish('q');
    close(out_);
    close(in_);
  }

  // Makes the writer commit its next step; true once it has.
  bool Step() {
    char c;
    return write(out_, "s", 1) == 1 && read(in_, &c, 1) == 1;
  }
  // 'q' closes the store, 'k' exits without closing. Returns the exit status.
  int Finish(char how) {
    if (write(out_, &how, 1) != 1) return -1;
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  int in_ = -1;
};

TEST(ReadOnlyTest, SeesEveryCommitOfALiveWriterWithoutReopening) {
  TempDir dir;
  WriterProcess writer(dir.path(), 100);
  ASSERT_TRUE(writer.Step());  // 100 batches committed (and acknowledged) by the child
  auto reader = OpenOrDie(dir.path(), ReadOnly());
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->Get("key99").value(), "value99");
  EXPECT_EQ(eventlog::LastPosition(*reader).value(), 100u);
  ASSERT_TRUE(writer.Step());  // 100 more, after the reader opened
  EXPECT_EQ(reader->Get("key199").value(), "value199");
  EXPECT_EQ(eventlog::LastPosition(*reader).value(), 200u);
  eventlog::ReadOptions all;
  all.max_count = 1000;
  auto page = eventlog::ReadPartition(*reader, "s", 0, all);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->events.size(), 200u);
  EXPECT_EQ(page->events.back().payload, "event199");
  EXPECT_EQ(writer.Finish('q'), 0);
  EXPECT_EQ(reader->Get("key0").value(), "value0");  // still readable after the writer left
}

TEST(ReadOnlyTest, ATailWaitWakesOnAnotherProcesssCommit) {
  TempDir dir;
  WriterProcess writer(dir.path(), 1);
  ASSERT_TRUE(writer.Step());
  auto reader = OpenOrDie(dir.path(), ReadOnly());
  ASSERT_NE(reader, nullptr);
  eventlog::TailOptions tail;
  tail.wait = std::chrono::milliseconds(10'000);
  std::thread commit([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    writer.Step();
  });
  const auto start = std::chrono::steady_clock::now();
  auto page = eventlog::ReadAfter(*reader, 1, tail);
  const auto waited = std::chrono::steady_clock::now() - start;
  commit.join();
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].event.payload, "event1");
  EXPECT_LT(waited, std::chrono::seconds(5));  // woke by polling, not at the deadline
}

TEST(ReadOnlyTest, EveryWriteFailsWithInvalidArgument) {
  TempDir dir;
  { ASSERT_OK(OpenOrDie(dir.path())->Commit(Batch().Enqueue("q", "m"))); }
  auto reader = OpenOrDie(dir.path(), ReadOnly());
  ASSERT_NE(reader, nullptr);
  auto commit = reader->Commit(Batch().Put("k", "v"));
  EXPECT_EQ(commit.status().code(), Code::kInvalidArgument);
  EXPECT_NE(commit.status().message().find("read-only"), std::string::npos);
  EXPECT_EQ(reader->Flush().code(), Code::kInvalidArgument);
  EXPECT_EQ(queue::Dequeue(*reader, "q").status().code(), Code::kInvalidArgument);
  auto counters = queue::GetCounters(*reader, "q");
  ASSERT_TRUE(counters.ok()) << counters.status().ToString();
  EXPECT_EQ(counters->ready, 1u);
  EXPECT_OK(reader->Close());
}

// What a read-only open may touch: nothing but LMDB's reader table.
std::map<std::string, std::pair<uintmax_t, int64_t>> StoreFiles(const std::string& dir) {
  std::map<std::string, std::pair<uintmax_t, int64_t>> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().filename() == "lock.mdb") continue;
    struct stat st {};
    if (::stat(e.path().c_str(), &st) != 0) continue;
    files[e.path().filename().string()] = {
        static_cast<uintmax_t>(st.st_size),
        static_cast<int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
  }
  return files;
}

TEST(ReadOnlyTest, WritesNoStoreFile) {
  TempDir dir;
  { ASSERT_OK(OpenOrDie(dir.path())->Commit(Batch().Put("k", "v"))); }
  auto before = StoreFiles(dir.path());
  {
    auto reader = OpenOrDie(dir.path(), ReadOnly());
    ASSERT_NE(reader, nullptr);
    EXPECT_EQ(reader->Get("k").value(), "v");
  }
  EXPECT_EQ(StoreFiles(dir.path()), before);
}

TEST(ReadOnlyTest, AMissingStoreIsNotFoundAndNothingIsCreated) {
  TempDir dir;
  auto missing = Store::Open(dir.Sub("none"), ReadOnly());
  EXPECT_EQ(missing.status().code(), Code::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("none")));
  auto empty = Store::Open(dir.path(), ReadOnly());  // a directory without a store
  EXPECT_EQ(empty.status().code(), Code::kNotFound) << empty.status().ToString();
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ReadOnlyTest, AStoreOpenForWritingInThisProcessIsBusyAndNotRetryable) {
  TempDir dir;
  auto writer = OpenOrDie(dir.path());
  auto reader = Store::Open(dir.path(), ReadOnly());
  EXPECT_EQ(reader.status().code(), Code::kBusy);
  EXPECT_FALSE(reader.status().retryable());
  EXPECT_NE(reader.status().message().find("this process"), std::string::npos);
}

TEST(ReadOnlyTest, AStoreLeftUncleanWithNoWriterMustBeRecoveredFirst) {
  TempDir dir;
  {
    WriterProcess writer(dir.path(), 10);
    ASSERT_TRUE(writer.Step());
    EXPECT_EQ(writer.Finish('k'), 0);  // exits without Close: no clean checkpoint
  }
  auto reader = Store::Open(dir.path(), ReadOnly());
  EXPECT_EQ(reader.status().code(), Code::kUnavailable) << reader.status().ToString();
  { EXPECT_OK(OpenOrDie(dir.path())->Close()); }  // a writer's open recovers it
  auto after = OpenOrDie(dir.path(), ReadOnly());
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->Get("key9").value(), "value9");
}

TEST(ReadOnlyTest, FollowsTheWriterWhenItGrowsTheMap) {
  TempDir dir;
  Options small;
  small.initial_map_size = size_t{1} << 20;  // 1 MiB: the steps below outgrow it
  WriterProcess writer(dir.path(), 2000, small);
  ASSERT_TRUE(writer.Step());
  auto reader = OpenOrDie(dir.path(), ReadOnly());
  ASSERT_NE(reader, nullptr);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(writer.Step());
  EXPECT_EQ(reader->Get("key7999").value(), "value7999");
  EXPECT_EQ(eventlog::LastPosition(*reader).value(), 8000u);
}

}  // namespace
}  // namespace durastore
