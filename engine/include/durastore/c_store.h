/* durastore C API, the engine's part: errors and memory, the store and its options,
 * batches and commit, metadata. The components bind the rest over it (c_eventlog.h,
 * c_queue.h, c_orchestration.h); <durastore/c.h> includes them all. Pure C11; implemented
 * over the C++ API in engine/src/c_store.cc. This comment is the contract of every C
 * header; reference: docs/c-api.md.
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
 * Limits. Inputs are checked against the DS_MAX_* of each header, which mirror
 *   durastore/limits.h and orchestration/provider.h; past a limit a call fails with
 * DS_INVALID_ARGUMENT (names, keys) or DS_RESOURCE_EXHAUSTED (payloads, batch size), never
 * truncation. Batch operations are validated when the batch is committed.
 *
 * Time. Milliseconds since the Unix epoch (int64_t), from the store's clock.
 */
#ifndef DURASTORE_C_STORE_H_
#define DURASTORE_C_STORE_H_

#include <stddef.h>
#include <stdint.h>
#ifndef __cplusplus
#include <stdbool.h>
#endif

#include "durastore/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped on every incompatible change of the C headers. */
#define DS_API_VERSION 2

/* ------------------------------------------------------------------------------------ */
/* Limits (bytes unless stated); the event log's and queues' are in their headers.      */
/* ------------------------------------------------------------------------------------ */
#define DS_MAX_PAYLOAD (16u << 20) /* event or message payload */
#define DS_MAX_METADATA_KEY 480u
#define DS_MAX_METADATA_VALUE (16u << 20)
#define DS_MAX_BATCH_BYTES (256u << 20)
#define DS_MAX_BATCH_OPS 100000u /* operations; an append counts once per event */

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
DURASTORE_EXPORT const char* ds_code_name(ds_code code);
/* The DS_API_VERSION the library was built with (check it against the header's). */
DURASTORE_EXPORT uint32_t ds_api_version(void);

/* The error's code; DS_OK for NULL. */
DURASTORE_EXPORT ds_code ds_error_code(const ds_error* error);
/* NUL-terminated message naming what was wrong; valid until ds_error_free. */
DURASTORE_EXPORT const char* ds_error_message(const ds_error* error);
/* True when the same call may succeed later unchanged (DS_BUSY from another process,
 * a transient DS_IO_ERROR); false for NULL and for DS_BUSY because the store is already
 * open in this process. */
DURASTORE_EXPORT bool ds_error_retryable(const ds_error* error);
/* Frees an error (NULL and the static out-of-memory error are no-ops). */
DURASTORE_EXPORT void ds_error_free(ds_error* error);

/* Frees a raw buffer returned by the library (char*, uint64_t*). NULL is a no-op. */
DURASTORE_EXPORT void ds_free(void* ptr);

/* A borrowed byte string: used for arrays of strings in and out. */
typedef struct ds_str {
  const char* ptr;
  size_t len;
} ds_str;

/* An owned list of strings (instance ids, queue names). */
typedef struct ds_strings ds_strings;
/* The items, in the order the call documents; *count receives their number. */
DURASTORE_EXPORT const ds_str* ds_strings_items(const ds_strings* strings, size_t* count);
/* Frees the list and every string in it. */
DURASTORE_EXPORT void ds_strings_free(ds_strings* strings);

/* Key/value pairs (metadata scan, KV store of an instance). */
typedef struct ds_kv {
  const char* key;
  size_t key_len;
  const char* value;
  size_t value_len;
} ds_kv;
typedef struct ds_kvs ds_kvs;
DURASTORE_EXPORT const ds_kv* ds_kvs_items(const ds_kvs* kvs, size_t* count); /* keys ascending */
DURASTORE_EXPORT void ds_kvs_free(ds_kvs* kvs);

/* ------------------------------------------------------------------------------------ */
/* Store                                                                                 */
/* ------------------------------------------------------------------------------------ */
typedef enum ds_durability {
  DS_DURABILITY_DEFAULT = 0, /* commit: the store's default; options: DS_DURABILITY_SYNC */
  DS_DURABILITY_SYNC = 1,    /* durable on stable storage when the commit returns */
  DS_DURABILITY_NO_SYNC = 2  /* survives a process crash, not power loss (see store.h) */
} ds_durability;

