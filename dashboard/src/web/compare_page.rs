//! Compare two runs (`/compare?a=<id>&b=<id>`), older run as A, newer as B. First, what
//! changed, ranked (see [`crate::analysis::changes`]): server messages by type and node,
//! latency by `:f` and by phase, and node telemetry where both runs have it, each with both
//! values, the ratio and whether it got worse; overlaid distributions of the top span
//! changes. Then every outcome figure side by side with its delta, latency CDFs overlaid and
//! quantiles by `:f`. Without both ids, a picker.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use super::charts::{self, PairQuery};
use super::format::{self, encode};
use super::{layout, lookup_id, AppError, AppResult, AppState};
use crate::analysis::changes::{self, Change, Direction, Scale, Unit};
use crate::analysis::compare_figures::{self, RunTelemetry, Sources};
use crate::analysis::history::HistoryAnalysis;
use crate::analysis::messages::MessageStats;
use crate::index::span_durations::SpanKey;
use crate::index::{Index, RunRow};
use crate::summary::Quantiles;

pub use crate::analysis::changes::Better;

/// Changes listed before the rest fold away.
pub const TOP_CHANGES: usize = 15;
/// Overlaid span distributions drawn for the top telemetry changes.
pub const TOP_DISTRIBUTIONS: usize = 2;

/// One compared figure.
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    pub older: Option<f64>,
    pub newer: Option<f64>,
    pub better: Better,
    pub decimals: usize,
}

/// Relative change that counts as worse (1%).
const WORSE_THRESHOLD: f64 = 0.01;

impl Figure {
    pub fn delta(&self) -> Option<f64> {
        Some(self.newer? - self.older?)
    }

    /// Whether the newer value is worse by more than the threshold.
    pub fn worse(&self) -> bool {
        let (Some(o), Some(n)) = (self.older, self.newer) else {
            return false;
        };
        let change = n - o;
        if change == 0.0 {
            return false;
        }
        let relative = if o.abs() > f64::EPSILON {
            change / o.abs()
        } else {
            change.signum()
        };
        match self.better {
            Better::Lower => relative > WORSE_THRESHOLD,
            Better::Higher => relative < -WORSE_THRESHOLD,
            Better::Neutral => false,
        }
    }

    pub fn better_now(&self) -> bool {
        let (Some(o), Some(n)) = (self.older, self.newer) else {
            return false;
        };
        match self.better {
            Better::Lower => n < o * (1.0 - WORSE_THRESHOLD),
            Better::Higher => n > o * (1.0 + WORSE_THRESHOLD),
            Better::Neutral => false,
        }
    }
}

fn i(v: Option<i64>) -> Option<f64> {
    v.map(|x| x as f64)
}

