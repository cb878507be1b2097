//! The figures the compare page ranks, taken from both runs' sources: server messages by type
//! and by node (`messages.svg`), op latency by `:f` and by phase, inside partitions or
//! outside (`history.edn`), and, when both runs have node telemetry, `handle` span and RPC
//! durations by message type, gossip fan-out and batch size, CaS attempts, transaction
//! conflicts and per-node messages sent.

use std::collections::{BTreeMap, BTreeSet};

use super::changes::{Better, Group, Measure, Scale, Unit};
use super::history::{HistoryAnalysis, MAX_POINTS};
use super::messages::MessageStats;
use super::quantile;
use crate::index::span_durations::{SpanDurations, SpanKey};
use crate::index::telemetry::MetricRow;
use crate::telemetry::figures::{self, RunFigures};

/// Op latencies under this many ms count as this many (Maelstrom's clock is coarse).
pub const OP_FLOOR_MS: f64 = 1.0;
/// Span durations under this many ms count as this many (scheduling noise).
pub const SPAN_FLOOR_MS: f64 = 0.05;

/// A run's node telemetry, as the compare needs it.
#[derive(Debug, Clone, Default)]
pub struct RunTelemetry {
    pub figures: RunFigures,
    pub spans: SpanDurations,
    /// `glomers_kv_cas_retries`: (sum, count) over all nodes.
    pub cas_retries: (f64, f64),
}

impl RunTelemetry {
    /// Built from a run's metric series and span durations.
    pub fn new(metrics: &[MetricRow], spans: SpanDurations) -> RunTelemetry {
        let mut cas_retries = (0.0, 0.0);
        for m in metrics {
            match m.name.as_str() {
                "glomers_kv_cas_retries_sum" => cas_retries.0 += m.value,
                "glomers_kv_cas_retries_count" => cas_retries.1 += m.value,
                _ => {}
            }
        }
        RunTelemetry {
            figures: figures::compute(metrics),
            spans,
            cas_retries,
        }
    }
}

/// What one run offers to the compare.
#[derive(Clone, Copy, Default)]
pub struct Sources<'a> {
    pub history: Option<&'a HistoryAnalysis>,
    pub messages: Option<&'a MessageStats>,
    pub telemetry: Option<&'a RunTelemetry>,
    /// Client ops from `results.edn`, when the history has none.
    pub ops: Option<f64>,
}

impl Sources<'_> {
    /// Client ops invoked: from the history, else results.edn, else the nodes' counters.
    pub fn client_ops(&self) -> Option<f64> {
        let from_history = self.history.map(|h| {
            h.by_f
                .iter()
                .map(|f| f.ok + f.fail + f.info + f.pending)
                .sum::<u64>() as f64
        });
        from_history
            .filter(|n| *n > 0.0)
            .or(self.ops.filter(|n| *n > 0.0))
            .or_else(|| {
                self.telemetry
                    .map(|t| t.figures.total.client_ops)
                    .filter(|n| *n > 0.0)
            })
    }

    fn seconds(&self) -> Option<f64> {
        self.history.map(|h| h.duration_s).filter(|s| *s > 0.0)
    }
}

/// How counts are normalised for these two runs.
pub fn scale(a: &Sources, b: &Sources) -> Scale {
    Scale::choose((a.client_ops(), b.client_ops()), (a.seconds(), b.seconds()))
}

fn union<'a, T: Ord + Clone + 'a>(
    a: impl IntoIterator<Item = &'a T>,
    b: impl IntoIterator<Item = &'a T>,
) -> BTreeSet<T> {
    a.into_iter().chain(b).cloned().collect()
}

/// Every key of either map with its value in each (0 where missing).
fn paired(a: &BTreeMap<String, f64>, b: &BTreeMap<String, f64>) -> Vec<(String, (f64, f64))> {
    union(a.keys(), b.keys())
        .into_iter()
        .map(|k| {
            let v = (
                a.get(&k).copied().unwrap_or(0.0),
                b.get(&k).copied().unwrap_or(0.0),
            );
            (k, v)
        })
        .collect()
}

fn unit_word(s: Scale) -> &'static str {
    match s.unit {
        Unit::PerOp => " per op",
        Unit::PerSecond => " per second",
        _ => "",
    }
}

