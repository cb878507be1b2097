//! The `dashboard` binary started on a store folder that does not exist yet (a person opens
//! it before the first run): it keeps serving, says it is waiting for that folder, and lists
//! a run once the folder and the run appear.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use common::{copy_tree, fixtures, free_port};
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Empty<Bytes>>;

/// Status and body of a GET, or None while the server is not up.
async fn get(client: &Http, port: u16, path: &str) -> Option<(u16, String)> {
    let uri = format!("http://127.0.0.1:{port}{path}").parse().ok()?;
    let res = client.get(uri).await.ok()?;
    let status = res.status().as_u16();
    let body = res.into_body().collect().await.ok()?.to_bytes();
    Some((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Polls `path` until `ok` holds for its body (30 s at most); returns that body.
async fn wait_until(client: &Http, port: u16, path: &str, ok: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < Duration::from_secs(30) {
        if let Some((200, body)) = get(client, port, path).await {
            if ok(&body) {
                return body;
            }
            last = Some(body);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never showed what was expected; last body:\n{last:?}");
}

#[tokio::test]
async fn waits_for_a_missing_store_and_lists_runs_as_they_appear() {
    let tmp = tempfile::tempdir().unwrap();
    // Two levels missing, asked for through a `..`; the index file lives beside it.
    let store = tmp.path().join("not-yet/store");
    let port = free_port();
    let _server = Server(
        Command::new(env!("CARGO_BIN_EXE_dashboard"))
            .arg("--store")
            .arg(tmp.path().join("not-yet/../not-yet/store"))
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .arg("--db")
            .arg(tmp.path().join("index.sqlite"))
            .args(["--rescan-ms", "100"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let client: Http = Client::builder(TokioExecutor::new()).build_http();
    let canonical = tmp.path().canonicalize().unwrap().join("not-yet/store");

    let page = wait_until(&client, port, "/", |b| b.contains("id=\"no-runs\"")).await;
    assert!(
        page.contains(&format!(
            "No runs yet in <code>{}</code>",
            canonical.display()
        )),
        "{page}"
    );
    assert!(
        page.contains("waiting for the folder to be created"),
        "{page}"
    );
    assert!(!store.exists(), "the dashboard must not create the store");

    // The folder appears, empty: the page now waits for the first run.
    std::fs::create_dir_all(&store).unwrap();
    let page = wait_until(&client, port, "/", |b| {
        b.contains("waiting for the first run")
    })
    .await;
    assert!(page.contains("id=\"no-runs\""), "{page}");

    // A run appears (a real Maelstrom echo run).
    let name = "pankajads__maelstrom_test__20240106T144812.144+0530";
    copy_tree(
        &fixtures().join("echo").join(name),
        &store.join("echo").join(name),
    );
    let api = wait_until(&client, port, "/api/runs", |b| b.contains(name)).await;
    let runs: serde_json::Value = serde_json::from_str(&api).unwrap();
    assert_eq!(runs["count"], 1, "{api}");
    let page = wait_until(&client, port, "/", |b| b.contains("id=\"runs\"")).await;
    assert!(page.contains(name), "the runs list shows the run: {page}");
    assert!(!page.contains("id=\"no-runs\""), "{page}");
}
