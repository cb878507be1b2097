//! Versions, labels and regressions over HTTP, on made-up runs of fly.io's 3d: versions read
//! from the nodes' first log line, labels given through the API and the run page's form
//! (kept across a restart, a re-read and a rebuild of the run rows), runs grouped by version
//! in the trend, the regressed badge linked to compare with the baseline, and bad input
//! (no command line, unknown flags, a garbled version line, two versions in one run)
//! explained on the page, never a 500.

mod common;

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use tower::ServiceExt;

const CMD_3D: &str = "lein run test -w broadcast --bin /home/me/glomers/target/release/broadcast \
    --node-count 25 --time-limit 20 --rate 100 --latency 100 3d";

/// A made-up valid broadcast run: command line, figures, and one node log line per node.
struct Fake<'a> {
    folder: &'a str,
    cmd: Option<&'a str>,
    p50: f64,
    mpo: f64,
    node_lines: &'a [&'a str],
}

fn write_run(store: &Path, f: &Fake) {
    let dir = store.join("broadcast").join(f.folder);
    std::fs::create_dir_all(dir.join("node-logs")).unwrap();
    let mut log =
        "2026-01-01 12:00:00,000{GMT}\tINFO\t[jepsen test runner] jepsen.core: Command line:\n"
            .to_string();
    match f.cmd {
        Some(c) => log.push_str(&format!("{c}\n")),
        None => {
            log = "2026-01-01 12:00:00,000{GMT}\tINFO\t[jepsen test runner] jepsen.core: Running test:\n{}\n".into()
        }
    }
    std::fs::write(dir.join("jepsen.log"), log).unwrap();
    let (p50, p99, max) = (f.p50, f.p50 * 1.5, f.p50 * 2.0);
    std::fs::write(
        dir.join("results.edn"),
        format!(
            "{{:valid? true, :availability {{:valid? true, :ok-fraction 1.0}}, \
             :net {{:servers {{:msgs-per-op {}}}, :valid? true}}, \
             :workload {{:valid? true, :stable-latencies {{0 0, 0.5 {p50}, 0.95 {p99}, 0.99 {p99}, 1 {max}}}}}}}",
            f.mpo
        ),
    )
    .unwrap();
    for (i, line) in f.node_lines.iter().enumerate() {
        std::fs::write(
            dir.join(format!("node-logs/n{i}.log")),
            format!("{line}\nINFO ready\n"),
        )
        .unwrap();
    }
}

fn silent(store: &Path, folder: &str, p50: f64) {
    write_run(
        store,
        &Fake {
            folder,
            cmd: Some(CMD_3D),
            p50,
            mpo: 20.0,
            node_lines: &["2026/01/01 Received {c0 n0 init}"],
        },
    );
}

async fn post(
    app: &glomers_dashboard::App,
    uri: &str,
    ctype: &str,
    body: String,
) -> (StatusCode, String) {
    let res = app
        .router()
        .oneshot(
            Request::post(uri)
                .header("content-type", ctype)
                .body(Body::from(body))
                .unwrap(),
        )
        .await
        .unwrap();
    let status = res.status();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    (
        status,
        location.unwrap_or_else(|| String::from_utf8_lossy(&bytes).into_owned()),
    )
}

fn run_of<'a>(list: &'a serde_json::Value, folder: &str) -> &'a serde_json::Value {
    list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["dir_name"] == folder)
        .unwrap_or_else(|| panic!("{folder} not listed"))
}