/// The figures compared, older first.
pub fn figures(
    o: &RunRow,
    n: &RunRow,
    ho: Option<&HistoryAnalysis>,
    hn: Option<&HistoryAnalysis>,
) -> Vec<Figure> {
    use Better::*;
    let q = |h: Option<&HistoryAnalysis>| h.map(|h| h.overall).unwrap_or_default();
    let (qo, qn) = (q(ho), q(hn));
    let pick = |f: fn(&Quantiles) -> Option<f64>| (f(&qo), f(&qn));
    let mut v = vec![
        Figure {
            key: "nodes",
            label: "nodes",
            older: i(o.node_count),
            newer: i(n.node_count),
            better: Neutral,
            decimals: 0,
        },
        Figure {
            key: "mpo-servers",
            label: "msgs-per-op :servers",
            older: o.msgs_per_op_servers,
            newer: n.msgs_per_op_servers,
            better: Lower,
            decimals: 4,
        },
        Figure {
            key: "mpo-all",
            label: "msgs-per-op :all",
            older: o.msgs_per_op_all,
            newer: n.msgs_per_op_all,
            better: Lower,
            decimals: 4,
        },
        Figure {
            key: "stable-p50",
            label: "stable latency p50 (ms)",
            older: o.stable_p50_ms,
            newer: n.stable_p50_ms,
            better: Lower,
            decimals: 1,
        },
        Figure {
            key: "stable-p99",
            label: "stable latency p99 (ms)",
            older: o.stable_p99_ms,
            newer: n.stable_p99_ms,
            better: Lower,
            decimals: 1,
        },
        Figure {
            key: "stable-max",
            label: "stable latency max (ms)",
            older: o.stable_max_ms,
            newer: n.stable_max_ms,
            better: Lower,
            decimals: 1,
        },
    ];
    for (key, label, f) in [
        (
            "op-p50",
            "op latency p50 (ms)",
            (|q: &Quantiles| q.p50) as fn(&Quantiles) -> Option<f64>,
        ),
        ("op-p95", "op latency p95 (ms)", |q: &Quantiles| q.p95),
        ("op-p99", "op latency p99 (ms)", |q: &Quantiles| q.p99),
        ("op-max", "op latency max (ms)", |q: &Quantiles| q.max),
    ] {
        let (a, b) = pick(f);
        v.push(Figure {
            key,
            label,
            older: a,
            newer: b,
            better: Lower,
            decimals: 2,
        });
    }
    v.extend([
        Figure {
            key: "ops",
            label: "ops",
            older: i(o.op_count),
            newer: i(n.op_count),
            better: Neutral,
            decimals: 0,
        },
        Figure {
            key: "ok",
            label: "ok ops",
            older: i(o.ok_count),
            newer: i(n.ok_count),
            better: Neutral,
            decimals: 0,
        },
        Figure {
            key: "fail",
            label: "failed ops",
            older: i(o.fail_count),
            newer: i(n.fail_count),
            better: Lower,
            decimals: 0,
        },
        Figure {
            key: "info",
            label: "indeterminate ops",
            older: i(o.info_count),
            newer: i(n.info_count),
            better: Lower,
            decimals: 0,
        },
        Figure {
            key: "availability",
            label: "availability",
            older: o.availability,
            newer: n.availability,
            better: Higher,
            decimals: 4,
        },
    ]);
    v
}

fn picker(rows: &[RunRow], a: Option<&str>, b: Option<&str>) -> Markup {
    html! {
        form.filters #compare-picker method="get" action="/compare" {
            @for (name, sel) in [("a", a), ("b", b)] {
                label { "Run " (name)
                    select name=(name) id={ "pick-" (name) } {
                        @for r in rows {
                            option value=(r.id) selected[sel == Some(r.id.as_str())] {
                                (r.workload) " · " (format::start(r.start.as_deref())) " · " (r.verdict.as_str())
                            }
                        }
                    }
                }
            }
            button type="submit" { "Compare" }
        }
    }
}

fn messages_by_type(o: Option<&MessageStats>, n: Option<&MessageStats>) -> Markup {
    let mut types: Vec<String> = Vec::new();
    for m in [o, n].into_iter().flatten() {
        for t in &m.by_type {
            if !types.contains(&t.msg_type) {
                types.push(t.msg_type.clone());
            }
        }
    }
    let count = |m: Option<&MessageStats>, ty: &str| {
        m.map(|m| {
            m.by_type
                .iter()
                .find(|t| t.msg_type == ty)
                .map_or(0, |t| t.server_server) as f64
        })
    };
    html! {
        @if !types.is_empty() {
            h2 { "Server↔server messages by type" }
            p.muted { "From each run's messages.svg." }
            table #compare-messages {
                tr { th { ":type" } th.num { "older" } th.num { "newer" } th.num { "Δ" } }
                @for ty in &types {
                    @let fig = Figure { key: "", label: "", older: count(o, ty), newer: count(n, ty), better: Better::Lower, decimals: 0 };
                    tr.worse[fig.worse()] data-type=(ty) {
                        td.mono { (ty) }
                        td.num { (format::num(fig.older, 0)) }
                        td.num { (format::num(fig.newer, 0)) }
                        td.num { (format::num(fig.delta(), 0)) }
                    }
                }
            }
        }
    }
}

