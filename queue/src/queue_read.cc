// The queues' reads (durastore/queue.h): counters, peeking by attribute, browsing,
// options and the list of queues. Each runs in its own read transaction and never blocks a commit:
// the counters take the lease table's mutex only to copy a queue's live locks.
#include <string>
#include <vector>

#include "batch_rep.h"
#include "durastore/limits.h"
#include "durastore/queue.h"
#include "durastore/store.h"
#include "lease_table.h"
#include "queue_codec.h"
#include "status_macros.h"
#include "store_internal.h"
#include "time_math.h"

namespace durastore::queue {
namespace {

using internal::Env;

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
  ASSIGN_OR_RETURN(const int64_t now, internal::ReadClock(store.clock()));
  // A copy of the live locks, taken under the lease mutex: the scan runs without it.
  internal::QueueLocks locks = StoreInternal::Leases(store).LiveLocksOf(q.id, now);
  return CountMessages(txn.get(), t, q, locks, now);
}

Result<std::vector<Message>> PeekMessages(Store& store, std::string_view queue,
                                          std::string_view attribute_name,
                                          std::string_view attribute_value, size_t limit) {
  RETURN_IF_ERROR(internal::ValidateQueueName(queue));
  RETURN_IF_ERROR(internal::ValidateAttribute(attribute_name, attribute_value));
  ASSIGN_OR_RETURN(Env * env, StoreInternal::GetEnv(store));
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  const internal::Tables& t = env->tables();
  ASSIGN_OR_RETURN(internal::QueueInfo q, internal::LoadQueue(txn.get(), t, queue));
  ASSIGN_OR_RETURN(std::vector<uint64_t> ids,
                   internal::IndexIds(txn.get(), t.q_attrs,
                                      internal::AttrPrefix(q.id, attribute_name, attribute_value),
                                      "queue attribute-index", limit));
  std::vector<Message> out;
  for (uint64_t id : ids) {
    ASSIGN_OR_RETURN(internal::MessageMeta m, internal::LoadMessage(txn.get(), t, id));
    ASSIGN_OR_RETURN(Message message, internal::LoadDelivered(txn.get(), t, id, std::move(m)));
    out.push_back(std::move(message));
  }
  return out;
}

Result<BrowsePage> BrowseQueue(Store& store, std::string_view queue, size_t limit,
                               std::optional<BrowsePosition> after) {
  RETURN_IF_ERROR(internal::ValidateQueueName(queue));
  if (limit == 0) return Status::InvalidArgument("BrowseQueue limit must be at least 1");
  ASSIGN_OR_RETURN(Env * env, StoreInternal::GetEnv(store));
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  const internal::Tables& t = env->tables();
  ASSIGN_OR_RETURN(internal::QueueInfo q, internal::LoadQueue(txn.get(), t, queue));
  const std::string prefix = internal::QueuePrefix(q.id);
  const std::string after_key =
      after ? internal::ReadyKey(q.id, after->visible_at_ms, after->id) : std::string();
  BrowsePage page;
  internal::ReadyEntry last;  // the key of the last message returned
  internal::Cursor cur(txn.get(), t.q_ready);
  MDB_val k, v;
  int rc = cur.Seek(after ? after_key : prefix, &k, &v);
  if (rc == 0 && after && internal::View(k) == after_key) rc = cur.Next(&k, &v);
  for (; rc == 0 && internal::HasPrefix(internal::View(k), prefix); rc = cur.Next(&k, &v)) {
    ASSIGN_OR_RETURN(internal::ReadyEntry e, internal::ParseReadyKey(internal::View(k)));
    if (page.messages.size() == limit) {
      page.next_after = BrowsePosition{last.visible_at, last.id};
      break;
    }
    last = e;
    ASSIGN_OR_RETURN(internal::MessageMeta m, internal::LoadMessage(txn.get(), t, e.id));
    ASSIGN_OR_RETURN(Message message, internal::LoadDelivered(txn.get(), t, e.id, std::move(m)));
    page.messages.push_back(std::move(message));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return internal::LmdbStatus(rc, "browsing queue");
  return page;
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
