//! Telemetry tables of the index (schema migration 2): node processes (`tel_sources`), their
//! spans and the latest value of their metric series. Writes are batched, one transaction
//! per call, with cached prepared statements.

use rusqlite::{params, OptionalExtension, Transaction};
use serde::Serialize;

use super::{Index, Result};
use crate::telemetry::records::{PointIn, SourceIn, SpanIn};

/// A stored node process.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRow {
    pub id: i64,
    pub key: String,
    pub run_id: Option<String>,
    pub via: String,
    pub node: Option<String>,
    pub node_ids: Vec<String>,
    pub service: Option<String>,
    pub pid: Option<i64>,
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub run_hint: Option<String>,
    pub fingerprint: String,
    pub spans_offset: i64,
    pub skipped_lines: i64,
    /// Spans stored for this process (filled by [`Index::tel_sources_of_run`] only).
    pub spans: i64,
}

const SOURCE_COLUMNS: &str = "id, key, run_id, via, node, node_ids, service, pid, first_ms, \
    last_ms, run_hint, fingerprint, spans_offset, skipped_lines";

fn source_of(r: &rusqlite::Row) -> rusqlite::Result<SourceRow> {
    let ids: String = r.get(5)?;
    Ok(SourceRow {
        id: r.get(0)?,
        key: r.get(1)?,
        run_id: r.get(2)?,
        via: r.get(3)?,
        node: r.get(4)?,
        node_ids: serde_json::from_str(&ids).unwrap_or_default(),
        service: r.get(6)?,
        pid: r.get(7)?,
        first_ms: r.get(8)?,
        last_ms: r.get(9)?,
        run_hint: r.get(10)?,
        fingerprint: r.get(11)?,
        spans_offset: r.get(12)?,
        skipped_lines: r.get(13)?,
        spans: 0,
    })
}

/// A stored span with the node that recorded it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpanRow {
    pub node: Option<String>,
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub attrs_json: String,
    pub error: bool,
}

/// One trace's extent, for the list of slowest client operations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceRow {
    pub trace_id: String,
    /// The client request's `msg.type`, from the root span.
    pub root: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub spans: i64,
    pub nodes: i64,
}

/// One metric series of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRow {
    pub node: Option<String>,
    pub name: String,
    pub labels_json: String,
    pub value: f64,
}

/// What to write for one source in one transaction.
pub struct TelWrite<'a> {
    pub spans: &'a [SpanIn],
    /// Drop the source's stored spans first (its file was replaced).
    pub reset_spans: bool,
    pub points: &'a [PointIn],
    /// Drop the source's stored series first (a file snapshot replaces them all).
    pub replace_points: bool,
    pub spans_offset: Option<i64>,
    pub skipped_lines: i64,
    pub fingerprint: Option<&'a str>,
}

fn insert_spans(tx: &Transaction, source: i64, spans: &[SpanIn]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO tel_spans (source_id, trace_id, span_id, parent_span_id, name, start_ns, \
         end_ns, attrs_json, error, client_root) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    for s in spans {
        st.execute(params![
            source,
            s.trace_id,
            s.span_id,
            s.parent_span_id,
            s.name,
            s.start_ns,
            s.end_ns,
            s.attrs_json,
            s.error,
            s.client_root
        ])?;
    }
    Ok(())
}

fn upsert_points(tx: &Transaction, source: i64, points: &[PointIn]) -> Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT OR REPLACE INTO tel_metrics (source_id, name, labels, value, time_ms) \
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    for p in points {
        st.execute(params![source, p.name, p.labels_json, p.value, p.time_ms])?;
    }
    Ok(())
}

impl Index {
    /// A stored source by key.
    pub fn tel_source(&self, key: &str) -> Result<Option<SourceRow>> {
        let conn = self.conn();
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM tel_sources WHERE key = ?1");
        conn.query_row(&sql, params![key], source_of).optional()
    }

    /// Creates the source or refreshes what is known of it (the first and last moments
    /// widen; `run_id` is set only when given). Returns its id.
    pub fn tel_upsert_source(&self, s: &SourceIn, run_id: Option<&str>) -> Result<i64> {
        let conn = self.conn();
        let node_ids = serde_json::to_string(&s.node_ids).unwrap_or_else(|_| "[]".into());
        conn.execute(
            "INSERT INTO tel_sources (key, run_id, via, node, node_ids, service, pid, first_ms, \
             last_ms, run_hint) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) \
             ON CONFLICT (key) DO UPDATE SET \
               run_id = COALESCE(?2, run_id), node = COALESCE(?4, node), \
               node_ids = CASE WHEN ?5 = '[]' THEN node_ids ELSE ?5 END, \
               service = COALESCE(?6, service), pid = COALESCE(?7, pid), \
               first_ms = CASE WHEN first_ms IS NULL OR ?8 < first_ms THEN ?8 ELSE first_ms END, \
               last_ms = CASE WHEN last_ms IS NULL OR ?9 > last_ms THEN ?9 ELSE last_ms END, \
               run_hint = COALESCE(?10, run_hint)",
            params![
                s.key, run_id, s.via, s.node, node_ids, s.service, s.pid, s.first_ms, s.last_ms,
                s.run_hint
            ],
        )?;
        conn.query_row(
            "SELECT id FROM tel_sources WHERE key = ?1",
            params![s.key],
            |r| r.get(0),
        )
    }

