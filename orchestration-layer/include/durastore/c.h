/* durastore C API: the engine (store, batches, event log, queues, metadata) and the
 * Duroxide orchestration layer (Provider, Admin) for callers in C and, through C, in other
 * languages (Rust first). Pure C11; every function is implemented over the C++ API in
 * orchestration-layer/src/c_api.cc. Reference: docs/c-api.md.
 *
 * Contract
 * --------
 * Errors. Every fallible function returns a ds_code (DS_OK = 0) and takes as its last
 *   parameter `ds_error** err`, which may be NULL. On failure, if err is not NULL, *err
 *   receives an error the caller frees with ds_error_free(); on success *err is set to
 *   NULL. The code is also returned, so a caller that only needs the code passes NULL.
 *   The codes mirror durastore::Code; DS_INTERNAL (a bug: an unexpected C++ exception)
 *   is the only code the C API adds. Running out of memory is DS_RESOURCE_EXHAUSTED.
 *   ds_error_retryable() is true only when the same call may succeed later unchanged
 *   (DS_BUSY, a transient DS_IO_ERROR). No C++ exception ever crosses this API.
 *
 * Bytes in. Names, keys, ids, payloads and values are (const char* ptr, size_t len)
 *   pairs: arbitrary bytes, never read past len, never assumed NUL-terminated. ptr may be
 *   NULL only when len is 0. An *optional* string (documented as such) is unset when ptr
 *   is NULL; a non-NULL ptr with len 0 is the empty string. Optional numbers come with a
 *   `has_*` flag. Input structs and arrays are read during the call only; the library
 *   keeps no pointer to them. Structs with an *_init() function must be initialised with
 *   it before fields are set, so that fields added later get their defaults.
 *
 * Bytes out. Everything the library returns is allocated by it and freed by the caller
 *   exactly once: raw buffers (char*, uint64_t*) with ds_free(), objects with their own
 *   ds_<type>_free(). Every free function accepts NULL. A returned string buffer is
 *   followed by a NUL byte that is not counted in its length (handy in C; the bytes
 *   themselves may contain NUL). Accessors return pointers INTO their object (strings,
 *   arrays of view structs); those stay valid until the object is freed and must not be
 *   written or freed separately. Accessors on a NULL object return 0 / NULL.
 *   Out-parameters must not be NULL unless documented ("out may be NULL"); those that
 *   receive an object or buffer hold NULL after a failure, so freeing them is always safe.
 *
 * Handles. ds_store, ds_provider and ds_admin are thread-safe, like the C++ objects they
 *   wrap, except that ds_store_close()/ds_store_free() must not race with other calls on
 *   the same store. A ds_provider or ds_admin borrows its ds_store: free them before the
 *   store. A ds_batch is a value built by one thread at a time. Result objects are
 *   immutable: readable from any thread, freed once.
 *
 * Blocking. ds_store_commit() blocks until the batch is applied (and, with sync
 *   durability, flushed). Long polls (wait_ms, poll_timeout_ms) block the calling thread
 *   for at most that long; the wait is measured in real time.
 *
 * Clock. ds_options.now_ms, when set, replaces the system clock for every deadline the
 *   store computes (delays, lock expiry). It is called from the store's internal threads
 *   and from callers' threads at once, so it must be thread-safe, fast, must not call
 *   into durastore and must not unwind (no C++ exception, longjmp or Rust panic may leave
 *   it). now_ms_ctx must stay valid until the store is freed.
 *
 * Limits. Inputs are checked against DS_MAX_* below (durastore/limits.h and
 *   orchestration/provider.h); past a limit a call fails with DS_INVALID_ARGUMENT (names,
 *   keys) or DS_RESOURCE_EXHAUSTED (payloads, batch size), never truncation. Batch
 *   operations are validated when the batch is committed.
 *
 * Time. Milliseconds since the Unix epoch (int64_t), from the store's clock.
 */
#ifndef DURASTORE_C_H_
#define DURASTORE_C_H_

#include <stddef.h>
#include <stdint.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change of this header. */
#define DS_API_VERSION 2

/* ------------------------------------------------------------------------------------ */
/* Limits (bytes unless stated).                                                         */
/* ------------------------------------------------------------------------------------ */
#define DS_MAX_STREAM_KEY 256u
#define DS_MAX_EVENT_KEY 128u
#define DS_MAX_PAYLOAD (16u << 20)
#define DS_MAX_QUEUE_NAME 200u
#define DS_MAX_GROUP_KEY 200u
#define DS_MAX_ATTRIBUTES 16u /* per message */
#define DS_MAX_ATTRIBUTE_NAME 64u
#define DS_MAX_ATTRIBUTE_VALUE 200u
#define DS_MAX_METADATA_KEY 480u
#define DS_MAX_METADATA_VALUE (16u << 20)
#define DS_MAX_BATCH_BYTES (256u << 20)
#define DS_MAX_BATCH_OPS 100000u /* operations */
#define DS_MAX_INSTANCE_ID 160u
#define DS_MAX_NAME 200u /* orchestration names, versions, session ids, tags */
#define DS_MAX_KV_KEY 256u
#define DS_LOCK_TOKEN_LEN 32u /* lease and lock tokens: lowercase hex digits */

