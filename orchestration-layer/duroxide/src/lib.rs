//! durastore as a storage provider for [Duroxide](https://docs.rs/duroxide).
//!
//! `DurastoreProvider` implements `duroxide::providers::Provider` and `ProviderAdmin` over
//! durastore's C API (`<durastore/c.h>`): every contract behaviour lives in the C++
//! orchestration layer; this crate maps Duroxide's types onto the layer's typed envelopes
//! and back. Payloads (events, work items) are Duroxide's own serde JSON, stored opaquely.
//!
//! ```no_run
//! use std::sync::Arc;
//! use duroxide_durastore::{DurastoreOptions, DurastoreProvider};
//! let store = Arc::new(DurastoreProvider::open("/var/lib/app/duroxide", DurastoreOptions::default()).unwrap());
//! // duroxide::runtime::Runtime::start_with_store(store.clone(), activities, orchestrations).await;
//! ```
//!
//! Thread-safety: a `DurastoreProvider` is `Send + Sync`; every call runs the blocking C
//! call on Tokio's blocking pool (`spawn_blocking`), never on the async reactor, so long
//! polls do not stall other tasks. The store directory is held exclusively by one process
//! (a second open fails with a retryable Busy error).
use std::collections::HashMap;
use std::os::raw::c_char;
use std::path::Path;
use std::ptr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use duroxide::providers::{
    DispatcherCapabilityFilter, ExecutionMetadata, KvEntry, OrchestrationItem, Provider, ProviderAdmin, ProviderError,
    ScheduledActivityIdentifier, SessionFetchConfig, TagFilter, WorkItem,
};
use duroxide::Event;

mod c;
mod envelope;
mod ffi;

use c::{bytes, check, check_code, ds_str, opt_string, raw, raw_opt, string};

/// How the store commits and where its limits are.
#[derive(Debug, Clone)]
pub struct DurastoreOptions {
    /// `true` (the default): every acknowledged commit is on stable storage (fdatasync).
    /// `false`: commits survive a process crash but not power loss.
    pub sync: bool,
    /// Create the store directory if it does not exist (default true).
    pub create_if_missing: bool,
    /// Initial LMDB map size in bytes (0 = durastore's default, 64 MiB; it doubles when full).
    pub initial_map_size: usize,
}

impl Default for DurastoreOptions {
    fn default() -> Self {
        Self { sync: true, create_if_missing: true, initial_map_size: 0 }
    }
}

/// The C handles of one open store, freed in dependency order (provider and admin, then
/// the store).
struct Handles {
    store: *mut ffi::ds_store,
    provider: *mut ffi::ds_provider,
    admin: *mut ffi::ds_admin,
    sync: bool,
}

// SAFETY: ds_store, ds_provider and ds_admin are thread-safe (c.h "Handles"); the only
// call that must not race, freeing, happens in Drop when no other reference exists.
unsafe impl Send for Handles {}
unsafe impl Sync for Handles {}

impl Drop for Handles {
    fn drop(&mut self) {
        // SAFETY: each pointer is owned here and freed once; NULL is accepted.
        unsafe {
            ffi::ds_provider_free(self.provider);
            ffi::ds_admin_free(self.admin);
            ffi::ds_store_free(self.store);
        }
    }
}

/// A Duroxide provider backed by one durastore store directory.
#[derive(Clone)]
pub struct DurastoreProvider {
    handles: Arc<Handles>,
}

/// The longest single blocking wait of a long poll (see `long_poll`).
const POLL_SLICE: Duration = Duration::from_millis(500);

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Rounds up: a 0.4 ms timeout must not become "no wait at all" by truncation.
fn ms_ceil(d: Duration) -> i64 {
    let whole = ms(d);
    if Duration::from_millis(whole as u64) < d {
        whole.saturating_add(1)
    } else {
        whole
    }
}

fn decode_events(op: &str, history: &c::History) -> Result<Vec<Event>, ProviderError> {
    let mut n = 0usize;
    // SAFETY: n views into history, alive while it is.
    let items = unsafe { ffi::ds_history_items(history.0, &mut n) };
    (0..n)
        .map(|i| {
            // SAFETY: i < n.
            let e = unsafe { &*items.add(i) };
            let payload = unsafe { bytes(e.payload, e.payload_len) };
            serde_json::from_slice::<Event>(payload).map_err(|err| {
                ProviderError::permanent(op, format!("event {} cannot be deserialized: {err}", e.event_id))
            })
        })
        .collect()
}

