//! check_all composition, perf plots and the timeline (MAELSTROM.md §8.1).

mod checker_support;

use std::path::PathBuf;

use checker_support::*;
use glomers_harness::checker::{check_all, perf, timeline};
use glomers_model::Value;

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("glomers-checker-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

/// A small broadcast run with a partition and every outcome.
fn broadcast_run() -> H {
    let mut h = H::new();
    h.nemesis(0, "start-partition", kw("majority"));
    h.nemesis(
        MS,
        "start-partition",
        Value::Vector(vec![kw("isolated"), Value::Map(vec![])]),
    );
    h.call(2 * MS, 3 * MS, 0, "broadcast", Value::Int(0));
    h.read(4 * MS, 5 * MS, 1, &[0]);
    h.invoke(6 * MS, 0, "broadcast", Value::Int(1));
    h.info(5_006 * MS, 0, "broadcast", Value::Int(1));
    h.with("error", kw("net-timeout"));
    h.invoke(5_100 * MS, 1, "read", Value::Nil);
    h.fail(10_100 * MS, 1, "read", Value::Nil);
    h.nemesis(12_000 * MS, "stop-partition", Value::Nil);
    h.nemesis(12_001 * MS, "stop-partition", kw("network-healed"));
    h.call(13_000 * MS, 13_002 * MS, 2, "broadcast", Value::Int(2));
    h.read(31_000 * MS, 31_003 * MS, 1, &[0, 1, 2]);
    h
}

#[test]
fn keys_in_maelstrom_order_and_valid_merge() {
    let h = broadcast_run();
    let r = check_all(&h.ops, &facts("broadcast"));
    assert_eq!(
        keys(&r),
        [
            "perf",
            "timeline",
            "exceptions",
            "stats",
            "availability",
            "net",
            "workload",
            "valid?"
        ]
    );
    assert_eq!(r.get_in(&["workload", "valid?"]), Some(&Value::Bool(true)));
    assert_eq!(r.get_in(&["stats", "valid?"]), Some(&Value::Bool(true)));
    assert_eq!(
        r.get("perf"),
        Some(&glomers_model::edn_map! {
            "latency-graph" => glomers_model::edn_map! { "valid?" => Value::Bool(true) },
            "rate-graph" => glomers_model::edn_map! { "valid?" => Value::Bool(true) },
            "valid?" => Value::Bool(true),
        })
    );
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
}

#[test]
fn unknown_workload_is_unknown_and_false_beats_unknown() {
    let mut h = H::new();
    h.call(0, MS, 0, "send", Value::Nil);
    let r = check_all(&h.ops, &facts("no-such-workload"));
    assert_eq!(
        r.get("workload"),
        Some(&glomers_model::edn_map! {
            "valid?" => kw("unknown"),
            "error" => s("no checker for workload no-such-workload yet"),
        })
    );
    assert_eq!(r.get("valid?"), Some(&kw("unknown")));

    // A zero-ok f makes :stats false, which beats the workload's :unknown.
    h.invoke(2 * MS, 1, "poll", Value::Nil);
    h.fail(3 * MS, 1, "poll", Value::Nil);
    let r = check_all(&h.ops, &facts("no-such-workload"));
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
}

#[test]
fn perf_writes_three_svgs_with_partition_shading() {
    let dir = temp_dir("perf");
    let h = broadcast_run();
    let mut f = facts("broadcast");
    f.dir = Some(dir.clone());
    let r = perf::check(&h.ops, &f);
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)), "{r:?}");
    for name in ["latency-raw.svg", "latency-quantiles.svg", "rate.svg"] {
        let svg = std::fs::read_to_string(dir.join(name)).unwrap();
        assert!(svg.starts_with("<svg"), "{name}");
        assert!(svg.contains("Time (s)"), "{name}");
        // The partition is shaded in #CCCCCC.
        assert!(
            svg.to_uppercase().contains("#CCCCCC"),
            "{name} has no shading"
        );
    }
    let raw = std::fs::read_to_string(dir.join("latency-raw.svg")).unwrap();
    for label in ["broadcast ok", "broadcast info", "read ok", "read fail"] {
        assert!(raw.contains(label), "missing legend {label}");
    }
    let rate = std::fs::read_to_string(dir.join("rate.svg")).unwrap();
    assert!(rate.contains("Throughput"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn perf_without_points_and_without_dir() {
    let r = perf::check(&[], &facts("echo"));
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    let dir = temp_dir("perf-empty");
    let mut f = facts("echo");
    f.dir = Some(dir.clone());
    let r = perf::check(&[], &f);
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)), "{r:?}");
    assert!(dir.join("rate.svg").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn perf_error_makes_the_graph_unknown() {
    // The run folder is a file: nothing can be written there.
    let file = temp_dir("perf-file");
    std::fs::write(&file, "not a dir").unwrap();
    let mut f = facts("echo");
    f.dir = Some(file.clone());
    let r = perf::check(&broadcast_run().ops, &f);
    assert_eq!(r.get_in(&["latency-graph", "valid?"]), Some(&kw("unknown")));
    assert!(r.get_in(&["latency-graph", "error"]).is_some());
    assert_eq!(r.get("valid?"), Some(&kw("unknown")));
    let _ = std::fs::remove_file(&file);
}

#[test]
fn partition_periods_and_buckets() {
    let h = broadcast_run();
    let p = perf::partition_periods(&h.ops);
    assert_eq!(p, vec![(0.0, 12.001)]);
    let mut open = H::new();
    open.nemesis(2_000 * MS, "start-partition", kw("one"));
    open.call(3_000 * MS, 4_000 * MS, 0, "read", Value::Nil);
    assert_eq!(perf::partition_periods(&open.ops), vec![(2.0, 4.0)]);
    // Two partitions; the final heal (a stop with nothing open) adds nothing.
    let mut two = H::new();
    two.nemesis(0, "start-partition", kw("one"));
    two.nemesis(MS, "start-partition", Value::Nil);
    two.nemesis(2_000 * MS, "stop-partition", Value::Nil);
    two.nemesis(2_001 * MS, "stop-partition", kw("network-healed"));
    two.nemesis(5_000 * MS, "start-partition", kw("one"));
    two.nemesis(5_001 * MS, "start-partition", Value::Nil);
    two.nemesis(7_000 * MS, "stop-partition", Value::Nil);
    two.nemesis(7_001 * MS, "stop-partition", kw("network-healed"));
    two.nemesis(9_000 * MS, "stop-partition", Value::Nil);
    two.nemesis(9_001 * MS, "stop-partition", kw("network-healed"));
    assert_eq!(
        perf::partition_periods(&two.ops),
        vec![(0.0, 2.001), (5.0, 7.001)]
    );
    assert_eq!(perf::bucket_time(10.0, 0.0), 5.0);
    assert_eq!(perf::bucket_time(10.0, 19.9), 15.0);
    assert_eq!(perf::bucket_time(30.0, 31.0), 45.0);

    let pts = perf::latency_points(&h.ops);
    assert_eq!(pts.len(), 6);
    assert_eq!(pts[0].latency_ms, 1.0);
    assert_eq!(pts[2].latency_ms, 5000.0);
    let q = perf::quantile_series(&pts);
    // broadcast: latencies 1, 5000 in bucket 0 and 2 ms in bucket 0 (13 s) → q0.5 = index 1.
    let b = &q["broadcast"];
    assert_eq!(b[0].0, 0.5);
    assert_eq!(b[0].1, vec![(15.0, 2.0)]);
    assert_eq!(b[3].1, vec![(15.0, 5000.0)]);
    let rates = perf::rate_series(&h.ops);
    assert_eq!(
        rates[&("read".to_string(), "ok")],
        vec![(5.0, 0.1), (15.0, 0.0), (25.0, 0.0)]
    );
}

#[test]
fn timeline_is_self_contained_html() {
    let dir = temp_dir("timeline");
    let h = broadcast_run();
    let mut f = facts("broadcast");
    f.dir = Some(dir.clone());
    let r = timeline::check(&h.ops, &f);
    assert_eq!(r, glomers_model::edn_map! { "valid?" => Value::Bool(true) });
    let html = std::fs::read_to_string(dir.join("timeline.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    for class in ["op ok", "op info", "op fail"] {
        assert!(html.contains(class), "{class}");
    }
    assert!(html.contains(">nemesis<"));
    assert!(!html.contains("<script src"));
    assert!(!html.contains("http://") && !html.contains("https://"));
    // Values are escaped.
    let mut weird = H::new();
    weird.invoke(0, 0, "echo", s("<b>&"));
    weird.ok(1, 0, "echo", s("<b>&"));
    let page = timeline::render(&weird.ops, "echo");
    assert!(page.contains("&quot;&lt;b&gt;&amp;&quot;"));
    assert!(!page.contains("<b>&"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn check_all_survives_malformed_histories() {
    // Completions without invokes, odd values, unknown fs: every checker must still answer.
    let mut h = H::new();
    h.ok(0, 0, "add", s("x"));
    h.fail(1, 1, "read", Value::Int(3));
    h.invoke(2, 2, "read", Value::Nil);
    h.ok(3, 2, "read", Value::Int(3));
    h.invoke(4, 3, "generate", Value::Nil);
    h.ok(5, 3, "generate", Value::Map(vec![]));
    h.invoke(6, 3, "generate", Value::Nil);
    h.ok(7, 3, "generate", s("id"));
    h.with("final?", Value::Bool(true));
    for w in [
        "echo",
        "unique-ids",
        "broadcast",
        "g-set",
        "g-counter",
        "pn-counter",
        "lin-kv",
    ] {
        let r = check_all(&h.ops, &facts(w));
        assert_eq!(keys(&r).len(), 8, "{w}");
        let v = r.get("valid?").unwrap();
        assert!(
            matches!(v, Value::Bool(_)) || v == &kw("unknown"),
            "{w}: {v}"
        );
    }
}
