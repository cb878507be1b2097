//! The embedded SQLite index: one row per run (the figures the list, compare and trend pages
//! need as columns, the full [`RunSummary`] as JSON) and one history analysis per run. Kept
//! across restarts, so past runs stay listed and unchanged runs are not read again. Node
//! telemetry (spans, metric series) lives in its own tables, see [`telemetry`].

mod schema;
pub mod span_durations;
pub mod telemetry;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use rusqlite::{params, Connection, OptionalExtension, Row};
use serde::Serialize;

use crate::analysis::history::HistoryAnalysis;
use crate::summary::{RunSummary, Verdict};

/// A run as the ingest produced it, ready to be stored.
#[derive(Debug, Clone)]
pub struct IngestedRun {
    pub summary: RunSummary,
    pub history: Option<HistoryAnalysis>,
    pub path: PathBuf,
    pub fingerprint: String,
    pub ingest_ms: f64,
}

/// One row of the runs list (columns only, no JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    pub id: String,
    pub workload: String,
    pub dir_name: String,
    pub start: Option<String>,
    pub start_ms: Option<i64>,
    pub node_count: Option<i64>,
    pub nemesis: Option<String>,
    pub verdict: Verdict,
    pub msgs_per_op_servers: Option<f64>,
    pub msgs_per_op_all: Option<f64>,
    pub stable_p50_ms: Option<f64>,
    pub stable_p99_ms: Option<f64>,
    pub stable_max_ms: Option<f64>,
    pub op_p50_ms: Option<f64>,
    pub op_p99_ms: Option<f64>,
    pub op_max_ms: Option<f64>,
    pub key_figure: Option<String>,
    pub op_count: Option<i64>,
    pub ok_count: Option<i64>,
    pub fail_count: Option<i64>,
    pub info_count: Option<i64>,
    pub availability: Option<f64>,
    pub problems: i64,
    /// False when the folder has gone from the store since it was indexed.
    pub present: bool,
    pub ingested_at_ms: i64,
    pub ingest_ms: f64,
    /// The run's test ([`crate::identity::test_id`]); `None` without a command line.
    pub test_key: Option<String>,
    /// Its challenge id or short form.
    pub test_name: Option<String>,
    /// The node binary's file name.
    pub test_bin: Option<String>,
    /// The version every node named in its first log line.
    pub node_version: Option<String>,
    /// A version given by hand; used instead of the nodes' version.
    pub label: Option<String>,
}

/// What the pages call a run whose version is unknown.
pub const UNKNOWN_VERSION: &str = "unknown";

impl RunRow {
    /// The version the run is grouped and judged by: its label, else its nodes' version.
    pub fn version(&self) -> Option<&str> {
        self.label.as_deref().or(self.node_version.as_deref())
    }

    /// The version as shown: `unknown` when there is none.
    pub fn version_shown(&self) -> &str {
        self.version().unwrap_or(UNKNOWN_VERSION)
    }

    /// The test as lists show it: `3d · broadcast`, or `unknown`.
    pub fn test_label(&self) -> String {
        match (&self.test_name, &self.test_bin) {
            (Some(n), Some(b)) => format!("{n} · {b}"),
            (Some(n), None) => n.clone(),
            _ => "unknown".into(),
        }
    }
}

/// Why the index failed.
pub type Result<T> = std::result::Result<T, rusqlite::Error>;

const ROW_COLUMNS: &str = "id, workload, dir_name, start, start_ms, node_count, nemesis, verdict, \
     msgs_per_op_servers, msgs_per_op_all, stable_p50, stable_p99, stable_max, op_p50, op_p99, \
     op_max, key_figure, op_count, ok_count, fail_count, info_count, availability, problems, \
     present, ingested_at_ms, ingest_ms, test_key, test_name, test_bin, node_version, \
     (SELECT label FROM run_labels WHERE run_id = runs.id)";

