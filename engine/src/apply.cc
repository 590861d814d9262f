#include "apply.h"

#include <type_traits>
#include <variant>

namespace durastore::internal {

Status ApplyOp(WriteContext& ctx, LeaseTable::Writer& leases, const Op& op) {
  return std::visit(
      [&](const auto& o) -> Status {
        using T = std::decay_t<decltype(o)>;
        if constexpr (std::is_same_v<T, AppendOp>) {
          return eventlog::internal::ApplyAppend(ctx, o);
        } else if constexpr (std::is_same_v<T, TruncateOp>) {
          return eventlog::internal::ApplyTruncate(ctx, o);
        } else if constexpr (std::is_same_v<T, DeletePartitionOp>) {
          return eventlog::internal::ApplyDeletePartition(ctx, o);
        } else if constexpr (std::is_same_v<T, DeleteStreamOp>) {
          return eventlog::internal::ApplyDeleteStream(ctx, o);
        } else if constexpr (std::is_same_v<T, EnqueueOp>) {
          return ApplyEnqueue(ctx, o);
        } else if constexpr (std::is_same_v<T, ConfigureQueueOp>) {
          return ApplyConfigureQueue(ctx, o);
        } else if constexpr (std::is_same_v<T, SettleOp>) {
          return ApplySettle(ctx, leases, o);
        } else if constexpr (std::is_same_v<T, DeleteMessagesOp>) {
          return ApplyDeleteMessages(ctx, leases, o);
        } else if constexpr (std::is_same_v<T, PutOp>) {
          return ApplyMetadataPut(ctx, o);
        } else if constexpr (std::is_same_v<T, DeleteOp>) {
          return ApplyMetadataDelete(ctx, o);
        } else {
          static_assert(std::is_same_v<T, DeleteRangeOp>);
          return ApplyMetadataDeleteRange(ctx, o);
        }
      },
      op);
}

}  // namespace durastore::internal
