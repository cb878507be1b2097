//! The dashboard in a real browser: the `dashboard` binary serves a copy of the shared
//! fixture store, headless Chromium (through chromedriver) goes runs list → a run → compare
//! with the previous run → the trend of its test → a filtered list → another run, checking
//! the tables, that every chart is decoded and really drawn, and that the console stays free
//! of errors. A full-page screenshot of each page is kept under `target/browser-artifacts/`.
//!
//! Needs `chromium` and `chromedriver` (Debian: `chromium chromium-driver`). Without them the
//! test fails under `CI=true` and prints a NOTICE and passes elsewhere.

mod browser_support;
mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use browser_support::charts::chart;
use browser_support::session::Browser;
use browser_support::{tools_or_skip, Dashboard};
use common::{copy_tree, expected_verdict, fixture_runs, fixtures};
use serde::Deserialize;

/// `target/browser-artifacts/`, emptied of earlier screenshots.
fn artifacts_dir() -> PathBuf {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("target dir")
        .to_path_buf();
    let dir = target.join("browser-artifacts");
    std::fs::create_dir_all(&dir).expect("create target/browser-artifacts");
    for e in std::fs::read_dir(&dir).expect("list artifacts").flatten() {
        if e.path().extension().is_some_and(|x| x == "png") {
            let _ = std::fs::remove_file(e.path());
        }
    }
    dir
}

/// `(run id, verdict)` of each row of the runs table, in page order.
async fn listed_runs(b: &Browser) -> Vec<(String, String)> {
    b.js(
        "return [...document.querySelectorAll('#runs tbody tr.run')]
                  .map(r => [r.dataset.runId, r.dataset.verdict]);",
        vec![],
    )
    .await
}

/// The run id a run link points at (path decoded).
async fn linked_run(b: &Browser, css: &str) -> String {
    let path: String = b
        .js(
            "const a = document.querySelector(arguments[0]);
             return a ? decodeURIComponent(new URL(a.href).pathname) : '';",
            vec![serde_json::json!(css)],
        )
        .await;
    path.strip_prefix("/run/")
        .unwrap_or_else(|| panic!("{css} does not link a run: {path:?}"))
        .to_string()
}

/// One row of the compare table: its key and the texts / values of its cells.
#[derive(Debug, Deserialize)]
struct FigureRow {
    key: String,
    older: Option<f64>,
    newer: Option<f64>,
    delta: String,
}

async fn compare_rows(b: &Browser) -> Vec<FigureRow> {
    b.js(
        "return [...document.querySelectorAll('#compare-figures tr.figure')].map(tr => {
            const td = tr.querySelectorAll('td');
            const val = c => c && c.dataset.value !== undefined ? Number(c.dataset.value) : null;
            return { key: tr.dataset.figure, older: val(td[1]), newer: val(td[2]),
                     delta: td[3] ? td[3].textContent.trim() : '' };
        });",
        vec![],
    )
    .await
}

/// Checks a run page's two charts: a latency scatter and a throughput line.
async fn assert_run_charts(b: &Browser, step: &str) -> (usize, usize) {
    let lat = chart(b, "#latency-chart img.chart").await;
    assert!(
        lat.circles >= 10,
        "{step}: latency chart has {} points",
        lat.circles
    );
    let thr = chart(b, "#throughput-chart img.chart").await;
    assert!(
        !thr.lines(3).is_empty(),
        "{step}: throughput chart draws no line: {:?}",
        thr.series
    );
    (lat.circles, lat.shaded)
}

