// Power-loss simulation. powerloss_child commits in a loop under the interposer
// (interpose.c, LD_PRELOAD), which logs every write to the store's files (data.mdb,
// CHECKPOINT and the commit-log segments wal.*) and every completed flush. At a random
// moment the test SIGKILLs the child and rebuilds each file as a power cut at that moment
// could have left it (powerloss_image.h): only what its last flush covered, or that plus
// a random subset of the later 4 KiB pages, or everything (a process crash). Then it
// reopens the store and checks what the documentation promises.
//
// The child uses the fdatasync flusher: io_uring fsyncs bypass libc and cannot be seen
// by the interposer, so the io_uring flush path is covered by the kill -9 crash test only.
//
// DURASTORE_POWERCUT_ROUNDS sets the number of cuts per test (default 20; a long run:
// DURASTORE_POWERCUT_ROUNDS=300 meson test -C build --suite powerloss). The seed is
// printed; DURASTORE_POWERCUT_SEED replays a run. Each test starts a new store every 25 cuts.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crash_workload.h"
#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "kill_harness.h"
#include "powerloss_image.h"
#include "powerloss_log.h"
#include "test_util.h"

namespace durastore {
namespace {

using powerloss::CutMode;
using powerloss::CutStats;

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

struct ChildReport {
  std::map<int, uint64_t> acked;    // writer -> highest acknowledged n
  std::map<int, uint64_t> flushed;  // nosync: writer -> highest n acknowledged before FLUSHED
  std::set<std::string> dequeued;   // payloads whose ack batch was acknowledged
  bool idle = false;                // nosync: the last line was FLUSHED
  bool killed = false;
  std::string stderr_text;
};

ChildReport Parse(const std::string& text) {
  ChildReport report;
  std::istringstream lines(text);
  std::string kind;
  while (lines >> kind) {
    report.idle = kind == "FLUSHED";
    if (kind == "ACK") {
      int w;
      uint64_t n;
      lines >> w >> n;
      report.acked[w] = std::max(report.acked[w], n);
    } else if (kind == "DEQ") {
      std::string payload;
      lines >> payload;
      report.dequeued.insert(payload);
    } else if (kind == "FLUSHED") {
      report.flushed = report.acked;
    }
  }
  return report;
}

// The files of a store a power cut can damage (interpose.c's name patterns).
constexpr char kTrackedFiles[] = "data.mdb,CHECKPOINT,wal.*";
bool IsTracked(const std::string& name) {
  return name == "data.mdb" || name == "CHECKPOINT" ||
         (name.rfind("wal.", 0) == 0 && name.find(kPlLogSuffix) == std::string::npos);
}

// Runs powerloss_child under the interposer for `run_ms` (draining its output meanwhile),
// then SIGKILLs it.
ChildReport RunAndKill(const std::string& dir, const char* mode, uint64_t seed, int run_ms,
                       bool lying_disk = false) {
  const std::vector<std::string> env = testing::EnvironmentWithout(
      {"LD_PRELOAD=", "DURASTORE_POWERLOSS_"},
      {std::string("LD_PRELOAD=") + std::getenv("DURASTORE_POWERLOSS_PRELOAD"),
       "DURASTORE_POWERLOSS_DIR=" + dir, std::string("DURASTORE_POWERLOSS_FILES=") + kTrackedFiles,
       std::string("DURASTORE_POWERLOSS_LYING_DISK=") + (lying_disk ? "1" : "0")});
  testing::SpawnedChild c = testing::SpawnWithPipes(
      {std::getenv("DURASTORE_POWERLOSS_CHILD"), dir, mode, std::to_string(seed)}, &env);
  std::string text, errors;
  auto drain = [&](int timeout_ms) {
    pollfd fds[2] = {{c.out, POLLIN, 0}, {c.err, POLLIN, 0}};
    if (poll(fds, 2, timeout_ms) <= 0) return;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) (i == 0 ? text : errors).append(buf, static_cast<size_t>(n));
    }
  };
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(run_ms);
  for (auto now = std::chrono::steady_clock::now(); now < deadline;
       now = std::chrono::steady_clock::now()) {
    drain(static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count() + 1));
  }
  kill(c.pid, SIGKILL);
  int status = 0;
  waitpid(c.pid, &status, 0);
  for (int fd : {c.out, c.err}) {
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
      (fd == c.out ? text : errors).append(buf, static_cast<size_t>(n));
    }
    close(fd);
  }
  ChildReport report = Parse(text);
  report.killed = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
  report.stderr_text = errors;
  return report;
}

