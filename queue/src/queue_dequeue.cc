// Dequeue: which message is eligible (visibility, leases, group locks, filters, the accept
// predicate, max_deliveries), the lease the committer grants for it (ApplyDequeue), and
// the public Dequeue, which submits attempts and long-polls between them.
#include <algorithm>
#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apply.h"
#include "durastore/limits.h"
#include "durastore/queue.h"
#include "durastore/store.h"
#include "lease_table.h"
#include "queue_codec.h"
#include "queue_write.h"
#include "status_macros.h"
#include "time_math.h"

namespace durastore::internal {
namespace {

using queue::Attribute;

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

struct Pick {
  uint64_t id = 0;
  MessageMeta meta;
};

// Runs the caller's accept predicate. An exception must not escape: it would unwind
// through the committer thread and terminate the process. It becomes `error` (the
// dequeue then fails with InvalidArgument; the lease table's mutex is taken back by
// RunUnlocked's scope either way) and the candidate is not accepted.
bool CallAccept(const std::function<bool(const queue::Candidate&)>& accept,
                const queue::Candidate& candidate, std::optional<std::string>& error) noexcept {
  try {
    return accept(candidate);
  } catch (const std::exception& e) {
    error = std::string("DequeueOptions.accept threw: ") + e.what();
  } catch (...) {
    error = "DequeueOptions.accept threw an exception not derived from std::exception";
  }
  return false;
}

// Scans the queue's visibility index, from ready-index key `from` (empty: the start), for
// the oldest eligible message. Messages over max_deliveries are dead-lettered on the way.
// Nothing is locked or counted here. The accept predicate runs without the lease mutex
// (LeaseTable::Writer::RunUnlocked); no LeaseState pointer is held across it.
Result<std::optional<Pick>> FindEligible(WriteContext& ctx, LeaseTable::Writer& leases,
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
  std::optional<std::string> accept_error;
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
            PassesFilter(options.filter, m) && (!options.accept || leases.RunUnlocked([&] {
              return CallAccept(options.accept, CandidateView(ctx.txn, t, id, m), accept_error);
            }));
        if (accept_error) return Status::InvalidArgument(*std::move(accept_error));
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

using Taken = std::vector<std::pair<uint64_t, MessageMeta>>;

// The messages a lease on `pick` takes: in group mode every visible message of its group,
// in id order; otherwise `pick` and the next eligible messages after it, in index order,
// up to options.max_messages.
Result<Taken> TakeWith(WriteContext& ctx, LeaseTable::Writer& leases, std::string_view queue,
                       QueueInfo& q, const queue::DequeueOptions& options, Pick pick) {
  const Tables& t = *ctx.tables;
  Taken taken;
  taken.emplace_back(pick.id, std::move(pick.meta));
  const std::string group = taken[0].second.group_key;
  if (q.options.group_mode && !group.empty()) {
    ASSIGN_OR_RETURN(std::vector<uint64_t> ids,
                     IndexIds(ctx.txn, t.q_groups, GroupPrefix(q.id, group), "queue group-index"));
    for (uint64_t id : ids) {
      if (id == pick.id) continue;
      ASSIGN_OR_RETURN(MessageMeta m, LoadMessage(ctx.txn, t, id));
      if (m.visible_at_ms <= ctx.now_ms) taken.emplace_back(id, std::move(m));
    }
    std::sort(taken.begin(), taken.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return taken;
  }
  std::optional<int64_t> unused_wake;  // a lease is returned, so no wake-up is needed
  while (taken.size() < options.max_messages) {
    const auto& [last_id, last] = taken.back();
    ASSIGN_OR_RETURN(auto next, FindEligible(ctx, leases, queue, q, options, unused_wake,
                                             ReadyKey(q.id, last.visible_at_ms, last_id + 1)));
    if (!next) break;
    taken.emplace_back(next->id, std::move(next->meta));
  }
  return taken;
}

}  // namespace

Result<DequeueAttempt> ApplyDequeue(WriteContext& ctx, LeaseTable::Writer& leases,
                                    std::string_view queue, const queue::DequeueOptions& options) {
  const Tables& t = *ctx.tables;
  DequeueAttempt out;
  ASSIGN_OR_RETURN(auto found, FindQueue(ctx.txn, t, queue));
  if (!found) return out;
  QueueInfo q = std::move(*found);
  if (q.options.group_mode && options.max_messages > 1) {
    return Status::InvalidArgument("DequeueOptions.max_messages must be 1 for group-mode queue '" +
                                   Printable(queue) + "' (a lease there is one group)");
  }
  ASSIGN_OR_RETURN(auto pick, FindEligible(ctx, leases, queue, q, options, out.next_wake_ms));
  if (!pick) return out;

  const bool grouped = q.options.group_mode && !pick->meta.group_key.empty();
  const std::string group = pick->meta.group_key;
  ASSIGN_OR_RETURN(Taken taken, TakeWith(ctx, leases, queue, q, options, std::move(*pick)));

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
    lease.message_ids.push_back(id);
    ASSIGN_OR_RETURN(queue::Message delivered, LoadDelivered(ctx.txn, t, id, std::move(m)));
    result.messages.push_back(std::move(delivered));
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

namespace durastore::queue {

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
  if (options.wait.count() < 0) {
    return Status::InvalidArgument("DequeueOptions.wait must not be negative, got " +
                                   std::to_string(options.wait.count()) + " ms");
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
      ASSIGN_OR_RETURN(const int64_t now_ms, internal::ReadClock(clock));
      auto in = std::chrono::milliseconds(std::max<int64_t>(*attempt.next_wake_ms - now_ms, 1));
      wake = std::min(wake, internal::DeadlineAfter(in, now));
    }
    StoreInternal::WaitForQueue(store, queue, epoch, wake);
  }
}

}  // namespace durastore::queue