#[tokio::test]
async fn dashboard_in_headless_chromium() {
    let Some(tools) = tools_or_skip("browser test") else {
        return;
    };
    let started = Instant::now();
    let artifacts = artifacts_dir();
    let tmp = tempfile::tempdir().expect("temp dir");
    let store = tmp.path().join("store");
    copy_tree(&fixtures(), &store);
    let runs = fixture_runs(&store);
    assert!(runs.len() >= 20, "fixture runs found: {}", runs.len());
    let dash = Dashboard::start(
        &store,
        &tmp.path().join("index.sqlite"),
        &artifacts.join("dashboard.log"),
        runs.len(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let b = Browser::start(&tools, &artifacts).await;
    let mut shots = Vec::new();

    // 1. The runs list shows every fixture run with its verdict, newest first.
    b.goto(&dash.url("/"), "runs").await;
    let listed = listed_runs(&b).await;
    let mut got: Vec<(String, String)> = listed.clone();
    got.sort();
    let want: Vec<(String, String)> = runs
        .iter()
        .map(|r| (r.id.clone(), expected_verdict(r).to_string()))
        .collect();
    assert_eq!(got, want, "the runs table");
    let count: String = b
        .js(
            "return document.querySelector('#run-count').textContent;",
            vec![],
        )
        .await;
    assert_eq!(count, format!("{} runs", runs.len()));
    // Every row names its test (or says it is unknown) and its version.
    let cells: Vec<(String, String)> = b
        .js(
            "return [...document.querySelectorAll('#runs tbody tr.run')]
                      .map(r => [r.querySelector('td.test').textContent.trim(),
                                 r.querySelector('td.version-cell').textContent.trim()]);",
            vec![],
        )
        .await;
    assert_eq!(cells.len(), runs.len());
    assert!(
        cells.iter().all(|(t, v)| !t.is_empty() && v == "unknown"),
        "{cells:?}"
    );
    assert!(cells.iter().any(|(t, _)| t.starts_with("3b")), "{cells:?}");
    b.assert_clean_console("runs list");
    shots.push(b.screenshot("01-runs").await);

    // 2. Click the newest broadcast run: its charts are drawn.
    let broadcast: Vec<&String> = listed
        .iter()
        .map(|(id, _)| id)
        .filter(|id| id.starts_with("broadcast/"))
        .collect();
    assert!(broadcast.len() >= 2, "broadcast runs listed: {broadcast:?}");
    let (newer, older) = (broadcast[0], broadcast[1]);
    b.click(
        &format!("#runs tr.run[data-run-id=\"{newer}\"] a.run-link"),
        "run",
    )
    .await;
    let title: String = b
        .js(
            "return document.querySelector('#run-title').textContent;",
            vec![],
        )
        .await;
    let folder = newer.split_once('/').unwrap().1;
    assert!(title.contains(folder), "run page title {title:?}");
    assert_run_charts(&b, "broadcast run").await;
    b.assert_clean_console("broadcast run");
    shots.push(b.screenshot("02-run-broadcast").await);

    // 3. Compare with the previous broadcast run: deltas table and overlaid CDFs.
    b.click("#compare-previous", "compare").await;
    assert_eq!(&linked_run(&b, "#older-link").await, older);
    assert_eq!(&linked_run(&b, "#newer-link").await, newer);
    let rows = compare_rows(&b).await;
    assert!(rows.len() >= 6, "compare rows: {rows:?}");
    let mpo = rows
        .iter()
        .find(|r| r.key == "mpo-servers")
        .unwrap_or_else(|| panic!("no msgs-per-op :servers row in {rows:?}"));
    assert!(mpo.older.is_some() && mpo.newer.is_some(), "{mpo:?}");
    let mut deltas = 0;
    for r in &rows {
        let (Some(o), Some(n)) = (r.older, r.newer) else {
            continue;
        };
        // The number, then maybe a "worse"/"better" flag.
        let end = r
            .delta
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .unwrap_or(r.delta.len());
        let shown = &r.delta[..end];
        let d: f64 = shown
            .parse()
            .unwrap_or_else(|e| panic!("delta of {} is {:?}: {e}", r.key, r.delta));
        let places = shown.split_once('.').map_or(0, |(_, f)| f.len());
        let tolerance = 0.5 * 10f64.powi(-(places as i32)) + 1e-9;
        assert!(
            (d - (n - o)).abs() <= tolerance,
            "delta of {}: shown {d}, values {o} → {n}",
            r.key
        );
        deltas += 1;
    }
    assert!(deltas >= 4, "figures with a delta: {deltas} in {rows:?}");
    let cdf = chart(&b, "#cdf-chart").await;
    let colors = cdf.line_colors(10);
    assert!(
        colors.len() >= 2,
        "the CDF chart overlays {} curve(s): {:?}",
        colors.len(),
        cdf.series
    );
    b.assert_clean_console("compare");
    shots.push(b.screenshot("03-compare").await);

    // 4. Trend of the newest broadcast run's test, reached through the navigation bar and
    //    the broadcast tests: its runs, each version named, a chart per figure.
    let test_key = dash.json(&format!("/api/runs/{}", common::enc_path(newer)))["run"]["test_key"]
        .as_str()
        .expect("the newest broadcast run has a test")
        .to_string();
    b.click("#nav a[href=\"/trend\"]", "trend").await;
    b.click(
        "#trend-workloads a[href=\"/trend?workload=broadcast\"]",
        "trend",
    )
    .await;
    let listed_tests: Vec<String> = b
        .js(
            "return [...document.querySelectorAll('#trend-tests tr.test')].map(r => r.dataset.test);",
            vec![],
        )
        .await;
    assert!(
        listed_tests.contains(&test_key),
        "{test_key:?} not among the broadcast tests {listed_tests:?}"
    );
    assert!(
        listed_tests.iter().all(|t| t.starts_with("-w broadcast ")),
        "{listed_tests:?}"
    );
    let row_link = format!("#trend-tests tr.test[data-test=\"{test_key}\"] a.test-link");
    b.click(&row_link, "trend").await;
    let trend_rows: Vec<String> = b
        .js(
            "return [...document.querySelectorAll('#trend-table tr.run')].map(r => r.dataset.runId);",
            vec![],
        )
        .await;
    let mut want_runs: Vec<String> = Vec::new();
    for (id, _) in &listed {
        let j = dash.json(&format!("/api/runs/{}", common::enc_path(id)));
        if j["run"]["test_key"].as_str() == Some(test_key.as_str()) {
            want_runs.push(id.clone());
        }
    }
    want_runs.reverse();
    assert_eq!(trend_rows, want_runs, "trend table rows, oldest first");
    assert!(trend_rows.contains(newer));
    let versions: Vec<String> = b
        .js(
            "return [...document.querySelectorAll('#trend-versions li.version .version-name')].map(e => e.textContent);",
            vec![],
        )
        .await;
    assert_eq!(
        versions,
        vec!["unknown".to_string()],
        "fixture nodes name no version"
    );
    for css in [
        "#trend-stable-p99",
        "#trend-mpo-servers",
        "#trend-availability",
    ] {
        let c = chart(&b, css).await;
        assert!(c.circles >= trend_rows.len(), "{css}: {} points", c.circles);
        assert!(
            c.texts.iter().any(|t| t.trim() == "unknown"),
            "{css}: legend {:?}",
            c.texts
        );
    }
    b.assert_clean_console("trend");
    shots.push(b.screenshot("04-trend").await);

    // 5. Filter the list to g-counter with the form, open the valid run: its partition
    //    windows are shaded on the latency chart.
    b.click("#nav a[href=\"/\"]", "runs").await;
    let select = b
        .client
        .find(fantoccini::Locator::Css("#filter-workload"))
        .await
        .expect("workload filter");
    select
        .select_by_value("g-counter")
        .await
        .expect("choose g-counter");
    b.click("#filters button[type=submit]", "runs").await;
    let gc = listed_runs(&b).await;
    let mut gc_ids: Vec<&str> = gc.iter().map(|(id, _)| id.as_str()).collect();
    gc_ids.sort();
    let want_gc: Vec<&str> = runs
        .iter()
        .map(|r| r.id.as_str())
        .filter(|id| id.starts_with("g-counter/"))
        .collect();
    assert_eq!(gc_ids, want_gc, "the filtered list");
    b.click("#runs tr.run[data-verdict=\"valid\"] a.run-link", "run")
        .await;
    let windows: usize = b
        .js(
            "const m = document.querySelector('#charts').textContent.match(/(\\d+) partition window/);
             return m ? Number(m[1]) : -1;",
            vec![],
        )
        .await;
    let (_, shaded) = assert_run_charts(&b, "g-counter run").await;
    assert!(windows > 0, "the g-counter run shows no partition window");
    assert_eq!(shaded, windows, "shaded partition windows");
    b.assert_clean_console("g-counter run");
    shots.push(b.screenshot("05-run-g-counter").await);

    // 6. A plain-text page opened in the browser logs no error either (e.g. a favicon 404).
    b.client
        .goto(&dash.url("/metrics"))
        .await
        .expect("open /metrics");
    // The favicon is asked for after the load event.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    b.assert_clean_console("metrics");

    b.close().await;
    let mut summary = format!(
        "browser test: {} pages in {:.1} s; screenshots:\n",
        shots.len() + 1,
        started.elapsed().as_secs_f64()
    );
    for s in &shots {
        summary.push_str(&format!("  {}\n", s.display()));
        assert!(std::fs::metadata(s).is_ok_and(|m| m.len() > 10_000));
    }
    let _ = std::io::stderr().write_all(summary.as_bytes());
}
