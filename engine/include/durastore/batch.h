// Batch: an ordered list of writes that Store::Commit applies all-or-nothing.
//
// A Batch is a value: building one touches no store, it can be copied, moved, kept and
// committed to any store. Store::Commit takes it by rvalue: pass std::move(batch) (the
// variable is left empty and reusable, as after Clear()) or a temporary; keeping a copy
// is spelled out, Commit(Batch(batch)). A moved-from Batch is empty and usable.
// Operations apply in the order they were added, and each sees the effect of the ones
// before it (an append after a delete of the same partition starts again at sequence 1).
// Validation of sizes and names happens when the batch is committed (Store::Commit
// returns InvalidArgument / ResourceExhausted and applies nothing); conditions (expected
// versions, leases) are checked as the batch is applied.
//
// Not thread-safe: build a Batch on one thread (or guard it yourself).
#ifndef DURASTORE_BATCH_H_
#define DURASTORE_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "durastore/event_types.h"
#include "durastore/export.h"
#include "durastore/queue_types.h"

namespace durastore {

namespace internal {
struct BatchRep;
}

class DURASTORE_EXPORT Batch {
 public:
  Batch();
  ~Batch();
  Batch(const Batch& other);
  Batch& operator=(const Batch& other);
  Batch(Batch&& other) noexcept;
  Batch& operator=(Batch&& other) noexcept;

  // --- event log ---
  // Appends `events` (at least one) to stream/partition if `expected` holds; otherwise
  // the whole batch fails with Conflict naming the actual last sequence. A duplicate
  // event key fails it with AlreadyExists.
  Batch& Append(std::string_view stream, uint64_t partition,
                std::vector<eventlog::EventData> events,
                eventlog::ExpectedVersion expected = eventlog::ExpectedVersion::Any()) &;
  // Convenience: one event without a key.
  Batch& Append(std::string_view stream, uint64_t partition, std::string_view payload,
                eventlog::ExpectedVersion expected = eventlog::ExpectedVersion::Any()) &;
  // Deletes events with sequence < before_sequence; the partition keeps its last sequence.
  // A missing stream/partition is not an error (nothing to delete).
  Batch& TruncateBefore(std::string_view stream, uint64_t partition, uint64_t before_sequence) &;
  // Deletes a partition and its events; a later append starts again at sequence 1.
  Batch& DeletePartition(std::string_view stream, uint64_t partition) &;
  // Deletes every partition of the stream.
  Batch& DeleteStream(std::string_view stream) &;

  // --- queues ---
  Batch& Enqueue(std::string_view queue, std::string_view payload,
                 const queue::EnqueueOptions& options = {}) &;
  // Creates the queue or replaces its options (queued messages are kept).
  Batch& ConfigureQueue(std::string_view queue, const queue::QueueOptions& options) &;
  // Deletes exactly the leased messages; messages that arrived for the group since the
  // dequeue stay. LockLost if the lease is not live.
  Batch& Ack(const queue::LeaseToken& lease) &;
  // Releases the lease; the messages become visible at now + delay_ms. With
  // count_attempt = false the delivery count increment of that dequeue is undone.
  Batch& Abandon(const queue::LeaseToken& lease, int64_t delay_ms = 0, bool count_attempt = true) &;
  // Sets locked_until = now + extend_ms. An expired lease cannot be renewed (LockLost).
  Batch& Renew(const queue::LeaseToken& lease, int64_t extend_ms) &;
  // Moves the leased messages to the queue's dead-letter queue, visible at once, with
  // their delivery counts, adding the attributes "dead-letter-reason" (`reason`, at most
  // limits::kMaxDeadLetterReason bytes) and "dead-letter-from" (the queue name); those two
  // may take a message past limits::kMaxAttributes.
  Batch& DeadLetter(const queue::LeaseToken& lease, std::string_view reason) &;
  // Deletes every message of `queue` whose attribute `name` equals `value`, leased or
  // not. A lease holding a deleted message ends (settling it fails with LockLost; in group
  // mode the group is released). Deleting nothing is not an error.
  Batch& DeleteMessages(std::string_view queue, std::string_view attribute_name,
                        std::string_view attribute_value) &;

  // --- metadata ---
  Batch& Put(std::string_view key, std::string_view value) &;
  Batch& Delete(std::string_view key) &;                               // absent key: not an error
  Batch& DeleteRange(std::string_view begin, std::string_view end) &;  // [begin, end)

  // The same operations on a temporary, returning it as an rvalue, so a batch built in
  // the call (`store.Commit(Batch().Put("k", "v"))`) is moved into Commit, never copied.
  Batch&& Append(std::string_view stream, uint64_t partition,
                 std::vector<eventlog::EventData> events,
                 eventlog::ExpectedVersion expected = eventlog::ExpectedVersion::Any()) && {
    return std::move(Append(stream, partition, std::move(events), expected));
  }
  Batch&& Append(std::string_view stream, uint64_t partition, std::string_view payload,
                 eventlog::ExpectedVersion expected = eventlog::ExpectedVersion::Any()) && {
    return std::move(Append(stream, partition, payload, expected));
  }
  Batch&& TruncateBefore(std::string_view stream, uint64_t partition, uint64_t before_sequence) && {
    return std::move(TruncateBefore(stream, partition, before_sequence));
  }
  Batch&& DeletePartition(std::string_view stream, uint64_t partition) && {
    return std::move(DeletePartition(stream, partition));
  }
  Batch&& DeleteStream(std::string_view stream) && { return std::move(DeleteStream(stream)); }
  Batch&& Enqueue(std::string_view queue, std::string_view payload,
                  const queue::EnqueueOptions& options = {}) && {
    return std::move(Enqueue(queue, payload, options));
  }
  Batch&& ConfigureQueue(std::string_view queue, const queue::QueueOptions& options) && {
    return std::move(ConfigureQueue(queue, options));
  }
  Batch&& Ack(const queue::LeaseToken& lease) && { return std::move(Ack(lease)); }
  Batch&& Abandon(const queue::LeaseToken& lease, int64_t delay_ms = 0,
                  bool count_attempt = true) && {
    return std::move(Abandon(lease, delay_ms, count_attempt));
  }
  Batch&& Renew(const queue::LeaseToken& lease, int64_t extend_ms) && {
    return std::move(Renew(lease, extend_ms));
  }
  Batch&& DeadLetter(const queue::LeaseToken& lease, std::string_view reason) && {
    return std::move(DeadLetter(lease, reason));
  }
  Batch&& DeleteMessages(std::string_view queue, std::string_view attribute_name,
                         std::string_view attribute_value) && {
    return std::move(DeleteMessages(queue, attribute_name, attribute_value));
  }
  Batch&& Put(std::string_view key, std::string_view value) && {
    return std::move(Put(key, value));
  }
  Batch&& Delete(std::string_view key) && { return std::move(Delete(key)); }
  Batch&& DeleteRange(std::string_view begin, std::string_view end) && {
    return std::move(DeleteRange(begin, end));
  }

  size_t size() const;  // number of operations
  bool empty() const { return size() == 0; }
  size_t ByteSize() const;  // payload, value and key bytes held
  void Clear();

 private:
  friend struct internal::BatchRep;
  std::unique_ptr<internal::BatchRep> rep_;
};

}  // namespace durastore

#endif  // DURASTORE_BATCH_H_
