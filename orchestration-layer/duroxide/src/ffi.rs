//! Hand-written declarations of the part of `<durastore/c.h>` this crate uses
//! (orchestration-layer/include/durastore/c.h is the reference; DS_API_VERSION 2). Every
//! struct is `#[repr(C)]` with the header's field order; enums are C ints.
#![allow(non_camel_case_types, dead_code)]

use std::os::raw::{c_char, c_int, c_void};

pub type ds_code = c_int;
pub const DS_OK: ds_code = 0;
pub const DS_NOT_FOUND: ds_code = 1;
pub const DS_LOCK_LOST: ds_code = 4;
pub const DS_INVALID_ARGUMENT: ds_code = 5;

pub const DS_API_VERSION: u32 = 2;

#[repr(C)]
pub struct ds_error {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_store {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_provider {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_admin {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_batch {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_commit_result {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_events {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_strings {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_kvs {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_history {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_fetched_orchestration {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_fetched_work {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_instance_info {
    _opaque: [u8; 0],
}
#[repr(C)]
pub struct ds_execution_info {
    _opaque: [u8; 0],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct ds_str {
    pub ptr: *const c_char,
    pub len: usize,
}

#[repr(C)]
pub struct ds_kv {
    pub key: *const c_char,
    pub key_len: usize,
    pub value: *const c_char,
    pub value_len: usize,
}

pub type ds_durability = c_int;
pub const DS_DURABILITY_SYNC: ds_durability = 1;
pub const DS_DURABILITY_NO_SYNC: ds_durability = 2;
pub type ds_flush_method = c_int;

pub type ds_now_ms_fn = Option<unsafe extern "C" fn(*mut c_void) -> i64>;

#[repr(C)]
pub struct ds_options {
    pub durability: ds_durability,
    pub create_if_missing: bool,
    pub initial_map_size: usize,
    pub max_map_size: usize,
    pub flush_method: ds_flush_method,
    pub max_group_size: usize,
    pub now_ms: ds_now_ms_fn,
    pub now_ms_ctx: *mut c_void,
}

#[repr(C)]
pub struct ds_event_data {
    pub payload: *const c_char,
    pub payload_len: usize,
    pub key: *const c_char,
    pub key_len: usize,
}

pub type ds_expected_kind = c_int;
pub const DS_EXPECT_ANY: ds_expected_kind = 0;

#[repr(C)]
pub struct ds_expected_version {
    pub kind: ds_expected_kind,
    pub sequence: u64,
}

#[repr(C)]
pub struct ds_event {
    pub stream: *const c_char,
    pub stream_len: usize,
    pub partition: u64,
    pub sequence: u64,
    pub position: u64,
    pub appended_at_ms: i64,
    pub key: *const c_char,
    pub key_len: usize,
    pub payload: *const c_char,
    pub payload_len: usize,
}

#[repr(C)]
pub struct ds_read_options {
    pub has_from_sequence: bool,
    pub from_sequence: u64,
    pub backward: bool,
    pub max_count: usize,
    pub max_bytes: usize,
}

pub type ds_execution_status = c_int;
pub const DS_EXECUTION_RUNNING: ds_execution_status = 0;
pub const DS_EXECUTION_COMPLETED: ds_execution_status = 1;
pub const DS_EXECUTION_FAILED: ds_execution_status = 2;
pub const DS_EXECUTION_CONTINUED_AS_NEW: ds_execution_status = 3;

#[repr(C)]
pub struct ds_history_event {
    pub event_id: u64,
    pub payload: *const c_char,
    pub payload_len: usize,
}

pub type ds_orchestrator_item_kind = c_int;
pub const DS_ORCH_ITEM_OTHER: ds_orchestrator_item_kind = 0;
pub const DS_ORCH_ITEM_START: ds_orchestrator_item_kind = 1;
pub const DS_ORCH_ITEM_CONTINUE_AS_NEW: ds_orchestrator_item_kind = 2;
pub const DS_ORCH_ITEM_QUEUE_MESSAGE: ds_orchestrator_item_kind = 3;
pub const DS_ORCH_ITEM_ACTIVITY_EXECUTE: ds_orchestrator_item_kind = 4;

#[repr(C)]
pub struct ds_orchestrator_item {
    pub instance: *const c_char,
    pub instance_len: usize,
    pub kind: ds_orchestrator_item_kind,
    pub payload: *const c_char,
    pub payload_len: usize,
    pub orchestration_name: *const c_char,
    pub orchestration_name_len: usize,
    pub version: *const c_char,
    pub version_len: usize,
    pub has_visible_at: bool,
    pub visible_at_ms: i64,
}

#[repr(C)]
pub struct ds_activity_id {
    pub instance: *const c_char,
    pub instance_len: usize,
    pub execution_id: u64,
    pub activity_id: u64,
}

#[repr(C)]
pub struct ds_worker_item {
    pub identity: ds_activity_id,
    pub payload: *const c_char,
    pub payload_len: usize,
    pub session_id: *const c_char,
    pub session_id_len: usize,
    pub tag: *const c_char,
    pub tag_len: usize,
}

#[repr(C)]
pub struct ds_version_range {
    pub min: *const c_char,
    pub min_len: usize,
    pub max: *const c_char,
    pub max_len: usize,
}

#[repr(C)]
pub struct ds_version_filter {
    pub ranges: *const ds_version_range,
    pub range_count: usize,
}

#[repr(C)]
pub struct ds_kv_entry {
    pub key: *const c_char,
    pub key_len: usize,
    pub value: *const c_char,
    pub value_len: usize,
    pub updated_at_ms: i64,
}

#[repr(C)]
pub struct ds_execution_metadata {
    pub has_status: bool,
    pub status: ds_execution_status,
    pub output: *const c_char,
    pub output_len: usize,
    pub orchestration_name: *const c_char,
    pub orchestration_name_len: usize,
    pub version: *const c_char,
    pub version_len: usize,
    pub parent_instance: *const c_char,
    pub parent_instance_len: usize,
    pub pinned_version: *const c_char,
    pub pinned_version_len: usize,
}

pub type ds_kv_change_kind = c_int;
pub const DS_KV_SET: ds_kv_change_kind = 0;
pub const DS_KV_CLEAR: ds_kv_change_kind = 1;
pub const DS_KV_CLEAR_ALL: ds_kv_change_kind = 2;

#[repr(C)]
pub struct ds_kv_change {
    pub kind: ds_kv_change_kind,
    pub key: *const c_char,
    pub key_len: usize,
    pub value: *const c_char,
    pub value_len: usize,
    pub updated_at_ms: i64,
}

pub type ds_custom_status_change = c_int;
pub const DS_CUSTOM_STATUS_UNCHANGED: ds_custom_status_change = 0;
pub const DS_CUSTOM_STATUS_SET: ds_custom_status_change = 1;
pub const DS_CUSTOM_STATUS_CLEAR: ds_custom_status_change = 2;

#[repr(C)]
pub struct ds_orchestration_ack {
    pub execution_id: u64,
    pub history_delta: *const ds_history_event,
    pub history_delta_count: usize,
    pub worker_items: *const ds_worker_item,
    pub worker_item_count: usize,
    pub orchestrator_items: *const ds_orchestrator_item,
    pub orchestrator_item_count: usize,
    pub metadata: ds_execution_metadata,
    pub cancelled_activities: *const ds_activity_id,
    pub cancelled_activity_count: usize,
    pub custom_status_change: ds_custom_status_change,
    pub custom_status: *const c_char,
    pub custom_status_len: usize,
    pub kv_changes: *const ds_kv_change,
    pub kv_change_count: usize,
}

#[repr(C)]
pub struct ds_session_config {
    pub owner_id: *const c_char,
    pub owner_id_len: usize,
    pub session_lock_timeout_ms: i64,
}

pub type ds_tag_filter_mode = c_int;
pub const DS_TAGS_DEFAULT_ONLY: ds_tag_filter_mode = 0;
pub const DS_TAGS_TAGS: ds_tag_filter_mode = 1;
pub const DS_TAGS_DEFAULT_AND_TAGS: ds_tag_filter_mode = 2;
pub const DS_TAGS_ANY: ds_tag_filter_mode = 3;
pub const DS_TAGS_NONE: ds_tag_filter_mode = 4;

#[repr(C)]
pub struct ds_tag_filter {
    pub mode: ds_tag_filter_mode,
    pub tags: *const ds_str,
    pub tag_count: usize,
}

#[repr(C)]
#[derive(Default)]
pub struct ds_system_metrics {
    pub total_instances: u64,
    pub total_executions: u64,
    pub running_instances: u64,
    pub completed_instances: u64,
    pub failed_instances: u64,
    pub continued_as_new_instances: u64,
    pub total_events: u64,
}

#[repr(C)]
#[derive(Default)]
pub struct ds_queue_depths {
    pub orchestrator: u64,
    pub worker: u64,
}

#[repr(C)]
#[derive(Default)]
pub struct ds_delete_result {
    pub instances_deleted: u64,
    pub executions_deleted: u64,
    pub events_deleted: u64,
    pub queue_messages_deleted: u64,
}

#[repr(C)]
pub struct ds_instance_filter {
    pub has_instance_ids: bool,
    pub instance_ids: *const ds_str,
    pub instance_id_count: usize,
    pub has_completed_before: bool,
    pub completed_before_ms: i64,
    pub limit: u32,
}

#[repr(C)]
#[derive(Default)]
pub struct ds_prune_options {
    pub has_keep_last: bool,
    pub keep_last: u32,
    pub has_completed_before: bool,
    pub completed_before_ms: i64,
}

#[repr(C)]
#[derive(Default)]
pub struct ds_prune_result {
    pub instances_processed: u64,
    pub executions_deleted: u64,
    pub events_deleted: u64,
}

extern "C" {
    pub fn ds_api_version() -> u32;
    pub fn ds_error_code(error: *const ds_error) -> ds_code;
    pub fn ds_error_message(error: *const ds_error) -> *const c_char;
    pub fn ds_error_retryable(error: *const ds_error) -> bool;
    pub fn ds_error_free(error: *mut ds_error);
    pub fn ds_free(ptr: *mut c_void);

    pub fn ds_strings_items(strings: *const ds_strings, count: *mut usize) -> *const ds_str;
    pub fn ds_strings_free(strings: *mut ds_strings);
    pub fn ds_kvs_items(kvs: *const ds_kvs, count: *mut usize) -> *const ds_kv;
    pub fn ds_kvs_free(kvs: *mut ds_kvs);

    pub fn ds_options_init(options: *mut ds_options);
    pub fn ds_store_open(
        path: *const c_char,
        path_len: usize,
        options: *const ds_options,
        out: *mut *mut ds_store,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_store_free(store: *mut ds_store);

    pub fn ds_batch_new(out: *mut *mut ds_batch, err: *mut *mut ds_error) -> ds_code;
    pub fn ds_batch_free(batch: *mut ds_batch);
    pub fn ds_batch_append(
        batch: *mut ds_batch,
        stream: *const c_char,
        stream_len: usize,
        partition: u64,
        events: *const ds_event_data,
        count: usize,
        expected: *const ds_expected_version,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_batch_delete_partition(
        batch: *mut ds_batch,
        stream: *const c_char,
        stream_len: usize,
        partition: u64,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_store_commit(
        store: *mut ds_store,
        batch: *mut ds_batch,
        durability: ds_durability,
        out: *mut *mut ds_commit_result,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_commit_result_free(result: *mut ds_commit_result);

    pub fn ds_events_items(events: *const ds_events, count: *mut usize) -> *const ds_event;
    pub fn ds_events_free(events: *mut ds_events);
    pub fn ds_read_options_init(options: *mut ds_read_options);
    pub fn ds_log_read_partition(
        store: *mut ds_store,
        stream: *const c_char,
        stream_len: usize,
        partition: u64,
        options: *const ds_read_options,
        out: *mut *mut ds_events,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_log_list_partitions(
        store: *mut ds_store,
        stream: *const c_char,
        stream_len: usize,
        partitions: *mut *mut u64,
        count: *mut usize,
        err: *mut *mut ds_error,
    ) -> ds_code;

    pub fn ds_execution_status_name(status: ds_execution_status) -> *const c_char;
    pub fn ds_history_items(history: *const ds_history, count: *mut usize) -> *const ds_history_event;
    pub fn ds_history_free(history: *mut ds_history);

    pub fn ds_provider_open(store: *mut ds_store, out: *mut *mut ds_provider, err: *mut *mut ds_error) -> ds_code;
    pub fn ds_provider_free(provider: *mut ds_provider);

    pub fn ds_fetched_orchestration_lock_token(f: *const ds_fetched_orchestration, len: *mut usize) -> *const c_char;
    pub fn ds_fetched_orchestration_attempt_count(f: *const ds_fetched_orchestration) -> u32;
    pub fn ds_fetched_orchestration_instance(f: *const ds_fetched_orchestration, len: *mut usize) -> *const c_char;
    pub fn ds_fetched_orchestration_name(f: *const ds_fetched_orchestration, len: *mut usize) -> *const c_char;
    pub fn ds_fetched_orchestration_version(f: *const ds_fetched_orchestration, len: *mut usize) -> *const c_char;
    pub fn ds_fetched_orchestration_execution_id(f: *const ds_fetched_orchestration) -> u64;
    pub fn ds_fetched_orchestration_history(
        f: *const ds_fetched_orchestration,
        count: *mut usize,
    ) -> *const ds_history_event;
    pub fn ds_fetched_orchestration_messages(
        f: *const ds_fetched_orchestration,
        count: *mut usize,
    ) -> *const ds_orchestrator_item;
    pub fn ds_fetched_orchestration_kv_snapshot(
        f: *const ds_fetched_orchestration,
        count: *mut usize,
    ) -> *const ds_kv_entry;
    pub fn ds_fetched_orchestration_history_error(f: *const ds_fetched_orchestration, len: *mut usize)
        -> *const c_char;
    pub fn ds_fetched_orchestration_free(f: *mut ds_fetched_orchestration);

    pub fn ds_provider_fetch_orchestration_item(
        provider: *mut ds_provider,
        lock_timeout_ms: i64,
        poll_timeout_ms: i64,
        filter: *const ds_version_filter,
        out: *mut *mut ds_fetched_orchestration,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_orchestration_ack_init(ack: *mut ds_orchestration_ack);
    pub fn ds_provider_ack_orchestration_item(
        provider: *mut ds_provider,
        lock_token: *const c_char,
        lock_token_len: usize,
        ack: *const ds_orchestration_ack,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_abandon_orchestration_item(
        provider: *mut ds_provider,
        lock_token: *const c_char,
        lock_token_len: usize,
        has_delay: bool,
        delay_ms: i64,
        ignore_attempt: bool,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_renew_orchestration_item_lock(
        provider: *mut ds_provider,
        lock_token: *const c_char,
        lock_token_len: usize,
        extend_ms: i64,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_read(
        provider: *mut ds_provider,
        instance: *const c_char,
        instance_len: usize,
        out: *mut *mut ds_history,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_read_with_execution(
        provider: *mut ds_provider,
        instance: *const c_char,
        instance_len: usize,
        execution_id: u64,
        out: *mut *mut ds_history,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_append_with_execution(
        provider: *mut ds_provider,
        instance: *const c_char,
        instance_len: usize,
        execution_id: u64,
        events: *const ds_history_event,
        count: usize,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_enqueue_for_orchestrator(
        provider: *mut ds_provider,
        item: *const ds_orchestrator_item,
        has_delay: bool,
        delay_ms: i64,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_enqueue_for_worker(
        provider: *mut ds_provider,
        item: *const ds_worker_item,
        err: *mut *mut ds_error,
    ) -> ds_code;

    pub fn ds_fetched_work_item(w: *const ds_fetched_work) -> *const ds_worker_item;
    pub fn ds_fetched_work_lock_token(w: *const ds_fetched_work, len: *mut usize) -> *const c_char;
    pub fn ds_fetched_work_attempt_count(w: *const ds_fetched_work) -> u32;
    pub fn ds_fetched_work_free(w: *mut ds_fetched_work);
    pub fn ds_provider_fetch_work_item(
        provider: *mut ds_provider,
        lock_timeout_ms: i64,
        poll_timeout_ms: i64,
        session: *const ds_session_config,
        tags: *const ds_tag_filter,
        out: *mut *mut ds_fetched_work,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_ack_work_item(
        provider: *mut ds_provider,
        lock_token: *const c_char,
        lock_token_len: usize,
        completion: *const ds_orchestrator_item,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_renew_work_item_lock(
        provider: *mut ds_provider,
        lock_token: *const c_char,
        lock_token_len: usize,
        extend_ms: i64,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_abandon_work_item(
        provider: *mut ds_provider,
        lock_token: *const c_char,
        lock_token_len: usize,
        has_delay: bool,
        delay_ms: i64,
        ignore_attempt: bool,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_renew_session_lock(
        provider: *mut ds_provider,
        owner_ids: *const ds_str,
        owner_id_count: usize,
        extend_ms: i64,
        idle_timeout_ms: i64,
        renewed: *mut u64,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_cleanup_orphaned_sessions(
        provider: *mut ds_provider,
        idle_timeout_ms: i64,
        removed: *mut u64,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_get_custom_status(
        provider: *mut ds_provider,
        instance: *const c_char,
        instance_len: usize,
        last_seen_version: u64,
        changed: *mut bool,
        status: *mut *mut c_char,
        status_len: *mut usize,
        version: *mut u64,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_get_kv_value(
        provider: *mut ds_provider,
        instance: *const c_char,
        instance_len: usize,
        key: *const c_char,
        key_len: usize,
        value: *mut *mut c_char,
        value_len: *mut usize,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_provider_get_kv_all_values(
        provider: *mut ds_provider,
        instance: *const c_char,
        instance_len: usize,
        out: *mut *mut ds_kvs,
        err: *mut *mut ds_error,
    ) -> ds_code;

    pub fn ds_admin_open(store: *mut ds_store, out: *mut *mut ds_admin, err: *mut *mut ds_error) -> ds_code;
    pub fn ds_admin_free(admin: *mut ds_admin);
    pub fn ds_instance_info_instance(info: *const ds_instance_info, len: *mut usize) -> *const c_char;
    pub fn ds_instance_info_orchestration_name(info: *const ds_instance_info, len: *mut usize) -> *const c_char;
    pub fn ds_instance_info_version(info: *const ds_instance_info, len: *mut usize) -> *const c_char;
    pub fn ds_instance_info_current_execution_id(info: *const ds_instance_info) -> u64;
    pub fn ds_instance_info_status(info: *const ds_instance_info) -> ds_execution_status;
    pub fn ds_instance_info_output(info: *const ds_instance_info, len: *mut usize) -> *const c_char;
    pub fn ds_instance_info_created_at_ms(info: *const ds_instance_info) -> i64;
    pub fn ds_instance_info_updated_at_ms(info: *const ds_instance_info) -> i64;
    pub fn ds_instance_info_parent_instance(info: *const ds_instance_info, len: *mut usize) -> *const c_char;
    pub fn ds_instance_info_free(info: *mut ds_instance_info);
    pub fn ds_execution_info_execution_id(info: *const ds_execution_info) -> u64;
    pub fn ds_execution_info_status(info: *const ds_execution_info) -> ds_execution_status;
    pub fn ds_execution_info_output(info: *const ds_execution_info, len: *mut usize) -> *const c_char;
    pub fn ds_execution_info_started_at_ms(info: *const ds_execution_info) -> i64;
    pub fn ds_execution_info_completed_at_ms(info: *const ds_execution_info, out: *mut i64) -> bool;
    pub fn ds_execution_info_event_count(info: *const ds_execution_info) -> u64;
    pub fn ds_execution_info_free(info: *mut ds_execution_info);
    pub fn ds_instance_filter_init(filter: *mut ds_instance_filter);

    pub fn ds_admin_list_instances(admin: *mut ds_admin, out: *mut *mut ds_strings, err: *mut *mut ds_error)
        -> ds_code;
    pub fn ds_admin_list_instances_by_status(
        admin: *mut ds_admin,
        status: ds_execution_status,
        out: *mut *mut ds_strings,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_list_executions(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        execution_ids: *mut *mut u64,
        count: *mut usize,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_read_history(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        out: *mut *mut ds_history,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_read_history_with_execution_id(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        execution_id: u64,
        out: *mut *mut ds_history,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_latest_execution_id(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        out: *mut u64,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_get_instance_info(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        out: *mut *mut ds_instance_info,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_get_execution_info(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        execution_id: u64,
        out: *mut *mut ds_execution_info,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_get_system_metrics(
        admin: *mut ds_admin,
        out: *mut ds_system_metrics,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_get_queue_depths(
        admin: *mut ds_admin,
        out: *mut ds_queue_depths,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_list_children(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        out: *mut *mut ds_strings,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_get_parent_id(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        parent: *mut *mut c_char,
        parent_len: *mut usize,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_get_instance_tree(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        out: *mut *mut ds_strings,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_max_orchestrator_attempt_count(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        out: *mut u32,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_delete_instance(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        force: bool,
        out: *mut ds_delete_result,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_delete_instances_atomic(
        admin: *mut ds_admin,
        instances: *const ds_str,
        count: usize,
        force: bool,
        out: *mut ds_delete_result,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_delete_instance_bulk(
        admin: *mut ds_admin,
        filter: *const ds_instance_filter,
        out: *mut ds_delete_result,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_prune_executions(
        admin: *mut ds_admin,
        instance: *const c_char,
        instance_len: usize,
        options: *const ds_prune_options,
        out: *mut ds_prune_result,
        err: *mut *mut ds_error,
    ) -> ds_code;
    pub fn ds_admin_prune_executions_bulk(
        admin: *mut ds_admin,
        filter: *const ds_instance_filter,
        options: *const ds_prune_options,
        out: *mut ds_prune_result,
        err: *mut *mut ds_error,
    ) -> ds_code;
}
