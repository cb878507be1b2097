//! Keeps the index in step with file-sink folders: the `telemetry/` folder of every run and,
//! when configured, an outside `--telemetry-dir`. A folder whose files did not change is not
//! read; `spans.jsonl` is read on from where the last scan stopped; `metrics.prom` replaces
//! the stored series. Also ties waiting sources (files from outside, OTLP) to runs.

use std::path::Path;
use std::time::Instant;

use super::assign::{self, Process, RunWindow};
use super::file_sink;
use super::prom_text;
use super::records::SourceIn;
use crate::index::telemetry::TelWrite;
use crate::index::Index;

/// What one pass over the telemetry files did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilesReport {
    pub folders: usize,
    pub read: usize,
    pub spans: usize,
    pub points: usize,
    pub skipped_lines: usize,
    pub assigned: usize,
    pub unassigned: usize,
    pub errors: usize,
}

/// Reads one node folder into the index if it changed. `run_id`: the run it belongs to when
/// it lies in that run's folder.
pub fn sync_folder(
    index: &Index,
    folder: &Path,
    run_id: Option<&str>,
    report: &mut FilesReport,
) -> rusqlite::Result<()> {
    report.folders += 1;
    let canonical = folder
        .canonicalize()
        .unwrap_or_else(|_| folder.to_path_buf());
    let key = format!("file:{}", canonical.display());
    let fp = file_sink::fingerprint(folder);
    let known = index.tel_source(&key)?;
    if let Some(k) = &known {
        if k.fingerprint == fp && (run_id.is_none() || k.run_id.as_deref() == run_id) {
            return Ok(());
        }
    }
    report.read += 1;
    let (meta, _problem) = file_sink::read_meta(folder);
    let source = SourceIn {
        key: key.clone(),
        via: "file",
        node: meta.node_id.clone(),
        node_ids: meta.node_ids.clone(),
        service: meta.service_name.clone().or(meta.binary.clone()),
        pid: meta.pid,
        first_ms: meta.start_unix_ms,
        last_ms: meta.last_flush_unix_ms.or(meta.start_unix_ms),
        run_hint: None,
    };
    let id = index.tel_upsert_source(&source, run_id)?;

    // Spans: on from the stored offset; from 0 when the file shrank (it was replaced).
    let len = file_sink::spans_len(folder) as i64;
    let mut offset = known.as_ref().map_or(0, |k| k.spans_offset);
    let mut reset = false;
    if len < offset {
        offset = 0;
        reset = true;
    }
    let points = file_sink::read_metrics(folder)
        .map(|t| prom_text::parse(&t, file_sink::metrics_time_ms(folder)))
        .unwrap_or_default();
    report.points += points.points.len();
    let mut first = true;
    loop {
        let chunk = if offset < len {
            file_sink::read_spans_chunk(folder, offset as u64)
        } else {
            None
        };
        let (spans, next, skipped) = match chunk {
            Some(c) => (c.spans, c.next_offset as i64, c.skipped),
            None => (Vec::new(), offset, 0),
        };
        report.spans += spans.len();
        report.skipped_lines += skipped;
        let done = next <= offset || next >= len;
        index.tel_write(
            id,
            &TelWrite {
                spans: &spans,
                reset_spans: reset && first,
                points: if first { &points.points } else { &[] },
                replace_points: first && !points.points.is_empty(),
                spans_offset: Some(next),
                skipped_lines: skipped as i64,
                fingerprint: done.then_some(fp.as_str()),
            },
        )?;
        first = false;
        offset = next;
        if done {
            return Ok(());
        }
    }
}

/// Reads every node folder under `root` (a run's `telemetry/` or the outside directory).
pub fn sync_root(index: &Index, root: &Path, run_id: Option<&str>, report: &mut FilesReport) {
    for folder in file_sink::node_folders(root) {
        if let Err(e) = sync_folder(index, &folder, run_id, report) {
            tracing::warn!("telemetry folder {}: {e}", folder.display());
            report.errors += 1;
        }
    }
}

/// Ties waiting sources to runs by [`assign::pick`] (run windows are computed only when
/// something waits).
pub fn assign_waiting(index: &Index, report: &mut FilesReport) {
    let Ok(waiting) = index.tel_unassigned() else {
        report.errors += 1;
        return;
    };
    if waiting.is_empty() {
        return;
    }
    let windows: Vec<RunWindow> = run_windows(index);
    for s in waiting {
        let p = Process {
            node: s.node.as_deref(),
            node_ids: &s.node_ids,
            first_ms: s.first_ms,
            last_ms: s.last_ms,
            run_hint: s.run_hint.as_deref(),
        };
        match assign::pick(&windows, &p) {
            Some(run) => {
                if index.tel_assign(s.id, &run).is_ok() {
                    report.assigned += 1;
                } else {
                    report.errors += 1;
                }
            }
            None => report.unassigned += 1,
        }
    }
}

/// The windows of every indexed run.
pub fn run_windows(index: &Index) -> Vec<RunWindow> {
    let rows = index.list(None).unwrap_or_default();
    let fps = index.fingerprints().unwrap_or_default();
    assign::windows(&rows, &fps)
}

/// One pass: the runs' own folders, the outside directory, then the waiting sources.
pub fn sync_all<'a>(
    index: &Index,
    runs: impl IntoIterator<Item = (&'a Path, String)>,
    outside: Option<&Path>,
) -> (FilesReport, f64) {
    let started = Instant::now();
    let mut report = FilesReport::default();
    for (dir, id) in runs {
        let root = dir.join("telemetry");
        if root.is_dir() {
            sync_root(index, &root, Some(&id), &mut report);
        }
    }
    if let Some(dir) = outside {
        sync_root(index, dir, None, &mut report);
    }
    assign_waiting(index, &mut report);
    (report, started.elapsed().as_secs_f64() * 1e3)
}