// name -> content of every tracked file of `dir`.
using Files = std::map<std::string, std::string>;
Files ReadStoreFiles(const std::string& dir) {
  Files files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    if (IsTracked(name)) files[name] = powerloss::ReadFileOrEmpty(e.path().string());
  }
  return files;
}

struct Cut {
  CutStats stats;
  uint64_t replay_diff_pages = 0;  // all-writes replay vs the file the child left (worst file)
};

// Replaces every file the child wrote by what a power cut in `mode` could leave, given the
// files as they were when the child started (`base`; a file created since starts empty).
Cut CutPower(const std::string& dir, const Files& base, CutMode mode, std::mt19937_64& rng) {
  Cut cut;
  std::error_code ec;
  std::vector<std::string> logs;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = e.path().filename().string();
    const size_t at = name.rfind(kPlLogSuffix);
    if (at != std::string::npos && at + std::strlen(kPlLogSuffix) == name.size()) {
      logs.push_back(name.substr(0, at));
    }
  }
  for (const std::string& name : logs) {
    const std::string path = dir + "/" + name, log_path = path + kPlLogSuffix;
    const powerloss::Log log = powerloss::ReadLog(log_path);
    auto b = base.find(name);
    const std::string& start = b == base.end() ? std::string() : b->second;
    CutStats stats;
    const std::string all = powerloss::Rebuild(start, log, CutMode::kAllWrites, rng, &stats);
    cut.replay_diff_pages = std::max(
        cut.replay_diff_pages, powerloss::DifferingPages(all, powerloss::ReadFileOrEmpty(path)));
    const std::string image =
        mode == CutMode::kAllWrites ? all : powerloss::Rebuild(start, log, mode, rng, &stats);
    if (image.empty()) {
      std::filesystem::remove(path, ec);
    } else if (!powerloss::WriteFile(path, image)) {
      ADD_FAILURE() << "cannot write " << path;
    }
    std::filesystem::remove(log_path, ec);
    cut.stats.flushes += stats.flushes;
    cut.stats.durable_writes += stats.durable_writes;
    cut.stats.unflushed_writes += stats.unflushed_writes;
    cut.stats.unflushed_pages += stats.unflushed_pages;
    cut.stats.dropped_pages += stats.dropped_pages;
    cut.stats.notes += stats.notes;
  }
  std::filesystem::remove(dir + "/lock.mdb", ec);  // the reader table does not survive
  return cut;
}

struct Verified {
  std::vector<std::string> problems;  // empty: every promise held
  uint64_t committed = 0;             // batches found
};

