//! Duroxide's types -> the orchestration layer's typed envelopes. Payloads are Duroxide's
//! own serde JSON, opaque to durastore; every fact the store routes, orders or indexes
//! (routing instance, item kind, timer fire time, activity identity, session, tag) is
//! derived here from the Duroxide value, never parsed back out of the bytes by the store.
use std::ptr;

use duroxide::providers::{ProviderError, ScheduledActivityIdentifier, WorkItem};
use duroxide::{Event, EventKind};

use crate::c::{raw, raw_opt};
use crate::ffi;

pub fn to_json<T: serde::Serialize>(op: &str, value: &T) -> Result<Vec<u8>, ProviderError> {
    serde_json::to_vec(value).map_err(|e| ProviderError::permanent(op, format!("cannot serialize: {e}")))
}

/// An orchestrator-queue item with the envelope fields the layer needs.
pub struct OrchestratorItem {
    instance: String,
    kind: ffi::ds_orchestrator_item_kind,
    payload: Vec<u8>,
    name: String,
    version: String,
    visible_at_ms: Option<i64>,
}

impl OrchestratorItem {
    pub fn new(op: &str, item: &WorkItem) -> Result<Self, ProviderError> {
        let payload = to_json(op, item)?;
        let mut out = OrchestratorItem {
            instance: String::new(),
            kind: ffi::DS_ORCH_ITEM_OTHER,
            payload,
            name: String::new(),
            version: String::new(),
            visible_at_ms: None,
        };
        match item {
            WorkItem::StartOrchestration { instance, orchestration, version, .. } => {
                out.instance = instance.clone();
                out.kind = ffi::DS_ORCH_ITEM_START;
                out.name = orchestration.clone();
                out.version = version.clone().unwrap_or_default();
            }
            WorkItem::ContinueAsNew { instance, orchestration, version, .. } => {
                out.instance = instance.clone();
                out.kind = ffi::DS_ORCH_ITEM_CONTINUE_AS_NEW;
                out.name = orchestration.clone();
                out.version = version.clone().unwrap_or_default();
            }
            WorkItem::QueueMessage { instance, .. } => {
                out.instance = instance.clone();
                out.kind = ffi::DS_ORCH_ITEM_QUEUE_MESSAGE;
            }
            WorkItem::TimerFired { instance, fire_at_ms, .. } => {
                out.instance = instance.clone();
                out.visible_at_ms = Some(i64::try_from(*fire_at_ms).unwrap_or(i64::MAX));
            }
            WorkItem::ActivityCompleted { instance, .. }
            | WorkItem::ActivityFailed { instance, .. }
            | WorkItem::ExternalRaised { instance, .. }
            | WorkItem::CancelInstance { instance, .. } => out.instance = instance.clone(),
            WorkItem::SubOrchCompleted { parent_instance, .. } | WorkItem::SubOrchFailed { parent_instance, .. } => {
                out.instance = parent_instance.clone();
            }
            WorkItem::ActivityExecute { instance, .. } => {
                out.instance = instance.clone();
                out.kind = ffi::DS_ORCH_ITEM_ACTIVITY_EXECUTE; // the layer rejects it
            }
            #[allow(unreachable_patterns)]
            _ => return Err(ProviderError::permanent(op, "work item kind unknown to this provider")),
        }
        Ok(out)
    }

    pub fn view(&self) -> ffi::ds_orchestrator_item {
        let (instance, instance_len) = raw(self.instance.as_bytes());
        let (payload, payload_len) = raw(&self.payload);
        let (name, name_len) = raw(self.name.as_bytes());
        let (version, version_len) = raw(self.version.as_bytes());
        ffi::ds_orchestrator_item {
            instance,
            instance_len,
            kind: self.kind,
            payload,
            payload_len,
            orchestration_name: name,
            orchestration_name_len: name_len,
            version,
            version_len,
            has_visible_at: self.visible_at_ms.is_some(),
            visible_at_ms: self.visible_at_ms.unwrap_or(0),
        }
    }
}

/// A worker-queue item (an activity execution) with its identity, session and tag.
pub struct WorkerItem {
    instance: String,
    execution_id: u64,
    activity_id: u64,
    payload: Vec<u8>,
    session_id: Option<String>,
    tag: Option<String>,
}

impl WorkerItem {
    pub fn new(op: &str, item: &WorkItem) -> Result<Self, ProviderError> {
        match item {
            WorkItem::ActivityExecute { instance, execution_id, id, session_id, tag, .. } => Ok(WorkerItem {
                instance: instance.clone(),
                execution_id: *execution_id,
                activity_id: *id,
                payload: to_json(op, item)?,
                session_id: session_id.clone(),
                tag: tag.clone(),
            }),
            _ => Err(ProviderError::permanent(op, "only ActivityExecute items belong to the worker queue")),
        }
    }

