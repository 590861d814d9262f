// The event log's write path, called by the committer for each operation of a batch.
#ifndef DURASTORE_EVENTLOG_INTERNAL_H_
#define DURASTORE_EVENTLOG_INTERNAL_H_

#include "batch_rep.h"
#include "write_context.h"

namespace durastore::eventlog::internal {

using durastore::internal::WriteContext;

Status ApplyAppend(WriteContext& ctx, const durastore::internal::AppendOp& op);
Status ApplyTruncate(WriteContext& ctx, const durastore::internal::TruncateOp& op);
Status ApplyDeletePartition(WriteContext& ctx, const durastore::internal::DeletePartitionOp& op);
Status ApplyDeleteStream(WriteContext& ctx, const durastore::internal::DeleteStreamOp& op);

}  // namespace durastore::eventlog::internal

#endif  // DURASTORE_EVENTLOG_INTERNAL_H_
