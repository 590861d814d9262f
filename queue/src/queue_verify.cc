// The queues' index checks for Store::Verify (engine/src/verify.h): every message against
// its queue, payload and index entries, and every index entry and payload against its
// message.
#include <map>
#include <string>

#include "batch_rep.h"
#include "queue_codec.h"
#include "status_macros.h"
#include "verify.h"

namespace durastore::internal {
namespace {

bool Present(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
  auto v = GetIfPresent(txn, dbi, key);
  return v.ok() && v->has_value();
}

// The message an index entry ends with, if it exists in queue `qid`.
std::optional<MessageMeta> MessageOfEntry(MDB_txn* txn, const Tables& t, std::string_view key) {
  if (key.size() < 12) return std::nullopt;
  auto m = FindMessage(txn, t, GetU64(key, key.size() - 8));
  if (!m.ok() || !m->has_value() || (*m)->queue_id != GetU32(key)) return std::nullopt;
  return std::move(**m);
}

void CheckMessage(MDB_txn* txn, const Tables& t, const Sequences& seqs,
                  const std::map<uint32_t, std::string>& queues, std::string_view key,
                  std::string_view v, VerifySink& sink) {
  if (key.size() != 8) return sink.Problem("q_msgs", key, "bad key length");
  auto m = DecodeMessage(v);
  if (!m.ok()) return sink.Problem("q_msgs", key, m.status().ToString());
  const uint64_t id = GetU64(key);
  if (id >= seqs.next_message_id) sink.Problem("q_msgs", key, "message id past its counter");
  if (!queues.contains(m->queue_id)) sink.Problem("q_msgs", key, "its queue does not exist");
  if (!Present(txn, t.q_payloads, key)) sink.Problem("q_msgs", key, "no payload");
  if (!Present(txn, t.q_ready, ReadyKey(m->queue_id, m->visible_at_ms, id))) {
    sink.Problem("q_msgs", key, "no q_ready entry");
  }
  if (!m->group_key.empty() &&
      !Present(txn, t.q_groups, GroupPrefix(m->queue_id, m->group_key) + IdKey(id))) {
    sink.Problem("q_msgs", key, "no q_groups entry");
  }
  for (const queue::Attribute& a : m->attributes) {
    if (!Present(txn, t.q_attrs, AttrPrefix(m->queue_id, a.name, a.value) + IdKey(id))) {
      sink.Problem("q_msgs", key, "no q_attrs entry for attribute '" + Printable(a.name) + "'");
    }
  }
}

}  // namespace

Status VerifyQueues(MDB_txn* txn, const Tables& t, const Sequences& seqs, VerifySink& sink) {
  std::map<uint32_t, std::string> queues;  // id -> name
  RETURN_IF_ERROR(
      ForEachRecord(txn, t.queues, "queues", sink, [&](std::string_view k, std::string_view v) {
        auto q = DecodeQueue(v);
        if (!q.ok()) return sink.Problem("queues", k, q.status().ToString());
        if (q->id >= seqs.next_queue_id) sink.Problem("queues", k, "queue id past its counter");
        if (!queues.emplace(q->id, std::string(k)).second) {
          sink.Problem("queues", k, "queue id " + std::to_string(q->id) + " is used twice");
        }
      }));
  RETURN_IF_ERROR(
      ForEachRecord(txn, t.q_msgs, "q_msgs", sink, [&](std::string_view k, std::string_view v) {
        CheckMessage(txn, t, seqs, queues, k, v, sink);
      }));
  RETURN_IF_ERROR(ForEachRecord(txn, t.q_payloads, "q_payloads", sink,
                                [&](std::string_view k, std::string_view) {
                                  if (!Present(txn, t.q_msgs, k))
                                    sink.Problem("q_payloads", k, "no message");
                                }));
  RETURN_IF_ERROR(
      ForEachRecord(txn, t.q_ready, "q_ready", sink, [&](std::string_view k, std::string_view) {
        auto e = ParseReadyKey(k);
        auto m = MessageOfEntry(txn, t, k);
        if (!e.ok() || !m || ReadyKey(m->queue_id, m->visible_at_ms, e->id) != k) {
          sink.Problem("q_ready", k, "no message of this queue with this visibility");
        }
      }));
  RETURN_IF_ERROR(
      ForEachRecord(txn, t.q_groups, "q_groups", sink, [&](std::string_view k, std::string_view) {
        auto m = MessageOfEntry(txn, t, k);
        if (!m || GroupPrefix(m->queue_id, m->group_key) + IdKey(GetU64(k, k.size() - 8)) != k) {
          sink.Problem("q_groups", k, "no message of this queue in this group");
        }
      }));
  return ForEachRecord(txn, t.q_attrs, "q_attrs", sink, [&](std::string_view k, std::string_view) {
    auto m = MessageOfEntry(txn, t, k);
    bool found = false;
    if (m) {
      for (const queue::Attribute& a : m->attributes) {
        found |= AttrPrefix(m->queue_id, a.name, a.value) + IdKey(GetU64(k, k.size() - 8)) == k;
      }
    }
    if (!found) sink.Problem("q_attrs", k, "no message of this queue with this attribute");
  });
}

}  // namespace durastore::internal
