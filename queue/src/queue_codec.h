// How the queues are stored: their records and index keys, and the reads of them that
// every queue operation shares. Internal to the queue component.
//
// Tables queues, q_msgs, q_payloads, q_ready, q_groups and q_attrs. Layout: docs/format.md,
// section "Tables" (the one statement of the grammar).
//
// Integers are big-endian (key order is numeric order); len:u8 prefixes a string of at
// most 255 bytes. q_ready orders a queue's messages by visibility then id (FIFO among
// equals). A record or key that does not decode is Corruption wherever it is read, never
// skipped. Locks (leases) are not stored: they live in the engine's LeaseTable, so after
// a restart every message is unlocked; delivery counts are stored and so survive.
#ifndef DURASTORE_QUEUE_CODEC_H_
#define DURASTORE_QUEUE_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "durastore/queue.h"
#include "durastore/status.h"
#include "lmdb_env.h"

namespace durastore::internal {

// A QueueRecord, decoded.
struct QueueInfo {
  uint32_t id = 0;
  queue::QueueOptions options;
  uint64_t dead_lettered = 0;
};

// A MessageRecord, decoded (the payload is stored apart, in q_payloads).
struct MessageMeta {
  uint32_t queue_id = 0;
  int64_t visible_at_ms = 0;
  int64_t enqueued_at_ms = 0;
  uint32_t delivery_count = 0;
  std::string group_key;
  std::vector<queue::Attribute> attributes;
};

// ---- keys ----
std::string IdKey(uint64_t id);  // q_msgs, q_payloads
std::string QueuePrefix(uint32_t qid);
std::string ReadyKey(uint32_t qid, int64_t visible_at, uint64_t id);
std::string GroupPrefix(uint32_t qid, std::string_view group);
std::string AttrPrefix(uint32_t qid, std::string_view name, std::string_view value);

// The fields of a ready-index key after its queue id.
struct ReadyEntry {
  int64_t visible_at = 0;
  uint64_t id = 0;
};
// Corruption for a key of the wrong length or a visible-at past INT64_MAX, which ReadyKey
// never writes.
Result<ReadyEntry> ParseReadyKey(std::string_view key);

// The message id ending a group- or attribute-index key found under `prefix`
// (GroupPrefix, AttrPrefix; `index` names it in errors). The length bytes in the prefix
// make any other key under it impossible unless the index is damaged, so a key of another
// length is Corruption.
Result<uint64_t> IndexKeyId(std::string_view key, std::string_view prefix, const char* index);

// ---- records ----
std::string EncodeQueue(const QueueInfo& q);
Result<QueueInfo> DecodeQueue(std::string_view v);
std::string EncodeMessage(const MessageMeta& m);
Result<MessageMeta> DecodeMessage(std::string_view v);

// ---- reads ----
// Each Find returns nullopt for an absent record (the one place NotFound is mapped);
// each Load treats absence as an error.
Result<std::optional<QueueInfo>> FindQueue(MDB_txn* txn, const Tables& t, std::string_view name);
// NotFound naming the queue when it was never created.
Result<QueueInfo> LoadQueue(MDB_txn* txn, const Tables& t, std::string_view name);
Result<std::optional<MessageMeta>> FindMessage(MDB_txn* txn, const Tables& t, uint64_t id);
Result<MessageMeta> LoadMessage(MDB_txn* txn, const Tables& t, uint64_t id);
// The message `id` as callers see it: `m` with its payload read from q_payloads.
Result<queue::Message> LoadDelivered(MDB_txn* txn, const Tables& t, uint64_t id, MessageMeta m);
// The message ids under `prefix` (GroupPrefix or AttrPrefix) in index `dbi`, in key
// order, at most `limit` of them.
Result<std::vector<uint64_t>> IndexIds(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix,
                                       const char* index, size_t limit = SIZE_MAX);

}  // namespace durastore::internal

#endif  // DURASTORE_QUEUE_CODEC_H_
