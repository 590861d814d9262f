// The event log's C API (durastore/c_eventlog.h) over durastore/eventlog.h and the
// batch's event log operations. Conventions and the shared helpers are in the engine's
// c_api_internal.h.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "c_api_internal.h"
#include "durastore/batch.h"
#include "durastore/c_eventlog.h"
#include "durastore/eventlog.h"
#include "durastore/limits.h"
#include "durastore/status.h"

namespace eventlog = durastore::eventlog;
namespace lim = durastore::limits;
using durastore::Status;
using durastore::c_api_internal::Array;
using durastore::c_api_internal::ArrayOut;
using durastore::c_api_internal::BatchOp;
using durastore::c_api_internal::Bytes;
using durastore::c_api_internal::EnumBits;
using durastore::c_api_internal::Guard;
using durastore::c_api_internal::InvalidEnum;
using durastore::c_api_internal::Items;
using durastore::c_api_internal::MakeStrings;
using durastore::c_api_internal::Millis;
using durastore::c_api_internal::NoItems;
using durastore::c_api_internal::Ref;
using durastore::c_api_internal::ResetOut;
using durastore::c_api_internal::StoreOf;
using durastore::c_api_internal::ValueOut;

// The C limits mirror the C++ ones value for value.
static_assert(DS_MAX_STREAM_KEY == lim::kMaxStreamKey);
static_assert(DS_MAX_EVENT_KEY == lim::kMaxEventKey);

// A page of one partition (ds_log_read_partition) or positioned events (ds_log_read_after).
struct ds_events {
  std::string stream;      // for events of one partition
  uint64_t partition = 0;  // idem
  std::vector<eventlog::Event> events;
  std::optional<uint64_t> next_sequence;              // idem: set when more follow
  std::vector<eventlog::PositionedEvent> positioned;  // for ReadAfter
  std::vector<ds_event> views;
};

namespace {

ds_event EventView(const std::string& stream, uint64_t partition, const eventlog::Event& e) {
  return {stream.data(),    stream.size(), partition,    e.sequence,       e.position,
          e.appended_at_ms, e.key.data(),  e.key.size(), e.payload.data(), e.payload.size()};
}

eventlog::ExpectedVersion Expected(const ds_expected_version* e) {
  using eventlog::ExpectedVersion;
  if (e == nullptr) return ExpectedVersion::Any();
  switch (EnumBits(e->kind)) {
    case DS_EXPECT_ANY:
      return ExpectedVersion::Any();
    case DS_EXPECT_NO_STREAM:
      return ExpectedVersion::NoPartition();
    case DS_EXPECT_EXISTS:
      return ExpectedVersion::Exists();
    case DS_EXPECT_EXACT:
      return ExpectedVersion::Exact(e->sequence);
  }
  InvalidEnum("expected version kind", e->kind);
}

eventlog::ReadOptions ReadOptionsIn(const ds_read_options* c) {
  eventlog::ReadOptions cpp;
  if (c == nullptr) return cpp;
  if (c->has_from_sequence) cpp.from_sequence = c->from_sequence;
  cpp.backward = c->backward;
  cpp.max_count = c->max_count;
  cpp.max_bytes = c->max_bytes;
  return cpp;
}

}  // namespace

// =====================================================================================
// Batch: event log writes
// =====================================================================================

ds_code ds_batch_append(ds_batch* batch, const char* stream, size_t stream_len, uint64_t partition,
                        const ds_event_data* events, size_t count,
                        const ds_expected_version* expected, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    const std::string_view name = Bytes(stream, stream_len, "stream");
    Array(events, count, "events");
    std::vector<eventlog::EventData> data;
    data.reserve(count);
    for (size_t i = 0; i < count; ++i) {
      data.push_back({std::string(Bytes(events[i].payload, events[i].payload_len, "payload")),
                      std::string(Bytes(events[i].key, events[i].key_len, "key"))});
    }
    const auto condition = Expected(expected);
    b.Append(name, partition, std::move(data), condition);
  });
}

ds_code ds_batch_truncate_before(ds_batch* batch, const char* stream, size_t stream_len,
                                 uint64_t partition, uint64_t before_sequence, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.TruncateBefore(Bytes(stream, stream_len, "stream"), partition, before_sequence);
  });
}

ds_code ds_batch_delete_partition(ds_batch* batch, const char* stream, size_t stream_len,
                                  uint64_t partition, ds_error** err) {
  return BatchOp(batch, err, [&](durastore::Batch& b) {
    b.DeletePartition(Bytes(stream, stream_len, "stream"), partition);
  });
}

ds_code ds_batch_delete_stream(ds_batch* batch, const char* stream, size_t stream_len,
                               ds_error** err) {
  return BatchOp(batch, err,
                 [&](durastore::Batch& b) { b.DeleteStream(Bytes(stream, stream_len, "stream")); });
}