/* ------------------------------------------------------------------------------------ */
/* Errors and memory                                                                     */
/* ------------------------------------------------------------------------------------ */
typedef enum ds_code {
  DS_OK = 0,
  DS_NOT_FOUND = 1,          /* stream, partition, queue, key or instance does not exist */
  DS_ALREADY_EXISTS = 2,     /* duplicate event key / event_id */
  DS_CONFLICT = 3,           /* expected version mismatch; refused delete */
  DS_LOCK_LOST = 4,          /* lease/lock unknown, expired, superseded or its items gone */
  DS_INVALID_ARGUMENT = 5,   /* malformed input; never retry */
  DS_RESOURCE_EXHAUSTED = 6, /* size limit, disk full, out of memory */
  DS_BUSY = 7,               /* store held by another process; retry later */
  DS_IO_ERROR = 8,           /* OS IO failure (see ds_error_retryable) */
  DS_CORRUPTION = 9,         /* a stored record could not be decoded */
  DS_UNAVAILABLE = 10,       /* store closed or failed (sticky error): reopen */
  DS_INTERNAL = 100          /* unexpected internal exception: a bug in durastore */
} ds_code;

typedef struct ds_error ds_error;

/* Stable name of a code, e.g. "LockLost"; "Unknown" for a value outside the enum. */
const char* ds_code_name(ds_code code);
/* The DS_API_VERSION the library was built with (check it against the header's). */
uint32_t ds_api_version(void);

ds_code ds_error_code(const ds_error* error);
/* NUL-terminated message naming what was wrong; valid until ds_error_free. */
const char* ds_error_message(const ds_error* error);
bool ds_error_retryable(const ds_error* error);
void ds_error_free(ds_error* error);

/* Frees a raw buffer returned by the library (char*, uint64_t*). NULL is a no-op. */
void ds_free(void* ptr);

/* A borrowed byte string: used for arrays of strings in and out. */
typedef struct ds_str {
  const char* ptr;
  size_t len;
} ds_str;

/* An owned list of strings (instance ids, queue names). */
typedef struct ds_strings ds_strings;
/* The items, in the order the call documents; *count receives their number. */
const ds_str* ds_strings_items(const ds_strings* strings, size_t* count);
void ds_strings_free(ds_strings* strings);

/* Key/value pairs (metadata scan, KV store of an instance). */
typedef struct ds_kv {
  const char* key;
  size_t key_len;
  const char* value;
  size_t value_len;
} ds_kv;
typedef struct ds_kvs ds_kvs;
const ds_kv* ds_kvs_items(const ds_kvs* kvs, size_t* count); /* keys ascending */
void ds_kvs_free(ds_kvs* kvs);

/* ------------------------------------------------------------------------------------ */
/* Store                                                                                 */
/* ------------------------------------------------------------------------------------ */
typedef enum ds_durability {
  DS_DURABILITY_DEFAULT = 0, /* commit: the store's default; options: DS_DURABILITY_SYNC */
  DS_DURABILITY_SYNC = 1,    /* durable on stable storage when the commit returns */
  DS_DURABILITY_NO_SYNC = 2  /* survives a process crash, not power loss (see store.h) */
} ds_durability;

typedef enum ds_flush_method {
  DS_FLUSH_AUTO = 0,     /* io_uring when available, else fdatasync */
  DS_FLUSH_IO_URING = 1, /* io_uring or fail open with DS_UNAVAILABLE */
  DS_FLUSH_FDATASYNC = 2
} ds_flush_method;

/* A clock: milliseconds since the Unix epoch. See "Clock" in the contract above. */
typedef int64_t (*ds_now_ms_fn)(void* ctx);

typedef struct ds_options {
  ds_durability durability; /* default DS_DURABILITY_SYNC */
  bool create_if_missing;   /* default true */
  size_t initial_map_size;  /* default 64 MiB; doubles when full */
  size_t max_map_size;      /* default 1 TiB; then commits fail DS_RESOURCE_EXHAUSTED */
  ds_flush_method flush_method;
  size_t max_group_size; /* most batches in one commit group; default 4096 */
  ds_now_ms_fn now_ms;   /* NULL = the system clock */
  void* now_ms_ctx;      /* passed to now_ms */
} ds_options;

void ds_options_init(ds_options* options);

typedef struct ds_store ds_store;

/* Opens (or creates) the store in directory path. options NULL = defaults.
 * DS_BUSY if another process holds it, DS_NOT_FOUND if missing and !create_if_missing,
 * DS_INVALID_ARGUMENT, DS_IO_ERROR, DS_CORRUPTION. */
ds_code ds_store_open(const char* path, size_t path_len, const ds_options* options, ds_store** out,
                      ds_error** err);
/* Waits for pending commits, flushes, stops the committer; later calls fail with
 * DS_UNAVAILABLE. The handle must still be freed. */
ds_code ds_store_close(ds_store* store, ds_error** err);
/* Closes (ignoring a close error: call ds_store_close first to see it) and frees. */
void ds_store_free(ds_store* store);
/* Makes everything committed so far durable (after DS_DURABILITY_NO_SYNC commits). */
ds_code ds_store_flush(ds_store* store, ds_error** err);
/* DS_OK while the store accepts writes; otherwise its sticky error. */
ds_code ds_store_health(const ds_store* store, ds_error** err);

typedef struct ds_pipeline_stats {
  uint64_t groups;
  uint64_t batches;
  uint64_t failed_batches;
  uint64_t flushes;
  uint64_t map_resizes;
  bool using_io_uring;
} ds_pipeline_stats;
ds_code ds_store_pipeline_stats(const ds_store* store, ds_pipeline_stats* out, ds_error** err);

