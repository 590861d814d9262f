// Provider: work items (activities) and sessions. See provider.cc for orchestrations and
// docs/orchestration.md for the mapping.
#include <algorithm>
#include <map>
#include <memory>
#include <utility>

#include "durastore/orchestration/provider.h"
#include "provider_internal.h"
#include "store_internal.h"
#include "time_math.h"

namespace durastore::orchestration {

using namespace internal;  // NOLINT: this file is the layer's implementation

namespace {

Result<WorkerItem> DecodeWorkerMessage(queue::Message& m) {
  WorkerItem item;
  const std::string* a = FindAttribute(m.attributes, "a");
  auto identity = a ? DecodeActivityAttribute(*a) : std::nullopt;
  if (!identity) {
    return Status::Corruption("worker message " + std::to_string(m.id) +
                              " has no activity identity");
  }
  item.identity = std::move(*identity);
  item.payload = std::move(m.payload);
  if (const auto* s = FindAttribute(m.attributes, "s")) item.session_id = *s;
  if (const auto* t = FindAttribute(m.attributes, "t")) item.tag = *t;
  return item;
}

// Adds the touch of `session`'s last activity to `batch`, when its record is there (an
// ack or a renewal is activity in the session). Call with the session mutex held.
Status TouchSession(Store& store, Batch& batch, const std::string& session, int64_t now) {
  const std::string key = SessionKey(session);
  ASSIGN_OR_RETURN(auto bytes, GetOptional(store, key));
  if (!bytes) return Status::OK();
  ASSIGN_OR_RETURN(auto rec, DecodeSession(*bytes));
  rec.last_activity_ms = now;
  batch.Put(key, Encode(rec));
  return Status::OK();
}

}  // namespace

namespace internal {

// Session records are read-modify-written by fetch (claim), ack (activity time), renew and
// cleanup; SessionMutexOf(store) serializes those per Store (a Store has one process).
std::shared_ptr<std::mutex> SessionMutexOf(Store& store) {
  return std::static_pointer_cast<std::mutex>(StoreInternal::Component(
      store, "orchestration/sessions", [] { return std::make_shared<std::mutex>(); }));
}

Status AddWorkerEnqueue(Batch& batch, const WorkerItem& item) {
  RETURN_IF_ERROR(ValidateInstance(item.identity.instance));
  if (item.session_id) RETURN_IF_ERROR(ValidateLength("session id", *item.session_id, 1, kMaxName));
  if (item.tag) RETURN_IF_ERROR(ValidateName("tag", *item.tag));
  queue::EnqueueOptions options;
  options.attributes.push_back({"i", item.identity.instance});
  options.attributes.push_back({"a", ActivityAttribute(item.identity)});
  if (item.session_id) options.attributes.push_back({"s", *item.session_id});
  if (item.tag) options.attributes.push_back({"t", *item.tag});
  batch.Enqueue(kWorkerQueue, item.payload, options);
  return Status::OK();
}

}  // namespace internal

Status Provider::EnqueueForWorker(const WorkerItem& item) {
  Batch batch;
  RETURN_IF_ERROR(AddWorkerEnqueue(batch, item));
  return store_.Commit(std::move(batch)).status();
}

// ---------------------------------------------------------------------------------------
// Work items

Result<std::optional<FetchedWork>> Provider::FetchWorkItem(
    int64_t lock_timeout_ms, std::chrono::milliseconds poll_timeout,
    const std::optional<SessionConfig>& session, const TagFilter& tags) {
  RETURN_IF_ERROR(ValidatePositive("lock timeout", lock_timeout_ms));
  if (poll_timeout.count() < 0) return Status::InvalidArgument("poll timeout must not be negative");
  if (session) {
    RETURN_IF_ERROR(ValidateLength("session owner id", session->owner_id, 1, kMaxName));
    RETURN_IF_ERROR(ValidatePositive("session lock timeout", session->session_lock_timeout_ms));
  }
  for (const auto& t : tags.tags) RETURN_IF_ERROR(ValidateName("tag", t));
  queue::DequeueOptions options;
  options.lock_duration_ms = lock_timeout_ms;
  options.wait = poll_timeout;
  switch (tags.mode) {
    case TagFilter::Mode::kNone:
      return std::optional<FetchedWork>();
    case TagFilter::Mode::kDefaultOnly:
      options.filter.push_back({"t", {}, /*match_absent=*/true, false});
      break;
    case TagFilter::Mode::kTags:
      if (tags.tags.empty()) return std::optional<FetchedWork>();
      options.filter.push_back({"t", tags.tags, false, false});
      break;
    case TagFilter::Mode::kDefaultAndTags:
      options.filter.push_back({"t", tags.tags, /*match_absent=*/true, false});
      break;
    case TagFilter::Mode::kAny:
      break;
  }
  const Clock* clock = &store_.clock();
  if (!session) {
    options.filter.push_back({"s", {}, /*match_absent=*/true, false});
  } else {
    options.accept = [owner = session->owner_id, clock](const queue::Candidate& c) {
      const std::string* s = FindAttribute(c.attributes(), "s");
      if (s == nullptr) return true;
      auto bytes = c.GetMetadata(SessionKey(*s));
      if (!bytes.ok()) return bytes.status().code() == Code::kNotFound;
      auto rec = DecodeSession(*bytes);
      return rec.ok() && (rec->owner == owner || rec->locked_until_ms <= clock->NowMs());
    };
  }
  ASSIGN_OR_RETURN(auto lease, queue::Dequeue(store_, kWorkerQueue, options));
  if (!lease) return std::optional<FetchedWork>();
  queue::Message& m = lease->messages.front();
  FetchedWork out;
  out.attempt_count = m.delivery_count;
  auto decoded = DecodeWorkerMessage(m);
  Status claimed = decoded.status();
  if (decoded.ok() && decoded->session_id) {
    // Claim the session; another owner may have claimed it since the selection.
    std::lock_guard guard(*state_->session_mu);
    const std::string key = SessionKey(*decoded->session_id);
    auto bytes = GetOptional(store_, key);
    claimed = bytes.status();
    Result<int64_t> read_now = ::durastore::internal::ReadClock(*clock);
    if (claimed.ok()) claimed = read_now.status();
    if (claimed.ok()) {
      const int64_t now = *read_now;
      SessionRec rec;
      if (*bytes) {
        auto old = DecodeSession(**bytes);
        claimed = old.status();
        if (old.ok()) rec = *old;
      }
      if (claimed.ok() && *bytes && rec.owner != session->owner_id && rec.locked_until_ms > now) {
        Batch release;  // lost the race: nothing was delivered
        release.Abandon(lease->token, 0, /*count_attempt=*/false);
        RETURN_IF_ERROR(store_.Commit(std::move(release)).status());
        return std::optional<FetchedWork>();
      }
      if (claimed.ok()) {
        rec.owner = session->owner_id;
        rec.locked_until_ms = ::durastore::internal::AddMs(now, session->session_lock_timeout_ms);
        rec.last_activity_ms = now;
        Batch claim;
        claim.Put(key, Encode(rec));
        claimed = store_.Commit(std::move(claim)).status();
      }
    }
  }
  if (!claimed.ok()) {
    Batch release;
    release.Abandon(lease->token, 0, /*count_attempt=*/false);
    (void)store_.Commit(std::move(release));
    return claimed;
  }
  out.item = std::move(decoded).value();
  out.lock_token = lease->token.ToHex();
  std::lock_guard guard(state_->mu);
  // The sweep is housekeeping: a clock that fails now only postpones it.
  if (auto now = ::durastore::internal::ReadClock(*clock); now.ok()) state_->MaybeSweep(*now);
  state_->work.emplace(out.lock_token,
                       WorkLock{lease->token, out.item.session_id, lease->locked_until_ms});
  return std::optional<FetchedWork>(std::move(out));
}

Status Provider::AckWorkItem(std::string_view lock_token,
                             const std::optional<OrchestratorItem>& completion) {
  ASSIGN_OR_RETURN(WorkLock lock, state_->Find(state_->work, lock_token));
  ASSIGN_OR_RETURN(const int64_t now, ::durastore::internal::ReadClock(store_.clock()));
  Batch batch;
  batch.Ack(lock.lease);
  if (completion) RETURN_IF_ERROR(AddOrchestratorEnqueue(batch, *completion, now, std::nullopt));
  std::unique_lock<std::mutex> session_guard;
  if (lock.session) {
    session_guard = std::unique_lock(*state_->session_mu);
    RETURN_IF_ERROR(TouchSession(store_, batch, *lock.session, now));
  }
  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  state_->Forget(state_->work, lock_token);
  return Status::OK();
}

Status Provider::RenewWorkItemLock(std::string_view lock_token, int64_t extend_ms) {
  // Like ack, a renewal is activity in the item's session: a session busy with one long,
  // lock-renewed activity must not look idle to renew_session_lock.
  RETURN_IF_ERROR(ValidatePositive("lock extension", extend_ms));
  ASSIGN_OR_RETURN(WorkLock lock, state_->Find(state_->work, lock_token));
  if (!lock.session) return state_->Renew(store_, state_->work, lock_token, extend_ms);
  std::lock_guard session_guard(*state_->session_mu);
  ASSIGN_OR_RETURN(const int64_t now, ::durastore::internal::ReadClock(store_.clock()));
  Batch batch;
  batch.Renew(lock.lease, extend_ms);
  RETURN_IF_ERROR(TouchSession(store_, batch, *lock.session, now));
  auto committed = store_.Commit(std::move(batch));
  if (!committed.ok()) return LockError(lock_token, committed.status());
  state_->Extend(state_->work, lock_token, ::durastore::internal::AddMs(now, extend_ms));
  return Status::OK();
}

Status Provider::AbandonWorkItem(std::string_view lock_token, std::optional<int64_t> delay_ms,
                                 bool ignore_attempt) {
  return state_->Abandon(store_, state_->work, lock_token, delay_ms, ignore_attempt);
}

// ---------------------------------------------------------------------------------------
// Sessions

Result<uint64_t> Provider::RenewSessionLock(const std::vector<std::string>& owner_ids,
                                            int64_t extend_ms, int64_t idle_timeout_ms) {
  RETURN_IF_ERROR(ValidatePositive("session lock extension", extend_ms));
  // Idle timeout 0 is valid: every session is idle, so none is renewed.
  if (idle_timeout_ms < 0) return Status::InvalidArgument("idle timeout must not be negative");
  std::lock_guard guard(*state_->session_mu);
  ASSIGN_OR_RETURN(const int64_t now, ::durastore::internal::ReadClock(store_.clock()));
  ASSIGN_OR_RETURN(auto sessions, ScanAll(store_, SessionPrefix()));
  Batch batch;
  uint64_t renewed = 0;
  for (const auto& [key, bytes] : sessions) {
    ASSIGN_OR_RETURN(auto rec, DecodeSession(bytes));
    bool owned = std::find(owner_ids.begin(), owner_ids.end(), rec.owner) != owner_ids.end();
    if (!owned || rec.locked_until_ms <= now || now - rec.last_activity_ms >= idle_timeout_ms) {
      continue;
    }
    rec.locked_until_ms = ::durastore::internal::AddMs(now, extend_ms);
    batch.Put(key, Encode(rec));
    ++renewed;
  }
  if (!batch.empty()) RETURN_IF_ERROR(store_.Commit(std::move(batch)).status());
  return renewed;
}

Result<uint64_t> Provider::CleanupOrphanedSessions(int64_t idle_timeout_ms) {
  if (idle_timeout_ms < 0) return Status::InvalidArgument("idle timeout must not be negative");
  std::lock_guard guard(*state_->session_mu);
  ASSIGN_OR_RETURN(const int64_t now, ::durastore::internal::ReadClock(store_.clock()));
  ASSIGN_OR_RETURN(auto sessions, ScanAll(store_, SessionPrefix()));
  Batch batch;
  uint64_t removed = 0;
  for (const auto& [key, bytes] : sessions) {
    ASSIGN_OR_RETURN(auto rec, DecodeSession(bytes));
    // Orphaned: its lock expired and no queued worker item (in any state) refers to it,
    // whatever its idle time (the contract: idle_timeout does not hold an orphan back).
    if (rec.locked_until_ms > now) continue;
    size_t pos = SessionPrefix().size();
    auto id = GetStr16(key, pos);
    if (!id) return Status::Corruption("session key is malformed");
    ASSIGN_OR_RETURN(auto queued, queue::PeekMessages(store_, kWorkerQueue, "s", *id, 1));
    if (!queued.empty()) continue;
    batch.Delete(key);
    ++removed;
  }
  if (!batch.empty()) RETURN_IF_ERROR(store_.Commit(std::move(batch)).status());
  return removed;
}

}  // namespace durastore::orchestration
