//! The run page's Telemetry section: which node processes reported (files or OTLP), per-node
//! figures from their metrics, the client operations whose traces lasted longest, and a span
//! waterfall of one trace across nodes (`?trace=<32 hex>`; the slowest by default), drawn
//! with HTML/CSS bars on the server.

use std::collections::{HashMap, HashSet};

use maud::{html, Markup};
use serde_json::Value;

use super::format::{self, encode_path};
use crate::index::telemetry::{node_order, SourceRow, SpanRow, TraceRow};
use crate::index::Index;
use crate::rundir::files::FileEntry;
use crate::telemetry::figures::{self, RunFigures};

/// Client operations listed by trace length.
pub const SLOWEST_TRACES: usize = 10;
/// Most spans drawn in one waterfall.
pub const MAX_WATERFALL_SPANS: usize = 400;

/// Whether a `trace` query value is a trace id.
pub fn valid_trace_id(s: &str) -> bool {
    s.len() == 32 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Everything the section shows, read from the index.
pub struct TelemetryView {
    pub sources: Vec<SourceRow>,
    pub figures: RunFigures,
    pub slowest: Vec<TraceRow>,
    /// The trace drawn and its spans.
    pub trace: Option<(String, Vec<SpanRow>)>,
}

/// Reads the view of one run (blocking).
pub fn load(index: &Index, run_id: &str, trace: Option<&str>) -> rusqlite::Result<TelemetryView> {
    let sources = index.tel_sources_of_run(run_id)?;
    if sources.is_empty() {
        return Ok(TelemetryView {
            sources,
            figures: RunFigures::default(),
            slowest: Vec::new(),
            trace: None,
        });
    }
    let figures = figures::compute(&index.tel_metrics_of_run(run_id)?);
    let slowest = index.tel_slowest_traces(run_id, SLOWEST_TRACES)?;
    let chosen = trace
        .map(|t| t.to_ascii_lowercase())
        .or_else(|| slowest.first().map(|t| t.trace_id.clone()));
    let trace = match chosen {
        Some(t) => {
            let spans = index.tel_trace(run_id, &t, MAX_WATERFALL_SPANS)?;
            Some((t, spans))
        }
        None => None,
    };
    Ok(TelemetryView {
        sources,
        figures,
        slowest,
        trace,
    })
}

fn n(v: f64) -> String {
    format::num(Some(v), 0)
}

fn opt(v: Option<f64>, decimals: usize) -> String {
    format::num(v, decimals)
}

fn node_hue(node: Option<&str>) -> u32 {
    let (_, i, name) = node_order(node);
    let k = if i > 0 || name == "n0" {
        i
    } else {
        name.bytes().map(u64::from).sum()
    };
    ((k * 47) % 360) as u32
}

fn sources_table(sources: &[SourceRow]) -> Markup {
    let spans: i64 = sources.iter().map(|s| s.spans).sum();
    let skipped: i64 = sources.iter().map(|s| s.skipped_lines).sum();
    let via: HashSet<&str> = sources.iter().map(|s| s.via.as_str()).collect();
    let mut via: Vec<&str> = via.into_iter().collect();
    via.sort();
    html! {
        p #telemetry-summary data-processes=(sources.len()) data-spans=(spans) {
            (sources.len()) " node process(es) reported (" (via.join(" and ")) "), "
            (spans) " spans stored"
            @if skipped > 0 { ", " (skipped) " unreadable span line(s) skipped" }
            "."
        }
        details #telemetry-sources {
            summary { "Node processes" }
            table {
                tr { th { "node" } th { "via" } th { "service" } th.num { "pid" } th.num { "spans" } th { "first" } th { "last" } }
                @for s in sources {
                    tr.tel-source data-node=[s.node.as_deref()] data-via=(s.via) {
                        td { (s.node.as_deref().unwrap_or("?")) }
                        td { (s.via) }
                        td { (s.service.as_deref().unwrap_or("")) }
                        td.num { (format::int(s.pid)) }
                        td.num { (s.spans) }
                        td.mono { (ms_time(s.first_ms)) }
                        td.mono { (ms_time(s.last_ms)) }
                    }
                }
            }
        }
    }
}

fn ms_time(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_else(|| "—".into())
}

fn bar(value: f64, max: f64) -> Markup {
    let w = if max > 0.0 { value / max * 100.0 } else { 0.0 };
    html! { span.tel-bar style={ "width:" (format!("{w:.1}")) "%" } {} }
}