/* ------------------------------------------------------------------------------------ */
/* Batch: an ordered list of writes committed all-or-nothing (see durastore/batch.h)    */
/* ------------------------------------------------------------------------------------ */
typedef struct ds_batch ds_batch;

ds_code ds_batch_new(ds_batch** out, ds_error** err);
/* A deep copy (e.g. to retry a commit after a retryable error). */
ds_code ds_batch_clone(const ds_batch* batch, ds_batch** out, ds_error** err);
void ds_batch_free(ds_batch* batch);
size_t ds_batch_size(const ds_batch* batch);      /* operations */
size_t ds_batch_byte_size(const ds_batch* batch); /* payload, value and key bytes */
void ds_batch_clear(ds_batch* batch);

/* --- event log --- */
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
ds_code ds_batch_append(ds_batch* batch, const char* stream, size_t stream_len, uint64_t partition,
                        const ds_event_data* events, size_t count,
                        const ds_expected_version* expected, ds_error** err);
/* Deletes events with sequence < before_sequence (the partition keeps its last sequence). */
ds_code ds_batch_truncate_before(ds_batch* batch, const char* stream, size_t stream_len,
                                 uint64_t partition, uint64_t before_sequence, ds_error** err);
/* Deletes a partition; a later append starts again at sequence 1. */
ds_code ds_batch_delete_partition(ds_batch* batch, const char* stream, size_t stream_len,
                                  uint64_t partition, ds_error** err);
ds_code ds_batch_delete_stream(ds_batch* batch, const char* stream, size_t stream_len,
                               ds_error** err);

/* --- queues --- */
typedef struct ds_attribute {
  const char* name;
  size_t name_len;
  const char* value;
  size_t value_len;
} ds_attribute;

typedef struct ds_enqueue_options {
  int64_t delay_ms;    /* visible at now + delay_ms ... */
  bool has_visible_at; /* ... or at visible_at_ms when this is set */
  int64_t visible_at_ms;
  const char* group_key; /* group_key_len 0 = no group */
  size_t group_key_len;
  const ds_attribute* attributes;
  size_t attribute_count;
} ds_enqueue_options;
void ds_enqueue_options_init(ds_enqueue_options* options);

typedef struct ds_queue_options {
  int64_t lock_duration_ms;      /* default lease duration; default 30000 */
  uint32_t max_deliveries;       /* 0 = unlimited */
  const char* dead_letter_queue; /* len 0 = "<queue>.dead-letter" */
  size_t dead_letter_queue_len;
  bool group_mode;
} ds_queue_options;
void ds_queue_options_init(ds_queue_options* options);

/* options NULL = defaults. Creates the queue with default options if needed. */
ds_code ds_batch_enqueue(ds_batch* batch, const char* queue, size_t queue_len, const char* payload,
                         size_t payload_len, const ds_enqueue_options* options, ds_error** err);
/* Creates the queue or replaces its options (queued messages are kept). */
ds_code ds_batch_configure_queue(ds_batch* batch, const char* queue, size_t queue_len,
                                 const ds_queue_options* options, ds_error** err);
/* Lease settlements take the lease token as 32 hex digits (ds_lease_token); a malformed
 * token fails at once with DS_INVALID_ARGUMENT, a dead lease fails the commit with
 * DS_LOCK_LOST. */
ds_code ds_batch_ack(ds_batch* batch, const char* token, size_t token_len, ds_error** err);
/* Visible again at now + delay_ms; count_attempt false undoes the delivery count increment. */
ds_code ds_batch_abandon(ds_batch* batch, const char* token, size_t token_len, int64_t delay_ms,
                         bool count_attempt, ds_error** err);
ds_code ds_batch_renew(ds_batch* batch, const char* token, size_t token_len, int64_t extend_ms,
                       ds_error** err);
ds_code ds_batch_dead_letter(ds_batch* batch, const char* token, size_t token_len,
                             const char* reason, size_t reason_len, ds_error** err);
/* Deletes every message of queue whose attribute name equals value, leased or not. */
ds_code ds_batch_delete_messages(ds_batch* batch, const char* queue, size_t queue_len,
                                 const char* name, size_t name_len, const char* value,
                                 size_t value_len, ds_error** err);

/* --- metadata --- */
ds_code ds_batch_put(ds_batch* batch, const char* key, size_t key_len, const char* value,
                     size_t value_len, ds_error** err);
ds_code ds_batch_delete(ds_batch* batch, const char* key, size_t key_len, ds_error** err);
/* Deletes keys in [begin, end). */
ds_code ds_batch_delete_range(ds_batch* batch, const char* begin, size_t begin_len, const char* end,
                              size_t end_len, ds_error** err);

/* --- commit --- */
typedef struct ds_append_result {
  uint64_t first_sequence;
  uint64_t last_sequence;
  uint64_t first_position;
  uint64_t last_position;
} ds_append_result;
typedef struct ds_commit_result ds_commit_result;
/* One per append operation, in batch order. */
const ds_append_result* ds_commit_result_appends(const ds_commit_result* result, size_t* count);
/* One message id per enqueue operation, in batch order. */
const uint64_t* ds_commit_result_message_ids(const ds_commit_result* result, size_t* count);
void ds_commit_result_free(ds_commit_result* result);

/* Applies the batch all-or-nothing and blocks until done. The batch's operations are
 * consumed whatever the outcome: afterwards it is empty and reusable (ds_batch_clone
 * first to keep a copy). out may be NULL; on success *out receives the result. */
