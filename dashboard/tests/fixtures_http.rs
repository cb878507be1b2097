//! HTTP tests over every shared Maelstrom fixture run: listing and verdicts, figures equal to
//! results.edn, no 500 on any page, chart, file, API or metrics request, safe file serving.

mod common;

use axum::http::StatusCode;
use common::*;
use glomers_model::Value;

fn f64_of(v: &serde_json::Value) -> Option<f64> {
    v.as_f64()
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-6 * b.abs().max(1.0),
        (None, None) => true,
        _ => false,
    }
}

#[tokio::test]
async fn every_run_is_listed_with_its_verdict() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    let runs = fixture_runs(&fixtures());
    assert!(runs.len() >= 23, "fixtures found: {}", runs.len());
    let list = get_json(&app, "/api/runs").await;
    assert_eq!(list["count"].as_u64().unwrap() as usize, runs.len());
    let page = get(&app, "/").await;
    assert_eq!(page.status, StatusCode::OK);
    for r in &runs {
        let row = list["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["id"] == r.id.as_str())
            .unwrap_or_else(|| panic!("{} not listed", r.id));
        assert_eq!(row["verdict"], expected_verdict(r), "{}", r.id);
        // The HTML list has the row with the verdict (maud escapes `"` only in attributes).
        let id_attr = r.id.replace('&', "&amp;").replace('"', "&quot;");
        let needle = format!(
            "data-run-id=\"{id_attr}\" data-verdict=\"{}\"",
            expected_verdict(r)
        );
        assert!(page.body.contains(&needle), "list lacks {needle}");
    }
    // Aborted runs show as aborted and explain themselves.
    for r in runs.iter().filter(|r| r.results.is_none()) {
        let p = get(&app, &format!("/run/{}", enc_path(&r.id))).await;
        assert_eq!(p.status, StatusCode::OK);
        assert!(p.body.contains("verdict-aborted"), "{}", r.id);
        assert!(p.body.contains("no results.edn"), "{}", r.id);
    }
}

#[tokio::test]
async fn figures_equal_results_edn() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    for r in fixture_runs(&fixtures()) {
        let Some(res) = &r.results else { continue };
        let j = get_json(&app, &format!("/api/runs/{}", enc_path(&r.id))).await;
        let row = &j["run"];
        let want = |path: &[&str]| res.get_in(path).and_then(Value::as_f64);
        assert!(
            close(
                f64_of(&row["msgs_per_op_servers"]),
                want(&["net", "servers", "msgs-per-op"])
            ),
            "{} servers",
            r.id
        );
        assert!(
            close(
                f64_of(&row["msgs_per_op_all"]),
                want(&["net", "all", "msgs-per-op"])
            ),
            "{} all",
            r.id
        );
        for (col, key) in [
            ("op_count", "count"),
            ("ok_count", "ok-count"),
            ("fail_count", "fail-count"),
            ("info_count", "info-count"),
        ] {
            assert!(
                close(f64_of(&row[col]), want(&["stats", key])),
                "{} {col}",
                r.id
            );
        }
        assert!(close(
            f64_of(&row["availability"]),
            want(&["availability", "ok-fraction"])
        ));
        let stable = res.get_in(&["workload", "stable-latencies"]);
        let q = |k: f64| {
            stable.and_then(|m| {
                m.as_map()?
                    .iter()
                    .find(|(key, _)| key.as_f64() == Some(k))
                    .and_then(|(_, v)| v.as_f64())
            })
        };
        assert!(close(f64_of(&row["stable_p50_ms"]), q(0.5)), "{} p50", r.id);
        assert!(
            close(f64_of(&row["stable_p99_ms"]), q(0.99)),
            "{} p99",
            r.id
        );
        assert!(close(f64_of(&row["stable_max_ms"]), q(1.0)), "{} max", r.id);
        // The run page shows the same figures as exact data-values.
        let page = get(&app, &format!("/run/{}", enc_path(&r.id))).await;
        assert_eq!(page.status, StatusCode::OK);
        if let Some(v) = want(&["net", "servers", "msgs-per-op"]) {
            assert!(
                page.body
                    .contains(&format!("id=\"mpo-servers\" data-value=\"{v}\"")),
                "{} page servers {v}",
                r.id
            );
        }
        if let Some(v) = want(&["stats", "count"]) {
            assert!(
                page.body
                    .contains(&format!("id=\"ops\" data-value=\"{v}\"")),
                "{}",
                r.id
            );
        }
        if let Some(v) = q(0.99) {
            assert!(
                page.body
                    .contains(&format!("class=\"q q-p99\" data-value=\"{v}\"")),
                "{}",
                r.id
            );
        }
    }
}

