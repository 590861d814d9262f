/* durastore C API, the event log's part: appends and deletes in a batch, partition reads
 * and the store-wide tail (durastore/eventlog.h). Implemented in eventlog/src/c_eventlog.cc;
 * the contract of every C header is at the top of durastore/c_store.h. */
#ifndef DURASTORE_C_EVENTLOG_H_
#define DURASTORE_C_EVENTLOG_H_

#include <stddef.h>
#include <stdint.h>

#include "durastore/c_store.h"
#include "durastore/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Limits (bytes)                                                                       */
/* ------------------------------------------------------------------------------------ */
#define DS_MAX_STREAM_KEY 256u
#define DS_MAX_EVENT_KEY 128u

/* ------------------------------------------------------------------------------------ */
/* Batch: event log writes (see durastore/batch.h)                                      */
/* ------------------------------------------------------------------------------------ */
typedef enum ds_expected_kind {
  DS_EXPECT_ANY = 0,
  DS_EXPECT_NO_STREAM = 1, /* the partition was never written */
  DS_EXPECT_EXISTS = 2,    /* the partition was appended to before */
  DS_EXPECT_EXACT = 3      /* its last sequence is exactly `sequence` (0 = no events) */
} ds_expected_kind;

typedef struct ds_expected_version {
  ds_expected_kind kind;
  uint64_t sequence; /* DS_EXPECT_EXACT only */
} ds_expected_version;

typedef struct ds_event_data {
  const char* payload;
  size_t payload_len;
  const char* key; /* optional event key: key_len 0 = none; unique within the partition */
  size_t key_len;
} ds_event_data;

/* Appends events[0..count) (count >= 1) to stream/partition if `expected` holds (NULL =
 * any). At commit: DS_CONFLICT naming the actual last sequence, DS_ALREADY_EXISTS for a
 * duplicate event key. */
DURASTORE_EXPORT ds_code ds_batch_append(ds_batch* batch, const char* stream, size_t stream_len,
                                         uint64_t partition, const ds_event_data* events,
                                         size_t count, const ds_expected_version* expected,
                                         ds_error** err);
/* Deletes events with sequence < before_sequence (the partition keeps its last sequence). */
DURASTORE_EXPORT ds_code ds_batch_truncate_before(ds_batch* batch, const char* stream,
                                                  size_t stream_len, uint64_t partition,
                                                  uint64_t before_sequence, ds_error** err);
/* Deletes a partition; a later append starts again at sequence 1. */
DURASTORE_EXPORT ds_code ds_batch_delete_partition(ds_batch* batch, const char* stream,
                                                   size_t stream_len, uint64_t partition,
                                                   ds_error** err);
/* Deletes every partition of the stream. */
DURASTORE_EXPORT ds_code ds_batch_delete_stream(ds_batch* batch, const char* stream,
                                                size_t stream_len, ds_error** err);

/* ------------------------------------------------------------------------------------ */
/* Event log reads (own read transaction; never blocked by commits)                      */
/* ------------------------------------------------------------------------------------ */
typedef struct ds_event {
  const char* stream;
  size_t stream_len;
  uint64_t partition;
  uint64_t sequence; /* within the partition, from 1, gapless */
  uint64_t position; /* store-wide, increasing in commit order */
  int64_t appended_at_ms;
  const char* key; /* key_len 0 = none */
  size_t key_len;
  const char* payload;
  size_t payload_len;
} ds_event;
typedef struct ds_events ds_events;
/* The events of the page or tail read, in read order. */
DURASTORE_EXPORT const ds_event* ds_events_items(const ds_events* events, size_t* count);
/* For a page from ds_log_read_partition: true when the page stopped before the end of the
 * partition (at max_count or max_bytes; the number of events does not tell), and then
 * *next_sequence (may be NULL) receives the from_sequence of the next page. False for the
 * partition's last page, for ds_log_read_after results and for NULL. */
DURASTORE_EXPORT bool ds_events_next_sequence(const ds_events* events, uint64_t* next_sequence);
/* Frees the events; their views go with them. */
DURASTORE_EXPORT void ds_events_free(ds_events* events);

typedef struct ds_read_options {
  bool has_from_sequence; /* forward: first >= from; backward: first <= from */
  uint64_t from_sequence;
  bool backward;    /* newest first */
  size_t max_count; /* default 1000, at least 1 */
  size_t max_bytes; /* default 64 MiB; at least one event is returned */
} ds_read_options;
/* Sets every field to its default; call before setting fields. */
DURASTORE_EXPORT void ds_read_options_init(ds_read_options* options);

/* One page of events; options NULL = defaults. DS_NOT_FOUND if the stream or partition
 * does not exist. Page with ds_events_next_sequence. */
DURASTORE_EXPORT ds_code ds_log_read_partition(ds_store* store, const char* stream,
                                               size_t stream_len, uint64_t partition,
                                               const ds_read_options* options, ds_events** out,
                                               ds_error** err);
/* Partition numbers ascending, as a uint64_t array freed with ds_free (NULL if count 0).
 * DS_NOT_FOUND if the stream does not exist. */
DURASTORE_EXPORT ds_code ds_log_list_partitions(ds_store* store, const char* stream,
                                                size_t stream_len, uint64_t** partitions,
                                                size_t* count, ds_error** err);
/* Stream keys with `prefix` in byte order, at most limit (0 = 1000), after start_after
 * when set (eventlog::ListStreams). Page by passing the last key back as start_after. */
DURASTORE_EXPORT ds_code ds_log_list_streams(ds_store* store, const char* prefix, size_t prefix_len,
                                             size_t limit, const char* start_after,
                                             size_t start_after_len, ds_strings** out,
                                             ds_error** err);
/* The highest partition number of the stream; DS_NOT_FOUND if it does not exist. */
DURASTORE_EXPORT ds_code ds_log_latest_partition(ds_store* store, const char* stream,
                                                 size_t stream_len, uint64_t* out, ds_error** err);

typedef struct ds_partition_info {
  uint64_t partition;
  uint64_t first_sequence; /* 0 if empty */
  uint64_t last_sequence;  /* kept after truncation */
  uint64_t event_count;
  uint64_t bytes;
} ds_partition_info;
typedef struct ds_stream_info {
  uint64_t partition_count;
  uint64_t latest_partition;
  uint64_t event_count;
  uint64_t bytes;
} ds_stream_info;
/* Figures of one partition / of the whole stream; DS_NOT_FOUND if it does not exist. */
DURASTORE_EXPORT ds_code ds_log_partition_info(ds_store* store, const char* stream,
                                               size_t stream_len, uint64_t partition,
                                               ds_partition_info* out, ds_error** err);
DURASTORE_EXPORT ds_code ds_log_stream_info(ds_store* store, const char* stream, size_t stream_len,
                                            ds_stream_info* out, ds_error** err);
/* Position of the last committed event (0 if none). */
DURASTORE_EXPORT ds_code ds_log_last_position(ds_store* store, uint64_t* out, ds_error** err);
/* Events with position > after_position in position order, at most max_count; if none,
 * waits up to wait_ms for a commit that appends one. The result may be empty. A negative
 * wait_ms is DS_INVALID_ARGUMENT. */
DURASTORE_EXPORT ds_code ds_log_read_after(ds_store* store, uint64_t after_position,
                                           size_t max_count, int64_t wait_ms, ds_events** out,
                                           ds_error** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DURASTORE_C_EVENTLOG_H_ */
