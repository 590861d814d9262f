// Peek-lock queues: dequeue (which takes a lease), counters and reads. The types a
// batch carries (options, messages, leases) are in durastore/queue_types.h.
//
// A queue is named by a byte string and created by its first enqueue (default options)
// or by Batch::ConfigureQueue. A message is an opaque payload with a store-wide id
// (increasing; FIFO among messages of equal visibility), a visible_at time (delays and
// timers are future visibility), a persisted delivery count, an optional group key and
// optional small attributes the caller can filter or delete by.
//
// Dequeue takes a *lease*: an unguessable 128-bit token, the messages, their delivery
// counts and locked_until. Settling a lease (ack, abandon, renew, dead-letter) is a
// Batch operation (durastore/batch.h) so it commits atomically with other writes; a
// lease that expired, was superseded or whose messages are gone fails that whole batch
// with LockLost. Leases live in memory: after the store is reopened every previously
// leased message is visible again, with the delivery count it had (a delivery to a
// consumer that crashed still counts).
//
// Unknown queues: reads that name a queue (GetCounters, PeekMessages, GetQueueOptions)
// return NotFound for a queue that was never created, and empty results for one that
// exists but holds nothing, as the event log's reads do for streams (durastore/
// eventlog.h). Dequeue is a consumer, not a read: on an unknown queue it finds nothing
// (and a long poll waits for the first enqueue), as an EventStoreDB subscription or a
// Kafka consumer waits for a stream or topic that does not exist yet.
//
// Thread-safety: all functions are thread-safe. Dequeue runs its selection inside the
// committer's write transaction, so two concurrent dequeues never take the same message.
#ifndef DURASTORE_QUEUE_H_
#define DURASTORE_QUEUE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durastore/export.h"
#include "durastore/queue_types.h"
#include "durastore/status.h"

namespace durastore {
class Store;
}

namespace durastore::queue {

struct Counters {
  uint64_t ready = 0;               // visible now and not leased
  uint64_t delayed = 0;             // visible later
  uint64_t leased = 0;              // under a live lease
  uint64_t dead_lettered = 0;       // moved to the dead-letter queue, ever
  int64_t oldest_ready_age_ms = 0;  // now - visible_at of the oldest ready message; 0 if none
};

// Takes a lease on the oldest eligible message (up to options.max_messages of them; in
// group mode, the oldest eligible group), or returns nullopt when nothing is eligible
// within `options.wait`. An unknown queue is an empty queue here (the consumer rule above).
// Delivery counts are incremented and persisted before the lease is returned.
DURASTORE_EXPORT Result<std::optional<Lease>> Dequeue(Store& store, std::string_view queue,
                                                      const DequeueOptions& options = {});

// Counts computed from a read transaction (ready/delayed scan the queue's visibility
// index: O(messages)). NotFound for a queue that was never created.
DURASTORE_EXPORT Result<Counters> GetCounters(Store& store, std::string_view queue);

// Browses, without locking or counting anything, the messages of `queue` that carry the
// attribute name=value, in any state (ready, delayed or leased), oldest first, at most
// `limit`. NotFound for a queue that was never created. Message::delivery_count is the
// count so far.
DURASTORE_EXPORT Result<std::vector<Message>> PeekMessages(Store& store, std::string_view queue,
                                                           std::string_view attribute_name,
                                                           std::string_view attribute_value,
                                                           size_t limit = 1000);

// Where a BrowseQueue page ends: the delivery-order key of the last message returned.
struct BrowsePosition {
  int64_t visible_at_ms = 0;
  uint64_t id = 0;
};

struct BrowsePage {
  std::vector<Message> messages;  // in delivery order: visible_at_ms, then id
  // Set when the page stopped at `limit` with messages left: pass it as `after`.
  std::optional<BrowsePosition> next_after;
};

// Browses every message of `queue` in any state (ready, delayed or leased) in the order
// dequeues would take them (visible time, then id), without locking or counting
// anything: at most `limit` (at least 1, else InvalidArgument), after `after` when set.
// NotFound for a queue that was never created. Each page is its own snapshot: a message
// whose visible time changed between two pages (abandoned with a delay, dequeued) may be
// seen twice or not at all; a store nobody writes lists exactly.
DURASTORE_EXPORT Result<BrowsePage> BrowseQueue(Store& store, std::string_view queue,
                                                size_t limit = 1000,
                                                std::optional<BrowsePosition> after = {});

// The options a queue was created or configured with. NotFound if it does not exist.
DURASTORE_EXPORT Result<QueueOptions> GetQueueOptions(Store& store, std::string_view queue);

// Names of every queue, ascending.
DURASTORE_EXPORT Result<std::vector<std::string>> ListQueues(Store& store);

}  // namespace durastore::queue

#endif  // DURASTORE_QUEUE_H_