#[tokio::test]
async fn workload_key_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    let list = get_json(&app, "/api/runs").await;
    let key = |prefix: &str| -> String {
        list["runs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"].as_str().unwrap().starts_with(prefix))
            .unwrap()["key_figure"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(
        key("broadcast/Emmanuel32__distributed-systems-practice__20230511T014817"),
        "50 lost of 103"
    );
    assert_eq!(
        key("unique-ids/yjcsivsuk__goosip-glomers__20240313"),
        "0 duplicates of 8249 acknowledged"
    );
    assert!(key("g-counter/punchanabu").contains("final reads (1103 1103 1103)"));
    assert!(key("txn-rw-register/local__").contains(":G2-item"));
    let p = get(
        &app,
        "/run/txn-rw-register/local__maelstrom-0.2.5__20261122T034357.723Z",
    )
    .await;
    assert!(
        p.body.contains("/file/elle/G2-item.txt\">Elle"),
        "Elle explanation linked"
    );
    assert_eq!(
        key("kafka/Emmanuel32__distributed-systems-practice__20230514T214655"),
        "checker crashed"
    );
    // Evidence on the run page: the 50 lost values of the invalid broadcast run.
    let p = get(
        &app,
        "/run/broadcast/Emmanuel32__distributed-systems-practice__20230511T014817.269-0400",
    )
    .await;
    assert!(p.body.contains("lost values (50)"));
    assert!(p.body.contains("--nemesis partition"));
    let p = get(
        &app,
        "/run/lin-kv/tattack99__ID2203-project__20260226T125425.503%2B0100",
    )
    .await;
    assert!(
        p.body.contains("can&apos;t read 0 from register 2")
            || p.body.contains("can't read 0 from register 2")
    );
}

#[tokio::test]
async fn no_server_error_anywhere() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    let runs = fixture_runs(&fixtures());
    let mut uris: Vec<String> = vec![
        "/".into(),
        "/?sort=p99&dir=asc".into(),
        "/?workload=broadcast&verdict=valid".into(),
        "/?verdict=aborted&sort=verdict".into(),
        "/compare".into(),
        "/trend".into(),
        "/metrics".into(),
        "/api/runs".into(),
        "/api/runs?workload=kafka&sort=ops&dir=desc".into(),
        "/api/workloads".into(),
        "/assets/style.css".into(),
        "/healthz".into(),
    ];
    let mut workloads: Vec<String> = Vec::new();
    for r in &runs {
        let base = format!("/run/{}", enc_path(&r.id));
        uris.push(base.clone());
        uris.push(format!("{base}/chart/latency.svg"));
        uris.push(format!("{base}/chart/throughput.svg"));
        uris.push(format!("/api/runs/{}", enc_path(&r.id)));
        let j = get_json(&app, &format!("/api/runs/{}", enc_path(&r.id))).await;
        if let Some(prev) = j["previous"].as_str() {
            uris.push(format!("/compare?a={}&b={}", enc(prev), enc(&r.id)));
            uris.push(format!(
                "/compare/chart/cdf.svg?a={}&b={}",
                enc(prev),
                enc(&r.id)
            ));
        }
        uris.push(format!("/compare?a={}&b={}", enc(&r.id), enc(&runs[0].id)));
        let w = r.id.split('/').next().unwrap().to_string();
        if !workloads.contains(&w) {
            workloads.push(w);
        }
        // Every raw file of the run.
        for f in glomers_dashboard::rundir::files::list_files(&r.path) {
            uris.push(format!("{base}/file/{}", enc_path(&f.path)));
        }
    }
    for w in &workloads {
        uris.push(format!("/trend?workload={}", enc(w)));
        uris.push(format!("/?workload={}", enc(w)));
    }
    // The trend of every test, and every chart its page shows.
    let list = get_json(&app, "/api/runs").await;
    let mut tests: Vec<String> = list["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["test_key"].as_str().map(str::to_string))
        .collect();
    tests.sort();
    tests.dedup();
    assert!(tests.len() >= 15, "{} tests", tests.len());
    for t in &tests {
        let page = format!("/trend?test={}", enc(t));
        let body = get(&app, &page).await.body;
        let charts: Vec<String> = body
            .split("src=\"/trend/chart/")
            .skip(1)
            .map(|rest| {
                format!(
                    "/trend/chart/{}",
                    rest.split('"').next().unwrap().replace("&amp;", "&")
                )
            })
            .collect();
        assert_eq!(charts.len(), 5, "{page}: {charts:?}");
        uris.push(page);
        uris.push(format!("/?test={}", enc(t)));
        uris.extend(charts);
    }
    assert!(uris.len() > 400, "{} uris", uris.len());
    for uri in &uris {
        let r = get(&app, uri).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{uri}: {}",
            &r.body[..r.body.len().min(300)]
        );
        if r.content_type.starts_with("text/html") && !uri.contains("/file/") {
            // Every asset comes from the binary: no external scripts, styles or images.
            for attr in [
                "src=\"http",
                "href=\"http",
                "src=\"//",
                "href=\"//",
                "<script",
            ] {
                assert!(!r.body.contains(attr), "{uri} has {attr}");
            }
        }
    }
}

