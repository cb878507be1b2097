//! `harness report DIR...`: one summary row per store run folder, from its results.edn.
//! Works on real Maelstrom's runs and the harness's alike, so `scripts/challenge` prints
//! the same table whichever runner produced the run. Latency columns are broadcast's stable
//! latencies when the checker reports them, else client-op latencies from history.edn
//! (see [`crate::run_figures`]), and the `latency` column says which.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use glomers_model::edn;
use glomers_model::Value;

/// The verdict of a run folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    Unknown,
    /// No results.edn: the run crashed or was cut short before analysis.
    Aborted,
    /// results.edn exists but could not be read.
    Unreadable(String),
}

impl Verdict {
    pub fn word(&self) -> &str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "INVALID",
            Verdict::Unknown => "unknown",
            Verdict::Aborted => "aborted",
            Verdict::Unreadable(_) => "unreadable",
        }
    }
}

/// Key figures of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub dir: PathBuf,
    pub workload: String,
    pub verdict: Verdict,
    pub ops: Option<i64>,
    pub availability: Option<f64>,
    pub msgs_per_op_servers: Option<f64>,
    pub msgs_per_op_all: Option<f64>,
    /// `:ok` client ops per second of the main phase (from history.edn).
    pub ok_per_sec: Option<f64>,
    /// What the latency columns measure: `stable` (broadcast's `:stable-latencies`) or `op`
    /// (invoke → ok of client ops, from history.edn).
    pub latency_kind: Option<&'static str>,
    /// Latency 0.5, 0.99 and 1 quantiles in ms (named `stable_*` for broadcast's figures).
    pub stable_p50: Option<i64>,
    pub stable_p99: Option<i64>,
    pub stable_max: Option<i64>,
    /// The workload's own key figure (lost values, final reads, anomaly types...).
    pub detail: String,
}

/// Read a run folder's results.edn into a summary.
pub fn summarize(dir: &Path) -> Summary {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let workload = dir
        .parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut s = Summary {
        dir: dir.clone(),
        workload,
        verdict: Verdict::Aborted,
        ops: None,
        availability: None,
        msgs_per_op_servers: None,
        msgs_per_op_all: None,
        ok_per_sec: None,
        latency_kind: None,
        stable_p50: None,
        stable_p99: None,
        stable_max: None,
        detail: String::new(),
    };
    let text = match std::fs::read_to_string(dir.join("results.edn")) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            s.detail = "no results.edn (run aborted before analysis)".into();
            return s;
        }
        Err(e) => {
            s.verdict = Verdict::Unreadable(e.to_string());
            s.detail = e.to_string();
            return s;
        }
    };
    let results = match edn::parse(&text) {
        Ok(v) => v,
        Err(e) => {
            s.verdict = Verdict::Unreadable(e.to_string());
            s.detail = e.to_string();
            return s;
        }
    };
    s.verdict = match results.get("valid?") {
        Some(Value::Bool(true)) => Verdict::Valid,
        Some(Value::Bool(false)) => Verdict::Invalid,
        _ => Verdict::Unknown,
    };
    s.ops = results.get_in(&["stats", "count"]).and_then(Value::as_i64);
    s.availability = results
        .get_in(&["availability", "ok-fraction"])
        .and_then(Value::as_f64);
    s.msgs_per_op_servers = results
        .get_in(&["net", "servers", "msgs-per-op"])
        .and_then(Value::as_f64);
    s.msgs_per_op_all = results
        .get_in(&["net", "all", "msgs-per-op"])
        .and_then(Value::as_f64);
    let workload = results.get("workload").cloned().unwrap_or(Value::Nil);
    if let Some(lat) = workload.get("stable-latencies") {
        let q = |k: Value| lat.get_value(&k).and_then(Value::as_i64);
        s.stable_p50 = q(Value::Float(0.5));
        s.stable_p99 = q(Value::Float(0.99));
        s.stable_max = q(Value::Int(1));
        s.latency_kind = Some("stable");
    }
    let ops = crate::run_figures::read(&dir);
    s.ok_per_sec = ops.ok_per_sec;
    if s.latency_kind.is_none() && ops.p50_ms.is_some() {
        s.stable_p50 = ops.p50_ms;
        s.stable_p99 = ops.p99_ms;
        s.stable_max = ops.max_ms;
        s.latency_kind = Some("op");
    }
    s.detail = detail(&s.workload, &workload);
    s
}

