// CRC-32C (Castagnoli): the checksum of the commit log, the checkpoint file and every
// stored table value. Uses the SSE4.2 crc32 instruction when the CPU has it (three
// interleaved chains over large inputs), a table otherwise; both give the same value
// (test vector: Crc32c("123456789") == 0xE3069283).
#ifndef DURASTORE_ENGINE_CRC32C_H_
#define DURASTORE_ENGINE_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace durastore::internal {

// Extends `crc` (0 to start) over `n` bytes at `data`.
uint32_t Crc32cExtend(uint32_t crc, const void* data, size_t n);
inline uint32_t Crc32c(std::string_view s) { return Crc32cExtend(0, s.data(), s.size()); }

// True when Crc32cExtend uses the hardware instruction (reported by the load tool).
bool Crc32cIsHardware();

// The table-driven version, whatever the CPU (tests compare the two).
uint32_t Crc32cPortableExtend(uint32_t crc, const void* data, size_t n);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_CRC32C_H_
