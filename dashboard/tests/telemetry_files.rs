//! Node telemetry from the file sink, written by real `echo` node processes: folders in a
//! run's own `telemetry/` (a temp copy of a fixture run) are ingested and shown on the run
//! page (figures equal to metrics.prom, span counts equal to spans.jsonl, a two-node
//! waterfall in order); folders in an outside `--telemetry-dir` go to the run whose time
//! window and node ids fit, and to no other.

mod common;
mod telemetry_support;

use std::path::Path;
use std::time::{Duration, SystemTime};

use common::*;
use glomers_dashboard::ingest::Limits;
use glomers_dashboard::{App, Options};
use telemetry_support::*;

fn file_env(dir: &Path) -> Vec<(&'static str, String)> {
    vec![
        ("GLOMERS_TELEMETRY", "file".into()),
        ("GLOMERS_TELEMETRY_DIR", dir.display().to_string()),
    ]
}

/// `(node folder, spans.jsonl lines, metrics.prom text)` of each node under a file-sink root.
fn written(root: &Path) -> Vec<(String, usize, String)> {
    let mut out = Vec::new();
    for node in ["n0", "n1"] {
        let Some(folder) = std::fs::read_dir(root.join(node))
            .ok()
            .and_then(|mut d| d.next())
            .and_then(|e| e.ok())
        else {
            continue;
        };
        let spans = std::fs::read_to_string(folder.path().join("spans.jsonl")).unwrap_or_default();
        let metrics =
            std::fs::read_to_string(folder.path().join("metrics.prom")).unwrap_or_default();
        out.push((node.to_string(), spans.lines().count(), metrics));
    }
    out
}

/// Sum of a counter over one node's series in a metrics.prom text.
fn counter_sum(metrics: &str, name: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with(&format!("{name}{{")))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// Runs n0 and n1 with the file sink into `root`: client echoes and one two-node trace.
/// Waits until both nodes flushed everything, then kills them. Returns the trace id.
fn drive_nodes(root: &Path) -> String {
    let bin = node_bin("echo");
    let ids = ["n0", "n1"];
    let mut n0 = NodeProc::start(&bin, "n0", &ids, &file_env(root));
    let mut n1 = NodeProc::start(&bin, "n1", &ids, &file_env(root));
    for i in 0..5 {
        n0.client_echo(&format!("c{}", i + 1), 10 + i);
    }
    for i in 0..3 {
        n1.client_echo("c9", 20 + i);
    }
    let trace = chain(&mut n0, &mut n1);
    // Spans: n0 handled 5 client echoes and 1 peer echo, n1 3 + 1 (init comes before the
    // sinks start). Sent: those replies plus init_ok.
    let complete = wait_until(Duration::from_secs(10), || {
        let w = written(root);
        w.len() == 2
            && w[0].1 >= 6
            && w[1].1 >= 4
            && counter_sum(&w[0].2, "glomers_messages_sent_total") >= 7.0
            && counter_sum(&w[1].2, "glomers_messages_sent_total") >= 5.0
    });
    assert!(complete, "telemetry files incomplete: {:?}", written(root));
    n0.kill();
    n1.kill();
    trace
}

