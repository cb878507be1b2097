//! Shared helpers of the dashboard's integration tests: locating and copying the shared
//! Maelstrom store fixtures, building an app over a store, and sending requests to its router
//! in-process.

#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use glomers_dashboard::ingest::Limits;
use glomers_dashboard::App;
use glomers_model::Value;
use http_body_util::BodyExt;
use tower::ServiceExt;

/// A loopback port that was free a moment ago (the OS picks it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .expect("local address")
        .port()
}

/// The shared fixtures store (read-only).
pub fn fixtures() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../shared/fixtures/maelstrom-store"
    ))
}

/// Copies a folder tree (files and folders; symlinks recreated as symlinks).
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap().flatten() {
        let ft = e.file_type().unwrap();
        let dst = to.join(e.file_name());
        if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(e.path()).unwrap(), &dst).unwrap();
        } else if ft.is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            fs::copy(e.path(), &dst).unwrap();
            let mut perms = fs::metadata(&dst).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            fs::set_permissions(&dst, perms).unwrap();
        }
    }
}

/// One fixture run folder and what its results.edn says.
#[derive(Debug, Clone)]
pub struct FixtureRun {
    pub id: String,
    pub path: PathBuf,
    pub results: Option<Value>,
}

/// Every run folder of a store laid out like the fixtures.
pub fn fixture_runs(store: &Path) -> Vec<FixtureRun> {
    let mut runs = Vec::new();
    for wl in fs::read_dir(store).unwrap().flatten() {
        if !wl.file_type().unwrap().is_dir() {
            continue;
        }
        for run in fs::read_dir(wl.path()).unwrap().flatten() {
            if !run.file_type().unwrap().is_dir() {
                continue;
            }
            let path = run.path();
            let results = fs::read_to_string(path.join("results.edn"))
                .ok()
                .map(|t| glomers_model::parse(&t).expect("fixture results.edn parses"));
            runs.push(FixtureRun {
                id: format!(
                    "{}/{}",
                    wl.file_name().to_string_lossy(),
                    run.file_name().to_string_lossy()
                ),
                path,
                results,
            });
        }
    }
    runs.sort_by(|a, b| a.id.cmp(&b.id));
    runs
}

/// An app over `store` with an index at `db`, scanned once.
pub fn app(store: &Path, db: &Path) -> App {
    let app = App::new(store, Some(db), Limits::default()).unwrap();
    app.rescan();
    app
}

/// A response: status, content type and body text (lossy).
pub struct Resp {
    pub status: StatusCode,
    pub content_type: String,
    pub body: String,
    pub bytes: Vec<u8>,
}

/// Sends a GET to the app's router.
pub async fn get(app: &App, uri: &str) -> Resp {
    let res = app
        .router()
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let content_type = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_string())
        .unwrap_or_default();
    let bytes = res.into_body().collect().await.unwrap().to_bytes().to_vec();
    Resp {
        status,
        content_type,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        bytes,
    }
}

/// GET that must answer 200 with JSON.
pub async fn get_json(app: &App, uri: &str) -> serde_json::Value {
    let r = get(app, uri).await;
    assert_eq!(r.status, StatusCode::OK, "{uri}: {}", r.body);
    serde_json::from_str(&r.body).unwrap()
}

/// Percent-encodes everything but unreserved characters.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Encodes each `/`-separated segment.
pub fn enc_path(s: &str) -> String {
    s.split('/').map(enc).collect::<Vec<_>>().join("/")
}

/// The verdict a fixture should show.
pub fn expected_verdict(r: &FixtureRun) -> &'static str {
    match r.results.as_ref().map(|v| v.get("valid?")) {
        None => "aborted",
        Some(Some(Value::Bool(true))) => "valid",
        Some(Some(Value::Bool(false))) => "invalid",
        Some(_) => "unknown",
    }
}