// Reopens the store and checks it against everything that must have survived: writer w's
// batches 1..must_have[w] and the ack batches of `dequeued`; every batch all-or-nothing.
Verified Verify(const std::string& dir, const std::map<int, uint64_t>& must_have,
                const std::set<std::string>& dequeued) {
  Verified v;
  auto problem = [&v](const std::string& what) { v.problems.push_back(what); };
  Options options;
  options.durability = Durability::kNoSync;  // the drain's delivery counts: Close flushes once
  auto opened = Store::Open(dir, options);
  if (!opened.ok()) {
    problem("store unreadable: Open failed: " + opened.status().ToString());
    return v;
  }
  Store& store = **opened;
  std::set<std::string> expected_messages;
  for (int w = 0; w < crash::kWriters; ++w) {
    const std::string who = "writer " + std::to_string(w) + ": ";
    uint64_t last = 0;
    auto stored = store.Get(crash::LastKey(w));
    if (stored.ok()) last = std::stoull(*stored);
    auto m = must_have.find(w);
    if (m != must_have.end() && last < m->second) {
      problem(who + "acknowledged commit " + std::to_string(m->second) + " lost (store has " +
              std::to_string(last) + ")");
    }
    v.committed += last;
    if (last == 0) continue;
    eventlog::ReadOptions read;
    read.max_count = last + 1;
    auto events = eventlog::ReadPartition(store, crash::Stream(w), 1, read);
    if (!events.ok()) {
      problem(who + "reading events: " + events.status().ToString());
      continue;
    }
    const std::vector<eventlog::Event>& found = events->events;
    if (found.size() != last || !events->reached_end()) {
      problem(who + "last key says " + std::to_string(last) + ", partition holds " +
              std::to_string(found.size()) + " events" +
              (events->reached_end() ? "" : " in its first page"));
    }
    for (size_t i = 0; i < found.size(); ++i) {
      if (found[i].sequence != i + 1 || found[i].payload != crash::Payload(w, i + 1)) {
        problem(who + "event " + std::to_string(i + 1) + " is wrong");
        break;
      }
    }
    for (uint64_t n = 1; n <= last; ++n) expected_messages.insert(crash::Message(w, n));
  }
  // Every committed message is either still queued or was acked (with its marker).
  std::set<std::string> queued;
  queue::DequeueOptions drain;
  drain.lock_duration_ms = 600'000;
  for (;;) {
    auto lease = queue::Dequeue(store, crash::kQueue, drain);
    if (!lease.ok()) problem("dequeue: " + lease.status().ToString());
    if (!lease.ok() || !lease->has_value()) break;
    for (const auto& msg : (*lease)->messages) {
      if (!queued.insert(msg.payload).second) problem("delivered twice: " + msg.payload);
    }
  }
  auto markers = store.Scan("crash/acked/", 1'000'000);
  if (!markers.ok()) problem("scan: " + markers.status().ToString());
  std::set<std::string> acked_messages;
  if (markers.ok()) {
    for (const auto& [key, value] : *markers) {
      acked_messages.insert(key.substr(std::string("crash/acked/").size()));
    }
  }
  for (const auto& m : expected_messages) {
    if ((queued.count(m) > 0) == (acked_messages.count(m) > 0)) {
      problem("message " + m + " queued=" + std::to_string(queued.count(m)) +
              " acked=" + std::to_string(acked_messages.count(m)));
    }
  }
  for (const auto& m : queued) {
    if (expected_messages.count(m) == 0) problem("message " + m + " without its batch");
  }
  for (const auto& m : dequeued) {
    if (acked_messages.count(m) == 0) problem("acknowledged ack of " + m + " lost");
  }
  Status closed = store.Close();
  if (!closed.ok()) problem("close: " + closed.ToString());
  return v;
}

// Verify in a child process: a store whose meta page points past the end of the file
// makes LMDB fault (SIGBUS) on the mapped pages, and that must fail a round, not the
// whole test binary.
Verified VerifyIsolated(const std::string& dir, const std::map<int, uint64_t>& must_have,
                        const std::set<std::string>& dequeued) {
  int fds[2];
  if (pipe(fds) != 0) std::abort();
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    Verified v = Verify(dir, must_have, dequeued);
    std::string out = std::to_string(v.committed) + "\n";
    for (const auto& p : v.problems) out += p + "\n";
    for (size_t done = 0; done < out.size();) {
      ssize_t n = write(fds[1], out.data() + done, out.size() - done);
      if (n <= 0) _exit(2);
      done += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[65536];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof(buf))) > 0) text.append(buf, static_cast<size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  Verified v;
  std::istringstream lines(text);
  std::string line;
  if (std::getline(lines, line)) v.committed = std::strtoull(line.c_str(), nullptr, 10);
  while (std::getline(lines, line)) v.problems.push_back(line);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    v.problems.insert(v.problems.begin(),
                      "store unreadable: the reading process died (" +
                          std::string(WIFSIGNALED(status) ? strsignal(WTERMSIG(status))
                                                          : "exit " + std::to_string(status)) +
                          ")");
  }
  return v;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string s;
  for (size_t i = 0; i < lines.size() && i < 20; ++i) s += "\n  " + lines[i];
  return s;
}

