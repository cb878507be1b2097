//! Keeps the index in step with the store: a background task rescans every interval (a new
//! run folder shows up within one interval, a changed one is read again). Polling rather
//! than filesystem events: it also sees stores on network or bind mounts, and costs a few
//! `stat` calls per run. A store folder that does not exist yet (the dashboard opened before
//! the first run) is waited for: checked every interval, scanned once it appears.

use std::sync::Arc;
use std::time::Duration;

use crate::ingest::Ingester;

/// Spawns the rescan loop on the tokio runtime; the first scan runs at once.
pub fn spawn(ingester: Arc<Ingester>, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut waiting = false;
        loop {
            if !ingester.store.is_dir() {
                if !waiting {
                    tracing::info!(
                        "store folder {} does not exist yet: waiting for it (checked every {} ms)",
                        ingester.store.display(),
                        every.as_millis()
                    );
                    waiting = true;
                }
                tokio::time::sleep(every).await;
                continue;
            }
            if waiting {
                tracing::info!("store folder {} appeared", ingester.store.display());
                waiting = false;
            }
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