ds_code ds_store_commit(ds_store* store, ds_batch* batch, ds_durability durability,
                        ds_commit_result** out, ds_error** err);

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
const ds_event* ds_events_items(const ds_events* events, size_t* count);
/* For a page from ds_log_read_partition: true when the page stopped before the end of the
 * partition (at max_count or max_bytes; the number of events does not tell), and then
 * *next_sequence (may be NULL) receives the from_sequence of the next page. False for the
 * partition's last page, for ds_log_read_after results and for NULL. */
bool ds_events_next_sequence(const ds_events* events, uint64_t* next_sequence);
void ds_events_free(ds_events* events);

typedef struct ds_read_options {
  bool has_from_sequence; /* forward: first >= from; backward: first <= from */
  uint64_t from_sequence;
  bool backward;    /* newest first */
  size_t max_count; /* default 1000, at least 1 */
  size_t max_bytes; /* default 64 MiB; at least one event is returned */
} ds_read_options;
void ds_read_options_init(ds_read_options* options);

/* One page of events; options NULL = defaults. DS_NOT_FOUND if the stream or partition
 * does not exist. Page with ds_events_next_sequence. */
ds_code ds_log_read_partition(ds_store* store, const char* stream, size_t stream_len,
                              uint64_t partition, const ds_read_options* options, ds_events** out,
                              ds_error** err);
/* Partition numbers ascending, as a uint64_t array freed with ds_free (NULL if count 0).
 * DS_NOT_FOUND if the stream does not exist. */
ds_code ds_log_list_partitions(ds_store* store, const char* stream, size_t stream_len,
                               uint64_t** partitions, size_t* count, ds_error** err);
ds_code ds_log_latest_partition(ds_store* store, const char* stream, size_t stream_len,
                                uint64_t* out, ds_error** err);

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
ds_code ds_log_partition_info(ds_store* store, const char* stream, size_t stream_len,
                              uint64_t partition, ds_partition_info* out, ds_error** err);
ds_code ds_log_stream_info(ds_store* store, const char* stream, size_t stream_len,
                           ds_stream_info* out, ds_error** err);
/* Position of the last committed event (0 if none). */
ds_code ds_log_last_position(ds_store* store, uint64_t* out, ds_error** err);
/* Events with position > after_position in position order, at most max_count; if none,
 * waits up to wait_ms for a commit that appends one. The result may be empty. */
ds_code ds_log_read_after(ds_store* store, uint64_t after_position, size_t max_count,
                          int64_t wait_ms, ds_events** out, ds_error** err);

/* ------------------------------------------------------------------------------------ */
/* Queue reads and dequeue                                                               */
/* ------------------------------------------------------------------------------------ */
typedef struct ds_message {
  uint64_t id;
  const char* payload;
  size_t payload_len;
  const char* group_key; /* group_key_len 0 = none */
  size_t group_key_len;
  const ds_attribute* attributes;
  size_t attribute_count;
  uint32_t delivery_count; /* including this delivery (peek: so far) */
  int64_t enqueued_at_ms;
  int64_t visible_at_ms;
} ds_message;
typedef struct ds_messages ds_messages;
const ds_message* ds_messages_items(const ds_messages* messages, size_t* count);
void ds_messages_free(ds_messages* messages);

/* A message passes when it lacks the attribute and match_absent is set, or has it and
 * match_any_value is set or its value is one of values[]. It must pass every match. */
typedef struct ds_attribute_match {
  const char* name;
  size_t name_len;
  const ds_str* values;
  size_t value_count;
  bool match_absent;
  bool match_any_value;
} ds_attribute_match;

typedef struct ds_dequeue_options {
  int64_t lock_duration_ms; /* 0 = the queue's default */
  int64_t wait_ms;          /* long poll; 0 = do not wait */
  const ds_attribute_match* filter;
  size_t filter_count;
  size_t max_messages; /* lease up to this many messages (1..1000); 0 = 1. Group mode: 1 */
} ds_dequeue_options;
void ds_dequeue_options_init(ds_dequeue_options* options);

typedef struct ds_lease ds_lease;
/* 32 lowercase hex digits, NUL-terminated; pass it to ds_batch_ack & co. */
const char* ds_lease_token(const ds_lease* lease, size_t* len);
const char* ds_lease_queue(const ds_lease* lease, size_t* len);
const char* ds_lease_group_key(const ds_lease* lease, size_t* len); /* group mode only */
int64_t ds_lease_locked_until_ms(const ds_lease* lease);
const ds_message* ds_lease_messages(const ds_lease* lease, size_t* count); /* oldest first */
void ds_lease_free(ds_lease* lease);

/* Takes a lease on the oldest eligible message, or up to max_messages of them (group
 * mode: the oldest eligible group). *out is NULL when nothing became eligible within
 * wait_ms. options NULL = defaults. */
ds_code ds_queue_dequeue(ds_store* store, const char* queue, size_t queue_len,
                         const ds_dequeue_options* options, ds_lease** out, ds_error** err);

typedef struct ds_queue_counters {
  uint64_t ready;
  uint64_t delayed;
  uint64_t leased;
  uint64_t dead_lettered;
  int64_t oldest_ready_age_ms;
} ds_queue_counters;
/* DS_NOT_FOUND for a queue never created. */
ds_code ds_queue_counters_get(ds_store* store, const char* queue, size_t queue_len,
                              ds_queue_counters* out, ds_error** err);
/* Messages carrying attribute name=value in any state, oldest first, at most limit;
 * nothing is locked or counted. */
