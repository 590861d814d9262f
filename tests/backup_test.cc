// Store::Backup (engine/src/backup.cc): a copy taken while writers commit holds every
// commit acknowledged before the backup began, each batch whole, and opens as a store that
// accepts writes; compact copies leave free pages out; destinations that hold anything are
// refused. Each copy passes Store::Verify.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "durastore/c.h"
#include "durastore/eventlog.h"
#include "durastore/store.h"
#include "test_util.h"

namespace durastore {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

// Writer w's n-th batch (n from 1): Put Key(w, n) and append one event to Stream(w),
// partition 1, expecting n - 1 events before it, so the partition's last sequence is the
// number of the writer's batches a store holds.
std::string Key(int w, uint64_t n) { return "b/" + std::to_string(w) + "/" + std::to_string(n); }
std::string Stream(int w) { return "writer-" + std::to_string(w); }
std::string Value(int w, uint64_t n) {
  return Key(w, n) + std::string(200, static_cast<char>('a' + (w + n) % 26));
}
Batch WriterBatch(int w, uint64_t n) {
  Batch batch;
  batch.Put(Key(w, n), Value(w, n));
  batch.Append(Stream(w), 1, Value(w, n), eventlog::ExpectedVersion::Exact(n - 1));
  return batch;
}

// Checks that the store holds writer w's batches 1..at_least (and perhaps more), each
// whole, and nothing after its last one. Returns how many it holds.
uint64_t ExpectWriterWhole(Store& store, int w, uint64_t at_least) {
  uint64_t last = 0;
  auto info = eventlog::GetPartitionInfo(store, Stream(w), 1);
  if (info.ok()) {
    last = info->last_sequence;
  } else {
    EXPECT_CODE(info, kNotFound);
  }
  EXPECT_GE(last, at_least) << "writer " << w << ": acknowledged batches missing";
  auto events = eventlog::ReadPartition(store, Stream(w), 1, {});
  if (last > 0) {
    EXPECT_OK(events);
    if (events.ok()) {
      EXPECT_EQ(events->events.size(), last) << "writer " << w;
    }
  }
  for (uint64_t n = 1; n <= last; ++n) {
    auto v = store.Get(Key(w, n));
    EXPECT_TRUE(v.ok() && *v == Value(w, n)) << "writer " << w << " batch " << n << " not whole";
    if (events.ok() && n <= events->events.size()) {
      EXPECT_EQ(events->events[n - 1].payload, Value(w, n));
    }
  }
  EXPECT_FALSE(store.Get(Key(w, last + 1)).ok()) << "writer " << w << ": half a batch";
  return last;
}

// The copy passes the integrity walk: every checksum, every index against its records.
void ExpectVerifies(Store& store) {
  auto report = store.Verify();
  ASSERT_OK(report);
  EXPECT_TRUE(report->ok()) << report->problems.size() << " problems, the first: "
                            << (report->problems.empty() ? "" : report->problems.front());
  EXPECT_GT(report->records, 0u);
}

class BackupUnderLoadTest : public ::testing::TestWithParam<bool> {};

TEST_P(BackupUnderLoadTest, HoldsEveryCommitAcknowledgedBeforeItBeganEachBatchWhole) {
  const bool compact = GetParam();
  TempDir dir;
  const std::string copy_path = dir.Sub("copy");
  constexpr int kWriters = 4;
  std::vector<uint64_t> acked_before(kWriters);
  std::vector<uint64_t> acked_total(kWriters);
  {
    Options options;
    options.checkpoint_interval_ms = 50;  // checkpoints and segment reuse during the backup
    auto store = OpenOrDie(dir.Sub("store"), options);
    ASSERT_NE(store, nullptr);
    // 32 MiB to copy, so that the writers commit while the copy runs.
    for (int i = 0; i < 32; ++i) {
      ASSERT_OK(store->Commit(Batch().Put("bulk/" + std::to_string(i), std::string(1 << 20, 'b'))));
    }
    std::atomic<bool> stop{false};
    std::vector<std::atomic<uint64_t>> acked(kWriters);
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&, w] {
        for (uint64_t n = 1; !stop.load(); ++n) {
          auto r = store->Commit(WriterBatch(w, n), {Durability::kSync});
          if (!r.ok()) {
            ADD_FAILURE() << r.status().ToString();
            return;
          }
          acked[w].store(n);
        }
      });
    }
    // Let the writers run, then note what was acknowledged before the backup began.
    while (acked[kWriters - 1].load() < 200)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    for (int w = 0; w < kWriters; ++w) acked_before[w] = acked[w].load();
    const auto started = std::chrono::steady_clock::now();
    ASSERT_OK(store->Backup(copy_path, {compact}));
    const auto took = std::chrono::steady_clock::now() - started;
    // The writers went on committing while the copy ran, and after it.
    uint64_t during = 0;
    for (int w = 0; w < kWriters; ++w) during += acked[w].load() - acked_before[w];
    EXPECT_GT(during, 0u) << "no commit was acknowledged while the backup ran";
    std::printf("backup (%s) took %.1f ms; %llu commits were acknowledged meanwhile\n",
                compact ? "compact" : "plain",
                std::chrono::duration<double, std::milli>(took).count(),
                static_cast<unsigned long long>(during));
    const uint64_t after_backup = acked[0].load();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
    for (auto& t : writers) t.join();
    for (int w = 0; w < kWriters; ++w) acked_total[w] = acked[w].load();
    EXPECT_GT(acked_total[0], after_backup) << "the store stopped committing after the backup";
    ASSERT_OK(store->Close());
  }
  EXPECT_TRUE(std::filesystem::exists(copy_path + "/data.mdb"));
  EXPECT_TRUE(std::filesystem::exists(copy_path + "/CHECKPOINT"));
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename().string().find(".copy.backup-"), std::string::npos)
        << "temporary directory left behind: " << e.path();
  }
  {
    auto copy = OpenOrDie(copy_path);
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(copy->GetPipelineStats().replayed_records, 0u);
    ExpectVerifies(*copy);
    uint64_t held = 0;
    for (int w = 0; w < kWriters; ++w) {
      const uint64_t last = ExpectWriterWhole(*copy, w, acked_before[w]);
      EXPECT_LE(last, acked_total[w]);
      held += last;
    }
    std::printf("backup (%s): %llu batches acknowledged before it, %llu in the copy\n",
                compact ? "compact" : "plain",
                static_cast<unsigned long long>(acked_before[0] + acked_before[1] +
                                                acked_before[2] + acked_before[3]),
                static_cast<unsigned long long>(held));
    // The copy is a store: it takes writes, continuing each writer's sequence.
    for (int w = 0; w < kWriters; ++w) {
      uint64_t last = eventlog::GetPartitionInfo(*copy, Stream(w), 1)->last_sequence;
      ASSERT_OK(copy->Commit(WriterBatch(w, last + 1)));
    }
    ASSERT_OK(copy->Close());
  }
  // ... and keeps them across a reopen, with the batches it was copied with.
  auto copy = OpenOrDie(copy_path);
  ASSERT_NE(copy, nullptr);
  for (int w = 0; w < kWriters; ++w) ExpectWriterWhole(*copy, w, acked_before[w] + 1);
}