fn message_measures(a: &MessageStats, b: &MessageStats, s: Scale, out: &mut Vec<Measure>) {
    // What Maelstrom's :servers counts: messages between servers and to/from services.
    let by_type = |m: &MessageStats| -> BTreeMap<String, f64> {
        m.by_type
            .iter()
            .map(|t| (t.msg_type.clone(), (t.server_server + t.service) as f64))
            .collect()
    };
    let by_node = |m: &MessageStats| -> BTreeMap<String, f64> {
        m.by_node
            .iter()
            .map(|n| (n.node.clone(), n.sent as f64))
            .collect()
    };
    let count = |key: String, label: String, raw| {
        Measure::count(key, label, Group::Messages, raw, s, Better::Lower)
    };
    for (t, raw) in paired(&by_type(a), &by_type(b)) {
        let label = format!("server messages{}, type={t}", unit_word(s));
        out.push(count(format!("msgs-type/{t}"), label, raw));
    }
    for (n, raw) in paired(&by_node(a), &by_node(b)) {
        let label = format!("messages sent{}, node={n}", unit_word(s));
        out.push(count(format!("msgs-node/{n}"), label, raw));
    }
}

/// Ok latencies (ms) of a history's kept points by phase (inside a partition window or
/// not), each with its weight: a history of more than [`MAX_POINTS`] ops keeps every slow
/// or failed op and an even stride of the rest, so a stride point stands for `stride` ops.
pub fn latencies_by_phase(h: &HistoryAnalysis) -> [Vec<(f64, f64)>; 2] {
    let completions: u64 = h.by_f.iter().map(|f| f.ok + f.fail + f.info).sum();
    let p99 = h.overall.p99.unwrap_or(f64::INFINITY);
    let special = |p: &super::history::Point| p.outcome != 0 || p.ms > p99;
    let stride = if completions as usize > h.points.len() {
        let kept_special = h.points.iter().filter(|p| special(p)).count();
        (completions as usize).div_ceil(MAX_POINTS.saturating_sub(kept_special).max(1)) as f64
    } else {
        1.0
    };
    let mut out = [Vec::new(), Vec::new()];
    for p in h.points.iter().filter(|p| p.outcome == 0) {
        let inside = h.partitions.iter().any(|(s, e)| p.t >= *s && p.t <= *e);
        let w = if special(p) { 1.0 } else { stride };
        out[usize::from(inside)].push((p.ms, w));
    }
    for v in &mut out {
        v.sort_by(|x, y| x.0.total_cmp(&y.0));
    }
    out
}

/// The value at quantile `q` of weighted samples sorted by value.
pub fn weighted_at(sorted: &[(f64, f64)], q: f64) -> Option<f64> {
    let total: f64 = sorted.iter().map(|p| p.1).sum();
    if sorted.is_empty() || total <= 0.0 {
        return None;
    }
    let target = total * q;
    let mut acc = 0.0;
    for (v, w) in sorted {
        acc += w;
        if acc > target {
            return Some(*v);
        }
    }
    sorted.last().map(|p| p.0)
}

const QS: [(&str, f64); 2] = [("p50", 0.5), ("p99", 0.99)];

fn latency_measures(a: &HistoryAnalysis, b: &HistoryAnalysis, out: &mut Vec<Measure>) {
    if !a.has_times || !b.has_times {
        return;
    }
    for fa in &a.by_f {
        let Some(fb) = b.by_f.iter().find(|x| x.f == fa.f) else {
            continue;
        };
        for (name, v) in [
            ("p50", (fa.quantiles.p50, fb.quantiles.p50)),
            ("p99", (fa.quantiles.p99, fb.quantiles.p99)),
        ] {
            out.push(Measure::value(
                format!("op-{name}/{}", fa.f),
                format!("op latency {name}, :f={}", fa.f),
                Group::Latency,
                v,
                (fa.ok as f64, fb.ok as f64),
                OP_FLOOR_MS,
                Unit::Ms,
                Better::Lower,
            ));
        }
    }
    if a.partitions.is_empty() && b.partitions.is_empty() {
        return;
    }
    let (pa, pb) = (latencies_by_phase(a), latencies_by_phase(b));
    for (i, phase) in ["outside", "inside"].into_iter().enumerate() {
        let n = |v: &[(f64, f64)]| v.iter().map(|p| p.1).sum::<f64>();
        for (name, q) in QS {
            out.push(Measure::value(
                format!("phase-{name}/{phase}"),
                format!("op latency {name}, {phase} partitions"),
                Group::Latency,
                (weighted_at(&pa[i], q), weighted_at(&pb[i], q)),
                (n(&pa[i]), n(&pb[i])),
                OP_FLOOR_MS,
                Unit::Ms,
                Better::Lower,
            ));
        }
    }
}