#[tokio::test]
async fn labels_from_api_and_form_survive_restarts_and_group_the_trend() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let db = tmp.path().join("db.sqlite");
    silent(&store, "20260101T120000.000Z", 400.0);
    silent(&store, "20260101T121000.000Z", 430.0);
    silent(&store, "20260101T122000.000Z", 415.0);
    silent(&store, "20260101T123000.000Z", 900.0);
    let a = app(&store, &db);

    // Other people's nodes say nothing: version unknown, nothing judged.
    let list = get_json(&a, "/api/runs").await;
    for r in list["runs"].as_array().unwrap() {
        assert_eq!(r["version"], "unknown");
        assert_eq!(r["test_name"], "3d");
        assert_eq!(r["regression"]["status"], "not_judged");
    }
    let page = get(&a, "/run/broadcast/20260101T123000.000Z").await;
    assert!(
        page.body.contains("id=\"label-form\""),
        "the run page has the label form"
    );
    assert!(page.body.contains("no node log names a version"));

    // Two runs labelled through the API, two through the page's form.
    for folder in ["20260101T120000.000Z", "20260101T121000.000Z"] {
        let (s, body) = post(
            &a,
            &format!("/api/runs/broadcast/{folder}/label"),
            "application/json",
            r#"{"label": "before-batching"}"#.into(),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains("before-batching"));
    }
    for folder in ["20260101T122000.000Z", "20260101T123000.000Z"] {
        let (s, location) = post(
            &a,
            &format!("/run/broadcast/{}/label", enc(folder)),
            "application/x-www-form-urlencoded",
            "label=after+batching".into(),
        )
        .await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert!(
            location.starts_with(&format!("/run/broadcast/{}", enc(folder))),
            "{location}"
        );
    }

    let check = |list: serde_json::Value| {
        assert_eq!(
            run_of(&list, "20260101T120000.000Z")["version"],
            "before-batching"
        );
        assert_eq!(
            run_of(&list, "20260101T122000.000Z")["version"],
            "after batching"
        );
        assert_eq!(
            run_of(&list, "20260101T122000.000Z")["regression"]["status"],
            "ok"
        );
        let slow = run_of(&list, "20260101T123000.000Z");
        assert_eq!(slow["regression"]["status"], "regressed", "{slow}");
        assert_eq!(slow["regression"]["previous_version"], "before-batching");
        // The baseline: the previous version's run nearest its median (400 and 430: a tie, the
        // latest wins).
        assert_eq!(
            slow["regression"]["baseline"],
            "broadcast/20260101T121000.000Z"
        );
    };
    check(get_json(&a, "/api/runs").await);

    // The trend groups by label and shows the badge linked to compare.
    let key = run_of(&get_json(&a, "/api/runs").await, "20260101T120000.000Z")["test_key"]
        .as_str()
        .unwrap()
        .to_string();
    let trend = get(&a, &format!("/trend?test={}", enc(&key))).await;
    assert_eq!(trend.status, StatusCode::OK);
    assert!(trend.body.contains("data-version=\"before-batching\""));
    assert!(trend.body.contains("data-version=\"after batching\""));
    let badge = format!(
        "<span class=\"regressed\" title=\"worse than the band of before-batching\">regressed on stable latency p50, stable latency p99, stable latency max <a class=\"compare-baseline\" href=\"/compare?a={}&amp;b={}\">",
        enc("broadcast/20260101T121000.000Z"),
        enc("broadcast/20260101T123000.000Z")
    );
    assert!(trend.body.contains(&badge), "{}", trend.body);
    for chart in [
        "stable-p50",
        "stable-p99",
        "stable-max",
        "mpo-servers",
        "availability",
    ] {
        let svg = get(&a, &format!("/trend/chart/{chart}.svg?test={}", enc(&key))).await;
        assert_eq!(svg.status, StatusCode::OK);
        assert!(
            svg.body.contains("before-batching") && svg.body.contains("after batching"),
            "{chart}"
        );
    }
    let runs = get(&a, &format!("/?test={}", enc(&key))).await;
    assert!(runs.body.contains("class=\"regressed\""));
    assert!(runs.body.contains("4 runs"));

    // A restart, a re-read of a changed run and a rebuild of the run rows keep the labels.
    drop(a);
    let a = app(&store, &db);
    check(get_json(&a, "/api/runs").await);
    std::fs::write(
        store.join("broadcast/20260101T120000.000Z/jepsen.log"),
        format!("x jepsen.core: Command line:\n{CMD_3D}\n\n"),
    )
    .unwrap();
    assert_eq!(a.rescan().ingested, 1);
    drop(a);
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("DELETE FROM runs;").unwrap();
    }
    let a = app(&store, &db);
    check(get_json(&a, "/api/runs").await);

    // A blank label removes it; bad labels and unknown runs are refused.
    let (s, _) = post(
        &a,
        "/run/broadcast/20260101T123000.000Z/label",
        "application/x-www-form-urlencoded",
        "label=".into(),
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let list = get_json(&a, "/api/runs").await;
    assert_eq!(run_of(&list, "20260101T123000.000Z")["version"], "unknown");
    let long = format!(r#"{{"label": "{}"}}"#, "x".repeat(101));
    let bad = [
        (
            "/api/runs/broadcast/20260101T120000.000Z/label",
            "application/json",
            long,
        ),
        (
            "/api/runs/broadcast/20260101T120000.000Z/label",
            "application/json",
            "{".into(),
        ),
        (
            "/api/runs/broadcast/nope/label",
            "application/json",
            r#"{"label": "x"}"#.into(),
        ),
        (
            "/run/broadcast/nope/label",
            "application/x-www-form-urlencoded",
            "label=x".into(),
        ),
    ];
    for (uri, ctype, body) in bad {
        let (s, _) = post(&a, uri, ctype, body).await;
        assert!(
            s == StatusCode::BAD_REQUEST || s == StatusCode::NOT_FOUND,
            "{uri}: {s}"
        );
    }
}

#[tokio::test]
async fn versions_from_node_logs_are_judged_version_against_version() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let v1 = "glomers-node broadcast version 0.1.0+3f2a9c1d7e4b";
    let v2 = "glomers-node broadcast version 0.1.0+3f2a9c1d7e4b.dirty.1a2b3c4d";
    let runs = [
        ("20260101T120000.000Z", 400.0, 20.0, v1),
        ("20260101T121000.000Z", 440.0, 21.5, v1),
        ("20260101T122000.000Z", 410.0, 20.4, v1),
        ("20260101T123000.000Z", 430.0, 20.9, v2),
        ("20260101T124000.000Z", 420.0, 35.0, v2),
    ];
    for (folder, p50, mpo, line) in runs {
        write_run(
            &store,
            &Fake {
                folder,
                cmd: Some(CMD_3D),
                p50,
                mpo,
                node_lines: &[line, line, line],
            },
        );
    }
    let a = app(&store, &tmp.path().join("db.sqlite"));
    let list = get_json(&a, "/api/runs").await;
    assert_eq!(
        run_of(&list, "20260101T120000.000Z")["version"],
        "0.1.0+3f2a9c1d7e4b"
    );
    assert_eq!(
        run_of(&list, "20260101T120000.000Z")["regression"]["status"],
        "not_judged"
    );
    assert_eq!(
        run_of(&list, "20260101T123000.000Z")["regression"]["status"],
        "ok"
    );
    let more = run_of(&list, "20260101T124000.000Z");
    assert_eq!(more["regression"]["status"], "regressed");
    assert_eq!(
        more["regression"]["regressed_on"],
        serde_json::json!(["mpo-servers"])
    );

    let one = get_json(&a, "/api/runs/broadcast/20260101T124000.000Z").await;
    assert_eq!(one["test"]["name"], "3d");
    assert_eq!(one["test"]["bin"], "broadcast");
    assert_eq!(one["regression"]["status"], "regressed");
    assert_eq!(one["node_versions"]["nodes"].as_array().unwrap().len(), 3);

    let page = get(&a, "/").await;
    assert!(page.body.contains("<td class=\"test\">"));
    assert!(page.body.contains("<td class=\"version-cell\">"));
    assert!(page.body.contains("0.1.0+3f2a9c1d7e4b.dirty.1a2b3c4d"));
    let run = get(&a, "/run/broadcast/20260101T124000.000Z").await;
    assert!(run.body.contains("class=\"regressed\""));
    assert!(run.body.contains("(fly.io challenge 3d)"));
    let key = more["test_key"].as_str().unwrap();
    let trend = get(&a, &format!("/trend?test={}", enc(key))).await;
    for v in ["0.1.0+3f2a9c1d7e4b", "0.1.0+3f2a9c1d7e4b.dirty.1a2b3c4d"] {
        assert!(trend
            .body
            .contains(&format!("<span class=\"version-name mono\">{v}</span>")));
    }
    let picker = get(&a, "/trend").await;
    assert!(picker.body.contains(&format!("data-test=\"{key}\"")));
}

