//! A run of the embedded harness in the dashboard: its `messages.svg` gives the run page the
//! same message counts (by type, by node) as a real Maelstrom run's, and they agree with the
//! run's own `:net` figures. Its test is read from the harness's own command line, and its
//! version from the nodes' first log line: the build's version, never "unknown".

use std::process::Command;

use glomers_model::Value;

mod common;
use common::*;

#[path = "../../test-support/workspace_bins.rs"]
mod workspace_bins;
use workspace_bins::{run_ok, workspace_bin};

#[tokio::test]
async fn harness_runs_get_message_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    run_ok(
        Command::new(workspace_bin("harness"))
            .args(["test", "-w", "broadcast", "--bin"])
            .arg(workspace_bin("broadcast"))
            .args(["--node-count", "3", "--time-limit", "2", "--rate", "10"])
            .args(["--latency", "5", "--seed", "2", "--recovery-time", "0.5"])
            .arg("--store")
            .arg(&store),
        "harness run",
    );
    let app = app(&store, &tmp.path().join("db.sqlite"));
    let runs = fixture_runs(&store);
    assert_eq!(runs.len(), 1, "{runs:?}");
    let r = &runs[0];
    let j = get_json(&app, &format!("/api/runs/{}", enc_path(&r.id))).await;
    // The harness's command line names the same test as Maelstrom's spelling of it.
    let same = glomers_dashboard::identity::test_id::parse(
        "lein run test --rate 10 --latency 5 -w broadcast --node-count 3 --time-limit 2 \
         --bin /elsewhere/broadcast --recovery-time 0.5 --concurrency 1n",
    );
    assert_eq!(j["test"]["key"], same.key.as_str(), "{}", j["test"]);
    assert_eq!(j["test"]["bin"], "broadcast");
    let version = j["version"].as_str().unwrap();
    assert!(
        glomers_dashboard::identity::version::well_formed(version),
        "the nodes' version line was read: {version:?} ({})",
        j["node_versions"]
    );
    assert_eq!(j["node_versions"]["nodes"].as_array().unwrap().len(), 3);
    let m = &j["summary"]["messages"];
    let by_type = m["by_type"].as_array().expect("message counts by type");
    let servers: u64 = by_type
        .iter()
        .map(|t| t["server_server"].as_u64().unwrap() + t["service"].as_u64().unwrap())
        .sum();
    let want = r
        .results
        .as_ref()
        .and_then(|res| res.get_in(&["net", "servers", "recv-count"]))
        .and_then(Value::as_i64)
        .unwrap();
    assert!(want > 0);
    assert_eq!(servers as i64, want);
    let types: Vec<&str> = by_type
        .iter()
        .map(|t| t["msg_type"].as_str().unwrap())
        .collect();
    for t in ["topology", "broadcast", "read"] {
        assert!(types.contains(&t), "{t} in {types:?}");
    }
    let nodes: Vec<&str> = m["by_node"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["n0", "n1", "n2"]);
    let page = get(&app, &format!("/run/{}", enc_path(&r.id))).await;
    assert!(page.body.contains("id=\"messages-by-type\""));
    assert!(!page.body.contains("No messages.svg in this run."));
    // The page links the diagram itself, served as SVG.
    let href = format!("/run/{}/file/messages.svg", enc_path(&r.id));
    assert!(page.body.contains(&format!("href=\"{href}\"")), "{href}");
    let svg = get(&app, &href).await;
    assert_eq!(svg.status, axum::http::StatusCode::OK);
    assert!(svg.content_type.starts_with("image/svg+xml"));
    assert!(svg.body.contains("<title >c"));
}