fn count(v: &Value, key: &str) -> i64 {
    v.get(key).and_then(Value::as_i64).unwrap_or(0)
}

fn detail(workload: &str, w: &Value) -> String {
    let mut out = String::new();
    match workload {
        "broadcast" | "g-set" => {
            let _ = write!(
                out,
                "lost {}, stable {}, never-read {}",
                count(w, "lost-count"),
                count(w, "stable-count"),
                count(w, "never-read-count")
            );
        }
        "g-counter" | "pn-counter" => {
            let reads = w
                .get("final-reads")
                .map(|v| v.to_string())
                .unwrap_or_default();
            let ok = w
                .get("acceptable")
                .map(|v| v.to_string())
                .unwrap_or_default();
            let _ = write!(out, "final reads {reads}, acceptable {ok}");
        }
        "unique-ids" => {
            let range = w.get("range").map(|v| v.to_string()).unwrap_or_default();
            let _ = write!(
                out,
                "duplicated {}, range {range}",
                count(w, "duplicated-count")
            );
        }
        "echo" => {
            let n = w
                .get("errors")
                .and_then(Value::as_seq)
                .map_or(0, <[Value]>::len);
            let _ = write!(out, "errors {n}");
        }
        "kafka" => {
            let types = w
                .get("error-types")
                .map(|v| v.to_string())
                .unwrap_or_default();
            let _ = write!(out, "error types {types}");
            if let Some(lag) = w
                .get_in(&["worst-realtime-lag", "lag"])
                .and_then(Value::as_f64)
            {
                let _ = write!(out, ", worst realtime lag {lag:.2} s");
            }
        }
        _ => match w.get("anomaly-types") {
            Some(types) if types.as_seq().is_none_or(|t| !t.is_empty()) => {
                let _ = write!(out, "anomalies {types}");
            }
            _ if workload.starts_with("txn-") && w.get("valid?") == Some(&Value::Bool(true)) => {
                out.push_str("anomalies none")
            }
            _ => {}
        },
    }
    if let Some(err) = w.get("error").and_then(Value::as_str) {
        let first = err.lines().next().unwrap_or_default();
        let _ = write!(
            out,
            "{}checker error: {first}",
            if out.is_empty() { "" } else { "; " }
        );
    }
    out
}

fn opt_f(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |x| format!("{x:.digits$}"))
}

fn opt_i(v: Option<i64>) -> String {
    v.map_or("-".into(), |x| x.to_string())
}

