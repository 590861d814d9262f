// The queue types a Batch carries and a dequeue returns: queue and enqueue options,
// messages, lease tokens and leases, dequeue options. What a queue is and how leases
// behave: durastore/queue.h. Part of the engine layer because durastore/batch.h needs
// them; the queue component (queue.h) builds on them.
#ifndef DURASTORE_QUEUE_TYPES_H_
#define DURASTORE_QUEUE_TYPES_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durastore/export.h"
#include "durastore/status.h"

namespace durastore::queue {

struct QueueOptions {
  // Lease duration when Dequeue does not give one.
  int64_t lock_duration_ms = 30'000;
  // A message about to be delivered for the (max_deliveries+1)-th time is moved to the
  // dead-letter queue instead. 0 = unlimited (the caller decides using delivery_count).
  uint32_t max_deliveries = 0;
  // Where dead-lettered messages go; empty = "<queue name>.dead-letter".
  std::string dead_letter_queue;
  // Group mode: a dequeue takes the oldest eligible message's whole group (every visible
  // message with that group key) and locks the group exclusively until the lease ends.
  bool group_mode = false;
};

struct Attribute {
  std::string name;
  std::string value;
  bool operator==(const Attribute&) const = default;
};

struct EnqueueOptions {
  // Visible at now + delay_ms (store clock), or at visible_at_ms when that is set.
  int64_t delay_ms = 0;
  std::optional<int64_t> visible_at_ms;
  std::string group_key;  // empty = no group
  std::vector<Attribute> attributes;
};

// A lease token: 16 random bytes from the kernel CSPRNG, never reused.
struct DURASTORE_EXPORT LeaseToken {
  std::array<uint8_t, 16> bytes{};
  bool operator==(const LeaseToken&) const = default;
  std::string ToHex() const;  // 32 lowercase hex digits
  // InvalidArgument unless `hex` is exactly 32 hex digits.
  static Result<LeaseToken> FromHex(std::string_view hex);
};

struct Message {
  uint64_t id = 0;
  std::string payload;
  std::string group_key;
  std::vector<Attribute> attributes;
  uint32_t delivery_count = 0;  // including this delivery
  int64_t enqueued_at_ms = 0;
  int64_t visible_at_ms = 0;
};

struct Lease {
  LeaseToken token;
  std::string queue;
  std::string group_key;  // group mode only
  int64_t locked_until_ms = 0;
  std::vector<Message> messages;  // oldest first; at least one
};

// Selects messages by attribute before anything is locked or counted. A message passes
// one AttributeMatch when it lacks the attribute and match_absent is set, or has it and
// either match_any_value is set or its value is one of `values`. It must pass all of them.
struct AttributeMatch {
  std::string name;
  std::vector<std::string> values;
  bool match_absent = false;
  bool match_any_value = false;
};

// What an exclusion predicate sees about a candidate message. Valid only during the call.
class DURASTORE_EXPORT Candidate {
 public:
  virtual ~Candidate() = default;
  virtual uint64_t message_id() const = 0;
  virtual std::string_view group_key() const = 0;
  virtual const std::vector<Attribute>& attributes() const = 0;
  virtual uint32_t delivery_count() const = 0;  // before this delivery
  // Reads a metadata key in the same transaction the dequeue runs in (consistent with
  // the selection). NotFound if absent.
  virtual Result<std::string> GetMetadata(std::string_view key) const = 0;
};

struct DequeueOptions {
  // Lease duration, counted from the moment the lock is granted; 0 = queue default.
  int64_t lock_duration_ms = 0;
  // Long poll: wait up to this long for an eligible message. The wait ends on the commit
  // that makes one visible, at the earliest future visibility or lease expiry, or at
  // the timeout, whichever is first; it never sleeps in a fixed loop. Negative:
  // InvalidArgument.
  std::chrono::milliseconds wait{0};
  std::vector<AttributeMatch> filter;
  // Return false to skip a candidate (in group mode: its whole group). Runs on the
  // committer thread inside the write transaction: keep it short, do not call back into
  // the Store from it (use Candidate::GetMetadata). If it throws, the exception is caught
  // on the committer thread: that Dequeue fails with InvalidArgument "DequeueOptions.accept
  // threw: <what()>", leases nothing and counts no delivery; the store keeps working.
  std::function<bool(const Candidate&)> accept;
  // Leases up to this many eligible messages under one token (1 to
  // limits::kMaxDequeueBatch), in the order successive single dequeues would take them
  // (visible time, then id). Each passes the filter and the accept predicate and has its
  // delivery count incremented; settling the lease (Ack, Abandon, Renew, DeadLetter)
  // settles all of them. A group-mode queue leases one whole group per call, so there it
  // must be 1 (InvalidArgument otherwise). A long poll returns as soon as one message is
  // eligible; it does not wait to fill the batch.
  size_t max_messages = 1;
};

}  // namespace durastore::queue

#endif  // DURASTORE_QUEUE_TYPES_H_
