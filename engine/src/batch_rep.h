// The representation of a Batch: an ordered list of typed operations.
#ifndef DURASTORE_ENGINE_BATCH_REP_H_
#define DURASTORE_ENGINE_BATCH_REP_H_

#include <string>
#include <variant>
#include <vector>

#include "durastore/batch.h"

namespace durastore::internal {

struct AppendOp {
  std::string stream;
  uint64_t partition;
  std::vector<eventlog::EventData> events;
  eventlog::ExpectedVersion expected;
};
struct TruncateOp {
  std::string stream;
  uint64_t partition;
  uint64_t before_sequence;
};
struct DeletePartitionOp {
  std::string stream;
  uint64_t partition;
};
struct DeleteStreamOp {
  std::string stream;
};
struct EnqueueOp {
  std::string queue;
  std::string payload;
  queue::EnqueueOptions options;
};
struct ConfigureQueueOp {
  std::string queue;
  queue::QueueOptions options;
};
enum class SettleKind : uint8_t { kAck, kAbandon, kRenew, kDeadLetter };
struct SettleOp {
  SettleKind kind = SettleKind::kAck;
  queue::LeaseToken token;
  int64_t ms = 0;  // abandon delay or renew extension
  bool count_attempt = true;
  std::string reason;
};
struct DeleteMessagesOp {
  std::string queue;
  std::string name;
  std::string value;
};
struct PutOp {
  std::string key;
  std::string value;
};
struct DeleteOp {
  std::string key;
};
struct DeleteRangeOp {
  std::string begin;
  std::string end;
};

using Op =
    std::variant<AppendOp, TruncateOp, DeletePartitionOp, DeleteStreamOp, EnqueueOp,
                 ConfigureQueueOp, SettleOp, DeleteMessagesOp, PutOp, DeleteOp, DeleteRangeOp>;

struct BatchRep {
  std::vector<Op> ops;
  size_t bytes = 0;

  static const BatchRep& Of(const Batch& b) { return *b.rep_; }
};

// Checks every size limit and argument of the batch (not conditions that depend on
// stored state). InvalidArgument or ResourceExhausted naming the operation and limit.
Status ValidateBatch(const BatchRep& rep);

// The one check of each naming rule, shared by batches, reads and the layers above, so a
// rule has one message: InvalidArgument "<what> must be <min>..<max> bytes, got <n>".
Status ValidateLength(std::string_view what, std::string_view value, size_t min, size_t max);
Status ValidateStreamKey(std::string_view stream);
Status ValidateQueueName(std::string_view queue);
Status ValidateMetadataKey(std::string_view key);
// A message attribute: name 1..kMaxAttributeName bytes, value at most kMaxAttributeValue.
Status ValidateAttribute(std::string_view name, std::string_view value);

// Bytes rendered for an error message: printable ASCII as is, anything else as \xNN,
// cut after 64 bytes with "...".
std::string Printable(std::string_view bytes);

}  // namespace durastore::internal

#endif  // DURASTORE_ENGINE_BATCH_REP_H_
