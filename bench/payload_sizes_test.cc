// The --payload parser and picker of durastore-bench (payload_sizes.h).
#include "payload_sizes.h"

#include <gtest/gtest.h>

#include <map>

namespace durastore::bench {
namespace {

PayloadSizes MustParse(const std::string& spec) {
  PayloadSizes sizes;
  std::string error;
  EXPECT_TRUE(PayloadSizes::Parse(spec, &sizes, &error)) << spec << ": " << error;
  return sizes;
}

TEST(PayloadSizesTest, AFixedSizeIsEveryPick) {
  PayloadSizes s = MustParse("4k");
  EXPECT_TRUE(s.fixed());
  EXPECT_EQ(s.max(), 4096u);
  EXPECT_EQ(s.mean(), 4096.0);
  for (uint64_t n = 1; n < 100; ++n) EXPECT_EQ(s.Pick(3, n, 1), 4096u);
}

TEST(PayloadSizesTest, ARangeCoversItsEndsAndStaysInside) {
  PayloadSizes s = MustParse("10-13");
  EXPECT_FALSE(s.fixed());
  EXPECT_EQ(s.mean(), 11.5);
  std::map<size_t, int> seen;
  for (uint64_t n = 1; n <= 4000; ++n) ++seen[s.Pick(0, n, 7)];
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen.begin()->first, 10u);
  EXPECT_EQ(seen.rbegin()->first, 13u);
  for (const auto& [size, count] : seen) EXPECT_GT(count, 850) << size;  // ~1000 each
}

TEST(PayloadSizesTest, WeightsSetHowOftenEachItemIsPicked) {
  PayloadSizes s = MustParse("100:70,1k:25,64k-64k:5");
  EXPECT_EQ(s.max(), 65536u);
  EXPECT_NEAR(s.mean(), 0.70 * 100 + 0.25 * 1024 + 0.05 * 65536, 1e-6);
  std::map<size_t, int> seen;
  for (uint64_t n = 1; n <= 100'000; ++n) ++seen[s.Pick(static_cast<int>(n % 8), n, 1)];
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_NEAR(seen[100], 70'000, 1'500);
  EXPECT_NEAR(seen[1024], 25'000, 1'500);
  EXPECT_NEAR(seen[65536], 5'000, 700);
}

TEST(PayloadSizesTest, PicksDependOnlyOnWriterOpAndSeed) {
  PayloadSizes a = MustParse("1-1000000"), b = MustParse("1-1000000");
  int differ_by_writer = 0, differ_by_seed = 0;
  for (uint64_t n = 1; n <= 100; ++n) {
    EXPECT_EQ(a.Pick(5, n, 9), b.Pick(5, n, 9));
    differ_by_writer += a.Pick(5, n, 9) != a.Pick(6, n, 9);
    differ_by_seed += a.Pick(5, n, 9) != a.Pick(5, n, 10);
  }
  EXPECT_GT(differ_by_writer, 90);
  EXPECT_GT(differ_by_seed, 90);
}

TEST(PayloadSizesTest, MalformedSpecsAreRejectedWithTheReason) {
  for (const char* bad : {"", "x", "-5", "5-", "9-3", "1,,2", "5:0", "5:x", "5:-1", "17m",
                          "16m-17m", "4g", "99999999999999999999", "5kk", "1 2"}) {
    PayloadSizes s;
    std::string error;
    EXPECT_FALSE(PayloadSizes::Parse(bad, &s, &error)) << "'" << bad << "' accepted";
    EXPECT_NE(error.find("--payload"), std::string::npos) << error;
  }
  PayloadSizes s;
  std::string error;
  EXPECT_TRUE(PayloadSizes::Parse("16m", &s, &error)) << error;  // the limit itself
  EXPECT_TRUE(PayloadSizes::Parse("0", &s, &error)) << error;
}

}  // namespace
}  // namespace durastore::bench
