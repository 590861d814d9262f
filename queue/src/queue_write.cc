// The queues' write path: enqueue, configure, settle (ack, abandon, renew, dead-letter) and
// delete by attribute, applied by the committer inside the group's write transaction, and
// the message writes they share with the dequeue (queue_write.h).
#include "queue_write.h"

#include <string>
#include <utility>
#include <vector>

#include "apply.h"
#include "durastore/limits.h"
#include "lease_table.h"
#include "status_macros.h"
#include "time_math.h"

namespace durastore::internal {
namespace {

using queue::Attribute;
using queue::LeaseToken;

constexpr std::string_view kReasonAttribute = "dead-letter-reason";
constexpr std::string_view kFromAttribute = "dead-letter-from";

// The ready, group and attribute index entries of message `id` (table, key; values are
// empty), so that writing and deleting them cannot disagree.
std::vector<std::pair<MDB_dbi, std::string>> IndexEntries(const Tables& t, uint64_t id,
                                                          const MessageMeta& m) {
  std::vector<std::pair<MDB_dbi, std::string>> out;
  out.emplace_back(t.q_ready, ReadyKey(m.queue_id, m.visible_at_ms, id));
  if (!m.group_key.empty()) {
    out.emplace_back(t.q_groups, GroupPrefix(m.queue_id, m.group_key) + IdKey(id));
  }
  for (const Attribute& a : m.attributes) {
    out.emplace_back(t.q_attrs, AttrPrefix(m.queue_id, a.name, a.value) + IdKey(id));
  }
  return out;
}

Status DelIndexes(WriteContext& ctx, uint64_t id, const MessageMeta& m) {
  for (const auto& [dbi, key] : IndexEntries(*ctx.tables, id, m)) {
    RETURN_IF_ERROR(Del(ctx.txn, dbi, key));
  }
  return Status::OK();
}

Status DeleteMessage(WriteContext& ctx, uint64_t id, const MessageMeta& m) {
  RETURN_IF_ERROR(DelIndexes(ctx, id, m));
  RETURN_IF_ERROR(Del(ctx.txn, ctx.tables->q_msgs, IdKey(id)));
  return Del(ctx.txn, ctx.tables->q_payloads, IdKey(id));
}

Result<QueueInfo> LoadOrCreateQueue(WriteContext& ctx, std::string_view name) {
  ASSIGN_OR_RETURN(auto q, FindQueue(ctx.txn, *ctx.tables, name));
  if (q) return std::move(*q);
  QueueInfo info;
  info.id = ctx.seq->next_queue_id++;
  RETURN_IF_ERROR(Put(ctx.txn, ctx.tables->queues, name, EncodeQueue(info)));
  return info;
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

Status LockLostUnknown(const LeaseToken& token) {
  return Status::LockLost("lease " + token.ToHex() +
                          " is not held: it was never issued, was already settled, expired and "
                          "was superseded, or its messages were deleted");
}

// The live lease for `token`, or LockLost.
Result<const LeaseState*> FindLive(LeaseTable::Writer& leases, const LeaseToken& token,
                                   int64_t now_ms) {
  const LeaseState* lease = leases.Find(token);
  if (lease == nullptr) return LockLostUnknown(token);
  if (lease->locked_until_ms <= now_ms) {
    return Status::LockLost("lease " + token.ToHex() + " expired at " +
                            std::to_string(lease->locked_until_ms) + " ms (now " +
                            std::to_string(now_ms) + " ms)");
  }
  return lease;
}

}  // namespace

Status PutIndexes(WriteContext& ctx, uint64_t id, const MessageMeta& m) {
  RETURN_IF_ERROR(Put(ctx.txn, ctx.tables->q_msgs, IdKey(id), EncodeMessage(m)));
  for (const auto& [dbi, key] : IndexEntries(*ctx.tables, id, m)) {
    RETURN_IF_ERROR(Put(ctx.txn, dbi, key, ""));
  }
  return Status::OK();
}

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

Status ApplySettle(WriteContext& ctx, LeaseTable::Writer& leases, const SettleOp& op) {
  ASSIGN_OR_RETURN(const LeaseState* lease, FindLive(leases, op.token, ctx.now_ms));
  const Tables& t = *ctx.tables;
  if (op.kind == SettleKind::kRenew) {
    leases.SetLockedUntil(op.token, AddMs(ctx.now_ms, op.ms), ctx.undo);
    return Status::OK();
  }

  std::string queue_name = lease->queue;
  std::vector<std::pair<uint64_t, MessageMeta>> messages;
  for (uint64_t id : lease->message_ids) {
    ASSIGN_OR_RETURN(auto m, FindMessage(ctx.txn, t, id));
    if (!m) {
      return Status::LockLost("lease " + op.token.ToHex() + ": message " + std::to_string(id) +
                              " was deleted while leased");
    }
    messages.emplace_back(id, std::move(*m));
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

Status ApplyDeleteMessages(WriteContext& ctx, LeaseTable::Writer& leases,
                           const DeleteMessagesOp& op) {
  ASSIGN_OR_RETURN(auto q, FindQueue(ctx.txn, *ctx.tables, op.queue));
  if (!q) return Status::OK();
  ASSIGN_OR_RETURN(std::vector<uint64_t> ids,
                   IndexIds(ctx.txn, ctx.tables->q_attrs, AttrPrefix(q->id, op.name, op.value),
                            "queue attribute-index"));
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

}  // namespace durastore::internal
