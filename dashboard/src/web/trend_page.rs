//! Trend of one test (`/trend?test=<key>`): its runs in time order, grouped and coloured by
//! version, each figure charted with the band of the previous version the run is judged
//! against, and a table with every run's regression verdict. Without a test, the tests to pick
//! from (`?workload=<w>` narrows them). Trends are never per workload: a workload's runs mix
//! tests of different sizes, rates and faults.

use std::collections::HashMap;

use axum::extract::{Query, State};
use maud::{html, Markup};
use serde::Deserialize;

use super::charts;
use super::format::{self, encode};
use super::runs_page::{self, shown_latency};
use super::{layout, regress, AppError, AppResult, AppState};
use crate::analysis::regression::{self, Figure, Judgement};
use crate::index::RunRow;

/// Query of the trend page and its charts.
#[derive(Debug, Default, Deserialize)]
pub struct TrendQuery {
    pub workload: Option<String>,
    /// A test key (`TestIdentity::key`).
    pub test: Option<String>,
}

/// A test's runs oldest first, its judgements and the versions in order of first run
/// (`unknown` last when some runs have none).
pub struct TestTrend {
    pub rows: Vec<RunRow>,
    pub judged: HashMap<String, Judgement>,
    pub versions: Vec<String>,
    pub figures: Vec<Figure>,
}

impl TestTrend {
    pub fn load(state: &AppState, key: &str) -> AppResult<TestTrend> {
        let rows = state.index.list_test(key)?;
        if rows.is_empty() {
            return Err(AppError::not_found("no runs of that test"));
        }
        let refs: Vec<&RunRow> = rows.iter().collect();
        let judged = regression::judge_test(&refs);
        let mut versions: Vec<String> = Vec::new();
        for r in &rows {
            if let Some(v) = r.version() {
                if !versions.iter().any(|x| x == v) {
                    versions.push(v.to_string());
                }
            }
        }
        if rows.iter().any(|r| r.version().is_none()) {
            versions.push(crate::index::UNKNOWN_VERSION.to_string());
        }
        let stable = rows.iter().any(|r| r.stable_p50_ms.is_some());
        Ok(TestTrend {
            figures: regression::figures_for(stable),
            rows,
            judged,
            versions,
        })
    }

    /// Index of a run's version in [`TestTrend::versions`] (its colour).
    pub fn version_index(&self, r: &RunRow) -> usize {
        let v = r.version_shown();
        self.versions.iter().position(|x| x == v).unwrap_or(0)
    }
}

fn picker(state: &AppState, workload: Option<&str>) -> AppResult<Markup> {
    let all = state.index.list(None)?;
    let judged = regression::judge_all(&all);
    let workloads = state.index.workloads()?;
    if let Some(w) = workload.filter(|w| !workloads.iter().any(|(x, _)| x == w)) {
        return Err(AppError::not_found(format!("no runs of workload {w}")));
    }
    let shown: Vec<RunRow> = all
        .into_iter()
        .filter(|r| workload.is_none_or(|w| r.workload == w))
        .collect();
    let tests = runs_page::tests(&shown);
    let unknown = shown.iter().filter(|r| r.test_key.is_none()).count();
    // Per test: key, runs, versions, latest version, regressed runs, a run (for its cell).
    let rows: Vec<(String, usize, usize, &str, usize, &RunRow)> = tests
        .iter()
        .filter_map(|(key, _, n)| {
            let runs: Vec<&RunRow> = shown
                .iter()
                .filter(|r| r.test_key.as_deref() == Some(key.as_str()))
                .collect();
            let mut versions: Vec<&str> = runs.iter().filter_map(|r| r.version()).collect();
            versions.sort();
            versions.dedup();
            let latest = runs.iter().max_by_key(|r| r.start_ms)?.version_shown();
            let regressed = runs
                .iter()
                .filter(|r| judged.get(&r.id).is_some_and(Judgement::is_regressed))
                .count();
            Some((
                key.clone(),
                *n,
                versions.len(),
                latest,
                regressed,
                *runs.first()?,
            ))
        })
        .collect();
    Ok(html! {
        h1 { "Trend" }
        p #trend-workloads {
            "Workload: "
            a href="/trend" class=[workload.is_none().then_some("sorted")] { "all" } " "
            @for (w, n) in &workloads {
                a href={ "/trend?workload=" (encode(w)) } class=[(workload == Some(w.as_str())).then_some("sorted")] { (w) } " (" (n) ") "
            }
        }
        p.muted { "A trend follows one test: the same workload, flags, node binary and words. Pick one." }
        table #trend-tests {
            tr { th { "test" } th { "workload" } th.num { "runs" } th.num { "versions" } th { "latest version" } th.num { "regressed runs" } }
            @for (key, n, versions, latest, regressed, first) in &rows {
                tr.test data-test=(key) {
                    td { (regress::test_cell(first)) }
                    td { (first.workload) }
                    td.num { (n) }
                    td.num { (versions) }
                    td.mono { (latest) }
                    td.num class=[(*regressed > 0).then_some("worse")] { (regressed) }
                }
            }
        }
        @if unknown > 0 {
            p.muted #trend-unknown-tests { (unknown) " run(s) have no command line in jepsen.log: their test is unknown, so they are in no trend." }
        }
    })
}

