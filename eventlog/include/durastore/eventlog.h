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
//
// Unknown names: every read that names a stream or partition (ReadPartition,
// LatestPartition, ListPartitions, GetPartitionInfo, GetStreamInfo) returns NotFound when
// it does not exist, and an empty result only for one that exists but holds no events
// (e.g. truncated), as EventStoreDB (StreamNotFound) and Kafka
// (UNKNOWN_TOPIC_OR_PARTITION) do. The tail read names no stream: a filter that matches
// no stream returns no events. Queues follow the same rule (durastore/queue.h).
//
// Paging across calls: each call reads its own snapshot; no snapshot is kept between
// pages (an LMDB read transaction held open pins every page freed after it, so the file
// grows for as long as a pager holds one: docs/eventlog.md). Pages stay consistent
// because the log is append-only and addresses are never reused: a position never, a
// sequence only after its partition was deleted. Between two pages a pager sees:
//  - appends: a forward partition pager and a tail pager read on into them; a backward
//    pager never sees them (they are above where it started);
//  - TruncateBefore past where it stands: a forward pager continues at the first
//    remaining event (the sequences it skipped are visibly missing), a backward pager
//    ends there, the tail skips the removed events;
//  - DeletePartition / DeleteStream: the next ReadPartition returns NotFound; the tail
//    skips the deleted events it had not reached. If the partition was appended to
//    again before the next page, that page comes from the new partition (sequences
//    restart at 1, positions are higher than any before the delete).
#ifndef DURASTORE_EVENTLOG_H_
#define DURASTORE_EVENTLOG_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durastore/event_types.h"
#include "durastore/export.h"
#include "durastore/status.h"

namespace durastore {
class Store;
}

namespace durastore::eventlog {

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

// A page of events of one partition. NotFound if the stream or partition does not exist;
// an existing partition with no events left (truncated) gives an empty page.
// To read a whole partition, repeat with from_sequence = next_sequence until reached_end().
DURASTORE_EXPORT Result<EventPage> ReadPartition(Store& store, std::string_view stream,
                                                 uint64_t partition,
                                                 const ReadOptions& options = {});

// Highest partition number of a stream. NotFound if the stream does not exist.
DURASTORE_EXPORT Result<uint64_t> LatestPartition(Store& store, std::string_view stream);

// All partition numbers of a stream, ascending. NotFound if the stream does not exist.
DURASTORE_EXPORT Result<std::vector<uint64_t>> ListPartitions(Store& store,
                                                              std::string_view stream);

// Counts of one partition. NotFound if the stream or partition does not exist; an
// emptied (truncated) partition has counts of 0 and keeps its last_sequence.
DURASTORE_EXPORT Result<PartitionInfo> GetPartitionInfo(Store& store, std::string_view stream,
                                                        uint64_t partition);
// Counts over a stream's partitions. NotFound if the stream does not exist.
DURASTORE_EXPORT Result<StreamInfo> GetStreamInfo(Store& store, std::string_view stream);

// Stream keys that start with `prefix` (empty: every stream), in ascending byte order, at
// most `limit`, starting after `start_after` when that is not empty: pass the last key of
// one page to read the next (each page is its own snapshot, as Store::Scan). A stream is
// listed while it has a partition; deleting its last partition unlists it. A prefix
// longer than limits::kMaxStreamKey matches nothing.
DURASTORE_EXPORT Result<std::vector<std::string>> ListStreams(Store& store,
                                                              std::string_view prefix = {},
                                                              size_t limit = 1000,
                                                              std::string_view start_after = {});

// Position of the most recently committed event (0 if none was ever appended).
DURASTORE_EXPORT Result<uint64_t> LastPosition(Store& store);

struct TailOptions {
  size_t max_count = 1000;  // at least 1
  // Stop once this many payload bytes were returned (at least one event is always
  // returned when one matches, whatever its size), as ReadOptions::max_bytes.
  size_t max_bytes = 64u << 20;
  // Only events of streams whose key starts with stream_prefix (empty = every stream);
  // with exact_stream, only the stream whose key is stream_prefix. At most
  // limits::kMaxStreamKey bytes.
  std::string stream_prefix;
  bool exact_stream = false;
  // Most events of other streams one call passes over before it returns (at least 1):
  // bounds how long a rarely matching filter holds one read snapshot. Such a page may be
  // empty without having reached the end.
  size_t max_skipped = 10'000;
  // When the read reaches the end without an event to return, wait up to this long for
  // a commit that appends one (woken by that commit, not by polling). Negative:
  // InvalidArgument.
  std::chrono::milliseconds wait{0};
};

// One page of the position-ordered tail. Like EventPage, the number of events says
// nothing about whether more follow (max_count, max_bytes and max_skipped all end a page
// early): reached_end() does.
struct TailPage {
  std::vector<PositionedEvent> events;  // ascending positions
  // Pass as after_position for the next page: the highest position this read examined,
  // returned or passed over by the filter (after_position if it examined none).
  uint64_t next_after = 0;
  // Set when the page stopped before the end of the log (as of the read's snapshot):
  // call again at once with next_after. Unset: every committed event up to the read was
  // examined; the next call returns only later commits (pass a wait to block for them).
  bool stopped_early = false;

  bool reached_end() const { return !stopped_early; }
};

// The tail read: events with position > `after_position`, in position order, that pass
// `options`' stream filter. If the read reaches the end with no event to return, it
// waits up to options.wait for a commit that appends one and returns what is then
// available (possibly nothing, with reached_end()). Events of deleted or truncated
// partitions are not returned. InvalidArgument for max_count, max_skipped = 0 or a prefix
// longer than a stream key.
//
// Cost: the read walks the position index (one 24-byte entry per event, in commit
// order) from after_position; events of other streams cost that entry only (their
// stream key is read once per stream per call, their payload never). A filter that
// matches one event in N costs about N entries per event returned; there is no
// per-stream position index, which would cost every append another write.
DURASTORE_EXPORT Result<TailPage> ReadAfter(Store& store, uint64_t after_position,
                                            const TailOptions& options = {});

// The short form: every stream, at most `max_count` events, no byte bound. Because only
// max_count ends its page early, fewer than max_count events means the end was reached.
DURASTORE_EXPORT Result<std::vector<PositionedEvent>> ReadAfter(
    Store& store, uint64_t after_position, size_t max_count, std::chrono::milliseconds wait = {});

}  // namespace durastore::eventlog

#endif  // DURASTORE_EVENTLOG_H_