fn quantiles_by_f(o: Option<&HistoryAnalysis>, n: Option<&HistoryAnalysis>) -> Markup {
    let mut fs: Vec<String> = Vec::new();
    for h in [o, n].into_iter().flatten() {
        for f in &h.fs {
            if !fs.contains(f) {
                fs.push(f.clone());
            }
        }
    }
    let get = |h: Option<&HistoryAnalysis>, f: &str| {
        h.and_then(|h| h.by_f.iter().find(|x| x.f == f))
            .map(|x| x.quantiles)
    };
    html! {
        @if !fs.is_empty() {
            table #quantiles-by-f {
                tr { th { ":f" } th { "quantile" } th.num { "older (ms)" } th.num { "newer (ms)" } th.num { "Δ" } }
                @for f in &fs {
                    @for (label, sel) in [("p50", (|q: &Quantiles| q.p50) as fn(&Quantiles) -> Option<f64>), ("p95", |q: &Quantiles| q.p95), ("p99", |q: &Quantiles| q.p99), ("max", |q: &Quantiles| q.max)] {
                        @let a = get(o, f).and_then(|q| sel(&q));
                        @let b = get(n, f).and_then(|q| sel(&q));
                        @let fig = Figure { key: "", label: "", older: a, newer: b, better: Better::Lower, decimals: 2 };
                        tr class=[fig.worse().then_some("worse")] {
                            td { (f) } td { (label) }
                            td.num { (format::ms(a)) } td.num { (format::ms(b)) }
                            td.num { (format::num(fig.delta(), 2)) }
                        }
                    }
                }
            }
        }
    }
}

/// Everything the compare reads of one run.
pub struct Loaded {
    pub row: RunRow,
    pub history: Option<HistoryAnalysis>,
    pub messages: Option<MessageStats>,
    /// `None` when no node process reported for the run.
    pub telemetry: Option<RunTelemetry>,
}

impl Loaded {
    /// Reads one run from the index (blocking).
    pub fn read(index: &Index, row: RunRow) -> rusqlite::Result<Loaded> {
        let history = index.history(&row.id)?;
        let messages = index.summary(&row.id)?.and_then(|(s, _, _)| s.messages);
        let telemetry = if index.tel_sources_of_run(&row.id)?.is_empty() {
            None
        } else {
            Some(RunTelemetry::new(
                &index.tel_metrics_of_run(&row.id)?,
                index.tel_span_durations(&row.id)?,
            ))
        };
        Ok(Loaded {
            row,
            history,
            messages,
            telemetry,
        })
    }

    pub fn sources(&self) -> Sources<'_> {
        Sources {
            history: self.history.as_ref(),
            messages: self.messages.as_ref(),
            telemetry: self.telemetry.as_ref(),
            ops: self.row.op_count.map(|n| n as f64),
        }
    }
}

/// The ranked changes from A (older) to B (newer), and how counts were normalised.
pub fn ranked(a: &Loaded, b: &Loaded) -> (Vec<Change>, Scale) {
    let (measures, scale) = compare_figures::measures(&a.sources(), &b.sources());
    (changes::rank(measures), scale)
}

/// A value with a precision that suits its size, and its unit.
pub fn value_text(v: Option<f64>, unit: Unit) -> String {
    let Some(x) = v.filter(|x| x.is_finite()) else {
        return "—".into();
    };
    let a = x.abs();
    let decimals = if a == 0.0 || a >= 100.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else if a >= 0.01 {
        3
    } else {
        5
    };
    let suffix = match unit {
        Unit::Ms => " ms",
        Unit::PerOp => "/op",
        Unit::PerSecond => "/s",
        Unit::Plain => "",
    };
    format!("{x:.decimals$}{suffix}")
}

