// IO fault injection through the power-loss interposer (interpose.c): fault_child commits
// kSync batches (fault_workload.h) on the real store files while the interposer makes the
// disk full (writes to data.mdb fail with ENOSPC: the commit log's segments are zeroed
// when created, so a full disk stops LMDB's file growing, not the log) or makes fdatasync
// of any store file fail with EIO. The test checks
// what the caller saw (the failing commit's code and message, the sticky error after it,
// no crash, no hang), then reopens the store without any fault and checks that every
// acknowledged batch is there, whole, and that the store accepts writes again.
//
// The same failed-flush contract through the engine's TestHooks seam (no LMDB involved) is
// tests/store_test.cc AFailedFlushIsStickyAndLosesNothingAcknowledged.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "durastore/eventlog.h"
#include "durastore/queue.h"
#include "fault_workload.h"
#include "kill_harness.h"
#include "test_util.h"

namespace durastore {
namespace {

constexpr int kChildTimeoutMs = 30'000;  // a child still running by then is hung (runs take < 1 s)

struct ChildRun {
  std::string out, err;
  bool hung = false;
  int exit_code = -1;  // -1: killed by a signal (see signal)
  int signal = 0;
  std::map<int, uint64_t> acked;             // writer -> highest acknowledged batch
  std::map<int, std::string> failures;       // writer -> "<code> <message>" of its failed commit
  std::map<std::string, std::string> lines;  // first word -> rest, for the single lines

  std::string Describe() const {
    return "exit " + std::to_string(exit_code) + " signal " + std::to_string(signal) +
           (hung ? " (hung, killed)" : "") + "\nstdout tail:\n" +
           out.substr(out.size() > 2000 ? out.size() - 2000 : 0) + "\nstderr:\n" + err;
  }
};

void Parse(ChildRun& run) {
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::string kind;
    words >> kind;
    if (kind == "ACK") {
      int w;
      uint64_t n;
      words >> w >> n;
      run.acked[w] = std::max(run.acked[w], n);
    } else if (kind == "FAIL") {
      int w;
      uint64_t n;
      words >> w >> n;
      std::string rest;
      std::getline(words >> std::ws, rest);
      run.failures[w] = rest;
    } else {
      std::string rest;
      std::getline(words >> std::ws, rest);
      run.lines[kind] = rest;
    }
  }
}

// Runs fault_child under the interposer with `fault_env` (NAME=value strings) and waits for
// it to exit, killing it after kChildTimeoutMs.
ChildRun RunChild(const std::string& dir, int writers, const std::vector<std::string>& fault_env) {
  std::vector<std::string> extra = {
      std::string("LD_PRELOAD=") + std::getenv("DURASTORE_POWERLOSS_PRELOAD"),
      "DURASTORE_POWERLOSS_DIR=" + dir};
  extra.insert(extra.end(), fault_env.begin(), fault_env.end());
  const std::vector<std::string> env = testing::EnvironmentWithout(
      {"LD_PRELOAD=", "DURASTORE_POWERLOSS_", "DURASTORE_FAULT_"}, extra);
  testing::SpawnedChild c = testing::SpawnWithPipes(
      {std::getenv("DURASTORE_FAULT_CHILD"), dir, std::to_string(writers)}, &env);
  ChildRun run;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(kChildTimeoutMs);
  bool open_fds[2] = {true, true};
  while (open_fds[0] || open_fds[1]) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())
                          .count();
    if (left <= 0) {
      run.hung = true;
      kill(c.pid, SIGKILL);
      break;
    }
    pollfd fds[2] = {{open_fds[0] ? c.out : -1, POLLIN, 0}, {open_fds[1] ? c.err : -1, POLLIN, 0}};
    if (poll(fds, 2, static_cast<int>(left)) <= 0) continue;
    char buf[65536];
    for (int i = 0; i < 2; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof(buf));
      if (n > 0) {
        (i == 0 ? run.out : run.err).append(buf, static_cast<size_t>(n));
      } else {
        open_fds[i] = false;
      }
    }
  }
  int status = 0;
  waitpid(c.pid, &status, 0);
  close(c.out);
  close(c.err);
  if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  Parse(run);
  return run;
}