typedef enum ds_flush_method {
  DS_FLUSH_AUTO = 0,     /* the measured-faster method: fdatasync today */
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

/* Sets every field to its default; call before setting fields. */
DURASTORE_EXPORT void ds_options_init(ds_options* options);

typedef struct ds_store ds_store;

/* Opens (or creates) the store in directory path. options NULL = defaults.
 * DS_BUSY if another process holds it, DS_NOT_FOUND if missing and !create_if_missing,
 * DS_INVALID_ARGUMENT, DS_IO_ERROR, DS_CORRUPTION. */
DURASTORE_EXPORT ds_code ds_store_open(const char* path, size_t path_len, const ds_options* options,
                                       ds_store** out, ds_error** err);
/* Opens an existing store for reading only, beside its writer in another process (or with
 * none): Options::read_only in store.h says what it sees and when it refuses. Writes
 * (commits, flushes, dequeues) fail with DS_INVALID_ARGUMENT. DS_NOT_FOUND if there is no
 * store, DS_BUSY if this process has it open for writing, DS_UNAVAILABLE if it was not
 * closed cleanly and no process has it open. */
DURASTORE_EXPORT ds_code ds_store_open_read_only(const char* path, size_t path_len, ds_store** out,
                                                 ds_error** err);
/* Waits for pending commits, flushes, stops the committer; later calls fail with
 * DS_UNAVAILABLE. The handle must still be freed. */
DURASTORE_EXPORT ds_code ds_store_close(ds_store* store, ds_error** err);
/* Closes (ignoring a close error: call ds_store_close first to see it) and frees. */
DURASTORE_EXPORT void ds_store_free(ds_store* store);
/* Makes everything committed so far durable (after DS_DURABILITY_NO_SYNC commits). */
DURASTORE_EXPORT ds_code ds_store_flush(ds_store* store, ds_error** err);
/* DS_OK while the store accepts writes; otherwise its sticky error. */
DURASTORE_EXPORT ds_code ds_store_health(const ds_store* store, ds_error** err);

typedef struct ds_pipeline_stats {
  uint64_t groups;
  uint64_t batches;
  uint64_t failed_batches;
  uint64_t flushes;
  uint64_t map_resizes;
  bool using_io_uring;
} ds_pipeline_stats;
/* Counters of the commit pipeline since open (for load tools and monitoring). */
DURASTORE_EXPORT ds_code ds_store_pipeline_stats(const ds_store* store, ds_pipeline_stats* out,
                                                 ds_error** err);

typedef struct ds_backup_options {
  bool compact; /* default false; true = copy only the pages in use (smaller, slower) */
} ds_backup_options;

/* Sets every field to its default; call before setting fields. */
DURASTORE_EXPORT void ds_backup_options_init(ds_backup_options* options);

/* Writes a consistent copy of the store to the directory dest (Store::Backup in
 * durastore/store.h): one read snapshot holding every commit acknowledged before the
 * call, while the store goes on committing; the copy opens with ds_store_open as it is.
 * dest must not exist or be an empty directory (else DS_ALREADY_EXISTS, nothing written)
 * and its parent must exist (else DS_NOT_FOUND). options NULL = defaults.
 * DS_RESOURCE_EXHAUSTED when the disk is full, DS_IO_ERROR, DS_UNAVAILABLE if closed. */
DURASTORE_EXPORT ds_code ds_store_backup(ds_store* store, const char* dest, size_t dest_len,
                                         const ds_backup_options* options, ds_error** err);

/* The integrity walk (Store::Verify in store.h): every checksum, every index against its
 * records. Problems are in the report; the code is not DS_OK only when the walk could not
 * run. max_problems 0 = 1000. LMDB may crash the process on a damaged B-tree page: run it
 * in a child process to survive that (as `durastore verify` does). */
typedef struct ds_verify_report ds_verify_report;
DURASTORE_EXPORT ds_code ds_store_verify(ds_store* store, size_t max_problems,
                                         ds_verify_report** out, ds_error** err);
DURASTORE_EXPORT uint64_t ds_verify_report_records(const ds_verify_report* report);
DURASTORE_EXPORT size_t ds_verify_report_problem_count(const ds_verify_report* report);
/* Problem i (from 0), NUL-terminated, owned by the report; NULL when i is past the end. */
DURASTORE_EXPORT const char* ds_verify_report_problem(const ds_verify_report* report, size_t i);
/* True when there were more problems than max_problems. */
DURASTORE_EXPORT bool ds_verify_report_truncated(const ds_verify_report* report);
DURASTORE_EXPORT void ds_verify_report_free(ds_verify_report* report);

/* ------------------------------------------------------------------------------------ */
/* Batch: an ordered list of writes committed all-or-nothing (see durastore/batch.h)    */
/* ------------------------------------------------------------------------------------ */
typedef struct ds_batch ds_batch;

/* An empty batch, freed with ds_batch_free. */
DURASTORE_EXPORT ds_code ds_batch_new(ds_batch** out, ds_error** err);
/* A deep copy (e.g. to retry a commit after a retryable error). */
DURASTORE_EXPORT ds_code ds_batch_clone(const ds_batch* batch, ds_batch** out, ds_error** err);
/* Frees the batch without committing it. */
DURASTORE_EXPORT void ds_batch_free(ds_batch* batch);
DURASTORE_EXPORT size_t ds_batch_size(const ds_batch* batch); /* operations */
DURASTORE_EXPORT size_t
ds_batch_byte_size(const ds_batch* batch); /* payload, value and key bytes */
DURASTORE_EXPORT void ds_batch_clear(ds_batch* batch);

/* The event log's and queues' batch operations are in c_eventlog.h and c_queue.h. */

/* --- metadata --- */
DURASTORE_EXPORT ds_code ds_batch_put(ds_batch* batch, const char* key, size_t key_len,
                                      const char* value, size_t value_len, ds_error** err);
/* Deletes key; an absent key is not an error. */
DURASTORE_EXPORT ds_code ds_batch_delete(ds_batch* batch, const char* key, size_t key_len,
                                         ds_error** err);
/* Deletes keys in [begin, end). */
DURASTORE_EXPORT ds_code ds_batch_delete_range(ds_batch* batch, const char* begin, size_t begin_len,
                                               const char* end, size_t end_len, ds_error** err);

/* --- commit --- */
typedef struct ds_append_result {
  uint64_t first_sequence;
  uint64_t last_sequence;
  uint64_t first_position;
  uint64_t last_position;
} ds_append_result;
typedef struct ds_commit_result ds_commit_result;
/* One per append operation, in batch order. */
DURASTORE_EXPORT const ds_append_result* ds_commit_result_appends(const ds_commit_result* result,
                                                                  size_t* count);
/* One message id per enqueue operation, in batch order. */
DURASTORE_EXPORT const uint64_t* ds_commit_result_message_ids(const ds_commit_result* result,
                                                              size_t* count);
/* Frees the result; the arrays its accessors returned go with it. */
DURASTORE_EXPORT void ds_commit_result_free(ds_commit_result* result);

/* Applies the batch all-or-nothing and blocks until done. The batch's operations are
 * consumed whatever the outcome: afterwards it is empty and reusable (ds_batch_clone
 * first to keep a copy). out may be NULL; on success *out receives the result. */
DURASTORE_EXPORT ds_code ds_store_commit(ds_store* store, ds_batch* batch, ds_durability durability,
                                         ds_commit_result** out, ds_error** err);

/* ------------------------------------------------------------------------------------ */
/* Metadata reads                                                                        */
/* ------------------------------------------------------------------------------------ */
/* *value (freed with ds_free) and *value_len receive the value; DS_NOT_FOUND if absent. */
DURASTORE_EXPORT ds_code ds_meta_get(ds_store* store, const char* key, size_t key_len, char** value,
                                     size_t* value_len, ds_error** err);
/* Keys starting with prefix, ascending, at most limit, after start_after (optional:
 * NULL = from the first). */
DURASTORE_EXPORT ds_code ds_meta_scan(ds_store* store, const char* prefix, size_t prefix_len,
                                      size_t limit, const char* start_after, size_t start_after_len,
                                      ds_kvs** out, ds_error** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DURASTORE_C_STORE_H_ */