fn spans_chart_href(a: &str, b: &str, key: &SpanKey) -> String {
    let (name, typ, peer) = key;
    let mut href = format!(
        "/compare/chart/spans.svg?a={}&b={}&span={}&type={}",
        encode(a),
        encode(b),
        encode(name),
        encode(typ)
    );
    if let Some(p) = peer {
        href.push_str(&format!("&peer={}", encode(p)));
    }
    href
}

fn change_item(c: &Change) -> Markup {
    let dir = c.direction();
    let raw_title =
        c.m.raw
            .map(|(a, b)| format!("counts: A {a:.0}, B {b:.0}; support {:.0}", c.m.support))
            .unwrap_or_else(|| format!("support {:.0}", c.m.support));
    html! {
        li.change.worse[dir == Direction::Worse] data-figure=(c.m.key) data-group=(c.m.group.as_str())
            data-direction=(dir.as_str()) data-score=(format!("{:.4}", c.score))
            data-a=[c.m.a] data-b=[c.m.b] title=(raw_title) {
            span.ch-label { (c.m.label) }
            span.ch-val.num { "A " (value_text(c.m.a, c.m.unit)) }
            span.ch-val.num { "B " (value_text(c.m.b, c.m.unit)) }
            span.ch-ratio.num { (c.ratio_text()) }
            @match dir {
                Direction::Worse => span.flag { "worse" },
                Direction::Better => span.better { "better" },
                Direction::Changed => span.muted { "changed" },
            }
            span.ch-group.muted { (c.m.group.as_str()) }
        }
    }
}

fn telemetry_note(a: &Loaded, b: &Loaded) -> Markup {
    let (ta, tb) = (a.telemetry.is_some(), b.telemetry.is_some());
    html! {
        p #telemetry-note data-a=(ta) data-b=(tb) class=[(!(ta && tb)).then_some("muted")] {
            @match (ta, tb) {
                (true, true) => "Both runs have node telemetry: span and metric figures are ranked too.",
                (false, false) => "Neither run has node telemetry: ranked from messages.svg and history.edn only.",
                (false, true) => "Run A has no node telemetry: ranked from messages.svg and history.edn only.",
                (true, false) => "Run B has no node telemetry: ranked from messages.svg and history.edn only.",
            }
        }
    }
}

fn scale_note(scale: Scale) -> String {
    let n = |v: f64| format!("{v:.0}");
    match scale.unit {
        Unit::PerOp => format!(
            "Counts are per client op: A {} ops, B {} ops.",
            n(scale.a),
            n(scale.b)
        ),
        Unit::PerSecond => format!(
            "No client op counts: counts are per second (A {} s, B {} s).",
            n(scale.a),
            n(scale.b)
        ),
        _ => "No op counts or run lengths: counts are raw.".into(),
    }
}

/// The "What changed" section.
pub fn changes_section(a: &Loaded, b: &Loaded, ranked: &[Change], scale: Scale) -> Markup {
    let (top, rest) = ranked.split_at(ranked.len().min(TOP_CHANGES));
    let mut dists: Vec<(&Change, &SpanKey)> = Vec::new();
    for c in ranked {
        if let Some(k) = &c.m.dist {
            if dists.len() < TOP_DISTRIBUTIONS && dists.iter().all(|(_, d)| *d != k) {
                dists.push((c, k));
            }
        }
    }
    html! {
        section #what-changed {
            h2 { "What changed, largest first" }
            p.muted #changes-rule { (changes::RULE) " " (scale_note(scale)) }
            (telemetry_note(a, b))
            @if ranked.is_empty() {
                p #no-changes { "No figure changed beyond the noise rule." }
            } @else {
                ol #changes {
                    @for c in top { (change_item(c)) }
                }
                @if !rest.is_empty() {
                    details #more-changes {
                        summary { (rest.len()) " smaller change(s)" }
                        ol start=(TOP_CHANGES + 1) { @for c in rest { (change_item(c)) } }
                    }
                }
            }
            @for (c, key) in &dists {
                figure.dist data-figure=(c.m.key) {
                    img.chart src=(spans_chart_href(&a.row.id, &b.row.id, key))
                        alt={ "Distributions of " (c.m.label) } width="900" height="420";
                }
            }
        }
    }
}

