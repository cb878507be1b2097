//! Reading run folders into the index. [`read_run`] turns one folder into an
//! [`IngestedRun`] and never fails: whatever cannot be read becomes an explanation in
//! `problems`. [`Ingester::rescan`] walks the store and reads only new or changed runs.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::analysis::{history, messages};
use crate::identity::{test_id, version};
use crate::index::{Index, IngestedRun};
use crate::rundir::files::{read_capped, read_head, read_tail, Capped};
use crate::rundir::scan::{self, RunDir};
use crate::rundir::{jepsen_log, run_name};
use crate::self_metrics::SelfMetrics;
use crate::summary::{results, RunSummary, Verdict};
use crate::telemetry;

/// Size limits for the files the ingest parses.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub results_bytes: u64,
    pub history_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            results_bytes: 32 * 1024 * 1024,
            history_bytes: 256 * 1024 * 1024,
        }
    }
}

fn mb(n: u64) -> String {
    format!("{:.1} MB", n as f64 / 1e6)
}

/// Reads one run folder. Never panics on bad input and never fails.
pub fn read_run(dir: &RunDir, limits: Limits) -> IngestedRun {
    let started = Instant::now();
    let (summary, history) =
        std::panic::catch_unwind(|| read_parts(dir, limits)).unwrap_or_else(|_| {
            let mut s = RunSummary::new(&dir.workload, &dir.dir_name);
            s.verdict = Verdict::Unknown;
            s.problems
                .push("internal error while reading this run; its files may be malformed".into());
            (s, None)
        });
    IngestedRun {
        summary,
        history,
        path: dir.path.clone(),
        fingerprint: dir.fingerprint.clone(),
        ingest_ms: started.elapsed().as_secs_f64() * 1e3,
    }
}

fn read_parts(dir: &RunDir, limits: Limits) -> (RunSummary, Option<history::HistoryAnalysis>) {
    let path = &dir.path;
    let mut s = RunSummary::new(&dir.workload, &dir.dir_name);
    if let Some(t) = run_name::start_time(&dir.dir_name) {
        s.start = Some(t.to_rfc3339());
        s.start_ms = Some(t.timestamp_millis());
    } else {
        s.problems.push(format!(
            "folder name {:?} holds no start time (expected e.g. 20240101T120000.000-0500)",
            dir.dir_name
        ));
    }
    read_log(&mut s, path);
    read_results(&mut s, path, limits);
    let history = read_history(&mut s, path, limits);
    read_messages(&mut s, path, limits);
    if s.node_count.is_none() {
        s.node_count = count_node_logs(path);
    }
    let versions = version::read(path);
    s.problems.extend(versions.problems.iter().cloned());
    s.versions = versions;
    (s, history)
}

fn read_log(s: &mut RunSummary, path: &Path) {
    let log = path.join("jepsen.log");
    if let Some(head) = read_head(&log, jepsen_log::HEAD_BYTES) {
        s.command_line = jepsen_log::command_line(&head);
        if let Some(cmd) = &s.command_line {
            s.node_count = jepsen_log::node_count(cmd);
            s.nemesis = jepsen_log::nemesis(cmd);
            let test = test_id::parse(cmd);
            for u in &test.unknown {
                s.problems.push(format!(
                    "command line: {u} (kept as written in the run's test)"
                ));
            }
            s.test = Some(test);
        }
    }
}

fn read_results(s: &mut RunSummary, path: &Path, limits: Limits) {
    match read_capped(&path.join("results.edn"), limits.results_bytes) {
        Capped::Missing => {
            s.verdict = Verdict::Aborted;
            let tail = read_tail(&path.join("jepsen.log"), jepsen_log::TAIL_BYTES);
            s.crash = tail.as_deref().and_then(jepsen_log::crash_reason);
            s.problems.push(
                "no results.edn: the run stopped before analysis (or is still running)".into(),
            );
        }
        Capped::TooBig(n) => {
            s.verdict = Verdict::Unknown;
            s.problems.push(format!(
                "results.edn is {}, over the {} limit; its figures were not read",
                mb(n),
                mb(limits.results_bytes)
            ));
        }
        Capped::Error(e) => {
            s.verdict = Verdict::Unknown;
            s.problems
                .push(format!("results.edn could not be read: {e}"));
        }
        Capped::Text(text) if text.trim().is_empty() => {
            s.verdict = Verdict::Unknown;
            s.problems
                .push("results.edn is empty (the run may have been cut off while writing)".into());
        }
        Capped::Text(text) => match glomers_model::parse(&text) {
            Ok(v) => results::apply(s, &v),
            Err(e) => {
                s.verdict = Verdict::Unknown;
                s.problems.push(format!(
                    "results.edn is malformed or truncated ({e}); verdict and figures unknown"
                ));
            }
        },
    }
}

fn read_history(
    s: &mut RunSummary,
    path: &Path,
    limits: Limits,
) -> Option<history::HistoryAnalysis> {
    match read_capped(&path.join("history.edn"), limits.history_bytes) {
        Capped::Missing => read_history_txt(s, path, limits, "history.edn is missing"),
        Capped::TooBig(n) => {
            s.problems.push(format!(
                "history.edn is {}, over the {} limit; latency charts are not available",
                mb(n),
                mb(limits.history_bytes)
            ));
            None
        }
        Capped::Error(e) => {
            s.problems
                .push(format!("history.edn could not be read: {e}"));
            read_history_txt(s, path, limits, "history.edn is unreadable")
        }
        Capped::Text(text) if text.trim().is_empty() => {
            read_history_txt(s, path, limits, "history.edn is empty")
        }
        Capped::Text(text) => {
            let h = history::analyse(&text);
            if h.skipped_lines > 0 {
                s.problems.push(format!(
                    "history.edn: {} unreadable line(s) skipped, first at {}",
                    h.skipped_lines,
                    h.first_error.as_deref().unwrap_or("?")
                ));
            }
            Some(h)
        }
    }
}