/// The C functions that abandon an orchestration or a work item lease.
type AbandonFn = unsafe extern "C" fn(
    *mut ffi::ds_provider,
    *const c_char,
    usize,
    bool,
    i64,
    bool,
    *mut *mut ffi::ds_error,
) -> ffi::ds_code;
/// The C functions that renew an orchestration or a work item lease.
type RenewFn =
    unsafe extern "C" fn(*mut ffi::ds_provider, *const c_char, usize, i64, *mut *mut ffi::ds_error) -> ffi::ds_code;

impl DurastoreProvider {
    /// Opens (or creates) the store in directory `path`. Blocking; call it before starting
    /// the runtime (or inside `spawn_blocking`).
    pub fn open(path: impl AsRef<Path>, options: DurastoreOptions) -> Result<Self, ProviderError> {
        const OP: &str = "open";
        // SAFETY: plain C calls; the version check guards the hand-written declarations.
        if unsafe { ffi::ds_api_version() } != ffi::DS_API_VERSION {
            return Err(ProviderError::permanent(OP, "libdurastore's C API version differs from this crate's"));
        }
        let path = path.as_ref().to_str().ok_or_else(|| ProviderError::permanent(OP, "path is not UTF-8"))?;
        let mut opts = std::mem::MaybeUninit::<ffi::ds_options>::uninit();
        // SAFETY: ds_options_init fills every field.
        let mut opts = unsafe {
            ffi::ds_options_init(opts.as_mut_ptr());
            opts.assume_init()
        };
        opts.durability = if options.sync { ffi::DS_DURABILITY_SYNC } else { ffi::DS_DURABILITY_NO_SYNC };
        opts.create_if_missing = options.create_if_missing;
        if options.initial_map_size != 0 {
            opts.initial_map_size = options.initial_map_size;
        }
        let mut handles =
            Handles { store: ptr::null_mut(), provider: ptr::null_mut(), admin: ptr::null_mut(), sync: options.sync };
        let (p, len) = raw(path.as_bytes());
        // SAFETY: out-parameters are owned by `handles` (freed by its Drop on any failure).
        unsafe {
            check(OP, |err| ffi::ds_store_open(p, len, &opts, &mut handles.store, err))?;
            check(OP, |err| ffi::ds_provider_open(handles.store, &mut handles.provider, err))?;
            check(OP, |err| ffi::ds_admin_open(handles.store, &mut handles.admin, err))?;
        }
        Ok(Self { handles: Arc::new(handles) })
    }

