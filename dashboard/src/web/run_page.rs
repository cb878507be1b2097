//! The run page (`/run/<workload>/<folder>`): verdict and the evidence behind it, the figures,
//! latency and throughput over time with partition windows shaded, counts by `:f`, node logs
//! (tails and links), node telemetry (figures and a span waterfall, `?trace=<id>`), raw
//! files, and a link to compare with the previous run. Its test, version and regression
//! verdict head the page, with a form (a plain POST) to give the run a version label.

use axum::extract::{Form, Path, Query, State};
use axum::response::Redirect;
use maud::{html, Markup};
use serde::Deserialize;

use super::format::{self, encode_path};
use super::{api, layout, lookup, regress, run_telemetry, AppError, AppResult, AppState};
use crate::analysis::history::HistoryAnalysis;
use crate::analysis::regression::{Judgement, Place};
use crate::index::RunRow;
use crate::rundir::files::{list_files, read_tail, FileEntry};
use crate::summary::RunSummary;
use crate::telemetry;

/// Bytes of each node log shown on the page.
const LOG_TAIL_BYTES: u64 = 4096;
/// Node logs shown inline (all are linked).
const LOGS_SHOWN: usize = 30;

fn file_href(id: &str, rel: &str) -> String {
    format!("{}/file/{}", format::run_href(id), encode_path(rel))
}

fn figures(s: &RunSummary, h: Option<&HistoryAnalysis>) -> Markup {
    let stable = s.stable_latency;
    html! {
        table #figures {
            tr { th { "Verdict" } td #verdict { span class=(format::verdict_class(s.verdict)) { (s.verdict.as_str()) } } }
            tr { th { "Workload" } td #workload { (s.workload) } }
            tr { th { "Start" } td #start { (format::start(s.start.as_deref())) } }
            tr { th { "Nodes" } td #nodes { (format::int(s.node_count)) } }
            tr { th { "Nemesis" } td #nemesis { (s.nemesis.as_deref().unwrap_or("none")) } }
            tr { th { "Key figure" } td #key-figure { (s.key_figure.as_deref().unwrap_or("—")) } }
            tr { th { "msgs-per-op :servers" } td #mpo-servers data-value=[s.msgs_per_op_servers] { (format::num(s.msgs_per_op_servers, 6)) } }
            tr { th { "msgs-per-op :all" } td #mpo-all data-value=[s.msgs_per_op_all] { (format::num(s.msgs_per_op_all, 6)) } }
            @if let Some(q) = stable {
                tr { th { "Stable latency (ms)" } td #stable-latency {
                    @for (label, _, v) in q.entries() {
                        span class={ "q q-" (label) } data-value=(v) { (label) " " (format::ms(Some(v))) } " "
                    }
                } }
            }
            @if let Some(q) = s.lost_latency {
                tr { th { "Lost latency (ms)" } td #lost-latency {
                    @for (label, _, v) in q.entries() { (label) " " (format::ms(Some(v))) " " }
                } }
            }
            @if let Some(h) = h.filter(|h| h.has_times) {
                tr { th { "Op latency, ok ops (ms)" } td #op-latency {
                    @for (label, _, v) in h.overall.entries() {
                        span class={ "q q-" (label) } data-value=(v) { (label) " " (format::ms(Some(v))) } " "
                    }
                    span.muted { "(" (h.overall_ok) " ops, from history.edn)" }
                } }
            }
            tr { th { "Ops" } td #ops data-value=[s.op_count] {
                (format::int(s.op_count)) " (ok " (format::int(s.ok_count)) ", fail " (format::int(s.fail_count))
                ", info " (format::int(s.info_count)) ")"
            } }
            tr { th { "Availability" } td #availability data-value=[s.availability] { (format::pct(s.availability)) } }
        }
    }
}

/// Elle's explanation of an anomaly (`elle/<name>.txt`), when the run has one.
fn elle_file<'a>(label: &str, files: &'a [FileEntry]) -> Option<&'a FileEntry> {
    let name = label.strip_prefix("anomaly :")?;
    files.iter().find(|f| f.path == format!("elle/{name}.txt"))
}

fn evidence(s: &RunSummary, files: &[FileEntry]) -> Markup {
    html! {
        section #evidence {
            h2 { "Why " span class=(format::verdict_class(s.verdict)) { (s.verdict.as_str()) } }
            @if let Some(c) = &s.crash {
                p #crash { strong { "Crash: " } code { (c) } }
            }
            @if !s.checkers.is_empty() {
                table #checkers {
                    tr { th { "Checker" } th { ":valid?" } }
                    @for c in &s.checkers {
                        tr class=[(c.valid != "true").then_some("worse")] {
                            td { (c.checker) } td { (c.valid) }
                        }
                    }
                }
            }
            @for e in &s.evidence {
                div class={ "evidence" @if e.bad { " bad" } } {
                    h3 {
                        (e.label) @if let Some(t) = e.total { " (" (t) ")" }
                        @if let Some(f) = elle_file(&e.label, files) {
                            " " a.elle-explanation href=(file_href(&s.id, &f.path)) { "Elle's explanation" }
                        }
                    }
                    @if e.items.iter().any(|i| i.len() > 24) {
                        ul.items { @for item in &e.items { li { code { (item) } } } }
                    } @else {
                        div.items { @for item in &e.items { code { (item) } " " } }
                    }
                    @if let Some(t) = e.total { @if (t as usize) > e.items.len() { p.muted { "first " (e.items.len()) " shown" } } }
                }
            }
            @if !s.exceptions.is_empty() {
                h3 #exceptions { "Exceptions" }
                table {
                    tr { th.num { "count" } th { "class" } th { ":f" } th { "message" } }
                    @for x in &s.exceptions {
                        tr { td.num { (x.count) } td.mono { (x.class) } td { (x.f.as_deref().unwrap_or("")) } td { (x.message) } }
                    }
                }
            }
        }
    }
}

