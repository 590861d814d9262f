// The event log's index checks for Store::Verify (engine/src/verify.h): every stream name
// against its id, every partition record against its events, and every event against its
// position and event-key entries, each from both sides.
#include <string>

#include "eventlog_codec.h"
#include "verify.h"

namespace durastore::internal {

using eventlog::codec::DecodedEvent;
using eventlog::codec::DecodeEvent;
using eventlog::codec::DecodePartition;
using eventlog::codec::EventKey;
using eventlog::codec::kEventKeySize;
using eventlog::codec::kPartitionKeySize;
using eventlog::codec::PartitionState;
using eventlog::codec::StreamIdKey;

namespace {

// The stored value of `key` in `dbi`, or why there is none.
Result<std::string_view> Lookup(MDB_txn* txn, MDB_dbi dbi, std::string_view key) {
  ASSIGN_OR_RETURN(auto v, GetIfPresent(txn, dbi, key));
  if (!v) return Status::NotFound("missing");
  return *v;
}

void CheckStreams(MDB_txn* txn, const Tables& t, const Sequences& seqs, VerifySink& sink,
                  Status* st) {
  *st = ForEachRecord(
      txn, t.streams, "streams", sink, [&](std::string_view name, std::string_view v) {
        if (v.size() != 8) return sink.Problem("streams", name, "stream id is not 8 bytes");
        uint64_t sid = GetU64(v);
        if (sid >= seqs.next_stream_id) sink.Problem("streams", name, "stream id past its counter");
        auto back = Lookup(txn, t.stream_keys, StreamIdKey(sid));
        if (!back.ok() || *back != name) {
          sink.Problem("streams", name,
                       "stream_keys does not name it back (" +
                           (back.ok() ? "another name" : back.status().ToString()) + ")");
        }
      });
  if (!st->ok()) return;
  *st = ForEachRecord(txn, t.stream_keys, "stream_keys", sink,
                      [&](std::string_view sid, std::string_view name) {
                        auto back = Lookup(txn, t.streams, name);
                        if (!back.ok() || *back != sid) {
                          sink.Problem("stream_keys", sid, "streams does not map its name to it");
                        }
                      });
}

// A partition record against the events under it.
void CheckPartition(MDB_txn* txn, const Tables& t, std::string_view key, std::string_view v,
                    VerifySink& sink) {
  auto p = DecodePartition(v);
  if (!p.ok()) return sink.Problem("partitions", key, p.status().ToString());
  if (key.size() != kPartitionKeySize) return sink.Problem("partitions", key, "bad key length");
  if (!GetIfPresent(txn, t.stream_keys, key.substr(0, 8)).value_or(std::nullopt)) {
    sink.Problem("partitions", key, "its stream id has no stream");
  }
  uint64_t count = 0, bytes = 0, first = 0, last = 0;
  bool gap = false;
  Cursor cur(txn, t.events);
  MDB_val k, ev;
  int rc = cur.Seek(key, &k, &ev);
  for (; (rc == 0 || rc == kChecksumMismatch) && HasPrefix(View(k), key); rc = cur.Next(&k, &ev)) {
    uint64_t seq = GetU64(View(k), 16);
    if (count > 0 && seq != last + 1) gap = true;
    if (count == 0) first = seq;
    last = seq;
    ++count;
    if (rc == 0) {
      if (auto d = DecodeEvent(View(ev)); d.ok()) bytes += d->payload.size();
    }
  }
  if (count != p->event_count ||
      (count > 0 && (first != p->first_sequence || last != p->last_sequence || gap))) {
    sink.Problem("partitions", key,
                 "record says " + std::to_string(p->event_count) + " events " +
                     std::to_string(p->first_sequence) + ".." + std::to_string(p->last_sequence) +
                     ", the events table holds " + std::to_string(count) +
                     (count > 0 ? " (" + std::to_string(first) + ".." + std::to_string(last) +
                                      (gap ? ", with gaps)" : ")")
                                : ""));
  } else if (bytes != p->bytes) {
    sink.Problem("partitions", key,
                 "record says " + std::to_string(p->bytes) + " payload bytes, events hold " +
                     std::to_string(bytes));
  }
}

// An event against its partition, position entry and event-key entry.
void CheckEvent(MDB_txn* txn, const Tables& t, const Sequences& seqs, std::string_view key,
                std::string_view v, VerifySink& sink) {
  if (key.size() != kEventKeySize) return sink.Problem("events", key, "bad key length");
  auto d = DecodeEvent(v);
  if (!d.ok()) return sink.Problem("events", key, d.status().ToString());
  if (!GetIfPresent(txn, t.partitions, key.substr(0, kPartitionKeySize)).value_or(std::nullopt)) {
    sink.Problem("events", key, "no partition record");
  }
  if (d->position >= seqs.next_position) sink.Problem("events", key, "position past its counter");
  auto pos = Lookup(txn, t.positions, StreamIdKey(d->position));
  if (!pos.ok() || *pos != key) {
    sink.Problem("events", key,
                 "positions entry " + std::to_string(d->position) + " does not point back");
  }
  if (!d->key.empty()) {
    std::string ekey(key.substr(0, kPartitionKeySize));
    ekey += d->key;
    auto seq = Lookup(txn, t.event_keys, ekey);
    if (!seq.ok() || *seq != key.substr(16, 8)) {
      sink.Problem("events", key, "event_keys entry of its key does not point back");
    }
  }
}

}  // namespace

Status VerifyEventLog(MDB_txn* txn, const Tables& t, const Sequences& seqs, VerifySink& sink) {
  Status st;
  CheckStreams(txn, t, seqs, sink, &st);
  RETURN_IF_ERROR(st);
  RETURN_IF_ERROR(ForEachRecord(
      txn, t.partitions, "partitions", sink,
      [&](std::string_view k, std::string_view v) { CheckPartition(txn, t, k, v, sink); }));
  RETURN_IF_ERROR(ForEachRecord(
      txn, t.events, "events", sink,
      [&](std::string_view k, std::string_view v) { CheckEvent(txn, t, seqs, k, v, sink); }));
  RETURN_IF_ERROR(ForEachRecord(
      txn, t.event_keys, "event_keys", sink, [&](std::string_view k, std::string_view v) {
        if (k.size() <= kPartitionKeySize || v.size() != 8) {
          return sink.Problem("event_keys", k, "bad key or value length");
        }
        std::string ev(k.substr(0, kPartitionKeySize));
        ev += v;
        auto e = Lookup(txn, t.events, ev);
        auto d = e.ok() ? DecodeEvent(*e) : Result<DecodedEvent>(e.status());
        if (!d.ok() || d->key != k.substr(kPartitionKeySize)) {
          sink.Problem("event_keys", k, "its event is missing or has another key");
        }
      }));
  return ForEachRecord(
      txn, t.positions, "positions", sink, [&](std::string_view k, std::string_view v) {
        auto e = v.size() == kEventKeySize
                     ? Lookup(txn, t.events, v)
                     : Result<std::string_view>(Status::Corruption("bad length"));
        auto d = e.ok() ? DecodeEvent(*e) : Result<DecodedEvent>(e.status());
        if (!d.ok() || k.size() != 8 || d->position != GetU64(k)) {
          sink.Problem("positions", k, "its event is missing or has another position");
        }
      });
}

}  // namespace durastore::internal
