// Runs a child process for a while and SIGKILLs it: the harness shared by the kill -9
// crash tests (crash_test.cc, orchestration_crash_test.cc).
#ifndef DURASTORE_TESTS_KILL_HARNESS_H_
#define DURASTORE_TESTS_KILL_HARNESS_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace durastore::testing {

inline uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

// A time-derived seed unless `env` names one (printed by the tests for replay).
inline uint64_t SeedFrom(const char* env) {
  return EnvOr(env,
               static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
}

struct KilledChild {
  std::string out;  // everything the child wrote to stdout
  std::string err;  // and to stderr
};

// Runs `argv` (argv[0] = the binary) for `run_ms`, kills it with SIGKILL and returns what
// it wrote. Fails the test if the child ended on its own.
inline KilledChild RunAndKill(const std::vector<std::string>& argv, int run_ms) {
  int out[2], err[2];
  EXPECT_EQ(pipe(out), 0);
  EXPECT_EQ(pipe(err), 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    close(out[0]);
    close(err[0]);
    execv(args[0], args.data());
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  auto slurp = [](int fd) {
    std::string s;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) s.append(buf, static_cast<size_t>(n));
    close(fd);
    return s;
  };
  KilledChild child{slurp(out[0]), slurp(err[0])};
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child exited on its own (status " << status << "): " << child.err;
  return child;
}

}  // namespace durastore::testing

#endif  // DURASTORE_TESTS_KILL_HARNESS_H_
