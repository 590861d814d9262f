// FlatBuffers records as stored values: the one way to finish one into bytes, and to
// read one back safely.
//
// A FlatBuffers reader needs its buffer aligned to the largest scalar in the table (8
// bytes for our records); LMDB hands out values at any address, so reading one in place
// is a misaligned load (undefined behaviour, caught by UBSan). VerifiedRoot verifies the
// bytes and, when they are misaligned, reads an aligned copy kept in `scratch` instead.
#ifndef DURASTORE_ENGINE_FLATBUFFER_RECORD_H_
#define DURASTORE_ENGINE_FLATBUFFER_RECORD_H_

#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "durastore/status.h"

namespace durastore::internal {

// Finishes `b` with `root` and returns the finished buffer's bytes (the value to store).
template <typename T>
std::string FinishRecord(flatbuffers::FlatBufferBuilder& b, flatbuffers::Offset<T> root) {
  b.Finish(root);
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

// The root table of `bytes`, or Corruption naming `what`. The result points into `bytes`
// or `scratch`: keep both alive (and `scratch` unmodified) while it is used.
template <typename T>
Result<const T*> VerifiedRoot(std::string_view bytes, std::string& scratch, std::string_view what) {
  if (reinterpret_cast<uintptr_t>(bytes.data()) % alignof(uint64_t) != 0) {
    scratch.assign(bytes);  // std::string storage is aligned for any scalar
    bytes = scratch;
  }
  flatbuffers::Verifier verifier(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
  if (!verifier.VerifyBuffer<T>(nullptr)) {
    return Status::Corruption(std::string(what) + " record fails verification");
  }
  return flatbuffers::GetRoot<T>(bytes.data());
}

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_FLATBUFFER_RECORD_H_