fn span_label(key: &SpanKey) -> (String, String) {
    let (name, typ, peer) = key;
    match (name.as_str(), peer) {
        ("rpc", Some(p)) => (
            format!("rpc/{typ}/{p}"),
            format!("RPC latency {{q}}, type={typ}, peer={p}"),
        ),
        ("rpc", None) => (
            format!("rpc/{typ}"),
            format!("RPC latency {{q}}, type={typ}"),
        ),
        _ => (
            format!("{name}/{typ}"),
            format!("{name} span {{q}}, type={typ}"),
        ),
    }
}

fn span_measures(a: &SpanDurations, b: &SpanDurations, out: &mut Vec<Measure>) {
    for (key, da) in a {
        let Some(db) = b.get(key) else { continue };
        let (id, label) = span_label(key);
        for (name, q) in QS {
            let mut m = Measure::value(
                format!("{name}:{id}"),
                label.replace("{q}", name),
                Group::Telemetry,
                (quantile::at(da, q), quantile::at(db, q)),
                (da.len() as f64, db.len() as f64),
                SPAN_FLOOR_MS,
                Unit::Ms,
                Better::Lower,
            );
            m.dist = Some(key.clone());
            out.push(m);
        }
    }
}

fn metric_measures(
    a: &RunTelemetry,
    b: &RunTelemetry,
    s: Scale,
    node_messages: bool,
    out: &mut Vec<Measure>,
) {
    let (fa, fb) = (&a.figures.total, &b.figures.total);
    let per = unit_word(s);
    let mut count = |key: &str, label: String, raw: (f64, f64)| {
        if raw.0 > 0.0 || raw.1 > 0.0 {
            out.push(Measure::count(
                key.into(),
                label,
                Group::Telemetry,
                raw,
                s,
                Better::Lower,
            ));
        }
    };
    count(
        "tel-gossip-rounds",
        format!("gossip rounds{per}"),
        (fa.gossip_rounds, fb.gossip_rounds),
    );
    count(
        "tel-cas",
        format!("CaS attempts{per}"),
        (fa.cas_total, fb.cas_total),
    );
    count(
        "tel-cas-failed",
        format!("CaS attempts failed{per}"),
        (fa.cas_failed, fb.cas_failed),
    );
    count(
        "tel-txn-conflicts",
        format!("txn conflicts{per}"),
        (fa.txn_conflicts, fb.txn_conflicts),
    );
    if node_messages {
        let sent = |f: &RunFigures| -> BTreeMap<String, f64> {
            f.nodes.iter().map(|n| (n.node.clone(), n.sent)).collect()
        };
        for (n, raw) in paired(&sent(&a.figures), &sent(&b.figures)) {
            count(
                &format!("tel-sent/{n}"),
                format!("messages sent{per}, node={n} (telemetry)"),
                raw,
            );
        }
        for t in union(&a.figures.types, &b.figures.types) {
            let s = |f: &RunFigures| f.total.by_type.get(&t).map_or(0.0, |x| x.0);
            count(
                &format!("tel-sent-type/{t}"),
                format!("messages sent{per}, type={t} (telemetry)"),
                (s(&a.figures), s(&b.figures)),
            );
        }
    }
    let mean = |key: &str, label: &str, v: (Option<f64>, Option<f64>), n: (f64, f64)| {
        Measure::value(
            key.into(),
            label.into(),
            Group::Telemetry,
            v,
            n,
            0.5,
            Unit::Plain,
            Better::Neutral,
        )
    };
    out.push(mean(
        "tel-gossip-fanout",
        "gossip fan-out (mean peers a round)",
        (fa.mean_fanout(), fb.mean_fanout()),
        (fa.gossip_rounds, fb.gossip_rounds),
    ));
    out.push(mean(
        "tel-gossip-batch",
        "gossip batch size (mean values a message)",
        (fa.mean_batch(), fb.mean_batch()),
        (fa.gossip_batch_rounds, fb.gossip_batch_rounds),
    ));
    let retries = |r: (f64, f64)| (r.1 > 0.0).then(|| r.0 / r.1);
    let mut m = mean(
        "tel-cas-retries",
        "CaS retries (mean a loop)",
        (retries(a.cas_retries), retries(b.cas_retries)),
        (a.cas_retries.1, b.cas_retries.1),
    );
    m.floor = 0.1;
    m.better = Better::Lower;
    out.push(m);
}

