//! Duroxide's own provider-validation suite (`duroxide::provider_validations`, feature
//! `provider-test`), every test of every module, run against durastore.
//!
//! Each test gets a fresh factory; each `create_provider` opens a fresh store in the
//! factory's temporary directory (the suite's tests that create two providers expect two
//! isolated backends), and the two test hooks act on the store created last.
//!
//! Not run: `test_short_poll_returns_immediately` and
//! `test_short_poll_work_item_returns_immediately`. They are for providers that do not
//! long-poll; durastore long-polls (it waits up to poll_timeout and returns as soon as work
//! is visible), and their counterparts `test_long_poll_waits_for_timeout` and
//! `test_long_poll_work_item_waits_for_timeout` run below (module `long_polling`).
use std::sync::{Arc, Mutex};
use std::time::Duration;

use duroxide::provider_validations as v;
use duroxide::provider_validations::ProviderFactory;
use duroxide::providers::Provider;
use duroxide_durastore::{DurastoreOptions, DurastoreProvider};

/// The lock timeout the suite's expiry tests wait out.
const LOCK_TIMEOUT: Duration = Duration::from_secs(1);

struct Factory {
    dir: tempfile::TempDir,
    latest: Mutex<Option<DurastoreProvider>>,
    opened: Mutex<u32>,
}

impl Factory {
    fn new() -> Self {
        Self { dir: tempfile::tempdir().expect("temp dir"), latest: Mutex::new(None), opened: Mutex::new(0) }
    }

    fn latest(&self) -> DurastoreProvider {
        self.latest.lock().unwrap().clone().expect("create_provider was called first")
    }
}

#[async_trait::async_trait]
impl ProviderFactory for Factory {
    async fn create_provider(&self) -> Arc<dyn Provider> {
        let n = {
            let mut opened = self.opened.lock().unwrap();
            *opened += 1;
            *opened
        };
        let path = self.dir.path().join(format!("store-{n}"));
        // Contract tests, not crash tests: commits need not wait for fdatasync.
        let options = DurastoreOptions { sync: false, ..DurastoreOptions::default() };
        let provider = DurastoreProvider::open(path, options).expect("open store");
        *self.latest.lock().unwrap() = Some(provider.clone());
        Arc::new(provider)
    }

    fn lock_timeout(&self) -> Duration {
        LOCK_TIMEOUT
    }

    async fn corrupt_instance_history(&self, instance: &str) {
        self.latest().corrupt_instance_history(instance).await.expect("corrupt history");
    }

