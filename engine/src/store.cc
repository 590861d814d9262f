// The Store facade, its statistics and the long-poll waiters. The committer is
// committer.cc, Open/Close and recovery store_open.cc, checkpoints checkpointer.cc, the
// shared state store_impl.h.
#include "durastore/store.h"

#include "metadata.h"
#include "status_macros.h"
#include "store_impl.h"
#include "verify.h"

namespace durastore {

PipelineStats Store::Impl::stats() const {
  PipelineStats s;
  s.groups = stat_groups_.load(std::memory_order_relaxed);
  s.batches = stat_batches_.load(std::memory_order_relaxed);
  s.failed_batches = stat_failed_.load(std::memory_order_relaxed);
  s.flushes = log_ != nullptr ? log_->flushes() : 0;
  s.checkpoints = stat_checkpoints_.load(std::memory_order_relaxed);
  s.log_bytes = log_ != nullptr ? log_->appended_bytes() : 0;
  s.replayed_records = stat_replayed_.load(std::memory_order_relaxed);
  s.map_resizes = stat_resizes_.load(std::memory_order_relaxed);
  s.using_io_uring = log_ != nullptr && log_->uses_io_uring();
  return s;
}

Result<uint64_t> Store::Impl::ReadCommittedPosition() {
  ASSIGN_OR_RETURN(Env * env, GetEnv());
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  ASSIGN_OR_RETURN(std::string_view seq,
                   internal::Get(txn.get(), env->tables().sys, internal::kSequencesKey));
  Sequences seqs;
  uint64_t lsn = 0;
  RETURN_IF_ERROR(internal::DecodeSequences(seq, &seqs, &lsn));
  return seqs.next_position - 1;
}

uint64_t Store::Impl::CommittedPosition() {
  if (options_.read_only) {
    // Another process commits: read its counter (the last one read if that fails).
    if (auto position = ReadCommittedPosition(); position.ok()) {
      internal::MutexLock lock(&wait_mu_);
      committed_position_ = *position;
    }
  }
  internal::MutexLock lock(&wait_mu_);
  return committed_position_;
}

void Store::Impl::WaitForAppend(uint64_t after, StoreInternal::Deadline deadline) {
  if (options_.read_only) {  // no wake-up crosses processes: poll
    deadline = std::min(deadline, std::chrono::steady_clock::now() + internal::kReadOnlyPoll);
  }
  internal::MutexLock lock(&wait_mu_);
  wait_cv_.WaitUntil(&wait_mu_, deadline, [&]() REQUIRES(wait_mu_) {
    return committed_position_ > after || closed_.load(std::memory_order_acquire);
  });
}

uint64_t Store::Impl::QueueEpoch(std::string_view queue) {
  internal::MutexLock lock(&wait_mu_);
  auto it = queue_epochs_.find(std::string(queue));
  return it == queue_epochs_.end() ? 0 : it->second;
}

void Store::Impl::WaitForQueue(std::string_view queue, uint64_t epoch,
                               StoreInternal::Deadline deadline) {
  std::string name(queue);
  internal::MutexLock lock(&wait_mu_);
  wait_cv_.WaitUntil(&wait_mu_, deadline, [&]() REQUIRES(wait_mu_) {
    auto it = queue_epochs_.find(name);
    return (it != queue_epochs_.end() && it->second != epoch) ||
           closed_.load(std::memory_order_acquire);
  });
}

// ---------------------------------------------------------------------------------------
// Store

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& path, const Options& options) {
  // As the C API's ds_store_open: "" would open the working directory's files under the
  // name "", and the OS would cut a path at its NUL byte and open another directory.
  if (path.empty() || path.find('\0') != std::string::npos) {
    return Status::InvalidArgument("path must be non-empty and contain no NUL byte");
  }
  return StoreInternal::OpenWithHooks(path, options, TestHooks{});
}

Result<CommitResult> Store::Commit(Batch&& batch, const CommitOptions& options) {
  return impl_->CommitBlocking(std::move(batch), options);
}

