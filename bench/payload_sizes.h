// Payload sizes of the `commit` (and `mixed` commit) op: one fixed size, a uniform range or
// a weighted choice of sizes and ranges, parsed from --payload.
//
//   --payload 256                 every event / message is 256 bytes
//   --payload 64-4096             uniform in [64, 4096]
//   --payload 100:70,1k:25,64k:5  100 B 70 % of the time, 1 KiB 25 %, 64 KiB 5 %
//   --payload 64-512:9,16k-1m:1   ranges can be weighted too
//
// Sizes are bytes with an optional k (KiB) or m (MiB) suffix, each at most kMaxBytes;
// weights are positive integers (default 1). An op's size is a pure function of the
// writer, the op number and the seed, so both engines see the same sequence.
#ifndef DURASTORE_BENCH_PAYLOAD_SIZES_H_
#define DURASTORE_BENCH_PAYLOAD_SIZES_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace durastore::bench {

class PayloadSizes {
 public:
  static constexpr size_t kMaxBytes = size_t{16} << 20;

  explicit PayloadSizes(size_t fixed = 256)
      : items_{{fixed, fixed, 1}}, spec_(std::to_string(fixed)) {}

  // False with `*error` set when `spec` is malformed or a size exceeds kMaxBytes.
  static bool Parse(const std::string& spec, PayloadSizes* out, std::string* error);

  // The size of writer `writer`'s op number `n`.
  size_t Pick(int writer, uint64_t n, uint64_t seed) const;

  bool fixed() const { return items_.size() == 1 && items_[0].lo == items_[0].hi; }
  size_t max() const;
  double mean() const;
  const std::string& spec() const { return spec_; }

 private:
  struct Item {
    size_t lo, hi;    // inclusive
    uint64_t weight;  // > 0
  };
  std::vector<Item> items_;
  uint64_t total_weight_ = 1;
  std::string spec_;
};

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_PAYLOAD_SIZES_H_