pub async fn handler(
    State(state): State<AppState>,
    Query(q): Query<TrendQuery>,
) -> AppResult<Markup> {
    let workload = q.workload.as_deref().filter(|w| !w.is_empty());
    let Some(key) = q.test.as_deref().filter(|t| !t.is_empty()) else {
        return Ok(layout::page("Trend", "trend", picker(&state, workload)?));
    };
    let t = TestTrend::load(&state, key)?;
    let first = &t.rows[0];
    let label = first.test_label();
    let chart_q = format!("test={}", encode(key));
    let body = html! {
        h1 { "Trend · " span #trend-test { (label) } }
        p.mono.muted #trend-key { (key) }
        p { a href="/trend" { "All tests" } " · "
            a href={ "/?test=" (encode(key)) } { "These runs in the list" } }
        section #trend-versions-section {
            h2 { "Versions" }
            ol #trend-versions {
                @for (i, v) in t.versions.iter().enumerate() {
                    @let n = t.rows.iter().filter(|r| r.version_shown() == v).count();
                    li.version data-version=(v) {
                        span.swatch style={ "background:" (charts::version_color_css(i, v)) } {}
                        " " span.version-name.mono { (v) } " "
                        span.muted { (n) " run(s)" }
                    }
                }
            }
            p.muted {
                "Each run is judged against the runs of this test on the previous version: a band from their spread "
                "(max − min, ×" (regression::K_SPREAD) " on each side), at least a relative floor of their median. "
                "Worse than the band on a figure: regressed. The shaded band on each chart is the one a run was judged against; "
                "a red ring marks a regressed run. Runs of an unknown version are grey and not judged."
            }
        }
        div.grid2 #trend-charts {
            @for f in &t.figures {
                img.chart id={ "trend-" (f.key) } src={ "/trend/chart/" (f.key) ".svg?" (chart_q) } alt={ (f.label) " across runs, by version" } width="900" height="420";
            }
        }
        table #trend-table {
            tr {
                th.num { "#" } th { "start" } th { "version" } th { "verdict" }
                th.num { "msgs/op :servers" } th.num { "p50 ms" } th.num { "p99 ms" } th.num { "max ms" }
                th.num { "availability" } th { "regression" } th { "" }
            }
            @for (i, r) in t.rows.iter().enumerate() {
                @let (p50, p99, max, stable) = shown_latency(r);
                @let j = t.judged.get(&r.id);
                tr.run data-run-id=(r.id) data-version=(r.version_shown()) data-regression=(j.map_or("not_judged", |j| j.status())) {
                    td.num { (i + 1) }
                    td { a href=(format::run_href(&r.id)) { (format::start(r.start.as_deref())) } }
                    td { (regress::version_cell(r)) }
                    td { span class=(format::verdict_class(r.verdict)) { (r.verdict.as_str()) } }
                    td.num { (format::num(r.msgs_per_op_servers, 3)) }
                    @for v in [p50, p99, max] { td.num.muted[!stable] { (format::ms(v)) } }
                    td.num { (format::pct(r.availability)) }
                    td { (regress::badge(&r.id, j)) }
                    td { @if i > 0 { a href=(format::compare_href(&t.rows[i - 1].id, &r.id)) { "vs previous" } } }
                }
            }
        }
    };
    Ok(layout::page(&format!("Trend {label}"), "trend", body))
}