    /// Runs `f` with the handles on Tokio's blocking pool.
    async fn blocking<T, F>(&self, f: F) -> T
    where
        T: Send + 'static,
        F: FnOnce(&Handles) -> T + Send + 'static,
    {
        let handles = Arc::clone(&self.handles);
        match tokio::task::spawn_blocking(move || f(&handles)).await {
            Ok(v) => v,
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }

    /// Abandons the lease `token` through `abandon` (the orchestration or the worker
    /// queue's C function, which share a signature).
    async fn abandon_lease(
        &self,
        op: &'static str,
        abandon: AbandonFn,
        token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        let token = token.to_string();
        self.blocking(move |h| {
            let (t, tl) = raw(token.as_bytes());
            // SAFETY: `abandon` is a ds_provider_abandon_* function; the token outlives the call.
            check(op, |err| unsafe {
                abandon(h.provider, t, tl, delay.is_some(), delay.map(ms).unwrap_or(0), ignore_attempt, err)
            })
        })
        .await
    }

    /// Extends the lease `token` by `extend_for` (at least 1 ms) through `renew`.
    async fn renew_lease(
        &self,
        op: &'static str,
        renew: RenewFn,
        token: &str,
        extend_for: Duration,
    ) -> Result<(), ProviderError> {
        let token = token.to_string();
        self.blocking(move |h| {
            let (t, tl) = raw(token.as_bytes());
            // SAFETY: `renew` is a ds_provider_renew_*_lock function; the token outlives the call.
            check(op, |err| unsafe { renew(h.provider, t, tl, ms_ceil(extend_for).max(1), err) })
        })
        .await
    }

    /// A long poll of up to `poll_timeout`, made of blocking fetches of at most
    /// `POLL_SLICE` each: a fetch returns as soon as work is visible and never before
    /// poll_timeout when none is, while no blocking thread stays inside the library for
    /// long after its caller was cancelled (a runtime shutting down waits for those).
    async fn long_poll<T, F>(&self, poll_timeout: Duration, fetch: F) -> Result<Option<T>, ProviderError>
    where
        T: Send + 'static,
        F: Fn(&Handles, i64) -> Result<Option<T>, ProviderError> + Send + Sync + 'static,
    {
        let fetch = Arc::new(fetch);
        let deadline = Instant::now() + poll_timeout;
        loop {
            let slice = ms_ceil(deadline.saturating_duration_since(Instant::now()).min(POLL_SLICE));
            let f = Arc::clone(&fetch);
            let got = self.blocking(move |h| f(h, slice)).await?;
            if got.is_some() || Instant::now() >= deadline {
                return Ok(got);
            }
        }
    }

    /// Test hook (Duroxide's provider-validation suite): replaces every stored history
    /// event of `instance` with bytes that are not a Duroxide event, keeping event ids
    /// (engine-level partition delete + raw append, one atomic commit).
    pub async fn corrupt_instance_history(&self, instance: &str) -> Result<(), ProviderError> {
        let instance = instance.to_string();
        self.blocking(move |h| corrupt_history(h, &instance)).await
    }

    /// The highest attempt count among the instance's queued orchestrator messages.
    pub async fn max_orchestrator_attempt_count(&self, instance: &str) -> Result<u32, ProviderError> {
        let instance = instance.to_string();
        self.blocking(move |h| {
            let mut out = 0u32;
            let (p, len) = raw(instance.as_bytes());
            // SAFETY: inputs live for the call.
            check("max_orchestrator_attempt_count", |err| unsafe {
                ffi::ds_admin_max_orchestrator_attempt_count(h.admin, p, len, &mut out, err)
            })?;
            Ok(out)
        })
        .await
    }
}

fn corrupt_history(h: &Handles, instance: &str) -> Result<(), ProviderError> {
    const OP: &str = "corrupt_instance_history";
    let (stream, stream_len) = raw(instance.as_bytes());
    let mut parts: *mut u64 = ptr::null_mut();
    let mut count = 0usize;
    // SAFETY: out-parameters are owned below.
    let listed = check_code(OP, |err| unsafe {
        ffi::ds_log_list_partitions(h.store, stream, stream_len, &mut parts, &mut count, err)
    });
    let partitions = c::u64_array(parts, count);
    if let Err((code, e)) = listed {
        return if code == ffi::DS_NOT_FOUND { Ok(()) } else { Err(e) };
    }
    let mut batch = c::Batch::null();
    // SAFETY: batch is owned by its guard.
    check(OP, |err| unsafe { ffi::ds_batch_new(batch.out(), err) })?;
    const GARBAGE: &[u8] = b"NOT_VALID_JSON{{{";
    for partition in partitions {
        let mut events = c::Events::null();
        let mut options = std::mem::MaybeUninit::<ffi::ds_read_options>::uninit();
        // SAFETY: init fills the options; events is owned by its guard.
        let mut options = unsafe {
            ffi::ds_read_options_init(options.as_mut_ptr());
            options.assume_init()
        };
        options.max_count = 1_000_000;
        check(OP, |err| unsafe {
            ffi::ds_log_read_partition(h.store, stream, stream_len, partition, &options, events.out(), err)
        })?;
        let mut n = 0usize;
        // SAFETY: n views into events; keys are copied into `keys` before use.
        let items = unsafe { ffi::ds_events_items(events.0, &mut n) };
        let keys: Vec<Vec<u8>> =
            (0..n).map(|i| unsafe { bytes((*items.add(i)).key, (*items.add(i)).key_len).to_vec() }).collect();
        let data: Vec<ffi::ds_event_data> = keys
            .iter()
            .map(|k| {
                let (payload, payload_len) = raw(GARBAGE);
                let (key, key_len) = raw(k);
                ffi::ds_event_data { payload, payload_len, key, key_len }
            })
            .collect();
        let any = ffi::ds_expected_version { kind: ffi::DS_EXPECT_ANY, sequence: 0 };
        // SAFETY: all inputs live for the calls; the batch copies them.
        check(OP, |err| unsafe { ffi::ds_batch_delete_partition(batch.0, stream, stream_len, partition, err) })?;
        if !data.is_empty() {
            check(OP, |err| unsafe {
                ffi::ds_batch_append(batch.0, stream, stream_len, partition, data.as_ptr(), data.len(), &any, err)
            })?;
        }
    }
    let mut result = c::CommitResult::null();
    let durability = if h.sync { ffi::DS_DURABILITY_SYNC } else { ffi::DS_DURABILITY_NO_SYNC };
    // SAFETY: the batch stays owned by its guard.
    check(OP, |err| unsafe { ffi::ds_store_commit(h.store, batch.0, durability, result.out(), err) })
}

/// Reads one fetched turn into Duroxide's item. Undecodable stored history becomes
/// `history_error` (the lock is held and the runtime fails the instance), as the
/// contract asks, whether the layer or this crate found it.
fn load_item(op: &str, f: &c::FetchedOrchestration) -> Result<(OrchestrationItem, String, u32), ProviderError> {
    let mut len = 0usize;
    // SAFETY: every accessor returns views into f, read before f is freed.
    unsafe {
        let token = string(op, ffi::ds_fetched_orchestration_lock_token(f.0, &mut len), len)?;
        let attempt = ffi::ds_fetched_orchestration_attempt_count(f.0);
        let instance = string(op, ffi::ds_fetched_orchestration_instance(f.0, &mut len), len)?;
        let name = string(op, ffi::ds_fetched_orchestration_name(f.0, &mut len), len)?;
        let version = string(op, ffi::ds_fetched_orchestration_version(f.0, &mut len), len)?;
        let execution_id = ffi::ds_fetched_orchestration_execution_id(f.0);
        let mut history_error = opt_string(op, ffi::ds_fetched_orchestration_history_error(f.0, &mut len), len)?;
        let mut n = 0usize;
        let events = ffi::ds_fetched_orchestration_history(f.0, &mut n);
        let mut history = Vec::with_capacity(n);
        for i in 0..n {
            let e = &*events.add(i);
            match serde_json::from_slice::<Event>(bytes(e.payload, e.payload_len)) {
                Ok(event) => history.push(event),
                Err(err) => {
                    history_error = Some(format!("event {} cannot be deserialized: {err}", e.event_id));
                    history.clear();
                    break;
                }
            }
        }
        let msgs = ffi::ds_fetched_orchestration_messages(f.0, &mut n);
        let mut messages = Vec::with_capacity(n);
        for i in 0..n {
            let m = &*msgs.add(i);
            let item = serde_json::from_slice::<WorkItem>(bytes(m.payload, m.payload_len))
                .map_err(|e| ProviderError::permanent(op, format!("queued work item cannot be deserialized: {e}")))?;
            messages.push(item);
        }
        let kv = ffi::ds_fetched_orchestration_kv_snapshot(f.0, &mut n);
        let mut kv_snapshot = HashMap::with_capacity(n);
        for i in 0..n {
            let e = &*kv.add(i);
            kv_snapshot.insert(
                string(op, e.key, e.key_len)?,
                KvEntry { value: string(op, e.value, e.value_len)?, last_updated_at_ms: e.updated_at_ms.max(0) as u64 },
            );
        }
        let item = OrchestrationItem {
            instance,
            orchestration_name: name,
            execution_id,
            version,
            history,
            messages,
            history_error,
            kv_snapshot,
        };
        Ok((item, token, attempt))
    }
}

fn tag_filter_parts(filter: &TagFilter) -> (ffi::ds_tag_filter_mode, Vec<String>) {
    match filter {
        TagFilter::DefaultOnly => (ffi::DS_TAGS_DEFAULT_ONLY, Vec::new()),
        TagFilter::Tags(tags) => (ffi::DS_TAGS_TAGS, tags.iter().cloned().collect()),
        TagFilter::DefaultAnd(tags) => (ffi::DS_TAGS_DEFAULT_AND_TAGS, tags.iter().cloned().collect()),
        TagFilter::Any => (ffi::DS_TAGS_ANY, Vec::new()),
        TagFilter::None => (ffi::DS_TAGS_NONE, Vec::new()),
    }
}

fn history_call(
    op: &'static str,
    call: impl FnOnce(*mut *mut ffi::ds_history, *mut *mut ffi::ds_error) -> ffi::ds_code,
) -> Result<Vec<Event>, ProviderError> {
    let mut history = c::History::null();
    let out = history.out();
    check(op, |err| call(out, err))?;
    decode_events(op, &history)
}

#[async_trait::async_trait]
impl Provider for DurastoreProvider {
    fn name(&self) -> &str {
        "durastore"
    }

