// The process fault_test runs under the interposer (interpose.c) with a fault mode armed
// (DURASTORE_FAULT_ENOSPC_AFTER_BYTES / DURASTORE_FAULT_ENOSPC_FILE or
// DURASTORE_FAULT_FLUSH_EIO_AFTER). Usage: fault_child <store-dir> <writers>
//
// A kSync store with the fdatasync flusher (io_uring submissions bypass the interposer).
// Each of <writers> threads commits batches n = 1, 2, ... made by FaultBatch (below) until
// a commit fails, printing "ACK <w> <n>" after each acknowledged one and
// "FAIL <w> <n> <code> <message>" for the first failure, then stops. When every writer
// stopped, the main thread reports what a caller sees next:
//   HEALTH <code> <message>       Store::health(): the sticky error ("OK" if none)
//   AFTER <code> <message>        one more commit
//   SPACE_RETURNED                (only with DURASTORE_FAULT_ENOSPC_FILE) the file is removed
//   AFTER_SPACE <code> <message>  one more commit once the disk has room again
//   READ <code>                   Get of writer 0's first key
//   FLUSH <code> <message>        Store::Flush
//   CLOSE <code> <message>        Store::Close
//   DONE
// A writer that reaches kMaxBatches without a failure prints "NOFAULT <w>".
// Every line is one write(2).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "durastore/eventlog.h"
#include "durastore/store.h"
#include "fault_workload.h"

namespace {

using durastore::Status;
using durastore::Store;
namespace fault = durastore::fault;

constexpr uint64_t kMaxBatches = 20'000;

void Say(const std::string& line) {
  std::string out = line + "\n";
  if (write(STDOUT_FILENO, out.data(), out.size()) < 0) std::_Exit(4);
}

std::string Describe(const Status& s) {
  return std::string(durastore::CodeName(s.code())) + " " + s.message();
}

void Writer(Store& store, int w) {
  for (uint64_t n = 1; n <= kMaxBatches; ++n) {
    auto r = store.Commit(fault::FaultBatch(w, n));
    if (!r.ok()) {
      Say("FAIL " + std::to_string(w) + " " + std::to_string(n) + " " + Describe(r.status()));
      return;
    }
    Say("ACK " + std::to_string(w) + " " + std::to_string(n));
  }
  Say("NOFAULT " + std::to_string(w));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fault_child <store-dir> <writers>\n");
    return 2;
  }
  const int writers = std::atoi(argv[2]);
  durastore::Options options;
  options.durability = durastore::Durability::kSync;
  options.flush_method = durastore::FlushMethod::kFdatasync;
  auto opened = Store::Open(argv[1], options);
  if (!opened.ok()) {
    Say("OPEN_FAILED " + Describe(opened.status()));
    return 3;
  }
  Store& store = **opened;
  if (store.GetPipelineStats().using_io_uring) {
    Say("OPEN_FAILED io_uring flusher: invisible to the interposer");
    return 3;
  }
  Say("OPENED");
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) threads.emplace_back([&store, w] { Writer(store, w); });
  for (auto& t : threads) t.join();

  const Status health = store.health();
  Say("HEALTH " + (health.ok() ? std::string("OK") : Describe(health)));
  // A batch no writer uses, so its outcome does not depend on which writer failed first.
  auto after = store.Commit(fault::FaultBatch(fault::kProbeWriter, 1));
  Say("AFTER " + (after.ok() ? std::string("OK") : Describe(after.status())));
  if (const char* full = std::getenv("DURASTORE_FAULT_ENOSPC_FILE"); full != nullptr && *full) {
    if (unlink(full) != 0) Say("UNLINK_FAILED");
    Say("SPACE_RETURNED");
    auto again = store.Commit(fault::FaultBatch(fault::kProbeWriter, 1));
    Say("AFTER_SPACE " + (again.ok() ? std::string("OK") : Describe(again.status())));
  }
  auto read = store.Get(fault::Key(0, 1));
  Say("READ " + (read.ok() ? std::string("OK") : Describe(read.status())));
  Status flushed = store.Flush();
  Say("FLUSH " + (flushed.ok() ? std::string("OK") : Describe(flushed)));
  Status closed = store.Close();
  Say("CLOSE " + (closed.ok() ? std::string("OK") : Describe(closed)));
  opened->reset();
  Say("DONE");
  return 0;
}
