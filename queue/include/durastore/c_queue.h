/* durastore C API, the queues' part: enqueues, queue options and lease settlements in a
 * batch, dequeue, counters and peeks (durastore/queue.h). Implemented in
 * queue/src/c_queue.cc; the contract of every C header is at the top of
 * durastore/c_store.h. */
#ifndef DURASTORE_C_QUEUE_H_
#define DURASTORE_C_QUEUE_H_

#include <stddef.h>
#include <stdint.h>

#include "durastore/c_store.h"
#include "durastore/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Limits (bytes unless stated)                                                         */
/* ------------------------------------------------------------------------------------ */
#define DS_MAX_QUEUE_NAME 200u
#define DS_MAX_GROUP_KEY 200u
#define DS_MAX_ATTRIBUTES 16u /* per message */
#define DS_MAX_ATTRIBUTE_NAME 64u
#define DS_MAX_ATTRIBUTE_VALUE 200u
#define DS_LOCK_TOKEN_LEN 32u /* lease and lock tokens: lowercase hex digits */

/* ------------------------------------------------------------------------------------ */
/* Batch: queue writes (see durastore/batch.h)                                          */
/* ------------------------------------------------------------------------------------ */
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
/* Zeroes every field: visible at once, no group, no attributes. */
DURASTORE_EXPORT void ds_enqueue_options_init(ds_enqueue_options* options);

typedef struct ds_queue_options {
  int64_t lock_duration_ms;      /* default lease duration; default 30000 */
  uint32_t max_deliveries;       /* 0 = unlimited */
  const char* dead_letter_queue; /* len 0 = "<queue>.dead-letter" */
  size_t dead_letter_queue_len;
  bool group_mode;
} ds_queue_options;
/* Sets every field to its default; call before setting fields. */
DURASTORE_EXPORT void ds_queue_options_init(ds_queue_options* options);

/* options NULL = defaults. Creates the queue with default options if needed. */
DURASTORE_EXPORT ds_code ds_batch_enqueue(ds_batch* batch, const char* queue, size_t queue_len,
                                          const char* payload, size_t payload_len,
                                          const ds_enqueue_options* options, ds_error** err);
/* Creates the queue or replaces its options (queued messages are kept). */
DURASTORE_EXPORT ds_code ds_batch_configure_queue(ds_batch* batch, const char* queue,
                                                  size_t queue_len, const ds_queue_options* options,
                                                  ds_error** err);
/* Lease settlements take the lease token as 32 hex digits (ds_lease_token); a malformed
 * token fails at once with DS_INVALID_ARGUMENT, a dead lease fails the commit with
 * DS_LOCK_LOST. */
DURASTORE_EXPORT ds_code ds_batch_ack(ds_batch* batch, const char* token, size_t token_len,
                                      ds_error** err);
/* Visible again at now + delay_ms; count_attempt false undoes the delivery count increment. */
DURASTORE_EXPORT ds_code ds_batch_abandon(ds_batch* batch, const char* token, size_t token_len,
                                          int64_t delay_ms, bool count_attempt, ds_error** err);
/* Locks the lease until now + extend_ms; an expired lease cannot be renewed
 * (DS_LOCK_LOST at commit). */
DURASTORE_EXPORT ds_code ds_batch_renew(ds_batch* batch, const char* token, size_t token_len,
                                        int64_t extend_ms, ds_error** err);
/* Moves the leased messages to the queue's dead-letter queue, visible at once, adding
 * the attributes "dead-letter-reason" (reason, at most DS_MAX_ATTRIBUTE_VALUE bytes) and
 * "dead-letter-from" (the queue name). */
DURASTORE_EXPORT ds_code ds_batch_dead_letter(ds_batch* batch, const char* token, size_t token_len,
                                              const char* reason, size_t reason_len,
                                              ds_error** err);
