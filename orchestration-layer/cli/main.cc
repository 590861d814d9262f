// durastore: look inside a store, live or not, and move its data (docs/operations.md).
//
// Usage: durastore <command> STORE [arguments] [--json]. Read commands open the store
// read-only; `dlq redrive` and `import` write. Exit codes: cli.h.
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "cli.h"

namespace durastore::cli {

int ExitCodeOf(const Status& status) {
  switch (status.code()) {
    case Code::kOk:
      return kExitOk;
    case Code::kNotFound:
      return kExitNotFound;
    case Code::kBusy:
      return kExitBusy;
    case Code::kCorruption:
      return kExitCorruption;
    case Code::kInvalidArgument:
      return kExitUsage;
    default:
      return kExitOther;
  }
}

void Check(const Status& status, const std::string& what) {
  if (status.ok()) return;
  throw Failure(ExitCodeOf(status),
                what.empty() ? status.ToString() : what + ": " + status.ToString());
}

void AddCommon(CLI::App* sub, Common& common) {
  sub->add_option("STORE", common.store, "Store directory")->required();
  sub->add_flag("--json", common.json, "Print JSON instead of a table");
}

namespace {

// The CPU niceness every command runs at (--nice): by default a command yields the CPU to
// the application whose store it reads, so that looking at a live store slows its commits
// as little as possible (docs/operations.md, "Beside a live writer").
int g_nice = 10;

// Applied when a command opens its store: raising the niceness needs no privilege, and a
// failure only costs the writer beside us some CPU, so it is reported and not fatal.
void LowerPriority() {
  if (g_nice == 0) return;
  errno = 0;
  const int current = ::getpriority(PRIO_PROCESS, 0);
  if (errno != 0 || current >= g_nice) return;
  if (::setpriority(PRIO_PROCESS, 0, g_nice) != 0) {
    std::cerr << "durastore: warning: cannot lower the CPU priority to nice " << g_nice << ": "
              << std::strerror(errno) << "\n";
  }
}

std::unique_ptr<Store> OpenExisting(const std::string& path, Options options) {
  LowerPriority();
  options.create_if_missing = false;
  auto store = Store::Open(path, options);
  if (!store.ok() && store.status().code() == Code::kNotFound) {
    throw Failure(kExitNotFound, "no store at '" + path + "': " + store.status().ToString());
  }
  return Take(std::move(store), "cannot open '" + path + "'");
}

}  // namespace

std::unique_ptr<Store> OpenForReading(const std::string& path) {
  Options options;
  options.read_only = true;  // beside a live writer: no lock, no replay, no writes
  return OpenExisting(path, options);
}

std::unique_ptr<Store> OpenForWriting(const std::string& path) {
  return OpenExisting(path, Options{});
}

std::unique_ptr<Store> OpenForImport(const std::string& path) {
  LowerPriority();
  return Take(Store::Open(path), "cannot open '" + path + "'");
}

int Main(int argc, char** argv) {
  CLI::App app{
      "durastore: inspect a durastore store, live or not, and move its data.\n"
      "Exit codes: 0 ok, 1 usage, 2 not found, 3 store busy, 4 corruption, 5 other."};
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Print the help of every command");
  app.fallthrough();  // --nice may follow the command's own arguments
  app.add_option("--nice", g_nice,
                 "CPU niceness to run at (default 10: yield the CPU to the application "
                 "writing the store; 0 keeps the caller's)")
      ->check(CLI::Range(0, 19));
  AddStoreCommands(app);
  AddStreamCommands(app);
  AddQueueCommands(app);
  AddOrchestrationCommands(app);
  AddExportCommands(app);
  AddVerifyCommand(app);
  AddBackupCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const Failure& e) {
    std::cout.flush();
    std::cerr << "durastore: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "durastore: " << e.what() << "\n";
    return kExitOther;
  }
  return kExitOk;
}

}  // namespace durastore::cli

int main(int argc, char** argv) { return durastore::cli::Main(argc, argv); }