/// A fixed-width table: one row per (label, summary).
pub fn render_table(rows: &[(String, Summary)]) -> String {
    let header = [
        "challenge",
        "workload",
        "verdict",
        "ops",
        "avail",
        "ok/s",
        "msgs/op srv",
        "msgs/op all",
        "latency",
        "p50 ms",
        "p99 ms",
        "max ms",
        "detail",
    ];
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(label, s)| {
            vec![
                label.clone(),
                s.workload.clone(),
                s.verdict.word().to_string(),
                opt_i(s.ops),
                opt_f(s.availability, 4),
                opt_f(s.ok_per_sec, 1),
                opt_f(s.msgs_per_op_servers, 2),
                opt_f(s.msgs_per_op_all, 2),
                s.latency_kind.unwrap_or("-").to_string(),
                opt_i(s.stable_p50),
                opt_i(s.stable_p99),
                opt_i(s.stable_max),
                s.detail.clone(),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &body {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let line = |cells: &[String], out: &mut String| {
        let last = cells.len() - 1;
        for (i, c) in cells.iter().enumerate() {
            if i == last {
                out.push_str(c);
            } else {
                let _ = write!(out, "{c:<w$}  ", w = widths[i]);
            }
        }
        out.push('\n');
    };
    line(&header.map(String::from), &mut out);
    for row in &body {
        line(row, &mut out);
    }
    out
}

/// A summary as one JSON object (for scripts).
pub fn to_json(label: &str, s: &Summary) -> serde_json::Value {
    serde_json::json!({
        "challenge": label,
        "dir": s.dir.display().to_string(),
        "workload": s.workload,
        "verdict": s.verdict.word().to_lowercase(),
        "ops": s.ops,
        "availability": s.availability,
        "msgs_per_op_servers": s.msgs_per_op_servers,
        "msgs_per_op_all": s.msgs_per_op_all,
        "ok_per_sec": s.ok_per_sec,
        "latency_kind": s.latency_kind,
        "stable_latency_ms": {"p50": s.stable_p50, "p99": s.stable_p99, "max": s.stable_max},
        "detail": s.detail,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixtures() -> PathBuf {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../shared/fixtures/maelstrom-store"
        ))
    }

    #[test]
    fn summarizes_real_maelstrom_runs() {
        let s =
            summarize(&fixtures().join(
                "broadcast/Emmanuel32__distributed-systems-practice__20230511T033437.888-0400",
            ));
        assert_eq!(s.workload, "broadcast");
        assert_eq!(s.verdict, Verdict::Valid);
        assert!(s.msgs_per_op_servers.unwrap() > 0.0);
        assert!(s.stable_p50.is_some() && s.stable_max.is_some());
        let s =
            summarize(&fixtures().join(
                "broadcast/Emmanuel32__distributed-systems-practice__20230511T014817.269-0400",
            ));
        assert_eq!(s.verdict, Verdict::Invalid);
        assert!(s.detail.starts_with("lost 50"), "{}", s.detail);
        let s = summarize(
            &fixtures()
                .join("echo/Shresth72__distributed_systems_jepsen__20240919T133742.800+0530"),
        );
        assert_eq!(s.verdict, Verdict::Aborted);
        let table = render_table(&[("3d".into(), s)]);
        assert!(table.lines().count() == 2 && table.contains("aborted"));
    }

    #[test]
    fn kafka_and_txn_runs_get_op_latency_and_throughput() {
        let s = summarize(&fixtures().join("kafka/local__maelstrom-0.2.5__20261122T034330.446Z"));
        assert_eq!(s.verdict, Verdict::Valid);
        assert_eq!(s.latency_kind, Some("op"));
        // 10 s main phase at rate 50: about 50 acknowledged ops a second.
        let rate = s.ok_per_sec.unwrap();
        assert!((40.0..=55.0).contains(&rate), "{rate}");
        assert!(s.stable_p50.unwrap() <= s.stable_p99.unwrap());
        assert!(s.stable_p99.unwrap() <= s.stable_max.unwrap());
        assert!(
            s.detail.contains("worst realtime lag 18.90 s"),
            "{}",
            s.detail
        );
        let s = summarize(
            &fixtures().join("txn-rw-register/local__maelstrom-0.2.5__20261122T034357.723Z"),
        );
        assert_eq!(s.verdict, Verdict::Invalid);
        assert_eq!(s.latency_kind, Some("op"));
        assert!(s.detail.starts_with("anomalies (:G-single"), "{}", s.detail);
        let table = render_table(&[("6a".into(), s)]);
        let header = table.lines().next().unwrap();
        assert!(
            header.contains("ok/s") && header.contains("latency"),
            "{header}"
        );
        let s =
            summarize(&fixtures().join(
                "broadcast/Emmanuel32__distributed-systems-practice__20230511T033437.888-0400",
            ));
        assert_eq!(s.latency_kind, Some("stable"));
    }
}