    async fn get_max_attempt_count(&self, instance: &str) -> u32 {
        self.latest().max_orchestrator_attempt_count(instance).await.expect("max attempt count")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_polling_test_fetch_respects_timeout_upper_bound() {
    let factory = Factory::new();
    v::long_polling::test_fetch_respects_timeout_upper_bound(&*factory.create_provider().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_polling_test_long_poll_waits_for_timeout() {
    let factory = Factory::new();
    v::long_polling::test_long_poll_waits_for_timeout(&*factory.create_provider().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn long_polling_test_long_poll_work_item_waits_for_timeout() {
    let factory = Factory::new();
    v::long_polling::test_long_poll_work_item_waits_for_timeout(&*factory.create_provider().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_abandon_orchestration_item_ignore_attempt_decrements() {
    v::poison_message::abandon_orchestration_item_ignore_attempt_decrements(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_abandon_work_item_ignore_attempt_decrements() {
    v::poison_message::abandon_work_item_ignore_attempt_decrements(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_attempt_count_is_per_message() {
    v::poison_message::attempt_count_is_per_message(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_ignore_attempt_never_goes_negative() {
    v::poison_message::ignore_attempt_never_goes_negative(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_max_attempt_count_across_message_batch() {
    v::poison_message::max_attempt_count_across_message_batch(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_orchestration_attempt_count_increments_on_refetch() {
    v::poison_message::orchestration_attempt_count_increments_on_refetch(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_orchestration_attempt_count_starts_at_one() {
    v::poison_message::orchestration_attempt_count_starts_at_one(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_worker_attempt_count_increments_on_lock_expiry() {
    v::poison_message::worker_attempt_count_increments_on_lock_expiry(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn poison_message_worker_attempt_count_starts_at_one() {
    v::poison_message::worker_attempt_count_starts_at_one(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_cascade_delete_hierarchy() {
    v::deletion::test_cascade_delete_hierarchy(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_cleans_queues_and_locks() {
    v::deletion::test_delete_cleans_queues_and_locks(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_get_instance_tree() {
    v::deletion::test_delete_get_instance_tree(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_get_parent_id() {
    v::deletion::test_delete_get_parent_id(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_instances_atomic() {
    v::deletion::test_delete_instances_atomic(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_instances_atomic_force() {
    v::deletion::test_delete_instances_atomic_force(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_instances_atomic_orphan_detection() {
    v::deletion::test_delete_instances_atomic_orphan_detection(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_nonexistent_instance() {
    v::deletion::test_delete_nonexistent_instance(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_running_rejected_force_succeeds() {
    v::deletion::test_delete_running_rejected_force_succeeds(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_delete_terminal_instances() {
    v::deletion::test_delete_terminal_instances(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_force_delete_prevents_ack_recreation() {
    v::deletion::test_force_delete_prevents_ack_recreation(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_list_children() {
    v::deletion::test_list_children(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn deletion_test_stale_activity_after_delete_recreate() {
    v::deletion::test_stale_activity_after_delete_recreate(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prune_test_prune_bulk() {
    v::prune::test_prune_bulk(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prune_test_prune_bulk_includes_running_instances() {
    v::prune::test_prune_bulk_includes_running_instances(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prune_test_prune_options_combinations() {
    v::prune::test_prune_options_combinations(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn prune_test_prune_safety() {
    v::prune::test_prune_safety(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bulk_deletion_test_delete_instance_bulk_cascades_to_children() {
    v::bulk_deletion::test_delete_instance_bulk_cascades_to_children(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bulk_deletion_test_delete_instance_bulk_completed_before_filter() {
    v::bulk_deletion::test_delete_instance_bulk_completed_before_filter(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bulk_deletion_test_delete_instance_bulk_filter_combinations() {
    v::bulk_deletion::test_delete_instance_bulk_filter_combinations(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bulk_deletion_test_delete_instance_bulk_safety_and_limits() {
    v::bulk_deletion::test_delete_instance_bulk_safety_and_limits(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_ack_appends_event_to_corrupted_history() {
    v::capability_filtering::test_ack_appends_event_to_corrupted_history(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_ack_stores_pinned_version_via_metadata_update() {
    v::capability_filtering::test_ack_stores_pinned_version_via_metadata_update(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_concurrent_filtered_fetch_no_double_lock() {
    v::capability_filtering::test_concurrent_filtered_fetch_no_double_lock(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_continue_as_new_execution_gets_own_pinned_version() {
    v::capability_filtering::test_continue_as_new_execution_gets_own_pinned_version(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_corrupted_history_filtered_vs_unfiltered() {
    v::capability_filtering::test_fetch_corrupted_history_filtered_vs_unfiltered(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_deserialization_error_eventually_reaches_poison() {
    v::capability_filtering::test_fetch_deserialization_error_eventually_reaches_poison(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_deserialization_error_increments_attempt_count() {
    v::capability_filtering::test_fetch_deserialization_error_increments_attempt_count(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_filter_applied_before_history_deserialization() {
    v::capability_filtering::test_fetch_filter_applied_before_history_deserialization(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_filter_boundary_versions() {
    v::capability_filtering::test_fetch_filter_boundary_versions(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_filter_does_not_lock_skipped_instances() {
    v::capability_filtering::test_fetch_filter_does_not_lock_skipped_instances(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_filter_null_pinned_version_always_compatible() {
    v::capability_filtering::test_fetch_filter_null_pinned_version_always_compatible(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_filter_skips_incompatible_selects_compatible() {
    v::capability_filtering::test_fetch_filter_skips_incompatible_selects_compatible(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_single_range_only_uses_first_range() {
    v::capability_filtering::test_fetch_single_range_only_uses_first_range(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_with_compatible_filter_returns_item() {
    v::capability_filtering::test_fetch_with_compatible_filter_returns_item(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_with_filter_none_returns_any_item() {
    v::capability_filtering::test_fetch_with_filter_none_returns_any_item(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_fetch_with_incompatible_filter_skips_item() {
    v::capability_filtering::test_fetch_with_incompatible_filter_skips_item(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_filter_with_empty_supported_versions_returns_nothing() {
    v::capability_filtering::test_filter_with_empty_supported_versions_returns_nothing(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_pinned_version_immutable_across_ack_cycles() {
    v::capability_filtering::test_pinned_version_immutable_across_ack_cycles(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_pinned_version_stored_via_ack_metadata() {
    v::capability_filtering::test_pinned_version_stored_via_ack_metadata(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn capability_filtering_test_provider_updates_pinned_version_when_told() {
    v::capability_filtering::test_provider_updates_pinned_version_when_told(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_abandoned_session_item_ignore_attempt() {
    v::sessions::test_abandoned_session_item_ignore_attempt(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_abandoned_session_item_retryable() {
    v::sessions::test_abandoned_session_item_retryable(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_ack_updates_session_last_activity() {
    v::sessions::test_ack_updates_session_last_activity(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_activity_lock_expires_session_lock_valid_same_worker_refetches() {
    v::sessions::test_activity_lock_expires_session_lock_valid_same_worker_refetches(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_both_locks_expire_different_worker_claims() {
    v::sessions::test_both_locks_expire_different_worker_claims(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_cleanup_keeps_active_sessions() {
    v::sessions::test_cleanup_keeps_active_sessions(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_cleanup_keeps_sessions_with_pending_items() {
    v::sessions::test_cleanup_keeps_sessions_with_pending_items(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_cleanup_removes_expired_no_items() {
    v::sessions::test_cleanup_removes_expired_no_items(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_cleanup_then_new_item_recreates_session() {
    v::sessions::test_cleanup_then_new_item_recreates_session(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_concurrent_session_claim_only_one_wins() {
    v::sessions::test_concurrent_session_claim_only_one_wins(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_different_sessions_different_workers() {
    v::sessions::test_different_sessions_different_workers(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_mixed_session_and_non_session_items() {
    v::sessions::test_mixed_session_and_non_session_items(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_non_session_items_fetchable_by_any_worker() {
    v::sessions::test_non_session_items_fetchable_by_any_worker(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_non_session_items_returned_with_session_config() {
    v::sessions::test_non_session_items_returned_with_session_config(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_none_session_skips_session_items() {
    v::sessions::test_none_session_skips_session_items(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_original_worker_reclaims_expired_session() {
    v::sessions::test_original_worker_reclaims_expired_session(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_renew_session_lock_active() {
    v::sessions::test_renew_session_lock_active(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_renew_session_lock_after_expiry_returns_zero() {
    v::sessions::test_renew_session_lock_after_expiry_returns_zero(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_renew_session_lock_no_sessions() {
    v::sessions::test_renew_session_lock_no_sessions(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_renew_session_lock_skips_idle() {
    v::sessions::test_renew_session_lock_skips_idle(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_renew_work_item_updates_session_last_activity() {
    v::sessions::test_renew_work_item_updates_session_last_activity(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_affinity_blocks_other_worker() {
    v::sessions::test_session_affinity_blocks_other_worker(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_affinity_same_worker() {
    v::sessions::test_session_affinity_same_worker(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_claimable_after_lock_expiry() {
    v::sessions::test_session_claimable_after_lock_expiry(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_item_claimable_when_no_session() {
    v::sessions::test_session_item_claimable_when_no_session(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_items_processed_in_order() {
    v::sessions::test_session_items_processed_in_order(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_lock_expires_activity_lock_valid_ack_succeeds() {
    v::sessions::test_session_lock_expires_activity_lock_valid_ack_succeeds(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_lock_expires_new_owner_gets_redelivery() {
    v::sessions::test_session_lock_expires_new_owner_gets_redelivery(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_lock_expires_same_worker_reacquires() {
    v::sessions::test_session_lock_expires_same_worker_reacquires(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_lock_renewal_extends_past_original_timeout() {
    v::sessions::test_session_lock_renewal_extends_past_original_timeout(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_session_takeover_after_lock_expiry() {
    v::sessions::test_session_takeover_after_lock_expiry(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_shared_worker_id_any_caller_can_fetch_owned_session() {
    v::sessions::test_shared_worker_id_any_caller_can_fetch_owned_session(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sessions_test_some_session_returns_all_items() {
    v::sessions::test_some_session_returns_all_items(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_status_test_custom_status_clear() {
    v::custom_status::test_custom_status_clear(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_status_test_custom_status_default_on_new_instance() {
    v::custom_status::test_custom_status_default_on_new_instance(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_status_test_custom_status_none_preserves() {
    v::custom_status::test_custom_status_none_preserves(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_status_test_custom_status_nonexistent_instance() {
    v::custom_status::test_custom_status_nonexistent_instance(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_status_test_custom_status_polling_no_change() {
    v::custom_status::test_custom_status_polling_no_change(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_status_test_custom_status_set() {
    v::custom_status::test_custom_status_set(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn custom_status_test_custom_status_version_increments() {
    v::custom_status::test_custom_status_version_increments(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_any_filter_fetches_everything() {
    v::tag_filtering::test_any_filter_fetches_everything(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_default_and_fetches_untagged_and_matching() {
    v::tag_filtering::test_default_and_fetches_untagged_and_matching(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_default_only_fetches_untagged() {
    v::tag_filtering::test_default_only_fetches_untagged(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_multi_runtime_tag_isolation() {
    v::tag_filtering::test_multi_runtime_tag_isolation(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_multi_tag_filter() {
    v::tag_filtering::test_multi_tag_filter(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_none_filter_returns_nothing() {
    v::tag_filtering::test_none_filter_returns_nothing(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_tag_preserved_through_ack_orchestration_item() {
    v::tag_filtering::test_tag_preserved_through_ack_orchestration_item(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_tag_round_trip_preservation() {
    v::tag_filtering::test_tag_round_trip_preservation(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_tag_survives_abandon_and_refetch() {
    v::tag_filtering::test_tag_survives_abandon_and_refetch(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tag_filtering_test_tags_fetches_only_matching() {
    v::tag_filtering::test_tags_fetches_only_matching(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_clear_all() {
    v::kv_store::test_kv_clear_all(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_clear_isolation() {
    v::kv_store::test_kv_clear_isolation(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_clear_nonexistent_key() {
    v::kv_store::test_kv_clear_nonexistent_key(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_clear_single() {
    v::kv_store::test_kv_clear_single(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_cross_execution_overwrite() {
    v::kv_store::test_kv_cross_execution_overwrite(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_cross_execution_remove_readd() {
    v::kv_store::test_kv_cross_execution_remove_readd(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delete_instance_cascades() {
    v::kv_store::test_kv_delete_instance_cascades(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delete_instance_with_children() {
    v::kv_store::test_kv_delete_instance_with_children(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_clear_all_tombstones_store() {
    v::kv_store::test_kv_delta_clear_all_tombstones_store(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_client_reads_merged() {
    v::kv_store::test_kv_delta_client_reads_merged(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_delete_instance_cascades() {
    v::kv_store::test_kv_delta_delete_instance_cascades(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_merged_on_can() {
    v::kv_store::test_kv_delta_merged_on_can(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_merged_on_completion() {
    v::kv_store::test_kv_delta_merged_on_completion(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_prune_untouched_key_survives() {
    v::kv_store::test_kv_delta_prune_untouched_key_survives(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_snapshot_excludes_current_execution() {
    v::kv_store::test_kv_delta_snapshot_excludes_current_execution(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_snapshot_includes_completed_execution() {
    v::kv_store::test_kv_delta_snapshot_includes_completed_execution(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_delta_tombstone_overrides_store() {
    v::kv_store::test_kv_delta_tombstone_overrides_store(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_empty_value() {
    v::kv_store::test_kv_empty_value(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_execution_id_tracking() {
    v::kv_store::test_kv_execution_id_tracking(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_get_nonexistent() {
    v::kv_store::test_kv_get_nonexistent(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_get_unknown_instance() {
    v::kv_store::test_kv_get_unknown_instance(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_instance_isolation() {
    v::kv_store::test_kv_instance_isolation(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_large_value() {
    v::kv_store::test_kv_large_value(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_overwrite() {
    v::kv_store::test_kv_overwrite(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_prune_current_execution_protected() {
    v::kv_store::test_kv_prune_current_execution_protected(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_prune_preserves_all_keys() {
    v::kv_store::test_kv_prune_preserves_all_keys(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_prune_preserves_overwritten() {
    v::kv_store::test_kv_prune_preserves_overwritten(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_set_after_clear() {
    v::kv_store::test_kv_set_after_clear(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_set_and_get() {
    v::kv_store::test_kv_set_and_get(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_snapshot_after_clear_all() {
    v::kv_store::test_kv_snapshot_after_clear_all(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_snapshot_after_clear_single() {
    v::kv_store::test_kv_snapshot_after_clear_single(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_snapshot_cross_execution() {
    v::kv_store::test_kv_snapshot_cross_execution(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_snapshot_empty() {
    v::kv_store::test_kv_snapshot_empty(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_snapshot_in_fetch() {
    v::kv_store::test_kv_snapshot_in_fetch(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_store_test_kv_special_chars_in_key() {
    v::kv_store::test_kv_special_chars_in_key(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_instance_creation_via_metadata() {
    v::test_instance_creation_via_metadata(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_no_instance_creation_on_enqueue() {
    v::test_no_instance_creation_on_enqueue(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_null_version_handling() {
    v::test_null_version_handling(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_sub_orchestration_instance_creation() {
    v::test_sub_orchestration_instance_creation(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_atomicity_failure_rollback() {
    v::test_atomicity_failure_rollback(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_concurrent_ack_prevention() {
    v::test_concurrent_ack_prevention(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_lock_released_only_on_successful_ack() {
    v::test_lock_released_only_on_successful_ack(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_multi_operation_atomic_ack() {
    v::test_multi_operation_atomic_ack(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_corrupted_serialization_data() {
    v::test_corrupted_serialization_data(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_duplicate_event_id_rejection() {
    v::test_duplicate_event_id_rejection(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_invalid_lock_token_on_ack() {
    v::test_invalid_lock_token_on_ack(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_lock_expiration_during_ack() {
    v::test_lock_expiration_during_ack(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_missing_instance_metadata() {
    v::test_missing_instance_metadata(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_ack_only_affects_locked_messages() {
    v::test_ack_only_affects_locked_messages(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_completions_arriving_during_lock_blocked() {
    v::test_completions_arriving_during_lock_blocked(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_concurrent_instance_fetching() {
    v::test_concurrent_instance_fetching(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_cross_instance_lock_isolation() {
    v::test_cross_instance_lock_isolation(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_exclusive_instance_lock() {
    v::test_exclusive_instance_lock(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_invalid_lock_token_rejection() {
    v::test_invalid_lock_token_rejection(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_lock_token_uniqueness() {
    v::test_lock_token_uniqueness(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_message_tagging_during_lock() {
    v::test_message_tagging_during_lock(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_multi_threaded_lock_contention() {
    v::test_multi_threaded_lock_contention(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_multi_threaded_lock_expiration_recovery() {
    v::test_multi_threaded_lock_expiration_recovery(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_multi_threaded_no_duplicate_processing() {
    v::test_multi_threaded_no_duplicate_processing(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_abandon_releases_lock_immediately() {
    v::test_abandon_releases_lock_immediately(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_abandon_work_item_releases_lock() {
    v::test_abandon_work_item_releases_lock(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_abandon_work_item_with_delay() {
    v::test_abandon_work_item_with_delay(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_concurrent_lock_attempts_respect_expiration() {
    v::test_concurrent_lock_attempts_respect_expiration(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_lock_expires_after_timeout() {
    v::test_lock_expires_after_timeout(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_lock_renewal_on_ack() {
    v::test_lock_renewal_on_ack(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_orchestration_lock_renewal_after_expiration() {
    v::test_orchestration_lock_renewal_after_expiration(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_ack_fails_after_lock_expiry() {
    v::test_worker_ack_fails_after_lock_expiry(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_lock_renewal_after_ack() {
    v::test_worker_lock_renewal_after_ack(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_lock_renewal_after_expiration() {
    v::test_worker_lock_renewal_after_expiration(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_lock_renewal_extends_timeout() {
    v::test_worker_lock_renewal_extends_timeout(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_lock_renewal_invalid_token() {
    v::test_worker_lock_renewal_invalid_token(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_lock_renewal_success() {
    v::test_worker_lock_renewal_success(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_continue_as_new_creates_new_execution() {
    v::test_continue_as_new_creates_new_execution(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_execution_history_persistence() {
    v::test_execution_history_persistence(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_execution_id_sequencing() {
    v::test_execution_id_sequencing(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_execution_isolation() {
    v::test_execution_isolation(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_latest_execution_detection() {
    v::test_latest_execution_detection(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_lost_lock_token_handling() {
    v::test_lost_lock_token_handling(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_orphan_queue_messages_dropped() {
    v::test_orphan_queue_messages_dropped(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_timer_delayed_visibility() {
    v::test_timer_delayed_visibility(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_ack_atomicity() {
    v::test_worker_ack_atomicity(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_delayed_visibility_skips_future_items() {
    v::test_worker_delayed_visibility_skips_future_items(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_item_immediate_visibility() {
    v::test_worker_item_immediate_visibility(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_peek_lock_semantics() {
    v::test_worker_peek_lock_semantics(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_worker_queue_fifo_ordering() {
    v::test_worker_queue_fifo_ordering(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_get_execution_info() {
    v::test_get_execution_info(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_get_instance_info() {
    v::test_get_instance_info(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_get_queue_depths() {
    v::test_get_queue_depths(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_get_system_metrics() {
    v::test_get_system_metrics(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_list_executions() {
    v::test_list_executions(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_list_instances() {
    v::test_list_instances(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_list_instances_by_status() {
    v::test_list_instances_by_status(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_ack_work_item_fails_when_entry_deleted() {
    v::test_ack_work_item_fails_when_entry_deleted(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_ack_work_item_none_deletes_without_enqueue() {
    v::test_ack_work_item_none_deletes_without_enqueue(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_batch_cancellation_deletes_multiple_activities() {
    v::test_batch_cancellation_deletes_multiple_activities(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_cancelled_activities_deleted_from_worker_queue() {
    v::test_cancelled_activities_deleted_from_worker_queue(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_cancelling_nonexistent_activities_is_idempotent() {
    v::test_cancelling_nonexistent_activities_is_idempotent(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_fetch_returns_missing_state_when_instance_deleted() {
    v::test_fetch_returns_missing_state_when_instance_deleted(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_fetch_returns_running_state_for_active_orchestration() {
    v::test_fetch_returns_running_state_for_active_orchestration(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_fetch_returns_terminal_state_when_orchestration_completed() {
    v::test_fetch_returns_terminal_state_when_orchestration_completed(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_fetch_returns_terminal_state_when_orchestration_continued_as_new() {
    v::test_fetch_returns_terminal_state_when_orchestration_continued_as_new(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_fetch_returns_terminal_state_when_orchestration_failed() {
    v::test_fetch_returns_terminal_state_when_orchestration_failed(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_orphan_activity_after_instance_force_deletion() {
    v::test_orphan_activity_after_instance_force_deletion(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_renew_fails_when_entry_deleted() {
    v::test_renew_fails_when_entry_deleted(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_renew_returns_missing_when_instance_deleted() {
    v::test_renew_returns_missing_when_instance_deleted(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_renew_returns_running_when_orchestration_active() {
    v::test_renew_returns_running_when_orchestration_active(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_renew_returns_terminal_when_orchestration_completed() {
    v::test_renew_returns_terminal_when_orchestration_completed(&Factory::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn test_same_activity_in_worker_items_and_cancelled_is_noop() {
    v::test_same_activity_in_worker_items_and_cancelled_is_noop(&Factory::new()).await;
}
