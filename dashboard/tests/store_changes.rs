//! The index follows the store: new run folders appear without a restart, a truncated
//! results.edn is explained without breaking the list, oversized and garbage files are
//! explained, and a restart with the same index is instant and keeps runs (even gone ones).

mod common;

use std::fs;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use common::*;
use glomers_dashboard::ingest::Limits;
use glomers_dashboard::App;

const BROADCAST: &str =
    "broadcast/Emmanuel32__distributed-systems-practice__20230511T014817.269-0400";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_added_after_start_appears() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    copy_tree(&fixtures().join("echo"), &store.join("echo"));
    let app = App::new(
        &store,
        Some(&tmp.path().join("db.sqlite")),
        Limits::default(),
    )
    .unwrap();
    let watcher = app.watch(Duration::from_millis(150));
    let before = loop {
        let j = get_json(&app, "/api/runs").await;
        if j["count"].as_u64().unwrap() == 3 {
            break j;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(before["count"], 3);
    // A new run lands (as Maelstrom writes it: folder first, then files).
    let new_dir = store.join("broadcast/20260101T120000.000+0100");
    copy_tree(&fixtures().join(BROADCAST), &new_dir);
    let started = Instant::now();
    loop {
        let j = get_json(&app, "/api/runs").await;
        let found = j["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "broadcast/20260101T120000.000+0100")
            .cloned();
        if let Some(r) = found {
            assert_eq!(r["verdict"], "invalid");
            assert_eq!(r["start"], "2026-01-01T12:00:00+01:00");
            assert_eq!(r["msgs_per_op_servers"], 2.157068);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "new run never appeared"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A changed results.edn is read again.
    let results = new_dir.join("results.edn");
    let text = fs::read_to_string(&results).unwrap();
    fs::write(&results, text.replace(":valid? false}", ":valid? true}")).unwrap();
    let started = Instant::now();
    loop {
        let j = get_json(&app, "/api/runs/broadcast/20260101T120000.000%2B0100").await;
        if j["run"]["verdict"] == "valid" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "change never seen"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    watcher.abort();
}

#[tokio::test]
async fn truncated_results_are_explained_and_do_not_break_the_list() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    copy_tree(&fixtures(), &store);
    let results = store.join(BROADCAST).join("results.edn");
    let text = fs::read(&results).unwrap();
    fs::write(&results, &text[..text.len() / 2]).unwrap();
    // An empty results.edn and a garbage one elsewhere.
    let echo = "echo/Emmanuel32__distributed-systems-practice__20230510T011652.162-0400";
    fs::write(store.join(echo).join("results.edn"), "").unwrap();
    let gc = "g-counter/punchanabu__glossim-glomers__20250201T022553.166+0700";
    fs::write(
        store.join(gc).join("results.edn"),
        b"\xff\xfe{{{ not edn ]]]",
    )
    .unwrap();
    // A history cut mid-line.
    let hist = store.join(gc).join("history.edn");
    let h = fs::read(&hist).unwrap();
    fs::write(&hist, &h[..h.len() - 25]).unwrap();
    let app = app(&store, &tmp.path().join("db.sqlite"));
    let list = get_json(&app, "/api/runs").await;
    assert_eq!(
        list["count"].as_u64().unwrap() as usize,
        fixture_runs(&fixtures()).len()
    );
    let page = get(&app, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    for id in [BROADCAST, echo, gc] {
        let p = get(&app, &format!("/run/{}", enc_path(id))).await;
        assert_eq!(p.status, StatusCode::OK, "{id}");
        assert!(p.body.contains("verdict-unknown"), "{id}");
        assert!(p.body.contains("id=\"problems\""), "{id}");
    }
    let p = get(&app, &format!("/run/{}", enc_path(BROADCAST))).await;
    assert!(p.body.contains("results.edn is malformed or truncated"));
    let p = get(&app, &format!("/run/{}", enc_path(echo))).await;
    assert!(p.body.contains("results.edn is empty"));
    let p = get(&app, &format!("/run/{}", enc_path(gc))).await;
    assert!(
        p.body.contains("unreadable line(s) skipped"),
        "history truncation explained"
    );
    // Other runs are untouched.
    let ok = get_json(
        &app,
        "/api/runs/broadcast/Emmanuel32__distributed-systems-practice__20230511T033437.888-0400",
    )
    .await;
    assert_eq!(ok["run"]["verdict"], "valid");
    let m = get(&app, "/metrics").await;
    assert!(
        m.body.contains("glomers_dashboard_ingest_errors_total 3"),
        "{}",
        m.body
    );
}

#[tokio::test]
async fn oversized_files_are_explained() {
    let tmp = tempfile::tempdir().unwrap();
    let limits = Limits {
        results_bytes: 1500,
        history_bytes: 10_000,
    };
    let app = App::new(&fixtures(), Some(&tmp.path().join("db.sqlite")), limits).unwrap();
    app.rescan();
    let j = get_json(
        &app,
        "/api/runs/txn-rw-register/Shresth72__distributed_systems_jepsen__20240919T143203.194%2B0530",
    )
    .await;
    let problems = j["summary"]["problems"].as_array().unwrap();
    assert!(problems.iter().any(|p| p
        .as_str()
        .unwrap()
        .contains("history.edn is 3.0 MB, over the")));
    // A results.edn over the limit gives an unknown verdict with an explanation.
    let j = get_json(&app, &format!("/api/runs/{}", enc_path(BROADCAST))).await;
    assert_eq!(j["run"]["verdict"], "unknown");
    assert!(j["summary"]["problems"][0]
        .as_str()
        .unwrap()
        .contains("over the"));
    assert_eq!(
        get(&app, &format!("/run/{}", enc_path(BROADCAST)))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn restart_with_the_same_index_is_instant_and_keeps_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    copy_tree(&fixtures(), &store);
    let db = tmp.path().join("db.sqlite");
    let n = fixture_runs(&fixtures()).len();
    {
        let first = app(&store, &db);
        assert_eq!(
            get_json(&first, "/api/runs").await["count"]
                .as_u64()
                .unwrap() as usize,
            n
        );
    }
    // Restart: runs are listed before any scan.
    let started = Instant::now();
    let second = App::new(&store, Some(&db), Limits::default()).unwrap();
    let j = get_json(&second, "/api/runs").await;
    let open_ms = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!(j["count"].as_u64().unwrap() as usize, n);
    // The first scan after a restart reads nothing again.
    let started = Instant::now();
    let report = second.rescan();
    let scan_ms = started.elapsed().as_secs_f64() * 1e3;
    assert_eq!(report.ingested, 0, "{report:?}");
    assert_eq!(report.unchanged, n);
    eprintln!(
        "restart: index open + list {open_ms:.1} ms, rescan of unchanged store {scan_ms:.1} ms"
    );
    assert!(open_ms < 1000.0 && scan_ms < 1000.0);
    // A run whose folder is deleted stays listed, marked gone.
    fs::remove_dir_all(store.join(BROADCAST)).unwrap();
    let report = second.rescan();
    assert_eq!(report.gone, 1);
    let j = get_json(&second, &format!("/api/runs/{}", enc_path(BROADCAST))).await;
    assert_eq!(j["run"]["present"], false);
    let p = get(&second, &format!("/run/{}", enc_path(BROADCAST))).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("no longer in the store"));
    assert!(get(&second, "/").await.body.contains("(gone)"));
}

#[tokio::test]
async fn symlinks_and_stray_files_are_not_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    copy_tree(&fixtures().join("echo"), &store.join("echo"));
    let run = "Emmanuel32__distributed-systems-practice__20230510T011652.162-0400";
    std::os::unix::fs::symlink(format!("echo/{run}"), store.join("latest")).unwrap();
    std::os::unix::fs::symlink(format!("echo/{run}"), store.join("current")).unwrap();
    std::os::unix::fs::symlink(run, store.join("echo/latest")).unwrap();
    fs::write(store.join("echo/notes.txt"), "x").unwrap();
    fs::create_dir_all(store.join(".hidden/run")).unwrap();
    fs::write(store.join(".hidden/run/jepsen.log"), "x").unwrap();
    let app = app(&store, &tmp.path().join("db.sqlite"));
    let j = get_json(&app, "/api/runs").await;
    assert_eq!(j["count"], 3);
    assert!(j["runs"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| !r["id"].as_str().unwrap().contains("latest")));
}