// Each round re-reads, rebuilds and verifies the whole store, so a long run starts a new
// store every kRoundsPerStore cuts to keep rounds cheap.
constexpr uint64_t kRoundsPerStore = 25;

class PowerLossTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("DURASTORE_POWERLOSS_CHILD") == nullptr ||
        std::getenv("DURASTORE_POWERLOSS_PRELOAD") == nullptr) {
      GTEST_SKIP() << "DURASTORE_POWERLOSS_CHILD and DURASTORE_POWERLOSS_PRELOAD must name "
                      "powerloss_child and the interposer (meson test sets them)";
    }
    rounds_ = EnvOr("DURASTORE_POWERCUT_ROUNDS", 20);
    seed_ =
        EnvOr("DURASTORE_POWERCUT_SEED",
              static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
    std::printf("power-loss test: %llu rounds, seed %llu (DURASTORE_POWERCUT_SEED to replay)\n",
                static_cast<unsigned long long>(rounds_), static_cast<unsigned long long>(seed_));
  }

  uint64_t rounds_ = 0, seed_ = 0;
  testing::TempDir tmp_;
};

TEST_F(PowerLossTest, EveryAcknowledgedSyncCommitSurvivesPowerCuts) {
  std::mt19937_64 rng(seed_);
  const std::string dir = tmp_.Sub("store");
  std::map<int, uint64_t> acked;
  std::set<std::string> dequeued;
  std::map<CutMode, int> cuts;
  uint64_t acked_commits = 0, found = 0, flushes = 0, dropped = 0, kept = 0, notes = 0;
  uint64_t exact_replays = 0, dequeued_total = 0;
  for (uint64_t round = 0; round < rounds_ && !HasFailure(); ++round) {
    if (round % kRoundsPerStore == 0 && round > 0) {
      std::printf("  %llu cuts, %llu acknowledged commits so far; starting a new store\n",
                  static_cast<unsigned long long>(round),
                  static_cast<unsigned long long>(acked_commits));
      std::fflush(stdout);
      std::filesystem::remove_all(dir);
      acked.clear();
      dequeued_total += dequeued.size();
      dequeued.clear();
    }
    const Files base = ReadStoreFiles(dir);
    const uint64_t r = rng() % 10;
    const CutMode mode = r < 3   ? CutMode::kFlushedOnly
                         : r < 9 ? CutMode::kRandomPages
                                 : CutMode::kAllWrites;
    ChildReport report = RunAndKill(dir, "sync", rng(), 30 + static_cast<int>(rng() % 300));
    EXPECT_TRUE(report.killed) << "child exited on its own: " << report.stderr_text;
    EXPECT_EQ(report.stderr_text.find("ERR"), std::string::npos) << report.stderr_text;
    for (const auto& [w, n] : report.acked) {
      acked_commits += n - std::min(n, acked[w]);
      acked[w] = std::max(acked[w], n);
    }
    dequeued.insert(report.dequeued.begin(), report.dequeued.end());

    Cut cut = CutPower(dir, base, mode, rng);
    ++cuts[mode];
    flushes += cut.stats.flushes;
    dropped += cut.stats.dropped_pages;
    kept += cut.stats.unflushed_pages - cut.stats.dropped_pages;
    notes += cut.stats.notes;
    exact_replays += cut.replay_diff_pages == 0;
    // Self-check of the interposer: replaying every logged write onto the starting file
    // gives the file the child left, up to the one write it may have been killed in
    // (LMDB writes at most 64 pages per call; a new log segment is zeroed 256 at a time).
    EXPECT_LE(cut.replay_diff_pages, 256u) << "round " << round << ": the log missed writes";

    Verified v = VerifyIsolated(dir, acked, dequeued);
    found = v.committed;
    EXPECT_TRUE(v.problems.empty())
        << "seed " << seed_ << " round " << round << " cut " << powerloss::CutModeName(mode) << " ("
        << cut.stats.unflushed_pages << " unflushed pages, " << cut.stats.dropped_pages
        << " dropped):" << Join(v.problems);
  }
  dequeued_total += dequeued.size();
  std::printf(
      "power-loss test (kSync): %llu cuts (%d flushed-only, %d random-pages, %d all-writes), "
      "%llu acknowledged commits, %llu committed batches verified (last store), %llu acknowledged "
      "dequeue-acks verified; %llu flushes logged, %llu unflushed pages dropped, %llu kept; "
      "%llu msync/sync_file_range/failed-flush notes; %llu/%llu exact all-writes replays\n",
      static_cast<unsigned long long>(rounds_), cuts[CutMode::kFlushedOnly],
      cuts[CutMode::kRandomPages], cuts[CutMode::kAllWrites],
      static_cast<unsigned long long>(acked_commits), static_cast<unsigned long long>(found),
      static_cast<unsigned long long>(dequeued_total), static_cast<unsigned long long>(flushes),
      static_cast<unsigned long long>(dropped), static_cast<unsigned long long>(kept),
      static_cast<unsigned long long>(notes), static_cast<unsigned long long>(exact_replays),
      static_cast<unsigned long long>(rounds_));
  // The test must be able to fail: the child committed, flushes were seen, and the cuts
  // really threw unflushed pages away.
  EXPECT_GT(acked_commits, rounds_) << "the child acknowledged almost nothing";
  EXPECT_GT(dequeued_total, 0u) << "the consumer never acknowledged an ack";
  EXPECT_GT(flushes, 0u) << "the interposer saw no flush";
  EXPECT_GT(dropped, 0u) << "no cut dropped an unflushed page";
}