ds_code ds_queue_peek(ds_store* store, const char* queue, size_t queue_len, const char* name,
                      size_t name_len, const char* value, size_t value_len, size_t limit,
                      ds_messages** out, ds_error** err);
/* Names of every queue, ascending. */
ds_code ds_queue_list(ds_store* store, ds_strings** out, ds_error** err);

/* ------------------------------------------------------------------------------------ */
/* Metadata reads                                                                        */
/* ------------------------------------------------------------------------------------ */
/* *value (freed with ds_free) and *value_len receive the value; DS_NOT_FOUND if absent. */
ds_code ds_meta_get(ds_store* store, const char* key, size_t key_len, char** value,
                    size_t* value_len, ds_error** err);
/* Keys starting with prefix, ascending, at most limit, after start_after (optional:
 * NULL = from the first). */
ds_code ds_meta_scan(ds_store* store, const char* prefix, size_t prefix_len, size_t limit,
                     const char* start_after, size_t start_after_len, ds_kvs** out, ds_error** err);

/* ------------------------------------------------------------------------------------ */
/* Orchestration layer: types shared by Provider and Admin                               */
/* ------------------------------------------------------------------------------------ */
typedef enum ds_execution_status {
  DS_EXECUTION_RUNNING = 0,
  DS_EXECUTION_COMPLETED = 1,
  DS_EXECUTION_FAILED = 2,
  DS_EXECUTION_CONTINUED_AS_NEW = 3
} ds_execution_status;
/* "Running", "Completed", "Failed", "ContinuedAsNew"; "Unknown" otherwise. */
const char* ds_execution_status_name(ds_execution_status status);

/* One history event: the runtime's event_id (1, 2, 3 ... per execution) and its bytes. */
typedef struct ds_history_event {
  uint64_t event_id;
  const char* payload;
  size_t payload_len;
} ds_history_event;
typedef struct ds_history ds_history;
const ds_history_event* ds_history_items(const ds_history* history, size_t* count);
void ds_history_free(ds_history* history);

typedef enum ds_orchestrator_item_kind {
  DS_ORCH_ITEM_OTHER = 0,           /* completions, timers, external events, cancel */
  DS_ORCH_ITEM_START = 1,           /* carries name and version */
  DS_ORCH_ITEM_CONTINUE_AS_NEW = 2, /* carries name and version */
  DS_ORCH_ITEM_QUEUE_MESSAGE = 3,   /* alone it never creates an instance */
  DS_ORCH_ITEM_ACTIVITY_EXECUTE = 4 /* rejected: belongs to the worker queue */
} ds_orchestrator_item_kind;

/* A work item for the orchestrator queue (input, and view in fetched batches). */
typedef struct ds_orchestrator_item {
  const char* instance; /* routing instance (sub-orchestration completions: the parent) */
  size_t instance_len;
  ds_orchestrator_item_kind kind;
  const char* payload;
  size_t payload_len;
  const char* orchestration_name; /* START / CONTINUE_AS_NEW */
  size_t orchestration_name_len;
  const char* version; /* START / CONTINUE_AS_NEW; len 0 = unknown */
  size_t version_len;
  bool has_visible_at; /* a timer's fire time */
  int64_t visible_at_ms;
} ds_orchestrator_item;

typedef struct ds_activity_id {
  const char* instance;
  size_t instance_len;
  uint64_t execution_id;
  uint64_t activity_id;
} ds_activity_id;

/* A work item for the worker queue (input, and view in a fetched work item). */
typedef struct ds_worker_item {
  ds_activity_id identity;
  const char* payload;
  size_t payload_len;
  const char* session_id; /* optional: NULL = no session */
  size_t session_id_len;
  const char* tag; /* optional: NULL = default (untagged) routing */
  size_t tag_len;
} ds_worker_item;

/* ------------------------------------------------------------------------------------ */
/* Provider (durastore/orchestration/provider.h)                                         */
/* ------------------------------------------------------------------------------------ */
typedef struct ds_provider ds_provider;

/* Creates the layer's queues on first use. store must outlive the provider. */
ds_code ds_provider_open(ds_store* store, ds_provider** out, ds_error** err);
void ds_provider_free(ds_provider* provider);

typedef struct ds_version_range {
  const char* min; /* "major.minor.patch", inclusive */
  size_t min_len;
  const char* max;
  size_t max_len;
} ds_version_range;
/* Only the first range is used; range_count 0 = return nothing. */
typedef struct ds_version_filter {
  const ds_version_range* ranges;
  size_t range_count;
} ds_version_filter;

/* A fetched orchestration turn. */
typedef struct ds_fetched_orchestration ds_fetched_orchestration;
const char* ds_fetched_orchestration_lock_token(const ds_fetched_orchestration* f, size_t* len);
/* The highest delivery count in the batch. */
uint32_t ds_fetched_orchestration_attempt_count(const ds_fetched_orchestration* f);
const char* ds_fetched_orchestration_instance(const ds_fetched_orchestration* f, size_t* len);
const char* ds_fetched_orchestration_name(const ds_fetched_orchestration* f, size_t* len);
const char* ds_fetched_orchestration_version(const ds_fetched_orchestration* f, size_t* len);
uint64_t ds_fetched_orchestration_execution_id(const ds_fetched_orchestration* f);
/* The current execution's history, in event order. */
const ds_history_event* ds_fetched_orchestration_history(const ds_fetched_orchestration* f,
                                                         size_t* count);
/* The locked batch, in enqueue order. */
const ds_orchestrator_item* ds_fetched_orchestration_messages(const ds_fetched_orchestration* f,
                                                              size_t* count);
