// Kill -9 crash test: a child process (crash_child) commits batches in a loop and reports
// every acknowledged commit on a pipe; this test SIGKILLs it at random moments, reopens
// the store and checks that every acknowledged commit is there in full, that every batch
// is all-or-nothing, and that the store opens cleanly every time.
//
// DURASTORE_CRASH_ROUNDS sets the number of kills (default 25); DURASTORE_CRASH_SEED
// replays a run (the seed is printed).

#include <chrono>
#include <cstdlib>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>

#include "crash_workload.h"
#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "kill_harness.h"
#include "test_util.h"

namespace durastore {
namespace {

struct ChildReport {
  std::map<int, uint64_t> acked;   // writer -> highest acknowledged n
  std::set<std::string> dequeued;  // payloads whose ack batch was acknowledged
  std::string stderr_text;
  int lines = 0;
};

using testing::EnvOr;

// Runs crash_child for `run_ms`, kills it with SIGKILL and returns what it reported.
ChildReport RunAndKill(const std::string& child, const std::string& dir, int run_ms) {
  testing::KilledChild killed = testing::RunAndKill({child, dir}, run_ms);
  ChildReport report;
  report.stderr_text = killed.err;
  std::istringstream lines(killed.out);
  std::string kind;
  while (lines >> kind) {
    ++report.lines;
    if (kind == "ACK") {
      int w;
      uint64_t n;
      lines >> w >> n;
      report.acked[w] = std::max(report.acked[w], n);
    } else if (kind == "DEQ") {
      std::string payload;
      lines >> payload;
      report.dequeued.insert(payload);
    }
  }
  return report;
}

// Checks the store against everything acknowledged so far; returns the number of
// committed batches found.
uint64_t Verify(const std::string& dir, const std::map<int, uint64_t>& acked,
                const std::set<std::string>& dequeued) {
  // kNoSync: the drain below dequeues thousands of messages; their delivery-count commits
  // need not be flushed (Close flushes once).
  Options options;
  options.durability = Durability::kNoSync;
  auto opened = Store::Open(dir, options);
  EXPECT_TRUE(opened.ok()) << "store does not reopen after kill: " << opened.status().ToString();
  if (!opened.ok()) return 0;
  Store& store = **opened;
  uint64_t total = 0;
  std::set<std::string> expected_messages;
  for (int w = 0; w < crash::kWriters; ++w) {
    uint64_t last = 0;
    auto stored = store.Get(crash::LastKey(w));
    if (stored.ok()) last = std::stoull(*stored);
    auto a = acked.find(w);
    uint64_t acked_n = a == acked.end() ? 0 : a->second;
    EXPECT_GE(last, acked_n) << "writer " << w << ": acknowledged commit " << acked_n
                             << " lost (store has " << last << ")";
    total += last;
    if (last == 0) continue;
    // The metadata put and the append of each batch are all-or-nothing.
    auto info = eventlog::GetPartitionInfo(store, crash::Stream(w), 1);
    EXPECT_TRUE(info.ok()) << info.status().ToString();
    if (!info.ok()) continue;
    EXPECT_EQ(info->last_sequence, last) << "writer " << w;
    EXPECT_EQ(info->event_count, last) << "writer " << w;
    eventlog::ReadOptions options;
    options.max_count = last + 1;
    auto events = eventlog::ReadPartition(store, crash::Stream(w), 1, options);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (!events.ok()) continue;
    EXPECT_EQ(events->size(), last);
    for (size_t i = 0; i < events->size(); ++i) {
      EXPECT_EQ((*events)[i].sequence, i + 1);
      if ((*events)[i].payload != crash::Payload(w, i + 1)) {
        ADD_FAILURE() << "writer " << w << " event " << i + 1 << " has the wrong payload";
        break;
      }
    }
    for (uint64_t n = 1; n <= last; ++n) expected_messages.insert(crash::Message(w, n));
  }

  // Every committed message is either still queued or was acked (atomically with its
  // marker), never both, never neither.
  std::set<std::string> queued;
  queue::DequeueOptions drain;
  drain.lock_duration_ms = 600'000;
  for (;;) {
    auto lease = queue::Dequeue(store, crash::kQueue, drain);
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    if (!lease.ok() || !lease->has_value()) break;
    for (const auto& m : (*lease)->messages) {
      EXPECT_TRUE(queued.insert(m.payload).second) << "message delivered twice: " << m.payload;
    }
  }
  auto markers = store.Scan("crash/acked/", 1'000'000);
  EXPECT_TRUE(markers.ok());
  std::set<std::string> acked_messages;
  if (markers.ok()) {
    for (const auto& [key, value] : *markers) {
      acked_messages.insert(key.substr(std::string("crash/acked/").size()));
    }
  }
  for (const auto& m : expected_messages) {
    bool in_queue = queued.count(m) > 0, was_acked = acked_messages.count(m) > 0;
    EXPECT_TRUE(in_queue != was_acked)
        << "message " << m << " queued=" << in_queue << " acked=" << was_acked;
  }
  EXPECT_EQ(queued.size() + acked_messages.size(), expected_messages.size());
  for (const auto& m : dequeued) {
    EXPECT_TRUE(acked_messages.count(m) > 0) << "acknowledged ack of " << m << " was lost";
  }
  EXPECT_OK(store.Close());  // leases taken by the drain vanish with the process's store
  return total;
}

TEST(CrashTest, EveryAcknowledgedCommitSurvivesSigkill) {
  const char* child = std::getenv("DURASTORE_CRASH_CHILD");
  ASSERT_NE(child, nullptr) << "DURASTORE_CRASH_CHILD must name the crash_child binary";
  const uint64_t rounds = EnvOr("DURASTORE_CRASH_ROUNDS", 25);
  const uint64_t seed = testing::SeedFrom("DURASTORE_CRASH_SEED");
  std::printf("crash test: %llu rounds, seed %llu (DURASTORE_CRASH_SEED to replay)\n",
              static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(seed));
  std::mt19937_64 rng(seed);

  testing::TempDir dir;
  const std::string store_dir = dir.Sub("store");
  std::map<int, uint64_t> acked;
  std::set<std::string> dequeued;
  uint64_t acked_commits = 0, found = 0;
  for (uint64_t round = 0; round < rounds && !HasFailure(); ++round) {
    int run_ms = 30 + static_cast<int>(rng() % 300);
    ChildReport report = RunAndKill(child, store_dir, run_ms);
    EXPECT_EQ(report.stderr_text.find("ERR"), std::string::npos) << report.stderr_text;
    for (const auto& [w, n] : report.acked) {
      acked_commits += n - std::min(n, acked[w]);
      acked[w] = std::max(acked[w], n);
    }
    dequeued.insert(report.dequeued.begin(), report.dequeued.end());
    found = Verify(store_dir, acked, dequeued);
  }
  std::printf(
      "crash test: %llu kills, %llu acknowledged commits, %llu committed batches "
      "verified, %zu acknowledged dequeue-acks verified\n",
      static_cast<unsigned long long>(rounds), static_cast<unsigned long long>(acked_commits),
      static_cast<unsigned long long>(found), dequeued.size());
  // The test must be able to fail when nothing is ever committed.
  EXPECT_GT(acked_commits, rounds) << "the child acknowledged almost nothing";
  EXPECT_FALSE(dequeued.empty()) << "the consumer never acknowledged an ack";
}

}  // namespace
}  // namespace durastore