// Reopens the store without faults and checks writer w's batches 1..acked[w] are all there
// and whole. A failed commit's batch may be present only when `failed_may_persist` (a
// failed flush leaves unknown what reached the disk); it must then be whole too. Returns
// the number of batches found per writer.
std::map<int, uint64_t> VerifyAcknowledged(const std::string& dir,
                                           const std::map<int, uint64_t>& acked,
                                           bool failed_may_persist) {
  std::map<int, uint64_t> found;
  auto store = testing::OpenOrDie(dir);
  if (store == nullptr) return found;
  uint64_t total = 0;
  for (const auto& [w, n_acked] : acked) {
    uint64_t last = 0;
    auto info = eventlog::GetPartitionInfo(*store, fault::Stream(w), 1);
    if (info.ok()) {
      last = info->last_sequence;
    } else {
      EXPECT_CODE(info, kNotFound);
    }
    found[w] = last;
    total += last;
    EXPECT_GE(last, n_acked) << "writer " << w << ": acknowledged batches lost";
    EXPECT_LE(last, n_acked + (failed_may_persist ? 1 : 0))
        << "writer " << w << ": a batch that failed or never ran is in the store";
    auto events = eventlog::ReadPartition(*store, fault::Stream(w), 1, {});
    EXPECT_TRUE(events.ok() || last == 0) << events.status().ToString();
    if (events.ok()) {
      EXPECT_EQ(events->events.size(), last) << "writer " << w;
      EXPECT_TRUE(events->reached_end()) << "writer " << w;
    }
    for (uint64_t n = 1; n <= last; ++n) {
      auto value = store->Get(fault::Key(w, n));
      EXPECT_TRUE(value.ok() && *value == fault::Value(w, n))
          << "writer " << w << " batch " << n << ": metadata missing or wrong (batch not whole)";
      if (events.ok() && n <= events->events.size()) {
        EXPECT_EQ(events->events[n - 1].payload, fault::Value(w, n))
            << "writer " << w << " event " << n;
      }
    }
    EXPECT_CODE(store->Get(fault::Key(w, last + 1)), kNotFound);
  }
  auto counters = queue::GetCounters(*store, fault::kQueue);
  if (total > 0) {
    EXPECT_TRUE(counters.ok() && counters->ready == total)
        << "queue messages do not match the batches found: "
        << (counters.ok() ? std::to_string(counters->ready) : counters.status().ToString())
        << " vs " << total;
  }
  return found;
}

// The store accepts kSync writes again after the reopen, and they survive another reopen.
void ExpectWritableAfterReopen(const std::string& dir, uint64_t writer0_found) {
  {
    auto store = testing::OpenOrDie(dir);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(store->Commit(fault::FaultBatch(0, writer0_found + 1)));
    ASSERT_OK(store->Commit(fault::FaultBatch(0, writer0_found + 2)));
    ASSERT_OK(store->Close());
  }
  auto store = testing::OpenOrDie(dir);
  ASSERT_NE(store, nullptr);
  auto value = store->Get(fault::Key(0, writer0_found + 2));
  ASSERT_OK(value);
  EXPECT_EQ(*value, fault::Value(0, writer0_found + 2));
}

