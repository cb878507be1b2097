//! Measurements (ignored by default; run in release):
//! `cargo test --release -p glomers-dashboard --test perf -- --ignored --nocapture`.
//! Ingest of every shared fixture (goal ≤ 5 s), of the 7 MB txn-rw-register run alone
//! (goal ≤ 1 s), and the runs page's server time with 500 runs (goal ≤ 100 ms). Goals are
//! asserted in release builds only.

mod common;

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;
use glomers_dashboard::ingest::Limits;
use glomers_dashboard::App;

const BIG_TXN: &str =
    "txn-rw-register/Shresth72__distributed_systems_jepsen__20240919T143203.194+0530";

fn release() -> bool {
    !cfg!(debug_assertions)
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let t = Instant::now();
    let v = f();
    (v, t.elapsed())
}

#[test]
#[ignore]
fn ingest_all_fixtures() {
    let tmp = tempfile::tempdir().unwrap();
    let app = App::new(
        &fixtures(),
        Some(&tmp.path().join("db.sqlite")),
        Limits::default(),
    )
    .unwrap();
    let (report, d) = timed(|| app.rescan());
    eprintln!(
        "ingest of {} fixture runs: {:.0} ms",
        report.ingested,
        d.as_secs_f64() * 1e3
    );
    assert_eq!(report.ingested, fixture_runs(&fixtures()).len());
    if release() {
        assert!(d < Duration::from_secs(5));
    }
}

#[test]
#[ignore]
fn ingest_big_txn_run() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    copy_tree(&fixtures().join(BIG_TXN), &store.join(BIG_TXN));
    let size: u64 = glomers_dashboard::rundir::files::list_files(&store.join(BIG_TXN))
        .iter()
        .map(|f| f.size)
        .sum();
    let app = App::new(
        &store,
        Some(&tmp.path().join("db.sqlite")),
        Limits::default(),
    )
    .unwrap();
    let (report, d) = timed(|| app.rescan());
    assert_eq!(report.ingested, 1);
    eprintln!(
        "ingest of {BIG_TXN} ({:.1} MB): {:.0} ms",
        size as f64 / 1e6,
        d.as_secs_f64() * 1e3
    );
    if release() {
        assert!(d < Duration::from_secs(1));
    }
}

/// Copies the files the ingest reads (results.edn, history.edn, jepsen.log, node-logs)
/// of one fixture run into `to`, skipping files over 2 MB to keep the temp store small.
fn copy_small(from: &Path, to: &Path) {
    fs::create_dir_all(to.join("node-logs")).unwrap();
    for name in ["results.edn", "history.edn", "jepsen.log"] {
        let src = from.join(name);
        if fs::metadata(&src)
            .map(|m| m.len() <= 2_000_000)
            .unwrap_or(false)
        {
            fs::copy(&src, to.join(name)).unwrap();
        }
    }
    if let Ok(entries) = fs::read_dir(from.join("node-logs")) {
        for e in entries.flatten() {
            fs::write(to.join("node-logs").join(e.file_name()), b"").unwrap();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn runs_page_with_500_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let runs = fixture_runs(&fixtures());
    let base = chrono::DateTime::parse_from_rfc3339("2025-01-01T00:00:00+00:00").unwrap();
    for i in 0..500 {
        let src = &runs[i % runs.len()];
        let workload = src.id.split('/').next().unwrap();
        let t = base + chrono::Duration::minutes(i as i64 * 7);
        let name = t.format("%Y%m%dT%H%M%S%.3f%z").to_string();
        copy_small(&src.path, &store.join(workload).join(name));
    }
    let app = App::new(
        &store,
        Some(&tmp.path().join("db.sqlite")),
        Limits::default(),
    )
    .unwrap();
    let (report, d) = timed(|| app.rescan());
    assert_eq!(report.ingested, 500);
    eprintln!(
        "ingest of 500 synthetic runs: {:.0} ms",
        d.as_secs_f64() * 1e3
    );
    for (uri, goal_ms) in [
        ("/", 100.0),
        ("/?sort=p99&dir=desc", 100.0),
        ("/?workload=broadcast", 100.0),
        ("/api/runs", 100.0),
        ("/metrics", 200.0),
        ("/trend?workload=broadcast", 100.0),
    ] {
        let mut times = Vec::new();
        for _ in 0..15 {
            let t = Instant::now();
            let r = get(&app, uri).await;
            times.push(t.elapsed().as_secs_f64() * 1e3);
            assert_eq!(r.status, StatusCode::OK);
        }
        times.sort_by(f64::total_cmp);
        let median = times[times.len() / 2];
        eprintln!(
            "{uri} with 500 runs: median {median:.1} ms, max {:.1} ms",
            times.last().unwrap()
        );
        if release() {
            assert!(median <= goal_ms, "{uri} median {median:.1} ms");
        }
    }
    let (_, d) = timed(|| app.rescan());
    eprintln!(
        "rescan of 500 unchanged runs: {:.0} ms",
        d.as_secs_f64() * 1e3
    );
}