    fn version(&self) -> &str {
        env!("CARGO_PKG_VERSION")
    }

    async fn fetch_orchestration_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        filter: Option<&DispatcherCapabilityFilter>,
    ) -> Result<Option<(OrchestrationItem, String, u32)>, ProviderError> {
        const OP: &str = "fetch_orchestration_item";
        let ranges: Option<Vec<(String, String)>> = filter
            .map(|f| f.supported_duroxide_versions.iter().map(|r| (r.min.to_string(), r.max.to_string())).collect());
        let lock_ms = ms_ceil(lock_timeout).max(1);
        self.long_poll(poll_timeout, move |h, poll_ms| {
            let views: Vec<ffi::ds_version_range> = ranges
                .iter()
                .flatten()
                .map(|(min, max)| {
                    let (min, min_len) = raw(min.as_bytes());
                    let (max, max_len) = raw(max.as_bytes());
                    ffi::ds_version_range { min, min_len, max, max_len }
                })
                .collect();
            let filter = ffi::ds_version_filter { ranges: views.as_ptr(), range_count: views.len() };
            let filter_ptr = if ranges.is_some() { &filter as *const _ } else { ptr::null() };
            let mut fetched = c::FetchedOrchestration::null();
            let out = fetched.out();
            // SAFETY: inputs live for the call; fetched owns the result.
            check(OP, |err| unsafe {
                ffi::ds_provider_fetch_orchestration_item(h.provider, lock_ms, poll_ms, filter_ptr, out, err)
            })?;
            if fetched.is_null() {
                return Ok(None);
            }
            load_item(OP, &fetched).map(Some)
        })
        .await
    }

