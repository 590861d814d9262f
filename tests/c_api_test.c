/* Tests of the C API (durastore/c.h), written in C11 against the public C header only.
 * Each test gets a fresh store in a temporary directory, driven by a manual clock through
 * the now_ms callback; the fixture frees the store, provider and admin even when a test
 * stops early. Every object the API returns is freed, so ASan reports no leak on success. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include <ftw.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "durastore/c.h"

/* ---- harness ---- */

static int g_failures;
static const char* g_test;

#define FAIL(...)                                                \
  do {                                                           \
    fprintf(stderr, "%s:%d: [%s] ", __FILE__, __LINE__, g_test); \
    fprintf(stderr, __VA_ARGS__);                                \
    fputc('\n', stderr);                                         \
    g_failures++;                                                \
  } while (0)

#define CHECK(cond)                    \
  do {                                 \
    if (!(cond)) {                     \
      FAIL("CHECK(%s) failed", #cond); \
      return;                          \
    }                                  \
  } while (0)

/* `call` must pass &err; err is a ds_error* in scope. */
#define CHECK_OK(call)                                                 \
  do {                                                                 \
    ds_code code_ = (call);                                            \
    if (code_ != DS_OK) {                                              \
      FAIL("%s -> %s: %s", #call, ds_code_name(code_),                 \
           err != NULL ? ds_error_message(err) : "(no error object)"); \
      ds_error_free(err);                                              \
      err = NULL;                                                      \
      return;                                                          \
    }                                                                  \
    if (err != NULL) {                                                 \
      FAIL("%s returned DS_OK but left *err set", #call);              \
      return;                                                          \
    }                                                                  \
  } while (0)

/* Checks the returned code and the error object (same code, non-empty message), then
 * frees the error. */
#define CHECK_CODE(call, want)                                                             \
  do {                                                                                     \
    ds_code code_ = (call);                                                                \
    if (code_ != (want)) {                                                                 \
      FAIL("%s -> %s, want %s: %s", #call, ds_code_name(code_), ds_code_name(want),        \
           err != NULL ? ds_error_message(err) : "(no error object)");                     \
      ds_error_free(err);                                                                  \
      err = NULL;                                                                          \
      return;                                                                              \
    }                                                                                      \
    if (err == NULL || ds_error_code(err) != (want) || ds_error_message(err)[0] == '\0') { \
      FAIL("%s: error object missing, with another code or without message", #call);       \
      ds_error_free(err);                                                                  \
      err = NULL;                                                                          \
      return;                                                                              \
    }                                                                                      \
    ds_error_free(err);                                                                    \
    err = NULL;                                                                            \
  } while (0)

/* A string literal as (ptr, len). */
#define LIT(s) (s), (sizeof(s) - 1)

static bool bytes_eq(const char* ptr, size_t len, const char* want, size_t want_len) {
  return ptr != NULL && len == want_len && memcmp(ptr, want, len) == 0;
}
#define EQ(ptr, len, lit) bytes_eq((ptr), (len), LIT(lit))

/* Compares what a string accessor `accessor(object, &len)` returns. The length is read in
 * acc_is's body, after the call (the order of evaluating arguments is unspecified). */
static size_t g_len;
static bool acc_is(const char* s, const char* want, size_t want_len) {
  return bytes_eq(s, g_len, want, want_len);
}
#define ACC_IS(accessor, object, lit) acc_is(accessor((object), &g_len), LIT(lit))

/* ---- fixture ---- */

typedef struct test_clock {
  _Atomic int64_t now;
} test_clock;

static int64_t clock_now(void* ctx) { return atomic_load(&((test_clock*)ctx)->now); }
static void clock_advance(test_clock* c, int64_t ms) { atomic_fetch_add(&c->now, ms); }

typedef struct fixture {
  char dir[64];
  test_clock clock;
  ds_store* store;
  ds_provider* provider;
  ds_admin* admin;
} fixture;

static const int64_t kStart = 1000000;

static ds_code open_store(fixture* f, bool create, ds_error** err) {
  ds_options options;
  ds_options_init(&options);
  options.durability = DS_DURABILITY_NO_SYNC;
  options.create_if_missing = create;
  options.now_ms = clock_now;
  options.now_ms_ctx = &f->clock;
  return ds_store_open(f->dir, strlen(f->dir), &options, &f->store, err);
}

static bool fixture_setup(fixture* f) {
  memset(f, 0, sizeof(*f));
  atomic_store(&f->clock.now, kStart);
  strcpy(f->dir, "/tmp/durastore-capi-XXXXXX");
  if (mkdtemp(f->dir) == NULL) {
    perror("mkdtemp");
    return false;
  }
  ds_error* err = NULL;
  if (open_store(f, true, &err) != DS_OK) {
    fprintf(stderr, "open %s: %s\n", f->dir, ds_error_message(err));
    ds_error_free(err);
    return false;
  }
  if (ds_provider_open(f->store, &f->provider, &err) != DS_OK ||
      ds_admin_open(f->store, &f->admin, &err) != DS_OK) {
    fprintf(stderr, "provider/admin open: %s\n", ds_error_message(err));
    ds_error_free(err);
    return false;
  }
  return true;
}

static int remove_entry(const char* path, const struct stat* sb, int flag, struct FTW* ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void fixture_teardown(fixture* f) {
  ds_admin_free(f->admin); /* borrowers first */
  ds_provider_free(f->provider);
  ds_store_free(f->store);
  if (f->dir[0] != '\0') nftw(f->dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Commits `batch` (consumed) and frees nothing else; returns the code. */
static ds_code commit(fixture* f, ds_batch* batch, ds_commit_result** out, ds_error** err) {
  return ds_store_commit(f->store, batch, DS_DURABILITY_DEFAULT, out, err);
}

/* =================================================================================== */
/* Engine                                                                                */
/* =================================================================================== */

static void test_version_and_names(fixture* f) {
  (void)f;
  CHECK(ds_api_version() == DS_API_VERSION);
  CHECK(strcmp(ds_code_name(DS_OK), "OK") == 0);
  CHECK(strcmp(ds_code_name(DS_LOCK_LOST), "LockLost") == 0);
  CHECK(strcmp(ds_code_name(DS_INTERNAL), "Internal") == 0);
  CHECK(strcmp(ds_execution_status_name(DS_EXECUTION_CONTINUED_AS_NEW), "ContinuedAsNew") == 0);
  /* Every free function accepts NULL. */
  ds_error_free(NULL);
  ds_free(NULL);
  ds_batch_free(NULL);
  ds_store_free(NULL);
  ds_strings_free(NULL);
  ds_kvs_free(NULL);
  ds_events_free(NULL);
  ds_lease_free(NULL);
  ds_messages_free(NULL);
  ds_history_free(NULL);
  ds_commit_result_free(NULL);
  ds_fetched_orchestration_free(NULL);
  ds_fetched_work_free(NULL);
  ds_instance_info_free(NULL);
  ds_execution_info_free(NULL);
  ds_provider_free(NULL);
  ds_admin_free(NULL);
}

static void test_open_flush_close_reopen_keeps_data(fixture* f) {
  ds_error* err = NULL;
  CHECK_OK(ds_store_health(f->store, &err));
  ds_batch* batch = NULL;
  CHECK_OK(ds_batch_new(&batch, &err));
  CHECK_OK(ds_batch_put(batch, LIT("greeting"), LIT("hello"), &err));
  CHECK_OK(ds_store_commit(f->store, batch, DS_DURABILITY_SYNC, NULL, &err));
  CHECK_OK(ds_store_flush(f->store, &err));
  ds_pipeline_stats stats;
  CHECK_OK(ds_store_pipeline_stats(f->store, &stats, &err));
  CHECK(stats.batches >= 1 && stats.groups >= 1);

  /* A read-only open beside a writer of this process would break LMDB's locks: Busy. */
  ds_store* reader = NULL;
  CHECK_CODE(ds_store_open_read_only(f->dir, strlen(f->dir), &reader, &err), DS_BUSY);
  CHECK(reader == NULL);

  ds_admin_free(f->admin);
  f->admin = NULL;
  ds_provider_free(f->provider);
  f->provider = NULL;
  CHECK_OK(ds_store_close(f->store, &err));
  /* Closed cleanly: a read-only open reads it and refuses writes. */
  CHECK_OK(ds_store_open_read_only(f->dir, strlen(f->dir), &reader, &err));
  char* got = NULL;
  size_t got_len = 0;
  CHECK_OK(ds_meta_get(reader, LIT("greeting"), &got, &got_len, &err));
  CHECK(EQ(got, got_len, "hello"));
  ds_free(got);
  CHECK_OK(ds_batch_put(batch, LIT("read-only"), LIT("write"), &err));
  CHECK_CODE(ds_store_commit(reader, batch, DS_DURABILITY_SYNC, NULL, &err), DS_INVALID_ARGUMENT);
  /* The integrity walk, from C: a healthy store has no problems. */
  ds_verify_report* report = NULL;
  CHECK_OK(ds_store_verify(reader, 0, &report, &err));
  CHECK(ds_verify_report_records(report) >= 2); /* sys/format, sys/sequences, greeting */
  CHECK(ds_verify_report_problem_count(report) == 0);
  CHECK(ds_verify_report_problem(report, 0) == NULL);
  CHECK(!ds_verify_report_truncated(report));
  ds_verify_report_free(report);
  ds_store_free(reader);
  CHECK_OK(ds_batch_put(batch, LIT("late"), LIT("write"), &err));
  CHECK_CODE(commit(f, batch, NULL, &err), DS_UNAVAILABLE);
  ds_batch_free(batch);
  ds_store_free(f->store);
  f->store = NULL;

  CHECK_OK(open_store(f, false, &err));
  char* value = NULL;
  size_t len = 0;
  CHECK_OK(ds_meta_get(f->store, LIT("greeting"), &value, &len, &err));
  CHECK(EQ(value, len, "hello"));
  CHECK(value[len] == '\0');
  ds_free(value);

  /* A missing directory without create_if_missing is NotFound. */
  char missing[96];
  snprintf(missing, sizeof(missing), "%s/missing", f->dir);
  ds_options options;
  ds_options_init(&options);
  options.create_if_missing = false;
  ds_store* other = (ds_store*)f; /* must be reset to NULL */
  CHECK_CODE(ds_store_open(missing, strlen(missing), &options, &other, &err), DS_NOT_FOUND);
  CHECK(other == NULL);
}

static void test_backup_copies_the_store_and_refuses_a_used_destination(fixture* f) {
  ds_error* err = NULL;
  ds_batch* batch = NULL;
  CHECK_OK(ds_batch_new(&batch, &err));
  CHECK_OK(ds_batch_put(batch, LIT("greeting"), LIT("hello"), &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  ds_batch_free(batch);
  char copy[96];
  snprintf(copy, sizeof(copy), "%s-copy", f->dir);
  ds_backup_options options;
  ds_backup_options_init(&options);
  CHECK(!options.compact);
  options.compact = true;
  CHECK_OK(ds_store_backup(f->store, copy, strlen(copy), &options, &err));
  /* The destination now holds a store: a second backup there is refused. */
  CHECK_CODE(ds_store_backup(f->store, copy, strlen(copy), NULL, &err), DS_ALREADY_EXISTS);
  CHECK_CODE(ds_store_backup(f->store, NULL, 0, NULL, &err), DS_INVALID_ARGUMENT);
  ds_store* restored = NULL;
  CHECK_OK(ds_store_open(copy, strlen(copy), NULL, &restored, &err));
  char* value = NULL;
  size_t len = 0;
  CHECK_OK(ds_meta_get(restored, LIT("greeting"), &value, &len, &err));
  CHECK(EQ(value, len, "hello"));
  ds_free(value);
  ds_store_free(restored);
  nftw(copy, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void test_errors_carry_code_message_and_retryable(fixture* f) {
  ds_error* err = NULL;
  ds_store* store = (ds_store*)f;
  /* NULL with a length: InvalidArgument naming the parameter; *out reset. */
  CHECK(ds_store_open(NULL, 5, NULL, &store, &err) == DS_INVALID_ARGUMENT);
  CHECK(store == NULL);
  CHECK(err != NULL && ds_error_code(err) == DS_INVALID_ARGUMENT);
  CHECK(strstr(ds_error_message(err), "path") != NULL);
  CHECK(!ds_error_retryable(err));
  ds_error_free(err);
  err = NULL;
  /* err may be NULL. */
  CHECK(ds_store_open(NULL, 5, NULL, &store, NULL) == DS_INVALID_ARGUMENT);
  /* Success sets *err to NULL. */
  int dummy = 0;
  err = (ds_error*)&dummy;
  CHECK(ds_store_flush(f->store, &err) == DS_OK);
  CHECK(err == NULL);

  ds_batch* batch = NULL;
  CHECK_OK(ds_batch_new(&batch, &err));
  /* A malformed lease token fails at once. */
  CHECK_CODE(ds_batch_ack(batch, LIT("not-a-token"), &err), DS_INVALID_ARGUMENT);
  CHECK(ds_batch_size(batch) == 0);

  /* An empty stream name is rejected at commit; the batch is consumed anyway. */
  ds_event_data event = {LIT("payload"), NULL, 0};
  CHECK_OK(ds_batch_append(batch, "", 0, 1, &event, 1, NULL, &err));
  CHECK(ds_batch_size(batch) == 1);
  CHECK_CODE(commit(f, batch, NULL, &err), DS_INVALID_ARGUMENT);
  CHECK(ds_batch_size(batch) == 0);

  /* A metadata key past the limit. */
  static char long_key[DS_MAX_METADATA_KEY + 1];
  memset(long_key, 'k', sizeof(long_key));
  CHECK_OK(ds_batch_put(batch, long_key, sizeof(long_key), LIT("v"), &err));
  CHECK_CODE(commit(f, batch, NULL, &err), DS_INVALID_ARGUMENT);

  /* Expected version conflict and duplicate event key. */
  ds_expected_version no_stream = {DS_EXPECT_NO_STREAM, 0};
  ds_event_data keyed = {LIT("first"), LIT("evt-1")};
  CHECK_OK(ds_batch_append(batch, LIT("s"), 1, &keyed, 1, &no_stream, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  CHECK_OK(ds_batch_append(batch, LIT("s"), 1, &keyed, 1, &no_stream, &err));
  CHECK_CODE(commit(f, batch, NULL, &err), DS_CONFLICT);
  CHECK_OK(ds_batch_append(batch, LIT("s"), 1, &keyed, 1, NULL, &err));
  CHECK_CODE(commit(f, batch, NULL, &err), DS_ALREADY_EXISTS);
  ds_expected_version exact = {DS_EXPECT_EXACT, 7};
  CHECK_OK(ds_batch_append(batch, LIT("s"), 1, &event, 1, &exact, &err));
  CHECK(ds_store_commit(f->store, batch, DS_DURABILITY_DEFAULT, NULL, &err) == DS_CONFLICT);
  CHECK(err != NULL && strstr(ds_error_message(err), "1") != NULL); /* the actual sequence */
  ds_error_free(err);
  err = NULL;
  ds_batch_free(batch);

  /* Reads of things that do not exist. */
  ds_events* events = (ds_events*)f;
  CHECK_CODE(ds_log_read_partition(f->store, LIT("nope"), 1, NULL, &events, &err), DS_NOT_FOUND);
  CHECK(events == NULL);
  char* value = (char*)f;
  size_t len = 99;
  CHECK_CODE(ds_meta_get(f->store, LIT("absent"), &value, &len, &err), DS_NOT_FOUND);
  CHECK(value == NULL && len == 0);
  /* A NULL handle is an invalid argument, not a crash. */
  CHECK_CODE(ds_store_flush(NULL, &err), DS_INVALID_ARGUMENT);
  /* Negative waits are invalid, not silently 0. */
  CHECK_CODE(ds_log_read_after(f->store, 0, 10, -1, &events, &err), DS_INVALID_ARGUMENT);
  ds_dequeue_options dequeue;
  ds_dequeue_options_init(&dequeue);
  dequeue.wait_ms = -1;
  ds_lease* lease = NULL;
  CHECK_CODE(ds_queue_dequeue(f->store, LIT("mail"), &dequeue, &lease, &err), DS_INVALID_ARGUMENT);
  CHECK(lease == NULL);
}

static void test_batch_append_commit_and_read_partition(fixture* f) {
  ds_error* err = NULL;
  ds_batch* batch = NULL;
  CHECK_OK(ds_batch_new(&batch, &err));
  const char binary[] = {'a', '\0', 'b'};
  ds_event_data events[2] = {{binary, sizeof(binary), LIT("e1")}, {LIT("second"), NULL, 0}};
  ds_expected_version no_stream = {DS_EXPECT_NO_STREAM, 0};
  CHECK_OK(ds_batch_append(batch, LIT("orders"), 1, events, 2, &no_stream, &err));
  CHECK_OK(ds_batch_enqueue(batch, LIT("mail"), LIT("hello"), NULL, &err));
  CHECK_OK(ds_batch_put(batch, LIT("k"), LIT("v"), &err));
  ds_event_data third = {LIT("third"), NULL, 0};
  CHECK_OK(ds_batch_append(batch, LIT("orders"), 2, &third, 1, NULL, &err));
  CHECK(ds_batch_size(batch) == 4);
  CHECK(ds_batch_byte_size(batch) > 0);

  ds_batch* copy = NULL;
  CHECK_OK(ds_batch_clone(batch, &copy, &err));
  CHECK(ds_batch_size(copy) == 4);
  ds_batch_clear(copy);
  CHECK(ds_batch_size(copy) == 0);
  ds_batch_free(copy);

  ds_commit_result* result = NULL;
  CHECK_OK(commit(f, batch, &result, &err));
  CHECK(ds_batch_size(batch) == 0);
  size_t n = 0;
  const ds_append_result* appends = ds_commit_result_appends(result, &n);
  CHECK(n == 2);
  CHECK(appends[0].first_sequence == 1 && appends[0].last_sequence == 2);
  CHECK(appends[1].first_sequence == 1 && appends[1].last_sequence == 1);
  CHECK(appends[0].last_position < appends[1].first_position);
  const uint64_t last_position = appends[1].last_position;
  ds_commit_result_message_ids(result, &n);
  CHECK(n == 1);
  ds_commit_result_free(result);

  ds_events* read = NULL;
  CHECK_OK(ds_log_read_partition(f->store, LIT("orders"), 1, NULL, &read, &err));
  const ds_event* ev = ds_events_items(read, &n);
  CHECK(n == 2);
  CHECK(bytes_eq(ev[0].payload, ev[0].payload_len, binary, sizeof(binary)));
  CHECK(EQ(ev[0].key, ev[0].key_len, "e1"));
  CHECK(EQ(ev[0].stream, ev[0].stream_len, "orders") && ev[0].partition == 1);
  CHECK(ev[0].sequence == 1 && ev[1].sequence == 2);
  CHECK(ev[1].key_len == 0 && EQ(ev[1].payload, ev[1].payload_len, "second"));
  CHECK(ev[0].appended_at_ms == kStart);
  uint64_t next_sequence = 0;
  CHECK(!ds_events_next_sequence(read, &next_sequence)); /* the whole partition */
  ds_events_free(read);

  ds_read_options options;
  ds_read_options_init(&options);
  options.backward = true;
  options.max_count = 1;
  CHECK_OK(ds_log_read_partition(f->store, LIT("orders"), 1, &options, &read, &err));
  ev = ds_events_items(read, &n);
  CHECK(n == 1 && ev[0].sequence == 2);
  CHECK(ds_events_next_sequence(read, &next_sequence) && next_sequence == 1);
  ds_events_free(read);
  /* A page cut by max_bytes also says more follow. */
  ds_read_options_init(&options);
  options.max_bytes = 1;
  CHECK_OK(ds_log_read_partition(f->store, LIT("orders"), 1, &options, &read, &err));
  ds_events_items(read, &n);
  CHECK(n == 1 && ds_events_next_sequence(read, NULL));
  CHECK(ds_events_next_sequence(read, &next_sequence) && next_sequence == 2);
  ds_events_free(read);
  options.has_from_sequence = true;
  options.from_sequence = next_sequence;
  CHECK_OK(ds_log_read_partition(f->store, LIT("orders"), 1, &options, &read, &err));
  ev = ds_events_items(read, &n);
  CHECK(n == 1 && ev[0].sequence == 2 && !ds_events_next_sequence(read, &next_sequence));
  ds_events_free(read);
  CHECK(!ds_events_next_sequence(NULL, NULL));

  uint64_t* partitions = NULL;
  CHECK_OK(ds_log_list_partitions(f->store, LIT("orders"), &partitions, &n, &err));
  CHECK(n == 2 && partitions[0] == 1 && partitions[1] == 2);
  ds_free(partitions);
  ds_strings* streams = NULL;
  CHECK_OK(ds_log_list_streams(f->store, LIT("ord"), 0, NULL, 0, &streams, &err));
  const ds_str* stream_names = ds_strings_items(streams, &n);
  CHECK(n == 1 && EQ(stream_names[0].ptr, stream_names[0].len, "orders"));
  ds_strings_free(streams);
  CHECK_OK(ds_log_list_streams(f->store, LIT("ord"), 0, LIT("orders"), &streams, &err));
  ds_strings_items(streams, &n);
  CHECK(n == 0); /* nothing after the last one */
  ds_strings_free(streams);
  uint64_t latest = 0;
  CHECK_OK(ds_log_latest_partition(f->store, LIT("orders"), &latest, &err));
  CHECK(latest == 2);
  ds_partition_info pinfo;
  CHECK_OK(ds_log_partition_info(f->store, LIT("orders"), 1, &pinfo, &err));
  CHECK(pinfo.event_count == 2 && pinfo.first_sequence == 1 && pinfo.last_sequence == 2);
  ds_stream_info sinfo;
  CHECK_OK(ds_log_stream_info(f->store, LIT("orders"), &sinfo, &err));
  CHECK(sinfo.partition_count == 2 && sinfo.event_count == 3 && sinfo.latest_partition == 2);
  uint64_t position = 0;
  CHECK_OK(ds_log_last_position(f->store, &position, &err));
  CHECK(position == last_position);

  CHECK_OK(ds_log_read_after(f->store, 0, 10, 0, &read, &err));
  ev = ds_events_items(read, &n);
  CHECK(n == 3);
  CHECK(EQ(ev[2].stream, ev[2].stream_len, "orders") && ev[2].partition == 2);
  CHECK(EQ(ev[2].payload, ev[2].payload_len, "third"));
  CHECK(ev[0].position < ev[1].position && ev[1].position < ev[2].position);
  CHECK(!ds_events_next_sequence(read, NULL)); /* tail reads do not page by sequence */
  ds_events_free(read);
  CHECK_OK(ds_log_read_after(f->store, position, 10, 0, &read, &err));
  CHECK(ds_events_items(read, &n) == NULL && n == 0);
  ds_events_free(read);

  /* Truncate, delete a partition, delete the stream. */
  CHECK_OK(ds_batch_truncate_before(batch, LIT("orders"), 1, 2, &err));
  CHECK_OK(ds_batch_delete_partition(batch, LIT("orders"), 2, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  CHECK_OK(ds_log_read_partition(f->store, LIT("orders"), 1, NULL, &read, &err));
  ev = ds_events_items(read, &n);
  CHECK(n == 1 && ev[0].sequence == 2);
  ds_events_free(read);
  CHECK_CODE(ds_log_read_partition(f->store, LIT("orders"), 2, NULL, &read, &err), DS_NOT_FOUND);
  CHECK_OK(ds_batch_delete_stream(batch, LIT("orders"), &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  CHECK_CODE(ds_log_list_partitions(f->store, LIT("orders"), &partitions, &n, &err), DS_NOT_FOUND);
  ds_batch_free(batch);
}

/* Dequeues one lease from `queue` (NULL when none). */
static ds_lease* dequeue(fixture* f, const char* queue, const ds_dequeue_options* options) {
  ds_lease* lease = NULL;
  ds_error* err = NULL;
  if (ds_queue_dequeue(f->store, queue, strlen(queue), options, &lease, &err) != DS_OK) {
    FAIL("dequeue %s: %s", queue, ds_error_message(err));
    ds_error_free(err);
  }
  return lease;
}

static void test_queue_enqueue_dequeue_settle(fixture* f) {
  ds_error* err = NULL;
  ds_batch* batch = NULL;
  CHECK_OK(ds_batch_new(&batch, &err));
  ds_queue_options qopts;
  ds_queue_options_init(&qopts);
  CHECK(qopts.lock_duration_ms == 30000);
  qopts.lock_duration_ms = 5000;
  CHECK_OK(ds_batch_configure_queue(batch, LIT("jobs"), &qopts, &err));
  ds_attribute kind_a = {LIT("kind"), LIT("a")};
  ds_attribute kind_b = {LIT("kind"), LIT("b")};
  ds_enqueue_options eopts;
  ds_enqueue_options_init(&eopts);
  eopts.attributes = &kind_a;
  eopts.attribute_count = 1;
  CHECK_OK(ds_batch_enqueue(batch, LIT("jobs"), LIT("p1"), &eopts, &err));
  eopts.attributes = &kind_b;
  eopts.delay_ms = 1000;
  CHECK_OK(ds_batch_enqueue(batch, LIT("jobs"), LIT("p2"), &eopts, &err));
  CHECK_OK(commit(f, batch, NULL, &err));

  ds_queue_counters counters;
  CHECK_OK(ds_queue_counters_get(f->store, LIT("jobs"), &counters, &err));
  CHECK(counters.ready == 1 && counters.delayed == 1 && counters.leased == 0);

  /* The filter selects before locking: kind=b is still delayed. */
  ds_str b_value = {LIT("b")};
  ds_attribute_match match = {LIT("kind"), &b_value, 1, false, false};
  ds_dequeue_options dopts;
  ds_dequeue_options_init(&dopts);
  dopts.filter = &match;
  dopts.filter_count = 1;
  CHECK(dequeue(f, "jobs", &dopts) == NULL);

  dopts.filter = NULL;
  dopts.filter_count = 0;
  dopts.lock_duration_ms = 10000;
  ds_lease* lease = dequeue(f, "jobs", &dopts);
  CHECK(lease != NULL);
  size_t len = 0;
  const char* token = ds_lease_token(lease, &len);
  CHECK(len == DS_LOCK_TOKEN_LEN && strlen(token) == DS_LOCK_TOKEN_LEN);
  CHECK(ACC_IS(ds_lease_queue, lease, "jobs"));
  CHECK(ds_lease_locked_until_ms(lease) == kStart + 10000);
  size_t n = 0;
  const ds_message* m = ds_lease_messages(lease, &n);
  CHECK(n == 1 && EQ(m[0].payload, m[0].payload_len, "p1"));
  CHECK(m[0].delivery_count == 1 && m[0].attribute_count == 1);
  CHECK(EQ(m[0].attributes[0].name, m[0].attributes[0].name_len, "kind"));
  CHECK(EQ(m[0].attributes[0].value, m[0].attributes[0].value_len, "a"));
  CHECK_OK(ds_queue_counters_get(f->store, LIT("jobs"), &counters, &err));
  CHECK(counters.leased == 1 && counters.ready == 0);

  /* Renew, then ack atomically with a metadata write; a second ack has lost the lock. */
  CHECK_OK(ds_batch_renew(batch, token, len, 20000, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  CHECK_OK(ds_batch_ack(batch, token, len, &err));
  CHECK_OK(ds_batch_put(batch, LIT("jobs/p1"), LIT("done"), &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  CHECK_OK(ds_batch_ack(batch, token, len, &err));
  CHECK_CODE(commit(f, batch, NULL, &err), DS_LOCK_LOST);
  ds_lease_free(lease);
  CHECK_OK(ds_queue_counters_get(f->store, LIT("jobs"), &counters, &err));
  CHECK(counters.ready == 0 && counters.leased == 0 && counters.delayed == 1);

  /* The delayed message becomes visible with the clock; abandon counts the attempt. */
  clock_advance(&f->clock, 1000);
  lease = dequeue(f, "jobs", NULL);
  CHECK(lease != NULL);
  token = ds_lease_token(lease, &len);
  CHECK_OK(ds_batch_abandon(batch, token, len, 0, true, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  ds_lease_free(lease);
  lease = dequeue(f, "jobs", NULL);
  CHECK(lease != NULL);
  m = ds_lease_messages(lease, &n);
  CHECK(n == 1 && EQ(m[0].payload, m[0].payload_len, "p2") && m[0].delivery_count == 2);
  token = ds_lease_token(lease, &len);
  CHECK_OK(ds_batch_dead_letter(batch, token, len, LIT("bad input"), &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  ds_lease_free(lease);
  CHECK_OK(ds_queue_counters_get(f->store, LIT("jobs"), &counters, &err));
  CHECK(counters.dead_lettered == 1 && counters.delayed == 0);

  ds_messages* peeked = NULL;
  CHECK_OK(ds_queue_peek(f->store, LIT("jobs.dead-letter"), LIT("dead-letter-reason"),
                         LIT("bad input"), 10, &peeked, &err));
  m = ds_messages_items(peeked, &n);
  CHECK(n == 1 && EQ(m[0].payload, m[0].payload_len, "p2"));
  ds_messages_free(peeked);

  /* Delete by attribute. */
  ds_attribute kind_c = {LIT("kind"), LIT("c")};
  ds_enqueue_options_init(&eopts);
  eopts.attributes = &kind_c;
  eopts.attribute_count = 1;
  CHECK_OK(ds_batch_enqueue(batch, LIT("jobs"), LIT("p3"), &eopts, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  CHECK_OK(ds_batch_delete_messages(batch, LIT("jobs"), LIT("kind"), LIT("c"), &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  CHECK_OK(ds_queue_peek(f->store, LIT("jobs"), LIT("kind"), LIT("c"), 10, &peeked, &err));
  ds_messages_items(peeked, &n);
  CHECK(n == 0);
  ds_messages_free(peeked);

  /* Group mode hands out a whole group. */
  ds_queue_options_init(&qopts);
  qopts.group_mode = true;
  CHECK_OK(ds_batch_configure_queue(batch, LIT("grouped"), &qopts, &err));
  ds_enqueue_options_init(&eopts);
  eopts.group_key = "g1";
  eopts.group_key_len = 2;
  CHECK_OK(ds_batch_enqueue(batch, LIT("grouped"), LIT("x"), &eopts, &err));
  CHECK_OK(ds_batch_enqueue(batch, LIT("grouped"), LIT("y"), &eopts, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  lease = dequeue(f, "grouped", NULL);
  CHECK(lease != NULL);
  CHECK(ACC_IS(ds_lease_group_key, lease, "g1"));
  m = ds_lease_messages(lease, &n);
  CHECK(n == 2 && EQ(m[0].payload, m[0].payload_len, "x") &&
        EQ(m[1].group_key, m[1].group_key_len, "g1"));
  token = ds_lease_token(lease, &len);
  CHECK_OK(ds_batch_ack(batch, token, len, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  ds_lease_free(lease);

  /* A long poll on an empty queue returns nothing after its wait. */
  ds_dequeue_options_init(&dopts);
  dopts.wait_ms = 20;
  CHECK(dequeue(f, "grouped", &dopts) == NULL);

  /* max_messages leases several messages under one token (0 = 1); a group-mode queue
   * takes only 1, and more than 1000 is invalid. */
  ds_enqueue_options_init(&eopts);
  CHECK_OK(ds_batch_enqueue(batch, LIT("jobs"), LIT("b1"), &eopts, &err));
  CHECK_OK(ds_batch_enqueue(batch, LIT("jobs"), LIT("b2"), &eopts, &err));
  CHECK_OK(ds_batch_enqueue(batch, LIT("jobs"), LIT("b3"), &eopts, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  ds_dequeue_options_init(&dopts);
  CHECK(dopts.max_messages == 0);
  lease = dequeue(f, "jobs", &dopts);
  m = ds_lease_messages(lease, &n);
  CHECK(n == 1 && EQ(m[0].payload, m[0].payload_len, "b1"));
  ds_lease_free(lease);
  dopts.max_messages = 5;
  lease = dequeue(f, "jobs", &dopts);
  m = ds_lease_messages(lease, &n);
  CHECK(n == 2 && EQ(m[0].payload, m[0].payload_len, "b2") &&
        EQ(m[1].payload, m[1].payload_len, "b3"));
  token = ds_lease_token(lease, &len);
  CHECK_OK(ds_batch_ack(batch, token, len, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  ds_lease_free(lease);
  dopts.max_messages = 2;
  CHECK_CODE(ds_queue_dequeue(f->store, LIT("grouped"), &dopts, &lease, &err), DS_INVALID_ARGUMENT);
  dopts.max_messages = 1001;
  CHECK_CODE(ds_queue_dequeue(f->store, LIT("jobs"), &dopts, &lease, &err), DS_INVALID_ARGUMENT);

  /* Browse the dead-letter queue one message a page: every page another message. */
  ds_browse_position next;
  bool more = false;
  ds_messages* page = NULL;
  CHECK_OK(ds_queue_browse(f->store, LIT("jobs.dead-letter"), 1, NULL, &page, &more, &next, &err));
  const ds_message* first = ds_messages_items(page, &n);
  CHECK(n == 1);
  const uint64_t first_id = first[0].id;
  ds_messages_free(page);
  if (more) {
    CHECK_OK(
        ds_queue_browse(f->store, LIT("jobs.dead-letter"), 1, &next, &page, &more, &next, &err));
    const ds_message* second = ds_messages_items(page, &n);
    CHECK(n == 1 && second[0].id != first_id);
    ds_messages_free(page);
  }
  CHECK_CODE(ds_queue_browse(f->store, LIT("no-such-queue"), 0, NULL, &page, &more, &next, &err),
             DS_NOT_FOUND);

  ds_strings* queues = NULL;
  CHECK_OK(ds_queue_list(f->store, &queues, &err));
  const ds_str* names = ds_strings_items(queues, &n);
  bool saw_jobs = false;
  bool saw_dead_letter = false;
  for (size_t i = 0; i < n; ++i) {
    saw_jobs = saw_jobs || EQ(names[i].ptr, names[i].len, "jobs");
    saw_dead_letter = saw_dead_letter || EQ(names[i].ptr, names[i].len, "jobs.dead-letter");
  }
  ds_strings_free(queues);
  CHECK(saw_jobs && saw_dead_letter);
  ds_batch_free(batch);
}

static void test_metadata_put_get_scan_delete(fixture* f) {
  ds_error* err = NULL;
  ds_batch* batch = NULL;
  CHECK_OK(ds_batch_new(&batch, &err));
  const char binary[] = {'b', '\0', 'i', 'n'};
  CHECK_OK(ds_batch_put(batch, LIT("user/1"), LIT("alice"), &err));
  CHECK_OK(ds_batch_put(batch, LIT("user/2"), LIT("bob"), &err));
  CHECK_OK(ds_batch_put(batch, LIT("user/3"), binary, sizeof(binary), &err));
  CHECK_OK(ds_batch_put(batch, LIT("zzz"), LIT("other"), &err));
  CHECK_OK(commit(f, batch, NULL, &err));

  char* value = NULL;
  size_t len = 0;
  CHECK_OK(ds_meta_get(f->store, LIT("user/3"), &value, &len, &err));
  CHECK(bytes_eq(value, len, binary, sizeof(binary)));
  ds_free(value);

  ds_kvs* kvs = NULL;
  CHECK_OK(ds_meta_scan(f->store, LIT("user/"), 10, NULL, 0, &kvs, &err));
  size_t n = 0;
  const ds_kv* items = ds_kvs_items(kvs, &n);
  CHECK(n == 3);
  CHECK(EQ(items[0].key, items[0].key_len, "user/1"));
  CHECK(EQ(items[0].value, items[0].value_len, "alice"));
  CHECK(EQ(items[2].key, items[2].key_len, "user/3"));
  ds_kvs_free(kvs);
  CHECK_OK(ds_meta_scan(f->store, LIT("user/"), 1, LIT("user/1"), &kvs, &err));
  items = ds_kvs_items(kvs, &n);
  CHECK(n == 1 && EQ(items[0].key, items[0].key_len, "user/2"));
  ds_kvs_free(kvs);

  CHECK_OK(ds_batch_delete(batch, LIT("user/1"), &err));
  CHECK_OK(ds_batch_delete_range(batch, LIT("user/2"), LIT("user/3"), &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  CHECK_OK(ds_meta_scan(f->store, LIT("user/"), 10, NULL, 0, &kvs, &err));
  items = ds_kvs_items(kvs, &n);
  CHECK(n == 1 && EQ(items[0].key, items[0].key_len, "user/3"));
  ds_kvs_free(kvs);
  CHECK_CODE(ds_meta_get(f->store, LIT("user/1"), &value, &len, &err), DS_NOT_FOUND);
  ds_batch_free(batch);
}

/* =================================================================================== */
/* Provider                                                                              */
/* =================================================================================== */

static ds_orchestrator_item start_item(const char* instance) {
  ds_orchestrator_item item;
  memset(&item, 0, sizeof(item));
  item.instance = instance;
  item.instance_len = strlen(instance);
  item.kind = DS_ORCH_ITEM_START;
  item.payload = "start";
  item.payload_len = 5;
  item.orchestration_name = "Flow";
  item.orchestration_name_len = 4;
  item.version = "1.0.0";
  item.version_len = 5;
  return item;
}

static ds_fetched_orchestration* fetch_orch(fixture* f) {
  ds_fetched_orchestration* fetched = NULL;
  ds_error* err = NULL;
  if (ds_provider_fetch_orchestration_item(f->provider, 30000, 0, NULL, &fetched, &err) != DS_OK) {
    FAIL("fetch_orchestration_item: %s", ds_error_message(err));
    ds_error_free(err);
  }
  return fetched;
}

static ds_fetched_work* fetch_work(fixture* f, const ds_session_config* session,
                                   const ds_tag_filter* tags) {
  ds_fetched_work* fetched = NULL;
  ds_error* err = NULL;
  if (ds_provider_fetch_work_item(f->provider, 30000, 0, session, tags, &fetched, &err) != DS_OK) {
    FAIL("fetch_work_item: %s", ds_error_message(err));
    ds_error_free(err);
  }
  return fetched;
}

static void test_provider_turn_activity_and_completion(fixture* f) {
  ds_error* err = NULL;
  ds_orchestrator_item start = start_item("inst-1");
  CHECK_OK(ds_provider_enqueue_for_orchestrator(f->provider, &start, false, 0, &err));

  ds_fetched_orchestration* fetched = fetch_orch(f);
  CHECK(fetched != NULL);
  size_t len = 0;
  size_t n = 0;
  CHECK(ACC_IS(ds_fetched_orchestration_instance, fetched, "inst-1"));
  CHECK(ACC_IS(ds_fetched_orchestration_name, fetched, "Flow"));
  CHECK(ACC_IS(ds_fetched_orchestration_version, fetched, "1.0.0"));
  CHECK(ds_fetched_orchestration_execution_id(fetched) == 1);
  CHECK(ds_fetched_orchestration_attempt_count(fetched) == 1);
  CHECK(ds_fetched_orchestration_history_error(fetched, &len) == NULL);
  ds_fetched_orchestration_history(fetched, &n);
  CHECK(n == 0);
  const ds_orchestrator_item* msgs = ds_fetched_orchestration_messages(fetched, &n);
  CHECK(n == 1 && msgs[0].kind == DS_ORCH_ITEM_START);
  CHECK(EQ(msgs[0].payload, msgs[0].payload_len, "start"));
  CHECK(EQ(msgs[0].orchestration_name, msgs[0].orchestration_name_len, "Flow"));
  const char* token = ds_fetched_orchestration_lock_token(fetched, &len);
  CHECK(len == DS_LOCK_TOKEN_LEN);

  /* Ack: history, one activity, instance metadata, custom status and a KV write. */
  ds_history_event history[2] = {{1, LIT("ev-started")}, {2, LIT("ev-scheduled")}};
  ds_worker_item activity;
  memset(&activity, 0, sizeof(activity));
  activity.identity.instance = "inst-1";
  activity.identity.instance_len = 6;
  activity.identity.execution_id = 1;
  activity.identity.activity_id = 2;
  activity.payload = "activity-input";
  activity.payload_len = 14;
  ds_kv_change kv = {DS_KV_SET, LIT("color"), LIT("blue"), 1234567};
  ds_orchestration_ack ack;
  ds_orchestration_ack_init(&ack);
  ack.execution_id = 1;
  ack.history_delta = history;
  ack.history_delta_count = 2;
  ack.worker_items = &activity;
  ack.worker_item_count = 1;
  ack.metadata.orchestration_name = "Flow";
  ack.metadata.orchestration_name_len = 4;
  ack.metadata.version = "1.0.0";
  ack.metadata.version_len = 5;
  ack.custom_status_change = DS_CUSTOM_STATUS_SET;
  ack.custom_status = "phase-1";
  ack.custom_status_len = 7;
  ack.kv_changes = &kv;
  ack.kv_change_count = 1;
  CHECK_OK(ds_provider_ack_orchestration_item(f->provider, token, len, &ack, &err));
  /* The lock is gone with the ack. */
  CHECK_CODE(ds_provider_ack_orchestration_item(f->provider, token, len, &ack, &err), DS_LOCK_LOST);
  ds_fetched_orchestration_free(fetched);
  CHECK(fetch_orch(f) == NULL);

  /* The activity. */
  ds_fetched_work* work = fetch_work(f, NULL, NULL);
  CHECK(work != NULL);
  const ds_worker_item* item = ds_fetched_work_item(work);
  CHECK(EQ(item->identity.instance, item->identity.instance_len, "inst-1"));
  CHECK(item->identity.execution_id == 1 && item->identity.activity_id == 2);
  CHECK(EQ(item->payload, item->payload_len, "activity-input"));
  CHECK(item->session_id == NULL && item->tag == NULL);
  CHECK(ds_fetched_work_attempt_count(work) == 1);
  token = ds_fetched_work_lock_token(work, &len);
  ds_orchestrator_item completion;
  memset(&completion, 0, sizeof(completion));
  completion.instance = "inst-1";
  completion.instance_len = 6;
  completion.kind = DS_ORCH_ITEM_OTHER;
  completion.payload = "activity-result";
  completion.payload_len = 15;
  CHECK_OK(ds_provider_ack_work_item(f->provider, token, len, &completion, &err));
  ds_fetched_work_free(work);
  CHECK(fetch_work(f, NULL, NULL) == NULL);

  /* The next turn sees the history and the completion; the KV snapshot is the store layer,
   * which the running execution's delta has not reached yet. */
  fetched = fetch_orch(f);
  CHECK(fetched != NULL);
  CHECK(ds_fetched_orchestration_execution_id(fetched) == 1);
  CHECK(ACC_IS(ds_fetched_orchestration_name, fetched, "Flow"));
  const ds_history_event* h = ds_fetched_orchestration_history(fetched, &n);
  CHECK(n == 2 && h[0].event_id == 1 && h[1].event_id == 2);
  CHECK(EQ(h[0].payload, h[0].payload_len, "ev-started"));
  msgs = ds_fetched_orchestration_messages(fetched, &n);
  CHECK(n == 1 && msgs[0].kind == DS_ORCH_ITEM_OTHER);
  CHECK(EQ(msgs[0].payload, msgs[0].payload_len, "activity-result"));
  ds_fetched_orchestration_kv_snapshot(fetched, &n);
  CHECK(n == 0);
  char* value = NULL;
  size_t value_len = 0;
  CHECK_OK(
      ds_provider_get_kv_value(f->provider, LIT("inst-1"), LIT("color"), &value, &value_len, &err));
  CHECK(EQ(value, value_len, "blue"));
  ds_free(value);

  ds_history_event done = {3, LIT("ev-completed")};
  ds_orchestration_ack_init(&ack);
  ack.execution_id = 1;
  ack.history_delta = &done;
  ack.history_delta_count = 1;
  ack.metadata.has_status = true;
  ack.metadata.status = DS_EXECUTION_COMPLETED;
  ack.metadata.output = "42";
  ack.metadata.output_len = 2;
  token = ds_fetched_orchestration_lock_token(fetched, &len);
  CHECK_OK(ds_provider_ack_orchestration_item(f->provider, token, len, &ack, &err));
  ds_fetched_orchestration_free(fetched);

  ds_history* read = NULL;
  CHECK_OK(ds_provider_read(f->provider, LIT("inst-1"), &read, &err));
  h = ds_history_items(read, &n);
  CHECK(n == 3 && h[2].event_id == 3 && EQ(h[2].payload, h[2].payload_len, "ev-completed"));
  ds_history_free(read);
  CHECK_OK(ds_provider_read_with_execution(f->provider, LIT("inst-1"), 1, &read, &err));
  ds_history_items(read, &n);
  CHECK(n == 3);
  ds_history_free(read);
  CHECK_OK(ds_provider_read(f->provider, LIT("unknown"), &read, &err));
  ds_history_items(read, &n);
  CHECK(n == 0);
  ds_history_free(read);

  /* KV after the terminal ack: merged into the store layer. */
  ds_kvs* all = NULL;
  CHECK_OK(ds_provider_get_kv_all_values(f->provider, LIT("inst-1"), &all, &err));
  const ds_kv* kvs = ds_kvs_items(all, &n);
  CHECK(n == 1 && EQ(kvs[0].key, kvs[0].key_len, "color") &&
        EQ(kvs[0].value, kvs[0].value_len, "blue"));
  ds_kvs_free(all);
  CHECK_OK(ds_provider_get_kv_value(f->provider, LIT("inst-1"), LIT("absent"), &value, &value_len,
                                    &err));
  CHECK(value == NULL);
  /* The next turn's snapshot is the store layer, each key with its last-updated time. */
  ds_orchestrator_item poke;
  memset(&poke, 0, sizeof(poke));
  poke.instance = "inst-1";
  poke.instance_len = 6;
  poke.kind = DS_ORCH_ITEM_OTHER;
  poke.payload = "poke";
  poke.payload_len = 4;
  CHECK_OK(ds_provider_enqueue_for_orchestrator(f->provider, &poke, false, 0, &err));
  fetched = fetch_orch(f);
  CHECK(fetched != NULL);
  const ds_kv_entry* snapshot = ds_fetched_orchestration_kv_snapshot(fetched, &n);
  CHECK(n == 1 && EQ(snapshot[0].key, snapshot[0].key_len, "color") &&
        EQ(snapshot[0].value, snapshot[0].value_len, "blue") &&
        snapshot[0].updated_at_ms == 1234567);
  token = ds_fetched_orchestration_lock_token(fetched, &len);
  CHECK_OK(ds_provider_abandon_orchestration_item(f->provider, token, len, false, 0, true, &err));
  ds_fetched_orchestration_free(fetched);

  /* Custom status: only when newer than what the caller saw. */
  bool changed = false;
  char* status = NULL;
  size_t status_len = 0;
  uint64_t version = 0;
  CHECK_OK(ds_provider_get_custom_status(f->provider, LIT("inst-1"), 0, &changed, &status,
                                         &status_len, &version, &err));
  CHECK(changed && version == 1 && EQ(status, status_len, "phase-1"));
  ds_free(status);
  CHECK_OK(ds_provider_get_custom_status(f->provider, LIT("inst-1"), 1, &changed, &status,
                                         &status_len, &version, &err));
  CHECK(!changed && status == NULL);
}

static void test_provider_abandon_renew_and_lock_errors(fixture* f) {
  ds_error* err = NULL;
  ds_orchestrator_item start = start_item("inst-2");
  CHECK_OK(ds_provider_enqueue_for_orchestrator(f->provider, &start, false, 0, &err));
  ds_fetched_orchestration* fetched = fetch_orch(f);
  CHECK(fetched != NULL && ds_fetched_orchestration_attempt_count(fetched) == 1);
  size_t len = 0;
  const char* token = ds_fetched_orchestration_lock_token(fetched, &len);
  CHECK_OK(ds_provider_renew_orchestration_item_lock(f->provider, token, len, 60000, &err));
  CHECK_OK(
      ds_provider_abandon_orchestration_item(f->provider, token, len, true, 1000, false, &err));
  /* The abandoned lock is dead: renew and ack fail, permanently. */
  CHECK(ds_provider_renew_orchestration_item_lock(f->provider, token, len, 1000, &err) ==
        DS_LOCK_LOST);
  CHECK(!ds_error_retryable(err));
  CHECK(strstr(ds_error_message(err), token) != NULL); /* names the token */
  ds_error_free(err);
  err = NULL;
  ds_fetched_orchestration_free(fetched);

  CHECK(fetch_orch(f) == NULL); /* delayed by 1 s */
  clock_advance(&f->clock, 1001);
  fetched = fetch_orch(f);
  CHECK(fetched != NULL && ds_fetched_orchestration_attempt_count(fetched) == 2);
  token = ds_fetched_orchestration_lock_token(fetched, &len);
  CHECK_OK(ds_provider_abandon_orchestration_item(f->provider, token, len, false, 0, true, &err));
  ds_fetched_orchestration_free(fetched);
  fetched = fetch_orch(f);
  CHECK(fetched != NULL && ds_fetched_orchestration_attempt_count(fetched) == 2);
  token = ds_fetched_orchestration_lock_token(fetched, &len);
  CHECK_OK(ds_provider_abandon_orchestration_item(f->provider, token, len, false, 0, false, &err));
  ds_fetched_orchestration_free(fetched);
  uint32_t attempts = 0;
  CHECK_OK(ds_admin_max_orchestrator_attempt_count(f->admin, LIT("inst-2"), &attempts, &err));
  CHECK(attempts == 2);

  const char unknown[] = "00000000000000000000000000000000";
  CHECK_CODE(
      ds_provider_abandon_orchestration_item(f->provider, LIT(unknown), false, 0, false, &err),
      DS_LOCK_LOST);
  CHECK_CODE(ds_provider_renew_work_item_lock(f->provider, LIT(unknown), 1000, &err), DS_LOCK_LOST);

  /* Activity work never goes to the orchestrator queue. */
  start.kind = DS_ORCH_ITEM_ACTIVITY_EXECUTE;
  CHECK_CODE(ds_provider_enqueue_for_orchestrator(f->provider, &start, false, 0, &err),
             DS_INVALID_ARGUMENT);
}

static ds_worker_item worker_item(const char* instance, uint64_t activity_id) {
  ds_worker_item item;
  memset(&item, 0, sizeof(item));
  item.identity.instance = instance;
  item.identity.instance_len = strlen(instance);
  item.identity.execution_id = 1;
  item.identity.activity_id = activity_id;
  item.payload = "work";
  item.payload_len = 4;
  return item;
}

static void test_provider_worker_tags_sessions_and_abandon(fixture* f) {
  ds_error* err = NULL;
  ds_worker_item tagged = worker_item("inst-3", 1);
  tagged.tag = "gpu";
  tagged.tag_len = 3;
  CHECK_OK(ds_provider_enqueue_for_worker(f->provider, &tagged, &err));
  CHECK(fetch_work(f, NULL, NULL) == NULL); /* default-only routing skips tagged work */
  ds_tag_filter none = {DS_TAGS_NONE, NULL, 0};
  CHECK(fetch_work(f, NULL, &none) == NULL);
  ds_str gpu = {LIT("gpu")};
  ds_tag_filter tags = {DS_TAGS_TAGS, &gpu, 1};
  ds_fetched_work* work = fetch_work(f, NULL, &tags);
  CHECK(work != NULL && ds_fetched_work_attempt_count(work) == 1);
  CHECK(EQ(ds_fetched_work_item(work)->tag, ds_fetched_work_item(work)->tag_len, "gpu"));
  size_t len = 0;
  const char* token = ds_fetched_work_lock_token(work, &len);
  CHECK_OK(ds_provider_renew_work_item_lock(f->provider, token, len, 60000, &err));
  CHECK_OK(ds_provider_abandon_work_item(f->provider, token, len, false, 0, true, &err));
  ds_fetched_work_free(work);
  work = fetch_work(f, NULL, &tags);
  CHECK(work != NULL && ds_fetched_work_attempt_count(work) == 1); /* attempt not counted */
  token = ds_fetched_work_lock_token(work, &len);
  CHECK_OK(ds_provider_ack_work_item(f->provider, token, len, NULL, &err));
  CHECK_CODE(ds_provider_ack_work_item(f->provider, token, len, NULL, &err), DS_LOCK_LOST);
  ds_fetched_work_free(work);

  /* Session work goes only to a fetcher with a session config, which claims the session. */
  ds_worker_item session_item = worker_item("inst-3", 2);
  session_item.session_id = "s1";
  session_item.session_id_len = 2;
  CHECK_OK(ds_provider_enqueue_for_worker(f->provider, &session_item, &err));
  CHECK(fetch_work(f, NULL, NULL) == NULL);
  ds_session_config session = {LIT("worker-1"), 30000};
  work = fetch_work(f, &session, NULL);
  CHECK(work != NULL);
  CHECK(
      EQ(ds_fetched_work_item(work)->session_id, ds_fetched_work_item(work)->session_id_len, "s1"));
  ds_str owner = {LIT("worker-1")};
  uint64_t count = 0;
  CHECK_OK(ds_provider_renew_session_lock(f->provider, &owner, 1, 30000, 300000, &count, &err));
  CHECK(count == 1);
  token = ds_fetched_work_lock_token(work, &len);
  CHECK_OK(ds_provider_ack_work_item(f->provider, token, len, NULL, &err));
  ds_fetched_work_free(work);

  /* Long after, the session is expired, idle and referenced by nothing. */
  clock_advance(&f->clock, 1000000);
  CHECK_OK(ds_provider_cleanup_orphaned_sessions(f->provider, 300000, &count, &err));
  CHECK(count == 1);
  CHECK_OK(ds_provider_renew_session_lock(f->provider, &owner, 1, 30000, 300000, &count, &err));
  CHECK(count == 0);
}

static void test_provider_append_with_execution_and_raw_history(fixture* f) {
  ds_error* err = NULL;
  ds_history_event events[2] = {{1, LIT("e1")}, {2, LIT("e2")}};
  CHECK_OK(ds_provider_append_with_execution(f->provider, LIT("inst-4"), 1, events, 2, &err));
  ds_history* read = NULL;
  CHECK_OK(ds_provider_read_with_execution(f->provider, LIT("inst-4"), 1, &read, &err));
  size_t n = 0;
  const ds_history_event* h = ds_history_items(read, &n);
  CHECK(n == 2 && h[1].event_id == 2 && EQ(h[1].payload, h[1].payload_len, "e2"));
  ds_history_free(read);
  CHECK_CODE(ds_provider_append_with_execution(f->provider, LIT("inst-4"), 1, &events[1], 1, &err),
             DS_ALREADY_EXISTS);
  ds_history_event zero = {0, LIT("bad")};
  CHECK_CODE(ds_provider_append_with_execution(f->provider, LIT("inst-4"), 1, &zero, 1, &err),
             DS_INVALID_ARGUMENT);

  /* The harness hook: replace stored history with raw bytes through the engine. */
  ds_batch* batch = NULL;
  CHECK_OK(ds_batch_new(&batch, &err));
  ds_event_data raw = {LIT("not a history event"), NULL, 0};
  CHECK_OK(ds_batch_delete_partition(batch, LIT("inst-4"), 1, &err));
  CHECK_OK(ds_batch_append(batch, LIT("inst-4"), 1, &raw, 1, NULL, &err));
  CHECK_OK(commit(f, batch, NULL, &err));
  ds_batch_free(batch);
  CHECK_CODE(ds_provider_read_with_execution(f->provider, LIT("inst-4"), 1, &read, &err),
             DS_CORRUPTION);
  CHECK(read == NULL);
}

/* =================================================================================== */
/* Admin                                                                                 */
/* =================================================================================== */

/* Starts `instance` and acks its first turn: history [1] (+ [2] and Completed with output
 * "out" when `complete`), optionally as a child of `parent`. */
static bool run_first_turn(fixture* f, const char* instance, bool complete, const char* parent) {
  ds_error* err = NULL;
  ds_orchestrator_item start = start_item(instance);
  if (ds_provider_enqueue_for_orchestrator(f->provider, &start, false, 0, &err) != DS_OK) {
    FAIL("enqueue %s: %s", instance, ds_error_message(err));
    ds_error_free(err);
    return false;
  }
  ds_fetched_orchestration* fetched = fetch_orch(f);
  size_t len = 0;
  if (fetched == NULL ||
      !acc_is(ds_fetched_orchestration_instance(fetched, &g_len), instance, strlen(instance))) {
    FAIL("fetch of %s returned another turn or none", instance);
    ds_fetched_orchestration_free(fetched);
    return false;
  }
  ds_history_event history[2] = {{1, LIT("started")}, {2, LIT("completed")}};
  ds_orchestration_ack ack;
  ds_orchestration_ack_init(&ack);
  ack.execution_id = 1;
  ack.history_delta = history;
  ack.history_delta_count = complete ? 2 : 1;
  ack.metadata.orchestration_name = "Flow";
  ack.metadata.orchestration_name_len = 4;
  ack.metadata.version = "1.0.0";
  ack.metadata.version_len = 5;
  if (parent != NULL) {
    ack.metadata.parent_instance = parent;
    ack.metadata.parent_instance_len = strlen(parent);
  }
  if (complete) {
    ack.metadata.has_status = true;
    ack.metadata.status = DS_EXECUTION_COMPLETED;
    ack.metadata.output = "out";
    ack.metadata.output_len = 3;
  }
  const char* token = ds_fetched_orchestration_lock_token(fetched, &len);
  ds_code code = ds_provider_ack_orchestration_item(f->provider, token, len, &ack, &err);
  ds_fetched_orchestration_free(fetched);
  if (code != DS_OK) {
    FAIL("ack %s: %s", instance, ds_error_message(err));
    ds_error_free(err);
    return false;
  }
  return true;
}

static bool strings_are(ds_strings* strings, const char* const* want, size_t want_count) {
  size_t n = 0;
  const ds_str* items = ds_strings_items(strings, &n);
  bool same = n == want_count;
  for (size_t i = 0; same && i < n; ++i) {
    same = bytes_eq(items[i].ptr, items[i].len, want[i], strlen(want[i]));
  }
  ds_strings_free(strings);
  return same;
}

static void test_admin_queries_and_deletes(fixture* f) {
  ds_error* err = NULL;
  CHECK(run_first_turn(f, "done-1", true, NULL));
  clock_advance(&f->clock, 10);
  CHECK(run_first_turn(f, "run-1", false, NULL));
  clock_advance(&f->clock, 10);
  CHECK(run_first_turn(f, "child-1", false, "run-1"));

  ds_strings* list = NULL;
  CHECK_OK(ds_admin_list_instances(f->admin, &list, &err));
  const char* const newest_first[] = {"child-1", "run-1", "done-1"};
  CHECK(strings_are(list, newest_first, 3));
  CHECK_OK(ds_admin_list_instances_by_status(f->admin, DS_EXECUTION_COMPLETED, &list, &err));
  const char* const completed[] = {"done-1"};
  CHECK(strings_are(list, completed, 1));

  ds_instance_info* info = NULL;
  CHECK_OK(ds_admin_get_instance_info(f->admin, LIT("done-1"), &info, &err));
  size_t len = 0;
  CHECK(ACC_IS(ds_instance_info_instance, info, "done-1"));
  CHECK(ACC_IS(ds_instance_info_orchestration_name, info, "Flow"));
  CHECK(ACC_IS(ds_instance_info_version, info, "1.0.0"));
  CHECK(ds_instance_info_current_execution_id(info) == 1);
  CHECK(ds_instance_info_status(info) == DS_EXECUTION_COMPLETED);
  CHECK(ACC_IS(ds_instance_info_output, info, "out"));
  CHECK(ds_instance_info_parent_instance(info, &len) == NULL);
  CHECK(ds_instance_info_created_at_ms(info) == kStart);
  CHECK(ds_instance_info_updated_at_ms(info) >= kStart);
  ds_instance_info_free(info);
  CHECK_OK(ds_admin_get_instance_info(f->admin, LIT("child-1"), &info, &err));
  CHECK(ACC_IS(ds_instance_info_parent_instance, info, "run-1"));
  CHECK(ds_instance_info_status(info) == DS_EXECUTION_RUNNING);
  CHECK(ds_instance_info_output(info, &len) == NULL);
  ds_instance_info_free(info);
  CHECK_CODE(ds_admin_get_instance_info(f->admin, LIT("missing"), &info, &err), DS_NOT_FOUND);
  CHECK(info == NULL);

  ds_execution_info* exec = NULL;
  CHECK_OK(ds_admin_get_execution_info(f->admin, LIT("done-1"), 1, &exec, &err));
  CHECK(ds_execution_info_execution_id(exec) == 1);
  CHECK(ds_execution_info_status(exec) == DS_EXECUTION_COMPLETED);
  CHECK(ACC_IS(ds_execution_info_output, exec, "out"));
  CHECK(ds_execution_info_event_count(exec) == 2);
  CHECK(ds_execution_info_started_at_ms(exec) == kStart);
  int64_t completed_at = 0;
  CHECK(ds_execution_info_completed_at_ms(exec, &completed_at) && completed_at == kStart);
  ds_execution_info_free(exec);
  CHECK_OK(ds_admin_get_execution_info(f->admin, LIT("run-1"), 1, &exec, &err));
  CHECK(!ds_execution_info_completed_at_ms(exec, &completed_at));
  ds_execution_info_free(exec);

  uint64_t* executions = NULL;
  size_t n = 0;
  CHECK_OK(ds_admin_list_executions(f->admin, LIT("done-1"), &executions, &n, &err));
  CHECK(n == 1 && executions[0] == 1);
  ds_free(executions);
  uint64_t latest = 0;
  CHECK_OK(ds_admin_latest_execution_id(f->admin, LIT("done-1"), &latest, &err));
  CHECK(latest == 1);
  CHECK_CODE(ds_admin_latest_execution_id(f->admin, LIT("missing"), &latest, &err), DS_NOT_FOUND);
  ds_history* history = NULL;
  CHECK_OK(ds_admin_read_history(f->admin, LIT("done-1"), &history, &err));
  ds_history_items(history, &n);
  CHECK(n == 2);
  ds_history_free(history);
  CHECK_OK(ds_admin_read_history_with_execution_id(f->admin, LIT("run-1"), 1, &history, &err));
  const ds_history_event* h = ds_history_items(history, &n);
  CHECK(n == 1 && EQ(h[0].payload, h[0].payload_len, "started"));
  ds_history_free(history);

  ds_system_metrics metrics;
  CHECK_OK(ds_admin_get_system_metrics(f->admin, &metrics, &err));
  CHECK(metrics.total_instances == 3 && metrics.total_executions == 3);
  CHECK(metrics.running_instances == 2 && metrics.completed_instances == 1);
  CHECK(metrics.failed_instances == 0 && metrics.total_events == 4);
  ds_queue_depths depths;
  CHECK_OK(ds_admin_get_queue_depths(f->admin, &depths, &err));
  CHECK(depths.orchestrator == 0 && depths.worker == 0);

  CHECK_OK(ds_admin_list_children(f->admin, LIT("run-1"), &list, &err));
  const char* const children[] = {"child-1"};
  CHECK(strings_are(list, children, 1));
  CHECK_OK(ds_admin_get_instance_tree(f->admin, LIT("run-1"), &list, &err));
  const char* const tree[] = {"run-1", "child-1"};
  CHECK(strings_are(list, tree, 2));
  char* parent = NULL;
  CHECK_OK(ds_admin_get_parent_id(f->admin, LIT("child-1"), &parent, &len, &err));
  CHECK(EQ(parent, len, "run-1"));
  ds_free(parent);
  CHECK_OK(ds_admin_get_parent_id(f->admin, LIT("run-1"), &parent, &len, &err));
  CHECK(parent == NULL);
  CHECK_CODE(ds_admin_get_parent_id(f->admin, LIT("missing"), &parent, &len, &err), DS_NOT_FOUND);

  /* Deletes: refused for a sub-orchestration and for a running root without force. */
  ds_delete_result deleted;
  CHECK_CODE(ds_admin_delete_instance(f->admin, LIT("child-1"), true, &deleted, &err), DS_CONFLICT);
  CHECK_CODE(ds_admin_delete_instance(f->admin, LIT("run-1"), false, &deleted, &err), DS_CONFLICT);
  CHECK_OK(ds_admin_delete_instance(f->admin, LIT("done-1"), false, &deleted, &err));
  CHECK(deleted.instances_deleted == 1 && deleted.executions_deleted == 1);
  CHECK(deleted.events_deleted == 2);
  CHECK_CODE(ds_admin_get_instance_info(f->admin, LIT("done-1"), &info, &err), DS_NOT_FOUND);
  ds_str both[2] = {{LIT("run-1")}, {LIT("child-1")}};
  CHECK_OK(ds_admin_delete_instances_atomic(f->admin, both, 2, true, &deleted, &err));
  CHECK(deleted.instances_deleted == 2 && deleted.events_deleted == 2);
  CHECK_OK(ds_admin_list_instances(f->admin, &list, &err));
  CHECK(strings_are(list, NULL, 0));
}

static void test_admin_prune_and_bulk_delete(fixture* f) {
  ds_error* err = NULL;
  /* Execution 1 continues as new; execution 2 completes. */
  ds_orchestrator_item start = start_item("can-1");
  CHECK_OK(ds_provider_enqueue_for_orchestrator(f->provider, &start, false, 0, &err));
  ds_fetched_orchestration* fetched = fetch_orch(f);
  CHECK(fetched != NULL);
  ds_orchestrator_item again = start_item("can-1");
  again.kind = DS_ORCH_ITEM_CONTINUE_AS_NEW;
  ds_history_event first = {1, LIT("started-1")};
  ds_orchestration_ack ack;
  ds_orchestration_ack_init(&ack);
  ack.execution_id = 1;
  ack.history_delta = &first;
  ack.history_delta_count = 1;
  ack.orchestrator_items = &again;
  ack.orchestrator_item_count = 1;
  ack.metadata.has_status = true;
  ack.metadata.status = DS_EXECUTION_CONTINUED_AS_NEW;
  ack.metadata.orchestration_name = "Flow";
  ack.metadata.orchestration_name_len = 4;
  ack.metadata.version = "1.0.0";
  ack.metadata.version_len = 5;
  size_t len = 0;
  const char* token = ds_fetched_orchestration_lock_token(fetched, &len);
  CHECK_OK(ds_provider_ack_orchestration_item(f->provider, token, len, &ack, &err));
  ds_fetched_orchestration_free(fetched);

  fetched = fetch_orch(f);
  CHECK(fetched != NULL);
  size_t n = 0;
  const ds_orchestrator_item* msgs = ds_fetched_orchestration_messages(fetched, &n);
  CHECK(n == 1 && msgs[0].kind == DS_ORCH_ITEM_CONTINUE_AS_NEW);
  ds_history_event second = {1, LIT("started-2")};
  ds_orchestration_ack_init(&ack);
  ack.execution_id = 2;
  ack.history_delta = &second;
  ack.history_delta_count = 1;
  ack.metadata.has_status = true;
  ack.metadata.status = DS_EXECUTION_COMPLETED;
  ack.metadata.output = "done";
  ack.metadata.output_len = 4;
  ack.metadata.orchestration_name = "Flow";
  ack.metadata.orchestration_name_len = 4;
  ack.metadata.version = "1.0.0";
  ack.metadata.version_len = 5;
  token = ds_fetched_orchestration_lock_token(fetched, &len);
  CHECK_OK(ds_provider_ack_orchestration_item(f->provider, token, len, &ack, &err));
  ds_fetched_orchestration_free(fetched);

  uint64_t* executions = NULL;
  CHECK_OK(ds_admin_list_executions(f->admin, LIT("can-1"), &executions, &n, &err));
  CHECK(n == 2 && executions[0] == 1 && executions[1] == 2);
  ds_free(executions);

  ds_prune_options prune;
  memset(&prune, 0, sizeof(prune));
  prune.has_keep_last = true;
  prune.keep_last = 1;
  ds_prune_result pruned;
  CHECK_OK(ds_admin_prune_executions(f->admin, LIT("can-1"), &prune, &pruned, &err));
  CHECK(pruned.executions_deleted == 1 && pruned.events_deleted == 1);
  CHECK_OK(ds_admin_list_executions(f->admin, LIT("can-1"), &executions, &n, &err));
  CHECK(n == 1 && executions[0] == 2);
  ds_free(executions);

  ds_instance_filter filter;
  ds_instance_filter_init(&filter);
  CHECK(filter.limit == 1000);
  CHECK_OK(ds_admin_prune_executions_bulk(f->admin, &filter, &prune, &pruned, &err));
  CHECK(pruned.executions_deleted == 0);

  ds_str ids[1] = {{LIT("can-1")}};
  filter.has_instance_ids = true;
  filter.instance_ids = ids;
  filter.instance_id_count = 1;
  ds_delete_result deleted;
  CHECK_OK(ds_admin_delete_instance_bulk(f->admin, &filter, &deleted, &err));
  CHECK(deleted.instances_deleted == 1);
  ds_strings* list = NULL;
  CHECK_OK(ds_admin_list_instances(f->admin, &list, &err));
  CHECK(strings_are(list, NULL, 0));
}

/* =================================================================================== */

typedef struct test_case {
  const char* name;
  void (*run)(fixture*);
} test_case;

int main(void) {
  static const test_case tests[] = {
      {"version_and_names", test_version_and_names},
      {"open_flush_close_reopen_keeps_data", test_open_flush_close_reopen_keeps_data},
      {"backup_copies_the_store_and_refuses_a_used_destination",
       test_backup_copies_the_store_and_refuses_a_used_destination},
      {"errors_carry_code_message_and_retryable", test_errors_carry_code_message_and_retryable},
      {"batch_append_commit_and_read_partition", test_batch_append_commit_and_read_partition},
      {"queue_enqueue_dequeue_settle", test_queue_enqueue_dequeue_settle},
      {"metadata_put_get_scan_delete", test_metadata_put_get_scan_delete},
      {"provider_turn_activity_and_completion", test_provider_turn_activity_and_completion},
      {"provider_abandon_renew_and_lock_errors", test_provider_abandon_renew_and_lock_errors},
      {"provider_worker_tags_sessions_and_abandon", test_provider_worker_tags_sessions_and_abandon},
      {"provider_append_with_execution_and_raw_history",
       test_provider_append_with_execution_and_raw_history},
      {"admin_queries_and_deletes", test_admin_queries_and_deletes},
      {"admin_prune_and_bulk_delete", test_admin_prune_and_bulk_delete},
  };
  const size_t count = sizeof(tests) / sizeof(tests[0]);
  int failed_tests = 0;
  for (size_t i = 0; i < count; ++i) {
    g_test = tests[i].name;
    const int before = g_failures;
    fixture f;
    if (!fixture_setup(&f)) {
      FAIL("fixture setup failed");
    } else {
      tests[i].run(&f);
    }
    fixture_teardown(&f);
    const bool ok = g_failures == before;
    failed_tests += ok ? 0 : 1;
    printf("[%s] %s\n", ok ? "  OK  " : "FAILED", tests[i].name);
    fflush(stdout);
  }
  printf("%zu tests, %d failed\n", count, failed_tests);
  return failed_tests == 0 ? 0 : 1;
}
