// How the event log is stored: its keys and records, and the reads of them that every
// event-log operation shares (reads, appends, verification). Internal to the event log.
//
// Tables streams, stream_keys, partitions, events, event_keys and positions. Layout:
// docs/format.md, section "Tables" (the one statement of the grammar). Integers are
// big-endian so key order is numeric order. A record that does not parse (wrong format
// byte, short value, failed FlatBuffers verification) is Corruption.
#ifndef DURASTORE_EVENTLOG_CODEC_H_
#define DURASTORE_EVENTLOG_CODEC_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "batch_rep.h"
#include "durastore/status.h"
#include "eventlog_records_generated.h"
#include "flatbuffer_record.h"
#include "lmdb_env.h"
#include "status_macros.h"

namespace durastore::eventlog::codec {

using durastore::internal::FinishRecord;
using durastore::internal::GetIfPresent;
using durastore::internal::GetU64;
using durastore::internal::KeyU64;
using durastore::internal::Printable;
using durastore::internal::PutU64;
using durastore::internal::Tables;
using durastore::internal::VerifiedRoot;

constexpr uint8_t kEventFormat = 1;
constexpr size_t kEventHeader = 1 + 8 + 8 + 1;
constexpr size_t kPartitionKeySize = 16;  // stream id, partition
constexpr size_t kEventKeySize = 24;      // stream id, partition, sequence

inline Result<uint64_t> PartitionOfKey(std::string_view key) {
  return KeyU64(key, kPartitionKeySize, 8, "partition index");
}
inline Result<uint64_t> SequenceOfKey(std::string_view key) {
  return KeyU64(key, kEventKeySize, 16, "event");
}

inline std::string StreamIdKey(uint64_t id) {
  std::string k;
  PutU64(k, id);
  return k;
}
inline std::string PartitionKey(uint64_t stream_id, uint64_t partition) {
  std::string k;
  k.reserve(24);
  PutU64(k, stream_id);
  PutU64(k, partition);
  return k;
}
inline std::string EventKey(uint64_t stream_id, uint64_t partition, uint64_t seq) {
  std::string k = PartitionKey(stream_id, partition);
  PutU64(k, seq);
  return k;
}

struct PartitionState {
  bool exists = false;
  uint64_t first_sequence = 0;
  uint64_t last_sequence = 0;
  uint64_t event_count = 0;
  uint64_t bytes = 0;
};

inline Result<PartitionState> DecodePartition(std::string_view v) {
  std::string scratch;
  ASSIGN_OR_RETURN(auto* r, VerifiedRoot<fb::PartitionRecord>(v, scratch, "partition"));
  if (r->format_version() != 1) {
    return Status::Corruption("partition record has unknown format version " +
                              std::to_string(r->format_version()));
  }
  return PartitionState{true, r->first_sequence(), r->last_sequence(), r->event_count(),
                        r->bytes()};
}

inline std::string EncodePartition(const PartitionState& p) {
  flatbuffers::FlatBufferBuilder b(64);
  return FinishRecord(b, fb::CreatePartitionRecord(b, 1, p.first_sequence, p.last_sequence,
                                                   p.event_count, p.bytes));
}

// Looks up a partition; exists=false when absent.
inline Result<PartitionState> LoadPartition(MDB_txn* txn, const Tables& t, uint64_t sid,
                                            uint64_t partition) {
  ASSIGN_OR_RETURN(auto v, GetIfPresent(txn, t.partitions, PartitionKey(sid, partition)));
  if (!v) return PartitionState{};
  return DecodePartition(*v);
}

// The stream's id, or NotFound.
inline Result<uint64_t> FindStream(MDB_txn* txn, const Tables& t, std::string_view stream) {
  ASSIGN_OR_RETURN(auto v, GetIfPresent(txn, t.streams, stream));
  if (!v) return Status::NotFound("stream '" + Printable(stream) + "' does not exist");
  if (v->size() != 8) return Status::Corruption("stream id record is not 8 bytes");
  return GetU64(*v);
}

struct DecodedEvent {
  int64_t appended_at_ms;
  uint64_t position;
  std::string_view key;
  std::string_view payload;
};

inline Result<DecodedEvent> DecodeEvent(std::string_view v) {
  if (v.size() < kEventHeader || static_cast<uint8_t>(v[0]) != kEventFormat) {
    return Status::Corruption("event record has a bad header");
  }
  size_t key_len = static_cast<uint8_t>(v[17]);
  if (v.size() < kEventHeader + key_len) return Status::Corruption("event record is truncated");
  return DecodedEvent{static_cast<int64_t>(GetU64(v, 1)), GetU64(v, 9),
                      v.substr(kEventHeader, key_len), v.substr(kEventHeader + key_len)};
}

}  // namespace durastore::eventlog::codec

#endif  // DURASTORE_EVENTLOG_CODEC_H_