void Store::CommitAsync(Batch&& batch, const CommitOptions& options,
                        std::function<void(Result<CommitResult>)> done) {
  impl_->CommitAsync(std::move(batch), options, std::move(done));
}

std::future<Result<CommitResult>> Store::CommitAsync(Batch&& batch, const CommitOptions& options) {
  auto promise = std::make_shared<std::promise<Result<CommitResult>>>();
  auto future = promise->get_future();
  impl_->CommitAsync(std::move(batch), options,
                     [promise](Result<CommitResult> r) { promise->set_value(std::move(r)); });
  return future;
}

Status Store::Flush() { return impl_->Flush(); }
Status Store::Close() { return impl_->Close(); }

Result<std::string> Store::Get(std::string_view key) {
  RETURN_IF_ERROR(internal::ValidateMetadataKey(key));
  ASSIGN_OR_RETURN(Env * env, impl_->GetEnv());
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  return internal::GetMetadata(txn.get(), env->tables(), key);
}

Result<std::vector<std::pair<std::string, std::string>>> Store::Scan(std::string_view prefix,
                                                                     size_t limit,
                                                                     std::string_view start_after) {
  ASSIGN_OR_RETURN(Env * env, impl_->GetEnv());
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  return internal::ScanMetadata(txn.get(), env->tables(), prefix, limit, start_after);
}

Result<VerifyReport> Store::Verify(const VerifyOptions& options) {
  ASSIGN_OR_RETURN(Env * env, impl_->GetEnv());
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  VerifyReport report;
  RETURN_IF_ERROR(internal::VerifyStore(txn.get(), env->tables(), options, &report));
  return report;
}

PipelineStats Store::GetPipelineStats() const { return impl_->stats(); }
const std::vector<std::string>& Store::repairs() const { return impl_->repairs_; }
Status Store::health() const { return impl_->health(); }
const std::string& Store::path() const { return impl_->path_; }
const Clock& Store::clock() const { return *impl_->clock_; }

// ---------------------------------------------------------------------------------------
// StoreInternal

Result<std::unique_ptr<Store>> StoreInternal::OpenWithHooks(const std::string& path,
                                                            const Options& options,
                                                            TestHooks hooks) {
  auto impl = std::make_unique<Store::Impl>(path, options);
  RETURN_IF_ERROR(impl->Open(std::move(hooks)));
  return std::unique_ptr<Store>(new Store(std::move(impl)));
}

Result<StoreInternal::EnvRef> StoreInternal::GetEnv(Store& store) { return store.impl_->GetEnv(); }
internal::LeaseTable& StoreInternal::Leases(Store& store) { return store.impl_->leases_; }
std::shared_ptr<void> StoreInternal::Component(Store& store, std::string_view name,
                                               const std::function<std::shared_ptr<void>()>& make) {
  Store::Impl& impl = *store.impl_;
  {
    internal::MutexLock lock(&impl.components_mu_);
    auto it = impl.components_.find(name);
    if (it != impl.components_.end()) return it->second;
  }
  // `make` runs unlocked: it may ask for other components. A racing caller's wins.
  std::shared_ptr<void> made = make();
  internal::MutexLock lock(&impl.components_mu_);
  return impl.components_.emplace(std::string(name), std::move(made)).first->second;
}
uint64_t StoreInternal::CommittedPosition(Store& store) { return store.impl_->CommittedPosition(); }
void StoreInternal::WaitForAppend(Store& store, uint64_t after, Deadline deadline) {
  store.impl_->WaitForAppend(after, deadline);
}
Result<DequeueAttempt> StoreInternal::TryDequeue(Store& store, std::string_view queue,
                                                 const queue::DequeueOptions& options) {
  return store.impl_->TryDequeue(queue, options);
}
uint64_t StoreInternal::QueueEpoch(Store& store, std::string_view queue) {
  return store.impl_->QueueEpoch(queue);
}
void StoreInternal::WaitForQueue(Store& store, std::string_view queue, uint64_t epoch,
                                 Deadline deadline) {
  store.impl_->WaitForQueue(queue, epoch, deadline);
}

}  // namespace durastore