INSTANTIATE_TEST_SUITE_P(PlainAndCompact, BackupUnderLoadTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Compact" : "Plain"; });

uint64_t DataBytes(const std::string& dir) { return std::filesystem::file_size(dir + "/data.mdb"); }

TEST(BackupTest, ACompactBackupLeavesFreedPagesOut) {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  for (int b = 0; b < 20; ++b) {
    Batch batch;
    for (int i = 0; i < 100; ++i) {
      char key[16];
      std::snprintf(key, sizeof(key), "k%06d", b * 100 + i);
      batch.Put(key, std::string(1000, 'x'));
    }
    ASSERT_OK(store->Commit(std::move(batch)));
  }
  ASSERT_OK(store->Commit(Batch().DeleteRange("k000000", "k001900")));  // 1,900 of 2,000
  ASSERT_OK(store->Backup(dir.Sub("plain")));
  ASSERT_OK(store->Backup(dir.Sub("compact"), {.compact = true}));
  const uint64_t source = DataBytes(dir.Sub("store"));
  const uint64_t plain = DataBytes(dir.Sub("plain"));
  const uint64_t compact = DataBytes(dir.Sub("compact"));
  std::printf("data.mdb: store %llu bytes, plain backup %llu, compact backup %llu\n",
              static_cast<unsigned long long>(source), static_cast<unsigned long long>(plain),
              static_cast<unsigned long long>(compact));
  EXPECT_LT(compact * 4, plain) << "the compact copy kept the freed pages";
  for (const char* name : {"plain", "compact"}) {
    SCOPED_TRACE(name);
    auto copy = OpenOrDie(dir.Sub(name));
    ASSERT_NE(copy, nullptr);
    auto kept = copy->Scan("k", 10'000);
    ASSERT_OK(kept);
    ASSERT_EQ(kept->size(), 100u);
    EXPECT_EQ(kept->front().first, "k001900");
    EXPECT_CODE(copy->Get("k000000"), kNotFound);
    ExpectVerifies(*copy);
  }
}

TEST(BackupTest, ADestinationThatHoldsAnythingIsRefusedAndLeftAsItWas) {
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->Commit(Batch().Put("k", "v")));

  std::filesystem::create_directory(dir.Sub("full"));
  std::ofstream(dir.Sub("full/notes.txt")) << "mine";
  Status s = store->Backup(dir.Sub("full"));
  EXPECT_CODE(s, kAlreadyExists);
  EXPECT_NE(s.message().find("not an empty directory"), std::string::npos) << s.ToString();
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("full/data.mdb")));
  EXPECT_TRUE(std::filesystem::exists(dir.Sub("full/notes.txt")));

  std::ofstream(dir.Sub("a-file")) << "mine";
  EXPECT_CODE(store->Backup(dir.Sub("a-file")), kAlreadyExists);
  EXPECT_CODE(store->Backup(dir.Sub("store")), kAlreadyExists);  // the store itself
  EXPECT_CODE(store->Backup(dir.Sub("no/such/parent")), kNotFound);
  EXPECT_CODE(store->Backup(""), kInvalidArgument);
  EXPECT_CODE(store->Backup(std::string("x\0y", 3)), kInvalidArgument);

  // An empty directory is fine (the copy is renamed over it).
  std::filesystem::create_directory(dir.Sub("empty"));
  ASSERT_OK(store->Backup(dir.Sub("empty")));
  {
    auto copy = OpenOrDie(dir.Sub("empty"));
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(*copy->Get("k"), "v");
  }
  // No temporary directory is left by the refusals or the backup.
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    EXPECT_EQ(e.path().filename().string().find(".backup-"), std::string::npos) << e.path();
  }
  ASSERT_OK(store->Close());
  EXPECT_CODE(store->Backup(dir.Sub("after-close")), kUnavailable);
  EXPECT_FALSE(std::filesystem::exists(dir.Sub("after-close")));
}

