//! Duroxide's real runtime on durastore, end to end: the contract's scenarios (hello world,
//! fan-out/fan-in, a timer racing an external event), sub-orchestrations, continue-as-new
//! and KV. Each test asserts the outputs and the stored histories: every execution's
//! event ids are exactly 1..=n (no duplicate or lost event), each start made exactly the
//! executions it should, and the queues are empty afterwards.
use std::sync::Arc;
use std::time::Duration;

use duroxide::providers::ProviderAdmin;
use duroxide::runtime::registry::ActivityRegistry;
use duroxide::runtime::{self, OrchestrationStatus, RuntimeOptions};
use duroxide::{ActivityContext, Client, Either2, EventKind, OrchestrationContext, OrchestrationRegistry};
use duroxide_durastore::{DurastoreOptions, DurastoreProvider};

const WAIT: Duration = Duration::from_secs(30);

struct Env {
    _dir: tempfile::TempDir,
    store: Arc<DurastoreProvider>,
    rt: Arc<runtime::Runtime>,
    client: Client,
}

async fn start(activities: ActivityRegistry, orchestrations: OrchestrationRegistry) -> Env {
    start_with(activities, orchestrations, RuntimeOptions::default()).await
}

async fn start_with(
    activities: ActivityRegistry,
    orchestrations: OrchestrationRegistry,
    options: RuntimeOptions,
) -> Env {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(DurastoreProvider::open(dir.path().join("store"), DurastoreOptions::default()).expect("open"));
    // A short long-poll so shutdown does not wait out the default 30 s poll.
    let options = RuntimeOptions { dispatcher_long_poll_timeout: Duration::from_secs(1), ..options };
    let rt = runtime::Runtime::start_with_options(store.clone(), activities, orchestrations, options).await;
    let client = Client::new(store.clone());
    Env { _dir: dir, store, rt, client }
}

impl Env {
    async fn completed(&self, instance: &str) -> String {
        match self.client.wait_for_orchestration(instance, WAIT).await.expect("wait") {
            OrchestrationStatus::Completed { output, .. } => output,
            other => panic!("{instance}: expected Completed, got {other:?}"),
        }
    }

    /// Every execution's history has event ids 1..=n; returns the executions.
    async fn check_history(&self, instance: &str) -> Vec<u64> {
        let executions = self.store.list_executions(instance).await.expect("executions");
        for &e in &executions {
            let history = self.store.read_history_with_execution_id(instance, e).await.expect("history");
            let ids: Vec<u64> = history.iter().map(|ev| ev.event_id).collect();
            assert_eq!(ids, (1..=history.len() as u64).collect::<Vec<_>>(), "{instance} execution {e}");
            assert!(matches!(history[0].kind, EventKind::OrchestrationStarted { .. }), "{instance} execution {e}");
        }
        executions
    }

    /// Shuts the runtime down after checking that no work is left behind except
    /// `pending_timers` timers that fire after their orchestration finished (delivered
    /// later, then discarded by the runtime).
    async fn stop(self, pending_timers: usize) {
        let depths = self.store.get_queue_depths().await.expect("depths");
        self.rt.shutdown(None).await;
        assert_eq!((depths.orchestrator_queue, depths.worker_queue), (pending_timers, 0), "queues drained");
    }
}

