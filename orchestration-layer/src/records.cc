// Keys, records and shared reads of the orchestration layer (see records.h).
#include "records.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <utility>

#include "batch_rep.h"
#include "durastore/eventlog.h"
#include "flatbuffer_record.h"
#include "orchestration_records_generated.h"
#include "status_macros.h"

namespace durastore::orchestration {

std::string_view ExecutionStatusName(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kRunning:
      return "Running";
    case ExecutionStatus::kCompleted:
      return "Completed";
    case ExecutionStatus::kFailed:
      return "Failed";
    case ExecutionStatus::kContinuedAsNew:
      return "ContinuedAsNew";
  }
  return "Unknown";
}

namespace internal {
namespace {

using ::durastore::internal::FinishRecord;
using ::durastore::internal::GetU64;
using ::durastore::internal::PutStr16;
using ::durastore::internal::PutU64;
using ::durastore::internal::ValidateLength;
using ::durastore::internal::VerifiedRoot;

std::string Key(std::string_view tag, std::string_view instance) {
  std::string k(tag);
  PutStr16(k, instance);
  return k;
}

// FlatBuffers helpers: strings carry arbitrary bytes (CreateString takes a length).
flatbuffers::Offset<flatbuffers::String> Str(flatbuffers::FlatBufferBuilder& b,
                                             std::string_view s) {
  return b.CreateString(s.data(), s.size());
}
flatbuffers::Offset<flatbuffers::String> OptStr(flatbuffers::FlatBufferBuilder& b,
                                                const std::optional<std::string>& s) {
  return s ? Str(b, *s) : 0;
}
std::string View(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : std::string(s->data(), s->size());
}
std::optional<std::string> OptView(const flatbuffers::String* s) {
  if (s == nullptr) return std::nullopt;
  return std::string(s->data(), s->size());
}

}  // namespace

std::string InstanceKey(std::string_view instance) { return Key("o/i/", instance); }
std::string InstancePrefix() { return "o/i/"; }
std::string CurrentKey(std::string_view instance) { return Key("o/n/", instance); }
std::string ExecutionKey(std::string_view instance, uint64_t execution_id) {
  return ExecutionPrefix(instance) + EncodeU64(execution_id);
}
std::string ExecutionPrefix(std::string_view instance) { return Key("o/e/", instance); }
std::string AllExecutionsPrefix() { return "o/e/"; }
std::string ChildKey(std::string_view parent, std::string_view child) {
  std::string k = ChildPrefix(parent);
  PutStr16(k, child);
  return k;
}
std::string ChildPrefix(std::string_view parent) { return Key("o/c/", parent); }
std::string CustomStatusKey(std::string_view instance) { return Key("o/u/", instance); }
std::string KvKey(std::string_view instance, std::string_view key) {
  return KvPrefix(instance).append(key);
}
std::string KvPrefix(std::string_view instance) { return Key("o/k/", instance); }
std::string DeltaKey(std::string_view instance, std::string_view key) {
  return DeltaPrefix(instance).append(key);
}
std::string DeltaPrefix(std::string_view instance) { return Key("o/d/", instance); }
std::string ClearedKey(std::string_view instance) { return Key("o/x/", instance); }
std::string SessionKey(std::string_view session) { return Key("o/s/", session); }
std::string SessionPrefix() { return "o/s/"; }

std::string PrefixEnd(std::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(end.back());
    if (last != 0xff) {
      ++last;
      return end;
    }
    end.pop_back();
  }
  return end;  // every key: callers never pass an all-0xff prefix
}

std::string ActivityAttribute(const ActivityId& id) {
  std::string out;
  PutStr16(out, id.instance);
  PutU64(out, id.execution_id);
  PutU64(out, id.activity_id);
  return out;
}

std::optional<ActivityId> DecodeActivityAttribute(std::string_view value) {
  size_t pos = 0;
  auto instance = GetStr16(value, pos);
  if (!instance || value.size() != pos + 16) return std::nullopt;
  ActivityId id;
  id.instance = std::string(*instance);
  id.execution_id = GetU64(value, pos);
  id.activity_id = GetU64(value, pos + 8);
  return id;
}

std::string Encode(const InstanceRec& r) {
  flatbuffers::FlatBufferBuilder b(128);
  auto name = Str(b, r.name);
  auto version = Str(b, r.version);
  auto parent = OptStr(b, r.parent);
  return FinishRecord(
      b, fb::CreateInstanceRecord(b, name, version, parent, r.created_at_ms, r.updated_at_ms));
}