fn stats_by_f(s: &RunSummary, h: Option<&HistoryAnalysis>) -> Markup {
    let mut fs: Vec<String> = s.by_f.iter().map(|f| f.f.clone()).collect();
    if let Some(h) = h {
        for f in &h.fs {
            if !fs.contains(f) {
                fs.push(f.clone());
            }
        }
    }
    html! {
        section #stats-by-f {
            h2 { "Ops by :f" }
            @if fs.is_empty() { p.muted { "No :stats in results.edn and no history." } } @else {
                table {
                    tr {
                        th { ":f" } th.num { "count" } th.num { "ok" } th.num { "fail" } th.num { "info" }
                        th.num { "p50 ms" } th.num { "p95 ms" } th.num { "p99 ms" } th.num { "max ms" }
                    }
                    @for f in &fs {
                        @let st = s.by_f.iter().find(|x| &x.f == f);
                        @let lat = h.and_then(|h| h.by_f.iter().find(|x| &x.f == f));
                        tr.f-row.worse[st.and_then(|x| x.valid) == Some(false)] data-f=(f) {
                            td { (f) }
                            td.num { (format::int(st.map(|x| x.count))) }
                            td.num { (format::int(st.map(|x| x.ok).or(lat.map(|l| l.ok as i64)))) }
                            td.num { (format::int(st.map(|x| x.fail).or(lat.map(|l| l.fail as i64)))) }
                            td.num { (format::int(st.map(|x| x.info).or(lat.map(|l| l.info as i64)))) }
                            td.num { (format::ms(lat.and_then(|l| l.quantiles.p50))) }
                            td.num { (format::ms(lat.and_then(|l| l.quantiles.p95))) }
                            td.num { (format::ms(lat.and_then(|l| l.quantiles.p99))) }
                            td.num { (format::ms(lat.and_then(|l| l.quantiles.max))) }
                        }
                    }
                }
                p.muted { "Counts from results.edn :stats (history.edn when absent); latencies of ok ops from history.edn." }
            }
        }
    }
}

