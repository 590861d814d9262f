// Shared helpers for durastore tests: a temporary store directory, status matchers.
#ifndef DURASTORE_TESTS_TEST_UTIL_H_
#define DURASTORE_TESTS_TEST_UTIL_H_

#include <gtest/gtest.h>

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
