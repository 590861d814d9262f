#include "durastore/batch.h"

#include <algorithm>

#include "batch_rep.h"
#include "durastore/limits.h"
#include "status_macros.h"

namespace durastore {

using internal::BatchRep;

Batch::Batch() : rep_(std::make_unique<BatchRep>()) {}
Batch::~Batch() = default;
Batch::Batch(const Batch& other) : rep_(std::make_unique<BatchRep>(*other.rep_)) {}
Batch& Batch::operator=(const Batch& other) {
  if (this != &other) rep_ = std::make_unique<BatchRep>(*other.rep_);
  return *this;
}
// A moved-from Batch is empty and usable.
Batch::Batch(Batch&& other) noexcept : rep_(std::move(other.rep_)) {
  other.rep_ = std::make_unique<BatchRep>();
}
Batch& Batch::operator=(Batch&& other) noexcept {
  if (this != &other) {
    rep_ = std::move(other.rep_);
    other.rep_ = std::make_unique<BatchRep>();
  }
  return *this;
}

Batch& Batch::Append(std::string_view stream, uint64_t partition,
                     std::vector<eventlog::EventData> events,
                     eventlog::ExpectedVersion expected) & {
  for (const auto& e : events) rep_->bytes += e.payload.size() + e.key.size();
  rep_->bytes += stream.size();
  rep_->ops.emplace_back(
      internal::AppendOp{std::string(stream), partition, std::move(events), expected});
  return *this;
}

Batch& Batch::Append(std::string_view stream, uint64_t partition, std::string_view payload,
                     eventlog::ExpectedVersion expected) & {
  std::vector<eventlog::EventData> events(1);
  events[0].payload = std::string(payload);
  return Append(stream, partition, std::move(events), expected);
}

Batch& Batch::TruncateBefore(std::string_view stream, uint64_t partition,
                             uint64_t before_sequence) & {
  rep_->ops.emplace_back(internal::TruncateOp{std::string(stream), partition, before_sequence});
  return *this;
}

Batch& Batch::DeletePartition(std::string_view stream, uint64_t partition) & {
  rep_->ops.emplace_back(internal::DeletePartitionOp{std::string(stream), partition});
  return *this;
}

Batch& Batch::DeleteStream(std::string_view stream) & {
  rep_->ops.emplace_back(internal::DeleteStreamOp{std::string(stream)});
  return *this;
}

Batch& Batch::Enqueue(std::string_view queue, std::string_view payload,
                      const queue::EnqueueOptions& options) & {
  rep_->bytes += payload.size() + queue.size() + options.group_key.size();
  for (const auto& a : options.attributes) rep_->bytes += a.name.size() + a.value.size();
  rep_->ops.emplace_back(internal::EnqueueOp{std::string(queue), std::string(payload), options});
  return *this;
}

Batch& Batch::ConfigureQueue(std::string_view queue, const queue::QueueOptions& options) & {
  rep_->ops.emplace_back(internal::ConfigureQueueOp{std::string(queue), options});
  return *this;
}

namespace {
internal::SettleOp Settle(internal::SettleKind kind, const queue::LeaseToken& lease, int64_t ms = 0,
                          bool count_attempt = true) {
  internal::SettleOp op;
  op.kind = kind;
  op.token = lease;
  op.ms = ms;
  op.count_attempt = count_attempt;
  return op;
}
}  // namespace

Batch& Batch::Ack(const queue::LeaseToken& lease) & {
  rep_->ops.emplace_back(Settle(internal::SettleKind::kAck, lease));
  return *this;
}

Batch& Batch::Abandon(const queue::LeaseToken& lease, int64_t delay_ms, bool count_attempt) & {
  rep_->ops.emplace_back(Settle(internal::SettleKind::kAbandon, lease, delay_ms, count_attempt));
  return *this;
}

Batch& Batch::Renew(const queue::LeaseToken& lease, int64_t extend_ms) & {
  rep_->ops.emplace_back(Settle(internal::SettleKind::kRenew, lease, extend_ms));
  return *this;
}

Batch& Batch::DeadLetter(const queue::LeaseToken& lease, std::string_view reason) & {
  rep_->bytes += reason.size();
  internal::SettleOp op = Settle(internal::SettleKind::kDeadLetter, lease);
  op.reason = std::string(reason);
  rep_->ops.emplace_back(std::move(op));
  return *this;
}

Batch& Batch::DeleteMessages(std::string_view queue, std::string_view attribute_name,
                             std::string_view attribute_value) & {
  rep_->ops.emplace_back(internal::DeleteMessagesOp{std::string(queue), std::string(attribute_name),
                                                    std::string(attribute_value)});
  return *this;
}

Batch& Batch::Put(std::string_view key, std::string_view value) & {
  rep_->bytes += key.size() + value.size();
  rep_->ops.emplace_back(internal::PutOp{std::string(key), std::string(value)});
  return *this;
}

Batch& Batch::Delete(std::string_view key) & {
  rep_->ops.emplace_back(internal::DeleteOp{std::string(key)});
  return *this;
}

Batch& Batch::DeleteRange(std::string_view begin, std::string_view end) & {
  rep_->ops.emplace_back(internal::DeleteRangeOp{std::string(begin), std::string(end)});
  return *this;
}

size_t Batch::size() const { return rep_->ops.size(); }
size_t Batch::ByteSize() const { return rep_->bytes; }
void Batch::Clear() { *rep_ = BatchRep(); }

namespace internal {

Status ValidateLength(std::string_view what, std::string_view value, size_t min, size_t max) {
  if (value.size() < min || value.size() > max) {
    return Status::InvalidArgument(std::string(what) + " must be " + std::to_string(min) + ".." +
                                   std::to_string(max) + " bytes, got " +
                                   std::to_string(value.size()));
  }
  return Status::OK();
}

Status ValidateStreamKey(std::string_view stream) {
  return ValidateLength("stream key", stream, 1, limits::kMaxStreamKey);
}

Status ValidateQueueName(std::string_view queue) {
  return ValidateLength("queue name", queue, 1, limits::kMaxQueueName);
}

Status ValidateMetadataKey(std::string_view key) {
  return ValidateLength("metadata key", key, 1, limits::kMaxMetadataKey);
}

Status ValidateAttribute(std::string_view name, std::string_view value) {
  RETURN_IF_ERROR(ValidateLength("attribute name", name, 1, limits::kMaxAttributeName));
  return ValidateLength("attribute value", value, 0, limits::kMaxAttributeValue);
}

namespace {

Status CheckPayload(std::string_view what, size_t size, size_t max) {
  if (size > max) {
    return Status::ResourceExhausted(std::string(what) + " of " + std::to_string(size) +
                                     " bytes exceeds the limit of " + std::to_string(max) +
                                     " bytes");
  }
  return Status::OK();
}

Status ValidateOp(const AppendOp& op) {
  RETURN_IF_ERROR(ValidateStreamKey(op.stream));
  if (op.events.empty()) return Status::InvalidArgument("append has no events");
  for (const auto& e : op.events) {
    RETURN_IF_ERROR(ValidateLength("event key", e.key, 0, limits::kMaxEventKey));
    RETURN_IF_ERROR(CheckPayload("event payload", e.payload.size(), limits::kMaxPayload));
  }
  return Status::OK();
}
Status ValidateOp(const TruncateOp& op) { return ValidateStreamKey(op.stream); }
Status ValidateOp(const DeletePartitionOp& op) { return ValidateStreamKey(op.stream); }
Status ValidateOp(const DeleteStreamOp& op) { return ValidateStreamKey(op.stream); }
Status ValidateOp(const EnqueueOp& op) {
  RETURN_IF_ERROR(ValidateQueueName(op.queue));
  RETURN_IF_ERROR(CheckPayload("message payload", op.payload.size(), limits::kMaxPayload));
  RETURN_IF_ERROR(ValidateLength("group key", op.options.group_key, 0, limits::kMaxGroupKey));
  if (op.options.attributes.size() > limits::kMaxAttributes) {
    return Status::InvalidArgument("a message may carry at most " +
                                   std::to_string(limits::kMaxAttributes) + " attributes, got " +
                                   std::to_string(op.options.attributes.size()));
  }
  for (size_t a = 0; a < op.options.attributes.size(); ++a) {
    const auto& attr = op.options.attributes[a];
    RETURN_IF_ERROR(ValidateAttribute(attr.name, attr.value));
    for (size_t b = 0; b < a; ++b) {
      if (op.options.attributes[b].name == attr.name) {
        return Status::InvalidArgument("attribute '" + attr.name + "' appears twice");
      }
    }
  }
  if (op.options.delay_ms < 0) return Status::InvalidArgument("negative delay_ms");
  if (op.options.visible_at_ms && *op.options.visible_at_ms < 0) {
    return Status::InvalidArgument("negative visible_at_ms");
  }
  return Status::OK();
}
Status ValidateOp(const ConfigureQueueOp& op) {
  RETURN_IF_ERROR(ValidateQueueName(op.queue));
  if (op.options.lock_duration_ms <= 0) {
    return Status::InvalidArgument("lock_duration_ms must be positive");
  }
  RETURN_IF_ERROR(ValidateLength("dead-letter queue name", op.options.dead_letter_queue, 0,
                                 limits::kMaxQueueName));
  if (op.options.dead_letter_queue == op.queue) {
    return Status::InvalidArgument("a queue cannot be its own dead-letter queue");
  }
  return Status::OK();
}
Status ValidateOp(const SettleOp& op) {
  if (op.ms < 0) return Status::InvalidArgument("negative delay or extension");
  return ValidateLength("dead-letter reason", op.reason, 0, limits::kMaxDeadLetterReason);
}
Status ValidateOp(const DeleteMessagesOp& op) {
  RETURN_IF_ERROR(ValidateQueueName(op.queue));
  return ValidateAttribute(op.name, op.value);
}
Status ValidateOp(const PutOp& op) {
  RETURN_IF_ERROR(ValidateMetadataKey(op.key));
  return CheckPayload("metadata value", op.value.size(), limits::kMaxMetadataValue);
}
Status ValidateOp(const DeleteOp& op) { return ValidateMetadataKey(op.key); }
Status ValidateOp(const DeleteRangeOp& op) {
  RETURN_IF_ERROR(ValidateLength("range begin", op.begin, 0, limits::kMaxMetadataKey));
  return ValidateLength("range end", op.end, 0, limits::kMaxMetadataKey);
}

// `s` with the operation's index in front of its message: "batch operation 3: ...".
Status AtOperation(size_t index, const Status& s) {
  std::string msg = "batch operation " + std::to_string(index) + ": " + s.message();
  if (s.code() == Code::kResourceExhausted) return Status::ResourceExhausted(std::move(msg));
  return Status::InvalidArgument(std::move(msg));  // (ValidateOp returns no other code)
}

}  // namespace

Status ValidateBatch(const BatchRep& rep) {
  // Each appended event is a record the committer writes, like any other operation: an
  // Append of millions of empty events must not pass as one operation of a few bytes.
  size_t counted = 0;
  for (const Op& op : rep.ops) {
    const auto* append = std::get_if<AppendOp>(&op);
    counted += append != nullptr ? std::max<size_t>(append->events.size(), 1) : 1;
  }
  if (counted > limits::kMaxBatchOps) {
    return Status::ResourceExhausted("batch has " + std::to_string(counted) +
                                     " operations (each appended event counts as one); the "
                                     "limit is " +
                                     std::to_string(limits::kMaxBatchOps));
  }
  if (rep.bytes > limits::kMaxBatchBytes) {
    return Status::ResourceExhausted("batch holds " + std::to_string(rep.bytes) +
                                     " bytes; the limit is " +
                                     std::to_string(limits::kMaxBatchBytes));
  }
  for (size_t i = 0; i < rep.ops.size(); ++i) {
    Status s = std::visit([](const auto& op) { return ValidateOp(op); }, rep.ops[i]);
    if (!s.ok()) return AtOperation(i, s);
  }
  return Status::OK();
}

std::string Printable(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  size_t n = std::min<size_t>(bytes.size(), 64);
  for (size_t i = 0; i < n; ++i) {
    auto c = static_cast<unsigned char>(bytes[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (bytes.size() > n) out += "...";
  return out;
}

}  // namespace internal
}  // namespace durastore
