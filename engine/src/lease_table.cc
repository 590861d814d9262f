// The in-memory lease table (lease_table.h) and lease tokens.
#include "lease_table.h"

#include <cerrno>
#include <cstring>

#include "file_util.h"

namespace durastore::internal {

using queue::LeaseToken;

// ---------------------------------------------------------------------------------------
// LeaseTable: the state, under mu_

QueueLocks LeaseTable::LiveLocksOf(uint32_t queue_id, int64_t now_ms) const {
  MutexLock lock(&mu_);
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

bool LeaseTable::MutexIsFreeForTesting() const {
  if (!mu_.TryLock()) return false;
  mu_.Unlock();
  return true;
}

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

// The undo entries capture the table (the Writer that recorded them may be gone when they
// run) and run under a Writer: the committer runs them only while it holds one.
void LeaseTable::Add(LeaseState lease, UndoLog& undo) {
  Insert(lease);
  undo.push_back([this, token = lease.token]() REQUIRES(mu_) { Erase(token); });
}

void LeaseTable::Remove(const LeaseToken& token, UndoLog& undo) {
  auto it = leases_.find(token);
  if (it == leases_.end()) return;
  undo.push_back([this, copy = it->second]() REQUIRES(mu_) { Insert(copy); });
  Erase(token);
}

void LeaseTable::SetLockedUntil(const LeaseToken& token, int64_t until_ms, UndoLog& undo) {
  auto it = leases_.find(token);
  if (it == leases_.end()) return;
  undo.push_back([this, token, old = it->second.locked_until_ms]() REQUIRES(mu_) {
    auto l = leases_.find(token);
    if (l != leases_.end()) l->second.locked_until_ms = old;
  });
  it->second.locked_until_ms = until_ms;
}

void LeaseTable::DropExpired(int64_t now_ms) {
  std::vector<LeaseToken> expired;
  for (const auto& [token, lease] : leases_) {
    if (lease.locked_until_ms <= now_ms) expired.push_back(token);
  }
  for (const auto& token : expired) Erase(token);
}

bool LeaseTable::RunUnlocked(const std::function<bool()>& fn) {
  MutexUnlock unlock(&mu_);
  return fn();
}

// ---------------------------------------------------------------------------------------
// LeaseTable::Writer: a Writer exists only while it holds table_.mu_ (its constructor
// takes it, its destructor releases it, it cannot be copied or moved), so each method
// asserts the mutex to the analysis and forwards.

const LeaseState* LeaseTable::Writer::LeaseOfMessage(uint64_t id) const {
  table_.mu_.AssertHeld();
  return table_.LeaseOfMessage(id);
}

const LeaseState* LeaseTable::Writer::LeaseOfGroup(uint32_t queue_id,
                                                   const std::string& group) const {
  table_.mu_.AssertHeld();
  return table_.LeaseOfGroup(queue_id, group);
}

const LeaseState* LeaseTable::Writer::LiveLeaseOfMessage(uint64_t id, int64_t now_ms) const {
  const LeaseState* l = LeaseOfMessage(id);
  return l != nullptr && l->locked_until_ms > now_ms ? l : nullptr;
}

const LeaseState* LeaseTable::Writer::LiveLeaseOfGroup(uint32_t queue_id, const std::string& group,
                                                       int64_t now_ms) const {
  const LeaseState* l = LeaseOfGroup(queue_id, group);
  return l != nullptr && l->locked_until_ms > now_ms ? l : nullptr;
}

const LeaseState* LeaseTable::Writer::Find(const LeaseToken& token) const {
  table_.mu_.AssertHeld();
  auto it = table_.leases_.find(token);
  return it == table_.leases_.end() ? nullptr : &it->second;
}

void LeaseTable::Writer::Add(LeaseState lease, UndoLog& undo) {
  table_.mu_.AssertHeld();
  table_.Add(std::move(lease), undo);
}

void LeaseTable::Writer::Remove(const LeaseToken& token, UndoLog& undo) {
  table_.mu_.AssertHeld();
  table_.Remove(token, undo);
}

void LeaseTable::Writer::SetLockedUntil(const LeaseToken& token, int64_t until_ms, UndoLog& undo) {
  table_.mu_.AssertHeld();
  table_.SetLockedUntil(token, until_ms, undo);
}

void LeaseTable::Writer::DropExpired(int64_t now_ms) {
  table_.mu_.AssertHeld();
  table_.DropExpired(now_ms);
}

bool LeaseTable::Writer::RunUnlocked(const std::function<bool()>& fn) {
  table_.mu_.AssertHeld();
  return table_.RunUnlocked(fn);
}

// ---------------------------------------------------------------------------------------
// Tokens

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
    if (n == 0) return Status::IOError("getrandom for a lease token returned no bytes");
    return Status::IOError(ErrnoMessage("getrandom for a lease token", err));
  }
  return t;
}

}  // namespace durastore::internal
