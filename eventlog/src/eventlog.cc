// The event log on LMDB: tables streams, stream_keys, partitions, events, event_keys and
// positions. Layout: docs/format.md, section "Tables" (the one statement of the grammar).
//
// Integers are big-endian so key order is numeric order. A record that does not parse
// (wrong format byte, short value, failed FlatBuffers verification) is Corruption.
#include <algorithm>
#include <optional>
#include <unordered_map>

#include "apply.h"
#include "durastore/eventlog.h"
#include "durastore/limits.h"
#include "durastore/store.h"
#include "eventlog_codec.h"
#include "eventlog_records_generated.h"
#include "flatbuffer_record.h"
#include "lmdb_env.h"
#include "status_macros.h"
#include "store_internal.h"
#include "time_math.h"

namespace durastore::eventlog {
namespace {

using durastore::internal::Cursor;
using durastore::internal::Env;
using durastore::internal::FinishRecord;
using durastore::internal::Get;
using durastore::internal::GetIfPresent;
using durastore::internal::GetU64;
using durastore::internal::HasPrefix;
using durastore::internal::KeyU64;
using durastore::internal::LmdbStatus;
using durastore::internal::Printable;
using durastore::internal::PutU64;
using durastore::internal::Tables;
using durastore::internal::VerifiedRoot;
using durastore::internal::View;

using codec::DecodedEvent;
using codec::DecodeEvent;
using codec::DecodePartition;
using codec::EncodePartition;
using codec::EventKey;
using codec::FindStream;
using codec::kEventFormat;
using codec::kEventHeader;
using codec::kEventKeySize;
using codec::kPartitionKeySize;
using codec::LoadPartition;
using codec::PartitionKey;
using codec::PartitionOfKey;
using codec::PartitionState;
using codec::SequenceOfKey;
using codec::StreamIdKey;

std::string Where(std::string_view stream, uint64_t partition) {
  return "stream '" + Printable(stream) + "' partition " + std::to_string(partition);
}

Event ToEvent(uint64_t seq, const DecodedEvent& d) {
  return Event{seq, d.position, d.appended_at_ms, std::string(d.key), std::string(d.payload)};
}

bool Matches(const ExpectedVersion& expected, const PartitionState& p) {
  switch (expected.kind()) {
    case ExpectedVersion::Kind::kAny:
      return true;
    case ExpectedVersion::Kind::kNoPartition:
      return !p.exists;
    case ExpectedVersion::Kind::kExists:
      return p.exists;
    case ExpectedVersion::Kind::kExact:
      return p.last_sequence == expected.sequence();
  }
  return false;
}

std::string Describe(const ExpectedVersion& e) {
  switch (e.kind()) {
    case ExpectedVersion::Kind::kAny:
      return "any";
    case ExpectedVersion::Kind::kNoPartition:
      return "no partition";
    case ExpectedVersion::Kind::kExists:
      return "exists";
    case ExpectedVersion::Kind::kExact:
      return "last sequence " + std::to_string(e.sequence());
  }
  return "?";
}

// Deletes the events of a partition with sequence < before (all when before = max),
// with their position and event-key entries. Updates `p`.
Status DeleteEvents(MDB_txn* txn, const Tables& t, uint64_t sid, uint64_t partition,
                    uint64_t before, PartitionState& p) {
  std::string prefix = PartitionKey(sid, partition);
  Cursor cur(txn, t.events);
  MDB_val k, v;
  int rc = cur.Seek(prefix, &k, &v);
  while (rc == 0 && HasPrefix(View(k), prefix)) {
    ASSIGN_OR_RETURN(uint64_t seq, SequenceOfKey(View(k)));
    if (seq >= before) break;
    ASSIGN_OR_RETURN(DecodedEvent ev, DecodeEvent(View(v)));
    RETURN_IF_ERROR(durastore::internal::Del(txn, t.positions, StreamIdKey(ev.position)));
    if (!ev.key.empty()) {
      RETURN_IF_ERROR(durastore::internal::Del(txn, t.event_keys, prefix + std::string(ev.key)));
    }
    p.event_count -= std::min<uint64_t>(p.event_count, 1);
    p.bytes -= std::min<uint64_t>(p.bytes, ev.payload.size());
    rc = durastore::internal::CursorDelete(cur.get());
    if (rc != 0) return LmdbStatus(rc, "deleting event");
    rc = cur.Next(&k, &v);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "scanning events");
  p.first_sequence = p.event_count == 0 ? 0 : std::max(p.first_sequence, before);
  return Status::OK();
}

// The one scan of a stream's partitions: calls visit(partition, record) for each
// partition of stream `sid` in ascending order; visit returns true to go on, false to
// stop. An error (from visit, a malformed key or LMDB) ends the scan and is returned.
template <typename Visit>
Status ForEachPartition(MDB_txn* txn, const Tables& t, uint64_t sid, Visit&& visit) {
  Cursor cur(txn, t.partitions);
  MDB_val k, v;
  const std::string prefix = StreamIdKey(sid);
  int rc = cur.Seek(prefix, &k, &v);
  for (; rc == 0 && HasPrefix(View(k), prefix); rc = cur.Next(&k, &v)) {
    ASSIGN_OR_RETURN(uint64_t partition, PartitionOfKey(View(k)));
    ASSIGN_OR_RETURN(bool go_on, visit(partition, View(v)));
    if (!go_on) return Status::OK();
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "scanning partitions");
  return Status::OK();
}

// Partition numbers of stream `sid`, ascending.
Result<std::vector<uint64_t>> PartitionsOf(MDB_txn* txn, const Tables& t, uint64_t sid) {
  std::vector<uint64_t> out;
  RETURN_IF_ERROR(
      ForEachPartition(txn, t, sid, [&](uint64_t partition, std::string_view) -> Result<bool> {
        out.push_back(partition);
        return true;
      }));
  return out;
}

// Removes the stream-id mapping when the stream has no partitions left.
Status DropStreamIfEmpty(MDB_txn* txn, const Tables& t, std::string_view stream, uint64_t sid) {
  bool any = false;
  RETURN_IF_ERROR(ForEachPartition(txn, t, sid, [&](uint64_t, std::string_view) -> Result<bool> {
    any = true;
    return false;
  }));
  if (any) return Status::OK();
  RETURN_IF_ERROR(durastore::internal::Del(txn, t.streams, stream));
  return durastore::internal::Del(txn, t.stream_keys, StreamIdKey(sid));
}

Status DeletePartitionIn(MDB_txn* txn, const Tables& t, uint64_t sid, uint64_t partition) {
  ASSIGN_OR_RETURN(PartitionState p, LoadPartition(txn, t, sid, partition));
  if (!p.exists) return Status::OK();
  RETURN_IF_ERROR(DeleteEvents(txn, t, sid, partition, UINT64_MAX, p));
  return durastore::internal::Del(txn, t.partitions, PartitionKey(sid, partition));
}

}  // namespace

namespace internal {

Status ApplyAppend(WriteContext& ctx, const durastore::internal::AppendOp& op) {
  const Tables& t = *ctx.tables;
  uint64_t sid;
  auto found = FindStream(ctx.txn, t, op.stream);
  if (found.ok()) {
    sid = *found;
  } else if (found.status().code() == Code::kNotFound) {
    sid = ctx.seq->next_stream_id++;
    RETURN_IF_ERROR(durastore::internal::Put(ctx.txn, t.streams, op.stream, StreamIdKey(sid)));
    RETURN_IF_ERROR(durastore::internal::Put(ctx.txn, t.stream_keys, StreamIdKey(sid), op.stream));
  } else {
    return found.status();
  }

  ASSIGN_OR_RETURN(PartitionState p, LoadPartition(ctx.txn, t, sid, op.partition));
  if (!Matches(op.expected, p)) {
    return Status::Conflict(Where(op.stream, op.partition) + ": expected " + Describe(op.expected) +
                            ", actual last sequence " + std::to_string(p.last_sequence) +
                            (p.exists ? "" : " (partition does not exist)"));
  }

  AppendResult result;
  std::string prefix = PartitionKey(sid, op.partition);
  std::string value;
  for (const EventData& e : op.events) {
    uint64_t seq = ++p.last_sequence;
    uint64_t pos = ctx.seq->next_position++;
    if (!e.key.empty()) {
      std::string kkey = prefix + e.key;
      auto existing = Get(ctx.txn, t.event_keys, kkey);
      if (existing.ok()) {
        ASSIGN_OR_RETURN(uint64_t used_by, KeyU64(*existing, 8, 0, "event-key index value"));
        return Status::AlreadyExists(Where(op.stream, op.partition) + ": event key '" +
                                     Printable(e.key) + "' is already used by sequence " +
                                     std::to_string(used_by));
      }
      if (existing.status().code() != Code::kNotFound) return existing.status();
      std::string seq_bytes;
      PutU64(seq_bytes, seq);
      RETURN_IF_ERROR(durastore::internal::Put(ctx.txn, t.event_keys, kkey, seq_bytes));
    }
    value.clear();
    value.push_back(static_cast<char>(kEventFormat));
    PutU64(value, static_cast<uint64_t>(ctx.now_ms));
    PutU64(value, pos);
    value.push_back(static_cast<char>(e.key.size()));
    value += e.key;
    value += e.payload;
    std::string ekey = prefix;
    PutU64(ekey, seq);
    RETURN_IF_ERROR(durastore::internal::Put(ctx.txn, t.events, ekey, value));
    RETURN_IF_ERROR(
        durastore::internal::Put(ctx.txn, t.positions, StreamIdKey(pos), ekey, MDB_APPEND));
    if (p.event_count == 0) p.first_sequence = seq;
    ++p.event_count;
    p.bytes += e.payload.size();
    if (result.first_sequence == 0) {
      result.first_sequence = seq;
      result.first_position = pos;
    }
    result.last_sequence = seq;
    result.last_position = pos;
  }
  p.exists = true;
  RETURN_IF_ERROR(durastore::internal::Put(ctx.txn, t.partitions, prefix, EncodePartition(p)));
  ctx.result->appends.push_back(result);
  ctx.appended = true;
  return Status::OK();
}

Status ApplyTruncate(WriteContext& ctx, const durastore::internal::TruncateOp& op) {
  const Tables& t = *ctx.tables;
  auto sid = FindStream(ctx.txn, t, op.stream);
  if (!sid.ok()) return sid.status().code() == Code::kNotFound ? Status::OK() : sid.status();
  ASSIGN_OR_RETURN(PartitionState p, LoadPartition(ctx.txn, t, *sid, op.partition));
  if (!p.exists) return Status::OK();
  RETURN_IF_ERROR(DeleteEvents(ctx.txn, t, *sid, op.partition, op.before_sequence, p));
  return durastore::internal::Put(ctx.txn, t.partitions, PartitionKey(*sid, op.partition),
                                  EncodePartition(p));
}

Status ApplyDeletePartition(WriteContext& ctx, const durastore::internal::DeletePartitionOp& op) {
  const Tables& t = *ctx.tables;
  auto sid = FindStream(ctx.txn, t, op.stream);
  if (!sid.ok()) return sid.status().code() == Code::kNotFound ? Status::OK() : sid.status();
  RETURN_IF_ERROR(DeletePartitionIn(ctx.txn, t, *sid, op.partition));
  return DropStreamIfEmpty(ctx.txn, t, op.stream, *sid);
}

Status ApplyDeleteStream(WriteContext& ctx, const durastore::internal::DeleteStreamOp& op) {
  const Tables& t = *ctx.tables;
  auto sid = FindStream(ctx.txn, t, op.stream);
  if (!sid.ok()) return sid.status().code() == Code::kNotFound ? Status::OK() : sid.status();
  ASSIGN_OR_RETURN(std::vector<uint64_t> partitions, PartitionsOf(ctx.txn, t, *sid));
  for (uint64_t partition : partitions) {
    RETURN_IF_ERROR(DeletePartitionIn(ctx.txn, t, *sid, partition));
  }
  return DropStreamIfEmpty(ctx.txn, t, op.stream, *sid);
}

}  // namespace internal

// ---------------------------------------------------------------------------------------
// Reads

namespace {

struct Reading {
  Env* env;
  durastore::internal::ReadTxn txn;
  const Tables& t() const { return env->tables(); }
};

Result<Reading> StartRead(Store& store) {
  ASSIGN_OR_RETURN(Env * env, StoreInternal::GetEnv(store));
  ASSIGN_OR_RETURN(auto txn, env->BeginRead());
  return Reading{env, std::move(txn)};
}

}  // namespace

Result<EventPage> ReadPartition(Store& store, std::string_view stream, uint64_t partition,
                                const ReadOptions& options) {
  RETURN_IF_ERROR(durastore::internal::ValidateStreamKey(stream));
  if (options.max_count == 0) return Status::InvalidArgument("ReadOptions.max_count must be >= 1");
  ASSIGN_OR_RETURN(Reading r, StartRead(store));
  ASSIGN_OR_RETURN(uint64_t sid, FindStream(r.txn.get(), r.t(), stream));
  ASSIGN_OR_RETURN(PartitionState p, LoadPartition(r.txn.get(), r.t(), sid, partition));
  if (!p.exists) return Status::NotFound(Where(stream, partition) + " does not exist");

  EventPage page;
  std::vector<Event>& out = page.events;
  std::string prefix = PartitionKey(sid, partition);
  Cursor cur(r.txn.get(), r.t().events);
  MDB_val k, v;
  int rc;
  if (!options.backward) {
    rc = cur.Seek(EventKey(sid, partition, options.from_sequence.value_or(0)), &k, &v);
  } else {
    uint64_t from = options.from_sequence.value_or(UINT64_MAX);
    rc = cur.Seek(EventKey(sid, partition, from), &k, &v);
    if (rc == MDB_NOTFOUND) {
      rc = cur.Last(&k, &v);
    } else if (rc == 0 && !HasPrefix(View(k), prefix)) {
      rc = cur.Prev(&k, &v);
    } else if (rc == 0) {
      ASSIGN_OR_RETURN(uint64_t seq, SequenceOfKey(View(k)));
      if (seq > from) rc = cur.Prev(&k, &v);
    }
  }
  // Cross-checked against the partition record, which says its events are exactly
  // first_sequence..last_sequence: a gap or a short end is damage, never a short page.
  // `expect` is the sequence the read must meet next (0, never a sequence, when the
  // partition holds none).
  uint64_t expect = 0;
  if (p.event_count > 0) {
    expect = options.backward
                 ? std::min(options.from_sequence.value_or(UINT64_MAX), p.last_sequence)
                 : std::max(options.from_sequence.value_or(0), p.first_sequence);
  }
  auto damaged = [&](const std::string& what) {
    return Status::Corruption(Where(stream, partition) + " is damaged: " + what +
                              " (its record says events " + std::to_string(p.first_sequence) +
                              ".." + std::to_string(p.last_sequence) + ")");
  };
  size_t bytes = 0;
  while (rc == 0 && HasPrefix(View(k), prefix) && out.size() < options.max_count) {
    ASSIGN_OR_RETURN(uint64_t seq, SequenceOfKey(View(k)));
    if (seq != expect) {
      return damaged("found event " + std::to_string(seq) + " where event " +
                     std::to_string(expect) + " should be");
    }
    ASSIGN_OR_RETURN(DecodedEvent d, DecodeEvent(View(v)));
    if (!out.empty() && bytes + d.payload.size() > options.max_bytes) break;
    bytes += d.payload.size();
    out.push_back(ToEvent(seq, d));
    expect = options.backward ? seq - 1 : seq + 1;
    rc = options.backward ? cur.Prev(&k, &v) : cur.Next(&k, &v);
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "reading events");
  // The loop stopped at max_count or max_bytes with the cursor on an event of this
  // partition that was not returned: that is where the next page starts.
  if (rc == 0 && HasPrefix(View(k), prefix)) {
    ASSIGN_OR_RETURN(uint64_t next, SequenceOfKey(View(k)));
    page.next_sequence = next;
  } else if (p.event_count > 0 && expect >= p.first_sequence && expect <= p.last_sequence) {
    return damaged("event " + std::to_string(expect) + " is missing");
  }
  return page;
}

Result<uint64_t> LatestPartition(Store& store, std::string_view stream) {
  ASSIGN_OR_RETURN(auto partitions, ListPartitions(store, stream));
  return partitions.back();
}

Result<std::vector<uint64_t>> ListPartitions(Store& store, std::string_view stream) {
  RETURN_IF_ERROR(durastore::internal::ValidateStreamKey(stream));
  ASSIGN_OR_RETURN(Reading r, StartRead(store));
  ASSIGN_OR_RETURN(uint64_t sid, FindStream(r.txn.get(), r.t(), stream));
  ASSIGN_OR_RETURN(auto partitions, PartitionsOf(r.txn.get(), r.t(), sid));
  if (partitions.empty()) {
    return Status::NotFound("stream '" + Printable(stream) + "' has no partitions");
  }
  return partitions;
}

Result<PartitionInfo> GetPartitionInfo(Store& store, std::string_view stream, uint64_t partition) {
  RETURN_IF_ERROR(durastore::internal::ValidateStreamKey(stream));
  ASSIGN_OR_RETURN(Reading r, StartRead(store));
  ASSIGN_OR_RETURN(uint64_t sid, FindStream(r.txn.get(), r.t(), stream));
  ASSIGN_OR_RETURN(PartitionState p, LoadPartition(r.txn.get(), r.t(), sid, partition));
  if (!p.exists) return Status::NotFound(Where(stream, partition) + " does not exist");
  return PartitionInfo{partition, p.first_sequence, p.last_sequence, p.event_count, p.bytes};
}

Result<StreamInfo> GetStreamInfo(Store& store, std::string_view stream) {
  RETURN_IF_ERROR(durastore::internal::ValidateStreamKey(stream));
  ASSIGN_OR_RETURN(Reading r, StartRead(store));
  ASSIGN_OR_RETURN(uint64_t sid, FindStream(r.txn.get(), r.t(), stream));
  StreamInfo info;
  RETURN_IF_ERROR(ForEachPartition(
      r.txn.get(), r.t(), sid, [&](uint64_t partition, std::string_view record) -> Result<bool> {
        ASSIGN_OR_RETURN(PartitionState p, DecodePartition(record));
        ++info.partition_count;
        info.latest_partition = partition;
        info.event_count += p.event_count;
        info.bytes += p.bytes;
        return true;
      }));
  if (info.partition_count == 0) {
    return Status::NotFound("stream '" + Printable(stream) + "' has no partitions");
  }
  return info;
}

Result<std::vector<std::string>> ListStreams(Store& store, std::string_view prefix, size_t limit,
                                             std::string_view start_after) {
  ASSIGN_OR_RETURN(Reading r, StartRead(store));
  std::vector<std::string> out;
  Cursor cur(r.txn.get(), r.t().streams);
  MDB_val k, v;
  const std::string from = std::max(std::string(prefix), std::string(start_after));
  int rc = from.empty() ? cur.First(&k, &v) : cur.Seek(from, &k, &v);
  for (; rc == 0 && out.size() < limit && HasPrefix(View(k), prefix); rc = cur.Next(&k, &v)) {
    if (!start_after.empty() && View(k) == start_after) continue;
    out.emplace_back(View(k));
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "listing streams");
  return out;
}

Result<uint64_t> LastPosition(Store& store) {
  // The counter, not the highest stored position: deleting events must not move it back.
  return StoreInternal::CommittedPosition(store);
}

namespace {

// One pass of the tail read in one snapshot; never waits.
Result<TailPage> ReadTailOnce(Store& store, uint64_t after, const TailOptions& o) {
  TailPage page;
  page.next_after = after;
  if (after == UINT64_MAX) return page;  // nothing can follow
  ASSIGN_OR_RETURN(Reading r, StartRead(store));
  // Stream id -> its key when the filter takes the stream, nullopt when it does not:
  // each stream's key is read once per call.
  std::unordered_map<uint64_t, std::optional<std::string>> streams;
  size_t bytes = 0;
  size_t skipped = 0;
  Cursor cur(r.txn.get(), r.t().positions);
  MDB_val k, v;
  int rc = cur.Seek(StreamIdKey(after + 1), &k, &v);
  for (; rc == 0; rc = cur.Next(&k, &v)) {
    ASSIGN_OR_RETURN(uint64_t position, KeyU64(View(k), 8, 0, "position index"));
    std::string_view addr = View(v);
    if (addr.size() != kEventKeySize) return Status::Corruption("position record is not 24 bytes");
    uint64_t sid = GetU64(addr);
    auto it = streams.find(sid);
    if (it == streams.end()) {
      ASSIGN_OR_RETURN(auto key, Get(r.txn.get(), r.t().stream_keys, StreamIdKey(sid)));
      bool taken = o.exact_stream ? key == o.stream_prefix : HasPrefix(key, o.stream_prefix);
      it = streams.emplace(sid, taken ? std::optional<std::string>(key) : std::nullopt).first;
    }
    if (!it->second.has_value()) {
      if (skipped == o.max_skipped) {
        page.stopped_early = true;
        break;
      }
      ++skipped;
      page.next_after = position;
      continue;
    }
    if (page.events.size() == o.max_count) {
      page.stopped_early = true;
      break;
    }
    ASSIGN_OR_RETURN(auto raw, Get(r.txn.get(), r.t().events, addr));
    ASSIGN_OR_RETURN(DecodedEvent d, DecodeEvent(raw));
    if (!page.events.empty() && bytes + d.payload.size() > o.max_bytes) {
      page.stopped_early = true;
      break;
    }
    bytes += d.payload.size();
    page.events.push_back(
        PositionedEvent{*it->second, GetU64(addr, 8), ToEvent(GetU64(addr, 16), d)});
    page.next_after = position;
  }
  if (rc != 0 && rc != MDB_NOTFOUND) return LmdbStatus(rc, "reading positions");
  return page;
}

}  // namespace

Result<TailPage> ReadAfter(Store& store, uint64_t after_position, const TailOptions& options) {
  if (options.max_count == 0) return Status::InvalidArgument("ReadAfter max_count must be >= 1");
  if (options.max_skipped == 0) {
    return Status::InvalidArgument("TailOptions.max_skipped must be >= 1");
  }
  if (options.stream_prefix.size() > limits::kMaxStreamKey) {
    return Status::InvalidArgument("TailOptions.stream_prefix is longer than a stream key (" +
                                   std::to_string(limits::kMaxStreamKey) + " bytes)");
  }
  if (options.wait.count() < 0) {
    return Status::InvalidArgument("ReadAfter wait must not be negative, got " +
                                   std::to_string(options.wait.count()) + " ms");
  }
  const auto deadline = durastore::internal::DeadlineAfter(options.wait);
  uint64_t after = after_position;
  for (;;) {
    // Taken before the read: a commit after it wakes the wait below. Using the committed
    // position (not `after`) keeps deleted events from turning this into a spin.
    uint64_t seen = std::max(after, StoreInternal::CommittedPosition(store));
    ASSIGN_OR_RETURN(TailPage page, ReadTailOnce(store, after, options));
    if (!page.events.empty() || page.stopped_early ||
        std::chrono::steady_clock::now() >= deadline) {
      return page;
    }
    after = page.next_after;  // what the filter passed over is not examined again
    StoreInternal::WaitForAppend(store, seen, deadline);
  }
}

Result<std::vector<PositionedEvent>> ReadAfter(Store& store, uint64_t after_position,
                                               size_t max_count, std::chrono::milliseconds wait) {
  TailOptions options;
  options.max_count = max_count;
  options.max_bytes = SIZE_MAX;
  options.wait = wait;
  ASSIGN_OR_RETURN(TailPage page, ReadAfter(store, after_position, options));
  return std::move(page.events);
}

}  // namespace durastore::eventlog
