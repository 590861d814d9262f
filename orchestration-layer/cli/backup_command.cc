// durastore backup: a consistent copy of a store, live or not (Store::Backup).
#include <chrono>
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "output.h"

namespace durastore::cli {
namespace {

struct BackupArgs {
  std::string dest;
  bool compact = false;
};

void Backup(const Common& common, const BackupArgs& args) {
  auto store = OpenForReading(common.store);
  BackupOptions options;
  options.compact = args.compact;
  const auto start = std::chrono::steady_clock::now();
  const Status status = store->Backup(args.dest, options);
  if (status.code() == Code::kAlreadyExists) {
    throw Failure(kExitUsage, "backing up to '" + args.dest + "': " + status.ToString());
  }
  Check(status, "backing up to '" + args.dest + "'");
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::error_code ec;
  uint64_t bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(args.dest, ec)) {
    if (entry.is_regular_file()) bytes += entry.file_size(ec);
  }
  if (common.json) {
    PrintJson(std::cout, Json{{"store", common.store},
                              {"dest", args.dest},
                              {"compact", args.compact},
                              {"bytes", bytes},
                              {"seconds", seconds}});
  } else {
    char took[32];
    std::snprintf(took, sizeof took, "%.2f", seconds);
    std::cout << "backed up " << common.store << " to " << args.dest
              << (args.compact ? " (compacted)" : "") << ": " << bytes << " bytes in " << took
              << " s\n";
  }
}

}  // namespace

void AddBackupCommand(CLI::App& app) {
  auto common = std::make_shared<Common>();
  auto args = std::make_shared<BackupArgs>();
  CLI::App* backup = app.add_subcommand(
      "backup", "Copy the store, live or not, to a new directory (restore: open the copy)");
  AddCommon(backup, *common);
  backup->add_option("DEST", args->dest, "A directory that does not exist or is empty")->required();
  backup->add_flag("--compact", args->compact,
                   "Copy only the pages in use (smaller, slower); default: page for page");
  backup->footer(
      "Read-only: runs beside a live writer; the copy holds every commit acknowledged "
      "before the backup started. Exit 1 if DEST exists and is not empty, 2 if its parent "
      "does not exist.");
  backup->callback([common, args] { Backup(*common, *args); });
}

}  // namespace durastore::cli
