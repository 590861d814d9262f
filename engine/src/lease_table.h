// The in-memory lease table: which queue messages and groups are locked, by which lease
// token, until when. The engine owns it (one per Store, Store::Impl::leases_); the queue
// component reads and changes it through a LeaseTable::Writer the committer hands down.
// Leases are never stored: a restart unlocks every message, by design.
#ifndef DURASTORE_ENGINE_LEASE_TABLE_H_
#define DURASTORE_ENGINE_LEASE_TABLE_H_

#include <sys/random.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "durastore/queue_types.h"
#include "durastore/status.h"
#include "thread_annotations.h"

namespace durastore::internal {

struct TokenHash {
  size_t operator()(const queue::LeaseToken& t) const {
    size_t h;
    std::memcpy(&h, t.bytes.data(), sizeof(h));  // the token is random: any 8 bytes hash well
    return h;
  }
};

struct LeaseState {
  queue::LeaseToken token;
  uint32_t queue_id = 0;
  std::string queue;
  bool grouped = false;
  std::string group_key;
  std::vector<uint64_t> message_ids;
  int64_t locked_until_ms = 0;
};

// The live locks of one queue at one moment, copied under the table's mutex so that a
// reader scans the queue afterwards without holding the mutex the committer needs.
struct QueueLocks {
  std::unordered_set<uint64_t> messages;  // ids under a live lease
  std::set<std::string> groups;           // group keys under a live group lease
};

// In-memory changes made while applying a batch, run in reverse if it rolls back
// (WriteContext::undo). The lease table's entries must run under a LeaseTable::Writer.
using UndoLog = std::vector<std::function<void()>>;

// Thread-safety: the table's mutex is private. The committer thread is the only writer:
// it takes a Writer once per group (and once to drop expired leases, and once to undo a
// group), and every lookup and change goes through that Writer. Readers on other
// threads take the mutex only inside LiveLocksOf, which copies what they need, so a
// reader never scans the store under it and never delays a commit for long.
class LeaseTable {
 public:
  class Writer;

  // The live locks of queue `queue_id` at `now_ms`, copied under the mutex (which must not
  // be held by the caller). O(leases in the table).
  QueueLocks LiveLocksOf(uint32_t queue_id, int64_t now_ms) const EXCLUDES(mu_);

  // For tests: true if nobody holds the mutex at this instant.
  bool MutexIsFreeForTesting() const EXCLUDES(mu_);

 private:
  const LeaseState* LeaseOfMessage(uint64_t id) const REQUIRES(mu_);
  const LeaseState* LeaseOfGroup(uint32_t queue_id, const std::string& group) const REQUIRES(mu_);
  void Insert(const LeaseState& lease) REQUIRES(mu_);
  void Erase(const queue::LeaseToken& token) REQUIRES(mu_);
  void Add(LeaseState lease, UndoLog& undo) REQUIRES(mu_);
  void Remove(const queue::LeaseToken& token, UndoLog& undo) REQUIRES(mu_);
  void SetLockedUntil(const queue::LeaseToken& token, int64_t until_ms, UndoLog& undo)
      REQUIRES(mu_);
  void DropExpired(int64_t now_ms) REQUIRES(mu_);
  bool RunUnlocked(const std::function<bool()>& fn) REQUIRES(mu_);

  mutable Mutex mu_;
  std::unordered_map<queue::LeaseToken, LeaseState, TokenHash> leases_ GUARDED_BY(mu_);
  std::unordered_map<uint64_t, queue::LeaseToken> locked_msgs_ GUARDED_BY(mu_);
  std::map<std::pair<uint32_t, std::string>, queue::LeaseToken> locked_groups_ GUARDED_BY(mu_);
};

// The committer's hold on the table: takes the mutex when constructed and releases it
// when destroyed; every lookup and change of the table goes through it. Neither copyable
// nor movable, so holding a Writer (or a reference to one) means holding the mutex; its
// methods assert that to the analysis. The pointers it returns point into the table and
// are valid until the table next changes or the Writer is gone (or RunUnlocked runs).
// The undo entries it records capture the table, not the Writer: they run under a later
// Writer (the committer's UndoGroup) or under this one.
class SCOPED_CAPABILITY LeaseTable::Writer {
 public:
  explicit Writer(LeaseTable& table) ACQUIRE(table.mu_) : table_(table) { table_.mu_.Lock(); }
  ~Writer() RELEASE() { table_.mu_.Unlock(); }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // The lease (live or expired) holding message `id` / group, or nullptr.
  const LeaseState* LeaseOfMessage(uint64_t id) const;
  const LeaseState* LeaseOfGroup(uint32_t queue_id, const std::string& group) const;
  // The live lease holding message `id` / group (queue_id, group) at `now_ms`, or nullptr.
  const LeaseState* LiveLeaseOfMessage(uint64_t id, int64_t now_ms) const;
  const LeaseState* LiveLeaseOfGroup(uint32_t queue_id, const std::string& group,
                                     int64_t now_ms) const;
  // The lease issued as `token` (live or expired), or nullptr.
  const LeaseState* Find(const queue::LeaseToken& token) const;

  // Adds a lease / removes one (a no-op for an unknown token) with its message and group
  // locks, or moves a lease's expiry; each records its inverse in `undo`.
  void Add(LeaseState lease, UndoLog& undo);
  void Remove(const queue::LeaseToken& token, UndoLog& undo);
  void SetLockedUntil(const queue::LeaseToken& token, int64_t until_ms, UndoLog& undo);
  // Forgets every lease that expired before `now_ms` (they can never be settled). Not undone.
  void DropExpired(int64_t now_ms);

  // Runs `fn` (caller code: a dequeue's accept predicate) with the mutex released, and
  // takes it back before returning, also if `fn` throws. Caller code must not run under an
  // engine lock: it may call GetCounters (which takes the mutex) or be slow and stall
  // every reader. Only the committer thread changes the table, and it is running this, so
  // the table does not change meanwhile; still, hold no pointer from above across it.
  bool RunUnlocked(const std::function<bool()>& fn);

 private:
  LeaseTable& table_;
};

// A fresh random lease token from `random` (getrandom's signature; the parameter is the
// test seam). Retries EINTR; any other failure is an IOError, never a retry loop (this
// runs on the committer thread, under a Writer).
using RandomSource = ssize_t (*)(void* buf, size_t len, unsigned flags);
Result<queue::LeaseToken> NewToken(RandomSource random = ::getrandom);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_LEASE_TABLE_H_