pub async fn handler(
    State(state): State<AppState>,
    Query(q): Query<PairQuery>,
) -> AppResult<Markup> {
    let a = q.a.as_deref().filter(|s| !s.is_empty());
    let b = q.b.as_deref().filter(|s| !s.is_empty());
    let (Some(a), Some(b)) = (a, b) else {
        let rows = state.index.list(None)?;
        let body = html! {
            h1 { "Compare two runs" }
            @if rows.is_empty() { p { "No runs indexed yet." } } @else { (picker(&rows, a, b)) }
        };
        return Ok(layout::page("Compare", "compare", body));
    };
    let ra = lookup_id(&state, a)?;
    let rb = lookup_id(&state, b)?;
    let (older, newer) = if (ra.start_ms, &ra.id) <= (rb.start_ms, &rb.id) {
        (ra, rb)
    } else {
        (rb, ra)
    };
    let index = Arc::clone(&state.index);
    let (lo, ln, ranked, scale) = tokio::task::spawn_blocking(move || {
        let lo = Loaded::read(&index, older)?;
        let ln = Loaded::read(&index, newer)?;
        let (ranked, scale) = ranked(&lo, &ln);
        Ok::<_, rusqlite::Error>((lo, ln, ranked, scale))
    })
    .await
    .map_err(AppError::internal)??;
    let (older, newer) = (&lo.row, &ln.row);
    let (ho, hn) = (lo.history.as_ref(), ln.history.as_ref());
    let figs = figures(older, newer, ho, hn);
    let verdict_worse = newer.verdict.badness() > older.verdict.badness();
    let worse_count = figs.iter().filter(|f| f.worse()).count() + usize::from(verdict_worse);
    let rows = state.index.list(None)?;
    let body = html! {
        h1 { "Compare" }
        (picker(&rows, Some(&older.id), Some(&newer.id)))
        p #compare-runs {
            "A (older): " a #older-link href=(format::run_href(&older.id)) { (charts::run_label(older)) }
            " · B (newer): " a #newer-link href=(format::run_href(&newer.id)) { (charts::run_label(newer)) }
        }
        (changes_section(&lo, &ln, &ranked, scale))
        h2 { "Outcome figures" }
        p #compare-summary class=[(worse_count > 0).then_some("worse")] {
            @if worse_count > 0 { (worse_count) " figure(s) worse in the newer run" } @else { "The newer run is not worse on any figure." }
        }
        table #compare-figures {
            tr {
                th { "figure" }
                th { "A (older)" }
                th { "B (newer)" }
                th.num { "Δ (B − A)" }
            }
            tr.figure.worse[verdict_worse] data-figure="verdict" {
                td { "verdict" }
                td { span class=(format::verdict_class(older.verdict)) { (older.verdict.as_str()) } }
                td { span class=(format::verdict_class(newer.verdict)) { (newer.verdict.as_str()) } }
                td.num {
                    @if verdict_worse { span.flag { "worse" } }
                    @else if newer.verdict.badness() < older.verdict.badness() { span.better { "better" } }
                }
            }
            tr.figure data-figure="key" {
                td { "key figure" }
                td { (older.key_figure.as_deref().unwrap_or("—")) }
                td { (newer.key_figure.as_deref().unwrap_or("—")) }
                td {}
            }
            @for f in &figs {
                @if f.older.is_some() || f.newer.is_some() {
                    tr.figure.worse[f.worse()] data-figure=(f.key) {
                        td { (f.label) }
                        td.num data-value=[f.older] { (format::num(f.older, f.decimals)) }
                        td.num data-value=[f.newer] { (format::num(f.newer, f.decimals)) }
                        td.num {
                            (format::num(f.delta(), f.decimals))
                            @if f.worse() { " " span.flag { "worse" } }
                            @else if f.better_now() { " " span.better { "better" } }
                        }
                    }
                }
            }
        }
        h2 { "Latency distributions" }
        img.chart #cdf-chart src={ "/compare/chart/cdf.svg?a=" (encode(&older.id)) "&b=" (encode(&newer.id)) } alt="Latency CDFs overlaid" width="900" height="420";
        (quantiles_by_f(ho, hn))
        (messages_by_type(lo.messages.as_ref(), ln.messages.as_ref()))
    };
    Ok(layout::page("Compare", "compare", body))
}

