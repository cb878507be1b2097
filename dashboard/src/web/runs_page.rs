//! The runs list (`/`): one row per indexed run with its test, version and regression badge,
//! filtered by workload, test and verdict and sorted by any column; the verdict is coloured
//! and each figure carries its exact value in `data-value`.

use std::cmp::Ordering;
use std::collections::HashMap;

use axum::extract::{Query, State};
use maud::{html, Markup};
use serde::Deserialize;

use super::format::{self, encode};
use super::{layout, regress, AppResult, AppState};
use crate::analysis::regression::Judgement;
use crate::index::RunRow;
use crate::summary::Verdict;

/// Query string of the list.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    pub workload: Option<String>,
    /// A test key (`TestIdentity::key`).
    pub test: Option<String>,
    pub verdict: Option<String>,
    pub sort: Option<String>,
    pub dir: Option<String>,
}

/// Sortable columns: (key, header, numeric).
const COLUMNS: &[(&str, &str, bool)] = &[
    ("test", "Test", false),
    ("start", "Start", false),
    ("version", "Version", false),
    ("nodes", "Nodes", true),
    ("nemesis", "Nemesis", false),
    ("verdict", "Verdict", false),
    ("regression", "Regression", false),
    ("servers", "msgs/op :servers", true),
    ("all", "msgs/op :all", true),
    ("p50", "p50 ms", true),
    ("p99", "p99 ms", true),
    ("max", "max ms", true),
    ("key", "Key figure", false),
    ("ops", "Ops", true),
    ("availability", "Availability", true),
];

fn cmp_opt<T: PartialOrd>(a: Option<T>, b: Option<T>) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The latency figures a row shows: broadcast's stable latencies, else the op latencies
/// measured from history.edn. The flag says which.
pub fn shown_latency(r: &RunRow) -> (Option<f64>, Option<f64>, Option<f64>, bool) {
    if r.stable_p50_ms.is_some() || r.stable_max_ms.is_some() {
        (r.stable_p50_ms, r.stable_p99_ms, r.stable_max_ms, true)
    } else {
        (r.op_p50_ms, r.op_p99_ms, r.op_max_ms, false)
    }
}

fn sort_rows(rows: &mut [RunRow], key: &str, desc: bool, judged: &HashMap<String, Judgement>) {
    let rank = |r: &RunRow| match judged.get(&r.id) {
        Some(Judgement::Regressed(_)) => 0,
        Some(Judgement::Ok(_)) => 1,
        _ => 2,
    };
    rows.sort_by(|a, b| {
        let o = match key {
            "workload" => a.workload.cmp(&b.workload),
            "test" => cmp_opt(a.test_name.as_ref(), b.test_name.as_ref()),
            "version" => cmp_opt(a.version(), b.version()),
            "regression" => rank(a).cmp(&rank(b)),
            "nodes" => cmp_opt(a.node_count, b.node_count),
            "nemesis" => cmp_opt(a.nemesis.as_ref(), b.nemesis.as_ref()),
            "verdict" => a.verdict.badness().cmp(&b.verdict.badness()),
            "servers" => cmp_opt(a.msgs_per_op_servers, b.msgs_per_op_servers),
            "all" => cmp_opt(a.msgs_per_op_all, b.msgs_per_op_all),
            "p50" => cmp_opt(shown_latency(a).0, shown_latency(b).0),
            "p99" => cmp_opt(shown_latency(a).1, shown_latency(b).1),
            "max" => cmp_opt(shown_latency(a).2, shown_latency(b).2),
            "key" => cmp_opt(a.key_figure.as_ref(), b.key_figure.as_ref()),
            "ops" => cmp_opt(a.op_count, b.op_count),
            "availability" => cmp_opt(a.availability, b.availability),
            _ => cmp_opt(a.start_ms, b.start_ms),
        };
        let o = if desc { o.reverse() } else { o };
        o.then_with(|| a.id.cmp(&b.id))
    });
}

