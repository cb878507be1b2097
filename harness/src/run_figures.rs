//! Figures `harness report` reads from a run's history.edn and jepsen.log rather than its
//! results.edn: client-op latency quantiles (for workloads whose checker reports no stable
//! latencies, such as kafka and the txn workloads) and acknowledged ops per second of the
//! main phase (`--time-limit`, read from the command line jepsen.log starts with).

use std::collections::HashMap;
use std::path::Path;

use glomers_model::history::parse_history;
use glomers_model::{Op, OpType, Process};

/// Client-op figures of one run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpFigures {
    /// Latency (invoke → `:ok`) quantiles 0.5, 0.99 and the maximum, in ms.
    pub p50_ms: Option<i64>,
    pub p99_ms: Option<i64>,
    pub max_ms: Option<i64>,
    /// `:ok` client ops invoked within the main phase, per second of it.
    pub ok_per_sec: Option<f64>,
}

/// Read `history.edn` (and `jepsen.log` for the time limit) of a run folder. Missing or
/// unreadable files give empty figures; they never fail the report.
pub fn read(dir: &Path) -> OpFigures {
    let Ok(text) = std::fs::read_to_string(dir.join("history.edn")) else {
        return OpFigures::default();
    };
    let Ok(ops) = parse_history(&text) else {
        return OpFigures::default();
    };
    let limit = std::fs::read_to_string(dir.join("jepsen.log"))
        .ok()
        .and_then(|log| time_limit(&log));
    figures(&ops, limit)
}

/// The run's `--time-limit` in seconds from jepsen.log's "Command line:" entry (Maelstrom's
/// default, 60, when the flag is absent); `None` when the log has no command line.
pub fn time_limit(log: &str) -> Option<f64> {
    let at = log.find("Command line:")?;
    let line = log[at + "Command line:".len()..]
        .trim_start_matches([' ', '\r', '\n'])
        .lines()
        .next()?;
    let words: Vec<&str> = line.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if let Some(v) = w.strip_prefix("--time-limit=") {
            return v.parse().ok();
        }
        if *w == "--time-limit" {
            return words.get(i + 1)?.parse().ok();
        }
    }
    Some(60.0)
}

/// Latency quantiles over every `:ok` client op; throughput over ops invoked before
/// `limit_s` (the whole history's span when the limit is unknown).
pub fn figures(ops: &[Op], limit_s: Option<f64>) -> OpFigures {
    let mut open: HashMap<u64, u64> = HashMap::new();
    let mut lat_ns: Vec<u64> = Vec::new();
    let mut ok_in_phase = 0u64;
    let mut last_ns = 0u64;
    let limit_ns = limit_s.map(|s| (s * 1e9) as u64);
    for op in ops {
        let Process::Client(p) = op.process else {
            continue;
        };
        last_ns = last_ns.max(op.time);
        match op.typ {
            OpType::Invoke => {
                open.insert(p, op.time);
            }
            typ => {
                let Some(start) = open.remove(&p) else {
                    continue;
                };
                if typ == OpType::Ok {
                    lat_ns.push(op.time.saturating_sub(start));
                    if limit_ns.is_none_or(|l| start <= l) {
                        ok_in_phase += 1;
                    }
                }
            }
        }
    }
    let span_s = limit_s.unwrap_or(last_ns as f64 / 1e9);
    lat_ns.sort_unstable();
    let q = |f: f64| -> Option<i64> {
        if lat_ns.is_empty() {
            return None;
        }
        // Nearest rank: the smallest latency with at least f of all at or below it.
        let rank = ((f * lat_ns.len() as f64).ceil() as usize).clamp(1, lat_ns.len());
        Some((lat_ns[rank - 1] / 1_000_000) as i64)
    };
    OpFigures {
        p50_ms: q(0.5),
        p99_ms: q(0.99),
        max_ms: q(1.0),
        ok_per_sec: (span_s > 0.0 && !lat_ns.is_empty()).then(|| ok_in_phase as f64 / span_s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_model::Value;

    fn op(time_ms: u64, typ: OpType, p: u64) -> Op {
        Op {
            index: 0,
            time: time_ms * 1_000_000,
            typ,
            process: Process::Client(p),
            f: "txn".into(),
            value: Value::Nil,
            extra: Vec::new(),
        }
    }

    #[test]
    fn latency_quantiles_and_main_phase_throughput() {
        let mut ops = Vec::new();
        // 100 ops on process 0, 10 ms apart, each taking i ms; one :info and one :fail.
        for i in 0..100u64 {
            ops.push(op(i * 10, OpType::Invoke, 0));
            ops.push(op(i * 10 + i % 10, OpType::Ok, 0));
        }
        ops.push(op(1000, OpType::Invoke, 1));
        ops.push(op(1500, OpType::Info, 1));
        ops.push(op(1600, OpType::Invoke, 1));
        ops.push(op(1601, OpType::Fail, 1));
        // A final-phase op after the 1 s limit counts for latency, not throughput.
        ops.push(op(5000, OpType::Invoke, 2));
        ops.push(op(5050, OpType::Ok, 2));
        let f = figures(&ops, Some(1.0));
        assert_eq!(f.p50_ms, Some(5));
        assert_eq!(f.p99_ms, Some(9));
        assert_eq!(f.max_ms, Some(50));
        assert_eq!(f.ok_per_sec, Some(100.0));
        let whole = figures(&ops, None);
        assert_eq!(whole.ok_per_sec, Some(101.0 / 5.05));
        assert_eq!(figures(&[], Some(1.0)), OpFigures::default());
    }

    #[test]
    fn time_limit_from_the_command_line() {
        let log = "2026-11-22 INFO [jepsen test runner] jepsen.core: Command line:\n\
                   lein run test -w kafka --bin k --time-limit 10 --rate 50\nnext";
        assert_eq!(time_limit(log), Some(10.0));
        assert_eq!(
            time_limit("x Command line:\nharness test -w echo --time-limit=3\n"),
            Some(3.0)
        );
        assert_eq!(
            time_limit("x Command line:\nmaelstrom test -w echo\n"),
            Some(60.0)
        );
        assert_eq!(time_limit("no command line here"), None);
    }
}