fn figures_tables(f: &RunFigures) -> Markup {
    let max_sent = f.nodes.iter().map(|n| n.sent).fold(0.0, f64::max);
    html! {
        h3 { "Per node" }
        table #telemetry-nodes {
            tr {
                th { "node" } th.num { "sent" } th { "" } th.num { "received" } th.num { "to nodes" } th.num { "client ops" }
                @if f.has_gossip() { th.num { "gossip rounds" } th.num { "mean fan-out" } th.num { "mean batch" } }
                @if f.has_cas() { th.num { "CaS" } th.num { "CaS failed" } }
                @if f.has_txn() { th.num { "txns" } th.num { "conflicts" } }
                th.num { "RPCs" } th.num { "mean RPC ms" }
            }
            @for (i, nf) in f.nodes.iter().chain(std::iter::once(&f.total)).enumerate() {
                @let total = i == f.nodes.len();
                tr.tel-node.total[total] data-node=(nf.node) data-sent=(nf.sent) data-received=(nf.received) {
                    td { @if total { strong { "all" } } @else { (nf.node) } }
                    td.num { (n(nf.sent)) }
                    td.bar-cell { @if !total { (bar(nf.sent, max_sent)) } }
                    td.num { (n(nf.received)) }
                    td.num { (n(nf.sent_to_nodes)) }
                    td.num { (n(nf.client_ops)) }
                    @if f.has_gossip() {
                        td.num data-gossip-rounds=(nf.gossip_rounds) { (n(nf.gossip_rounds)) }
                        td.num.mean-fanout { (opt(nf.mean_fanout(), 2)) }
                        td.num.mean-batch { (opt(nf.mean_batch(), 2)) }
                    }
                    @if f.has_cas() {
                        td.num data-cas=(nf.cas_total) { (n(nf.cas_total)) }
                        td.num data-cas-failed=(nf.cas_failed) { (n(nf.cas_failed)) }
                    }
                    @if f.has_txn() {
                        td.num { (n(nf.txn_total)) }
                        td.num data-txn-conflicts=(nf.txn_conflicts) { (n(nf.txn_conflicts)) }
                    }
                    td.num { (n(nf.rpc_count)) }
                    td.num { (opt(nf.mean_rpc_ms(), 2)) }
                }
            }
        }
        @if !f.types.is_empty() {
            h3 { "Messages by type (sent / received)" }
            div.tel-scroll {
                table #telemetry-types {
                    tr { th { "node" } @for t in &f.types { th.num.mono { (t) } } }
                    @for nf in f.nodes.iter().chain(std::iter::once(&f.total)) {
                        tr data-node=(nf.node) {
                            td { (nf.node) }
                            @for t in &f.types {
                                @let (s, r) = nf.by_type.get(t).copied().unwrap_or_default();
                                td.num data-type=(t) data-sent=(s) data-received=(r) { (n(s)) " / " (n(r)) }
                            }
                        }
                    }
                }
            }
        }
        @if f.total.dropped > 0.0 {
            p.problem { "Nodes dropped " (n(f.total.dropped)) " telemetry item(s) (a sink could not keep up or failed)." }
        }
    }
}

fn trace_href(run_id: &str, trace: &str) -> String {
    format!("/run/{}?trace={trace}#waterfall", encode_path(run_id))
}

fn slowest_table(run_id: &str, slowest: &[TraceRow]) -> Markup {
    html! {
        h3 { "Slowest client operations (whole trace)" }
        @if slowest.is_empty() {
            p.muted { "No spans of client requests." }
        } @else {
            table #slowest-traces {
                tr { th { "request" } th.num { "trace ms" } th.num { "spans" } th.num { "nodes" } th { "trace" } }
                @for t in slowest {
                    tr data-trace=(t.trace_id) {
                        td.mono { (t.root) }
                        td.num { (format::num(Some((t.end_ns - t.start_ns) as f64 / 1e6), 3)) }
                        td.num { (t.spans) }
                        td.num { (t.nodes) }
                        td.mono { a href=(trace_href(run_id, &t.trace_id)) { (t.trace_id) } }
                    }
                }
            }
        }
    }
}

/// Spans in tree order (parents before children, siblings by start), with their depth.
pub fn tree_order(spans: &[SpanRow]) -> Vec<(usize, &SpanRow)> {
    let ids: HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut children: HashMap<&str, Vec<&SpanRow>> = HashMap::new();
    let mut roots = Vec::new();
    for s in spans {
        match s.parent_span_id.as_deref() {
            Some(p) if ids.contains(p) && p != s.span_id => children.entry(p).or_default().push(s),
            _ => roots.push(s),
        }
    }
    let mut out = Vec::with_capacity(spans.len());
    let mut stack: Vec<(usize, &SpanRow)> = roots.into_iter().rev().map(|s| (0, s)).collect();
    let mut done = HashSet::new();
    while let Some((depth, s)) = stack.pop() {
        if !done.insert(s.span_id.as_str()) {
            continue;
        }
        out.push((depth, s));
        if let Some(kids) = children.get(s.span_id.as_str()) {
            for k in kids.iter().rev() {
                stack.push((depth + 1, k));
            }
        }
    }
    out
}

