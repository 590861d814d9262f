// The queues' write path is declared in engine/src/apply.h (ApplyEnqueue,
// ApplyConfigureQueue, ApplySettle, ApplyDeleteMessages, ApplyDequeue), through which the
// committer reaches it. The lease table it works on belongs to the engine
// (lease_table.h); the committer hands it down as a LeaseTable::Writer.
#ifndef DURASTORE_QUEUE_INTERNAL_H_
#define DURASTORE_QUEUE_INTERNAL_H_

#include "apply.h"
#include "lease_table.h"

#endif  // DURASTORE_QUEUE_INTERNAL_H_