fn row_of(r: &Row) -> rusqlite::Result<RunRow> {
    let verdict: String = r.get(7)?;
    Ok(RunRow {
        id: r.get(0)?,
        workload: r.get(1)?,
        dir_name: r.get(2)?,
        start: r.get(3)?,
        start_ms: r.get(4)?,
        node_count: r.get(5)?,
        nemesis: r.get(6)?,
        verdict: Verdict::parse(&verdict).unwrap_or(Verdict::Unknown),
        msgs_per_op_servers: r.get(8)?,
        msgs_per_op_all: r.get(9)?,
        stable_p50_ms: r.get(10)?,
        stable_p99_ms: r.get(11)?,
        stable_max_ms: r.get(12)?,
        op_p50_ms: r.get(13)?,
        op_p99_ms: r.get(14)?,
        op_max_ms: r.get(15)?,
        key_figure: r.get(16)?,
        op_count: r.get(17)?,
        ok_count: r.get(18)?,
        fail_count: r.get(19)?,
        info_count: r.get(20)?,
        availability: r.get(21)?,
        problems: r.get(22)?,
        present: r.get(23)?,
        ingested_at_ms: r.get(24)?,
        ingest_ms: r.get(25)?,
        test_key: r.get(26)?,
        test_name: r.get(27)?,
        test_bin: r.get(28)?,
        node_version: r.get(29)?,
        label: r.get(30)?,
    })
}

/// The SQLite index.
pub struct Index {
    conn: Mutex<Connection>,
}

impl Index {
    /// Opens (creating and migrating as needed) the index at `path`.
    pub fn open(path: &Path) -> Result<Index> {
        Self::setup(Connection::open(path)?)
    }

    /// An index that lives only in memory (tests).
    pub fn open_in_memory() -> Result<Index> {
        Self::setup(Connection::open_in_memory()?)
    }

    fn setup(conn: Connection) -> Result<Index> {
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        // WAL keeps readers going while the ingest writes; memory databases ignore it.
        let _: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
        schema::migrate(&conn)?;
        Ok(Index {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stored fingerprint of every run, by id.
    pub fn fingerprints(&self) -> Result<HashMap<String, (String, bool)>> {
        let conn = self.conn();
        let mut st = conn.prepare_cached("SELECT id, fingerprint, present FROM runs")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, (r.get(1)?, r.get(2)?))))?;
        rows.collect()
    }