fn messages(s: &RunSummary) -> Markup {
    let diagram = file_href(&s.id, "messages.svg");
    html! {
        section #messages {
            h2 { "Messages by type" }
            @match &s.messages {
                None => p.muted { "No messages.svg in this run." },
                Some(m) => {
                    p.muted {
                        (m.total) " messages drawn in "
                        a #messages-diagram href=(diagram) { "messages.svg" }
                        " (the Lamport diagram of the run's first network events)."
                    }
                    div.grid2 {
                        table #messages-by-type {
                            tr { th { ":type" } th.num { "total" } th.num { "server↔server" } th.num { "client↔server" } th.num { "service" } }
                            @for t in &m.by_type {
                                tr data-type=(t.msg_type) {
                                    td.mono { (t.msg_type) } td.num { (t.total) } td.num { (t.server_server) }
                                    td.num { (t.client_server) } td.num { (t.service) }
                                }
                            }
                        }
                        @if !m.by_node.is_empty() {
                            table #messages-by-node {
                                tr { th { "node" } th.num { "sent" } th.num { "received" } }
                                @for n in &m.by_node {
                                    tr { td { (n.node) } td.num { (n.sent) } td.num { (n.received) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn charts(id: &str, h: Option<&HistoryAnalysis>) -> Markup {
    let base = format::run_href(id);
    html! {
        section #charts {
            h2 { "Over time" }
            @match h {
                None => p #no-history.muted { "No history.edn: no latency or throughput over time." },
                Some(h) if !h.has_times => p #history-txt.muted {
                    "No usable history.edn: the op counts come from history.txt ("
                    (h.ops) " ops), which has no times, so there are no latencies or charts over time."
                },
                Some(h) => {
                    p.muted {
                        (h.ops) " history ops over " (format::num(Some(h.duration_s), 1)) " s; "
                        (h.partitions.len()) " partition window(s)"
                        @if !h.partitions.is_empty() { " (shaded): "
                            @for (a, b) in &h.partitions { (format::num(Some(*a), 1)) "–" (format::num(Some(*b), 1)) " s " }
                        }
                    }
                    div.grid2 {
                        figure #latency-chart {
                            img.chart src={ (base) "/chart/latency.svg" } alt="Latency over time by operation" width="900" height="420";
                            figcaption.muted { "Latency of each op (log scale) at its invoke time, by :f; ● ok, ✕ fail, ▲ info." }
                        }
                        figure #throughput-chart {
                            img.chart src={ (base) "/chart/throughput.svg" } alt="Throughput over time" width="900" height="420";
                            figcaption.muted { "Completions per second by outcome." }
                        }
                    }
                }
            }
        }
    }
}

/// Maelstrom's own gnuplot plots (PNG) and the harness's (SVG), when present.
const MAELSTROM_PLOTS: [&str; 6] = [
    "latency-raw.png",
    "latency-quantiles.png",
    "rate.png",
    "latency-raw.svg",
    "latency-quantiles.svg",
    "rate.svg",
];

fn maelstrom_plots(id: &str, files: &[FileEntry]) -> Markup {
    let plots: Vec<&FileEntry> = files
        .iter()
        .filter(|f| MAELSTROM_PLOTS.contains(&f.path.as_str()))
        .collect();
    html! {
        @if !plots.is_empty() {
            details #maelstrom-plots {
                summary { "Maelstrom's plots (" (plots.len()) ")" }
                div.grid2 {
                    @for f in &plots {
                        @if f.size == 0 {
                            p.muted { (f.path) ": empty file (gnuplot wrote nothing)" }
                        } @else {
                            img.chart src=(file_href(id, &f.path)) alt=(f.path) loading="lazy";
                        }
                    }
                }
            }
        }
    }
}

fn natural_key(name: &str) -> (String, u64) {
    let digits: String = name.chars().filter(char::is_ascii_digit).collect();
    let stem: String = name.chars().filter(|c| !c.is_ascii_digit()).collect();
    (stem, digits.parse().unwrap_or(0))
}

fn node_logs(id: &str, dir: &std::path::Path, files: &[FileEntry]) -> Markup {
    let mut logs: Vec<&FileEntry> = files
        .iter()
        .filter(|f| f.path.starts_with("node-logs/"))
        .collect();
    logs.sort_by_key(|f| natural_key(&f.path));
    html! {
        section #node-logs {
            h2 { "Node logs" }
            @if logs.is_empty() { p.muted { "No node-logs/ folder." } }
            @for (i, f) in logs.iter().enumerate() {
                details.node-log data-path=(f.path) {
                    summary {
                        a href=(file_href(id, &f.path)) { (f.path) } " "
                        span.muted { (format::bytes(f.size)) }
                    }
                    @if i < LOGS_SHOWN {
                        @if f.size == 0 { p.muted { "empty" } } @else {
                            pre { (read_tail(&dir.join(&f.path), LOG_TAIL_BYTES).unwrap_or_default()) }
                        }
                    }
                }
            }
        }
    }
}

fn raw_files(id: &str, files: &[FileEntry]) -> Markup {
    html! {
        section #files {
            h2 { "Files" }
            @if files.is_empty() { p.muted { "The run folder is gone or empty." } }
            details open[files.len() <= 40] {
                summary { (files.len()) " files" }
                table #file-list {
                    @for f in files {
                        tr {
                            td { a href=(file_href(id, &f.path)) { (f.path) } }
                            td.num { (format::bytes(f.size)) @if f.size == 0 { " " span.muted { "(empty)" } } }
                        }
                    }
                }
            }
        }
    }
}

