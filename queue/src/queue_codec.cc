// The queues' records, index keys and shared reads (grammar in queue_codec.h).
#include "queue_codec.h"

#include <algorithm>
#include <limits>

#include "batch_rep.h"
#include "flatbuffer_record.h"
#include "queue_records_generated.h"
#include "status_macros.h"

namespace durastore::internal {
namespace {

using queue::Attribute;

template <typename Vec>
std::string_view Bytes(const Vec* v) {
  if (v == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(v->data()), v->size());
}
flatbuffers::Offset<flatbuffers::Vector<uint8_t>> Bytes(flatbuffers::FlatBufferBuilder& b,
                                                        std::string_view s) {
  return b.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

// ---------------------------------------------------------------------------------------
// Keys

std::string IdKey(uint64_t id) {
  std::string k;
  PutU64(k, id);
  return k;
}

std::string QueuePrefix(uint32_t qid) {
  std::string k;
  PutU32(k, qid);
  return k;
}

std::string ReadyKey(uint32_t qid, int64_t visible_at, uint64_t id) {
  std::string k = QueuePrefix(qid);
  PutU64(k, static_cast<uint64_t>(std::max<int64_t>(visible_at, 0)));
  PutU64(k, id);
  return k;
}

Result<ReadyEntry> ParseReadyKey(std::string_view key) {
  ASSIGN_OR_RETURN(uint64_t visible_at, KeyU64(key, 20, 4, "queue ready-index"));
  if (visible_at > uint64_t{std::numeric_limits<int64_t>::max()}) {
    return Status::Corruption("queue ready-index key has a visible time past INT64_MAX");
  }
  return ReadyEntry{static_cast<int64_t>(visible_at), GetU64(key, 12)};
}

std::string GroupPrefix(uint32_t qid, std::string_view group) {
  std::string k = QueuePrefix(qid);
  PutShortBytes(k, group);
  return k;
}

std::string AttrPrefix(uint32_t qid, std::string_view name, std::string_view value) {
  std::string k = QueuePrefix(qid);
  PutShortBytes(k, name);
  PutShortBytes(k, value);
  return k;
}

Result<uint64_t> IndexKeyId(std::string_view key, std::string_view prefix, const char* index) {
  return KeyU64(key, prefix.size() + 8, prefix.size(), index);
}

// ---------------------------------------------------------------------------------------
// Records

std::string EncodeQueue(const QueueInfo& q) {
  flatbuffers::FlatBufferBuilder b(128);
  auto dlq = Bytes(b, q.options.dead_letter_queue);
  return FinishRecord(b, queue::fb::CreateQueueRecord(b, 1, q.id, q.options.lock_duration_ms,
                                                      q.options.max_deliveries, dlq,
                                                      q.options.group_mode, q.dead_lettered));
}

Result<QueueInfo> DecodeQueue(std::string_view v) {
  std::string scratch;
  ASSIGN_OR_RETURN(auto* r, VerifiedRoot<queue::fb::QueueRecord>(v, scratch, "queue"));
  if (r->format_version() != 1) return Status::Corruption("queue record has unknown format");
  QueueInfo q;
  q.id = r->id();
  q.options.lock_duration_ms = r->lock_duration_ms();
  q.options.max_deliveries = r->max_deliveries();
  q.options.dead_letter_queue = std::string(Bytes(r->dead_letter_queue()));
  q.options.group_mode = r->group_mode();
  q.dead_lettered = r->dead_lettered();
  return q;
}

std::string EncodeMessage(const MessageMeta& m) {
  flatbuffers::FlatBufferBuilder b(128);
  std::vector<flatbuffers::Offset<queue::fb::Attribute>> attrs;
  attrs.reserve(m.attributes.size());
  for (const Attribute& a : m.attributes) {
    auto name = Bytes(b, a.name);
    auto value = Bytes(b, a.value);
    attrs.push_back(queue::fb::CreateAttribute(b, name, value));
  }
  auto group = Bytes(b, m.group_key);
  auto attr_vec = b.CreateVector(attrs);
  return FinishRecord(
      b, queue::fb::CreateMessageRecord(b, 1, m.queue_id, m.visible_at_ms, m.enqueued_at_ms,
                                        m.delivery_count, group, attr_vec));
}

Result<MessageMeta> DecodeMessage(std::string_view v) {
  std::string scratch;
  ASSIGN_OR_RETURN(auto* r, VerifiedRoot<queue::fb::MessageRecord>(v, scratch, "message"));
  if (r->format_version() != 1) return Status::Corruption("message record has unknown format");
  MessageMeta m;
  m.queue_id = r->queue_id();
  m.visible_at_ms = r->visible_at_ms();
  m.enqueued_at_ms = r->enqueued_at_ms();
  m.delivery_count = r->delivery_count();
  m.group_key = std::string(Bytes(r->group_key()));
  if (r->attributes() != nullptr) {
    for (const auto* a : *r->attributes()) {
      m.attributes.push_back(
          Attribute{std::string(Bytes(a->name())), std::string(Bytes(a->value()))});
    }
  }
  return m;
}

// ---------------------------------------------------------------------------------------
// Reads

Result<std::optional<QueueInfo>> FindQueue(MDB_txn* txn, const Tables& t, std::string_view name) {
  ASSIGN_OR_RETURN(auto v, GetIfPresent(txn, t.queues, name));
  if (!v) return std::optional<QueueInfo>();
  ASSIGN_OR_RETURN(QueueInfo q, DecodeQueue(*v));
  return std::optional<QueueInfo>(std::move(q));
}

Result<QueueInfo> LoadQueue(MDB_txn* txn, const Tables& t, std::string_view name) {
  ASSIGN_OR_RETURN(auto q, FindQueue(txn, t, name));
  if (!q) return Status::NotFound("queue '" + Printable(name) + "' does not exist");
  return std::move(*q);
}

Result<std::optional<MessageMeta>> FindMessage(MDB_txn* txn, const Tables& t, uint64_t id) {
  ASSIGN_OR_RETURN(auto v, GetIfPresent(txn, t.q_msgs, IdKey(id)));
  if (!v) return std::optional<MessageMeta>();
  ASSIGN_OR_RETURN(MessageMeta m, DecodeMessage(*v));
  return std::optional<MessageMeta>(std::move(m));
}

Result<MessageMeta> LoadMessage(MDB_txn* txn, const Tables& t, uint64_t id) {
  ASSIGN_OR_RETURN(auto v, Get(txn, t.q_msgs, IdKey(id)));
  return DecodeMessage(v);
}

Result<queue::Message> LoadDelivered(MDB_txn* txn, const Tables& t, uint64_t id, MessageMeta m) {
  ASSIGN_OR_RETURN(auto payload, Get(txn, t.q_payloads, IdKey(id)));
  return queue::Message{id,
                        std::string(payload),
                        std::move(m.group_key),
                        std::move(m.attributes),
                        m.delivery_count,
                        m.enqueued_at_ms,
                        m.visible_at_ms};
}

Result<std::vector<uint64_t>> IndexIds(MDB_txn* txn, MDB_dbi dbi, std::string_view prefix,
                                       const char* index, size_t limit) {
  std::vector<uint64_t> ids;
  Cursor cur(txn, dbi);
  MDB_val k, v;
  int rc = cur.Seek(prefix, &k, &v);
  for (; rc == 0 && ids.size() < limit && HasPrefix(View(k), prefix); rc = cur.Next(&k, &v)) {
    ASSIGN_OR_RETURN(uint64_t id, IndexKeyId(View(k), prefix, index));
    ids.push_back(id);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) {
    return LmdbStatus(rc, std::string("scanning the ") + index);
  }
  return ids;
}

}  // namespace durastore::internal
