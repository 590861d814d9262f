//! `ProviderAdmin` (Duroxide's management interface) over the layer's Admin.
use std::os::raw::c_char;
use std::ptr;

use duroxide::providers::{
    DeleteInstanceResult, ExecutionInfo, InstanceFilter, InstanceInfo, InstanceTree, ProviderAdmin, ProviderError,
    PruneOptions, PruneResult, QueueDepths, SystemMetrics,
};
use duroxide::Event;

use crate::c::{self, check, ds_str, opt_string, raw, string};
use crate::{envelope, ffi, history_call, DurastoreProvider};

fn strings_call(
    op: &'static str,
    call: impl FnOnce(*mut *mut ffi::ds_strings, *mut *mut ffi::ds_error) -> ffi::ds_code,
) -> Result<Vec<String>, ProviderError> {
    let mut strings = c::Strings::null();
    let out = strings.out();
    check(op, |err| call(out, err))?;
    strings.to_vec(op)
}

fn delete_result(r: &ffi::ds_delete_result) -> DeleteInstanceResult {
    DeleteInstanceResult {
        instances_deleted: r.instances_deleted,
        executions_deleted: r.executions_deleted,
        events_deleted: r.events_deleted,
        queue_messages_deleted: r.queue_messages_deleted,
    }
}

fn prune_result(r: &ffi::ds_prune_result) -> PruneResult {
    PruneResult {
        instances_processed: r.instances_processed,
        executions_deleted: r.executions_deleted,
        events_deleted: r.events_deleted,
    }
}

fn prune_options(o: &PruneOptions) -> ffi::ds_prune_options {
    ffi::ds_prune_options {
        has_keep_last: o.keep_last.is_some(),
        keep_last: o.keep_last.unwrap_or(0),
        has_completed_before: o.completed_before.is_some(),
        completed_before_ms: o.completed_before.map_or(0, |t| i64::try_from(t).unwrap_or(i64::MAX)),
    }
}

/// Calls `f` with the C view of `filter` (its id views point into `filter`).
fn with_filter<T>(filter: &InstanceFilter, f: impl FnOnce(&ffi::ds_instance_filter) -> T) -> T {
    let ids: Vec<ffi::ds_str> = filter.instance_ids.iter().flatten().map(|s| ds_str(s)).collect();
    let mut view = std::mem::MaybeUninit::<ffi::ds_instance_filter>::uninit();
    // SAFETY: init fills every field.
    let mut view = unsafe {
        ffi::ds_instance_filter_init(view.as_mut_ptr());
        view.assume_init()
    };
    if filter.instance_ids.is_some() {
        view.has_instance_ids = true;
        view.instance_ids = ids.as_ptr();
        view.instance_id_count = ids.len();
    }
    if let Some(t) = filter.completed_before {
        view.has_completed_before = true;
        view.completed_before_ms = i64::try_from(t).unwrap_or(i64::MAX);
    }
    if let Some(limit) = filter.limit {
        view.limit = limit;
    }
    f(&view)
}

fn ms_u64(ms: i64) -> u64 {
    ms.max(0) as u64
}

#[async_trait::async_trait]
impl ProviderAdmin for DurastoreProvider {
    async fn list_instances(&self) -> Result<Vec<String>, ProviderError> {
        self.blocking(|h| {
            strings_call("list_instances", |out, err| unsafe { ffi::ds_admin_list_instances(h.admin, out, err) })
        })
        .await
    }

    async fn list_instances_by_status(&self, status: &str) -> Result<Vec<String>, ProviderError> {
        const OP: &str = "list_instances_by_status";
        let Ok(status) = envelope::status_in(OP, status) else {
            return Ok(Vec::new()); // no instance has a status the store does not know
        };
        self.blocking(move |h| {
            strings_call(OP, |out, err| unsafe { ffi::ds_admin_list_instances_by_status(h.admin, status, out, err) })
        })
        .await
    }