    /// Inserts or replaces a run and its history analysis.
    pub fn upsert(&self, run: &IngestedRun, now_ms: i64) -> Result<()> {
        let s = &run.summary;
        let summary_json = serde_json::to_string(s).unwrap_or_else(|_| "{}".into());
        let history_json = run
            .history
            .as_ref()
            .map(|h| serde_json::to_string(h).unwrap_or_else(|_| "{}".into()));
        let stable = s.stable_latency.unwrap_or_default();
        let op = run.history.as_ref().map(|h| h.overall).unwrap_or_default();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT OR REPLACE INTO runs (id, workload, dir_name, path, start, start_ms, node_count, \
             nemesis, command_line, verdict, msgs_per_op_servers, msgs_per_op_all, stable_p50, \
             stable_p99, stable_max, op_p50, op_p99, op_max, key_figure, op_count, ok_count, \
             fail_count, info_count, availability, problems, present, fingerprint, ingested_at_ms, \
             ingest_ms, summary_json, test_key, test_name, test_bin, node_version) VALUES (?1, ?2, \
             ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, \
             ?21, ?22, ?23, ?24, ?25, 1, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)",
            params![
                s.id,
                s.workload,
                s.dir_name,
                run.path.to_string_lossy(),
                s.start,
                s.start_ms,
                s.node_count,
                s.nemesis,
                s.command_line,
                s.verdict.as_str(),
                s.msgs_per_op_servers,
                s.msgs_per_op_all,
                stable.p50,
                stable.p99,
                stable.max,
                op.p50,
                op.p99,
                op.max,
                s.key_figure,
                s.op_count,
                s.ok_count,
                s.fail_count,
                s.info_count,
                s.availability,
                s.problems.len() as i64,
                run.fingerprint,
                now_ms,
                run.ingest_ms,
                summary_json,
                s.test.as_ref().map(|t| &t.key),
                s.test.as_ref().map(|t| &t.name),
                s.test.as_ref().and_then(|t| t.bin.as_ref()),
                s.versions.version,
            ],
        )?;
        tx.execute("DELETE FROM run_ops WHERE run_id = ?1", params![s.id])?;
        for f in &s.by_f {
            tx.execute(
                "INSERT OR REPLACE INTO run_ops (run_id, f, count, ok, fail, info) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![s.id, f.f, f.count, f.ok, f.fail, f.info],
            )?;
        }
        tx.execute("DELETE FROM run_history WHERE run_id = ?1", params![s.id])?;
        if let Some(h) = history_json {
            tx.execute(
                "INSERT INTO run_history (run_id, analysis_json) VALUES (?1, ?2)",
                params![s.id, h],
            )?;
        }
        tx.commit()
    }

    /// Marks runs whose folders are gone (they stay listed) or back.
    pub fn set_present(&self, id: &str, present: bool) -> Result<()> {
        self.conn().execute(
            "UPDATE runs SET present = ?2 WHERE id = ?1",
            params![id, present],
        )?;
        Ok(())
    }

    /// Every run, newest first; optionally one workload only.
    pub fn list(&self, workload: Option<&str>) -> Result<Vec<RunRow>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM runs WHERE (?1 IS NULL OR workload = ?1) \
             ORDER BY start_ms DESC, id DESC"
        );
        let mut st = conn.prepare_cached(&sql)?;
        let rows = st.query_map(params![workload], row_of)?;
        rows.collect()
    }

    /// Every run of one test, oldest first.
    pub fn list_test(&self, test_key: &str) -> Result<Vec<RunRow>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM runs WHERE test_key = ?1 ORDER BY start_ms ASC, id ASC"
        );
        let mut st = conn.prepare_cached(&sql)?;
        let rows = st.query_map(params![test_key], row_of)?;
        rows.collect()
    }

    /// Gives a run a version label by hand (`None` or blank removes it). Labels are kept
    /// apart from the run rows: a rescan, a re-read or a rebuild keeps them.
    pub fn set_label(&self, run_id: &str, label: Option<&str>, now_ms: i64) -> Result<()> {
        let conn = self.conn();
        match label.map(str::trim).filter(|l| !l.is_empty()) {
            Some(l) => conn.execute(
                "INSERT INTO run_labels (run_id, label, set_at_ms) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (run_id) DO UPDATE SET label = ?2, set_at_ms = ?3",
                params![run_id, l, now_ms],
            )?,
            None => conn.execute("DELETE FROM run_labels WHERE run_id = ?1", params![run_id])?,
        };
        Ok(())
    }

    /// One run's row.
    pub fn row(&self, id: &str) -> Result<Option<RunRow>> {
        let conn = self.conn();
        let sql = format!("SELECT {ROW_COLUMNS} FROM runs WHERE id = ?1");
        conn.query_row(&sql, params![id], row_of).optional()
    }

    /// One run's full summary and folder path.
    pub fn summary(&self, id: &str) -> Result<Option<(RunSummary, PathBuf, String)>> {
        let conn = self.conn();
        let found: Option<(String, String, String)> = conn
            .query_row(
                "SELECT summary_json, path, fingerprint FROM runs WHERE id = ?1",
                params![id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(found.and_then(|(json, path, fp)| {
            serde_json::from_str(&json)
                .ok()
                .map(|s| (s, PathBuf::from(path), fp))
        }))
    }

    /// The folder of a run, only for ids in the index.
    pub fn path_of(&self, id: &str) -> Result<Option<PathBuf>> {
        let conn = self.conn();
        conn.query_row("SELECT path FROM runs WHERE id = ?1", params![id], |r| {
            r.get::<_, String>(0)
        })
        .optional()
        .map(|p| p.map(PathBuf::from))
    }

    /// A run's history analysis, when it had a readable history.
    pub fn history(&self, id: &str) -> Result<Option<HistoryAnalysis>> {
        let conn = self.conn();
        let json: Option<String> = conn
            .query_row(
                "SELECT analysis_json FROM run_history WHERE run_id = ?1",
                params![id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
    }

    /// Workloads with their run counts, by name.
    pub fn workloads(&self) -> Result<Vec<(String, i64)>> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT workload, COUNT(*) FROM runs GROUP BY workload ORDER BY workload",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    }

    /// The run of the same workload that started just before `id`.
    pub fn previous(&self, id: &str) -> Result<Option<String>> {
        let conn = self.conn();
        conn.query_row(
            "SELECT p.id FROM runs p JOIN runs r ON r.id = ?1 \
             WHERE p.workload = r.workload AND p.id != r.id \
             AND (p.start_ms < r.start_ms OR (p.start_ms = r.start_ms AND p.id < r.id)) \
             ORDER BY p.start_ms DESC, p.id DESC LIMIT 1",
            params![id],
            |r| r.get(0),
        )
        .optional()
    }

    /// `(run id, workload, f, count)` for every run: the op totals `/metrics` exports.
    pub fn op_totals(&self) -> Result<Vec<(String, String, String, i64)>> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT o.run_id, r.workload, o.f, o.count FROM run_ops o JOIN runs r ON r.id = o.run_id \
             ORDER BY o.run_id, o.f",
        )?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        rows.collect()
    }

    /// Number of runs indexed.
    pub fn count(&self) -> Result<i64> {
        self.conn()
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
    }
}
