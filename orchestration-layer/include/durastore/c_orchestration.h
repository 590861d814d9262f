/* durastore C API, the Duroxide orchestration layer's part: Provider
 * (durastore/orchestration/provider.h) and Admin (durastore/orchestration/admin.h).
 * Implemented in orchestration-layer/src/c_provider.cc and c_admin.cc; the contract of every
 * C header is at the top of durastore/c_store.h. Lock tokens are lease tokens:
 * DS_LOCK_TOKEN_LEN (durastore/c_queue.h) hex digits. */
#ifndef DURASTORE_C_ORCHESTRATION_H_
#define DURASTORE_C_ORCHESTRATION_H_

#include <stddef.h>
#include <stdint.h>

#include "durastore/c_queue.h"
#include "durastore/c_store.h"
#include "durastore/export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------------------ */
/* Limits (bytes)                                                                       */
/* ------------------------------------------------------------------------------------ */
#define DS_MAX_INSTANCE_ID 160u
#define DS_MAX_NAME 200u /* orchestration names, versions, session ids, tags */
#define DS_MAX_KV_KEY 256u

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
DURASTORE_EXPORT const char* ds_execution_status_name(ds_execution_status status);

/* One history event: the runtime's event_id (1, 2, 3 ... per execution) and its bytes. */
typedef struct ds_history_event {
  uint64_t event_id;
  const char* payload;
  size_t payload_len;
} ds_history_event;
typedef struct ds_history ds_history;
/* The events in event order; ds_history_free frees them with the list. */
DURASTORE_EXPORT const ds_history_event* ds_history_items(const ds_history* history, size_t* count);
DURASTORE_EXPORT void ds_history_free(ds_history* history);

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
DURASTORE_EXPORT ds_code ds_provider_open(ds_store* store, ds_provider** out, ds_error** err);
/* Frees the provider handle (before its store). */
DURASTORE_EXPORT void ds_provider_free(ds_provider* provider);

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
/* The lock token to ack, abandon or renew the turn with (DS_LOCK_TOKEN_LEN hex digits). */
DURASTORE_EXPORT const char* ds_fetched_orchestration_lock_token(const ds_fetched_orchestration* f,
                                                                 size_t* len);
/* The highest delivery count in the batch. */
DURASTORE_EXPORT uint32_t ds_fetched_orchestration_attempt_count(const ds_fetched_orchestration* f);
/* The locked instance, its orchestration name and version, and the current execution. */
DURASTORE_EXPORT const char* ds_fetched_orchestration_instance(const ds_fetched_orchestration* f,
                                                               size_t* len);
DURASTORE_EXPORT const char* ds_fetched_orchestration_name(const ds_fetched_orchestration* f,
                                                           size_t* len);
DURASTORE_EXPORT const char* ds_fetched_orchestration_version(const ds_fetched_orchestration* f,
                                                              size_t* len);
DURASTORE_EXPORT uint64_t ds_fetched_orchestration_execution_id(const ds_fetched_orchestration* f);
/* The current execution's history, in event order. */
DURASTORE_EXPORT const ds_history_event* ds_fetched_orchestration_history(
    const ds_fetched_orchestration* f, size_t* count);
/* The locked batch, in enqueue order. */
DURASTORE_EXPORT const ds_orchestrator_item* ds_fetched_orchestration_messages(
    const ds_fetched_orchestration* f, size_t* count);
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
DURASTORE_EXPORT const ds_kv_entry* ds_fetched_orchestration_kv_snapshot(
    const ds_fetched_orchestration* f, size_t* count);
/* NULL unless the stored history could not be read (then history is empty). */
DURASTORE_EXPORT const char* ds_fetched_orchestration_history_error(
    const ds_fetched_orchestration* f, size_t* len);
/* Frees the turn (not its lock); every view goes with it. */
DURASTORE_EXPORT void ds_fetched_orchestration_free(ds_fetched_orchestration* f);

/* Locks one instance with visible messages for lock_timeout_ms and returns them; waits up
 * to poll_timeout_ms. *out is NULL when no work became eligible. filter NULL = none. */
DURASTORE_EXPORT ds_code ds_provider_fetch_orchestration_item(
    ds_provider* provider, int64_t lock_timeout_ms, int64_t poll_timeout_ms,
    const ds_version_filter* filter, ds_fetched_orchestration** out, ds_error** err);

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
DURASTORE_EXPORT void ds_orchestration_ack_init(ds_orchestration_ack* ack);

/* One atomic commit. DS_LOCK_LOST (naming the token) if the lock is unknown, expired or
 * ended by a delete; DS_ALREADY_EXISTS for a duplicate event_id. A failed ack changes
 * nothing and keeps the lock. */
