//! Span durations of a run for the compare page: every `handle` and `rpc` span's length,
//! grouped by span name, `msg.type` and (RPCs) peer kind, sorted, in one query.

use std::collections::BTreeMap;

use rusqlite::params;

use super::{Index, Result};

/// A group of spans: `(span name, msg.type, peer)`.
pub type SpanKey = (String, String, Option<String>);

/// Sorted durations (ms) by group.
pub type SpanDurations = BTreeMap<SpanKey, Vec<f64>>;

impl Index {
    /// Durations (ms, sorted) of a run's `handle` and `rpc` spans by group.
    pub fn tel_span_durations(&self, run_id: &str) -> Result<SpanDurations> {
        let conn = self.conn();
        let mut st = conn.prepare_cached(
            "SELECT s.name, json_extract(s.attrs_json, '$.\"msg.type\"'), \
                    json_extract(s.attrs_json, '$.peer'), s.end_ns - s.start_ns \
             FROM tel_sources t JOIN tel_spans s ON s.source_id = t.id \
             WHERE t.run_id = ?1 AND s.name IN ('handle', 'rpc')",
        )?;
        let mut out = SpanDurations::new();
        let mut rows = st.query(params![run_id])?;
        while let Some(r) = rows.next()? {
            let name: String = r.get(0)?;
            let typ: Option<String> = r.get(1)?;
            let peer: Option<String> = r.get(2)?;
            let ns: i64 = r.get(3)?;
            out.entry((name, typ.unwrap_or_else(|| "?".into()), peer))
                .or_default()
                .push(ns.max(0) as f64 / 1e6);
        }
        for v in out.values_mut() {
            v.sort_by(f64::total_cmp);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use crate::index::telemetry::TelWrite;
    use crate::index::Index;
    use crate::telemetry::records::{SourceIn, SpanIn};

    fn span(id: &str, name: &str, attrs: &str, ms: i64) -> SpanIn {
        SpanIn {
            trace_id: format!("{id:0>32}"),
            span_id: format!("{id:0>16}"),
            parent_span_id: None,
            name: name.into(),
            start_ns: 1_000,
            end_ns: 1_000 + ms * 1_000_000,
            attrs_json: attrs.into(),
            error: false,
            client_root: false,
        }
    }

    #[test]
    fn groups_and_sorts_handle_and_rpc_spans_of_one_run() {
        let idx = Index::open_in_memory().unwrap();
        let write = |key: &str, run: &str, spans: &[SpanIn]| {
            let src = SourceIn {
                key: key.into(),
                via: "file",
                node: Some("n0".into()),
                ..SourceIn::default()
            };
            let id = idx.tel_upsert_source(&src, Some(run)).unwrap();
            let w = TelWrite {
                spans,
                reset_spans: false,
                points: &[],
                replace_points: false,
                spans_offset: None,
                skipped_lines: 0,
                fingerprint: None,
            };
            idx.tel_write(id, &w).unwrap();
        };
        let h = r#"{"msg.type":"broadcast","msg.src":"c1"}"#;
        let rpc = r#"{"msg.type":"gossip","peer":"node"}"#;
        write(
            "a",
            "w/r1",
            &[
                span("1", "handle", h, 3),
                span("2", "handle", h, 1),
                span("3", "rpc", rpc, 5),
                span("4", "gossip_round", "{}", 9),
            ],
        );
        write("b", "w/r2", &[span("5", "handle", h, 7)]);
        let d = idx.tel_span_durations("w/r1").unwrap();
        assert_eq!(d.len(), 2);
        let key = ("handle".to_string(), "broadcast".to_string(), None);
        assert_eq!(d[&key], [1.0, 3.0]);
        let key = ("rpc".to_string(), "gossip".to_string(), Some("node".into()));
        assert_eq!(d[&key], [5.0]);
        assert!(idx.tel_span_durations("w/none").unwrap().is_empty());
    }
}