#[tokio::test]
async fn odd_file_names_and_empty_plots_are_served() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    let r = get(
        &app,
        "/run/kafka/local__maelstrom-0.2.5__20261122T034330.446Z/file/realtime-lag-thread-key/%5B0%20%2212%22%5D.png",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "image/png");
    assert!(r.bytes.starts_with(b"\x89PNG"));
    let r = get(
        &app,
        "/run/txn-rw-register/Shresth72__distributed_systems_jepsen__20240919T142314.276%2B0530/file/rate.png",
    )
    .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.bytes.is_empty());
    // The run page links the file with its odd name encoded.
    let p = get(
        &app,
        "/run/kafka/local__maelstrom-0.2.5__20261122T034330.446Z",
    )
    .await;
    assert!(p
        .body
        .contains("realtime-lag-thread-key/%5B0%20%2212%22%5D.png"));
}

#[tokio::test]
async fn path_traversal_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let store = tmp.path().join("store");
    copy_tree(&fixtures(), &store);
    // A symlink inside a run that points outside it.
    let run = store.join("echo/Emmanuel32__distributed-systems-practice__20230510T011652.162-0400");
    std::fs::write(tmp.path().join("secret.txt"), "secret").unwrap();
    std::os::unix::fs::symlink(tmp.path().join("secret.txt"), run.join("escape.txt")).unwrap();
    let app = app(&store, &tmp.path().join("db.sqlite"));
    let base = "/run/echo/Emmanuel32__distributed-systems-practice__20230510T011652.162-0400";
    let bad = [
        format!("{base}/file/../../../FORMAT.md"),
        format!("{base}/file/..%2F..%2F..%2FFORMAT.md"),
        format!("{base}/file/%2E%2E/%2E%2E/PROVENANCE.tsv"),
        format!("{base}/file/escape.txt"),
        format!("{base}/file/%2Fetc%2Fpasswd"),
        format!("{base}/file//etc/passwd"),
        format!("{base}/file/node-logs"),
        format!("{base}/file/nope.txt"),
        "/run/echo/..".into(),
        "/run/..%2F..%2Fetc/passwd".into(),
        "/run/%2E%2E/%2E%2E".into(),
        "/run/echo/..%2F..%2F..%2Fetc%2Fpasswd/file/x".into(),
        "/run/echo/not-a-run".into(),
        "/run/echo/not-a-run/file/jepsen.log".into(),
        "/api/runs/..%2Fecho/x".into(),
        "/api/runs/echo/%00".into(),
        "/compare?a=../../etc/passwd&b=x".into(),
        "/compare?a=echo&b=echo/x".into(),
        "/compare/chart/cdf.svg?a=%2Fetc%2Fpasswd".into(),
        "/trend?workload=..%2F..".into(),
        "/trend/chart/latency.svg?workload=nope".into(),
        "/assets/..%2FCargo.toml".into(),
        format!("{base}/chart/../../../../etc/passwd"),
    ];
    for uri in &bad {
        let r = get(&app, uri).await;
        assert!(
            r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::NOT_FOUND,
            "{uri} answered {}",
            r.status
        );
        assert!(!r.body.contains("secret"), "{uri} leaked");
        assert!(!r.body.contains("root:x:0"), "{uri} leaked");
    }
    // A good file still works.
    let r = get(&app, &format!("{base}/file/node-logs/n0.log")).await;
    assert_eq!(r.status, StatusCode::OK);
    // An over-long URI is refused.
    let r = get(&app, &format!("/?workload={}", "a".repeat(5000))).await;
    assert_eq!(r.status, StatusCode::URI_TOO_LONG);
}