#[tokio::test]
async fn bad_input_says_what_is_unknown() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    let v1 = "glomers-node broadcast version 0.1.0+3f2a9c1d7e4b";
    let v2 = "glomers-node broadcast version 0.1.0+aaaaaaaaaaaa";
    let odd = format!("{CMD_3D} --frobnicate 3 --rate fast");
    let cases: [(&str, Option<&str>, &[&str]); 4] = [
        ("20260101T120000.000Z", None, &[v1]),
        ("20260101T121000.000Z", Some(&odd), &[v1]),
        (
            "20260101T122000.000Z",
            Some(CMD_3D),
            &["glomers-node broadcast version 0.1.0+zz"],
        ),
        ("20260101T123000.000Z", Some(CMD_3D), &[v1, v1, v2]),
    ];
    for (folder, cmd, node_lines) in cases {
        write_run(
            &store,
            &Fake {
                folder,
                cmd,
                p50: 400.0,
                mpo: 20.0,
                node_lines,
            },
        );
    }
    let a = app(&store, &tmp.path().join("db.sqlite"));
    let expect = [
        ("20260101T120000.000Z", "no command line in jepsen.log"),
        ("20260101T121000.000Z", "unknown flag --frobnicate"),
        ("20260101T122000.000Z", "garbled version line"),
        ("20260101T123000.000Z", "the node logs name 2 versions"),
    ];
    for (folder, says) in expect {
        let p = get(&a, &format!("/run/broadcast/{folder}")).await;
        assert_eq!(p.status, StatusCode::OK, "{folder}");
        assert!(p.body.contains(says), "{folder} should say {says:?}");
    }
    let unknown_rate = get(&a, "/run/broadcast/20260101T121000.000Z").await;
    assert!(unknown_rate
        .body
        .contains("--rate &quot;fast&quot; is not a value Maelstrom accepts"));
    let list = get_json(&a, "/api/runs").await;
    assert_eq!(
        run_of(&list, "20260101T120000.000Z")["version"],
        "0.1.0+3f2a9c1d7e4b"
    );
    assert!(run_of(&list, "20260101T120000.000Z")["test_key"].is_null());
    assert_eq!(run_of(&list, "20260101T122000.000Z")["version"], "unknown");
    assert_eq!(run_of(&list, "20260101T123000.000Z")["version"], "unknown");
    for uri in ["/", "/trend", "/trend?workload=broadcast"] {
        let r = get(&a, uri).await;
        assert_eq!(r.status, StatusCode::OK, "{uri}");
    }
    let page = get(&a, "/trend").await;
    assert!(page.body.contains("1 run(s) have no command line"));
    for r in list["runs"].as_array().unwrap() {
        if let Some(k) = r["test_key"].as_str() {
            let t = get(&a, &format!("/trend?test={}", enc(k))).await;
            assert_eq!(t.status, StatusCode::OK, "{k}");
        }
    }
    for uri in [
        "/trend?test=nope",
        "/trend/chart/stable-p50.svg?test=nope",
        "/trend/chart/x.svg",
    ] {
        let r = get(&a, uri).await;
        assert!(
            r.status == StatusCode::NOT_FOUND || r.status == StatusCode::BAD_REQUEST,
            "{uri}"
        );
    }
}