// The common checks of a run in which every writer hit the fault: no crash, no hang, at
// least one acknowledged batch, and each writer's first failure has `code`.
void ExpectCleanFailure(const ChildRun& run, int writers, Code code,
                        const std::string& message_part) {
  ASSERT_FALSE(run.hung) << run.Describe();
  ASSERT_EQ(run.exit_code, 0) << run.Describe();
  ASSERT_TRUE(run.lines.count("DONE")) << run.Describe();
  ASSERT_FALSE(run.lines.count("NOFAULT")) << "the fault never fired\n" << run.Describe();
  ASSERT_EQ(run.failures.size(), static_cast<size_t>(writers)) << run.Describe();
  ASSERT_GE(run.acked.size(), 1u) << "nothing was acknowledged before the fault\n"
                                  << run.Describe();
  for (const auto& [w, failure] : run.failures) {
    const std::string name(CodeName(code));
    // The writer that hit the fault sees `code`; the others may already see the sticky
    // error (Unavailable, naming the original failure).
    EXPECT_TRUE(failure.rfind(name + " ", 0) == 0 ||
                (failure.rfind("Unavailable ", 0) == 0 && failure.find(name) != std::string::npos))
        << "writer " << w << ": " << failure;
    EXPECT_NE(failure.find(message_part), std::string::npos) << "writer " << w << ": " << failure;
    std::printf("writer %d failed with: %s\n", w, failure.c_str());
  }
  bool someone_saw_the_code = false;
  for (const auto& [w, failure] : run.failures) {
    someone_saw_the_code |= failure.rfind(std::string(CodeName(code)) + " ", 0) == 0;
  }
  EXPECT_TRUE(someone_saw_the_code) << run.Describe();
  // Later commits fail with the sticky error; reads keep working.
  EXPECT_EQ(run.lines.at("AFTER").rfind("Unavailable ", 0), 0u) << run.lines.at("AFTER");
  EXPECT_NE(run.lines.at("AFTER").find("must be reopened"), std::string::npos)
      << run.lines.at("AFTER");
  // Reads keep working, except when the failed write was LMDB's meta page update: LMDB
  // then marks the environment fatal (MDB_PANIC) and every transaction fails until reopen.
  const std::string& read = run.lines.at("READ");
  EXPECT_TRUE(read == "OK" ||
              (read.rfind("IOError ", 0) == 0 && read.find("MDB_PANIC") != std::string::npos))
      << run.Describe();
  std::printf("next commit: %s\nread: %s\nflush: %s\nclose: %s\n", run.lines.at("AFTER").c_str(),
              read.c_str(), run.lines.at("FLUSH").c_str(), run.lines.at("CLOSE").c_str());
}

std::map<int, uint64_t> AckedPerWriter(const ChildRun& run, int writers) {
  std::map<int, uint64_t> acked;
  for (int w = 0; w < writers; ++w) acked[w] = run.acked.count(w) ? run.acked.at(w) : 0;
  acked[fault::kProbeWriter] = 0;  // the probes after the failure must not have committed
  return acked;
}

TEST(FaultTest, DiskFullFailsTheCommitWithResourceExhaustedAndLosesNothingAcknowledged) {
  testing::TempDir dir;
  const ChildRun run =
      RunChild(dir.path(), 1, {"DURASTORE_FAULT_ENOSPC_AFTER_BYTES=" + std::to_string(512 << 10)});
  ExpectCleanFailure(run, 1, Code::kResourceExhausted, "No space left on device");
  auto found = VerifyAcknowledged(dir.path(), AckedPerWriter(run, 1), false);
  ExpectWritableAfterReopen(dir.path(), found[0]);
}

