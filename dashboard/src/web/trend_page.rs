//! Trend of one workload across runs (`/trend?workload=<w>`): msgs-per-op and latency
//! quantiles charted oldest to newest, and the same figures as a table.

use axum::extract::{Query, State};
use maud::{html, Markup};

use super::charts::TrendQuery;
use super::format::{self, encode};
use super::runs_page::shown_latency;
use super::{layout, AppError, AppResult, AppState};

pub async fn handler(
    State(state): State<AppState>,
    Query(q): Query<TrendQuery>,
) -> AppResult<Markup> {
    let workloads = state.index.workloads()?;
    let chosen = q.workload.as_deref().filter(|w| !w.is_empty());
    let nav = html! {
        p #trend-workloads {
            "Workload: "
            @for (w, n) in &workloads {
                a href={ "/trend?workload=" (encode(w)) } class=[(chosen == Some(w.as_str())).then_some("sorted")] { (w) } " (" (n) ") "
            }
        }
    };
    let Some(w) = chosen else {
        return Ok(layout::page(
            "Trend",
            "trend",
            html! { h1 { "Trend" } (nav) p { "Pick a workload." } },
        ));
    };
    let mut rows = state.index.list(Some(w))?;
    if rows.is_empty() {
        return Err(AppError::not_found(format!("no runs of workload {w}")));
    }
    rows.reverse();
    let body = html! {
        h1 { "Trend · " (w) }
        (nav)
        div.grid2 {
            img.chart #trend-mpo src={ "/trend/chart/msgs-per-op.svg?workload=" (encode(w)) } alt="Messages per op across runs" width="900" height="420";
            img.chart #trend-latency src={ "/trend/chart/latency.svg?workload=" (encode(w)) } alt="Latency quantiles across runs" width="900" height="420";
        }
        table #trend-table {
            tr {
                th.num { "#" } th { "start" } th { "verdict" } th.num { "nodes" } th { "nemesis" }
                th.num { "msgs/op :servers" } th.num { "msgs/op :all" }
                th.num { "p50 ms" } th.num { "p99 ms" } th.num { "max ms" } th { "key figure" } th { "" }
            }
            @for (i, r) in rows.iter().enumerate() {
                @let (p50, p99, max, stable) = shown_latency(r);
                tr.run data-run-id=(r.id) {
                    td.num { (i + 1) }
                    td { a href=(format::run_href(&r.id)) { (format::start(r.start.as_deref())) } }
                    td { span class=(format::verdict_class(r.verdict)) { (r.verdict.as_str()) } }
                    td.num { (format::int(r.node_count)) }
                    td { (r.nemesis.as_deref().unwrap_or("—")) }
                    td.num { (format::num(r.msgs_per_op_servers, 3)) }
                    td.num { (format::num(r.msgs_per_op_all, 3)) }
                    @for v in [p50, p99, max] { td.num.muted[!stable] { (format::ms(v)) } }
                    td { (r.key_figure.as_deref().unwrap_or("")) }
                    td { @if i > 0 { a href=(format::compare_href(&rows[i - 1].id, &r.id)) { "vs previous" } } }
                }
            }
        }
    };
    Ok(layout::page(&format!("Trend {w}"), "trend", body))
}