// store.h: a power cut loses at most the kNoSync commits whose log record was not yet
// flushed, and the store always reopens. So every cut - after a Flush or in the middle of
// a burst of kNoSync commits - must leave a store that opens, holds every batch
// acknowledged before the last Flush, and holds each batch whole (Verify checks that the
// writers' events, queue messages and metadata agree). The same store lives on across cuts.
TEST_F(PowerLossTest, NoSyncCommitsLoseAtMostTheUnflushedTail) {
  std::mt19937_64 rng(seed_ ^ 0x6e6f73796e63ull);
  const std::string dir = tmp_.Sub("store");
  std::map<int, uint64_t> flushed;
  uint64_t idle_cuts = 0, burst_cuts = 0, flushed_commits = 0, dropped = 0;
  for (uint64_t round = 0; round < rounds_ && !HasFailure(); ++round) {
    if (round % kRoundsPerStore == 0 && round > 0) {
      std::filesystem::remove_all(dir);
      flushed.clear();
    }
    const Files base = ReadStoreFiles(dir);
    const CutMode mode = rng() % 4 == 0 ? CutMode::kFlushedOnly : CutMode::kRandomPages;
    ChildReport report = RunAndKill(dir, "nosync", rng(), 30 + static_cast<int>(rng() % 300));
    EXPECT_TRUE(report.killed) << "child exited on its own: " << report.stderr_text;
    EXPECT_EQ(report.stderr_text.find("ERR"), std::string::npos) << report.stderr_text;
    for (const auto& [w, n] : report.flushed) {
      flushed_commits += n - std::min(n, flushed[w]);
      flushed[w] = std::max(flushed[w], n);
    }
    Cut cut = CutPower(dir, base, mode, rng);
    dropped += cut.stats.dropped_pages;
    ++(report.idle ? idle_cuts : burst_cuts);
    Verified v = VerifyIsolated(dir, flushed, {});
    EXPECT_TRUE(v.problems.empty())
        << "seed " << seed_ << " round " << round << " cut " << powerloss::CutModeName(mode)
        << (report.idle ? " after Store::Flush" : " during kNoSync commits") << " ("
        << cut.stats.unflushed_pages << " unflushed pages, " << cut.stats.dropped_pages
        << " dropped):" << Join(v.problems);
  }
  std::printf(
      "power-loss test (kNoSync): %llu cuts; %llu after Flush, %llu during unflushed kNoSync "
      "commits; every store reopened whole; %llu flushed commits; %llu unflushed pages "
      "dropped\n",
      static_cast<unsigned long long>(rounds_), static_cast<unsigned long long>(idle_cuts),
      static_cast<unsigned long long>(burst_cuts), static_cast<unsigned long long>(flushed_commits),
      static_cast<unsigned long long>(dropped));
  EXPECT_GT(burst_cuts, 0u) << "no cut landed during kNoSync commits: the test checked little";
  EXPECT_GT(flushed_commits, 0u) << "the child flushed nothing";
}

