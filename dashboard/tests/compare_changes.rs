//! The compare page's ranked "what changed" list over real runs: two short broadcast runs of
//! the harness with node telemetry, one with the latency profile (3d) and one with the
//! message profile (3e), whose messages and spans really differ; and fixture runs of
//! Maelstrom without telemetry, ranked from messages.svg and history.edn alone.

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use axum::http::StatusCode;

mod common;
use common::*;

#[path = "../../test-support/workspace_bins.rs"]
mod workspace_bins;
use workspace_bins::{run_ok, workspace_bin};

/// The attributes of an opening tag's text (`<li a="x" b="y"`).
fn attrs(tag: &str) -> HashMap<String, String> {
    let mut attrs = HashMap::new();
    let mut t = tag;
    while let Some(eq) = t.find("=\"") {
        let name = t[..eq].rsplit(' ').next().unwrap().to_string();
        let v = &t[eq + 2..];
        let close = v.find('"').unwrap();
        attrs.insert(name, v[..close].to_string());
        t = &v[close + 1..];
    }
    attrs
}

/// The attributes of the tag holding `marker`.
fn tag_with(html: &str, marker: &str) -> HashMap<String, String> {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in page"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    attrs(&html[start..end])
}

/// The attributes of every `<li class="change...">` of a page, in page order.
fn changes(html: &str) -> Vec<HashMap<String, String>> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find("<li class=\"change") {
        rest = &rest[i..];
        let end = rest.find('>').unwrap();
        out.push(attrs(&rest[..end]));
        rest = &rest[end..];
    }
    out
}

fn num(attrs: &HashMap<String, String>, k: &str) -> f64 {
    attrs[k].parse().unwrap()
}

/// One harness broadcast run with telemetry; `profile` is passed to the nodes.
fn harness_run(store: &Path, profile: &str, seed: &str) {
    run_ok(
        Command::new(workspace_bin("harness"))
            .args(["test", "-w", "broadcast", "--bin"])
            .arg(workspace_bin("broadcast"))
            .args(["--node-count", "5", "--time-limit", "3", "--rate", "40"])
            .args(["--latency", "5", "--seed", seed, "--recovery-time", "0.5"])
            .arg("--telemetry")
            .arg("--store")
            .arg(store)
            .arg(profile),
        "harness run",
    );
}

/// A run's server messages of one type, from its messages.svg counts in the API.
async fn server_msgs(app: &glomers_dashboard::App, id: &str, t: &str) -> f64 {
    let j = get_json(app, &format!("/api/runs/{}", enc_path(id))).await;
    j["summary"]["messages"]["by_type"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["msg_type"] == t)
        .map_or(0, |x| {
            x["server_server"].as_u64().unwrap() + x["service"].as_u64().unwrap()
        }) as f64
}