TEST(BackupTest, ABackupOntoAFullFileSystemIsResourceExhaustedAndLeavesNothing) {
  testing::SmallFileSystem fs(size_t{1} << 20);
  if (!fs.mounted()) GTEST_SKIP() << "cannot mount a 1 MiB tmpfs here: " << fs.error();
  TempDir dir;
  auto store = OpenOrDie(dir.Sub("store"));
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < 4; ++i) {
    ASSERT_OK(store->Commit(Batch().Put("big/" + std::to_string(i), std::string(1 << 20, 'b'))));
  }
  Status s = store->Backup(fs.Sub("copy"));
  EXPECT_CODE(s, kResourceExhausted);
  EXPECT_TRUE(std::filesystem::is_empty(fs.path())) << "a failed backup left files behind";
  EXPECT_OK(store->Commit(Batch().Put("k", "v")));  // the store is not affected
}

// A writer process commits while a read-only opener in this process backs the store up
// (the operations command's case: `durastore backup` beside a running application).
class ReadOnlyBackupTest : public ::testing::TestWithParam<bool> {};

TEST_P(ReadOnlyBackupTest, BesideAWriterProcessHoldsEveryCommitItAcknowledgedBefore) {
  const bool compact = GetParam();
  TempDir dir;
  const std::string path = dir.Sub("store");
  constexpr int kWriters = 2;
  int acks[2];
  ASSERT_EQ(pipe(acks), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(acks[0]);
    Options options;
    options.checkpoint_interval_ms = 50;
    auto store = Store::Open(path, options);
    if (!store.ok()) _exit(2);
    for (int i = 0; i < 16; ++i) {  // 16 MiB to copy, so the backup overlaps commits
      if (!(*store)
               ->Commit(Batch().Put("bulk/" + std::to_string(i), std::string(1 << 20, 'b')))
               .ok()) {
        _exit(3);
      }
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
      writers.emplace_back([&store, w, fd = acks[1]] {
        for (uint64_t n = 1;; ++n) {
          if (!(*store)->Commit(WriterBatch(w, n), {Durability::kSync}).ok()) _exit(4);
          const uint64_t ack[2] = {static_cast<uint64_t>(w), n};  // one atomic pipe write
          if (write(fd, ack, sizeof(ack)) != sizeof(ack)) _exit(5);
        }
      });
    }
    for (auto& t : writers) t.join();  // never: the test kills the process
    _exit(0);
  }
  close(acks[1]);
  std::vector<uint64_t> acked(kWriters);
  auto read_ack = [&] {
    uint64_t ack[2];
    if (read(acks[0], ack, sizeof(ack)) != sizeof(ack)) return false;
    acked[ack[0]] = std::max(acked[ack[0]], ack[1]);
    return true;
  };
  // Every ack read before Backup is called was acknowledged before it began.
  while (acked[0] < 100 || acked[1] < 100) {
    if (!read_ack()) break;
  }
  const std::vector<uint64_t> acked_before = acked;
  ASSERT_GE(acked_before[0], 100u) << "the writer process failed";
  Status backed_up;
  {
    Options read_only;
    read_only.read_only = true;
    auto reader = OpenOrDie(path, read_only);
    ASSERT_NE(reader, nullptr);
    backed_up = reader->Backup(dir.Sub("copy"), {.compact = compact});
  }
  // The writer goes on committing after the backup.
  const uint64_t total_before = acked[0] + acked[1];
  for (int i = 0; i < 2000 && acked[0] + acked[1] < total_before + 50; ++i) {
    if (!read_ack()) break;
  }
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
  close(acks[0]);
  ASSERT_OK(backed_up);
  EXPECT_GE(acked[0] + acked[1], total_before + 50) << "the writer stopped";
  auto copy = OpenOrDie(dir.Sub("copy"));
  ASSERT_NE(copy, nullptr);
  ExpectVerifies(*copy);
  uint64_t held = 0;
  for (int w = 0; w < kWriters; ++w) held += ExpectWriterWhole(*copy, w, acked_before[w]);
  std::printf("read-only backup (%s): %llu batches acknowledged before it, %llu in the copy\n",
              compact ? "compact" : "plain",
              static_cast<unsigned long long>(acked_before[0] + acked_before[1]),
              static_cast<unsigned long long>(held));
  EXPECT_OK(copy->Commit(
      WriterBatch(0, eventlog::GetPartitionInfo(*copy, Stream(0), 1)->last_sequence + 1)));
}