/// `/compare/chart/spans.svg?a=<id>&b=<id>&span=handle|rpc&type=<msg type>[&peer=<kind>]`:
/// the durations of one kind of span in both runs, as overlaid CDFs.
#[derive(Debug, Deserialize)]
pub struct SpansQuery {
    pub a: Option<String>,
    pub b: Option<String>,
    pub span: Option<String>,
    #[serde(rename = "type")]
    pub typ: Option<String>,
    pub peer: Option<String>,
}

pub async fn spans_chart(
    State(state): State<AppState>,
    Query(q): Query<SpansQuery>,
) -> AppResult<Response> {
    let (Some(a), Some(b)) = (q.a, q.b) else {
        return Err(AppError::bad_request("give runs as ?a=<id>&b=<id>"));
    };
    let span = q.span.unwrap_or_else(|| "handle".into());
    if span != "handle" && span != "rpc" {
        return Err(AppError::bad_request("span must be handle or rpc"));
    }
    let typ = q
        .typ
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::bad_request("give the message type as &type=<msg type>"))?;
    let rows = [lookup_id(&state, &a)?, lookup_id(&state, &b)?];
    let index = Arc::clone(&state.index);
    let key: SpanKey = (span, typ, q.peer.filter(|p| !p.is_empty()));
    let svg = tokio::task::spawn_blocking(move || {
        let mut runs = Vec::new();
        for (side, row) in ["A", "B"].into_iter().zip(&rows) {
            let d = index.tel_span_durations(&row.id)?;
            let cdf = d
                .get(&key)
                .map(|v| crate::analysis::quantile::cdf(v, 200))
                .unwrap_or_default();
            runs.push((format!("{side}: {}", charts::run_label(row)), cdf));
        }
        let (name, typ, peer) = &key;
        let what = match peer {
            Some(p) => format!("{name} spans, type={typ}, peer={p}"),
            None => format!("{name} spans, type={typ}"),
        };
        Ok::<_, rusqlite::Error>(if runs.iter().all(|(_, c)| c.is_empty()) {
            charts::message(&format!("Neither run has {what}"))
        } else {
            charts::cdf_overlay_with(
                &format!("Duration CDF, {what}"),
                "duration (ms, log)",
                "fraction of spans ≤ x",
                &runs,
            )
        })
    })
    .await
    .map_err(AppError::internal)??;
    Ok(charts::svg_response(svg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worse_directions() {
        let f = |o, n, better| Figure {
            key: "",
            label: "",
            older: Some(o),
            newer: Some(n),
            better,
            decimals: 0,
        };
        assert!(f(2.0, 3.0, Better::Lower).worse());
        assert!(!f(2.0, 2.01, Better::Lower).worse());
        assert!(f(1.0, 0.5, Better::Higher).worse());
        assert!(!f(1.0, 9.0, Better::Neutral).worse());
        assert!(f(0.0, 1.0, Better::Lower).worse());
        assert!(!f(0.0, 0.0, Better::Lower).worse());
        assert!(!f(0.0, 0.0, Better::Higher).worse());
        assert!(f(3.0, 2.0, Better::Lower).better_now());
    }
}