#[tokio::test(flavor = "multi_thread")]
async fn compare_of_two_runs_with_telemetry_names_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    // The folders are named by start time: run one after the other, 3d first (A).
    harness_run(&store, "3d", "7");
    harness_run(&store, "3e", "7");
    let runs = fixture_runs(&store);
    assert_eq!(runs.len(), 2, "{runs:?}");
    let app = app(&store, &tmp.path().join("db.sqlite"));
    let (a, b) = (&runs[0].id, &runs[1].id);
    let page = get(&app, &format!("/compare?a={}&b={}", enc(b), enc(a))).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let html = &page.body;
    // The older run is A whatever the order asked.
    let pos = |s: &str| html.find(s).unwrap_or_else(|| panic!("{s} in page"));
    assert!(
        pos(&format!("href=\"/run/{}\"", enc_path(a)))
            < pos(&format!("href=\"/run/{}\"", enc_path(b)))
    );
    let note = tag_with(html, "id=\"telemetry-note\"");
    assert_eq!((&*note["data-a"], &*note["data-b"]), ("true", "true"));
    assert!(
        pos("id=\"changes\"") < pos("id=\"compare-figures\""),
        "ranked list on top"
    );

    let items = changes(html);
    assert!(!items.is_empty());
    // Ranked: scores never rise down the list.
    let scores: Vec<f64> = items.iter().map(|c| num(c, "data-score")).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    // The top figure really changed: its values differ by at least half.
    let top = &items[0];
    let (va, vb) = (num(top, "data-a"), num(top, "data-b"));
    let ratio = (va.max(0.01) / vb.max(0.01)).max(vb.max(0.01) / va.max(0.01));
    assert!(ratio >= 1.5, "top {top:?}");
    // Whatever message type tops the list, the runs' own message counts agree.
    let figure = &top["data-figure"];
    if let Some(t) = figure.strip_prefix("msgs-type/") {
        let (ca, cb) = (server_msgs(&app, a, t).await, server_msgs(&app, b, t).await);
        assert_eq!((ca > cb), (va > vb), "{figure}: {ca} vs {cb}");
    }
    // The 3e profile batches through a hub: far fewer server messages per op than 3d.
    let msgs: Vec<&HashMap<String, String>> = items
        .iter()
        .filter(|c| c["data-figure"].starts_with("msgs-type/"))
        .collect();
    assert!(
        msgs.iter()
            .any(|c| num(c, "data-a") > 1.5 * num(c, "data-b")),
        "{msgs:?}"
    );
    // Telemetry rows: span durations from the nodes' spans, with an overlaid distribution.
    assert!(
        items.iter().any(|c| c["data-group"] == "telemetry"),
        "{items:?}"
    );
    let img = html
        .find("<figure class=\"dist\"")
        .map(|i| &html[i..])
        .and_then(|f| f.find("src=\"").map(|j| &f[j + 5..]))
        .map(|s| s[..s.find('"').unwrap()].replace("&amp;", "&"))
        .expect("a span distribution chart");
    assert!(img.starts_with("/compare/chart/spans.svg?"), "{img}");
    let svg = get(&app, &img).await;
    assert_eq!(svg.status, StatusCode::OK);
    assert!(svg.content_type.starts_with("image/svg+xml"));
    assert!(svg.body.contains("Duration CDF"), "{}", &svg.body[..200]);
    assert!(svg.body.contains("A: broadcast") && svg.body.contains("B: broadcast"));
    // A bad span name is refused.
    let bad = get(
        &app,
        &format!(
            "/compare/chart/spans.svg?a={}&b={}&span=x&type=y",
            enc(a),
            enc(b)
        ),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn compare_of_fixture_runs_without_telemetry_ranks_messages_and_latency() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    let runs = fixture_runs(&fixtures());
    // Broadcast runs with messages.svg and history.edn (5 nodes with partitions, 1 node).
    let ids: Vec<&str> = runs
        .iter()
        .filter(|r| r.id.starts_with("broadcast/"))
        .filter(|r| r.path.join("messages.svg").is_file() && r.path.join("history.edn").is_file())
        .map(|r| r.id.as_str())
        .collect();
    assert!(ids.len() >= 2, "{ids:?}");
    let page = get(
        &app,
        &format!("/compare?a={}&b={}", enc(ids[0]), enc(ids[1])),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(
        "Neither run has node telemetry: ranked from messages.svg and history.edn only."
    ));
    let items = changes(&page.body);
    assert!(!items.is_empty());
    assert!(items.iter().all(|c| c["data-group"] != "telemetry"));
    assert!(items.iter().any(|c| c["data-group"] == "messages"));
    assert!(items.iter().any(|c| c["data-group"] == "latency"));
    assert!(!page.body.contains("<figure class=\"dist\""));
    // Every pair of fixture runs compares without an error, telemetry or not.
    for (i, x) in runs.iter().enumerate() {
        let y = &runs[(i + 1) % runs.len()];
        let page = get(&app, &format!("/compare?a={}&b={}", enc(&x.id), enc(&y.id))).await;
        assert_eq!(page.status, StatusCode::OK, "{} vs {}", x.id, y.id);
        assert!(page.body.contains("id=\"what-changed\""));
    }
}
