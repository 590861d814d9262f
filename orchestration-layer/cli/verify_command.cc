// durastore verify: Store::Verify in a child process. LMDB may crash the process that
// walks a damaged B-tree page, so the walk runs in a forked child that reports progress
// and its result over a pipe, one JSON object per line; if the child dies, the parent
// still says where it was and reports the store damaged.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "cli.h"
#include "output.h"

namespace durastore::cli {
namespace {

struct VerifyArgs {
  size_t max_problems = 1000;
};

void WriteLine(int fd, const Json& j) {
  const std::string line = j.dump() + "\n";
  for (size_t done = 0; done < line.size();) {
    const ssize_t n = write(fd, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) _exit(kExitOther);
    done += static_cast<size_t>(n);
  }
}

// The child: opens read-only, verifies, writes {"table","records"} progress lines and then
// {"report":{...}} or {"error","exit"}; never returns.
[[noreturn]] void VerifyChild(int fd, const std::string& path, const VerifyArgs& args) {
  int code = kExitOk;
  try {
    auto store = OpenForReading(path);
    VerifyOptions options;
    options.max_problems = args.max_problems;
    options.progress = [fd](std::string_view table, uint64_t records) {
      WriteLine(fd, Json{{"table", std::string(table)}, {"records", records}});
    };
    const VerifyReport report = Take(store->Verify(options), "verifying");
    Json problems = Json::array();
    for (const std::string& p : report.problems) problems.push_back(Printable(p));
    WriteLine(fd, Json{{"report",
                        {{"records", report.records},
                         {"problems", std::move(problems)},
                         {"truncated", report.truncated}}}});
  } catch (const Failure& e) {
    WriteLine(fd, Json{{"error", e.what()}, {"exit", e.exit_code()}});
    code = e.exit_code();
  } catch (const std::exception& e) {
    WriteLine(fd, Json{{"error", e.what()}, {"exit", kExitOther}});
    code = kExitOther;
  }
  _exit(code);
}

struct ChildOutcome {
  std::optional<Json> report;
  std::optional<std::pair<std::string, int>> error;  // message, exit code
  std::string table;                                 // where the walk was last
  uint64_t records = 0;
};

ChildOutcome ReadChild(int fd) {
  ChildOutcome out;
  FILE* in = fdopen(fd, "r");
  if (in == nullptr) throw Failure(kExitOther, "fdopen: " + std::string(std::strerror(errno)));
  char* line = nullptr;
  size_t cap = 0;
  while (getline(&line, &cap, in) > 0) {
    const Json j = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) continue;  // a line cut by a crash
    if (j.contains("report")) {
      out.report = j["report"];
    } else if (j.contains("error")) {
      out.error = {j["error"].get<std::string>(), j["exit"].get<int>()};
    } else if (j.contains("table")) {
      out.table = j["table"].get<std::string>();
      out.records = j["records"].get<uint64_t>();
    }
  }
  free(line);
  fclose(in);
  return out;
}

void Verify(const Common& common, const VerifyArgs& args) {
  int fds[2];
  if (pipe(fds) != 0) throw Failure(kExitOther, "pipe: " + std::string(std::strerror(errno)));
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0) throw Failure(kExitOther, "fork: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    close(fds[0]);
    VerifyChild(fds[1], common.store, args);
  }
  close(fds[1]);
  const ChildOutcome outcome = ReadChild(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (outcome.error) throw Failure(outcome.error->second, outcome.error->first);
  if (!outcome.report) {
    const std::string how = WIFSIGNALED(status)
                                ? "was killed by signal " + std::to_string(WTERMSIG(status)) +
                                      " (" + strsignal(WTERMSIG(status)) + ")"
                                : "exited " + std::to_string(WEXITSTATUS(status));
    // Progress comes on entering a table and every 10,000 records in it.
    std::string where = "before it reached a table";
    if (!outcome.table.empty()) where = "in table '" + outcome.table + "'";
    if (outcome.records > 0)
      where += " after at least " + std::to_string(outcome.records) + " records";
    if (common.json) {
      PrintJson(std::cout, Json{{"records", outcome.records},
                                {"problems", Json::array()},
                                {"truncated", false},
                                {"crashed", {{"table", outcome.table}, {"how", how}}}});
    }
    throw Failure(kExitCorruption,
                  "the verifying process " + how + " " + where + ": the store is damaged there");
  }
  const Json& report = *outcome.report;
  const size_t problems = report["problems"].size();
  if (common.json) {
    Json doc = report;
    doc["crashed"] = nullptr;
    PrintJson(std::cout, doc);
  } else {
    for (const auto& p : report["problems"]) std::cout << p.get<std::string>() << "\n";
    std::cout << "verified " << report["records"].get<uint64_t>() << " records: "
              << (problems == 0 ? "no problems" : std::to_string(problems) + " problem(s)")
              << (report["truncated"].get<bool>() ? " (more not listed)" : "") << "\n";
  }
  if (problems > 0) throw Failure(kExitCorruption, "the store is damaged");
}

}  // namespace

void AddVerifyCommand(CLI::App& app) {
  auto common = std::make_shared<Common>();
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* verify = app.add_subcommand(
      "verify", "Check every record's checksum and every index, in a child process");
  AddCommon(verify, *common);
  verify->add_option("--max-problems", args->max_problems, "Most problems listed (default 1000)")
      ->check(CLI::PositiveNumber);
  verify->footer(
      "Exit 0: no problem; 4: problems found, or the walk crashed on a damaged page (the "
      "message says in which table). Read-only: runs beside a live writer.");
  verify->callback([common, args] { Verify(*common, *args); });
}

}  // namespace durastore::cli