#[tokio::test]
async fn metrics_export_per_run_series() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    let m = get(&app, "/metrics").await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(m.content_type.starts_with("text/plain"));
    let b = &m.body;
    let id = "broadcast/Emmanuel32__distributed-systems-practice__20230511T014817.269-0400";
    assert!(
        b.contains(&format!(
        "glomers_run_msgs_per_op{{run=\"{id}\",scope=\"servers\",workload=\"broadcast\"}} 2.157068"
    )),
        "{b}"
    );
    assert!(b.contains(&format!(
        "glomers_run_stable_latency_seconds{{quantile=\"0.99\",run=\"{id}\",workload=\"broadcast\"}} 29.82"
    )));
    assert!(b.contains(&format!(
        "glomers_run_valid{{run=\"{id}\",workload=\"broadcast\"}} 0"
    )));
    assert!(b.contains(&format!(
        "glomers_run_ops_total{{f=\"broadcast\",run=\"{id}\",workload=\"broadcast\"}} 103"
    )));
    // Unknown and aborted runs have no validity series.
    assert!(!b.contains("glomers_run_valid{run=\"kafka/Emmanuel32__distributed-systems-practice__20230514T214655.917-0400\""));
    assert!(!b.contains("glomers_run_valid{run=\"echo/Shresth72"));
    assert!(b.contains("glomers_dashboard_runs_ingested_total 23"));
    assert!(b.contains("glomers_dashboard_ingest_duration_seconds_count 23"));
    assert!(b.contains("glomers_dashboard_ingest_errors_total 0"));
}

#[tokio::test]
async fn compare_flags_the_worse_newer_run() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    // The 25-node broadcast (newer, 03:34) against the 5-node one (older, 01:48): more
    // messages per op and slower stable latency in the newer run.
    let a = "broadcast/Emmanuel32__distributed-systems-practice__20230511T014817.269-0400";
    let b = "broadcast/Emmanuel32__distributed-systems-practice__20230511T033437.888-0400";
    let p = get(&app, &format!("/compare?a={}&b={}", enc(b), enc(a))).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p
        .body
        .contains("<tr class=\"figure worse\" data-figure=\"mpo-servers\">"));
    assert!(p.body.contains("data-figure=\"stable-p50\""));
    assert!(
        p.body
            .contains("<tr class=\"figure\" data-figure=\"verdict\">"),
        "invalid→valid is not worse"
    );
    // A `+` sent unencoded in a query string (read as a space) still finds the run.
    let plus = "txn-rw-register/Shresth72__distributed_systems_jepsen__20240919T143203.194+0530";
    let prev = "txn-rw-register/Shresth72__distributed_systems_jepsen__20240919T142314.276+0530";
    let p = get(&app, &format!("/compare?a={plus}&b={prev}")).await;
    assert_eq!(p.status, StatusCode::OK);
    // The run page links to the comparison with its previous run.
    let run = get(&app, &format!("/run/{}", enc_path(b))).await;
    assert!(run
        .body
        .contains(&format!("/compare?a={}&amp;b={}", enc(a), enc(b))));
}

#[tokio::test]
async fn message_counts_agree_with_net_stats() {
    let tmp = tempfile::tempdir().unwrap();
    let app = app(&fixtures(), &tmp.path().join("db.sqlite"));
    let mut checked = 0;
    for r in fixture_runs(&fixtures()) {
        if !r.path.join("messages.svg").exists() {
            continue;
        }
        let Some(res) = &r.results else { continue };
        let j = get_json(&app, &format!("/api/runs/{}", enc_path(&r.id))).await;
        let m = &j["summary"]["messages"];
        // Messages not involving a client (server↔server and service hops) are what
        // Maelstrom's :net :servers counts as received.
        let not_client: u64 = m["by_type"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["server_server"].as_u64().unwrap() + t["service"].as_u64().unwrap())
            .sum();
        let want = res
            .get_in(&["net", "servers", "recv-count"])
            .and_then(Value::as_i64);
        assert_eq!(Some(not_client as i64), want, "{}", r.id);
        checked += 1;
        let page = get(&app, &format!("/run/{}", enc_path(&r.id))).await;
        assert!(page.body.contains("id=\"messages-by-type\""), "{}", r.id);
    }
    assert!(checked >= 10);
}
