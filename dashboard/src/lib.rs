//! glomers dashboard: indexes a Maelstrom store folder in SQLite, watches it for new runs and
//! serves pages (runs list, run, compare, trend), a JSON API and Prometheus metrics.
//!
//! Data flow: [`rundir::scan`] finds run folders → [`ingest`] reads each new or changed one
//! ([`summary`] from `results.edn` and `jepsen.log`, [`analysis`] from `history.edn`) →
//! [`index`] stores it → [`web`] renders from the index. Node [`telemetry`] comes from the
//! file sink (read with each scan) and from OTLP/HTTP pushes (`/v1/traces`, `/v1/metrics`).

pub mod analysis;
pub mod config;
pub mod identity;
pub mod index;
pub mod ingest;
pub mod rundir;
pub mod self_metrics;
pub mod summary;
pub mod telemetry;
pub mod watch;
pub mod web;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use crate::index::Index;
use crate::ingest::{Ingester, Limits, ScanReport};
use crate::self_metrics::SelfMetrics;

/// Options beyond the store, index and limits.
#[derive(Debug, Clone)]
pub struct Options {
    /// File-sink telemetry kept outside the store (`--telemetry-dir`).
    pub telemetry_dir: Option<std::path::PathBuf>,
    /// Largest OTLP/HTTP request body accepted (bytes); larger ones get 413.
    pub otlp_max_bytes: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            telemetry_dir: None,
            otlp_max_bytes: web::otlp::DEFAULT_MAX_BYTES,
        }
    }
}

/// A dashboard over one store: the index, the ingester and the web state.
pub struct App {
    pub ingester: Arc<Ingester>,
    pub state: web::AppState,
}

impl App {
    /// Opens the index (`db`, or in memory) over `store`. Does not scan yet.
    pub fn new(store: &Path, db: Option<&Path>, limits: Limits) -> anyhow::Result<App> {
        Self::with_options(store, db, limits, Options::default())
    }

    /// [`App::new`] with [`Options`].
    pub fn with_options(
        store: &Path,
        db: Option<&Path>,
        limits: Limits,
        options: Options,
    ) -> anyhow::Result<App> {
        // A store folder that does not exist yet is waited for (see `watch`).
        let store = rundir::scan::resolve_store(store)
            .with_context(|| format!("store folder {}", store.display()))?;
        let index = Arc::new(match db {
            Some(p) => Index::open(p).with_context(|| format!("index {}", p.display()))?,
            None => Index::open_in_memory()?,
        });
        let metrics = Arc::new(SelfMetrics::new());
        if let Ok(n) = index.count() {
            metrics.runs_indexed.set(n);
        }
        let ingester = Arc::new(Ingester {
            store: store.clone(),
            index: index.clone(),
            metrics: metrics.clone(),
            limits,
            telemetry_dir: options.telemetry_dir.clone(),
        });
        let state = web::AppState {
            index,
            metrics,
            store,
            otlp_max_bytes: options.otlp_max_bytes,
        };
        Ok(App { ingester, state })
    }

    /// Scans the store once (blocking).
    pub fn rescan(&self) -> ScanReport {
        self.ingester.rescan()
    }

    /// Starts the background rescan loop.
    pub fn watch(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        watch::spawn(self.ingester.clone(), every)
    }

    /// The HTTP router.
    pub fn router(&self) -> axum::Router {
        web::router(self.state.clone())
    }
}

/// Runs the dashboard until killed.
pub async fn serve(args: config::Args) -> anyhow::Result<()> {
    let app = App::with_options(&args.store, Some(&args.db), args.limits(), args.options())?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listen on {}", args.listen))?;
    tracing::info!(
        "dashboard on http://{} over {} (index {})",
        listener.local_addr()?,
        app.state.store.display(),
        args.db.display()
    );
    app.watch(Duration::from_millis(args.rescan_ms.max(100)));
    axum::serve(listener, app.router()).await?;
    Ok(())
}