// =====================================================================================
// Event log reads
// =====================================================================================

const ds_event* ds_events_items(const ds_events* events, size_t* count) {
  return events == nullptr ? NoItems<ds_event>(count) : Items(events->views, count);
}

bool ds_events_next_sequence(const ds_events* events, uint64_t* next_sequence) {
  if (events == nullptr || !events->next_sequence) return false;
  if (next_sequence != nullptr) *next_sequence = *events->next_sequence;
  return true;
}

void ds_events_free(ds_events* events) { delete events; }

void ds_read_options_init(ds_read_options* options) {
  if (options == nullptr) return;
  const eventlog::ReadOptions defaults;
  *options = ds_read_options{};
  options->backward = defaults.backward;
  options->max_count = defaults.max_count;
  options->max_bytes = defaults.max_bytes;
}

ds_code ds_log_read_partition(ds_store* store, const char* stream, size_t stream_len,
                              uint64_t partition, const ds_read_options* options, ds_events** out,
                              ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    const std::string_view name = Bytes(stream, stream_len, "stream");
    return ValueOut(
        eventlog::ReadPartition(StoreOf(store), name, partition, ReadOptionsIn(options)), *out,
        [&](eventlog::EventPage page) {
          auto result = std::make_unique<ds_events>();
          result->stream = name;
          result->partition = partition;
          result->events = std::move(page.events);
          result->next_sequence = page.next_sequence;
          result->views.reserve(result->events.size());
          for (const auto& e : result->events) {
            result->views.push_back(EventView(result->stream, partition, e));
          }
          return result.release();
        });
  });
}

ds_code ds_log_list_partitions(ds_store* store, const char* stream, size_t stream_len,
                               uint64_t** partitions, size_t* count, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(partitions, count, "partitions", "count");
    return ArrayOut(eventlog::ListPartitions(StoreOf(store), Bytes(stream, stream_len, "stream")),
                    partitions, count);
  });
}

ds_code ds_log_list_streams(ds_store* store, const char* prefix, size_t prefix_len, size_t limit,
                            const char* start_after, size_t start_after_len, ds_strings** out,
                            ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(eventlog::ListStreams(StoreOf(store), Bytes(prefix, prefix_len, "prefix"),
                                          limit == 0 ? 1000 : limit,
                                          Bytes(start_after, start_after_len, "start_after")),
                    *out, MakeStrings);
  });
}

ds_code ds_log_latest_partition(ds_store* store, const char* stream, size_t stream_len,
                                uint64_t* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(out, "out");
    return ValueOut(eventlog::LatestPartition(StoreOf(store), Bytes(stream, stream_len, "stream")),
                    result);
  });
}

ds_code ds_log_partition_info(ds_store* store, const char* stream, size_t stream_len,
                              uint64_t partition, ds_partition_info* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_partition_info& result = Ref(out, "out");
    return ValueOut(
        eventlog::GetPartitionInfo(StoreOf(store), Bytes(stream, stream_len, "stream"), partition),
        result, [](const eventlog::PartitionInfo& i) -> ds_partition_info {
          return {i.partition, i.first_sequence, i.last_sequence, i.event_count, i.bytes};
        });
  });
}

ds_code ds_log_stream_info(ds_store* store, const char* stream, size_t stream_len,
                           ds_stream_info* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ds_stream_info& result = Ref(out, "out");
    return ValueOut(eventlog::GetStreamInfo(StoreOf(store), Bytes(stream, stream_len, "stream")),
                    result, [](const eventlog::StreamInfo& i) -> ds_stream_info {
                      return {i.partition_count, i.latest_partition, i.event_count, i.bytes};
                    });
  });
}

ds_code ds_log_last_position(ds_store* store, uint64_t* out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    uint64_t& result = Ref(out, "out");
    return ValueOut(eventlog::LastPosition(StoreOf(store)), result);
  });
}

ds_code ds_log_read_after(ds_store* store, uint64_t after_position, size_t max_count,
                          int64_t wait_ms, ds_events** out, ds_error** err) {
  return Guard(err, [&]() -> Status {
    ResetOut(out, "out");
    return ValueOut(eventlog::ReadAfter(StoreOf(store), after_position, max_count, Millis(wait_ms)),
                    *out, [](std::vector<eventlog::PositionedEvent> positioned) {
                      auto result = std::make_unique<ds_events>();
                      result->positioned = std::move(positioned);
                      result->views.reserve(result->positioned.size());
                      for (const auto& p : result->positioned) {
                        result->views.push_back(EventView(p.stream, p.partition, p.event));
                      }
                      return result.release();
                    });
  });
}
