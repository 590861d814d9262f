// The byte codecs of every stored format, in one place: big-endian integers and
// length-prefixed strings for LMDB keys and values (byte order = numeric order), the
// little-endian integers of the commit log and CHECKPOINT, and the log's LEB128 varints.
// Layouts: docs/format.md ("Conventions" for keys and values, "Commit log" and
// "CHECKPOINT" for the files) and docs/orchestration.md ("Mapping") for the u16 strings.
#ifndef DURASTORE_ENGINE_CODING_H_
#define DURASTORE_ENGINE_CODING_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "durastore/status.h"

namespace durastore::internal {

// ---- big-endian fixed-width integers (keys and values) ----
inline void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
inline void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}
inline std::string EncodeU64(uint64_t v) {
  std::string out;
  PutU64(out, v);
  return out;
}
// Unchecked: the caller has made sure `in` holds the bytes at `at`.
inline uint64_t GetU64(std::string_view in, size_t at = 0) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}
inline uint32_t GetU32(std::string_view in, size_t at = 0) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(in[at + i]);
  return v;
}
// The u64 that is the whole of `bytes`; nullopt unless it is exactly 8 bytes.
inline std::optional<uint64_t> DecodeU64(std::string_view bytes) {
  if (bytes.size() != 8) return std::nullopt;
  return GetU64(bytes);
}
// The u64 at `at` of a fixed-layout index key that must be `size` bytes long; Corruption
// (naming `table`) for a key of another length, instead of reading past its end.
inline Result<uint64_t> KeyU64(std::string_view key, size_t size, size_t at, const char* table) {
  if (key.size() != size) {
    return Status::Corruption(std::string(table) + " key is " + std::to_string(key.size()) +
                              " bytes, not " + std::to_string(size));
  }
  return GetU64(key, at);
}

// ---- length-prefixed byte strings inside composite keys ----
// short(x) = len:u8 bytes(len); the caller keeps x at most 255 bytes (durastore/limits.h).
inline void PutShortBytes(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>(s.size()));
  out.append(s);
}
// STR(x) = len:u16 bytes(len) (the orchestration layer's keys); x at most 65535 bytes.
inline void PutStr16(std::string& out, std::string_view s) {
  out.push_back(static_cast<char>((s.size() >> 8) & 0xff));
  out.push_back(static_cast<char>(s.size() & 0xff));
  out.append(s);
}
// The STR at `pos` of `in`, advancing `pos` past it; nullopt when it runs past the end.
inline std::optional<std::string_view> GetStr16(std::string_view in, size_t& pos) {
  if (in.size() < pos + 2) return std::nullopt;
  size_t len =
      (static_cast<size_t>(static_cast<uint8_t>(in[pos])) << 8) | static_cast<uint8_t>(in[pos + 1]);
  if (in.size() < pos + 2 + len) return std::nullopt;
  std::string_view s = in.substr(pos + 2, len);
  pos += 2 + len;
  return s;
}

inline bool HasPrefix(std::string_view s, std::string_view prefix) {
  return s.starts_with(prefix);  // (memcmp with a null pointer is undefined even for 0 bytes)
}

// ---- little-endian fixed-width integers (commit log and CHECKPOINT, never keys) ----
inline void PutLe(char* out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<char>(v >> (8 * i));
}
inline uint64_t GetLe(const char* in, int bytes) {
  uint64_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

// ---- LEB128 varints (commit-log ops: 7 bits a byte, low first) ----
inline void PutVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
// Consumes a varint from the front of `in`; false when it is truncated or too long.
inline bool GetVarint(std::string_view& in, uint64_t* v) {
  uint64_t result = 0;
  for (int shift = 0; shift <= 63 && !in.empty(); shift += 7) {
    auto byte = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    result |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      *v = result;
      return true;
    }
  }
  return false;
}
// varint(len) bytes(len), the commit log's keys and values.
inline void PutVarintBytes(std::string& out, std::string_view s) {
  PutVarint(out, s.size());
  out.append(s);
}
// Consumes varint-prefixed bytes from the front of `in`; false when they run past its end.
inline bool GetVarintBytes(std::string_view& in, std::string_view* out) {
  uint64_t n;
  if (!GetVarint(in, &n) || n > in.size()) return false;
  *out = in.substr(0, n);
  in.remove_prefix(n);
  return true;
}

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_CODING_H_