DURASTORE_EXPORT ds_code ds_provider_ack_orchestration_item(ds_provider* provider,
                                                            const char* lock_token,
                                                            size_t lock_token_len,
                                                            const ds_orchestration_ack* ack,
                                                            ds_error** err);
/* Unlocks the turn's messages, visible again after delay_ms when has_delay; with
 * ignore_attempt the delivery count increment of the fetch is undone. DS_LOCK_LOST as for
 * the ack. */
DURASTORE_EXPORT ds_code ds_provider_abandon_orchestration_item(
    ds_provider* provider, const char* lock_token, size_t lock_token_len, bool has_delay,
    int64_t delay_ms, bool ignore_attempt, ds_error** err);
/* Extends the lock to now + extend_ms; DS_LOCK_LOST if it already expired. */
DURASTORE_EXPORT ds_code ds_provider_renew_orchestration_item_lock(ds_provider* provider,
                                                                   const char* lock_token,
                                                                   size_t lock_token_len,
                                                                   int64_t extend_ms,
                                                                   ds_error** err);

/* History of the latest execution; empty for an unknown instance. */
DURASTORE_EXPORT ds_code ds_provider_read(ds_provider* provider, const char* instance,
                                          size_t instance_len, ds_history** out, ds_error** err);
/* History of one execution; DS_CORRUPTION if a stored event has no valid event_id. */
DURASTORE_EXPORT ds_code ds_provider_read_with_execution(ds_provider* provider,
                                                         const char* instance, size_t instance_len,
                                                         uint64_t execution_id, ds_history** out,
                                                         ds_error** err);
/* Appends, never overwrites: duplicate event_id -> DS_ALREADY_EXISTS, 0 -> invalid. */
DURASTORE_EXPORT ds_code ds_provider_append_with_execution(
    ds_provider* provider, const char* instance, size_t instance_len, uint64_t execution_id,
    const ds_history_event* events, size_t count, ds_error** err);

/* Visible at max(now + delay, item.visible_at_ms). Never creates instance records. */
DURASTORE_EXPORT ds_code ds_provider_enqueue_for_orchestrator(ds_provider* provider,
                                                              const ds_orchestrator_item* item,
                                                              bool has_delay, int64_t delay_ms,
                                                              ds_error** err);
/* Enqueues an activity for the workers (routed by session and tag). */
DURASTORE_EXPORT ds_code ds_provider_enqueue_for_worker(ds_provider* provider,
                                                        const ds_worker_item* item, ds_error** err);

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
/* The item (a view into w), its lock token and its delivery count; freeing w frees the
 * view. */
DURASTORE_EXPORT const ds_worker_item* ds_fetched_work_item(const ds_fetched_work* w);
DURASTORE_EXPORT const char* ds_fetched_work_lock_token(const ds_fetched_work* w, size_t* len);
DURASTORE_EXPORT uint32_t ds_fetched_work_attempt_count(const ds_fetched_work* w);
DURASTORE_EXPORT void ds_fetched_work_free(ds_fetched_work* w);

/* The oldest eligible worker item, locked for lock_timeout_ms; waits up to
 * poll_timeout_ms. session NULL = only items without a session; tags NULL = default
 * only. *out is NULL when nothing is eligible (or a session claim was lost). */
DURASTORE_EXPORT ds_code ds_provider_fetch_work_item(ds_provider* provider, int64_t lock_timeout_ms,
                                                     int64_t poll_timeout_ms,
                                                     const ds_session_config* session,
                                                     const ds_tag_filter* tags,
                                                     ds_fetched_work** out, ds_error** err);
/* Deletes the item and enqueues completion (NULL = none) atomically; DS_LOCK_LOST if the
 * token is unknown, expired, or the item was cancelled or deleted. */
DURASTORE_EXPORT ds_code ds_provider_ack_work_item(ds_provider* provider, const char* lock_token,
                                                   size_t lock_token_len,
                                                   const ds_orchestrator_item* completion,
                                                   ds_error** err);
/* Extend the lock to now + extend_ms / unlock the item (visible again after delay_ms when
 * has_delay; ignore_attempt undoes the delivery count increment). DS_LOCK_LOST as for the ack. */
DURASTORE_EXPORT ds_code ds_provider_renew_work_item_lock(ds_provider* provider,
                                                          const char* lock_token,
                                                          size_t lock_token_len, int64_t extend_ms,
                                                          ds_error** err);
DURASTORE_EXPORT ds_code ds_provider_abandon_work_item(ds_provider* provider,
                                                       const char* lock_token,
                                                       size_t lock_token_len, bool has_delay,
                                                       int64_t delay_ms, bool ignore_attempt,
                                                       ds_error** err);

/* *renewed receives the number of live, non-idle sessions of those owners renewed
 * (idle_timeout_ms 0 is valid: every session is idle, so 0). Cleanup removes every session
 * whose lock expired and that no queued item refers to, whatever its idle time. */
