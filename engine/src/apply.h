// The one interface through which the committer reaches the components: the apply
// function of every kind of operation, run inside the group's write transaction. The
// engine declares them and dispatches to them (ApplyOp); each component defines its own
// (eventlog/src, queue/src, engine/src/metadata.cc), so the engine includes no
// component's internals. Every function writes through the LMDB wrapper, whose writes
// the committer captures for the commit log (redo.h), records in-memory changes it
// must take back on failure in ctx.undo, and returns the first error.
#ifndef DURASTORE_ENGINE_APPLY_H_
#define DURASTORE_ENGINE_APPLY_H_

#include <string_view>

#include "batch_rep.h"
#include "durastore/queue_types.h"
#include "lease_table.h"
#include "store_internal.h"
#include "write_context.h"

namespace durastore {
namespace eventlog::internal {

using durastore::internal::WriteContext;

Status ApplyAppend(WriteContext& ctx, const durastore::internal::AppendOp& op);
Status ApplyTruncate(WriteContext& ctx, const durastore::internal::TruncateOp& op);
Status ApplyDeletePartition(WriteContext& ctx, const durastore::internal::DeletePartitionOp& op);
Status ApplyDeleteStream(WriteContext& ctx, const durastore::internal::DeleteStreamOp& op);

}  // namespace eventlog::internal

namespace internal {

Status ApplyEnqueue(WriteContext& ctx, const EnqueueOp& op);
Status ApplyConfigureQueue(WriteContext& ctx, const ConfigureQueueOp& op);
Status ApplySettle(WriteContext& ctx, LeaseTable::Writer& leases, const SettleOp& op);
Status ApplyDeleteMessages(WriteContext& ctx, LeaseTable::Writer& leases,
                           const DeleteMessagesOp& op);
// One dequeue attempt: leases and counts a delivery of the first eligible message(s).
// Releases the table's mutex while options.accept (caller code) runs
// (LeaseTable::Writer::RunUnlocked), and takes it back before looking at the table again.
Result<DequeueAttempt> ApplyDequeue(WriteContext& ctx, LeaseTable::Writer& leases,
                                    std::string_view queue, const queue::DequeueOptions& options);

Status ApplyMetadataPut(WriteContext& ctx, const PutOp& op);
Status ApplyMetadataDelete(WriteContext& ctx, const DeleteOp& op);
// Deletes every key in [op.begin, op.end) (an empty bound is open).
Status ApplyMetadataDeleteRange(WriteContext& ctx, const DeleteRangeOp& op);

// Applies `op` with the function above that owns its kind.
Status ApplyOp(WriteContext& ctx, LeaseTable::Writer& leases, const Op& op);

}  // namespace internal
}  // namespace durastore

#endif  // DURASTORE_ENGINE_APPLY_H_
