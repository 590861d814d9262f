// Internals shared by the Provider's two translation units: provider.cc (orchestrations,
// history, enqueue, client reads) and work_items.cc (work items and sessions).
#ifndef DURASTORE_ORCHESTRATION_PROVIDER_INTERNAL_H_
#define DURASTORE_ORCHESTRATION_PROVIDER_INTERNAL_H_

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "batch_rep.h"
#include "durastore/batch.h"
#include "durastore/orchestration/provider.h"
#include "durastore/queue.h"
#include "records.h"
#include "status_macros.h"
#include "time_math.h"

namespace durastore::orchestration {
namespace internal {

using ::durastore::internal::ValidateLength;  // (batch_rep.h: one message per naming rule)

// InvalidArgument past kMaxName bytes.
Status ValidateName(std::string_view what, std::string_view value);
// InvalidArgument unless 1..kMaxKvKey bytes.
Status ValidateKvKey(std::string_view key);
// InvalidArgument unless ms > 0.
Status ValidatePositive(std::string_view what, int64_t ms);
// InvalidArgument for a negative delay.
Status ValidateDelay(std::optional<int64_t> delay_ms);
// The value of attribute `name`, or nullptr.
const std::string* FindAttribute(const std::vector<queue::Attribute>& attrs, std::string_view name);

// Add the enqueue of an item to `batch` after validating it (the layout is in records.h).
// Orchestrator items are visible at max(now + delay, item.visible_at_ms).
Status AddOrchestratorEnqueue(Batch& batch, const OrchestratorItem& item, int64_t now_ms,
                              std::optional<int64_t> delay_ms);
Status AddWorkerEnqueue(Batch& batch, const WorkerItem& item);

// The mutex that serializes the read-modify-writes of `store`'s session records: one per
// Store, shared by every Provider of that Store, so unrelated Stores never wait for each
// other. It lives while a Provider holds it.
std::shared_ptr<std::mutex> SessionMutexOf(Store& store);

// A lock this Provider handed out, by token.
struct OrchLock {
  queue::LeaseToken lease;
  std::string instance;
  uint64_t execution_id = 0;
  std::string name;
  std::string version;
  int64_t locked_until_ms = 0;
};

struct WorkLock {
  queue::LeaseToken lease;
  std::optional<std::string> session;
  int64_t locked_until_ms = 0;
};

}  // namespace internal

struct DURASTORE_NO_EXPORT Provider::State {
  std::shared_ptr<std::mutex> session_mu;  // internal::SessionMutexOf(the store)
  std::mutex mu;
  std::unordered_map<std::string, internal::OrchLock> orch;  // guarded by mu
  std::unordered_map<std::string, internal::WorkLock> work;  // guarded by mu
  size_t inserts_since_sweep = 0;                            // guarded by mu

  // Drops locks that expired (they can no longer be settled) every so often, so a
  // runtime that lets locks lapse does not grow the maps. Call with mu held.
  void MaybeSweep(int64_t now_ms) {
    if (++inserts_since_sweep < 1024) return;
    inserts_since_sweep = 0;
    std::erase_if(orch, [&](const auto& kv) { return kv.second.locked_until_ms <= now_ms; });
    std::erase_if(work, [&](const auto& kv) { return kv.second.locked_until_ms <= now_ms; });
  }

  // A copy of the lock of `token`; LockLost (naming the token) when there is none.
  template <typename Map>
  Result<typename Map::mapped_type> Find(Map& map, std::string_view token) {
    std::lock_guard guard(mu);
    auto it = map.find(std::string(token));
    if (it == map.end()) {
      return Status::LockLost("Invalid lock token " + std::string(token) +
                              ": unknown, expired or already settled");
    }
    return it->second;
  }

  template <typename Map>
  void Forget(Map& map, std::string_view token) {
    std::lock_guard guard(mu);
    map.erase(std::string(token));
  }

  // Abandon and renew are the same for both lock kinds: one engine settlement, then the
  // lock is forgotten (abandon) or its expiry moved (renew).
  template <typename Map>
  Status Abandon(Store& store, Map& map, std::string_view token, std::optional<int64_t> delay_ms,
                 bool ignore_attempt) {
    RETURN_IF_ERROR(internal::ValidateDelay(delay_ms));
    ASSIGN_OR_RETURN(auto lock, Find(map, token));
    Batch batch;
    batch.Abandon(lock.lease, delay_ms.value_or(0), !ignore_attempt);
    auto committed = store.Commit(std::move(batch));
    if (!committed.ok()) return internal::LockError(token, committed.status());
    Forget(map, token);
    return Status::OK();
  }

  template <typename Map>
  Status Renew(Store& store, Map& map, std::string_view token, int64_t extend_ms) {
    RETURN_IF_ERROR(internal::ValidatePositive("lock extension", extend_ms));
    ASSIGN_OR_RETURN(auto lock, Find(map, token));
    Batch batch;
    batch.Renew(lock.lease, extend_ms);
    ASSIGN_OR_RETURN(const int64_t now, ::durastore::internal::ReadClock(store.clock()));
    const int64_t until = ::durastore::internal::AddMs(now, extend_ms);
    auto committed = store.Commit(std::move(batch));
    if (!committed.ok()) return internal::LockError(token, committed.status());
    Extend(map, token, until);
    return Status::OK();
  }

  // Records a renewal's new expiry (for the sweep).
  template <typename Map>
  void Extend(Map& map, std::string_view token, int64_t until_ms) {
    std::lock_guard guard(mu);
    if (auto it = map.find(std::string(token)); it != map.end()) {
      it->second.locked_until_ms = std::max(it->second.locked_until_ms, until_ms);
    }
  }
};

}  // namespace durastore::orchestration

#endif  // DURASTORE_ORCHESTRATION_PROVIDER_INTERNAL_H_
