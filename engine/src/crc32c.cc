#include "crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace durastore::internal {
namespace {

constexpr uint32_t kPoly = 0x82F63B78;  // reflected Castagnoli polynomial

constexpr std::array<uint32_t, 256> MakeTable() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) != 0 ? (c >> 1) ^ kPoly : c >> 1;
    t[i] = c;
  }
  return t;
}
constexpr std::array<uint32_t, 256> kTable = MakeTable();

uint32_t Portable(uint32_t crc, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) crc = kTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return crc;
}

#if defined(__x86_64__)
// One dependency chain: the crc32 instruction has a latency of 3 cycles and a throughput
// of 1, so this runs at a third of what the unit can do.
__attribute__((target("sse4.2"))) uint64_t Chain(uint64_t c, const uint8_t* p, size_t n) {
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    c = _mm_crc32_u64(c, word);
  }
  return c;
}

// Advancing a (raw, uninverted) CRC state over `Len` zero bytes is linear in the state, so
// it is four table lookups, one per byte of the state: that joins independent chains.
template <size_t Len>
struct Shift {
  std::array<std::array<uint32_t, 256>, 4> table{};
  __attribute__((target("sse4.2"))) Shift() {
    static const std::array<uint8_t, Len> zeros{};
    for (uint32_t k = 0; k < 4; ++k) {
      for (uint32_t b = 0; b < 256; ++b) {
        table[k][b] = static_cast<uint32_t>(Chain(uint64_t{b} << (8 * k), zeros.data(), Len));
      }
    }
  }
  uint32_t operator()(uint32_t c) const {
    return table[0][c & 0xFF] ^ table[1][(c >> 8) & 0xFF] ^ table[2][(c >> 16) & 0xFF] ^
           table[3][c >> 24];
  }
};

// Three chains over consecutive blocks of Len bytes (Len a multiple of 8), joined.
template <size_t Len>
__attribute__((target("sse4.2"))) uint32_t ThreeWay(uint32_t crc, const uint8_t*& p, size_t& n) {
  static const Shift<Len> shift;
  while (n >= 3 * Len) {
    uint64_t a = crc, b = 0, c = 0;
    for (size_t i = 0; i < Len; i += 8) {
      uint64_t wa, wb, wc;
      std::memcpy(&wa, p + i, 8);
      std::memcpy(&wb, p + Len + i, 8);
      std::memcpy(&wc, p + 2 * Len + i, 8);
      a = _mm_crc32_u64(a, wa);
      b = _mm_crc32_u64(b, wb);
      c = _mm_crc32_u64(c, wc);
    }
    crc = shift(shift(static_cast<uint32_t>(a)) ^ static_cast<uint32_t>(b)) ^
          static_cast<uint32_t>(c);
    p += 3 * Len;
    n -= 3 * Len;
  }
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t Hardware(uint32_t crc, const uint8_t* p, size_t n) {
  crc = ThreeWay<4096>(crc, p, n);  // large values: payloads, log records
  crc = ThreeWay<128>(crc, p, n);   // small ones: keys, index records
  auto c32 = static_cast<uint32_t>(Chain(crc, p, n & ~size_t{7}));
  p += n & ~size_t{7};
  for (n &= 7; n > 0; --n) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
const bool kHaveHardware = __builtin_cpu_supports("sse4.2");
#else
const bool kHaveHardware = false;
#endif

}  // namespace

uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n) {
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
#if defined(__x86_64__)
  if (kHaveHardware) return ~Hardware(crc, p, n);
#endif
  return ~Portable(crc, p, n);
}

bool Crc32cIsHardware() { return kHaveHardware; }

uint32_t Crc32cPortableExtend(uint32_t crc, const void* data, size_t n) {
  return ~Portable(~crc, static_cast<const uint8_t*>(data), n);
}

}  // namespace durastore::internal
