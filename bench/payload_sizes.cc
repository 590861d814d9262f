#include "payload_sizes.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

namespace durastore::bench {
namespace {

// "256", "4k", "1m" -> bytes; false on anything else or past kMaxBytes.
bool ParseBytes(const std::string& s, size_t* out) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (errno != 0) return false;
  std::string suffix(end);
  unsigned long long unit = suffix.empty()                   ? 1
                            : suffix == "k" || suffix == "K" ? 1024
                            : suffix == "m" || suffix == "M" ? 1024 * 1024
                                                             : 0;
  if (unit == 0 || v > PayloadSizes::kMaxBytes / unit) return false;
  *out = static_cast<size_t>(v * unit);
  return true;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

bool PayloadSizes::Parse(const std::string& spec, PayloadSizes* out, std::string* error) {
  auto fail = [&](const std::string& why) {
    *error = "--payload '" + spec + "': " + why +
             " (want BYTES, MIN-MAX or a weighted list like 100:70,1k-4k:30; sizes up to 16m)";
    return false;
  };
  PayloadSizes parsed;
  parsed.items_.clear();
  parsed.total_weight_ = 0;
  std::string rest = spec + ",";
  size_t at = 0;
  for (size_t comma; (comma = rest.find(',', at)) != std::string::npos; at = comma + 1) {
    std::string item = rest.substr(at, comma - at);
    if (item.empty()) return fail("an empty item");
    uint64_t weight = 1;
    if (size_t colon = item.find(':'); colon != std::string::npos) {
      std::string w = item.substr(colon + 1);
      char* end = nullptr;
      errno = 0;
      unsigned long long v =
          w.empty() || w[0] < '0' || w[0] > '9' ? 0 : std::strtoull(w.c_str(), &end, 10);
      if (v == 0 || errno != 0 || *end != '\0' || v > 1'000'000) {
        return fail("weight '" + w + "' is not an integer in 1..1000000");
      }
      weight = v;
      item = item.substr(0, colon);
    }
    size_t lo, hi;
    size_t dash = item.find('-');
    if (dash == std::string::npos) {
      if (!ParseBytes(item, &lo)) return fail("size '" + item + "' is not valid");
      hi = lo;
    } else if (!ParseBytes(item.substr(0, dash), &lo) || !ParseBytes(item.substr(dash + 1), &hi)) {
      return fail("range '" + item + "' is not valid");
    } else if (lo > hi) {
      return fail("range '" + item + "' has its minimum above its maximum");
    }
    parsed.items_.push_back({lo, hi, weight});
    parsed.total_weight_ += weight;
  }
  parsed.spec_ = spec;
  *out = std::move(parsed);
  return true;
}

size_t PayloadSizes::Pick(int writer, uint64_t n, uint64_t seed) const {
  if (fixed()) return items_[0].lo;
  uint64_t h = SplitMix64(seed ^ SplitMix64((static_cast<uint64_t>(writer) << 40) ^ n));
  uint64_t w = h % total_weight_;
  const Item* item = &items_.back();
  for (const Item& i : items_) {
    if (w < i.weight) {
      item = &i;
      break;
    }
    w -= i.weight;
  }
  uint64_t span = item->hi - item->lo + 1;
  return item->lo + static_cast<size_t>(SplitMix64(h) % span);
}

size_t PayloadSizes::max() const {
  size_t m = 0;
  for (const Item& i : items_) m = std::max(m, i.hi);
  return m;
}

double PayloadSizes::mean() const {
  double sum = 0;
  for (const Item& i : items_) {
    sum +=
        static_cast<double>(i.weight) * (static_cast<double>(i.lo) + static_cast<double>(i.hi)) / 2;
  }
  return sum / static_cast<double>(total_weight_);
}

}  // namespace durastore::bench
