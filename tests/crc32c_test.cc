// CRC-32C: known values (RFC 3720 B.4), and the hardware path (three interleaved chains
// joined by shift tables) against the table-driven one at every length and alignment.
#include "crc32c.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace durastore::internal {
namespace {

TEST(Crc32cTest, KnownValues) {
  EXPECT_EQ(Crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(Crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(Crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  std::string ascending;
  for (int i = 0; i < 32; ++i) ascending.push_back(static_cast<char>(i));
  EXPECT_EQ(Crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(Crc32c(""), 0u);
}

TEST(Crc32cTest, EveryPathAgreesWithTheTableAtEveryLengthAndAlignment) {
  std::mt19937_64 rng(7);
  std::string data(3 * 4096 * 3 + 512, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  // Lengths around each block boundary of both interleaving tiers, at odd offsets.
  std::vector<size_t> lengths;
  for (size_t n = 0; n < 1200; ++n) lengths.push_back(n);
  for (size_t base : {3 * 4096, 2 * 3 * 4096, 3 * 4096 * 3}) {
    for (size_t d = 0; d < 20; ++d) lengths.push_back(base - 10 + d);
  }
  for (size_t n : lengths) {
    for (size_t offset : {0, 1, 3, 7}) {
      if (offset + n > data.size()) continue;
      const char* p = data.data() + offset;
      ASSERT_EQ(Crc32cExtend(0x12345678, p, n), Crc32cPortableExtend(0x12345678, p, n))
          << "length " << n << " offset " << offset;
    }
  }
}

TEST(Crc32cTest, ExtendingInPiecesEqualsOnePass) {
  std::string data(50'000, 'x');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 131);
  const uint32_t whole = Crc32c(data);
  for (size_t cut : {1, 100, 12'288, 12'289, 30'000}) {
    uint32_t crc = Crc32cExtend(0, data.data(), cut);
    crc = Crc32cExtend(crc, data.data() + cut, data.size() - cut);
    EXPECT_EQ(crc, whole) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace durastore::internal