// The harness can fail: on a disk that acknowledges flushes it never did, a cut loses
// acknowledged commits and the checks say so.
TEST_F(PowerLossTest, LyingDiskLosesAcknowledgedCommitsAndIsCaught) {
  std::mt19937_64 rng(seed_);
  const std::string dir = tmp_.Sub("store");
  ChildReport report = RunAndKill(dir, "sync", rng(), 300, /*lying_disk=*/true);
  ASSERT_FALSE(report.acked.empty()) << report.stderr_text;
  CutPower(dir, {}, CutMode::kFlushedOnly, rng);
  Verified v = VerifyIsolated(dir, report.acked, report.dequeued);
  ASSERT_FALSE(v.problems.empty());
  EXPECT_NE(v.problems[0].find("lost"), std::string::npos) << Join(v.problems);
}

// The reconstruction itself: flushed bytes always survive, later pages independently.
TEST(PowerLossImageTest, RebuildKeepsFlushedBytesAndChoosesLaterPagesIndependently) {
  auto write = [](uint64_t seq, uint64_t offset, std::string data) {
    powerloss::LogRecord r;
    r.type = kPlWrite;
    r.seq = seq;
    r.offset = offset;
    r.data = std::move(data);
    return r;
  };
  powerloss::Log log;
  log.records.push_back(write(1, 0, std::string(4096, 'a')));
  powerloss::LogRecord flush;
  flush.type = kPlFlush;
  flush.seq = 3;
  flush.offset = 2;                                             // started after write 1
  log.records.push_back(write(2, 4096, std::string(10, 'x')));  // raced the flush: not covered
  log.records.push_back(flush);
  log.records.push_back(write(4, 100, std::string(10, 'b')));
  log.records.push_back(write(5, 8192, std::string(4096, 'c')));
  std::mt19937_64 rng(1);

  const std::string flushed = powerloss::Rebuild("", log, CutMode::kFlushedOnly, rng, nullptr);
  EXPECT_EQ(flushed, std::string(4096, 'a'));
  std::string all = powerloss::Rebuild("", log, CutMode::kAllWrites, rng, nullptr);
  std::string expected = std::string(4096, 'a') + std::string(10, 'x') + std::string(4086, '\0') +
                         std::string(4096, 'c');
  expected.replace(100, 10, std::string(10, 'b'));
  EXPECT_EQ(all, expected);

  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    std::string image = powerloss::Rebuild("", log, CutMode::kRandomPages, rng, nullptr);
    ASSERT_GE(image.size(), 4096u);
    EXPECT_EQ(image.substr(0, 100), std::string(100, 'a'));  // flushed bytes always survive
    EXPECT_EQ(image.substr(110, 3986), std::string(3986, 'a'));
    seen.insert(image);
  }
  EXPECT_EQ(seen.size(), 8u) << "three unflushed pages, each kept or dropped independently";
}

}  // namespace
}  // namespace durastore
