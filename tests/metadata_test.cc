// The metadata table: batch puts/deletes/range deletes and Get/Scan reads.
#include "durastore/limits.h"
#include "test_util.h"

namespace durastore {
namespace {

using testing::OpenOrDie;
using testing::TempDir;

class MetadataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenOrDie(dir_.path());
    ASSERT_NE(store_, nullptr);
  }
  std::vector<std::string> Keys(std::string_view prefix, size_t limit = 1000,
                                std::string_view after = {}) {
    auto rows = store_->Scan(prefix, limit, after);
    EXPECT_TRUE(rows.ok()) << rows.status().ToString();
    std::vector<std::string> keys;
    if (rows.ok()) {
      for (auto& [k, v] : *rows) keys.push_back(k);
    }
    return keys;
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(MetadataTest, PutGetOverwriteDelete) {
  ASSERT_OK(store_->Commit(Batch().Put("k", "v1")));
  EXPECT_EQ(*store_->Get("k"), "v1");
  ASSERT_OK(store_->Commit(Batch().Put("k", "v2")));
  EXPECT_EQ(*store_->Get("k"), "v2");
  ASSERT_OK(store_->Commit(Batch().Delete("k")));
  auto gone = store_->Get("k");
  EXPECT_CODE(gone, kNotFound);
  EXPECT_NE(gone.status().message().find("'k'"), std::string::npos);
  EXPECT_OK(store_->Commit(Batch().Delete("never-set")));
}

TEST_F(MetadataTest, OperationsApplyInBatchOrder) {
  ASSERT_OK(store_->Commit(Batch().Put("k", "1").Delete("k").Put("j", "1").Put("j", "2")));
  EXPECT_CODE(store_->Get("k"), kNotFound);
  EXPECT_EQ(*store_->Get("j"), "2");
}

TEST_F(MetadataTest, DeleteRangeIsHalfOpen) {
  Batch b;
  for (const char* k : {"a", "b", "b1", "c", "d"}) b.Put(k, "x");
  ASSERT_OK(store_->Commit(std::move(b)));
  ASSERT_OK(store_->Commit(Batch().DeleteRange("b", "d")));
  EXPECT_EQ(Keys(""), (std::vector<std::string>{"a", "d"}));
  ASSERT_OK(store_->Commit(Batch().DeleteRange("", "")));  // empty bounds: everything
  EXPECT_TRUE(Keys("").empty());
}

TEST_F(MetadataTest, ScanByPrefixWithLimitAndContinuation) {
  Batch b;
  for (const char* k : {"idx/a", "idx/b", "idx/c", "idy/a", "id"}) b.Put(k, k);
  ASSERT_OK(store_->Commit(std::move(b)));
  EXPECT_EQ(Keys("idx/"), (std::vector<std::string>{"idx/a", "idx/b", "idx/c"}));
  EXPECT_EQ(Keys("idx/", 2), (std::vector<std::string>{"idx/a", "idx/b"}));
  EXPECT_EQ(Keys("idx/", 10, "idx/b"), (std::vector<std::string>{"idx/c"}));
  EXPECT_TRUE(Keys("nope").empty());
  auto rows = store_->Scan("idy/");
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].second, "idy/a");
}

TEST_F(MetadataTest, BinaryKeysAndValues) {
  std::string key("k\0\xff", 3), value("\0\0v\0", 4);
  ASSERT_OK(store_->Commit(Batch().Put(key, value)));
  EXPECT_EQ(*store_->Get(key), value);
  EXPECT_CODE(store_->Get("k"), kNotFound);
  EXPECT_EQ(Keys(std::string("k\0", 2)), (std::vector<std::string>{key}));
}

TEST_F(MetadataTest, LimitsAreChecked) {
  EXPECT_CODE(store_->Commit(Batch().Put("", "v")), kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Put(std::string(limits::kMaxMetadataKey + 1, 'k'), "v")),
              kInvalidArgument);
  EXPECT_OK(store_->Commit(Batch().Put(std::string(limits::kMaxMetadataKey, 'k'), "v")));
  auto big = store_->Commit(Batch().Put("k", std::string(limits::kMaxMetadataValue + 1, 'v')));
  EXPECT_CODE(big, kResourceExhausted);
  EXPECT_OK(store_->Commit(Batch().Put("max", std::string(limits::kMaxMetadataValue, 'v'))));
  EXPECT_CODE(store_->Get(""), kInvalidArgument);
  EXPECT_CODE(store_->Commit(Batch().Delete("")), kInvalidArgument);
}

TEST_F(MetadataTest, APutCommitsOnlyWithItsBatch) {
  Batch b;
  b.Put("with-conflict", "1");
  b.Append("s", 1, "e", eventlog::ExpectedVersion::Exists());
  EXPECT_CODE(store_->Commit(std::move(b)), kConflict);
  EXPECT_CODE(store_->Get("with-conflict"), kNotFound);
}

}  // namespace
}  // namespace durastore
