//! A complete Duroxide application on durastore: one orchestration calling one activity.
//! Run: `cargo run --offline --example hello_world [STORE_DIR]` (docs/duroxide.md).
use std::sync::Arc;
use std::time::Duration;

use duroxide::runtime::registry::ActivityRegistry;
use duroxide::runtime::{self, OrchestrationStatus};
use duroxide::{ActivityContext, Client, OrchestrationContext, OrchestrationRegistry};
use duroxide_durastore::{DurastoreOptions, DurastoreProvider};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "duroxide-hello-store".to_string());
    // One store directory per application; durable (fdatasync) commits by default.
    let store = Arc::new(DurastoreProvider::open(&dir, DurastoreOptions::default())?);

    let activities = ActivityRegistry::builder()
        .register("Hello", |_ctx: ActivityContext, name: String| async move { Ok(format!("Hello, {name}!")) })
        .build();
    let orchestrations = OrchestrationRegistry::builder()
        .register("HelloWorld", |ctx: OrchestrationContext, name: String| async move {
            ctx.schedule_activity("Hello", name).await
        })
        .build();
    let rt = runtime::Runtime::start_with_store(store.clone(), activities, orchestrations).await;

    let client = Client::new(store);
    let instance = format!("hello-{}", std::process::id());
    client.start_orchestration(&instance, "HelloWorld", "durastore").await?;
    match client.wait_for_orchestration(&instance, Duration::from_secs(10)).await? {
        OrchestrationStatus::Completed { output, .. } => println!("{instance}: {output}"),
        other => return Err(format!("{instance}: {other:?}").into()),
    }
    rt.shutdown(None).await;
    Ok(())
}