/* One KV value with the time it was last set (the runtime's last_updated_at_ms, stored with
 * each DS_KV_SET). */
typedef struct ds_kv_entry {
  const char* key;
  size_t key_len;
  const char* value;
  size_t value_len;
  int64_t updated_at_ms;
} ds_kv_entry;
/* The KV store layer (values of previous executions, not the current delta), keys
 * ascending. */
const ds_kv_entry* ds_fetched_orchestration_kv_snapshot(const ds_fetched_orchestration* f,
                                                        size_t* count);
/* NULL unless the stored history could not be read (then history is empty). */
const char* ds_fetched_orchestration_history_error(const ds_fetched_orchestration* f, size_t* len);
void ds_fetched_orchestration_free(ds_fetched_orchestration* f);

/* Locks one instance with visible messages for lock_timeout_ms and returns them; waits up
 * to poll_timeout_ms. *out is NULL when no work became eligible. filter NULL = none. */
ds_code ds_provider_fetch_orchestration_item(ds_provider* provider, int64_t lock_timeout_ms,
                                             int64_t poll_timeout_ms,
                                             const ds_version_filter* filter,
                                             ds_fetched_orchestration** out, ds_error** err);

typedef struct ds_execution_metadata {
  bool has_status; /* false = still running */
  ds_execution_status status;
  const char* output; /* each string below is optional: NULL = unset */
  size_t output_len;
  const char* orchestration_name; /* with version: creates/updates the instance record */
  size_t orchestration_name_len;
  const char* version;
  size_t version_len;
  const char* parent_instance; /* set once */
  size_t parent_instance_len;
  const char* pinned_version; /* stored when given */
  size_t pinned_version_len;
} ds_execution_metadata;

typedef enum ds_kv_change_kind {
  DS_KV_SET = 0,
  DS_KV_CLEAR = 1,    /* key */
  DS_KV_CLEAR_ALL = 2 /* every key of the instance */
} ds_kv_change_kind;
typedef struct ds_kv_change {
  ds_kv_change_kind kind;
  const char* key;
  size_t key_len;
  const char* value; /* DS_KV_SET */
  size_t value_len;
  int64_t updated_at_ms; /* DS_KV_SET: when the runtime set it (ms since the epoch) */
} ds_kv_change;

typedef enum ds_custom_status_change {
  DS_CUSTOM_STATUS_UNCHANGED = 0,
  DS_CUSTOM_STATUS_SET = 1, /* to custom_status */
  DS_CUSTOM_STATUS_CLEAR = 2
} ds_custom_status_change;

typedef struct ds_orchestration_ack {
  uint64_t execution_id;
  const ds_history_event* history_delta;
  size_t history_delta_count;
  const ds_worker_item* worker_items;
  size_t worker_item_count;
  const ds_orchestrator_item* orchestrator_items;
  size_t orchestrator_item_count;
  ds_execution_metadata metadata;
  const ds_activity_id* cancelled_activities;
  size_t cancelled_activity_count;
  ds_custom_status_change custom_status_change; /* SET/CLEAR bump the version once */
  const char* custom_status;
  size_t custom_status_len;
  const ds_kv_change* kv_changes;
  size_t kv_change_count;
} ds_orchestration_ack;
/* Everything empty/unset. */
void ds_orchestration_ack_init(ds_orchestration_ack* ack);

/* One atomic commit. DS_LOCK_LOST (naming the token) if the lock is unknown, expired or
 * ended by a delete; DS_ALREADY_EXISTS for a duplicate event_id. A failed ack changes
 * nothing and keeps the lock. */
ds_code ds_provider_ack_orchestration_item(ds_provider* provider, const char* lock_token,
                                           size_t lock_token_len, const ds_orchestration_ack* ack,
                                           ds_error** err);
ds_code ds_provider_abandon_orchestration_item(ds_provider* provider, const char* lock_token,
                                               size_t lock_token_len, bool has_delay,
                                               int64_t delay_ms, bool ignore_attempt,
                                               ds_error** err);
ds_code ds_provider_renew_orchestration_item_lock(ds_provider* provider, const char* lock_token,
                                                  size_t lock_token_len, int64_t extend_ms,
                                                  ds_error** err);

/* History of the latest execution; empty for an unknown instance. */
ds_code ds_provider_read(ds_provider* provider, const char* instance, size_t instance_len,
                         ds_history** out, ds_error** err);
ds_code ds_provider_read_with_execution(ds_provider* provider, const char* instance,
                                        size_t instance_len, uint64_t execution_id,
                                        ds_history** out, ds_error** err);
/* Appends, never overwrites: duplicate event_id -> DS_ALREADY_EXISTS, 0 -> invalid. */
ds_code ds_provider_append_with_execution(ds_provider* provider, const char* instance,
                                          size_t instance_len, uint64_t execution_id,
                                          const ds_history_event* events, size_t count,
                                          ds_error** err);

/* Visible at max(now + delay, item.visible_at_ms). Never creates instance records. */
ds_code ds_provider_enqueue_for_orchestrator(ds_provider* provider,
                                             const ds_orchestrator_item* item, bool has_delay,
                                             int64_t delay_ms, ds_error** err);
ds_code ds_provider_enqueue_for_worker(ds_provider* provider, const ds_worker_item* item,
                                       ds_error** err);

typedef struct ds_session_config {
  const char* owner_id;
  size_t owner_id_len;
  int64_t session_lock_timeout_ms;
} ds_session_config;