/// Test, version, label form and regression verdict.
fn identity(s: &RunSummary, row: &RunRow, j: Option<&Judgement>) -> Markup {
    let label_action = format!("{}/label", format::run_href(&s.id));
    html! {
        section #identity {
            table #identity-table {
                tr { th { "Test" } td #test {
                    (regress::test_cell(row))
                    @match &s.test {
                        Some(t) => {
                            @if t.challenge.is_some() { " " span.muted { "(fly.io challenge " (t.name) ")" } }
                            div.mono.muted #test-key { (t.key) }
                            @if !t.unknown.is_empty() {
                                ul #test-unknown.problems { @for u in &t.unknown { li { (u) } } }
                            }
                        }
                        None => { " " span.muted { "(no command line in jepsen.log, so the flags, binary and words are unknown)" } },
                    }
                } }
                tr { th { "Version" } td #version {
                    (regress::version_cell(row))
                    @if !s.versions.nodes.is_empty() {
                        " " span.muted #node-versions {
                            "(" (s.versions.nodes.len()) " node log(s) name a version"
                            @if s.versions.version.is_none() { ", not all the same" }
                            ")"
                        }
                    } @else {
                        " " span.muted { "(no node log names a version)" }
                    }
                    form #label-form method="post" action=(label_action) {
                        label { "Label " input #label-input type="text" name="label" maxlength=(api::MAX_LABEL) value=[row.label.as_deref()] placeholder="e.g. before-batching"; }
                        " " button type="submit" { "Save label" }
                        span.muted { " A label is used as the run's version (blank removes it)." }
                    }
                } }
                tr { th { "Regression" } td #regression {
                    (regress::badge(&s.id, j))
                    @match j {
                        Some(Judgement::NotJudged { reason }) => { " " span.muted #not-judged { (reason) } },
                        Some(Judgement::Regressed(r) | Judgement::Ok(r)) => {
                            " " span.muted { "judged against " span #previous-version { (r.previous_version) } }
                            @if let Some(n) = &r.note { p.muted #regression-note { (n) } }
                            @if !r.figures.is_empty() {
                                table #regression-figures {
                                    tr { th { "figure" } th.num { "this run" } th.num { "band low" } th.num { "median" } th.num { "band high" } th.num { "baseline runs" } th { "" } }
                                    @for f in &r.figures {
                                        tr data-figure=(f.figure) class=[(f.place == Place::Regressed).then_some("worse")] {
                                            td { (f.label) }
                                            td.num data-value=(f.value) { (format::num(Some(f.value), 3)) }
                                            td.num { (format::num(Some(f.band.lo), 3)) }
                                            td.num { (format::num(Some(f.band.median), 3)) }
                                            td.num { (format::num(Some(f.band.hi), 3)) }
                                            td.num { (f.band.runs) }
                                            td { (format!("{:?}", f.place).to_lowercase()) }
                                        }
                                    }
                                }
                            }
                        },
                        None => {},
                    }
                } }
            }
        }
    }
}