INSTANTIATE_TEST_SUITE_P(PlainAndCompact, ReadOnlyBackupTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Compact" : "Plain"; });

TEST(BackupTest, ABackupOfABackupIsTheSameStore) {
  TempDir dir;
  {
    auto store = OpenOrDie(dir.Sub("store"));
    ASSERT_NE(store, nullptr);
    for (uint64_t n = 1; n <= 20; ++n) ASSERT_OK(store->Commit(WriterBatch(0, n)));
    ASSERT_OK(store->Backup(dir.Sub("one"), {.compact = true}));
  }
  auto one = OpenOrDie(dir.Sub("one"));
  ASSERT_NE(one, nullptr);
  ASSERT_OK(one->Commit(WriterBatch(0, 21)));
  ASSERT_OK(one->Backup(dir.Sub("two")));
  auto two = OpenOrDie(dir.Sub("two"));
  ASSERT_NE(two, nullptr);
  EXPECT_EQ(ExpectWriterWhole(*two, 0, 21), 21u);
}

TEST(BackupTest, TheCApiBacksUpAndRefusesLikeTheCppApi) {
  TempDir dir;
  const std::string path = dir.Sub("store");
  ds_store* store = nullptr;
  ASSERT_EQ(ds_store_open(path.data(), path.size(), nullptr, &store, nullptr), DS_OK);
  ds_batch* batch = nullptr;
  ASSERT_EQ(ds_batch_new(&batch, nullptr), DS_OK);
  ASSERT_EQ(ds_batch_put(batch, "k", 1, "v", 1, nullptr), DS_OK);
  ASSERT_EQ(ds_store_commit(store, batch, DS_DURABILITY_DEFAULT, nullptr, nullptr), DS_OK);
  ds_batch_free(batch);

  ds_backup_options options;
  ds_backup_options_init(&options);
  EXPECT_FALSE(options.compact);
  options.compact = true;
  const std::string dest = dir.Sub("copy");
  ASSERT_EQ(ds_store_backup(store, dest.data(), dest.size(), &options, nullptr), DS_OK);
  ds_error* err = nullptr;
  EXPECT_EQ(ds_store_backup(store, dest.data(), dest.size(), nullptr, &err), DS_ALREADY_EXISTS);
  EXPECT_NE(std::string(ds_error_message(err)).find("not an empty directory"), std::string::npos);
  ds_error_free(err);
  EXPECT_EQ(ds_store_backup(store, nullptr, 0, nullptr, nullptr), DS_INVALID_ARGUMENT);
  ds_store_free(store);

  auto copy = OpenOrDie(dest);
  ASSERT_NE(copy, nullptr);
  EXPECT_EQ(*copy->Get("k"), "v");
}

}  // namespace
}  // namespace durastore