/// The rows a query selects (workload, verdict, test), sorted.
pub fn select(
    rows: Vec<RunRow>,
    q: &ListQuery,
    judged: &HashMap<String, Judgement>,
) -> Vec<RunRow> {
    let workload = q.workload.as_deref().filter(|w| !w.is_empty());
    let verdict = q.verdict.as_deref().and_then(Verdict::parse);
    let test = q.test.as_deref().filter(|t| !t.is_empty());
    let mut rows: Vec<RunRow> = rows
        .into_iter()
        .filter(|r| workload.is_none_or(|w| r.workload == w))
        .filter(|r| verdict.is_none_or(|v| r.verdict == v))
        .filter(|r| test.is_none_or(|t| r.test_key.as_deref() == Some(t)))
        .collect();
    let key = q.sort.as_deref().unwrap_or("start");
    let desc = match q.dir.as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => key == "start",
    };
    sort_rows(&mut rows, key, desc, judged);
    rows
}

fn sort_href(q: &ListQuery, key: &str) -> String {
    let current = q.sort.as_deref().unwrap_or("start");
    let desc_now = match q.dir.as_deref() {
        Some("asc") => false,
        Some("desc") => true,
        _ => current == "start",
    };
    let dir = if current == key && !desc_now {
        "desc"
    } else {
        "asc"
    };
    let mut href = format!("/?sort={key}&dir={dir}");
    if let Some(w) = q.workload.as_deref().filter(|w| !w.is_empty()) {
        href.push_str(&format!("&workload={}", encode(w)));
    }
    if let Some(t) = q.test.as_deref().filter(|t| !t.is_empty()) {
        href.push_str(&format!("&test={}", encode(t)));
    }
    if let Some(v) = q.verdict.as_deref().filter(|v| !v.is_empty()) {
        href.push_str(&format!("&verdict={}", encode(v)));
    }
    href
}

fn num_cell(class: &str, v: Option<f64>, text: String) -> Markup {
    html! {
        td class={ "num " (class) } data-value=[v.map(|x| x.to_string())] { (text) }
    }
}

/// One row of the runs table.
pub fn row(r: &RunRow, j: Option<&Judgement>) -> Markup {
    let (p50, p99, max, stable) = shown_latency(r);
    let lat_title = if stable {
        "broadcast stable latency (results.edn)"
    } else {
        "op latency of ok completions (history.edn)"
    };
    html! {
        tr.run data-run-id=(r.id) data-verdict=(r.verdict.as_str())
            data-test=[r.test_key.as_deref()] data-version=(r.version_shown())
            data-regression=(j.map_or("not_judged", |j| j.status())) {
            td.test { (regress::test_cell(r)) }
            td.start {
                a.run-link href=(format::run_href(&r.id)) title=(r.dir_name) { (format::start(r.start.as_deref())) }
                @if r.start.is_none() { " " a.run-link href=(format::run_href(&r.id)) { (r.dir_name) } }
                @if !r.present { " " span.gone title="folder no longer in the store" { "(gone)" } }
            }
            td.version-cell { (regress::version_cell(r)) }
            td.num.nodes { (format::int(r.node_count)) }
            td.nemesis { (r.nemesis.as_deref().unwrap_or("—")) }
            td.verdict-cell {
                span class=(format::verdict_class(r.verdict)) { (r.verdict.as_str()) }
                @if r.problems > 0 && r.verdict != Verdict::Aborted {
                    " " span.problem title="this run has problems; see its page" { "⚠" }
                }
            }
            td.regression { (regress::badge(&r.id, j)) }
            (num_cell("mpo-servers", r.msgs_per_op_servers, format::num(r.msgs_per_op_servers, 3)))
            (num_cell("mpo-all", r.msgs_per_op_all, format::num(r.msgs_per_op_all, 3)))
            @for (class, v) in [("lat-p50", p50), ("lat-p99", p99), ("lat-max", max)] {
                td class={ "num " (class) @if !stable { " op-latency muted" } } title=(lat_title)
                    data-value=[v.map(|x| x.to_string())] { (format::ms(v)) }
            }
            td.key { (r.key_figure.as_deref().unwrap_or("")) }
            td.num.ops data-value=[r.op_count] { (format::int(r.op_count)) }
            (num_cell("availability", r.availability, format::pct(r.availability)))
        }
    }
}