    async fn list_executions(&self, instance: &str) -> Result<Vec<u64>, ProviderError> {
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let mut ids: *mut u64 = ptr::null_mut();
            let mut count = 0usize;
            let result = check("list_executions", |err| unsafe {
                ffi::ds_admin_list_executions(h.admin, p, l, &mut ids, &mut count, err)
            });
            let ids = c::u64_array(ids, count);
            result.map(|()| ids)
        })
        .await
    }

    async fn read_history_with_execution_id(
        &self,
        instance: &str,
        execution_id: u64,
    ) -> Result<Vec<Event>, ProviderError> {
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            history_call("read_history_with_execution_id", |out, err| unsafe {
                ffi::ds_admin_read_history_with_execution_id(h.admin, p, l, execution_id, out, err)
            })
        })
        .await
    }

    async fn read_history(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            history_call("read_history", |out, err| unsafe { ffi::ds_admin_read_history(h.admin, p, l, out, err) })
        })
        .await
    }

    async fn latest_execution_id(&self, instance: &str) -> Result<u64, ProviderError> {
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let mut id = 0u64;
            check("latest_execution_id", |err| unsafe {
                ffi::ds_admin_latest_execution_id(h.admin, p, l, &mut id, err)
            })?;
            Ok(id)
        })
        .await
    }

    async fn get_instance_info(&self, instance: &str) -> Result<InstanceInfo, ProviderError> {
        const OP: &str = "get_instance_info";
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let mut info = c::InstanceInfo::null();
            let out = info.out();
            check(OP, |err| unsafe { ffi::ds_admin_get_instance_info(h.admin, p, l, out, err) })?;
            let mut len = 0usize;
            // SAFETY: views into info, copied before it is freed.
            unsafe {
                Ok(InstanceInfo {
                    instance_id: string(OP, ffi::ds_instance_info_instance(info.0, &mut len), len)?,
                    orchestration_name: string(OP, ffi::ds_instance_info_orchestration_name(info.0, &mut len), len)?,
                    orchestration_version: string(OP, ffi::ds_instance_info_version(info.0, &mut len), len)?,
                    current_execution_id: ffi::ds_instance_info_current_execution_id(info.0),
                    status: envelope::status_out(ffi::ds_instance_info_status(info.0)),
                    output: opt_string(OP, ffi::ds_instance_info_output(info.0, &mut len), len)?,
                    created_at: ms_u64(ffi::ds_instance_info_created_at_ms(info.0)),
                    updated_at: ms_u64(ffi::ds_instance_info_updated_at_ms(info.0)),
                    parent_instance_id: opt_string(OP, ffi::ds_instance_info_parent_instance(info.0, &mut len), len)?,
                })
            }
        })
        .await
    }

    async fn get_execution_info(&self, instance: &str, execution_id: u64) -> Result<ExecutionInfo, ProviderError> {
        const OP: &str = "get_execution_info";
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let mut info = c::ExecutionInfo::null();
            let out = info.out();
            check(OP, |err| unsafe { ffi::ds_admin_get_execution_info(h.admin, p, l, execution_id, out, err) })?;
            let mut len = 0usize;
            let mut completed = 0i64;
            // SAFETY: views into info, copied before it is freed.
            unsafe {
                Ok(ExecutionInfo {
                    execution_id: ffi::ds_execution_info_execution_id(info.0),
                    status: envelope::status_out(ffi::ds_execution_info_status(info.0)),
                    output: opt_string(OP, ffi::ds_execution_info_output(info.0, &mut len), len)?,
                    started_at: ms_u64(ffi::ds_execution_info_started_at_ms(info.0)),
                    completed_at: ffi::ds_execution_info_completed_at_ms(info.0, &mut completed)
                        .then(|| ms_u64(completed)),
                    event_count: ffi::ds_execution_info_event_count(info.0) as usize,
                })
            }
        })
        .await
    }

    async fn get_system_metrics(&self) -> Result<SystemMetrics, ProviderError> {
        self.blocking(|h| {
            let mut m = ffi::ds_system_metrics::default();
            check("get_system_metrics", |err| unsafe { ffi::ds_admin_get_system_metrics(h.admin, &mut m, err) })?;
            Ok(SystemMetrics {
                total_instances: m.total_instances,
                total_executions: m.total_executions,
                running_instances: m.running_instances,
                completed_instances: m.completed_instances,
                failed_instances: m.failed_instances,
                total_events: m.total_events,
            })
        })
        .await
    }

    async fn get_queue_depths(&self) -> Result<QueueDepths, ProviderError> {
        self.blocking(|h| {
            let mut d = ffi::ds_queue_depths::default();
            check("get_queue_depths", |err| unsafe { ffi::ds_admin_get_queue_depths(h.admin, &mut d, err) })?;
            // Timers are orchestrator messages with a future visibility: no queue of their own.
            Ok(QueueDepths {
                orchestrator_queue: d.orchestrator as usize,
                worker_queue: d.worker as usize,
                timer_queue: 0,
            })
        })
        .await
    }

    async fn list_children(&self, instance_id: &str) -> Result<Vec<String>, ProviderError> {
        let instance = instance_id.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            strings_call("list_children", |out, err| unsafe { ffi::ds_admin_list_children(h.admin, p, l, out, err) })
        })
        .await
    }

    async fn get_parent_id(&self, instance_id: &str) -> Result<Option<String>, ProviderError> {
        const OP: &str = "get_parent_id";
        let instance = instance_id.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let mut parent: *mut c_char = ptr::null_mut();
            let mut parent_len = 0usize;
            let result = check(OP, |err| unsafe {
                ffi::ds_admin_get_parent_id(h.admin, p, l, &mut parent, &mut parent_len, err)
            });
            let owned = c::Buffer(parent.cast());
            result?;
            // SAFETY: parent/parent_len describe the buffer owned above.
            unsafe { opt_string(OP, owned.0.cast(), parent_len) }
        })
        .await
    }

    async fn delete_instances_atomic(
        &self,
        ids: &[String],
        force: bool,
    ) -> Result<DeleteInstanceResult, ProviderError> {
        let ids = ids.to_vec();
        self.blocking(move |h| {
            let views: Vec<ffi::ds_str> = ids.iter().map(|s| ds_str(s)).collect();
            let mut r = ffi::ds_delete_result::default();
            check("delete_instances_atomic", |err| unsafe {
                ffi::ds_admin_delete_instances_atomic(h.admin, views.as_ptr(), views.len(), force, &mut r, err)
            })?;
            Ok(delete_result(&r))
        })
        .await
    }

    async fn get_instance_tree(&self, instance_id: &str) -> Result<InstanceTree, ProviderError> {
        let instance = instance_id.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let all_ids = strings_call("get_instance_tree", |out, err| unsafe {
                ffi::ds_admin_get_instance_tree(h.admin, p, l, out, err)
            })?;
            Ok(InstanceTree { root_id: instance, all_ids })
        })
        .await
    }

    async fn delete_instance(&self, instance_id: &str, force: bool) -> Result<DeleteInstanceResult, ProviderError> {
        let instance = instance_id.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let mut r = ffi::ds_delete_result::default();
            check("delete_instance", |err| unsafe {
                ffi::ds_admin_delete_instance(h.admin, p, l, force, &mut r, err)
            })?;
            Ok(delete_result(&r))
        })
        .await
    }

    async fn delete_instance_bulk(&self, filter: InstanceFilter) -> Result<DeleteInstanceResult, ProviderError> {
        self.blocking(move |h| {
            with_filter(&filter, |view| {
                let mut r = ffi::ds_delete_result::default();
                check("delete_instance_bulk", |err| unsafe {
                    ffi::ds_admin_delete_instance_bulk(h.admin, view, &mut r, err)
                })?;
                Ok(delete_result(&r))
            })
        })
        .await
    }

    async fn prune_executions(&self, instance_id: &str, options: PruneOptions) -> Result<PruneResult, ProviderError> {
        let instance = instance_id.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let o = prune_options(&options);
            let mut r = ffi::ds_prune_result::default();
            check("prune_executions", |err| unsafe { ffi::ds_admin_prune_executions(h.admin, p, l, &o, &mut r, err) })?;
            Ok(prune_result(&r))
        })
        .await
    }

    async fn prune_executions_bulk(
        &self,
        filter: InstanceFilter,
        options: PruneOptions,
    ) -> Result<PruneResult, ProviderError> {
        self.blocking(move |h| {
            let o = prune_options(&options);
            with_filter(&filter, |view| {
                let mut r = ffi::ds_prune_result::default();
                check("prune_executions_bulk", |err| unsafe {
                    ffi::ds_admin_prune_executions_bulk(h.admin, view, &o, &mut r, err)
                })?;
                Ok(prune_result(&r))
            })
        })
        .await
    }
}
