// The durastore command: what its subcommand groups share. Each group registers its
// subcommands on the app (Add*Commands) and runs them through a callback; a failure is a
// thrown Failure carrying the documented exit code, caught and printed by main.
//
// Exit codes (docs/operations.md; stable, scripts may test them):
//   0 ok, 1 usage error (bad arguments, bad input file, import into a non-empty store),
//   2 not found (store, stream, partition, queue, key or instance), 3 store busy (held by
//   another process: the message names its pid), 4 corruption, 5 any other error.
//
// The command includes only public headers (<durastore/...>): it is a client of the
// library like any other program.
#ifndef DURASTORE_CLI_CLI_H_
#define DURASTORE_CLI_CLI_H_

#include <memory>
#include <stdexcept>
#include <string>

#include "CLI/CLI.hpp"
#include "durastore/status.h"
#include "durastore/store.h"

namespace durastore::cli {

enum ExitCode : int {
  kExitOk = 0,
  kExitUsage = 1,
  kExitNotFound = 2,
  kExitBusy = 3,
  kExitCorruption = 4,
  kExitOther = 5,
};

// A failed command: its message (printed as "durastore: <message>") and exit code.
class Failure : public std::runtime_error {
 public:
  Failure(int exit_code, const std::string& message)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// The exit code a Status maps to.
int ExitCodeOf(const Status& status);
// Throws a Failure for a non-OK status, its message prefixed with `what` when not empty.
void Check(const Status& status, const std::string& what = {});
template <typename T>
T Take(Result<T> result, const std::string& what = {}) {
  Check(result.status(), what);
  return std::move(result).value();
}

// Options every subcommand has: the store directory (first positional) and --json.
struct Common {
  std::string store;
  bool json = false;
};
// Adds STORE and --json to `sub`, bound to `common`.
void AddCommon(CLI::App* sub, Common& common);

// Opens an existing store read-only for a read command (Options::read_only): works beside
// a live writer in another process and sees what it has applied to LMDB, but not its
// leases. Never creates a store (NotFound, exit 2).
std::unique_ptr<Store> OpenForReading(const std::string& path);
// Opens an existing store for a write command (dlq redrive): Busy (exit 3, naming the
// holder's pid) if another process has it open.
std::unique_ptr<Store> OpenForWriting(const std::string& path);
// Opens or creates a store for import.
std::unique_ptr<Store> OpenForImport(const std::string& path);

void AddStoreCommands(CLI::App& app);          // stat, meta get, meta scan
void AddStreamCommands(CLI::App& app);         // streams, read, tail
void AddQueueCommands(CLI::App& app);          // queues, queue peek, dlq redrive
void AddOrchestrationCommands(CLI::App& app);  // instances, instance show
void AddExportCommands(CLI::App& app);         // export, import
void AddVerifyCommand(CLI::App& app);          // verify
void AddBackupCommand(CLI::App& app);          // backup

}  // namespace durastore::cli

#endif  // DURASTORE_CLI_CLI_H_