#[tokio::test(flavor = "multi_thread")]
async fn file_sink_in_the_run_folder_is_ingested_and_shown() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let fixture = fixture_runs(&fixtures())
        .into_iter()
        .find(|r| r.id.starts_with("echo/") && r.results.is_some())
        .expect("an echo fixture run");
    copy_tree(&fixture.path, &store.join(&fixture.id));
    let other = fixture_runs(&fixtures())
        .into_iter()
        .find(|r| r.id.starts_with("broadcast/"))
        .unwrap();
    copy_tree(&other.path, &store.join(&other.id));
    let root = store.join(&fixture.id).join("telemetry");
    let trace = tokio::task::spawn_blocking({
        let root = root.clone();
        move || drive_nodes(&root)
    })
    .await
    .unwrap();
    let w = written(&root);

    let app = app(&store, &tmp.path().join("db.sqlite"));
    let page = get(&app, &format!("/run/{}", enc_path(&fixture.id))).await;
    assert_eq!(page.status, 200);
    let html = page.body;
    assert_eq!(
        attr_of(&html, "id=\"telemetry-summary\"", "data-processes").as_deref(),
        Some("2")
    );
    let lines: usize = w.iter().map(|x| x.1).sum();
    assert_eq!(
        attr_of(&html, "id=\"telemetry-summary\"", "data-spans"),
        Some(lines.to_string())
    );
    // Per-node figures equal what metrics.prom says.
    for (node, _, metrics) in &w {
        let row = format!("data-node=\"{node}\" data-sent=");
        let sent = attr_of(&html, &row, "data-sent").expect("node row");
        assert_eq!(
            sent.parse::<f64>().unwrap(),
            counter_sum(metrics, "glomers_messages_sent_total"),
            "{node}"
        );
        let received = attr_of(&html, &row, "data-received").unwrap();
        assert_eq!(
            received.parse::<f64>().unwrap(),
            counter_sum(metrics, "glomers_messages_received_total")
        );
    }
    // Client operations are listed; the telemetry files are linked.
    assert!(html.contains("id=\"slowest-traces\""));
    assert!(html.contains("telemetry/n0/"));

    // The two-node trace: n0's span, then n1's as its child.
    let page = get(
        &app,
        &format!("/run/{}?trace={trace}", enc_path(&fixture.id)),
    )
    .await;
    let html = page.body;
    assert_eq!(
        attr_of(&html, "id=\"waterfall\"", "data-spans").as_deref(),
        Some("2")
    );
    let p0 = html
        .find("class=\"wf-row\" data-node=\"n0\"")
        .expect("n0 row");
    let p1 = html
        .find("class=\"wf-row\" data-node=\"n1\"")
        .expect("n1 row");
    assert!(p0 < p1, "n0's span comes first");
    assert_eq!(
        attr_of(&html, "class=\"wf-row\" data-node=\"n1\"", "data-depth").as_deref(),
        Some("1")
    );
    // Another run of the store has no telemetry; a bad trace id is refused.
    let other_page = get(&app, &format!("/run/{}", enc_path(&other.id))).await;
    assert!(other_page.body.contains("No node telemetry for this run"));
    let bad = get(&app, &format!("/run/{}?trace=xyz", enc_path(&fixture.id))).await;
    assert_eq!(bad.status, 400);

    // A rescan with nothing new reads nothing again and keeps the counts.
    app.rescan();
    let again = get(&app, &format!("/run/{}", enc_path(&fixture.id))).await;
    assert_eq!(
        attr_of(&again.body, "id=\"telemetry-summary\"", "data-spans"),
        Some(lines.to_string())
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_folders_go_to_the_run_that_fits_in_time_and_nodes() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let outside = tmp.path().join("telemetry");
    let now = SystemTime::now();
    let hour = Duration::from_secs(3600);
    // An old 2-node run, a current 2-node run, and a current 5-node run started later.
    let old = make_run(
        &store,
        "echo",
        now - hour,
        2,
        now - hour + Duration::from_secs(30),
    );
    let fits = make_run(&store, "echo", now - Duration::from_secs(3), 2, now);
    let bigger = make_run(&store, "broadcast", now - Duration::from_secs(2), 5, now);
    tokio::task::spawn_blocking({
        let outside = outside.clone();
        move || drive_nodes(&outside)
    })
    .await
    .unwrap();
    let app = App::with_options(
        &store,
        Some(&tmp.path().join("db.sqlite")),
        Limits::default(),
        Options {
            telemetry_dir: Some(outside.clone()),
            ..Options::default()
        },
    )
    .unwrap();
    app.rescan();
    let page = get(&app, &format!("/run/{}", enc_path(&fits))).await.body;
    assert_eq!(
        attr_of(&page, "id=\"telemetry-summary\"", "data-processes").as_deref(),
        Some("2"),
        "the current 2-node run gets both node folders"
    );
    for id in [&old, &bigger] {
        let p = get(&app, &format!("/run/{}", enc_path(id))).await.body;
        assert!(p.contains("No node telemetry for this run"), "{id}");
    }
}