Result<InstanceRec> DecodeInstance(std::string_view bytes) {
  std::string scratch;
  ASSIGN_OR_RETURN(auto* r, VerifiedRoot<fb::InstanceRecord>(bytes, scratch, "instance"));
  InstanceRec rec;
  rec.name = View(r->name());
  rec.version = View(r->version());
  rec.parent = OptView(r->parent());
  rec.created_at_ms = r->created_at_ms();
  rec.updated_at_ms = r->updated_at_ms();
  return rec;
}

std::string Encode(const ExecutionRec& r) {
  flatbuffers::FlatBufferBuilder b(128);
  auto output = OptStr(b, r.output);
  auto pinned = OptStr(b, r.pinned_version);
  auto name = Str(b, r.name);
  auto version = Str(b, r.version);
  return FinishRecord(
      b, fb::CreateExecutionRecord(b, static_cast<uint8_t>(r.status), output, r.started_at_ms,
                                   r.completed_at_ms, pinned, name, version));
}

Result<ExecutionRec> DecodeExecution(std::string_view bytes) {
  std::string scratch;
  ASSIGN_OR_RETURN(auto* r, VerifiedRoot<fb::ExecutionRecord>(bytes, scratch, "execution"));
  if (r->status() > static_cast<uint8_t>(ExecutionStatus::kContinuedAsNew)) {
    return Status::Corruption("execution record has unknown status " + std::to_string(r->status()));
  }
  ExecutionRec rec;
  rec.status = static_cast<ExecutionStatus>(r->status());
  rec.output = OptView(r->output());
  rec.started_at_ms = r->started_at_ms();
  rec.completed_at_ms = r->completed_at_ms();
  rec.pinned_version = OptView(r->pinned_version());
  rec.name = View(r->name());
  rec.version = View(r->version());
  return rec;
}

std::string Encode(const CustomStatus& r) {
  flatbuffers::FlatBufferBuilder b(64);
  auto status = OptStr(b, r.status);
  return FinishRecord(b, fb::CreateCustomStatusRecord(b, status, r.version));
}

Result<CustomStatus> DecodeCustomStatus(std::string_view bytes) {
  std::string scratch;
  ASSIGN_OR_RETURN(auto* r, VerifiedRoot<fb::CustomStatusRecord>(bytes, scratch, "custom status"));
  return CustomStatus{OptView(r->status()), r->version()};
}

std::string Encode(const SessionRec& r) {
  flatbuffers::FlatBufferBuilder b(64);
  auto owner = Str(b, r.owner);
  return FinishRecord(b, fb::CreateSessionRecord(b, owner, r.locked_until_ms, r.last_activity_ms));
}

Result<SessionRec> DecodeSession(std::string_view bytes) {
  std::string scratch;
  ASSIGN_OR_RETURN(auto* r, VerifiedRoot<fb::SessionRecord>(bytes, scratch, "session"));
  return SessionRec{View(r->owner()), r->locked_until_ms(), r->last_activity_ms()};
}

Result<std::vector<std::pair<std::string, std::string>>> ScanAll(Store& store,
                                                                 std::string_view prefix) {
  std::vector<std::pair<std::string, std::string>> all;
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, store.Scan(prefix, 1000, after));
    if (page.empty()) break;
    after = page.back().first;
    bool last = page.size() < 1000;
    std::move(page.begin(), page.end(), std::back_inserter(all));
    if (last) break;
  }
  return all;
}

Result<std::optional<std::string>> GetOptional(Store& store, std::string_view key) {
  return NotFoundAsNullopt(store.Get(key));
}

Result<std::optional<InstanceRec>> LoadInstance(Store& store, std::string_view instance) {
  ASSIGN_OR_RETURN(auto bytes, GetOptional(store, InstanceKey(instance)));
  if (!bytes) return std::optional<InstanceRec>();
  ASSIGN_OR_RETURN(auto rec, DecodeInstance(*bytes));
  return std::optional<InstanceRec>(std::move(rec));
}

Result<std::optional<ExecutionRec>> LoadExecution(Store& store, std::string_view instance,
                                                  uint64_t execution_id) {
  ASSIGN_OR_RETURN(auto bytes, GetOptional(store, ExecutionKey(instance, execution_id)));
  if (!bytes) return std::optional<ExecutionRec>();
  ASSIGN_OR_RETURN(auto rec, DecodeExecution(*bytes));
  return std::optional<ExecutionRec>(std::move(rec));
}