/// Every figure of both runs, to be ranked; and the normalisation used.
pub fn measures(a: &Sources, b: &Sources) -> (Vec<Measure>, Scale) {
    let s = scale(a, b);
    let mut out = Vec::new();
    if let (Some(ma), Some(mb)) = (a.messages, b.messages) {
        message_measures(ma, mb, s, &mut out);
    }
    if let (Some(ha), Some(hb)) = (a.history, b.history) {
        latency_measures(ha, hb, &mut out);
    }
    if let (Some(ta), Some(tb)) = (a.telemetry, b.telemetry) {
        span_measures(&ta.spans, &tb.spans, &mut out);
        // messages.svg already gives messages by node and type; telemetry fills in without it.
        let svg_nodes = [a.messages, b.messages]
            .iter()
            .all(|m| m.is_some_and(|m| !m.by_node.is_empty()));
        metric_measures(ta, tb, s, !svg_nodes, &mut out);
    }
    (out, s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::changes::rank;
    use crate::analysis::history::analyse;
    use crate::analysis::messages::{NodeCount, TypeCount};

    fn stats(types: &[(&str, u64)], nodes: &[(&str, u64)]) -> MessageStats {
        MessageStats {
            total: types.iter().map(|t| t.1).sum(),
            by_type: types
                .iter()
                .map(|(t, n)| TypeCount {
                    msg_type: t.to_string(),
                    total: *n,
                    server_server: *n,
                    ..TypeCount::default()
                })
                .collect(),
            by_node: nodes
                .iter()
                .map(|(n, s)| NodeCount {
                    node: n.to_string(),
                    sent: *s,
                    received: 0,
                })
                .collect(),
        }
    }

    #[test]
    fn messages_are_ranked_per_op_and_new_types_count() {
        let a = stats(&[("gossip", 4000), ("read", 2)], &[("n0", 4000)]);
        let b = stats(
            &[("gossip", 8000), ("read", 6), ("sync", 300)],
            &[("n0", 4000)],
        );
        let sa = Sources {
            messages: Some(&a),
            ops: Some(1000.0),
            ..Sources::default()
        };
        let sb = Sources {
            messages: Some(&b),
            ops: Some(2000.0),
            ..Sources::default()
        };
        let (ms, s) = measures(&sa, &sb);
        assert_eq!(s.unit, Unit::PerOp);
        let ranked = rank(ms);
        let keys: Vec<&str> = ranked.iter().map(|c| c.m.key.as_str()).collect();
        // sync: 0 → 0.15/op is new; n0 sent the same over twice the ops: halved per op;
        // gossip doubled with the ops: unchanged; read: 2 → 6 under the floor.
        assert_eq!(keys, ["msgs-type/sync", "msgs-node/n0"]);
        assert_eq!(ranked[1].ratio_text(), "÷2.00");
    }

    fn history(ops: &[(u64, u64)], partition: Option<(u64, u64)>) -> HistoryAnalysis {
        let mut lines = Vec::new();
        let mut i = 0;
        let mut push = |time: u64, s: String| {
            lines.push((time, format!("{{:index {i}, :time {time}, {s}}}")));
            i += 1;
        };
        if let Some((s, e)) = partition {
            push(
                s,
                ":type :info, :process :nemesis, :f :start-partition, :value :one".into(),
            );
            push(
                e,
                ":type :info, :process :nemesis, :f :stop-partition, :value nil".into(),
            );
        }
        for (p, (start, ms)) in ops.iter().enumerate() {
            push(
                *start,
                format!(":type :invoke, :process {p}, :f :read, :value nil"),
            );
            push(
                start + ms * 1_000_000,
                format!(":type :ok, :process {p}, :f :read, :value nil"),
            );
        }
        lines.sort_by_key(|l| l.0);
        let text: Vec<String> = lines.into_iter().map(|l| l.1).collect();
        analyse(&text.join("\n"))
    }

    #[test]
    fn latency_inside_partitions_is_ranked_apart() {
        let s = 1_000_000_000;
        // 50 ops outside partitions at 10 ms; 50 inside, at 10 ms in A and 40 ms in B.
        let ops = |inside_ms: u64| -> Vec<(u64, u64)> {
            (0..100)
                .map(|i| {
                    if i < 50 {
                        (i * s / 10, 10)
                    } else {
                        (10 * s + (i - 50) * s / 10, inside_ms)
                    }
                })
                .collect()
        };
        let a = history(&ops(10), Some((10 * s - 1, 16 * s)));
        let b = history(&ops(40), Some((10 * s - 1, 16 * s)));
        let [out, inside] = latencies_by_phase(&b);
        assert_eq!((out.len(), inside.len()), (50, 50));
        let sa = Sources {
            history: Some(&a),
            ..Sources::default()
        };
        let sb = Sources {
            history: Some(&b),
            ..Sources::default()
        };
        let ranked = rank(measures(&sa, &sb).0);
        let inside = ranked.iter().find(|c| c.m.key == "phase-p50/inside");
        assert_eq!(inside.map(|c| c.ratio_text()).as_deref(), Some("×4.00"));
        assert_eq!(inside.unwrap().m.label, "op latency p50, inside partitions");
        assert!(ranked.iter().all(|c| !c.m.key.ends_with("/outside")));
    }

    #[test]
    fn weighted_quantiles_undo_downsampling() {
        // Stride points stand for 10 ops each; the slow outlier for one.
        let mut pts: Vec<(f64, f64)> = (0..99).map(|i| (f64::from(i), 10.0)).collect();
        pts.push((1000.0, 1.0));
        assert_eq!(weighted_at(&pts, 0.5), Some(49.0));
        assert_eq!(weighted_at(&pts, 0.99), Some(98.0));
        assert_eq!(weighted_at(&pts, 0.9995), Some(1000.0));
        assert_eq!(weighted_at(&[], 0.5), None);
        // A history over MAX_POINTS ops: kept points carry weights summing to the ops.
        let n = MAX_POINTS as u64 * 3;
        let ops: Vec<(u64, u64)> = (0..n).map(|i| (i * 1_000_000, 1 + i % 7)).collect();
        let h = history(&ops, None);
        assert!(h.points.len() < n as usize);
        let [outside, _] = latencies_by_phase(&h);
        let total: f64 = outside.iter().map(|p| p.1).sum();
        assert!(
            (total - n as f64).abs() / (n as f64) < 0.05,
            "{total} vs {n}"
        );
    }

    #[test]
    fn telemetry_spans_and_counters() {
        let spans = |ms: f64, n: usize| -> SpanDurations {
            let mut d = SpanDurations::new();
            d.insert(("handle".into(), "broadcast".into(), None), vec![ms; n]);
            d.insert(
                ("rpc".into(), "gossip".into(), Some("node".into())),
                vec![2.0; n],
            );
            d
        };
        let metric = |name: &str, v: f64| MetricRow {
            node: Some("n0".into()),
            name: name.into(),
            labels_json: r#"{"node":"n0","outcome":"ok"}"#.into(),
            value: v,
        };
        let ta = RunTelemetry::new(&[metric("glomers_kv_cas_total", 100.0)], spans(0.2, 500));
        let tb = RunTelemetry::new(&[metric("glomers_kv_cas_total", 300.0)], spans(0.5, 400));
        let sa = Sources {
            telemetry: Some(&ta),
            ops: Some(100.0),
            ..Sources::default()
        };
        let sb = Sources {
            telemetry: Some(&tb),
            ops: Some(100.0),
            ..Sources::default()
        };
        let ranked = rank(measures(&sa, &sb).0);
        let keys: Vec<&str> = ranked.iter().map(|c| c.m.key.as_str()).collect();
        assert_eq!(keys[0], "tel-cas");
        assert!(keys.contains(&"p50:handle/broadcast"));
        assert!(!keys.iter().any(|k| k.starts_with("p50:rpc")), "unchanged");
        let handle = ranked
            .iter()
            .find(|c| c.m.key == "p99:handle/broadcast")
            .unwrap();
        assert_eq!(handle.m.label, "handle span p99, type=broadcast");
        assert_eq!(
            handle.m.dist,
            Some(("handle".into(), "broadcast".into(), None))
        );
        // Without telemetry on one side, no telemetry figures.
        let sb = Sources {
            ops: Some(100.0),
            ..Sources::default()
        };
        assert!(measures(&sa, &sb).0.is_empty());
    }
}
