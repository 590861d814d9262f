//! Duroxide's runtime on durastore, measured. Run it optimised:
//!
//!   cargo run --offline --release --example bench -- [--workload hello|latency|fanout|all]
//!       [--instances N] [--samples N] [--durability sync|nosync]
//!       [--orchestration-concurrency N] [--worker-concurrency N] [--duration S]
//!       [--path DIR] [--starts concurrent|sequential] [--json]
//!
//! Workloads:
//!   hello    N hello-world orchestrations (one activity each) started at once (N
//!            concurrent client starts; --starts sequential: one after another); reports
//!            orchestrations/s from the first start to the last completion
//!   latency  --samples single hello-world orchestrations one after another on an idle
//!            store; reports end-to-end latency (start -> completion seen) p50/p99
//!   fanout   Duroxide's own provider stress test (provider_stress_tests
//!            parallel_orchestrations: up to 20 instances in flight, 5 activities of 10 ms
//!            each) for --duration seconds; reports orchestrations/s and activities/s
//! Every run prints the environment and the machine's fdatasync latency in the store's
//! directory (median of 200 pwrite 4 KiB + fdatasync, as durastore-bench measures it).
//! With --json each workload also prints one JSON object on one line, with
//! durastore-bench's field names where they apply (workload, engine, durability,
//! writers = orchestration dispatchers, ops, ops_per_sec, p50_us, p99_us, fdatasync_us).
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use duroxide::provider_stress_tests::parallel_orchestrations::{
    run_parallel_orchestrations_test_with_config, ProviderStressFactory,
};
use duroxide::provider_stress_tests::StressTestConfig;
use duroxide::providers::Provider;
use duroxide::runtime::registry::ActivityRegistry;
use duroxide::runtime::{self, OrchestrationStatus, RuntimeOptions};
use duroxide::{ActivityContext, Client, OrchestrationContext, OrchestrationRegistry};
use duroxide_durastore::{DurastoreOptions, DurastoreProvider};

struct Config {
    workload: String,
    instances: usize,
    samples: usize,
    sync: bool,
    orchestration_concurrency: usize,
    worker_concurrency: usize,
    duration_s: u64,
    path: PathBuf,
    json: bool,
    sequential_starts: bool,
}

fn usage(error: &str) -> ! {
    eprintln!("bench: {error}\n(see the comment at the top of examples/bench.rs)");
    std::process::exit(2);
}

fn parse() -> Config {
    let defaults = RuntimeOptions::default();
    let mut c = Config {
        workload: "all".into(),
        instances: 2000,
        samples: 200,
        sync: true,
        orchestration_concurrency: defaults.orchestration_concurrency,
        worker_concurrency: defaults.worker_concurrency,
        duration_s: 10,
        path: std::env::temp_dir(),
        json: false,
        sequential_starts: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--json" {
            c.json = true;
            continue;
        }
        let value = args.next().unwrap_or_else(|| usage(&format!("{flag} needs a value")));
        let number = || value.parse::<usize>().unwrap_or_else(|_| usage(&format!("{flag} {value}: not a number")));
        match flag.as_str() {
            "--workload" if ["hello", "latency", "fanout", "all"].contains(&value.as_str()) => c.workload = value,
            "--instances" => c.instances = number(),
            "--samples" => c.samples = number().max(1),
            "--durability" if value == "sync" || value == "nosync" => c.sync = value == "sync",
            "--orchestration-concurrency" => c.orchestration_concurrency = number().max(1),
            "--worker-concurrency" => c.worker_concurrency = number().max(1),
            "--duration" => c.duration_s = number() as u64,
            "--path" => c.path = PathBuf::from(value),
            "--starts" if value == "concurrent" || value == "sequential" => c.sequential_starts = value == "sequential",
            _ => usage(&format!("unknown flag or value: {flag} {value}")),
        }
    }
    c
}