Result<std::optional<uint64_t>> CurrentExecution(Store& store, std::string_view instance) {
  ASSIGN_OR_RETURN(auto bytes, GetOptional(store, CurrentKey(instance)));
  if (bytes) {
    auto id = DecodeU64(*bytes);
    if (!id) return Status::Corruption("current-execution record of an instance is malformed");
    return std::optional<uint64_t>(*id);
  }
  return NotFoundAsNullopt(eventlog::LatestPartition(store, instance));
}

Result<std::vector<HistoryEvent>> ReadHistory(Store& store, std::string_view instance,
                                              uint64_t execution_id) {
  std::vector<HistoryEvent> history;
  eventlog::ReadOptions options;
  options.max_count = 10'000;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, NotFoundAsNullopt(eventlog::ReadPartition(store, instance,
                                                                          execution_id, options)));
    if (!page) return history;
    for (auto& e : page->events) {
      auto id = DecodeU64(e.key);
      if (!id) {
        return Status::Corruption("history event " + std::to_string(e.sequence) + " of execution " +
                                  std::to_string(execution_id) + " has no valid event_id key");
      }
      history.push_back(HistoryEvent{*id, std::move(e.payload)});
    }
    // Not the page's size: a page also stops at ReadOptions::max_bytes (64 MiB).
    if (page->reached_end()) return history;
    options.from_sequence = page->next_sequence;
  }
}

std::string EncodeKv(const KvEntry& entry) {
  return EncodeU64(static_cast<uint64_t>(entry.updated_at_ms)) + entry.value;
}

Result<KvEntry> DecodeKv(std::string_view bytes) {
  if (bytes.size() < 8) return Status::Corruption("KV record is shorter than its timestamp");
  KvEntry entry;
  entry.updated_at_ms = static_cast<int64_t>(GetU64(bytes));
  entry.value = std::string(bytes.substr(8));
  return entry;
}

Result<std::map<std::string, KvEntry>> ReadKvStore(Store& store, std::string_view instance) {
  std::string prefix = KvPrefix(instance);
  ASSIGN_OR_RETURN(auto pairs, ScanAll(store, prefix));
  std::map<std::string, KvEntry> kv;
  for (auto& [k, v] : pairs) {
    ASSIGN_OR_RETURN(auto entry, DecodeKv(v));
    kv.emplace(k.substr(prefix.size()), std::move(entry));
  }
  return kv;
}

Result<std::map<std::string, KvEntry>> ReadKvMerged(Store& store, std::string_view instance) {
  ASSIGN_OR_RETURN(auto cleared, GetOptional(store, ClearedKey(instance)));
  std::map<std::string, KvEntry> kv;
  if (!cleared) {
    ASSIGN_OR_RETURN(kv, ReadKvStore(store, instance));
  }
  std::string prefix = DeltaPrefix(instance);
  ASSIGN_OR_RETURN(auto delta, ScanAll(store, prefix));
  for (auto& [k, v] : delta) {
    std::string key = k.substr(prefix.size());
    ASSIGN_OR_RETURN(auto value, DecodeDelta(v));
    if (value) {
      kv[key] = std::move(*value);
    } else {
      kv.erase(key);
    }
  }
  return kv;
}

std::string EncodeDelta(const std::optional<KvEntry>& entry) {
  return entry ? std::string(1, '\1') + EncodeKv(*entry) : std::string(1, '\0');
}

Result<std::optional<KvEntry>> DecodeDelta(std::string_view bytes) {
  if (bytes.empty()) return Status::Corruption("KV delta record is empty");
  if (bytes[0] != 1) return std::optional<KvEntry>();
  ASSIGN_OR_RETURN(auto entry, DecodeKv(bytes.substr(1)));
  return std::optional<KvEntry>(std::move(entry));
}

Result<std::vector<HistoryEvent>> ReadCurrentHistory(Store& store, std::string_view instance) {
  ASSIGN_OR_RETURN(auto current, CurrentExecution(store, instance));
  if (!current) return std::vector<HistoryEvent>();
  return ReadHistory(store, instance, *current);
}

Status ValidateInstance(std::string_view instance) {
  return ValidateLength("instance id", instance, 1, kMaxInstanceId);
}

Status LockError(std::string_view token, const Status& engine_error) {
  if (engine_error.code() != Code::kLockLost) return engine_error;
  return Status::LockLost("Invalid lock token " + std::string(token) +
                          ": no longer valid: " + engine_error.message());
}

}  // namespace internal
}  // namespace durastore::orchestration
