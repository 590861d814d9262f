// The queues' write path, used by the committer. The lease table it works on belongs to
// the engine (lease_table.h); the committer hands it down as a LeaseTable::Writer.
#ifndef DURASTORE_QUEUE_INTERNAL_H_
#define DURASTORE_QUEUE_INTERNAL_H_

#include <string_view>

#include "batch_rep.h"
#include "durastore/queue.h"
#include "lease_table.h"
#include "store_internal.h"
#include "write_context.h"

namespace durastore::internal {

Status ApplyEnqueue(WriteContext& ctx, const EnqueueOp& op);
Status ApplyConfigureQueue(WriteContext& ctx, const ConfigureQueueOp& op);
Status ApplySettle(WriteContext& ctx, LeaseTable::Writer& leases, const SettleOp& op);
Status ApplyDeleteMessages(WriteContext& ctx, LeaseTable::Writer& leases,
                           const DeleteMessagesOp& op);
// Releases the table's mutex while options.accept (caller code) runs
// (LeaseTable::Writer::RunUnlocked), and takes it back before looking at the table again.
Result<DequeueAttempt> ApplyDequeue(WriteContext& ctx, LeaseTable::Writer& leases,
                                    std::string_view queue, const queue::DequeueOptions& options);

}  // namespace durastore::internal

#endif  // DURASTORE_QUEUE_INTERNAL_H_
