// Peek-lock queues on LMDB. Record grammar (also in docs/format.md):
//
//   queues     : queue-name                         -> QueueRecord (FlatBuffers)
//   q_msgs     : message-id:u64                     -> MessageRecord (FlatBuffers)
//   q_payloads : message-id:u64                     -> payload bytes as given
//   q_ready    : queue-id:u32 visible-at:u64 message-id:u64              -> ""
//   q_groups   : queue-id:u32 len:u8 group-key message-id:u64            -> ""
//   q_attrs    : queue-id:u32 len:u8 name len:u8 value message-id:u64    -> ""
//
// q_ready orders a queue's messages by visibility then id (FIFO among equals). Locks
// (leases) are not stored: they live in LeaseTable, so after a restart every message is
// unlocked; delivery counts are stored and so survive.
#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>

#include "durastore/limits.h"
#include "durastore/queue.h"
#include "durastore/store.h"
#include "flatbuffer_record.h"
#include "lmdb_env.h"
#include "queue_internal.h"
#include "queue_records_generated.h"
#include "status_macros.h"
#include "time_math.h"

namespace durastore::internal {
namespace {

using queue::Attribute;
using queue::LeaseToken;

constexpr std::string_view kReasonAttribute = "dead-letter-reason";
constexpr std::string_view kFromAttribute = "dead-letter-from";

struct QueueInfo {
  uint32_t id = 0;
  queue::QueueOptions options;
  uint64_t dead_lettered = 0;
};

struct MessageMeta {
  uint32_t queue_id = 0;
  int64_t visible_at_ms = 0;
  int64_t enqueued_at_ms = 0;
  uint32_t delivery_count = 0;
  std::string group_key;
  std::vector<Attribute> attributes;
};

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
// The fields of a ready-index key (queue id, visible-at, message id); Corruption for a key
// of the wrong length or a visible-at past INT64_MAX, which ReadyKey never writes.
struct ReadyEntry {
  int64_t visible_at = 0;
  uint64_t id = 0;
};
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

// The message id of an attribute-index key under `prefix` (AttrPrefix). The length bytes
// in the prefix make any other key under it impossible unless the index is damaged, so a
// key of another length is Corruption (as for the group index), never skipped.
Result<uint64_t> AttrIndexId(std::string_view key, std::string_view prefix) {
  return KeyU64(key, prefix.size() + 8, prefix.size(), "queue attribute-index");
}

template <typename Vec>
std::string_view Bytes(const Vec* v) {
  if (v == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(v->data()), v->size());
}
flatbuffers::Offset<flatbuffers::Vector<uint8_t>> Bytes(flatbuffers::FlatBufferBuilder& b,
                                                        std::string_view s) {
  return b.CreateVector(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}
std::string Finish(flatbuffers::FlatBufferBuilder& b) {
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

std::string EncodeQueue(const QueueInfo& q) {
  flatbuffers::FlatBufferBuilder b(128);
  auto dlq = Bytes(b, q.options.dead_letter_queue);
  b.Finish(queue::fb::CreateQueueRecord(b, 1, q.id, q.options.lock_duration_ms,
                                        q.options.max_deliveries, dlq, q.options.group_mode,
                                        q.dead_lettered));
  return Finish(b);
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
  b.Finish(queue::fb::CreateMessageRecord(b, 1, m.queue_id, m.visible_at_ms, m.enqueued_at_ms,
                                          m.delivery_count, group, attr_vec));
  return Finish(b);
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

// NotFound when the queue was never created.
Result<QueueInfo> LoadQueue(MDB_txn* txn, const Tables& t, std::string_view name) {
  auto v = Get(txn, t.queues, name);
  if (!v.ok()) {
    if (v.status().code() == Code::kNotFound) {
      return Status::NotFound("queue '" + Printable(name) + "' does not exist");
    }
    return v.status();
  }
  return DecodeQueue(*v);
}

Result<QueueInfo> LoadOrCreateQueue(WriteContext& ctx, std::string_view name) {
  auto q = LoadQueue(ctx.txn, *ctx.tables, name);
  if (q.ok() || q.status().code() != Code::kNotFound) return q;
  QueueInfo info;
  info.id = ctx.seq->next_queue_id++;
  RETURN_IF_ERROR(Put(ctx.txn, ctx.tables->queues, name, EncodeQueue(info)));
  return info;
}

Result<MessageMeta> LoadMessage(MDB_txn* txn, const Tables& t, uint64_t id) {
  ASSIGN_OR_RETURN(auto v, Get(txn, t.q_msgs, IdKey(id)));
  return DecodeMessage(v);
}

Status PutIndexes(WriteContext& ctx, uint64_t id, const MessageMeta& m) {
  const Tables& t = *ctx.tables;
  RETURN_IF_ERROR(Put(ctx.txn, t.q_msgs, IdKey(id), EncodeMessage(m)));
  RETURN_IF_ERROR(Put(ctx.txn, t.q_ready, ReadyKey(m.queue_id, m.visible_at_ms, id), ""));
  if (!m.group_key.empty()) {
    RETURN_IF_ERROR(Put(ctx.txn, t.q_groups, GroupPrefix(m.queue_id, m.group_key) + IdKey(id), ""));
  }
  for (const Attribute& a : m.attributes) {
    RETURN_IF_ERROR(
        Put(ctx.txn, t.q_attrs, AttrPrefix(m.queue_id, a.name, a.value) + IdKey(id), ""));
  }
  return Status::OK();
}

Status DelIndexes(WriteContext& ctx, uint64_t id, const MessageMeta& m) {
  const Tables& t = *ctx.tables;
  RETURN_IF_ERROR(Del(ctx.txn, t.q_ready, ReadyKey(m.queue_id, m.visible_at_ms, id)));
  if (!m.group_key.empty()) {
    RETURN_IF_ERROR(Del(ctx.txn, t.q_groups, GroupPrefix(m.queue_id, m.group_key) + IdKey(id)));
  }
  for (const Attribute& a : m.attributes) {
    RETURN_IF_ERROR(Del(ctx.txn, t.q_attrs, AttrPrefix(m.queue_id, a.name, a.value) + IdKey(id)));
  }
  return Status::OK();
}

Status DeleteMessage(WriteContext& ctx, uint64_t id, const MessageMeta& m) {
  RETURN_IF_ERROR(DelIndexes(ctx, id, m));
  RETURN_IF_ERROR(Del(ctx.txn, ctx.tables->q_msgs, IdKey(id)));
  return Del(ctx.txn, ctx.tables->q_payloads, IdKey(id));
}

void SetAttribute(std::vector<Attribute>& attrs, std::string_view name, std::string value) {
  for (Attribute& a : attrs) {
    if (a.name == name) {
      a.value = std::move(value);
      return;
    }
  }
  attrs.push_back(Attribute{std::string(name), std::move(value)});
}

// Moves one message to `from`'s dead-letter queue, visible now.
Status MoveToDeadLetter(WriteContext& ctx, std::string_view from_name, QueueInfo& from, uint64_t id,
                        MessageMeta m, std::string_view reason) {
  std::string dlq_name = from.options.dead_letter_queue.empty()
                             ? std::string(from_name) + ".dead-letter"
                             : from.options.dead_letter_queue;
  ASSIGN_OR_RETURN(QueueInfo dlq, LoadOrCreateQueue(ctx, dlq_name));
  RETURN_IF_ERROR(DelIndexes(ctx, id, m));
  m.queue_id = dlq.id;
  m.visible_at_ms = ctx.now_ms;
  // Both fit an attribute value: reasons are validated against kMaxDeadLetterReason
  // (= kMaxAttributeValue) and queue names against kMaxQueueName (<= it).
  static_assert(limits::kMaxQueueName <= limits::kMaxAttributeValue);
  SetAttribute(m.attributes, kReasonAttribute, std::string(reason));
  SetAttribute(m.attributes, kFromAttribute, std::string(from_name));
  RETURN_IF_ERROR(PutIndexes(ctx, id, m));
  ++from.dead_lettered;
  RETURN_IF_ERROR(Put(ctx.txn, ctx.tables->queues, from_name, EncodeQueue(from)));
  ctx.touched_queues.insert(dlq_name);
  return Status::OK();
}

}  // namespace

Result<LeaseToken> NewToken(RandomSource random) {
  LeaseToken t;
  size_t got = 0;
  while (got < t.bytes.size()) {
    ssize_t n = random(t.bytes.data() + got, t.bytes.size() - got, 0);
    if (n > 0) {
      got += static_cast<size_t>(n);
      continue;
    }
    const int err = errno;
    if (n < 0 && err == EINTR) continue;
    // Anything else (ENOSYS, EFAULT, a source returning nothing) will not change on a retry,
    // and this runs on the committer thread: fail the dequeue instead of spinning.
    return Status::IOError("getrandom for a lease token failed: " +
                           std::string(n < 0 ? std::strerror(err) : "no bytes returned"));
  }
  return t;
}

namespace {

Status LockLostUnknown(const LeaseToken& token) {
  return Status::LockLost("lease " + token.ToHex() +
                          " is not held: it was never issued, was already settled, expired and "
                          "was superseded, or its messages were deleted");
}

// The live lease for `token`, or LockLost.
Result<LeaseState*> FindLive(LeaseTable& leases, const LeaseToken& token, int64_t now_ms) {
  LeaseState* lease = leases.Find(token);
  if (lease == nullptr) return LockLostUnknown(token);
  if (lease->locked_until_ms <= now_ms) {
    return Status::LockLost("lease " + token.ToHex() + " expired at " +
                            std::to_string(lease->locked_until_ms) + " ms (now " +
                            std::to_string(now_ms) + " ms)");
  }
  return lease;
}

// Runs the caller's accept predicate without the lease mutex, which the committer holds
// (ApplyGroup) while it applies a group: caller code must not run under an engine lock (it
// may call GetCounters, which takes the mutex, or be slow and stall every reader). Only the
// committer thread changes the table, and it is running this, so nothing changes meanwhile;
// no LeaseState pointer is held across the call.
bool RunAccept(LeaseTable& leases, const queue::DequeueOptions& options,
               const queue::Candidate& candidate) {
  struct Relock {
    std::mutex& mu;
    ~Relock() { mu.lock(); }
  };
  leases.mu.unlock();
  Relock relock{leases.mu};
  return options.accept(candidate);
}

bool PassesFilter(const std::vector<queue::AttributeMatch>& filter, const MessageMeta& m) {
  for (const auto& match : filter) {
    const Attribute* found = nullptr;
    for (const Attribute& a : m.attributes) {
      if (a.name == match.name) found = &a;
    }
    bool ok = found == nullptr
                  ? match.match_absent
                  : match.match_any_value || std::find(match.values.begin(), match.values.end(),
                                                       found->value) != match.values.end();
    if (!ok) return false;
  }
  return true;
}

class CandidateView final : public queue::Candidate {
 public:
  CandidateView(MDB_txn* txn, const Tables& t, uint64_t id, const MessageMeta& m)
      : txn_(txn), t_(t), id_(id), m_(m) {}
  uint64_t message_id() const override { return id_; }
  std::string_view group_key() const override { return m_.group_key; }
  const std::vector<Attribute>& attributes() const override { return m_.attributes; }
  uint32_t delivery_count() const override { return m_.delivery_count; }
  Result<std::string> GetMetadata(std::string_view key) const override {
    ASSIGN_OR_RETURN(auto v, Get(txn_, t_.meta, key));
    return std::string(v);
  }

 private:
  MDB_txn* txn_;
  const Tables& t_;
  uint64_t id_;
  const MessageMeta& m_;
};

}  // namespace

// ---------------------------------------------------------------------------------------
// LeaseTable

const LeaseState* LeaseTable::LeaseOfMessage(uint64_t id) const {
  auto it = locked_msgs_.find(id);
  if (it == locked_msgs_.end()) return nullptr;
  auto lease = leases_.find(it->second);
  return lease == leases_.end() ? nullptr : &lease->second;
}

const LeaseState* LeaseTable::LeaseOfGroup(uint32_t queue_id, const std::string& group) const {
  auto it = locked_groups_.find({queue_id, group});
  if (it == locked_groups_.end()) return nullptr;
  auto lease = leases_.find(it->second);
  return lease == leases_.end() ? nullptr : &lease->second;
}

const LeaseState* LeaseTable::LiveLeaseOfMessage(uint64_t id, int64_t now_ms) const {
  const LeaseState* l = LeaseOfMessage(id);
  return l != nullptr && l->locked_until_ms > now_ms ? l : nullptr;
}

const LeaseState* LeaseTable::LiveLeaseOfGroup(uint32_t queue_id, const std::string& group,
                                               int64_t now_ms) const {
  const LeaseState* l = LeaseOfGroup(queue_id, group);
  return l != nullptr && l->locked_until_ms > now_ms ? l : nullptr;
}

QueueLocks LeaseTable::LiveLocksOf(uint32_t queue_id, int64_t now_ms) const {
  QueueLocks out;
  for (const auto& [token, lease] : leases_) {
    if (lease.queue_id != queue_id || lease.locked_until_ms <= now_ms) continue;
    for (uint64_t id : lease.message_ids) {
      auto m = locked_msgs_.find(id);
      if (m != locked_msgs_.end() && m->second == token) out.messages.insert(id);
    }
  }
  for (auto g = locked_groups_.lower_bound({queue_id, std::string()});
       g != locked_groups_.end() && g->first.first == queue_id; ++g) {
    auto lease = leases_.find(g->second);
    if (lease != leases_.end() && lease->second.locked_until_ms > now_ms) {
      out.groups.insert(g->first.second);
    }
  }
  return out;
}

LeaseState* LeaseTable::Find(const LeaseToken& token) {
  auto it = leases_.find(token);
  return it == leases_.end() ? nullptr : &it->second;
}

void LeaseTable::Insert(const LeaseState& lease) {
  leases_[lease.token] = lease;
  for (uint64_t id : lease.message_ids) locked_msgs_[id] = lease.token;
  if (lease.grouped) locked_groups_[{lease.queue_id, lease.group_key}] = lease.token;
}

void LeaseTable::Erase(const LeaseToken& token) {
  auto it = leases_.find(token);
  if (it == leases_.end()) return;
  for (uint64_t id : it->second.message_ids) {
    auto m = locked_msgs_.find(id);
    if (m != locked_msgs_.end() && m->second == token) locked_msgs_.erase(m);
  }
  if (it->second.grouped) {
    auto g = locked_groups_.find({it->second.queue_id, it->second.group_key});
    if (g != locked_groups_.end() && g->second == token) locked_groups_.erase(g);
  }
  leases_.erase(it);
}

void LeaseTable::Add(LeaseState lease, std::vector<std::function<void()>>& undo) {
  Insert(lease);
  undo.push_back([this, token = lease.token] { Erase(token); });
}

void LeaseTable::Remove(const LeaseToken& token, std::vector<std::function<void()>>& undo) {
  LeaseState* lease = Find(token);
  if (lease == nullptr) return;
  undo.push_back([this, copy = *lease] { Insert(copy); });
  Erase(token);
}

void LeaseTable::DropExpired(int64_t now_ms) {
  std::vector<LeaseToken> expired;
  for (const auto& [token, lease] : leases_) {
    if (lease.locked_until_ms <= now_ms) expired.push_back(token);
  }
  for (const auto& token : expired) Erase(token);
}

// ---------------------------------------------------------------------------------------
// Write path

Status ApplyEnqueue(WriteContext& ctx, const EnqueueOp& op) {
  ASSIGN_OR_RETURN(QueueInfo q, LoadOrCreateQueue(ctx, op.queue));
  uint64_t id = ctx.seq->next_message_id++;
  MessageMeta m;
  m.queue_id = q.id;
  m.enqueued_at_ms = ctx.now_ms;
  m.visible_at_ms = op.options.visible_at_ms.value_or(AddMs(ctx.now_ms, op.options.delay_ms));
  m.group_key = op.options.group_key;
  m.attributes = op.options.attributes;
  RETURN_IF_ERROR(PutIndexes(ctx, id, m));
  RETURN_IF_ERROR(Put(ctx.txn, ctx.tables->q_payloads, IdKey(id), op.payload, MDB_APPEND));
  ctx.result->message_ids.push_back(id);
  ctx.touched_queues.insert(op.queue);
  return Status::OK();
}

Status ApplyConfigureQueue(WriteContext& ctx, const ConfigureQueueOp& op) {
  ASSIGN_OR_RETURN(QueueInfo q, LoadOrCreateQueue(ctx, op.queue));
  q.options = op.options;
  RETURN_IF_ERROR(Put(ctx.txn, ctx.tables->queues, op.queue, EncodeQueue(q)));
  ctx.touched_queues.insert(op.queue);
  return Status::OK();
}

Status ApplySettle(WriteContext& ctx, LeaseTable& leases, const SettleOp& op) {
  ASSIGN_OR_RETURN(LeaseState * lease, FindLive(leases, op.token, ctx.now_ms));
  const Tables& t = *ctx.tables;
  if (op.kind == SettleKind::kRenew) {
    int64_t old = lease->locked_until_ms;
    lease->locked_until_ms = AddMs(ctx.now_ms, op.ms);
    ctx.undo.push_back([&leases, token = op.token, old] {
      if (LeaseState* l = leases.Find(token)) l->locked_until_ms = old;
    });
    return Status::OK();
  }

  std::string queue_name = lease->queue;
  std::vector<std::pair<uint64_t, MessageMeta>> messages;
  for (uint64_t id : lease->message_ids) {
    auto m = LoadMessage(ctx.txn, t, id);
    if (!m.ok()) {
      if (m.status().code() == Code::kNotFound) {
        return Status::LockLost("lease " + op.token.ToHex() + ": message " + std::to_string(id) +
                                " was deleted while leased");
      }
      return m.status();
    }
    messages.emplace_back(id, std::move(m).value());
  }

  switch (op.kind) {
    case SettleKind::kAck:
      for (const auto& [id, m] : messages) RETURN_IF_ERROR(DeleteMessage(ctx, id, m));
      break;
    case SettleKind::kAbandon:
      for (auto& [id, m] : messages) {
        RETURN_IF_ERROR(Del(ctx.txn, t.q_ready, ReadyKey(m.queue_id, m.visible_at_ms, id)));
        m.visible_at_ms = AddMs(ctx.now_ms, op.ms);
        if (!op.count_attempt && m.delivery_count > 0) --m.delivery_count;
        RETURN_IF_ERROR(Put(ctx.txn, t.q_msgs, IdKey(id), EncodeMessage(m)));
        RETURN_IF_ERROR(Put(ctx.txn, t.q_ready, ReadyKey(m.queue_id, m.visible_at_ms, id), ""));
      }
      break;
    case SettleKind::kDeadLetter: {
      ASSIGN_OR_RETURN(QueueInfo q, LoadQueue(ctx.txn, t, queue_name));
      for (auto& [id, m] : messages) {
        RETURN_IF_ERROR(MoveToDeadLetter(ctx, queue_name, q, id, std::move(m), op.reason));
      }
      break;
    }
    case SettleKind::kRenew:
      break;
  }
  leases.Remove(op.token, ctx.undo);
  ctx.touched_queues.insert(queue_name);  // a released group may now be eligible
  return Status::OK();
}

Status ApplyDeleteMessages(WriteContext& ctx, LeaseTable& leases, const DeleteMessagesOp& op) {
  auto q = LoadQueue(ctx.txn, *ctx.tables, op.queue);
  if (!q.ok()) return q.status().code() == Code::kNotFound ? Status::OK() : q.status();
  std::string prefix = AttrPrefix(q->id, op.name, op.value);
  std::vector<uint64_t> ids;
  {
    Cursor cur(ctx.txn, ctx.tables->q_attrs);
    MDB_val k, v;
    int rc = cur.Seek(prefix, &k, &v);
    for (; rc == 0 && HasPrefix(View(k), prefix); rc = cur.Next(&k, &v)) {
      ASSIGN_OR_RETURN(uint64_t id, AttrIndexId(View(k), prefix));
      ids.push_back(id);
    }
    if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "scanning attributes");
  }
  // A lease holding a deleted message is ended: settling it fails with LockLost, and in
  // group mode the group is released at once instead of staying locked until expiry.
  for (uint64_t id : ids) {
    ASSIGN_OR_RETURN(MessageMeta m, LoadMessage(ctx.txn, *ctx.tables, id));
    RETURN_IF_ERROR(DeleteMessage(ctx, id, m));
    if (const LeaseState* lease = leases.LeaseOfMessage(id)) leases.Remove(lease->token, ctx.undo);
  }
  if (!ids.empty()) ctx.touched_queues.insert(op.queue);
  return Status::OK();
}

namespace {

struct Pick {
  uint64_t id = 0;
  MessageMeta meta;
};

// Scans the queue's visibility index, from ready-index key `from` (empty: the start), for
// the oldest eligible message. Messages over max_deliveries are dead-lettered on the way.
// Nothing is locked or counted here.
Result<std::optional<Pick>> FindEligible(WriteContext& ctx, LeaseTable& leases,
                                         std::string_view queue_name, QueueInfo& q,
                                         const queue::DequeueOptions& options,
                                         std::optional<int64_t>& next_wake,
                                         std::string from = std::string()) {
  const Tables& t = *ctx.tables;
  auto wake_at = [&next_wake](int64_t ms) {
    next_wake = next_wake ? std::min(*next_wake, ms) : ms;
  };
  std::string prefix = QueuePrefix(q.id);
  if (from.empty()) from = prefix;
  std::vector<std::string> skipped_groups;
  for (;;) {
    std::optional<Pick> dead;  // a message to dead-letter, found under the cursor
    {
      Cursor cur(ctx.txn, t.q_ready);
      MDB_val k, v;
      int rc = cur.Seek(from, &k, &v);
      for (; rc == 0 && HasPrefix(View(k), prefix); rc = cur.Next(&k, &v)) {
        ASSIGN_OR_RETURN(ReadyEntry e, ParseReadyKey(View(k)));
        const int64_t visible_at = e.visible_at;
        const uint64_t id = e.id;
        if (visible_at > ctx.now_ms) {
          wake_at(visible_at);
          break;
        }
        if (const LeaseState* l = leases.LiveLeaseOfMessage(id, ctx.now_ms)) {
          wake_at(l->locked_until_ms);
          continue;
        }
        ASSIGN_OR_RETURN(MessageMeta m, LoadMessage(ctx.txn, t, id));
        bool grouped = q.options.group_mode && !m.group_key.empty();
        if (grouped) {
          if (const LeaseState* l = leases.LiveLeaseOfGroup(q.id, m.group_key, ctx.now_ms)) {
            wake_at(l->locked_until_ms);
            continue;
          }
          if (std::find(skipped_groups.begin(), skipped_groups.end(), m.group_key) !=
              skipped_groups.end()) {
            continue;
          }
        }
        bool accepted =
            PassesFilter(options.filter, m) &&
            (!options.accept || RunAccept(leases, options, CandidateView(ctx.txn, t, id, m)));
        if (!accepted) {
          if (grouped) skipped_groups.push_back(m.group_key);
          continue;
        }
        if (q.options.max_deliveries > 0 && m.delivery_count >= q.options.max_deliveries) {
          dead = Pick{id, std::move(m)};
          from = ReadyKey(q.id, visible_at, id + 1);
          break;
        }
        return std::optional<Pick>(Pick{id, std::move(m)});
      }
      if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "scanning queue");
    }
    if (!dead) return std::optional<Pick>();
    std::string reason = "delivered " + std::to_string(dead->meta.delivery_count) +
                         " times; max_deliveries is " + std::to_string(q.options.max_deliveries);
    RETURN_IF_ERROR(MoveToDeadLetter(ctx, queue_name, q, dead->id, std::move(dead->meta), reason));
  }
}

}  // namespace

Result<DequeueAttempt> ApplyDequeue(WriteContext& ctx, LeaseTable& leases, std::string_view queue,
                                    const queue::DequeueOptions& options) {
  const Tables& t = *ctx.tables;
  DequeueAttempt out;
  auto loaded = LoadQueue(ctx.txn, t, queue);
  if (!loaded.ok()) {
    if (loaded.status().code() == Code::kNotFound) return out;
    return loaded.status();
  }
  QueueInfo q = std::move(loaded).value();
  if (q.options.group_mode && options.max_messages > 1) {
    return Status::InvalidArgument("DequeueOptions.max_messages must be 1 for group-mode queue '" +
                                   Printable(queue) + "' (a lease there is one group)");
  }
  ASSIGN_OR_RETURN(auto pick, FindEligible(ctx, leases, queue, q, options, out.next_wake_ms));
  if (!pick) return out;

  // The lease: the pick, plus in group mode every other visible message of its group.
  std::vector<std::pair<uint64_t, MessageMeta>> taken;
  taken.emplace_back(pick->id, std::move(pick->meta));
  bool grouped = q.options.group_mode && !taken[0].second.group_key.empty();
  std::string group = taken[0].second.group_key;
  if (grouped) {
    std::string prefix = GroupPrefix(q.id, group);
    std::vector<uint64_t> ids;
    {
      Cursor cur(ctx.txn, t.q_groups);
      MDB_val k, v;
      int rc = cur.Seek(prefix, &k, &v);
      for (; rc == 0 && HasPrefix(View(k), prefix); rc = cur.Next(&k, &v)) {
        ASSIGN_OR_RETURN(uint64_t id,
                         KeyU64(View(k), prefix.size() + 8, prefix.size(), "queue group-index"));
        if (id != pick->id) ids.push_back(id);
      }
      if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "scanning group");
    }
    for (uint64_t id : ids) {
      ASSIGN_OR_RETURN(MessageMeta m, LoadMessage(ctx.txn, t, id));
      if (m.visible_at_ms <= ctx.now_ms) taken.emplace_back(id, std::move(m));
    }
    std::sort(taken.begin(), taken.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
  } else {
    // A batch: the next eligible messages after the last one taken, in index order.
    std::optional<int64_t> unused_wake;  // a lease is returned, so no wake-up is needed
    while (taken.size() < options.max_messages) {
      const auto& [last_id, last] = taken.back();
      ASSIGN_OR_RETURN(auto next, FindEligible(ctx, leases, queue, q, options, unused_wake,
                                               ReadyKey(q.id, last.visible_at_ms, last_id + 1)));
      if (!next) break;
      taken.emplace_back(next->id, std::move(next->meta));
    }
  }

  int64_t lock_ms =
      options.lock_duration_ms > 0 ? options.lock_duration_ms : q.options.lock_duration_ms;
  LeaseState lease;
  ASSIGN_OR_RETURN(lease.token, NewToken());  // before any change to the lease table
  lease.queue_id = q.id;
  lease.queue = std::string(queue);
  lease.grouped = grouped;
  lease.group_key = group;
  lease.locked_until_ms = AddMs(ctx.now_ms, lock_ms);

  queue::Lease result;
  result.token = lease.token;
  result.queue = lease.queue;
  result.group_key = grouped ? group : std::string();
  result.locked_until_ms = lease.locked_until_ms;
  for (auto& [id, m] : taken) {
    // A message still carrying an expired lease: that lease is superseded for good.
    if (const LeaseState* prior = leases.LeaseOfMessage(id)) leases.Remove(prior->token, ctx.undo);
    ++m.delivery_count;
    RETURN_IF_ERROR(Put(ctx.txn, t.q_msgs, IdKey(id), EncodeMessage(m)));
    ASSIGN_OR_RETURN(auto payload, Get(ctx.txn, t.q_payloads, IdKey(id)));
    lease.message_ids.push_back(id);
    result.messages.push_back(queue::Message{id, std::string(payload), m.group_key,
                                             std::move(m.attributes), m.delivery_count,
                                             m.enqueued_at_ms, m.visible_at_ms});
  }
  if (grouped) {
    // A stale lease on the group itself (expired) is superseded too.
    if (const LeaseState* prior = leases.LeaseOfGroup(q.id, group)) {
      leases.Remove(prior->token, ctx.undo);
    }
  }
  leases.Add(std::move(lease), ctx.undo);
  out.lease = std::move(result);
  return out;
}

}  // namespace durastore::internal

// ---------------------------------------------------------------------------------------
// Public reads

namespace durastore::queue {

using internal::Env;

Result<std::optional<Lease>> Dequeue(Store& store, std::string_view queue,
                                     const DequeueOptions& options) {
  RETURN_IF_ERROR(internal::ValidateQueueName(queue));
  if (options.lock_duration_ms < 0) {
    return Status::InvalidArgument("DequeueOptions.lock_duration_ms must not be negative");
  }
  if (options.max_messages == 0 || options.max_messages > limits::kMaxDequeueBatch) {
    return Status::InvalidArgument("DequeueOptions.max_messages must be 1 to " +
                                   std::to_string(limits::kMaxDequeueBatch) + ", got " +
                                   std::to_string(options.max_messages));
  }
  auto deadline = internal::DeadlineAfter(options.wait);
  const Clock& clock = store.clock();
  for (;;) {
    uint64_t epoch = StoreInternal::QueueEpoch(store, queue);
    ASSIGN_OR_RETURN(DequeueAttempt attempt, StoreInternal::TryDequeue(store, queue, options));
    if (attempt.lease) return std::optional<Lease>(std::move(attempt.lease));
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return std::optional<Lease>();
    auto wake = deadline;
    if (attempt.next_wake_ms) {
      // next_wake_ms may be far away (a visibility near INT64_MAX): saturate, never wrap.
      auto in =
          std::chrono::milliseconds(std::max<int64_t>(*attempt.next_wake_ms - clock.NowMs(), 1));
      wake = std::min(wake, internal::DeadlineAfter(in, now));
    }
    StoreInternal::WaitForQueue(store, queue, epoch, wake);
  }
}

namespace {

// Counts queue `q`'s messages in read transaction `txn` against a copy of its locks: no
// engine mutex is held here, so a long scan never delays a commit.
Result<Counters> CountMessages(MDB_txn* txn, const internal::Tables& t,
                               const internal::QueueInfo& q, const internal::QueueLocks& locks,
                               int64_t now) {
  Counters c;
  c.dead_lettered = q.dead_lettered;
  std::string prefix = internal::QueuePrefix(q.id);
  internal::Cursor cur(txn, t.q_ready);
  MDB_val k, v;
  int rc = cur.Seek(prefix, &k, &v);
  for (; rc == 0 && internal::HasPrefix(internal::View(k), prefix); rc = cur.Next(&k, &v)) {
    ASSIGN_OR_RETURN(internal::ReadyEntry e, internal::ParseReadyKey(internal::View(k)));
    if (e.visible_at > now) {
      ++c.delayed;
      continue;
    }
    if (locks.messages.contains(e.id)) {
      ++c.leased;
      continue;
    }
    if (q.options.group_mode) {
      // A record that does not decode is Corruption here as in FindEligible, not "ready".
      ASSIGN_OR_RETURN(internal::MessageMeta m, internal::LoadMessage(txn, t, e.id));
      if (!m.group_key.empty() && locks.groups.contains(m.group_key)) {
        ++c.leased;  // arrived for a group under a live lease: not deliverable yet
        continue;
      }
    }
    if (c.ready == 0) c.oldest_ready_age_ms = now - e.visible_at;
    ++c.ready;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return internal::LmdbStatus(rc, "scanning queue");
  return c;
}

}  // namespace

Result<Counters> GetCounters(Store& store, std::string_view queue) {
  RETURN_IF_ERROR(internal::ValidateQueueName(queue));
  ASSIGN_OR_RETURN(Env * env, StoreInternal::GetEnv(store));
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  const internal::Tables& t = env->tables();
  ASSIGN_OR_RETURN(internal::QueueInfo q, internal::LoadQueue(txn.get(), t, queue));
  int64_t now = store.clock().NowMs();
  internal::QueueLocks locks;
  {
    internal::LeaseTable& leases = StoreInternal::Leases(store);
    std::lock_guard<std::mutex> lock(leases.mu);
    locks = leases.LiveLocksOf(q.id, now);
  }
  return CountMessages(txn.get(), t, q, locks, now);
}

Result<std::vector<Message>> PeekMessages(Store& store, std::string_view queue,
                                          std::string_view attribute_name,
                                          std::string_view attribute_value, size_t limit) {
  RETURN_IF_ERROR(internal::ValidateQueueName(queue));
  if (attribute_name.empty() || attribute_name.size() > limits::kMaxAttributeName ||
      attribute_value.size() > limits::kMaxAttributeValue) {
    return Status::InvalidArgument(
        "peek: attribute name must be 1.." + std::to_string(limits::kMaxAttributeName) +
        " bytes and value at most " + std::to_string(limits::kMaxAttributeValue));
  }
  ASSIGN_OR_RETURN(Env * env, StoreInternal::GetEnv(store));
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  const internal::Tables& t = env->tables();
  ASSIGN_OR_RETURN(internal::QueueInfo q, internal::LoadQueue(txn.get(), t, queue));
  std::string prefix = internal::AttrPrefix(q.id, attribute_name, attribute_value);
  std::vector<Message> out;
  internal::Cursor cur(txn.get(), t.q_attrs);
  MDB_val k, v;
  int rc = cur.Seek(prefix, &k, &v);
  for (; rc == 0 && out.size() < limit && internal::HasPrefix(internal::View(k), prefix);
       rc = cur.Next(&k, &v)) {
    ASSIGN_OR_RETURN(uint64_t id, internal::AttrIndexId(internal::View(k), prefix));
    ASSIGN_OR_RETURN(internal::MessageMeta m, internal::LoadMessage(txn.get(), t, id));
    ASSIGN_OR_RETURN(auto payload, internal::Get(txn.get(), t.q_payloads, internal::IdKey(id)));
    out.push_back(Message{id, std::string(payload), std::move(m.group_key), std::move(m.attributes),
                          m.delivery_count, m.enqueued_at_ms, m.visible_at_ms});
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return internal::LmdbStatus(rc, "peeking messages");
  return out;
}

Result<QueueOptions> GetQueueOptions(Store& store, std::string_view queue) {
  RETURN_IF_ERROR(internal::ValidateQueueName(queue));
  ASSIGN_OR_RETURN(Env * env, StoreInternal::GetEnv(store));
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  ASSIGN_OR_RETURN(internal::QueueInfo q, internal::LoadQueue(txn.get(), env->tables(), queue));
  return q.options;
}

Result<std::vector<std::string>> ListQueues(Store& store) {
  ASSIGN_OR_RETURN(Env * env, StoreInternal::GetEnv(store));
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  std::vector<std::string> out;
  internal::Cursor cur(txn.get(), env->tables().queues);
  MDB_val k, v;
  int rc = cur.First(&k, &v);
  for (; rc == 0; rc = cur.Next(&k, &v)) out.emplace_back(internal::View(k));
  if (rc != MDB_NOTFOUND) return internal::LmdbStatus(rc, "listing queues");
  return out;
}

}  // namespace durastore::queue
