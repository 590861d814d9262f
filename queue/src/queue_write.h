// The message writes the queue's apply functions share (queue_write.cc): a message's
// record with its index entries, deletion, dead-lettering. Internal to the queue
// component; every write goes through the LMDB wrapper, so the committer captures it.
#ifndef DURASTORE_QUEUE_WRITE_H_
#define DURASTORE_QUEUE_WRITE_H_

#include <cstdint>
#include <string_view>

#include "durastore/status.h"
#include "queue_codec.h"
#include "write_context.h"

namespace durastore::internal {

// Writes message `id`'s record `m` and its ready, group and attribute index entries.
Status PutIndexes(WriteContext& ctx, uint64_t id, const MessageMeta& m);

// Moves message `id` (record `m`, in queue `from` named `from_name`) to that queue's
// dead-letter queue (created if needed), visible now, with `reason` and the queue it came
// from as attributes; counts it in `from`, which is written back.
Status MoveToDeadLetter(WriteContext& ctx, std::string_view from_name, QueueInfo& from, uint64_t id,
                        MessageMeta m, std::string_view reason);

}  // namespace durastore::internal

#endif  // DURASTORE_QUEUE_WRITE_H_