    async fn ack_orchestration_item(
        &self,
        lock_token: &str,
        execution_id: u64,
        history_delta: Vec<Event>,
        worker_items: Vec<WorkItem>,
        orchestrator_items: Vec<WorkItem>,
        metadata: ExecutionMetadata,
        cancelled_activities: Vec<ScheduledActivityIdentifier>,
    ) -> Result<(), ProviderError> {
        const OP: &str = "ack_orchestration_item";
        let token = lock_token.to_string();
        let events = envelope::encode_events(OP, &history_delta)?;
        let workers = worker_items.iter().map(|w| envelope::WorkerItem::new(OP, w)).collect::<Result<Vec<_>, _>>()?;
        let orchs =
            orchestrator_items.iter().map(|o| envelope::OrchestratorItem::new(OP, o)).collect::<Result<Vec<_>, _>>()?;
        let status = metadata.status.as_deref().map(|s| envelope::status_in(OP, s)).transpose()?;
        let custom_status = envelope::custom_status_change(&history_delta);
        let kv = envelope::kv_changes(&history_delta);
        let pinned = metadata.pinned_duroxide_version.as_ref().map(|v| v.to_string());
        self.blocking(move |h| {
            let event_views = envelope::event_views(&events);
            let worker_views: Vec<_> = workers.iter().map(|w| w.view()).collect();
            let orch_views: Vec<_> = orchs.iter().map(|o| o.view()).collect();
            let cancelled: Vec<_> = cancelled_activities.iter().map(envelope::activity_id_view).collect();
            let kv_views = envelope::kv_change_views(&kv);
            let mut ack = std::mem::MaybeUninit::<ffi::ds_orchestration_ack>::uninit();
            // SAFETY: init sets every field; the views point into data owned by this closure.
            let mut ack = unsafe {
                ffi::ds_orchestration_ack_init(ack.as_mut_ptr());
                ack.assume_init()
            };
            ack.execution_id = execution_id;
            ack.history_delta = event_views.as_ptr();
            ack.history_delta_count = event_views.len();
            ack.worker_items = worker_views.as_ptr();
            ack.worker_item_count = worker_views.len();
            ack.orchestrator_items = orch_views.as_ptr();
            ack.orchestrator_item_count = orch_views.len();
            ack.cancelled_activities = cancelled.as_ptr();
            ack.cancelled_activity_count = cancelled.len();
            ack.kv_changes = kv_views.as_ptr();
            ack.kv_change_count = kv_views.len();
            let m = &mut ack.metadata;
            if let Some(s) = status {
                m.has_status = true;
                m.status = s;
            }
            (m.output, m.output_len) = raw_opt(metadata.output.as_deref());
            (m.orchestration_name, m.orchestration_name_len) = raw_opt(metadata.orchestration_name.as_deref());
            (m.version, m.version_len) = raw_opt(metadata.orchestration_version.as_deref());
            (m.parent_instance, m.parent_instance_len) = raw_opt(metadata.parent_instance_id.as_deref());
            (m.pinned_version, m.pinned_version_len) = raw_opt(pinned.as_deref());
            match &custom_status {
                None => ack.custom_status_change = ffi::DS_CUSTOM_STATUS_UNCHANGED,
                Some(None) => ack.custom_status_change = ffi::DS_CUSTOM_STATUS_CLEAR,
                Some(Some(s)) => {
                    ack.custom_status_change = ffi::DS_CUSTOM_STATUS_SET;
                    (ack.custom_status, ack.custom_status_len) = raw(s.as_bytes());
                }
            }
            let (t, tl) = raw(token.as_bytes());
            // SAFETY: every pointer in ack stays valid for the call.
            check(OP, |err| unsafe { ffi::ds_provider_ack_orchestration_item(h.provider, t, tl, &ack, err) })
        })
        .await
    }