fn span_label(s: &SpanRow) -> String {
    let attrs: serde_json::Map<String, Value> =
        serde_json::from_str(&s.attrs_json).unwrap_or_default();
    let a = |k: &str| {
        attrs.get(k).map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let mut label = s.name.clone();
    if let Some(t) = a("msg.type") {
        label.push(' ');
        label.push_str(&t);
    }
    if let Some(src) = a("msg.src") {
        label.push_str(&format!(" ← {src}"));
    }
    if let Some(dest) = a("msg.dest") {
        label.push_str(&format!(" → {dest}"));
    }
    for k in ["fanout", "batch_values", "attempts", "outcome"] {
        if let Some(v) = a(k) {
            label.push_str(&format!(" {k}={v}"));
        }
    }
    label
}

fn waterfall(trace: &str, spans: &[SpanRow]) -> Markup {
    let t0 = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
    let t1 = spans.iter().map(|s| s.end_ns).max().unwrap_or(t0);
    let total = (t1 - t0).max(1) as f64;
    let nodes: HashSet<&str> = spans.iter().filter_map(|s| s.node.as_deref()).collect();
    html! {
        section #waterfall data-trace=(trace) data-spans=(spans.len()) {
            h3 { "Trace " span.mono { (trace) } }
            @if spans.is_empty() {
                p.muted { "No spans of this trace in this run." }
            } @else {
                p.muted {
                    (spans.len()) " span(s) on " (nodes.len()) " node(s) over "
                    (format::num(Some(total / 1e6), 3)) " ms"
                    @if spans.len() >= MAX_WATERFALL_SPANS { " (first " (MAX_WATERFALL_SPANS) " spans only)" }
                    "; bars are placed by start time, coloured by node."
                }
                div.wf {
                    @for (depth, s) in tree_order(spans) {
                        @let left = (s.start_ns - t0) as f64 / total * 100.0;
                        @let width = ((s.end_ns - s.start_ns) as f64 / total * 100.0).max(0.3);
                        @let dur_ms = (s.end_ns - s.start_ns) as f64 / 1e6;
                        div.wf-row.error[s.error] data-node=[s.node.as_deref()] data-span=(s.span_id) data-start-ns=(s.start_ns) data-depth=(depth) {
                            span.wf-node { (s.node.as_deref().unwrap_or("?")) }
                            span.wf-label style={ "padding-left:" (depth) "em" } title=(s.attrs_json) { (span_label(s)) }
                            span.wf-track {
                                span.wf-bar
                                    style={ "left:" (format!("{:.3}", left.min(99.7))) "%;width:" (format!("{width:.3}")) "%;background:hsl(" (node_hue(s.node.as_deref())) ",60%,48%)" }
                                    title={ (format!("{:.3}", (s.start_ns - t0) as f64 / 1e6)) " ms +" (format!("{dur_ms:.3}")) " ms" } {}
                            }
                            span.wf-dur { (format::num(Some(dur_ms), 3)) " ms" }
                        }
                    }
                }
            }
        }
    }
}

/// The section; `files` are the run's own telemetry files (linked).
pub fn section(run_id: &str, view: &TelemetryView, files: &[FileEntry]) -> Markup {
    html! {
        section #telemetry {
            h2 { "Telemetry" }
            @if view.sources.is_empty() {
                p.muted {
                    "No node telemetry for this run. Nodes write it when GLOMERS_TELEMETRY is set: "
                    "files (the harness's --telemetry, or the dashboard's --telemetry-dir) or OTLP "
                    "pushed to this dashboard's /v1/traces and /v1/metrics."
                }
            } @else {
                (sources_table(&view.sources))
                (figures_tables(&view.figures))
                (slowest_table(run_id, &view.slowest))
                @if let Some((t, spans)) = &view.trace { (waterfall(t, spans)) }
            }
            @if !files.is_empty() {
                details #telemetry-files {
                    summary { "Telemetry files (" (files.len()) ")" }
                    ul { @for f in files { li { a href={ (format::run_href(run_id)) "/file/" (encode_path(&f.path)) } { (f.path) } } } }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(id: &str, parent: Option<&str>, node: &str, start: i64) -> SpanRow {
        SpanRow {
            node: Some(node.into()),
            trace_id: "t".into(),
            span_id: id.into(),
            parent_span_id: parent.map(str::to_string),
            name: "handle".into(),
            start_ns: start,
            end_ns: start + 10,
            attrs_json: r#"{"msg.type":"broadcast","msg.src":"c1"}"#.into(),
            error: false,
        }
    }

    #[test]
    fn tree_order_puts_children_under_parents() {
        let spans = vec![
            span("a", None, "n0", 0),
            span("c", Some("a"), "n0", 5),
            span("b", Some("zz"), "n1", 3),
            span("d", Some("c"), "n1", 7),
        ];
        let order: Vec<(usize, &str)> = tree_order(&spans)
            .into_iter()
            .map(|(d, s)| (d, s.span_id.as_str()))
            .collect();
        assert_eq!(order, [(0, "a"), (1, "c"), (2, "d"), (0, "b")]);
        assert_eq!(span_label(&spans[0]), "handle broadcast ← c1");
        assert!(valid_trace_id("4bf92f3577b34da6a3ce929d0e0e4736"));
        assert!(!valid_trace_id("4bf9"));
    }
}