typedef enum ds_tag_filter_mode {
  DS_TAGS_DEFAULT_ONLY = 0,     /* untagged items only */
  DS_TAGS_TAGS = 1,             /* items tagged with one of tags[] */
  DS_TAGS_DEFAULT_AND_TAGS = 2, /* both */
  DS_TAGS_ANY = 3,
  DS_TAGS_NONE = 4 /* returns nothing */
} ds_tag_filter_mode;
typedef struct ds_tag_filter {
  ds_tag_filter_mode mode;
  const ds_str* tags;
  size_t tag_count;
} ds_tag_filter;

/* A fetched activity. */
typedef struct ds_fetched_work ds_fetched_work;
const ds_worker_item* ds_fetched_work_item(const ds_fetched_work* w);
const char* ds_fetched_work_lock_token(const ds_fetched_work* w, size_t* len);
uint32_t ds_fetched_work_attempt_count(const ds_fetched_work* w);
void ds_fetched_work_free(ds_fetched_work* w);

/* The oldest eligible worker item, locked for lock_timeout_ms; waits up to
 * poll_timeout_ms. session NULL = only items without a session; tags NULL = default
 * only. *out is NULL when nothing is eligible (or a session claim was lost). */
ds_code ds_provider_fetch_work_item(ds_provider* provider, int64_t lock_timeout_ms,
                                    int64_t poll_timeout_ms, const ds_session_config* session,
                                    const ds_tag_filter* tags, ds_fetched_work** out,
                                    ds_error** err);
/* Deletes the item and enqueues completion (NULL = none) atomically; DS_LOCK_LOST if the
 * token is unknown, expired, or the item was cancelled or deleted. */
ds_code ds_provider_ack_work_item(ds_provider* provider, const char* lock_token,
                                  size_t lock_token_len, const ds_orchestrator_item* completion,
                                  ds_error** err);
ds_code ds_provider_renew_work_item_lock(ds_provider* provider, const char* lock_token,
                                         size_t lock_token_len, int64_t extend_ms, ds_error** err);
ds_code ds_provider_abandon_work_item(ds_provider* provider, const char* lock_token,
                                      size_t lock_token_len, bool has_delay, int64_t delay_ms,
                                      bool ignore_attempt, ds_error** err);

/* *renewed receives the number of live, non-idle sessions of those owners renewed
 * (idle_timeout_ms 0 is valid: every session is idle, so 0). Cleanup removes every session
 * whose lock expired and that no queued item refers to, whatever its idle time. */
ds_code ds_provider_renew_session_lock(ds_provider* provider, const ds_str* owner_ids,
                                       size_t owner_id_count, int64_t extend_ms,
                                       int64_t idle_timeout_ms, uint64_t* renewed, ds_error** err);
ds_code ds_provider_cleanup_orphaned_sessions(ds_provider* provider, int64_t idle_timeout_ms,
                                              uint64_t* removed, ds_error** err);

/* Only when the stored version is newer than last_seen_version: then *changed = true,
 * *status (ds_free; NULL = cleared) / *status_len and *version are set. Otherwise
 * *changed = false, *status = NULL, *version = 0. */
ds_code ds_provider_get_custom_status(ds_provider* provider, const char* instance,
                                      size_t instance_len, uint64_t last_seen_version,
                                      bool* changed, char** status, size_t* status_len,
                                      uint64_t* version, ds_error** err);
/* *value (ds_free) is NULL when the key is absent. Client view: store layer + delta. */
ds_code ds_provider_get_kv_value(ds_provider* provider, const char* instance, size_t instance_len,
                                 const char* key, size_t key_len, char** value, size_t* value_len,
                                 ds_error** err);
ds_code ds_provider_get_kv_all_values(ds_provider* provider, const char* instance,
                                      size_t instance_len, ds_kvs** out, ds_error** err);

/* ------------------------------------------------------------------------------------ */
/* Admin (durastore/orchestration/admin.h)                                               */
/* ------------------------------------------------------------------------------------ */
typedef struct ds_admin ds_admin;

/* store must outlive the admin. */
ds_code ds_admin_open(ds_store* store, ds_admin** out, ds_error** err);
void ds_admin_free(ds_admin* admin);

typedef struct ds_instance_info ds_instance_info;
const char* ds_instance_info_instance(const ds_instance_info* info, size_t* len);
const char* ds_instance_info_orchestration_name(const ds_instance_info* info, size_t* len);
const char* ds_instance_info_version(const ds_instance_info* info, size_t* len);
uint64_t ds_instance_info_current_execution_id(const ds_instance_info* info);
ds_execution_status ds_instance_info_status(const ds_instance_info* info);
const char* ds_instance_info_output(const ds_instance_info* info, size_t* len); /* NULL=none */
int64_t ds_instance_info_created_at_ms(const ds_instance_info* info);
int64_t ds_instance_info_updated_at_ms(const ds_instance_info* info);
/* NULL for a root instance. */
const char* ds_instance_info_parent_instance(const ds_instance_info* info, size_t* len);
void ds_instance_info_free(ds_instance_info* info);

typedef struct ds_execution_info ds_execution_info;
uint64_t ds_execution_info_execution_id(const ds_execution_info* info);
ds_execution_status ds_execution_info_status(const ds_execution_info* info);
const char* ds_execution_info_output(const ds_execution_info* info, size_t* len); /* NULL=none */
int64_t ds_execution_info_started_at_ms(const ds_execution_info* info);
/* Returns false (and leaves *out alone) while the execution has not completed. */
bool ds_execution_info_completed_at_ms(const ds_execution_info* info, int64_t* out);
uint64_t ds_execution_info_event_count(const ds_execution_info* info);
void ds_execution_info_free(ds_execution_info* info);

