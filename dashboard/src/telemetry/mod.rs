//! Node telemetry (DESIGN.md, Telemetry): spans and metric points from the nodes' file sink
//! and from OTLP/HTTP, stored in the index per run and shown on the run page.
//!
//! Where telemetry comes from, and how it is tied to a run:
//! - files in a run folder (`<run>/telemetry/<node>/<start-ms>-<pid>/`, the harness's
//!   `--telemetry`) belong to that run;
//! - files under the dashboard's `--telemetry-dir` (the `GLOMERS_TELEMETRY_DIR` given to nodes
//!   under real Maelstrom) and OTLP pushes are tied by [`assign`]: a `glomers.run` resource
//!   attribute when present, else the run whose time window holds the node process's first
//!   and last timestamps and whose node ids include the node's id.
//!
//! [`file_sink`] reads the node folders, [`otlp`] decodes OTLP requests, [`prom_text`] parses
//! `metrics.prom`, [`sync`] keeps the index in step with the files, [`figures`] turns metric
//! points into the per-node figures of the run page.

pub mod assign;
pub mod figures;
pub mod file_sink;
pub mod otlp;
pub mod prom_text;
pub mod records;
pub mod sync;

use std::path::Path;

use crate::rundir::files::{list_files, FileEntry};

/// The files of a run's own telemetry folder (linked from the run page).
pub fn files_of_run(run_dir: &Path) -> Vec<FileEntry> {
    let dir = run_dir.join("telemetry");
    if !dir.is_dir() {
        return Vec::new();
    }
    list_files(&dir)
        .into_iter()
        .map(|f| FileEntry {
            path: format!("telemetry/{}", f.path),
            size: f.size,
        })
        .collect()
}
