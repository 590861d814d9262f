// Size limits every durastore input is checked against. Past a limit the call fails with
// InvalidArgument (a malformed name or key) or ResourceExhausted (a value or batch that
// is too large), with a message naming the limit; nothing is truncated silently.
// These limits are part of the on-disk contract (docs/format.md): LMDB keys are at most
// 511 bytes, so every index key built from these parts must fit.
#ifndef DURASTORE_LIMITS_H_
#define DURASTORE_LIMITS_H_

#include <cstddef>

namespace durastore::limits {

inline constexpr size_t kMaxStreamKey = 256;            // bytes, at least 1
inline constexpr size_t kMaxEventKey = 128;             // bytes; empty = no key
inline constexpr size_t kMaxPayload = 16u << 20;        // event or message payload
inline constexpr size_t kMaxQueueName = 200;            // bytes, at least 1
inline constexpr size_t kMaxGroupKey = 200;             // bytes; empty = no group
inline constexpr size_t kMaxAttributes = 16;            // per message
inline constexpr size_t kMaxAttributeName = 64;         // bytes, at least 1
inline constexpr size_t kMaxAttributeValue = 200;       // bytes
inline constexpr size_t kMaxMetadataKey = 480;          // bytes, at least 1
inline constexpr size_t kMaxMetadataValue = 16u << 20;  // bytes
inline constexpr size_t kMaxBatchBytes = 256u << 20;    // sum of all payloads/values in a batch
// Operations in one batch, an Append counting once per event (so a batch writes at most
// this many records, whatever their sizes).
inline constexpr size_t kMaxBatchOps = 100'000;
inline constexpr size_t kMaxDequeueBatch = 1000;  // messages leased by one Dequeue
// Stored as the dead-letter message's "dead-letter-reason" attribute, so it has the
// attribute value limit.
inline constexpr size_t kMaxDeadLetterReason = kMaxAttributeValue;

}  // namespace durastore::limits

#endif  // DURASTORE_LIMITS_H_