/* Deletes every message of queue whose attribute name equals value, leased or not. */
DURASTORE_EXPORT ds_code ds_batch_delete_messages(ds_batch* batch, const char* queue,
                                                  size_t queue_len, const char* name,
                                                  size_t name_len, const char* value,
                                                  size_t value_len, ds_error** err);

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
/* The peeked messages, oldest first. */
DURASTORE_EXPORT const ds_message* ds_messages_items(const ds_messages* messages, size_t* count);
/* Frees the messages; their views go with them. */
DURASTORE_EXPORT void ds_messages_free(ds_messages* messages);

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
  int64_t wait_ms;          /* long poll; 0 = do not wait; < 0: DS_INVALID_ARGUMENT */
  const ds_attribute_match* filter;
  size_t filter_count;
  size_t max_messages; /* lease up to this many messages (1..1000); 0 = 1. Group mode: 1 */
} ds_dequeue_options;
/* Zeroes every field: the queue's lock duration, no wait, no filter, one message. */
DURASTORE_EXPORT void ds_dequeue_options_init(ds_dequeue_options* options);

typedef struct ds_lease ds_lease;
/* 32 lowercase hex digits, NUL-terminated; pass it to ds_batch_ack & co. */
DURASTORE_EXPORT const char* ds_lease_token(const ds_lease* lease, size_t* len);
/* The queue the lease was taken on. */
DURASTORE_EXPORT const char* ds_lease_queue(const ds_lease* lease, size_t* len);
DURASTORE_EXPORT const char* ds_lease_group_key(const ds_lease* lease,
                                                size_t* len); /* group mode only */
DURASTORE_EXPORT int64_t ds_lease_locked_until_ms(const ds_lease* lease);
DURASTORE_EXPORT const ds_message* ds_lease_messages(const ds_lease* lease,
                                                     size_t* count); /* oldest first */
DURASTORE_EXPORT void ds_lease_free(ds_lease* lease);

/* Takes a lease on the oldest eligible message, or up to max_messages of them (group
 * mode: the oldest eligible group). *out is NULL when nothing became eligible within
 * wait_ms. options NULL = defaults. */
DURASTORE_EXPORT ds_code ds_queue_dequeue(ds_store* store, const char* queue, size_t queue_len,
                                          const ds_dequeue_options* options, ds_lease** out,
                                          ds_error** err);

typedef struct ds_queue_counters {
  uint64_t ready;
  uint64_t delayed;
  uint64_t leased;
  uint64_t dead_lettered;
  int64_t oldest_ready_age_ms;
} ds_queue_counters;
/* DS_NOT_FOUND for a queue never created. */
DURASTORE_EXPORT ds_code ds_queue_counters_get(ds_store* store, const char* queue, size_t queue_len,
                                               ds_queue_counters* out, ds_error** err);
/* Messages carrying attribute name=value in any state, oldest first, at most limit;
 * nothing is locked or counted. DS_NOT_FOUND for a queue never created. */
DURASTORE_EXPORT ds_code ds_queue_peek(ds_store* store, const char* queue, size_t queue_len,
                                       const char* name, size_t name_len, const char* value,
                                       size_t value_len, size_t limit, ds_messages** out,
                                       ds_error** err);
/* Where a browse page ends (queue::BrowsePosition): the delivery-order key of its last
 * message. */
typedef struct ds_browse_position {
  int64_t visible_at_ms;
  uint64_t id;
} ds_browse_position;
/* Every message of the queue in any state (ready, delayed or leased) in delivery order,
 * without leasing or counting, at most limit (0 = 1000), after *after when not NULL
 * (queue::BrowseQueue). *more is set when messages are left; *next then says where to
 * go on (pass it as after). DS_NOT_FOUND for a queue never created. */
DURASTORE_EXPORT ds_code ds_queue_browse(ds_store* store, const char* queue, size_t queue_len,
                                         size_t limit, const ds_browse_position* after,
                                         ds_messages** out, bool* more, ds_browse_position* next,
                                         ds_error** err);
/* Names of every queue, ascending. */
DURASTORE_EXPORT ds_code ds_queue_list(ds_store* store, ds_strings** out, ds_error** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DURASTORE_C_QUEUE_H_ */
