//! kill -9 while Duroxide's runtime runs on durastore: a child process (this test binary,
//! re-run with DUROXIDE_CRASH_CHILD set) starts orchestrations and runs them, and is
//! SIGKILLed at a random moment, again and again. Afterwards one clean run drains the
//! store, and every orchestration any child started has completed exactly once: the
//! right output, one execution, event ids 1..n, one completion per scheduled activity
//! and one OrchestrationCompleted.
//!
//! DUROXIDE_CRASH_ROUNDS (default 8) sets the number of kills; DUROXIDE_CRASH_SEED
//! replays a run (the seed is printed).
use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use duroxide::providers::ProviderAdmin;
use duroxide::runtime::registry::ActivityRegistry;
use duroxide::runtime::{self, OrchestrationStatus, RuntimeOptions};
use duroxide::{ActivityContext, Client, EventKind, OrchestrationContext, OrchestrationRegistry};
use duroxide_durastore::{DurastoreOptions, DurastoreProvider};

const CHILD_ENV: &str = "DUROXIDE_CRASH_CHILD";
const PER_ROUND: usize = 100;

fn registries() -> (ActivityRegistry, OrchestrationRegistry) {
    let activities = ActivityRegistry::builder()
        .register("Step", |_ctx: ActivityContext, input: String| async move { Ok(format!("<{input}>")) })
        .build();
    let orchestrations = OrchestrationRegistry::builder()
        .register("Chain", |ctx: OrchestrationContext, input: String| async move {
            let mut out = input;
            for _ in 0..3 {
                out = ctx.schedule_activity("Step", out).await?;
            }
            ctx.schedule_timer(Duration::from_millis(10)).await;
            Ok::<_, String>(out)
        })
        .build();
    (activities, orchestrations)
}

async fn open_runtime(dir: &std::path::Path) -> (Arc<DurastoreProvider>, Arc<runtime::Runtime>) {
    let store = Arc::new(DurastoreProvider::open(dir, DurastoreOptions::default()).expect("open store"));
    let (activities, orchestrations) = registries();
    let options = RuntimeOptions {
        dispatcher_long_poll_timeout: Duration::from_millis(500),
        orchestration_concurrency: 4,
        worker_concurrency: 4,
        ..RuntimeOptions::default()
    };
    let rt = runtime::Runtime::start_with_options(store.clone(), activities, orchestrations, options).await;
    (store, rt)
}

/// The child: starts this round's instances, then runs the runtime until it is killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_child_entry() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return; // only meaningful as the child of kill_9_during_orchestrations
    };
    let round: usize = std::env::var("DUROXIDE_CRASH_ROUND").expect("round").parse().expect("round number");
    let (store, _rt) = open_runtime(std::path::Path::new(&dir)).await;
    let client = Client::new(store);
    for i in 0..PER_ROUND {
        client.start_orchestration(format!("r{round}-{i}"), "Chain", format!("{round}.{i}")).await.expect("start");
    }
    tokio::time::sleep(Duration::from_secs(600)).await; // killed long before
}

/// A small deterministic generator (xorshift) so a seed replays the kill times.
struct Rng(u64);
impl Rng {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_during_orchestrations() {
    if std::env::var(CHILD_ENV).is_ok() {
        return;
    }
    let rounds: usize = std::env::var("DUROXIDE_CRASH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(8);
    let seed: u64 = std::env::var("DUROXIDE_CRASH_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    }) | 1;
    println!("DUROXIDE_CRASH_SEED={seed}");
    let mut rng = Rng(seed);
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("store");
    let exe = std::env::current_exe().expect("test binary");
    for round in 0..rounds {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child_entry", "--nocapture", "--test-threads", "1"])
            .env(CHILD_ENV, &dir)
            .env("DUROXIDE_CRASH_ROUND", round.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn child");
        std::thread::sleep(Duration::from_millis(100 + rng.next(400)));
        child.kill().expect("SIGKILL"); // Child::kill sends SIGKILL on Unix
        let status = child.wait().expect("wait");
        assert!(!status.success(), "round {round}: the child finished before it was killed");
    }

    // One clean run drains everything the children left: queued starts, locked turns
    // (leases do not survive a reopen), half-run activities, pending timers.
    let (store, rt) = open_runtime(&dir).await;
    let client = Client::new(store.clone());
    let left = store.get_queue_depths().await.expect("depths");
    let started = store.list_instances().await.expect("instances").len();
    println!("after the last kill: {started} instances with a first turn, queued work {left:?}");
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut outputs: HashMap<String, String> = HashMap::new();
    loop {
        let depths = store.get_queue_depths().await.expect("depths");
        let instances = store.list_instances().await.expect("instances");
        let mut running = 0;
        for instance in &instances {
            match client.get_orchestration_status(instance).await.expect("status") {
                OrchestrationStatus::Completed { output, .. } => {
                    outputs.insert(instance.clone(), output);
                }
                OrchestrationStatus::Failed { details, .. } => {
                    panic!("{instance} failed: {}", details.display_message())
                }
                _ => running += 1,
            }
        }
        if running == 0 && depths.orchestrator_queue == 0 && depths.worker_queue == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "not drained: {running} running, {depths:?} (seed {seed})");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    rt.shutdown(None).await;

    assert!(!outputs.is_empty(), "no child got as far as one started orchestration (seed {seed})");
    for (instance, output) in &outputs {
        let input = instance.trim_start_matches('r').replace('-', ".");
        assert_eq!(output, &format!("<<<{input}>>>"), "{instance} (seed {seed})");
        assert_eq!(store.list_executions(instance).await.expect("executions"), vec![1], "{instance}");
        let history = store.read_history_with_execution_id(instance, 1).await.expect("history");
        let ids: Vec<u64> = history.iter().map(|e| e.event_id).collect();
        assert_eq!(ids, (1..=history.len() as u64).collect::<Vec<_>>(), "{instance} (seed {seed})");
        let count = |f: fn(&EventKind) -> bool| history.iter().filter(|e| f(&e.kind)).count();
        assert_eq!(count(|k| matches!(k, EventKind::ActivityScheduled { .. })), 3, "{instance}");
        assert_eq!(count(|k| matches!(k, EventKind::ActivityCompleted { .. })), 3, "{instance}");
        assert_eq!(count(|k| matches!(k, EventKind::OrchestrationCompleted { .. })), 1, "{instance}");
    }
    println!("{} orchestrations completed exactly once across {rounds} kills (seed {seed})", outputs.len());
}
