// A log-linear latency histogram (the HdrHistogram idea, sized for microseconds).
//
// Values are bucketed by their highest set bit and then linearly into kSub sub-buckets,
// so a recorded value is reported with a relative error below 1/kSub (< 0.8 %). Values
// up to 2^40 µs are kept exactly in range; larger ones are clamped. No maintained C/C++
// HdrHistogram is packaged in Debian 12, hence this 60-line one.
#ifndef DURASTORE_BENCH_HISTOGRAM_H_
#define DURASTORE_BENCH_HISTOGRAM_H_

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

namespace durastore::bench {

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  static constexpr uint64_t kSub = uint64_t{1} << kSubBits;
  static constexpr int kMaxBits = 40;

  void Record(uint64_t value) {
    value = std::min(value, (uint64_t{1} << kMaxBits) - 1);
    ++counts_[Index(value)];
    ++count_;
    max_ = std::max(max_, value);
  }
  void Merge(const Histogram& other) {
    for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
    count_ += other.count_;
    max_ = std::max(max_, other.max_);
  }
  uint64_t count() const { return count_; }
  uint64_t max() const { return max_; }

  // The value at quantile q (0..1): the upper bound of the bucket holding it.
  uint64_t Percentile(double q) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<uint64_t>(q * static_cast<double>(count_ - 1)) + 1;
    uint64_t seen = 0;
    for (size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return std::min(UpperBound(i), max_);
    }
    return max_;
  }

 private:
  static size_t Index(uint64_t v) {
    if (v < kSub) return static_cast<size_t>(v);
    int msb = 63 - std::countl_zero(v);
    int shift = msb - kSubBits;
    return static_cast<size_t>((shift + 1) * kSub + ((v >> shift) - kSub));
  }
  static uint64_t UpperBound(size_t i) {
    if (i < kSub) return i;
    uint64_t bucket = i / kSub - 1, sub = i % kSub;
    return ((kSub + sub + 1) << bucket) - 1;
  }

  std::array<uint64_t, (kMaxBits - kSubBits + 1) * kSub> counts_{};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

}  // namespace durastore::bench

#endif  // DURASTORE_BENCH_HISTOGRAM_H_