// Several rounds: where the fault lands relative to the group commits varies from run to
// run (a round takes well under a second).
TEST(FaultTest, DiskFullWithConcurrentWritersFailsEveryWaiterAndLosesNothingAcknowledged) {
  for (int round = 0; round < 10 && !HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    testing::TempDir dir;
    const ChildRun run = RunChild(
        dir.path(), 4,
        {"DURASTORE_FAULT_ENOSPC_AFTER_BYTES=" + std::to_string((1 << 20) + round * 40'000)});
    ExpectCleanFailure(run, 4, Code::kResourceExhausted, "No space left on device");
    if (HasFailure()) break;
    auto found = VerifyAcknowledged(dir.path(), AckedPerWriter(run, 4), false);
    ExpectWritableAfterReopen(dir.path(), found[0]);
  }
}

TEST(FaultTest, AfterDiskFullTheStoreRefusesWritesUntilReopenedEvenWhenSpaceReturns) {
  testing::TempDir dir;
  testing::TempDir flag_dir;  // not in the store's directory, which must hold only the store
  const std::string full_flag = flag_dir.Sub("disk-is-full");
  std::ofstream(full_flag).put('1');
  const ChildRun run = RunChild(dir.path(), 1,
                                {"DURASTORE_FAULT_ENOSPC_AFTER_BYTES=" + std::to_string(256 << 10),
                                 "DURASTORE_FAULT_ENOSPC_FILE=" + full_flag});
  ExpectCleanFailure(run, 1, Code::kResourceExhausted, "No space left on device");
  ASSERT_TRUE(run.lines.count("SPACE_RETURNED")) << run.Describe();
  EXPECT_FALSE(run.lines.count("UNLINK_FAILED"));
  // The failure is sticky for the open Store: only a reopen clears it.
  EXPECT_EQ(run.lines.at("AFTER_SPACE").rfind("Unavailable ", 0), 0u)
      << run.lines.at("AFTER_SPACE");
  auto found = VerifyAcknowledged(dir.path(), AckedPerWriter(run, 1), false);
  ExpectWritableAfterReopen(dir.path(), found[0]);
}

// A real file system out of space cuts the write that crosses its limit short; LMDB
// reports that as EIO and the commit log's retry of the rest gets ENOSPC. Whichever write
// meets the full disk (an LMDB page or meta page, a log record, a new segment's zeros, the
// CHECKPOINT slot; the test prints which ones it met), the caller sees ResourceExhausted, the
// sticky error is ResourceExhausted, and nothing acknowledged is lost. The rounds move the limit so
// that it falls in different writes.
TEST(FaultTest, AShortWriteOnAFullDiskIsResourceExhaustedWhicheverFileItHits) {
  const int kWriters = 2;
  std::map<std::string, int> first_failures;  // the start of each failure -> rounds
  for (int round = 0; round < 12 && !HasFailure(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    testing::TempDir dir;
    const ChildRun run = RunChild(
        dir.path(), kWriters,
        {"DURASTORE_FAULT_ENOSPC_AFTER_BYTES=" +
             std::to_string((1 << 20) + (64 << 10) + round * 503'911),
         "DURASTORE_FAULT_SHORT_WRITES=1", "DURASTORE_POWERLOSS_FILES=data.mdb,CHECKPOINT,wal.*"});
    ASSERT_FALSE(run.hung) << run.Describe();
    ASSERT_EQ(run.exit_code, 0) << run.Describe();
    ASSERT_TRUE(run.lines.count("DONE")) << run.Describe();
    ASSERT_FALSE(run.lines.count("NOFAULT")) << "the fault never fired\n" << run.Describe();
    ASSERT_EQ(run.failures.size(), static_cast<size_t>(kWriters)) << run.Describe();
    for (const auto& [w, failure] : run.failures) {
      // The failing commit itself, or the sticky error naming it.
      EXPECT_TRUE(failure.rfind("ResourceExhausted ", 0) == 0 ||
                  (failure.rfind("Unavailable ", 0) == 0 &&
                   failure.find("ResourceExhausted") != std::string::npos))
          << "writer " << w << ": " << failure;
      EXPECT_EQ(failure.find("IOError"), std::string::npos) << "writer " << w << ": " << failure;
      const size_t cause = failure.find("reopened: ");  // the sticky error's cause
      ++first_failures[failure.substr(0, 12) + (cause == std::string::npos
                                                    ? failure.substr(12, 90)
                                                    : failure.substr(cause + 10, 90))];
    }
    EXPECT_EQ(run.lines.at("HEALTH").rfind("ResourceExhausted ", 0), 0u) << run.lines.at("HEALTH");
    EXPECT_EQ(run.lines.at("AFTER").rfind("Unavailable ", 0), 0u) << run.lines.at("AFTER");
    EXPECT_NE(run.lines.at("AFTER").find("ResourceExhausted"), std::string::npos)
        << run.lines.at("AFTER");
    if (HasFailure()) break;
    auto found = VerifyAcknowledged(dir.path(), AckedPerWriter(run, kWriters), false);
    ExpectWritableAfterReopen(dir.path(), found[0]);
  }
  for (const auto& [what, rounds] : first_failures) {
    std::printf("%2d x %s\n", rounds, what.c_str());
  }
}

TEST(FaultTest, FailedFdatasyncOnTheRealFileIsStickyAndLosesNothingAcknowledged) {
  testing::TempDir dir;
  // Every store file is faulted, so the EIO reaches the commit log's flush (the commit
  // point), the checkpoint's flush of data.mdb or a new segment's, whichever comes first.
  const ChildRun run = RunChild(dir.path(), 2,
                                {"DURASTORE_FAULT_FLUSH_EIO_AFTER=20",
                                 "DURASTORE_POWERLOSS_FILES=data.mdb,CHECKPOINT,wal.*"});
  ExpectCleanFailure(run, 2, Code::kIOError, "Input/output error");
  // A failed flush leaves unknown whether the failed batch reached the disk.
  auto found = VerifyAcknowledged(dir.path(), AckedPerWriter(run, 2), true);
  ExpectWritableAfterReopen(dir.path(), found[0]);
}

}  // namespace
}  // namespace durastore
