// The partitioned, append-only event log: types and read operations.
//
// A stream is named by an opaque byte key and has numbered partitions (u64, created by
// their first append). Each event is an opaque payload with a gapless per-partition
// sequence number (1, 2, 3, ...) and a store-wide global position that increases in
// commit order. Appends and deletes are Batch operations (durastore/batch.h); this
// header holds the value types and the reads.
//
// Reads run in their own LMDB read transaction: they see every batch committed before
// the call started (including kSync batches whose flush is still in flight) and never
// block or are blocked by the committer. All functions are thread-safe. Returned values
// own their bytes.
#ifndef DURASTORE_EVENTLOG_H_
#define DURASTORE_EVENTLOG_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durastore/export.h"
#include "durastore/status.h"

namespace durastore {
class Store;
}

namespace durastore::eventlog {

// The condition an append places on its partition's last sequence number.
class ExpectedVersion {
 public:
  enum class Kind : uint8_t { kAny, kNoStream, kExists, kExact };
  static ExpectedVersion Any() { return ExpectedVersion(Kind::kAny, 0); }
  // The partition has no events and was never written (a truncated or emptied
  // partition still "exists").
  static ExpectedVersion NoStream() { return ExpectedVersion(Kind::kNoStream, 0); }
  // The partition has been appended to before.
  static ExpectedVersion Exists() { return ExpectedVersion(Kind::kExists, 0); }
  // The partition's last sequence number is exactly `last_sequence` (0 = no events yet).
  static ExpectedVersion Exact(uint64_t last_sequence) {
    return ExpectedVersion(Kind::kExact, last_sequence);
  }
  Kind kind() const { return kind_; }
  uint64_t sequence() const { return sequence_; }

 private:
  ExpectedVersion(Kind kind, uint64_t seq) : kind_(kind), sequence_(seq) {}
  Kind kind_;
  uint64_t sequence_;
};

// One event to append. `key` is optional (empty = none): a caller-chosen identifier
// unique within the partition (Duroxide's event_id); a duplicate fails the batch with
// AlreadyExists.
struct EventData {
  std::string payload;
  std::string key;
};

// A stored event.
struct Event {
  uint64_t sequence = 0;  // within its partition, from 1, gapless
  uint64_t position = 0;  // store-wide, increasing in commit order
  int64_t appended_at_ms = 0;
  std::string key;
  std::string payload;
};

// An event with its address, as returned by the position-ordered tail read.
struct PositionedEvent {
  std::string stream;
  uint64_t partition = 0;
  Event event;
};

struct ReadOptions {
  // Forward: first sequence returned is >= from_sequence (default: the first).
  // Backward: first sequence returned is <= from_sequence (default: the last).
  std::optional<uint64_t> from_sequence;
  bool backward = false;    // newest first
  size_t max_count = 1000;  // at least 1
  // Stop once this many payload bytes were returned (at least one event is always
  // returned when available, whatever its size).
  size_t max_bytes = 64u << 20;
};

struct PartitionInfo {
  uint64_t partition = 0;
  uint64_t first_sequence = 0;  // lowest stored sequence (after truncation); 0 if empty
  uint64_t last_sequence = 0;   // highest sequence ever appended (kept after truncation)
  uint64_t event_count = 0;     // events currently stored
  uint64_t bytes = 0;           // payload bytes currently stored
};

struct StreamInfo {
  uint64_t partition_count = 0;
  uint64_t latest_partition = 0;  // highest partition number
  uint64_t event_count = 0;       // over all partitions
  uint64_t bytes = 0;             // over all partitions
};

// One page of a partition read. A page may stop before the end of the partition for two
// reasons (max_count and max_bytes), so the number of events says nothing about whether
// more follow: next_sequence does.
struct EventPage {
  std::vector<Event> events;  // in the read's direction
  // Unset when the page reached the end of the partition in the read's direction (as of
  // the read's snapshot). Set when it stopped early at max_count or max_bytes: the
  // sequence of the first event not returned, to pass as from_sequence (same direction)
  // for the next page.
  std::optional<uint64_t> next_sequence;

  bool reached_end() const { return !next_sequence.has_value(); }
};

// A page of events of one partition. NotFound if the stream or partition does not exist.
// To read a whole partition, repeat with from_sequence = next_sequence until reached_end().
DURASTORE_EXPORT Result<EventPage> ReadPartition(Store& store, std::string_view stream,
                                                 uint64_t partition,
                                                 const ReadOptions& options = {});

// Highest partition number of a stream. NotFound if the stream does not exist.
DURASTORE_EXPORT Result<uint64_t> LatestPartition(Store& store, std::string_view stream);

// All partition numbers of a stream, ascending. NotFound if the stream does not exist.
DURASTORE_EXPORT Result<std::vector<uint64_t>> ListPartitions(Store& store,
                                                              std::string_view stream);

DURASTORE_EXPORT Result<PartitionInfo> GetPartitionInfo(Store& store, std::string_view stream,
                                                        uint64_t partition);
DURASTORE_EXPORT Result<StreamInfo> GetStreamInfo(Store& store, std::string_view stream);

// Position of the most recently committed event (0 if none was ever appended).
DURASTORE_EXPORT Result<uint64_t> LastPosition(Store& store);

// Events with position > `after_position`, in position order, at most `max_count`.
// If there are none, waits up to `wait` for a commit that appends one (woken by that
// commit, not by polling) and returns what is then available (possibly nothing).
// Events of deleted or truncated partitions are not returned.
DURASTORE_EXPORT Result<std::vector<PositionedEvent>> ReadAfter(
    Store& store, uint64_t after_position, size_t max_count, std::chrono::milliseconds wait = {});

}  // namespace durastore::eventlog

#endif  // DURASTORE_EVENTLOG_H_
