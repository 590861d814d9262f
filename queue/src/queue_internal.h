// The queues' write path and their in-memory lease table, used by the committer.
#ifndef DURASTORE_QUEUE_INTERNAL_H_
#define DURASTORE_QUEUE_INTERNAL_H_

#include <sys/random.h>

#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "apply.h"
#include "batch_rep.h"
#include "durastore/queue.h"
#include "store_internal.h"
#include "write_context.h"

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

// The live locks of one queue at one moment: copied under LeaseTable::mu so that a reader
// scans the queue afterwards without holding the mutex the committer needs.
struct QueueLocks {
  std::unordered_set<uint64_t> messages;  // ids under a live lease
  std::set<std::string> groups;           // group keys under a live group lease
};

// Leases live only in memory (they do not survive a restart, by design). Written only by
// the committer thread while it holds `mu`; readers take `mu` only to copy what they need
// (LiveLocksOf), never for a scan of the store.
class LeaseTable {
 public:
  std::mutex mu;

  // The live locks of queue `queue_id` (caller holds `mu`). O(leases in the table).
  QueueLocks LiveLocksOf(uint32_t queue_id, int64_t now_ms) const;

  // The lease (live or expired) holding message `id` / group, or nullptr.
  const LeaseState* LeaseOfMessage(uint64_t id) const;
  const LeaseState* LeaseOfGroup(uint32_t queue_id, const std::string& group) const;
  // The live lease holding message `id`, or nullptr.
  const LeaseState* LiveLeaseOfMessage(uint64_t id, int64_t now_ms) const;
  // The live lease holding group (queue_id, group), or nullptr.
  const LeaseState* LiveLeaseOfGroup(uint32_t queue_id, const std::string& group,
                                     int64_t now_ms) const;
  LeaseState* Find(const queue::LeaseToken& token);

  // Adds or removes a lease and its message/group locks, recording the inverse in `undo`.
  void Add(LeaseState lease, std::vector<std::function<void()>>& undo);
  void Remove(const queue::LeaseToken& token, std::vector<std::function<void()>>& undo);
  // Forgets every lease that expired before `now_ms` (they can never be settled).
  void DropExpired(int64_t now_ms);
  size_t size() const { return leases_.size(); }

 private:
  void Insert(const LeaseState& lease);
  void Erase(const queue::LeaseToken& token);

  std::unordered_map<queue::LeaseToken, LeaseState, TokenHash> leases_;
  std::unordered_map<uint64_t, queue::LeaseToken> locked_msgs_;
  std::map<std::pair<uint32_t, std::string>, queue::LeaseToken> locked_groups_;
};

// A fresh random lease token from `random` (getrandom's signature; the parameter is the
// test seam). Retries EINTR; any other failure is an IOError, never a retry loop.
using RandomSource = ssize_t (*)(void* buf, size_t len, unsigned flags);
Result<queue::LeaseToken> NewToken(RandomSource random = ::getrandom);

// The write path (ApplyEnqueue, ApplyConfigureQueue, ApplySettle, ApplyDeleteMessages,
// ApplyDequeue) is declared in engine/src/apply.h.

}  // namespace durastore::internal

#endif  // DURASTORE_QUEUE_INTERNAL_H_
