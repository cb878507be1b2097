//! Deliberately broken nodes that the harness must flag invalid, each with the right
//! evidence: a wrong echo, duplicate unique ids, a broadcast that loses values across a
//! partition, and a g-counter that trusts stale seq-kv reads (the real `g-counter`
//! binary's test-only `naive` mode). The toy nodes of `e2e.rs` cover the crash, the
//! non-JSON stdout line and the early exit.

use std::path::PathBuf;

use glomers_model::Value;

mod e2e_support;
use e2e_support::{results, Outcome};

/// The deliberately broken Python node (python3 is required: its absence fails the test).
fn broken_node() -> PathBuf {
    e2e_support::python_node("broken.py")
}

/// A seeded harness run and its parsed results.edn.
struct Run {
    code: i32,
    results: Value,
    _outcome: Outcome,
}

fn run(tag: &str, workload: &str, args: &[&str]) -> Run {
    let args: Vec<&str> = ["-w", workload]
        .iter()
        .chain(args)
        .chain(&["--seed", "7"])
        .copied()
        .collect();
    let outcome = e2e_support::run(tag, &args);
    Run {
        code: outcome.code,
        results: results(&outcome, workload),
        _outcome: outcome,
    }
}

fn valid(r: &Run, path: &[&str]) -> Option<bool> {
    r.results.get_in(path).and_then(Value::as_bool)
}

#[test]
fn wrong_echo_is_invalid_with_errors() {
    let bin = broken_node();
    let r = run(
        "echo",
        "echo",
        &[
            "--bin",
            bin.to_str().unwrap(),
            "wrong-echo",
            "--node-count",
            "1",
            "--time-limit",
            "2",
        ],
    );
    assert_eq!(r.code, 1, "exit 1 for invalid");
    assert_eq!(valid(&r, &["workload", "valid?"]), Some(false));
    let errors = r
        .results
        .get_in(&["workload", "errors"])
        .and_then(Value::as_seq)
        .unwrap();
    assert!(!errors.is_empty(), "the wrong echoes are listed");
}

#[test]
fn duplicate_ids_are_invalid_and_counted() {
    let bin = broken_node();
    let r = run(
        "ids",
        "unique-ids",
        &[
            "--bin",
            bin.to_str().unwrap(),
            "dup-ids",
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "50",
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(valid(&r, &["workload", "valid?"]), Some(false));
    let dups = r
        .results
        .get_in(&["workload", "duplicated-count"])
        .and_then(Value::as_i64)
        .unwrap();
    assert!(dups > 10, "duplicated-count {dups}");
    assert!(r
        .results
        .get_in(&["workload", "duplicated"])
        .and_then(Value::as_map)
        .is_some_and(|m| !m.is_empty()));
}

#[test]
fn broadcast_without_retries_loses_values_across_partitions() {
    let bin = broken_node();
    let r = run(
        "bcast",
        "broadcast",
        &[
            "--bin",
            bin.to_str().unwrap(),
            "lossy-broadcast",
            "--node-count",
            "5",
            "--time-limit",
            "6",
            "--rate",
            "30",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "1",
            "--recovery-time",
            "0.5",
        ],
    );
    assert_eq!(r.code, 1);
    assert_eq!(valid(&r, &["workload", "valid?"]), Some(false));
    let lost = r
        .results
        .get_in(&["workload", "lost-count"])
        .and_then(Value::as_i64)
        .unwrap();
    assert!(lost > 0, "lost-count {lost}");
    assert!(r
        .results
        .get_in(&["workload", "lost"])
        .and_then(Value::as_seq)
        .is_some_and(|l| !l.is_empty()));
}

#[test]
fn naive_g_counter_trusting_stale_seq_kv_is_caught() {
    let bin = e2e_support::node_bin("g-counter");
    let r = run(
        "gc",
        "g-counter",
        &[
            "--bin",
            bin.to_str().unwrap(),
            "naive",
            "--node-count",
            "3",
            "--time-limit",
            "4",
            "--rate",
            "100",
            "--latency",
            "10",
            "--recovery-time",
            "1",
        ],
    );
    assert_eq!(r.code, 1, "the naive counter must be flagged");
    assert_eq!(valid(&r, &["workload", "valid?"]), Some(false));
    let errors = r
        .results
        .get_in(&["workload", "errors"])
        .and_then(Value::as_seq)
        .unwrap();
    assert!(!errors.is_empty(), "bad final reads are the evidence");
}