fn greeter() -> ActivityRegistry {
    ActivityRegistry::builder()
        .register("Hello", |_ctx: ActivityContext, name: String| async move { Ok(format!("Hello, {name}!")) })
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hello_world() {
    let orchestrations = OrchestrationRegistry::builder()
        .register("HelloWorld", |ctx: OrchestrationContext, name: String| async move {
            ctx.schedule_activity("Hello", name).await
        })
        .build();
    let env = start(greeter(), orchestrations).await;
    env.client.start_orchestration("hello-1", "HelloWorld", "Rust").await.expect("start");
    assert_eq!(env.completed("hello-1").await, "Hello, Rust!");
    assert_eq!(env.check_history("hello-1").await, vec![1]);
    env.stop(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fan_out_fan_in() {
    let orchestrations = OrchestrationRegistry::builder()
        .register("FanOut", |ctx: OrchestrationContext, _input: String| async move {
            let first = ["a", "b", "c"].iter().map(|n| ctx.schedule_activity("Hello", *n)).collect();
            let mut out: Vec<String> = ctx.join(first).await.into_iter().collect::<Result<_, _>>()?;
            let second = ["d", "e", "f"].iter().map(|n| ctx.schedule_activity("Hello", *n)).collect();
            out.extend(ctx.join(second).await.into_iter().collect::<Result<Vec<_>, _>>()?);
            Ok::<_, String>(out.join(" "))
        })
        .build();
    let env = start(greeter(), orchestrations).await;
    for i in 0..5 {
        env.client.start_orchestration(format!("fan-{i}"), "FanOut", "").await.expect("start");
    }
    for i in 0..5 {
        let instance = format!("fan-{i}");
        assert_eq!(env.completed(&instance).await, "Hello, a! Hello, b! Hello, c! Hello, d! Hello, e! Hello, f!");
        assert_eq!(env.check_history(&instance).await, vec![1]);
    }
    env.stop(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn timer_races_an_external_event() {
    let orchestrations = OrchestrationRegistry::builder()
        .register("Approval", |ctx: OrchestrationContext, timeout_ms: String| async move {
            let timeout = Duration::from_millis(timeout_ms.parse().map_err(|e| format!("{e}"))?);
            match ctx.select2(ctx.schedule_timer(timeout), ctx.schedule_wait("Approved")).await {
                Either2::First(()) => Ok::<_, String>("timed out".to_string()),
                Either2::Second(data) => Ok(format!("approved by {data}")),
            }
        })
        .build();
    let env = start(ActivityRegistry::builder().build(), orchestrations).await;
    // The event (raised after 500 ms) beats a 5 s timer; a 300 ms timer beats no event.
    env.client.start_orchestration("event-wins", "Approval", "5000").await.expect("start");
    env.client.start_orchestration("timer-wins", "Approval", "300").await.expect("start");
    tokio::time::sleep(Duration::from_millis(500)).await;
    env.client.raise_event("event-wins", "Approved", "alice").await.expect("raise");
    let started = std::time::Instant::now();
    assert_eq!(env.completed("event-wins").await, "approved by alice");
    assert!(started.elapsed() < Duration::from_secs(4), "the event, not the 5 s timer, ended it");
    assert_eq!(env.completed("timer-wins").await, "timed out");
    env.check_history("event-wins").await;
    env.check_history("timer-wins").await;
    env.stop(1).await; // event-wins' 5 s timer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sub_orchestrations_report_to_their_parent() {
    let orchestrations = OrchestrationRegistry::builder()
        .register("Child", |ctx: OrchestrationContext, name: String| async move {
            ctx.schedule_activity("Hello", name).await
        })
        .register("Parent", |ctx: OrchestrationContext, _input: String| async move {
            let children =
                vec![ctx.schedule_sub_orchestration("Child", "x"), ctx.schedule_sub_orchestration("Child", "y")];
            let out: Vec<String> = ctx.join(children).await.into_iter().collect::<Result<_, _>>()?;
            Ok::<_, String>(out.join(" | "))
        })
        .build();
    let env = start(greeter(), orchestrations).await;
    env.client.start_orchestration("parent", "Parent", "").await.expect("start");
    assert_eq!(env.completed("parent").await, "Hello, x! | Hello, y!");
    env.check_history("parent").await;
    let children = env.store.list_children("parent").await.expect("children");
    assert_eq!(children.len(), 2, "{children:?}");
    for child in &children {
        assert_eq!(env.store.get_parent_id(child).await.expect("parent id").as_deref(), Some("parent"));
        assert_eq!(env.check_history(child).await, vec![1]);
    }
    env.stop(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn continue_as_new_makes_one_execution_per_round() {
    let orchestrations = OrchestrationRegistry::builder()
        .register("Counter", |ctx: OrchestrationContext, input: String| async move {
            let n: u32 = input.parse().map_err(|e| format!("{e}"))?;
            if n < 3 {
                return ctx.continue_as_new((n + 1).to_string()).await;
            }
            Ok(format!("done at {n}"))
        })
        .build();
    let env = start(ActivityRegistry::builder().build(), orchestrations).await;
    env.client.start_orchestration("counter", "Counter", "1").await.expect("start");
    assert_eq!(env.completed("counter").await, "done at 3");
    assert_eq!(env.check_history("counter").await, vec![1, 2, 3]);
    for e in [1, 2] {
        let info = env.store.get_execution_info("counter", e).await.expect("info");
        assert_eq!(info.status, "ContinuedAsNew");
    }
    env.stop(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kv_values_reach_clients_and_later_executions_with_their_times() {
    let orchestrations = OrchestrationRegistry::builder()
        .register("Kv", |ctx: OrchestrationContext, input: String| async move {
            let (round, before) = input.split_once(':').ok_or("input is round:before_ms")?;
            if round == "first" {
                ctx.set_kv_value("color", "blue");
                return ctx.continue_as_new(format!("second:{before}")).await;
            }
            // The second execution's snapshot holds the first's value with the time the
            // runtime set it: a key set after `before` is not pruned as older than it.
            let seen = ctx.get_kv_value("color").unwrap_or_default();
            let pruned = ctx.prune_kv_values_updated_before(before.parse().map_err(|e| format!("{e}"))?);
            ctx.set_kv_value("seen", seen.clone());
            Ok(format!("{seen} pruned={pruned}"))
        })
        .build();
    let env = start(ActivityRegistry::builder().build(), orchestrations).await;
    let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    env.client.start_orchestration("kv", "Kv", format!("first:{before}")).await.expect("start");
    assert_eq!(env.completed("kv").await, "blue pruned=0");
    assert_eq!(env.client.get_kv_value("kv", "seen").await.expect("kv").as_deref(), Some("blue"));
    assert_eq!(env.client.get_kv_value("kv", "color").await.expect("kv").as_deref(), Some("blue"));
    assert_eq!(env.check_history("kv").await, vec![1, 2]);
    env.stop(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_losing_activity_is_cancelled_through_its_lost_lock() {
    let (cancelled_tx, mut cancelled_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let activities = ActivityRegistry::builder()
        .register("Slow", move |ctx: ActivityContext, input: String| {
            let cancelled_tx = cancelled_tx.clone();
            async move {
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(60)) => Ok(format!("finished {input}")),
                    _ = ctx.cancelled() => {
                        let _ = cancelled_tx.send(input);
                        Err("cancelled".to_string())
                    }
                }
            }
        })
        .build();
    let orchestrations = OrchestrationRegistry::builder()
        .register("Race", |ctx: OrchestrationContext, input: String| async move {
            match ctx
                .select2(ctx.schedule_activity("Slow", input), ctx.schedule_timer(Duration::from_millis(200)))
                .await
            {
                Either2::First(result) => result,
                Either2::Second(()) => Ok("timer won".to_string()),
            }
        })
        .build();
    // A short worker lock so the worker renews (and learns of the cancellation) soon.
    let options = RuntimeOptions {
        worker_lock_timeout: Duration::from_secs(2),
        worker_lock_renewal_buffer: Duration::from_secs(1),
        ..RuntimeOptions::default()
    };
    let env = start_with(activities, orchestrations, options).await;
    env.client.start_orchestration("race", "Race", "job-1").await.expect("start");
    assert_eq!(env.completed("race").await, "timer won");
    let cancelled = tokio::time::timeout(Duration::from_secs(15), cancelled_rx.recv()).await;
    assert_eq!(cancelled.expect("the activity saw its cancellation").as_deref(), Some("job-1"));
    env.check_history("race").await;
    env.stop(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn session_activities_stay_on_one_worker() {
    let activities = ActivityRegistry::builder()
        .register("Where", |ctx: ActivityContext, _input: String| async move {
            Ok(format!("{}@{}", ctx.session_id().unwrap_or("none"), ctx.worker_id()))
        })
        .build();
    let orchestrations = OrchestrationRegistry::builder()
        .register("Sessions", |ctx: OrchestrationContext, _input: String| async move {
            let mut out = Vec::new();
            for session in ["s1", "s2", "s1", "s2", "s1"] {
                out.push(ctx.schedule_activity_on_session("Where", "", session).await?);
            }
            Ok::<_, String>(out.join(" "))
        })
        .build();
    let env = start(activities, orchestrations).await;
    env.client.start_orchestration("sessions", "Sessions", "").await.expect("start");
    let output = env.completed("sessions").await;
    println!("sessions: {output}");
    let places: Vec<(&str, &str)> = output.split(' ').map(|p| p.split_once('@').expect("session@worker")).collect();
    assert_eq!(places.iter().map(|p| p.0).collect::<Vec<_>>(), ["s1", "s2", "s1", "s2", "s1"], "{output}");
    for session in ["s1", "s2"] {
        let workers: std::collections::HashSet<&str> = places.iter().filter(|p| p.0 == session).map(|p| p.1).collect();
        assert_eq!(workers.len(), 1, "{session} ran on {workers:?}");
    }
    env.check_history("sessions").await;
    env.stop(0).await;
}