typedef struct ds_system_metrics {
  uint64_t total_instances;
  uint64_t total_executions;
  uint64_t running_instances;
  uint64_t completed_instances;
  uint64_t failed_instances;
  uint64_t continued_as_new_instances;
  uint64_t total_events;
} ds_system_metrics;

typedef struct ds_queue_depths {
  uint64_t orchestrator; /* unlocked messages */
  uint64_t worker;
} ds_queue_depths;

typedef struct ds_delete_result {
  uint64_t instances_deleted;
  uint64_t executions_deleted;
  uint64_t events_deleted;
  uint64_t queue_messages_deleted;
} ds_delete_result;

/* Every given condition must hold. */
typedef struct ds_instance_filter {
  bool has_instance_ids;
  const ds_str* instance_ids;
  size_t instance_id_count;
  bool has_completed_before; /* current execution completed before completed_before_ms */
  int64_t completed_before_ms;
  uint32_t limit; /* default 1000 */
} ds_instance_filter;
void ds_instance_filter_init(ds_instance_filter* filter);

/* Zero-initialise, then set the conditions wanted. */
typedef struct ds_prune_options {
  bool has_keep_last; /* keep the newest keep_last executions */
  uint32_t keep_last;
  bool has_completed_before; /* prune executions completed before this */
  int64_t completed_before_ms;
} ds_prune_options;

typedef struct ds_prune_result {
  uint64_t instances_processed;
  uint64_t executions_deleted;
  uint64_t events_deleted;
} ds_prune_result;

/* Newest first (by creation time). */
ds_code ds_admin_list_instances(ds_admin* admin, ds_strings** out, ds_error** err);
ds_code ds_admin_list_instances_by_status(ds_admin* admin, ds_execution_status status,
                                          ds_strings** out, ds_error** err);
/* Ascending, as a uint64_t array freed with ds_free (NULL if count 0). */
ds_code ds_admin_list_executions(ds_admin* admin, const char* instance, size_t instance_len,
                                 uint64_t** execution_ids, size_t* count, ds_error** err);
ds_code ds_admin_read_history(ds_admin* admin, const char* instance, size_t instance_len,
                              ds_history** out, ds_error** err);
ds_code ds_admin_read_history_with_execution_id(ds_admin* admin, const char* instance,
                                                size_t instance_len, uint64_t execution_id,
                                                ds_history** out, ds_error** err);
/* DS_NOT_FOUND for an unknown instance. */
ds_code ds_admin_latest_execution_id(ds_admin* admin, const char* instance, size_t instance_len,
                                     uint64_t* out, ds_error** err);
ds_code ds_admin_get_instance_info(ds_admin* admin, const char* instance, size_t instance_len,
                                   ds_instance_info** out, ds_error** err);
ds_code ds_admin_get_execution_info(ds_admin* admin, const char* instance, size_t instance_len,
                                    uint64_t execution_id, ds_execution_info** out, ds_error** err);
ds_code ds_admin_get_system_metrics(ds_admin* admin, ds_system_metrics* out, ds_error** err);
ds_code ds_admin_get_queue_depths(ds_admin* admin, ds_queue_depths* out, ds_error** err);
/* Direct children. */
ds_code ds_admin_list_children(ds_admin* admin, const char* instance, size_t instance_len,
                               ds_strings** out, ds_error** err);
/* *parent (ds_free) is NULL for a root; DS_NOT_FOUND for an unknown instance. */
ds_code ds_admin_get_parent_id(ds_admin* admin, const char* instance, size_t instance_len,
                               char** parent, size_t* parent_len, ds_error** err);
/* The tree's instances: the root first, then descendants breadth-first. */
ds_code ds_admin_get_instance_tree(ds_admin* admin, const char* instance, size_t instance_len,
                                   ds_strings** out, ds_error** err);
/* The highest attempt count among the instance's queued orchestrator messages (0 if none). */
ds_code ds_admin_max_orchestrator_attempt_count(ds_admin* admin, const char* instance,
                                                size_t instance_len, uint32_t* out, ds_error** err);
/* Deletes a root instance with its tree; DS_CONFLICT for a sub-orchestration or a running
 * instance without force. out may be NULL. */
ds_code ds_admin_delete_instance(ds_admin* admin, const char* instance, size_t instance_len,
                                 bool force, ds_delete_result* out, ds_error** err);
/* All-or-nothing over instances[0..count). */
ds_code ds_admin_delete_instances_atomic(ds_admin* admin, const ds_str* instances, size_t count,
                                         bool force, ds_delete_result* out, ds_error** err);
/* Terminal root instances matching filter (NULL = defaults), each with its tree. */
ds_code ds_admin_delete_instance_bulk(ds_admin* admin, const ds_instance_filter* filter,
                                      ds_delete_result* out, ds_error** err);
/* Never the current or a running execution; history and execution records only. */
ds_code ds_admin_prune_executions(ds_admin* admin, const char* instance, size_t instance_len,
                                  const ds_prune_options* options, ds_prune_result* out,
                                  ds_error** err);
ds_code ds_admin_prune_executions_bulk(ds_admin* admin, const ds_instance_filter* filter,
                                       const ds_prune_options* options, ds_prune_result* out,
                                       ds_error** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DURASTORE_C_H_ */