    async fn abandon_orchestration_item(
        &self,
        lock_token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        let abandon: AbandonFn = ffi::ds_provider_abandon_orchestration_item;
        self.abandon_lease("abandon_orchestration_item", abandon, lock_token, delay, ignore_attempt).await
    }

    async fn read(&self, instance: &str) -> Result<Vec<Event>, ProviderError> {
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            history_call("read", |out, err| unsafe { ffi::ds_provider_read(h.provider, p, l, out, err) })
        })
        .await
    }

    async fn read_with_execution(&self, instance: &str, execution_id: u64) -> Result<Vec<Event>, ProviderError> {
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            history_call("read_with_execution", |out, err| unsafe {
                ffi::ds_provider_read_with_execution(h.provider, p, l, execution_id, out, err)
            })
        })
        .await
    }

    async fn append_with_execution(
        &self,
        instance: &str,
        execution_id: u64,
        new_events: Vec<Event>,
    ) -> Result<(), ProviderError> {
        const OP: &str = "append_with_execution";
        let instance = instance.to_string();
        let events = envelope::encode_events(OP, &new_events)?;
        self.blocking(move |h| {
            let views = envelope::event_views(&events);
            let (p, l) = raw(instance.as_bytes());
            check(OP, |err| unsafe {
                ffi::ds_provider_append_with_execution(h.provider, p, l, execution_id, views.as_ptr(), views.len(), err)
            })
        })
        .await
    }

    async fn enqueue_for_worker(&self, item: WorkItem) -> Result<(), ProviderError> {
        const OP: &str = "enqueue_for_worker";
        let item = envelope::WorkerItem::new(OP, &item)?;
        self.blocking(move |h| {
            let view = item.view();
            check(OP, |err| unsafe { ffi::ds_provider_enqueue_for_worker(h.provider, &view, err) })
        })
        .await
    }

    async fn fetch_work_item(
        &self,
        lock_timeout: Duration,
        poll_timeout: Duration,
        session: Option<&SessionFetchConfig>,
        tag_filter: &TagFilter,
    ) -> Result<Option<(WorkItem, String, u32)>, ProviderError> {
        const OP: &str = "fetch_work_item";
        let session = session.map(|s| (s.owner_id.clone(), ms_ceil(s.lock_timeout).max(1)));
        let (mode, tags) = tag_filter_parts(tag_filter);
        let lock_ms = ms_ceil(lock_timeout).max(1);
        self.long_poll(poll_timeout, move |h, poll_ms| {
            let session_view = session.as_ref().map(|(owner, lock)| {
                let (owner_id, owner_id_len) = raw(owner.as_bytes());
                ffi::ds_session_config { owner_id, owner_id_len, session_lock_timeout_ms: *lock }
            });
            let tag_views: Vec<ffi::ds_str> = tags.iter().map(|t| ds_str(t)).collect();
            let filter = ffi::ds_tag_filter { mode, tags: tag_views.as_ptr(), tag_count: tag_views.len() };
            let session_ptr = session_view.as_ref().map_or(ptr::null(), |s| s as *const _);
            let mut fetched = c::FetchedWork::null();
            let out = fetched.out();
            check(OP, |err| unsafe {
                ffi::ds_provider_fetch_work_item(h.provider, lock_ms, poll_ms, session_ptr, &filter, out, err)
            })?;
            if fetched.is_null() {
                return Ok(None);
            }
            let mut len = 0usize;
            // SAFETY: views into fetched, read before it is freed.
            unsafe {
                let token = string(OP, ffi::ds_fetched_work_lock_token(fetched.0, &mut len), len)?;
                let attempt = ffi::ds_fetched_work_attempt_count(fetched.0);
                let w = &*ffi::ds_fetched_work_item(fetched.0);
                let item = serde_json::from_slice::<WorkItem>(bytes(w.payload, w.payload_len))
                    .map_err(|e| ProviderError::permanent(OP, format!("worker item cannot be deserialized: {e}")))?;
                Ok(Some((item, token, attempt)))
            }
        })
        .await
    }

    async fn ack_work_item(&self, token: &str, completion: Option<WorkItem>) -> Result<(), ProviderError> {
        const OP: &str = "ack_work_item";
        let token = token.to_string();
        let completion = completion.as_ref().map(|c| envelope::OrchestratorItem::new(OP, c)).transpose()?;
        self.blocking(move |h| {
            let view = completion.as_ref().map(|c| c.view());
            let view_ptr = view.as_ref().map_or(ptr::null(), |v| v as *const _);
            let (t, tl) = raw(token.as_bytes());
            check(OP, |err| unsafe { ffi::ds_provider_ack_work_item(h.provider, t, tl, view_ptr, err) })
        })
        .await
    }

    async fn renew_work_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        let renew: RenewFn = ffi::ds_provider_renew_work_item_lock;
        self.renew_lease("renew_work_item_lock", renew, token, extend_for).await
    }

    async fn renew_session_lock(
        &self,
        owner_ids: &[&str],
        extend_for: Duration,
        idle_timeout: Duration,
    ) -> Result<usize, ProviderError> {
        let owners: Vec<String> = owner_ids.iter().map(|s| s.to_string()).collect();
        self.blocking(move |h| {
            let views: Vec<ffi::ds_str> = owners.iter().map(|o| ds_str(o)).collect();
            let mut renewed = 0u64;
            check("renew_session_lock", |err| unsafe {
                ffi::ds_provider_renew_session_lock(
                    h.provider,
                    views.as_ptr(),
                    views.len(),
                    ms_ceil(extend_for).max(1),
                    ms(idle_timeout),
                    &mut renewed,
                    err,
                )
            })?;
            Ok(renewed as usize)
        })
        .await
    }

    async fn cleanup_orphaned_sessions(&self, idle_timeout: Duration) -> Result<usize, ProviderError> {
        self.blocking(move |h| {
            let mut removed = 0u64;
            check("cleanup_orphaned_sessions", |err| unsafe {
                ffi::ds_provider_cleanup_orphaned_sessions(h.provider, ms(idle_timeout), &mut removed, err)
            })?;
            Ok(removed as usize)
        })
        .await
    }

    async fn abandon_work_item(
        &self,
        token: &str,
        delay: Option<Duration>,
        ignore_attempt: bool,
    ) -> Result<(), ProviderError> {
        let abandon: AbandonFn = ffi::ds_provider_abandon_work_item;
        self.abandon_lease("abandon_work_item", abandon, token, delay, ignore_attempt).await
    }

    async fn renew_orchestration_item_lock(&self, token: &str, extend_for: Duration) -> Result<(), ProviderError> {
        let renew: RenewFn = ffi::ds_provider_renew_orchestration_item_lock;
        self.renew_lease("renew_orchestration_item_lock", renew, token, extend_for).await
    }

    async fn enqueue_for_orchestrator(&self, item: WorkItem, delay: Option<Duration>) -> Result<(), ProviderError> {
        const OP: &str = "enqueue_for_orchestrator";
        let item = envelope::OrchestratorItem::new(OP, &item)?;
        self.blocking(move |h| {
            let view = item.view();
            check(OP, |err| unsafe {
                ffi::ds_provider_enqueue_for_orchestrator(
                    h.provider,
                    &view,
                    delay.is_some(),
                    delay.map(ms).unwrap_or(0),
                    err,
                )
            })
        })
        .await
    }

    fn as_management_capability(&self) -> Option<&dyn ProviderAdmin> {
        Some(self)
    }

    async fn get_custom_status(
        &self,
        instance: &str,
        last_seen_version: u64,
    ) -> Result<Option<(Option<String>, u64)>, ProviderError> {
        const OP: &str = "get_custom_status";
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let mut changed = false;
            let mut status: *mut c_char = ptr::null_mut();
            let mut status_len = 0usize;
            let mut version = 0u64;
            let result = check(OP, |err| unsafe {
                ffi::ds_provider_get_custom_status(
                    h.provider,
                    p,
                    l,
                    last_seen_version,
                    &mut changed,
                    &mut status,
                    &mut status_len,
                    &mut version,
                    err,
                )
            });
            let owned = c::Buffer(status.cast());
            result?;
            if !changed {
                return Ok(None);
            }
            // SAFETY: status/status_len describe the buffer owned above.
            let status = unsafe { opt_string(OP, owned.0.cast(), status_len)? };
            Ok(Some((status, version)))
        })
        .await
    }

    async fn get_kv_value(&self, instance: &str, key: &str) -> Result<Option<String>, ProviderError> {
        const OP: &str = "get_kv_value";
        let (instance, key) = (instance.to_string(), key.to_string());
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let (k, kl) = raw(key.as_bytes());
            let mut value: *mut c_char = ptr::null_mut();
            let mut value_len = 0usize;
            let result = check(OP, |err| unsafe {
                ffi::ds_provider_get_kv_value(h.provider, p, l, k, kl, &mut value, &mut value_len, err)
            });
            let owned = c::Buffer(value.cast());
            result?;
            // SAFETY: value/value_len describe the buffer owned above.
            unsafe { opt_string(OP, owned.0.cast(), value_len) }
        })
        .await
    }

    async fn get_kv_all_values(&self, instance: &str) -> Result<HashMap<String, String>, ProviderError> {
        const OP: &str = "get_kv_all_values";
        let instance = instance.to_string();
        self.blocking(move |h| {
            let (p, l) = raw(instance.as_bytes());
            let mut kvs = c::Kvs::null();
            let out = kvs.out();
            check(OP, |err| unsafe { ffi::ds_provider_get_kv_all_values(h.provider, p, l, out, err) })?;
            let mut n = 0usize;
            // SAFETY: n views into kvs, read before it is freed.
            unsafe {
                let items = ffi::ds_kvs_items(kvs.0, &mut n);
                (0..n)
                    .map(|i| {
                        let kv = &*items.add(i);
                        Ok((string(OP, kv.key, kv.key_len)?, string(OP, kv.value, kv.value_len)?))
                    })
                    .collect()
            }
        })
        .await
    }
}

mod admin;
