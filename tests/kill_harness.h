// Starting child processes with their output on pipes, and running one for a while before
// SIGKILLing it: shared by the kill -9 tests (crash_test.cc, orchestration_crash_test.cc)
// and the power-loss and fault tests (tests/powerloss/).
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

extern char** environ;

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

// A child whose stdout and stderr are pipes read here (`out`, `err`: the read ends).
struct SpawnedChild {
  pid_t pid = -1;
  int out = -1;
  int err = -1;
};

// Starts `argv` (argv[0] = the binary) with the environment `env` ("NAME=value" each), or
// this process's environment when `env` is null. Aborts if the pipes cannot be made.
inline SpawnedChild SpawnWithPipes(const std::vector<std::string>& argv,
                                   const std::vector<std::string>* env = nullptr) {
  auto pointers = [](const std::vector<std::string>& strings) {
    std::vector<char*> p;
    for (const auto& s : strings) p.push_back(const_cast<char*>(s.c_str()));
    p.push_back(nullptr);
    return p;
  };
  std::vector<char*> args = pointers(argv);
  std::vector<char*> envp = env != nullptr ? pointers(*env) : std::vector<char*>();
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0) std::abort();
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], STDOUT_FILENO);
    dup2(err[1], STDERR_FILENO);
    close(out[0]);
    close(err[0]);
    if (env != nullptr) {
      execve(args[0], args.data(), envp.data());
    } else {
      execv(args[0], args.data());
    }
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  return SpawnedChild{pid, out[0], err[0]};
}

// This process's environment without the variables whose names start with any of
// `prefixes` (e.g. "LD_PRELOAD=" or "DURASTORE_POWERLOSS_"), followed by `extra`.
inline std::vector<std::string> EnvironmentWithout(const std::vector<std::string>& prefixes,
                                                   const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string var = *e;
    bool dropped = false;
    for (const auto& p : prefixes) dropped = dropped || var.rfind(p, 0) == 0;
    if (!dropped) env.push_back(var);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

struct KilledChild {
  std::string out;  // everything the child wrote to stdout
  std::string err;  // and to stderr
};

// Runs `argv` (argv[0] = the binary) for `run_ms`, kills it with SIGKILL and returns what
// it wrote. Fails the test if the child ended on its own.
inline KilledChild RunAndKill(const std::vector<std::string>& argv, int run_ms) {
  SpawnedChild c = SpawnWithPipes(argv);
  std::this_thread::sleep_for(std::chrono::milliseconds(run_ms));
  kill(c.pid, SIGKILL);
  int status = 0;
  waitpid(c.pid, &status, 0);
  auto slurp = [](int fd) {
    std::string s;
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof(buf))) > 0) s.append(buf, static_cast<size_t>(n));
    close(fd);
    return s;
  };
  KilledChild child{slurp(c.out), slurp(c.err)};
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "child exited on its own (status " << status << "): " << child.err;
  return child;
}

}  // namespace durastore::testing

#endif  // DURASTORE_TESTS_KILL_HARNESS_H_