    pub fn view(&self) -> ffi::ds_worker_item {
        let (instance, instance_len) = raw(self.instance.as_bytes());
        let (payload, payload_len) = raw(&self.payload);
        let (session_id, session_id_len) = raw_opt(self.session_id.as_deref());
        let (tag, tag_len) = raw_opt(self.tag.as_deref());
        ffi::ds_worker_item {
            identity: ffi::ds_activity_id {
                instance,
                instance_len,
                execution_id: self.execution_id,
                activity_id: self.activity_id,
            },
            payload,
            payload_len,
            session_id,
            session_id_len,
            tag,
            tag_len,
        }
    }
}

pub fn activity_id_view(id: &ScheduledActivityIdentifier) -> ffi::ds_activity_id {
    let (instance, instance_len) = raw(id.instance.as_bytes());
    ffi::ds_activity_id { instance, instance_len, execution_id: id.execution_id, activity_id: id.activity_id }
}

/// History events as (event_id, JSON bytes).
pub fn encode_events(op: &str, events: &[Event]) -> Result<Vec<(u64, Vec<u8>)>, ProviderError> {
    events.iter().map(|e| Ok((e.event_id, to_json(op, e)?))).collect()
}

pub fn event_views(encoded: &[(u64, Vec<u8>)]) -> Vec<ffi::ds_history_event> {
    encoded
        .iter()
        .map(|(id, bytes)| {
            let (payload, payload_len) = raw(bytes);
            ffi::ds_history_event { event_id: *id, payload, payload_len }
        })
        .collect()
}

/// The custom-status change of a delta: the last CustomStatusUpdated wins.
pub fn custom_status_change(delta: &[Event]) -> Option<Option<String>> {
    delta.iter().rev().find_map(|e| match &e.kind {
        EventKind::CustomStatusUpdated { status } => Some(status.clone()),
        _ => None,
    })
}

/// A KV change of a delta, in order: (kind, key, value, last_updated_at_ms).
pub struct KvChange {
    kind: ffi::ds_kv_change_kind,
    key: String,
    value: String,
    updated_at_ms: i64,
}

pub fn kv_changes(delta: &[Event]) -> Vec<KvChange> {
    delta
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::KeyValueSet { key, value, last_updated_at_ms } => Some(KvChange {
                kind: ffi::DS_KV_SET,
                key: key.clone(),
                value: value.clone(),
                updated_at_ms: i64::try_from(*last_updated_at_ms).unwrap_or(i64::MAX),
            }),
            EventKind::KeyValueCleared { key } => {
                Some(KvChange { kind: ffi::DS_KV_CLEAR, key: key.clone(), value: String::new(), updated_at_ms: 0 })
            }
            EventKind::KeyValuesCleared => Some(KvChange {
                kind: ffi::DS_KV_CLEAR_ALL,
                key: String::new(),
                value: String::new(),
                updated_at_ms: 0,
            }),
            _ => None,
        })
        .collect()
}

pub fn kv_change_views(changes: &[KvChange]) -> Vec<ffi::ds_kv_change> {
    changes
        .iter()
        .map(|c| {
            let (key, key_len) = raw(c.key.as_bytes());
            let (value, value_len) = if c.kind == ffi::DS_KV_SET { raw(c.value.as_bytes()) } else { (ptr::null(), 0) };
            ffi::ds_kv_change { kind: c.kind, key, key_len, value, value_len, updated_at_ms: c.updated_at_ms }
        })
        .collect()
}

pub fn status_in(op: &str, status: &str) -> Result<ffi::ds_execution_status, ProviderError> {
    match status {
        "Running" => Ok(ffi::DS_EXECUTION_RUNNING),
        "Completed" => Ok(ffi::DS_EXECUTION_COMPLETED),
        "Failed" => Ok(ffi::DS_EXECUTION_FAILED),
        "ContinuedAsNew" => Ok(ffi::DS_EXECUTION_CONTINUED_AS_NEW),
        other => Err(ProviderError::permanent(op, format!("unknown execution status {other:?}"))),
    }
}

pub fn status_out(status: ffi::ds_execution_status) -> String {
    // SAFETY: ds_execution_status_name returns a static NUL-terminated string.
    unsafe { std::ffi::CStr::from_ptr(ffi::ds_execution_status_name(status)).to_string_lossy().into_owned() }
}