/// The fallback for a run without a usable history.edn: counts from history.txt.
fn read_history_txt(
    s: &mut RunSummary,
    path: &Path,
    limits: Limits,
    why: &str,
) -> Option<history::HistoryAnalysis> {
    match read_capped(&path.join("history.txt"), limits.history_bytes) {
        Capped::Text(text) if !text.trim().is_empty() => {
            // Not a problem of its own: the run page says where the counts came from.
            let h = history::analyse_txt(&text);
            tracing::debug!("{}: {why}; using history.txt", path.display());
            if h.skipped_lines > 0 {
                s.problems.push(format!(
                    "history.txt: {} unreadable line(s) skipped, first at {}",
                    h.skipped_lines,
                    h.first_error.as_deref().unwrap_or("?")
                ));
            }
            Some(h)
        }
        Capped::TooBig(n) => {
            s.problems.push(format!(
                "history.txt is {}, over the {} limit; op counts are not available",
                mb(n),
                mb(limits.history_bytes)
            ));
            None
        }
        _ => None,
    }
}

fn read_messages(s: &mut RunSummary, path: &Path, limits: Limits) {
    match read_capped(&path.join("messages.svg"), limits.history_bytes) {
        Capped::Text(svg) => s.messages = Some(messages::analyse(&svg)),
        Capped::TooBig(n) => s.problems.push(format!(
            "messages.svg is {}, over the {} limit; message counts by type are not available",
            mb(n),
            mb(limits.history_bytes)
        )),
        Capped::Missing | Capped::Error(_) => {}
    }
}

fn count_node_logs(path: &Path) -> Option<i64> {
    let n = std::fs::read_dir(path.join("node-logs"))
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .count();
    (n > 0).then_some(n as i64)
}

/// What one rescan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport {
    pub found: usize,
    pub ingested: usize,
    pub unchanged: usize,
    pub gone: usize,
    pub errors: usize,
}

/// Walks the store and keeps the index up to date.
pub struct Ingester {
    pub store: PathBuf,
    pub index: Arc<Index>,
    pub metrics: Arc<SelfMetrics>,
    pub limits: Limits,
    /// File-sink telemetry kept outside the store (`--telemetry-dir`), tied to runs by time
    /// and node id ([`crate::telemetry::assign`]).
    pub telemetry_dir: Option<PathBuf>,
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl Ingester {
    /// Scans the store once, reading new and changed runs. Blocking.
    pub fn rescan(&self) -> ScanReport {
        let started = Instant::now();
        let mut report = ScanReport::default();
        let dirs = match scan::scan(&self.store) {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!("cannot read store {}: {e}", self.store.display());
                self.metrics.ingest_errors.inc();
                report.errors += 1;
                return report;
            }
        };
        let known = self.index.fingerprints().unwrap_or_default();
        report.found = dirs.len();
        let mut seen = std::collections::HashSet::new();
        for dir in &dirs {
            let id = dir.id();
            seen.insert(id.clone());
            match known.get(&id) {
                Some((fp, present)) if *fp == dir.fingerprint => {
                    if !present {
                        let _ = self.index.set_present(&id, true);
                    }
                    report.unchanged += 1;
                    continue;
                }
                _ => {}
            }
            let run = read_run(dir, self.limits);
            self.metrics.ingest_duration.observe(run.ingest_ms / 1e3);
            self.metrics.runs_ingested.inc();
            let has_problem =
                !run.summary.problems.is_empty() && run.summary.verdict != Verdict::Aborted;
            if has_problem {
                self.metrics.ingest_errors.inc();
                report.errors += 1;
            }
            if let Err(e) = self.index.upsert(&run, now_ms()) {
                tracing::warn!("cannot store run {id}: {e}");
                self.metrics.ingest_errors.inc();
                report.errors += 1;
                continue;
            }
            tracing::debug!("ingested {id} in {:.1} ms", run.ingest_ms);
            report.ingested += 1;
        }
        for (id, (_, present)) in &known {
            if *present && !seen.contains(id) {
                let _ = self.index.set_present(id, false);
                report.gone += 1;
            }
        }
        self.sync_telemetry(&dirs);
        self.metrics.scans.inc();
        self.metrics
            .last_scan_seconds
            .set(started.elapsed().as_secs_f64());
        if let Ok(n) = self.index.count() {
            self.metrics.runs_indexed.set(n);
        }
        report
    }

    /// Reads new node telemetry files and ties waiting telemetry to runs.
    fn sync_telemetry(&self, dirs: &[RunDir]) {
        let (t, ms) = telemetry::sync::sync_all(
            &self.index,
            dirs.iter().map(|d| (d.path.as_path(), d.id())),
            self.telemetry_dir.as_deref(),
        );
        self.metrics.telemetry_spans.inc_by(t.spans as u64);
        if t.read > 0 || t.assigned > 0 {
            tracing::info!(
                "telemetry: {} node folder(s) read ({} spans, {} series, {} bad lines) in {ms:.0} ms; \
                 {} process(es) tied to runs, {} waiting",
                t.read,
                t.spans,
                t.points,
                t.skipped_lines,
                t.assigned,
                t.unassigned
            );
        }
    }
}