DURASTORE_EXPORT ds_code ds_provider_renew_session_lock(ds_provider* provider,
                                                        const ds_str* owner_ids,
                                                        size_t owner_id_count, int64_t extend_ms,
                                                        int64_t idle_timeout_ms, uint64_t* renewed,
                                                        ds_error** err);
DURASTORE_EXPORT ds_code ds_provider_cleanup_orphaned_sessions(ds_provider* provider,
                                                               int64_t idle_timeout_ms,
                                                               uint64_t* removed, ds_error** err);

/* Only when the stored version is newer than last_seen_version: then *changed = true,
 * *status (ds_free; NULL = cleared) / *status_len and *version are set. Otherwise
 * *changed = false, *status = NULL, *version = 0. */
DURASTORE_EXPORT ds_code ds_provider_get_custom_status(ds_provider* provider, const char* instance,
                                                       size_t instance_len,
                                                       uint64_t last_seen_version, bool* changed,
                                                       char** status, size_t* status_len,
                                                       uint64_t* version, ds_error** err);
/* *value (ds_free) is NULL when the key is absent. Client view: store layer + delta. */
DURASTORE_EXPORT ds_code ds_provider_get_kv_value(ds_provider* provider, const char* instance,
                                                  size_t instance_len, const char* key,
                                                  size_t key_len, char** value, size_t* value_len,
                                                  ds_error** err);
/* Every KV value of the instance (client view), keys ascending. */
DURASTORE_EXPORT ds_code ds_provider_get_kv_all_values(ds_provider* provider, const char* instance,
                                                       size_t instance_len, ds_kvs** out,
                                                       ds_error** err);

/* ------------------------------------------------------------------------------------ */
/* Admin (durastore/orchestration/admin.h)                                               */
/* ------------------------------------------------------------------------------------ */
typedef struct ds_admin ds_admin;

/* store must outlive the admin. */
DURASTORE_EXPORT ds_code ds_admin_open(ds_store* store, ds_admin** out, ds_error** err);
/* Frees the admin handle. */
DURASTORE_EXPORT void ds_admin_free(ds_admin* admin);

typedef struct ds_instance_info ds_instance_info;
/* An instance record (ds_admin_get_instance_info): accessors and free. */
DURASTORE_EXPORT const char* ds_instance_info_instance(const ds_instance_info* info, size_t* len);
DURASTORE_EXPORT const char* ds_instance_info_orchestration_name(const ds_instance_info* info,
                                                                 size_t* len);
DURASTORE_EXPORT const char* ds_instance_info_version(const ds_instance_info* info, size_t* len);
DURASTORE_EXPORT uint64_t ds_instance_info_current_execution_id(const ds_instance_info* info);
DURASTORE_EXPORT ds_execution_status ds_instance_info_status(const ds_instance_info* info);
DURASTORE_EXPORT const char* ds_instance_info_output(const ds_instance_info* info,
                                                     size_t* len); /* NULL=none */
DURASTORE_EXPORT int64_t ds_instance_info_created_at_ms(const ds_instance_info* info);
DURASTORE_EXPORT int64_t ds_instance_info_updated_at_ms(const ds_instance_info* info);
/* NULL for a root instance. */
DURASTORE_EXPORT const char* ds_instance_info_parent_instance(const ds_instance_info* info,
                                                              size_t* len);
DURASTORE_EXPORT void ds_instance_info_free(ds_instance_info* info);

typedef struct ds_execution_info ds_execution_info;
/* An execution record (ds_admin_get_execution_info): accessors and free. */
DURASTORE_EXPORT uint64_t ds_execution_info_execution_id(const ds_execution_info* info);
DURASTORE_EXPORT ds_execution_status ds_execution_info_status(const ds_execution_info* info);
DURASTORE_EXPORT const char* ds_execution_info_output(const ds_execution_info* info,
                                                      size_t* len); /* NULL=none */
DURASTORE_EXPORT int64_t ds_execution_info_started_at_ms(const ds_execution_info* info);
/* Returns false (and leaves *out alone) while the execution has not completed. */
DURASTORE_EXPORT bool ds_execution_info_completed_at_ms(const ds_execution_info* info,
                                                        int64_t* out);
DURASTORE_EXPORT uint64_t ds_execution_info_event_count(const ds_execution_info* info);
DURASTORE_EXPORT void ds_execution_info_free(ds_execution_info* info);

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
/* Sets every field to its default (no condition, limit 1000); call before setting fields. */
DURASTORE_EXPORT void ds_instance_filter_init(ds_instance_filter* filter);

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
DURASTORE_EXPORT ds_code ds_admin_list_instances(ds_admin* admin, ds_strings** out, ds_error** err);
/* Instances whose current execution has status. */
DURASTORE_EXPORT ds_code ds_admin_list_instances_by_status(ds_admin* admin,
                                                           ds_execution_status status,
                                                           ds_strings** out, ds_error** err);