/// Form body of `POST /run/<workload>/<folder>/label`.
#[derive(Debug, Deserialize)]
pub struct LabelForm {
    pub label: Option<String>,
}

/// Sets (or, blank, removes) a run's label from the page's form, then shows the run again.
pub async fn set_label(
    State(state): State<AppState>,
    Path((workload, run)): Path<(String, String)>,
    form: Result<Form<LabelForm>, axum::extract::rejection::FormRejection>,
) -> AppResult<Redirect> {
    let row = lookup(&state, &workload, &run)?;
    let Form(f) = form
        .map_err(|e| AppError::bad_request(format!("expected a form with a label field: {e}")))?;
    let label = api::clean_label(f.label.as_deref())?;
    state
        .index
        .set_label(&row.id, label.as_deref(), api::now_ms())?;
    Ok(Redirect::to(&format!(
        "{}#identity",
        format::run_href(&row.id)
    )))
}

/// Query of the run page: `?trace=<32 hex>` picks the trace drawn in the waterfall.
#[derive(Debug, Default, Deserialize)]
pub struct RunQuery {
    pub trace: Option<String>,
}

pub async fn handler(
    State(state): State<AppState>,
    Path((workload, run)): Path<(String, String)>,
    Query(q): Query<RunQuery>,
) -> AppResult<Markup> {
    let row = lookup(&state, &workload, &run)?;
    let trace = q.trace.filter(|t| !t.is_empty());
    if let Some(t) = &trace {
        if !run_telemetry::valid_trace_id(t) {
            return Err(AppError::bad_request("trace must be 32 hex digits"));
        }
    }
    let (summary, dir, _) = state
        .index
        .summary(&row.id)?
        .ok_or_else(|| AppError::not_found("run summary missing"))?;
    let history = state.index.history(&row.id)?;
    let previous = state.index.previous(&row.id)?;
    let judged = regress::judge_run_test(&state.index, &row)?;
    let index = state.index.clone();
    let page = tokio::task::spawn_blocking(move || {
        let tel = run_telemetry::load(&index, &row.id, trace.as_deref()).map_err(AppError::from)?;
        let files = list_files(&dir);
        let s = &summary;
        let h = history.as_ref();
        let page = html! {
            h1 #run-title { (s.workload) " · " span.mono { (s.dir_name) } }
            p #run-actions {
                @if let Some(p) = &previous {
                    a #compare-previous href=(format::compare_href(p, &s.id)) { "Compare with the previous " (s.workload) " run" }
                    " · "
                }
                @if let Some(k) = &row.test_key {
                    a #trend-link href=(regress::trend_href(k)) { "Trend of this test" }
                    " · "
                }
                a href={ "/api/runs/" (encode_path(&s.id)) } { "JSON" }
                @if !row.present { " · " span.gone { "this folder is no longer in the store" } }
            }
            @if !s.problems.is_empty() {
                section #problems {
                    ul.problems { @for p in &s.problems { li { (p) } } }
                }
            }
            (identity(s, &row, judged.get(&row.id)))
            section #command-line {
                h2 { "Command line" }
                @match &s.command_line {
                    Some(c) => pre { (c) },
                    None => p.muted { "No command line (jepsen.log missing or without a Command line: entry)." },
                }
            }
            (figures(s, h))
            (evidence(s, &files))
            (stats_by_f(s, h))
            (messages(s))
            (charts(&s.id, h))
            (maelstrom_plots(&s.id, &files))
            (run_telemetry::section(&s.id, &tel, &telemetry::files_of_run(&dir)))
            (node_logs(&s.id, &dir, &files))
            (raw_files(&s.id, &files))
        };
        Ok::<_, AppError>((page, row))
    })
    .await
    .map_err(AppError::internal)??;
    let (page, row) = page;
    let title = format!("{} {}", row.workload, row.dir_name);
    Ok(layout::page(&title, "run", page))
}
