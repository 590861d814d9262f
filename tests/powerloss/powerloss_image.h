// Rebuilds a store file as a power cut could have left it, from the file as it was when
// the process started and the side log the interposer (interpose.c) wrote.
//
// Model: the disk holds, for every byte written before the start of the last completed
// flush, the latest write (fdatasync semantics); for each 4 KiB page written after that,
// any one of its versions - the flushed one or the one after any later write - because
// the page cache writes pages back independently and in any order. A page is atomic
// (no tear inside 4 KiB); an O_DSYNC write is durable when it returns. The file size is
// the flushed size, extended by the pages kept. Directory entries are not modelled.
#ifndef DURASTORE_TESTS_POWERLOSS_POWERLOSS_IMAGE_H_
#define DURASTORE_TESTS_POWERLOSS_POWERLOSS_IMAGE_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace durastore::powerloss {

inline constexpr uint64_t kPageSize = 4096;

struct LogRecord {
  uint32_t type = 0;  // PlRecordType
  uint64_t seq = 0;
  uint64_t offset = 0;
  std::string data;
};

struct Log {
  std::vector<LogRecord> records;
  bool torn_tail = false;  // the last record was cut short (dropped)
};

// Reads a log written by interpose.c. A missing file is an empty log.
Log ReadLog(const std::string& path);

enum class CutMode {
  kFlushedOnly,  // no page written after the last flush reached the disk
  kRandomPages,  // each such page kept at a random one of its versions
  kAllWrites,    // every write reached the disk (what a process crash leaves)
};
const char* CutModeName(CutMode mode);

struct CutStats {
  uint64_t flushes = 0;           // completed flushes in the log
  uint64_t durable_writes = 0;    // writes covered by a flush (or O_DSYNC)
  uint64_t unflushed_writes = 0;  // writes after the last flush started
  uint64_t unflushed_pages = 0;   // distinct pages those writes touched
  uint64_t dropped_pages = 0;     // of those, pages left at their flushed version
  uint64_t notes = 0;             // msync / sync_file_range / failed flushes seen
};

// Returns the file a power cut in `mode` could leave, starting from `base`.
std::string Rebuild(const std::string& base, const Log& log, CutMode mode, std::mt19937_64& rng,
                    CutStats* stats);

// Number of 4 KiB pages in which `a` and `b` differ (a size difference counts the pages
// past the shorter one).
uint64_t DifferingPages(const std::string& a, const std::string& b);

std::string ReadFileOrEmpty(const std::string& path);
bool WriteFile(const std::string& path, const std::string& bytes);

}  // namespace durastore::powerloss

#endif  // DURASTORE_TESTS_POWERLOSS_POWERLOSS_IMAGE_H_