/* Ascending, as a uint64_t array freed with ds_free (NULL if count 0). */
DURASTORE_EXPORT ds_code ds_admin_list_executions(ds_admin* admin, const char* instance,
                                                  size_t instance_len, uint64_t** execution_ids,
                                                  size_t* count, ds_error** err);
/* History of the latest execution / of one execution. */
DURASTORE_EXPORT ds_code ds_admin_read_history(ds_admin* admin, const char* instance,
                                               size_t instance_len, ds_history** out,
                                               ds_error** err);
DURASTORE_EXPORT ds_code ds_admin_read_history_with_execution_id(ds_admin* admin,
                                                                 const char* instance,
                                                                 size_t instance_len,
                                                                 uint64_t execution_id,
                                                                 ds_history** out, ds_error** err);
/* DS_NOT_FOUND for an unknown instance. */
DURASTORE_EXPORT ds_code ds_admin_latest_execution_id(ds_admin* admin, const char* instance,
                                                      size_t instance_len, uint64_t* out,
                                                      ds_error** err);
/* DS_NOT_FOUND for an unknown instance / execution. */
DURASTORE_EXPORT ds_code ds_admin_get_instance_info(ds_admin* admin, const char* instance,
                                                    size_t instance_len, ds_instance_info** out,
                                                    ds_error** err);
DURASTORE_EXPORT ds_code ds_admin_get_execution_info(ds_admin* admin, const char* instance,
                                                     size_t instance_len, uint64_t execution_id,
                                                     ds_execution_info** out, ds_error** err);
/* Store-wide counts / the unlocked messages of both queues. */
DURASTORE_EXPORT ds_code ds_admin_get_system_metrics(ds_admin* admin, ds_system_metrics* out,
                                                     ds_error** err);
DURASTORE_EXPORT ds_code ds_admin_get_queue_depths(ds_admin* admin, ds_queue_depths* out,
                                                   ds_error** err);
/* Direct children. */
DURASTORE_EXPORT ds_code ds_admin_list_children(ds_admin* admin, const char* instance,
                                                size_t instance_len, ds_strings** out,
                                                ds_error** err);
/* *parent (ds_free) is NULL for a root; DS_NOT_FOUND for an unknown instance. */
DURASTORE_EXPORT ds_code ds_admin_get_parent_id(ds_admin* admin, const char* instance,
                                                size_t instance_len, char** parent,
                                                size_t* parent_len, ds_error** err);
/* The tree's instances: the root first, then descendants breadth-first. */
DURASTORE_EXPORT ds_code ds_admin_get_instance_tree(ds_admin* admin, const char* instance,
                                                    size_t instance_len, ds_strings** out,
                                                    ds_error** err);
/* The highest attempt count among the instance's queued orchestrator messages (0 if none). */
DURASTORE_EXPORT ds_code ds_admin_max_orchestrator_attempt_count(ds_admin* admin,
                                                                 const char* instance,
                                                                 size_t instance_len, uint32_t* out,
                                                                 ds_error** err);
/* Deletes a root instance with its tree; DS_CONFLICT for a sub-orchestration or a running
 * instance without force. out may be NULL. */
DURASTORE_EXPORT ds_code ds_admin_delete_instance(ds_admin* admin, const char* instance,
                                                  size_t instance_len, bool force,
                                                  ds_delete_result* out, ds_error** err);
/* All-or-nothing over instances[0..count). */
DURASTORE_EXPORT ds_code ds_admin_delete_instances_atomic(ds_admin* admin, const ds_str* instances,
                                                          size_t count, bool force,
                                                          ds_delete_result* out, ds_error** err);
/* Terminal root instances matching filter (NULL = defaults), each with its tree. */
DURASTORE_EXPORT ds_code ds_admin_delete_instance_bulk(ds_admin* admin,
                                                       const ds_instance_filter* filter,
                                                       ds_delete_result* out, ds_error** err);
/* Never the current or a running execution; history and execution records only. */
DURASTORE_EXPORT ds_code ds_admin_prune_executions(ds_admin* admin, const char* instance,
                                                   size_t instance_len,
                                                   const ds_prune_options* options,
                                                   ds_prune_result* out, ds_error** err);
/* ds_admin_prune_executions over the instances matching filter. */
DURASTORE_EXPORT ds_code ds_admin_prune_executions_bulk(ds_admin* admin,
                                                        const ds_instance_filter* filter,
                                                        const ds_prune_options* options,
                                                        ds_prune_result* out, ds_error** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DURASTORE_C_ORCHESTRATION_H_ */
