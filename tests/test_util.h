// Shared helpers for durastore tests: a temporary store directory, status matchers.
#ifndef DURASTORE_TESTS_TEST_UTIL_H_
#define DURASTORE_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <sys/mount.h>

#include <cerrno>
#include <cstring>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "durastore/queue.h"
#include "durastore/store.h"

namespace durastore::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it at scope end.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/durastore-test-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A tmpfs of a given size mounted on a fresh directory, unmounted at scope end: a real
// file system that fills up. Mounting needs CAP_SYS_ADMIN; when it is refused, mounted()
// is false and error() says why (tests then GTEST_SKIP, so unprivileged CI still passes).
class SmallFileSystem {
 public:
  explicit SmallFileSystem(size_t bytes) {
    const std::string options = "size=" + std::to_string(bytes);
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, options.c_str()) == 0) {
      mounted_ = true;
    } else {
      error_ = std::strerror(errno);
    }
  }
  ~SmallFileSystem() {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  SmallFileSystem(const SmallFileSystem&) = delete;
  SmallFileSystem& operator=(const SmallFileSystem&) = delete;
  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return dir_.path(); }
  std::string Sub(const std::string& name) const { return dir_.Sub(name); }
  // Gives the file system `bytes` in all (tmpfs resizes in place, keeping its files).
  bool Resize(size_t bytes) {
    const std::string options = "size=" + std::to_string(bytes);
    return ::mount("tmpfs", dir_.path().c_str(), "tmpfs", MS_REMOUNT, options.c_str()) == 0;
  }

 private:
  TempDir dir_;
  bool mounted_ = false;
  std::string error_;
};

// Enqueue options with just a group key.
inline queue::EnqueueOptions WithGroup(std::string group) {
  queue::EnqueueOptions o;
  o.group_key = std::move(group);
  return o;
}

// Opens a store or fails the test.
inline std::unique_ptr<Store> OpenOrDie(const std::string& path, const Options& options = {}) {
  auto store = Store::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  return std::move(store).value();
}

}  // namespace durastore::testing

#define ASSERT_OK(expr)                                                      \
  do {                                                                       \
    const auto& _st = (expr);                                                \
    ASSERT_TRUE(_st.ok()) << ::durastore::testing::StatusOf(_st).ToString(); \
  } while (0)
#define EXPECT_OK(expr)                                                      \
  do {                                                                       \
    const auto& _st = (expr);                                                \
    EXPECT_TRUE(_st.ok()) << ::durastore::testing::StatusOf(_st).ToString(); \
  } while (0)
// Asserts an error Status/Result with the given Code (e.g. kConflict).
#define EXPECT_CODE(expr, expected_code)                                                    \
  do {                                                                                      \
    const auto& _st = (expr);                                                               \
    EXPECT_EQ(::durastore::testing::StatusOf(_st).code(), ::durastore::Code::expected_code) \
        << ::durastore::testing::StatusOf(_st).ToString();                                  \
  } while (0)

namespace durastore::testing {
inline const Status& StatusOf(const Status& s) { return s; }
template <typename T>
const Status& StatusOf(const Result<T>& r) {
  return r.status();
}
}  // namespace durastore::testing

#endif  // DURASTORE_TESTS_TEST_UTIL_H_