/// Tests with their labels and run counts, by label, for the filter.
pub fn tests(rows: &[RunRow]) -> Vec<(String, String, usize)> {
    let mut by_key: HashMap<&str, (String, usize)> = HashMap::new();
    for r in rows {
        if let Some(k) = &r.test_key {
            by_key
                .entry(k.as_str())
                .or_insert_with(|| (r.test_label(), 0))
                .1 += 1;
        }
    }
    let mut out: Vec<(String, String, usize)> = by_key
        .into_iter()
        .map(|(k, (label, n))| (k.to_string(), label, n))
        .collect();
    out.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    out
}

pub async fn handler(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<Markup> {
    let workload = q.workload.as_deref().filter(|w| !w.is_empty());
    let all = state.index.list(None)?;
    let judged = crate::analysis::regression::judge_all(&all);
    let test_options = tests(
        &all.iter()
            .filter(|r| workload.is_none_or(|w| r.workload == w))
            .cloned()
            .collect::<Vec<_>>(),
    );
    let chosen_test = q.test.as_deref().filter(|t| !t.is_empty());
    let rows = select(all, &q, &judged);
    let workloads = state.index.workloads()?;
    let current = q.sort.as_deref().unwrap_or("start");
    let body = html! {
        h1 { "Runs" }
        form.filters #filters method="get" action="/" {
            label { "Workload"
                select name="workload" #filter-workload {
                    option value="" { "all" }
                    @for (w, n) in &workloads {
                        option value=(w) selected[workload == Some(w.as_str())] { (w) " (" (n) ")" }
                    }
                }
            }
            label { "Test"
                select name="test" #filter-test {
                    option value="" { "all" }
                    @for (key, label, n) in &test_options {
                        option value=(key) title=(key) selected[chosen_test == Some(key.as_str())] { (label) " (" (n) ")" }
                    }
                }
            }
            label { "Verdict"
                select name="verdict" #filter-verdict {
                    option value="" { "all" }
                    @for v in Verdict::ALL {
                        option value=(v.as_str()) selected[q.verdict.as_deref() == Some(v.as_str())] { (v.as_str()) }
                    }
                }
            }
            @if let Some(s) = &q.sort { input type="hidden" name="sort" value=(s); }
            @if let Some(d) = &q.dir { input type="hidden" name="dir" value=(d); }
            button type="submit" { "Filter" }
            span.muted #run-count { (rows.len()) " runs" }
        }
        @if rows.is_empty() && workloads.is_empty() {
            p #no-runs {
                "No runs yet in " code { (state.store.display()) } ": "
                @if state.store.is_dir() { "waiting for the first run." }
                @else { "waiting for the folder to be created (by the first run)." }
                " It is checked every few seconds; runs appear here as they are written."
            }
        } @else if rows.is_empty() {
            p #no-runs { "No runs match. The store is rescanned every few seconds; new runs appear here." }
        } @else {
            table #runs {
                thead { tr {
                    @for (key, label, numeric) in COLUMNS {
                        th class=[numeric.then_some("num")] data-sort=(key) {
                            a class=[(current == *key).then_some("sorted")] href=(sort_href(&q, key)) { (label) }
                        }
                    }
                } }
                tbody { @for r in &rows { (row(r, judged.get(&r.id))) } }
            }
            p.muted { "Latency columns: broadcast's stable latencies from results.edn; for other workloads (greyed) the latency of ok ops measured from history.edn. "
                "Regression: each run judged against the runs of the same test on the previous version ("
                a href="/trend" { "trend" } ")." }
        }
    };
    Ok(layout::page("Runs", "runs", body))
}