    /// Stores spans and metric points of one source, in one transaction.
    pub fn tel_write(&self, source: i64, w: &TelWrite) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        if w.reset_spans {
            tx.execute(
                "DELETE FROM tel_spans WHERE source_id = ?1",
                params![source],
            )?;
        }
        insert_spans(&tx, source, w.spans)?;
        if w.replace_points {
            tx.execute(
                "DELETE FROM tel_metrics WHERE source_id = ?1",
                params![source],
            )?;
        }
        upsert_points(&tx, source, w.points)?;
        if let Some(off) = w.spans_offset {
            tx.execute(
                "UPDATE tel_sources SET spans_offset = ?2 WHERE id = ?1",
                params![source, off],
            )?;
        }
        if w.skipped_lines != 0 {
            tx.execute(
                "UPDATE tel_sources SET skipped_lines = skipped_lines + ?2 WHERE id = ?1",
                params![source, w.skipped_lines],
            )?;
        }
        if let Some(fp) = w.fingerprint {
            tx.execute(
                "UPDATE tel_sources SET fingerprint = ?2 WHERE id = ?1",
                params![source, fp],
            )?;
        }
        tx.commit()
    }

    /// Sources not tied to a run yet.
    pub fn tel_unassigned(&self) -> Result<Vec<SourceRow>> {
        let conn = self.conn();
        let sql = format!("SELECT {SOURCE_COLUMNS} FROM tel_sources WHERE run_id IS NULL");
        let mut st = conn.prepare_cached(&sql)?;
        let rows = st.query_map([], source_of)?;
        rows.collect()
    }

    /// Ties a source to a run.
    pub fn tel_assign(&self, source: i64, run_id: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE tel_sources SET run_id = ?2 WHERE id = ?1",
            params![source, run_id],
        )?;
        Ok(())
    }

    /// A run's node processes with their span counts, by node.
    pub fn tel_sources_of_run(&self, run_id: &str) -> Result<Vec<SourceRow>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {SOURCE_COLUMNS}, (SELECT COUNT(*) FROM tel_spans s WHERE s.source_id = t.id) \
             FROM tel_sources t WHERE run_id = ?1 ORDER BY node, first_ms, id"
        );
        let mut st = conn.prepare_cached(&sql)?;
        let rows = st.query_map(params![run_id], |r| {
            let mut s = source_of(r)?;
            s.spans = r.get(14)?;
            Ok(s)
        })?;
        let mut out: Vec<SourceRow> = rows.collect::<Result<_>>()?;
        out.sort_by_key(|s| (node_order(s.node.as_deref()), s.first_ms, s.id));
        Ok(out)
    }

    /// Every metric series of a run.
    pub fn tel_metrics_of_run(&self, run_id: &str) -> Result<Vec<MetricRow>> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT t.node, m.name, m.labels, m.value FROM tel_metrics m \
             JOIN tel_sources t ON t.id = m.source_id WHERE t.run_id = ?1",
        )?;
        let rows = st.query_map(params![run_id], |r| {
            Ok(MetricRow {
                node: r.get(0)?,
                name: r.get(1)?,
                labels_json: r.get(2)?,
                value: r.get(3)?,
            })
        })?;
        rows.collect()
    }

    /// The `limit` client operations of a run whose traces lasted longest (first span start
    /// to last span end, across nodes).
    pub fn tel_slowest_traces(&self, run_id: &str, limit: usize) -> Result<Vec<TraceRow>> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "WITH roots AS (
                SELECT s.trace_id, json_extract(s.attrs_json, '$.\"msg.type\"') AS root
                FROM tel_spans s JOIN tel_sources t ON t.id = s.source_id
                WHERE t.run_id = ?1 AND s.client_root = 1
             )
             SELECT r.trace_id, COALESCE(MAX(r.root), '?'), MIN(s.start_ns), MAX(s.end_ns),
                    COUNT(*), COUNT(DISTINCT t.node)
             FROM (SELECT trace_id, MAX(root) AS root FROM roots GROUP BY trace_id) r
             JOIN tel_spans s ON s.trace_id = r.trace_id
             JOIN tel_sources t ON t.id = s.source_id AND t.run_id = ?1
             GROUP BY r.trace_id
             ORDER BY MAX(s.end_ns) - MIN(s.start_ns) DESC, r.trace_id LIMIT ?2",
        )?;
        let rows = st.query_map(params![run_id, limit as i64], |r| {
            Ok(TraceRow {
                trace_id: r.get(0)?,
                root: r.get(1)?,
                start_ns: r.get(2)?,
                end_ns: r.get(3)?,
                spans: r.get(4)?,
                nodes: r.get(5)?,
            })
        })?;
        rows.collect()
    }

    /// The spans of one trace in a run, by start time (at most `limit`).
    pub fn tel_trace(&self, run_id: &str, trace_id: &str, limit: usize) -> Result<Vec<SpanRow>> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT t.node, s.trace_id, s.span_id, s.parent_span_id, s.name, s.start_ns, s.end_ns, \
             s.attrs_json, s.error FROM tel_spans s JOIN tel_sources t ON t.id = s.source_id \
             WHERE s.trace_id = ?2 AND t.run_id = ?1 ORDER BY s.start_ns, s.end_ns DESC LIMIT ?3",
        )?;
        let rows = st.query_map(params![run_id, trace_id, limit as i64], |r| {
            Ok(SpanRow {
                node: r.get(0)?,
                trace_id: r.get(1)?,
                span_id: r.get(2)?,
                parent_span_id: r.get(3)?,
                name: r.get(4)?,
                start_ns: r.get(5)?,
                end_ns: r.get(6)?,
                attrs_json: r.get(7)?,
                error: r.get(8)?,
            })
        })?;
        rows.collect()
    }
}

/// Sort key for node ids: `n2` before `n10`, other ids after, by name.
pub fn node_order(node: Option<&str>) -> (u8, u64, String) {
    match node {
        Some(n) => match n.strip_prefix('n').and_then(|d| d.parse::<u64>().ok()) {
            Some(i) => (0, i, n.to_string()),
            None => (1, 0, n.to_string()),
        },
        None => (2, 0, String::new()),
    }
}
