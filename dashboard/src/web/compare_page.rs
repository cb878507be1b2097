//! Compare two runs (`/compare?a=<id>&b=<id>`): every figure side by side, older run first,
//! with its delta; rows where the newer run is worse are flagged; latency CDFs overlaid and
//! quantiles by `:f` side by side. Without both ids, a picker.

use axum::extract::{Query, State};
use maud::{html, Markup};

use super::charts::PairQuery;
use super::format::{self, encode};
use super::{layout, lookup_id, AppResult, AppState};
use crate::analysis::history::HistoryAnalysis;
use crate::analysis::messages::MessageStats;
use crate::index::RunRow;
use crate::summary::Quantiles;

/// Which direction of change is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    Neutral,
}

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
    let ho = state.index.history(&older.id)?;
    let hn = state.index.history(&newer.id)?;
    let figs = figures(&older, &newer, ho.as_ref(), hn.as_ref());
    let messages_of = |id: &str| -> AppResult<Option<MessageStats>> {
        Ok(state.index.summary(id)?.and_then(|(s, _, _)| s.messages))
    };
    let (mo, mn) = (messages_of(&older.id)?, messages_of(&newer.id)?);
    let verdict_worse = newer.verdict.badness() > older.verdict.badness();
    let worse_count = figs.iter().filter(|f| f.worse()).count() + usize::from(verdict_worse);
    let rows = state.index.list(None)?;
    let body = html! {
        h1 { "Compare" }
        (picker(&rows, Some(&older.id), Some(&newer.id)))
        p #compare-summary class=[(worse_count > 0).then_some("worse")] {
            @if worse_count > 0 { (worse_count) " figure(s) worse in the newer run" } @else { "The newer run is not worse on any figure." }
        }
        table #compare-figures {
            tr {
                th { "figure" }
                th { "older: " a #older-link href=(format::run_href(&older.id)) { (super::charts::run_label(&older)) } }
                th { "newer: " a #newer-link href=(format::run_href(&newer.id)) { (super::charts::run_label(&newer)) } }
                th.num { "Δ (newer − older)" }
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
        (quantiles_by_f(ho.as_ref(), hn.as_ref()))
        (messages_by_type(mo.as_ref(), mn.as_ref()))
    };
    Ok(layout::page("Compare", "compare", body))
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
