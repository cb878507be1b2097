//! Extension point for node telemetry (DESIGN.md, Telemetry). Not built yet: a later session
//! adds OTLP/HTTP ingestion (`/v1/traces`, `/v1/metrics`) and reads the file sink that nodes
//! write under a run's `telemetry/` folder, storing spans and metric points in new index
//! tables (a migration in `index/schema.rs`) keyed by run id, and fills the run page's
//! `#telemetry` section (span waterfalls, per-node message rates) from [`TelemetryInfo`].
//!
//! For now this module only notices whether a run folder has telemetry files, so the run page
//! can say so.

use std::path::Path;

use crate::rundir::files::{list_files, FileEntry};

/// What is known about a run's telemetry.
#[derive(Debug, Clone, Default)]
pub struct TelemetryInfo {
    /// Files under `<run>/telemetry/` (the node file sink), relative to the run folder.
    pub files: Vec<FileEntry>,
}

/// Looks for telemetry of the run in `run_dir`.
pub fn for_run(run_dir: &Path) -> TelemetryInfo {
    let dir = run_dir.join("telemetry");
    if !dir.is_dir() {
        return TelemetryInfo::default();
    }
    let files = list_files(&dir)
        .into_iter()
        .map(|f| FileEntry {
            path: format!("telemetry/{}", f.path),
            size: f.size,
        })
        .collect();
    TelemetryInfo { files }
}
