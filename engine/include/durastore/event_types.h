// The event-log types a Batch carries: the expected version an append is conditioned on,
// and the events it appends. What streams, partitions and events are, and the reads:
// durastore/eventlog.h. Part of the engine layer because durastore/batch.h needs them;
// the event-log component (eventlog.h) builds on them.
#ifndef DURASTORE_EVENT_TYPES_H_
#define DURASTORE_EVENT_TYPES_H_

#include <cstdint>
#include <string>

namespace durastore::eventlog {

// The condition an append places on the partition it appends to. Versions belong to a
// partition, never to the stream as a whole: appending to partition 2 of a stream whose
// partition 1 holds events meets NoPartition().
class ExpectedVersion {
 public:
  enum class Kind : uint8_t {
    kAny,
    kNoPartition,
    kExists,
    kExact,
    kNoStream = kNoPartition,  // deprecated: the old name of kNoPartition
  };
  static ExpectedVersion Any() { return ExpectedVersion(Kind::kAny, 0); }
  // The partition does not exist: it was never appended to, or it was deleted since (a
  // truncated or emptied partition still exists). EventStoreDB's NoStream, per partition.
  static ExpectedVersion NoPartition() { return ExpectedVersion(Kind::kNoPartition, 0); }
  // Deprecated: the old name of NoPartition(), kept so existing callers compile. Despite
  // the name it never looked at the stream, only at the partition appended to.
  static ExpectedVersion NoStream() { return NoPartition(); }
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

}  // namespace durastore::eventlog

#endif  // DURASTORE_EVENT_TYPES_H_