/// Median pwrite 4 KiB + fdatasync in `dir`, microseconds.
fn fdatasync_us(dir: &Path) -> f64 {
    let file_path = dir.join("fdatasync-probe");
    let Ok(file) = std::fs::OpenOptions::new().create(true).truncate(true).read(true).write(true).open(&file_path)
    else {
        return 0.0;
    };
    let page = vec![b'x'; 4096];
    let mut us = Vec::new();
    for i in 0..200u64 {
        if file.write_at(&page, (i % 16) * 4096).is_err() {
            break;
        }
        let start = Instant::now();
        if file.sync_data().is_err() {
            break;
        }
        us.push(start.elapsed().as_secs_f64() * 1e6);
    }
    let _ = std::fs::remove_file(&file_path);
    us.sort_by(f64::total_cmp);
    us.get(us.len() / 2).copied().unwrap_or(0.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

struct Run {
    _dir: tempfile::TempDir,
    store: Arc<DurastoreProvider>,
    rt: Arc<runtime::Runtime>,
    client: Client,
}

async fn start(c: &Config) -> Run {
    let dir = tempfile::tempdir_in(&c.path).expect("temp dir");
    let options = DurastoreOptions { sync: c.sync, ..DurastoreOptions::default() };
    let store = Arc::new(DurastoreProvider::open(dir.path().join("store"), options).expect("open"));
    let activities = ActivityRegistry::builder()
        .register("Hello", |_ctx: ActivityContext, name: String| async move { Ok(format!("Hello, {name}!")) })
        .build();
    let orchestrations = OrchestrationRegistry::builder()
        .register("HelloWorld", |ctx: OrchestrationContext, name: String| async move {
            ctx.schedule_activity("Hello", name).await
        })
        .build();
    let options = RuntimeOptions {
        orchestration_concurrency: c.orchestration_concurrency,
        worker_concurrency: c.worker_concurrency,
        ..RuntimeOptions::default()
    };
    let rt = runtime::Runtime::start_with_options(store.clone(), activities, orchestrations, options).await;
    let client = Client::new(store.clone());
    Run { _dir: dir, store, rt, client }
}

fn report(c: &Config, workload: &str, ops: usize, seconds: f64, extra: &[(&str, String)], fsync_us: f64) {
    let per_sec = if seconds > 0.0 { ops as f64 / seconds } else { 0.0 };
    println!(
        "{workload}: {ops} orchestrations in {seconds:.2} s = {per_sec:.0} orchestrations/s{}",
        extra.iter().map(|(k, v)| format!(", {k} {v}")).collect::<String>()
    );
    if c.json {
        let mut fields = vec![
            format!("\"workload\":\"duroxide-{workload}\""),
            "\"engine\":\"durastore\"".to_string(),
            format!("\"durability\":\"{}\"", if c.sync { "sync" } else { "nosync" }),
            format!("\"writers\":{}", c.orchestration_concurrency),
            format!("\"worker_concurrency\":{}", c.worker_concurrency),
            format!("\"ops\":{ops}"),
            format!("\"duration_s\":{seconds:.3}"),
            format!("\"ops_per_sec\":{per_sec:.1}"),
            format!("\"fdatasync_us\":{fsync_us:.1}"),
        ];
        fields.extend(extra.iter().map(|(k, v)| format!("\"{k}\":{v}")));
        println!("{{{}}}", fields.join(","));
    }
}

async fn hello(c: &Config, fsync_us: f64) {
    let run = start(c).await;
    let started = Instant::now();
    // Started at once: concurrent starts share group commits, as concurrent clients would.
    let mut starts = tokio::task::JoinSet::new();
    let client = Arc::new(Client::new(run.store.clone()));
    for i in 0..c.instances {
        if c.sequential_starts {
            client.start_orchestration(format!("hello-{i}"), "HelloWorld", "bench").await.expect("start");
            continue;
        }
        let client = Arc::clone(&client);
        starts.spawn(async move { client.start_orchestration(format!("hello-{i}"), "HelloWorld", "bench").await });
    }
    while let Some(started) = starts.join_next().await {
        started.expect("start task").expect("start");
    }
    let mut completed = 0usize;
    for i in 0..c.instances {
        match run.client.wait_for_orchestration(&format!("hello-{i}"), Duration::from_secs(600)).await {
            Ok(OrchestrationStatus::Completed { .. }) => completed += 1,
            other => eprintln!("hello-{i}: {other:?}"),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let metrics = duroxide::providers::ProviderAdmin::get_system_metrics(&*run.store).await.expect("metrics");
    run.rt.shutdown(None).await;
    let failed = c.instances - completed;
    report(
        c,
        "hello",
        completed,
        seconds,
        &[("failed", failed.to_string()), ("events", metrics.total_events.to_string())],
        fsync_us,
    );
}

async fn latency(c: &Config, fsync_us: f64) {
    let run = start(c).await;
    let mut us = Vec::with_capacity(c.samples);
    let started = Instant::now();
    for i in 0..c.samples {
        let instance = format!("latency-{i}");
        let t = Instant::now();
        run.client.start_orchestration(&instance, "HelloWorld", "bench").await.expect("start");
        // Poll the status tightly: wait_for_orchestration's own backoff would dominate.
        loop {
            match run.client.get_orchestration_status(&instance).await.expect("status") {
                OrchestrationStatus::Completed { .. } => break,
                OrchestrationStatus::Failed { details, .. } => panic!("{instance}: {}", details.display_message()),
                _ => tokio::time::sleep(Duration::from_micros(200)).await,
            }
        }
        us.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let seconds = started.elapsed().as_secs_f64();
    run.rt.shutdown(None).await;
    us.sort_by(f64::total_cmp);
    let (p50, p99) = (percentile(&us, 0.50), percentile(&us, 0.99));
    println!(
        "latency: p50 {:.2} ms, p99 {:.2} ms ({:.1}x the fdatasync p50)",
        p50 / 1e3,
        p99 / 1e3,
        p50 / fsync_us.max(1.0)
    );
    report(
        c,
        "latency",
        c.samples,
        seconds,
        &[("p50_us", format!("{p50:.0}")), ("p99_us", format!("{p99:.0}"))],
        fsync_us,
    );
}

struct StressFactory {
    dir: tempfile::TempDir,
    sync: bool,
    config: StressTestConfig,
}

#[async_trait::async_trait]
impl ProviderStressFactory for StressFactory {
    async fn create_provider(&self) -> Arc<dyn Provider> {
        let path = self.dir.path().join(format!("store-{}", Instant::now().elapsed().as_nanos()));
        let options = DurastoreOptions { sync: self.sync, ..DurastoreOptions::default() };
        Arc::new(DurastoreProvider::open(path, options).expect("open"))
    }

    fn stress_test_config(&self) -> StressTestConfig {
        self.config.clone()
    }
}

async fn fanout(c: &Config, fsync_us: f64) {
    let config = StressTestConfig {
        duration_secs: c.duration_s,
        orch_concurrency: c.orchestration_concurrency,
        worker_concurrency: c.worker_concurrency,
        ..StressTestConfig::default()
    };
    let factory =
        StressFactory { dir: tempfile::tempdir_in(&c.path).expect("temp dir"), sync: c.sync, config: config.clone() };
    let r = run_parallel_orchestrations_test_with_config(&factory, config).await.expect("stress test");
    report(
        c,
        "fanout",
        r.completed,
        r.total_time.as_secs_f64(),
        &[
            ("failed", r.failed.to_string()),
            ("activities_per_sec", format!("{:.1}", r.activity_throughput)),
            ("avg_latency_ms", format!("{:.2}", r.avg_latency_ms)),
        ],
        fsync_us,
    );
}

#[tokio::main]
async fn main() {
    let c = parse();
    if cfg!(debug_assertions) {
        eprintln!("bench: WARNING: built without optimisation; use --release for figures");
    }
    let fsync_us = fdatasync_us(&c.path);
    println!(
        "environment: {} cores, store under {}, durability {}, dispatchers {} orchestration / {} worker, fdatasync p50 {:.0} us",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        c.path.display(),
        if c.sync { "sync" } else { "nosync" },
        c.orchestration_concurrency,
        c.worker_concurrency,
        fsync_us
    );
    let all = c.workload == "all";
    if all || c.workload == "hello" {
        hello(&c, fsync_us).await;
    }
    if all || c.workload == "latency" {
        latency(&c, fsync_us).await;
    }
    if all || c.workload == "fanout" {
        fanout(&c, fsync_us).await;
    }
}
