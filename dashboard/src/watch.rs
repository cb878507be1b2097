//! Keeps the index in step with the store: a background task rescans every interval (a new
//! run folder shows up within one interval, a changed one is read again). Polling rather
//! than filesystem events: it also sees stores on network or bind mounts, and costs a few
//! `stat` calls per run.

use std::sync::Arc;
use std::time::Duration;

use crate::ingest::Ingester;

/// Spawns the rescan loop on the tokio runtime; the first scan runs at once.
pub fn spawn(ingester: Arc<Ingester>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let ing = ingester.clone();
            match tokio::task::spawn_blocking(move || ing.rescan()).await {
                Ok(r) if r.ingested > 0 || r.gone > 0 => {
                    tracing::info!(
                        "store scan: {} runs, {} read, {} unchanged, {} gone, {} with problems",
                        r.found,
                        r.ingested,
                        r.unchanged,
                        r.gone,
                        r.errors
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("store scan failed: {e}"),
            }
            tokio::time::sleep(every).await;
        }
    })
}
