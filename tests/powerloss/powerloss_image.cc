#include "powerloss_image.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>

#include "powerloss_log.h"

namespace durastore::powerloss {
namespace {

bool IsWrite(const LogRecord& r) { return r.type == kPlWrite || r.type == kPlDsyncWrite; }

void Apply(const LogRecord& r, std::string& image) {
  if (IsWrite(r)) {
    if (image.size() < r.offset + r.data.size()) image.resize(r.offset + r.data.size(), '\0');
    std::memcpy(image.data() + r.offset, r.data.data(), r.data.size());
  } else if (r.type == kPlTruncate) {
    image.resize(r.offset, '\0');
  }
}

// One page written after the last flush: each version it went through.
struct PageHistory {
  std::string current;  // kPageSize bytes
  uint64_t end = 0;     // file offset one past the last byte written to this page so far
  std::vector<std::pair<std::string, uint64_t>> versions;  // (content, end) after each write
  size_t floor = 0;  // versions before this index cannot be chosen (O_DSYNC writes)
};

// Records `r` (written after the last flush) into the histories of the pages it touches.
void Track(const LogRecord& r, const std::string& image, std::map<uint64_t, PageHistory>& pages) {
  if (r.data.empty()) return;
  const uint64_t first = r.offset / kPageSize, last = (r.offset + r.data.size() - 1) / kPageSize;
  for (uint64_t p = first; p <= last; ++p) {
    const uint64_t start = p * kPageSize;
    auto [it, inserted] = pages.try_emplace(p);
    PageHistory& h = it->second;
    if (inserted) {
      h.current.assign(kPageSize, '\0');
      if (start < image.size()) {
        size_t n = std::min<uint64_t>(kPageSize, image.size() - start);
        std::memcpy(h.current.data(), image.data() + start, n);
      }
    }
    const uint64_t from = std::max(start, r.offset);
    const uint64_t to = std::min(start + kPageSize, r.offset + r.data.size());
    std::memcpy(h.current.data() + (from - start), r.data.data() + (from - r.offset), to - from);
    h.end = std::max(h.end, to);
    h.versions.emplace_back(h.current, h.end);
    if (r.type == kPlDsyncWrite) h.floor = h.versions.size();
  }
}

}  // namespace

Log ReadLog(const std::string& path) {
  Log log;
  const std::string bytes = ReadFileOrEmpty(path);
  size_t pos = 0;
  while (pos < bytes.size()) {
    PlRecordHeader h;
    if (bytes.size() - pos < sizeof(h)) {
      log.torn_tail = true;
      break;
    }
    std::memcpy(&h, bytes.data() + pos, sizeof(h));
    if (h.magic != kPlMagic || bytes.size() - pos - sizeof(h) < h.length) {
      log.torn_tail = true;
      break;
    }
    pos += sizeof(h);
    LogRecord r;
    r.type = h.type;
    r.seq = h.seq;
    r.offset = h.offset;
    r.data = bytes.substr(pos, h.length);
    pos += h.length;
    log.records.push_back(std::move(r));
  }
  return log;
}

const char* CutModeName(CutMode mode) {
  switch (mode) {
    case CutMode::kFlushedOnly:
      return "flushed-only";
    case CutMode::kRandomPages:
      return "random-pages";
    case CutMode::kAllWrites:
      return "all-writes";
  }
  return "?";
}

std::string Rebuild(const std::string& base, const Log& log, CutMode mode, std::mt19937_64& rng,
                    CutStats* stats) {
  CutStats s;
  uint64_t durable_before = 0;  // records with a smaller seq are covered by a flush
  for (const LogRecord& r : log.records) {
    if (r.type == kPlFlush) {
      ++s.flushes;
      durable_before = std::max(durable_before, r.offset);
    } else if (r.type == kPlNote && r.offset != kPlNoteOpen) {
      ++s.notes;
    }
  }
  std::string image = base;
  std::vector<const LogRecord*> later;
  for (const LogRecord& r : log.records) {
    if (!IsWrite(r) && r.type != kPlTruncate) continue;
    if (r.seq < durable_before) {
      Apply(r, image);
      s.durable_writes += IsWrite(r);
    } else {
      later.push_back(&r);
      s.unflushed_writes += IsWrite(r);
    }
  }

  if (mode == CutMode::kAllWrites) {
    for (const LogRecord* r : later) Apply(*r, image);
  } else {
    std::map<uint64_t, PageHistory> pages;
    const LogRecord* last_truncate = nullptr;
    for (const LogRecord* r : later) {
      if (IsWrite(*r)) Track(*r, image, pages);
      if (r->type == kPlTruncate) last_truncate = r;  // not used by LMDB; modelled coarsely
    }
    if (last_truncate != nullptr && mode == CutMode::kRandomPages && rng() % 2 == 0) {
      Apply(*last_truncate, image);
    }
    s.unflushed_pages = pages.size();
    for (auto& [page, h] : pages) {
      size_t keep = h.floor;  // number of versions that reached the disk
      if (mode == CutMode::kRandomPages) keep += rng() % (h.versions.size() - h.floor + 1);
      if (keep == 0) {
        ++s.dropped_pages;
        continue;
      }
      const auto& [content, end] = h.versions[keep - 1];
      const uint64_t start = page * kPageSize;
      if (image.size() < end) image.resize(end, '\0');
      size_t n = std::min<uint64_t>(kPageSize, image.size() - start);
      std::memcpy(image.data() + start, content.data(), n);
    }
  }
  if (stats != nullptr) *stats = s;
  return image;
}

uint64_t DifferingPages(const std::string& a, const std::string& b) {
  const uint64_t common = std::min(a.size(), b.size());
  uint64_t pages = 0;
  for (uint64_t start = 0; start < common; start += kPageSize) {
    uint64_t n = std::min(kPageSize, common - start);
    if (std::memcmp(a.data() + start, b.data() + start, n) != 0) ++pages;
  }
  const uint64_t longer = std::max(a.size(), b.size());
  return pages + (longer - common + kPageSize - 1) / kPageSize;
}

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return {};
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

}  // namespace durastore::powerloss
