//! Cross-check of the txn checkers against real Maelstrom runs: for every txn-rw-register and
//! txn-list-append fixture run with both history.edn and results.edn, the checker's
//! `:workload` must have the same `:valid?` and `:anomaly-types` as the run's results.edn
//! (and, where the fixture prints them, the same `:not` / `:also-not` boundary, the same
//! keys in the same order, and the same cycle anomaly cases per type).
//!
//! Every anomaly case must be identical too (as printed EDN, ignoring the order of cases
//! within a type): for the invalid local__maelstrom-0.2.5 run that is every G-single-item-
//! realtime, G2-item and G2-item-realtime cycle Elle reported (same ops, same steps), every
//! internal case and every lost update.
//!
//! The consistency models come from the run's command line (jepsen.log), defaulting to
//! strict-serializable as Maelstrom's CLI does.

use std::path::{Path, PathBuf};
use std::time::Instant;

use glomers_harness::checker::workload::txn::{check_list_append, check_rw_register};
use glomers_harness::checker::{NetCounts, RunFacts};
use glomers_model::{parse, parse_history, Value};

const STORE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/maelstrom-store"
);

fn runs(workload: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(Path::new(STORE).join(workload))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|d| d.join("history.edn").is_file() && d.join("results.edn").is_file());
    v.sort();
    v
}

/// `--consistency-models` from the command line recorded in jepsen.log.
fn models(dir: &Path) -> Vec<String> {
    let Ok(log) = std::fs::read_to_string(dir.join("jepsen.log")) else {
        return Vec::new();
    };
    let Some(line) = log
        .lines()
        .skip_while(|l| !l.contains("Command line:"))
        .nth(1)
    else {
        return Vec::new();
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    match words.iter().position(|w| *w == "--consistency-models") {
        Some(i) => words
            .get(i + 1)
            .map(|m| m.split(',').map(str::to_string).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    }
}

fn facts(workload: &str, dir: &Path) -> RunFacts {
    RunFacts {
        workload: workload.to_string(),
        nodes: vec!["n0".into()],
        availability: None,
        consistency_models: models(dir),
        net: NetCounts::default(),
        dir: None,
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_map()
        .map(|m| m.iter().map(|(k, _)| k.to_string()).collect())
        .unwrap_or_default()
}

/// Checks one run; returns the differences found.
fn check_run(workload: &str, dir: &Path) -> Vec<String> {
    let history = parse_history(&std::fs::read_to_string(dir.join("history.edn")).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let expected = parse(&std::fs::read_to_string(dir.join("results.edn")).unwrap()).unwrap();
    let expected = expected.get("workload").cloned().unwrap();
    let f = facts(workload, dir);
    let started = Instant::now();
    let limit = std::time::Duration::from_secs(10);
    let got = match workload {
        "txn-rw-register" => check_rw_register(&history, &f),
        _ => check_list_append(&history, &f),
    }
    .unwrap_or_else(|e| panic!("{}: checker failed: {e}", dir.display()));
    eprintln!(
        "{}: {} ops checked in {:?}",
        dir.file_name().unwrap().to_string_lossy(),
        history.len(),
        started.elapsed()
    );
    let mut diffs = Vec::new();
    if started.elapsed() > limit {
        diffs.push(format!("{}: took {:?}", dir.display(), started.elapsed()));
    }
    for k in ["valid?", "anomaly-types", "not", "also-not"] {
        if got.get(k) != expected.get(k) {
            diffs.push(format!(
                "{}: {k}: got {:?}, expected {:?}",
                dir.display(),
                got.get(k).map(ToString::to_string),
                expected.get(k).map(ToString::to_string)
            ));
        }
    }
    if keys(&got) != keys(&expected) {
        diffs.push(format!(
            "{}: keys {:?} vs {:?}",
            dir.display(),
            keys(&got),
            keys(&expected)
        ));
    }
    // Per anomaly type: the same cases, as printed EDN, in any order.
    let printed = |r: &Value| -> Vec<(String, Vec<String>)> {
        r.get("anomalies")
            .and_then(Value::as_map)
            .unwrap_or(&[])
            .iter()
            .map(|(k, v)| {
                let mut cases: Vec<String> = match v.as_seq() {
                    Some(cs) => cs.iter().map(ToString::to_string).collect(),
                    None => vec![v.to_string()],
                };
                cases.sort();
                (k.to_string(), cases)
            })
            .collect()
    };
    for ((gk, gv), (ek, ev)) in printed(&got).iter().zip(printed(&expected).iter()) {
        if gk != ek || gv != ev {
            let only_got: Vec<&String> = gv.iter().filter(|c| !ev.contains(c)).collect();
            let only_expected: Vec<&String> = ev.iter().filter(|c| !gv.contains(c)).collect();
            diffs.push(format!(
                "{}: {gk}/{ek}: {} cases only ours {:?}, {} only Maelstrom's {:?}",
                dir.display(),
                only_got.len(),
                only_got.first(),
                only_expected.len(),
                only_expected.first()
            ));
        }
    }
    diffs
}

#[test]
fn rw_register_fixtures_agree_with_maelstrom() {
    let runs = runs("txn-rw-register");
    assert!(runs.len() >= 3, "expected the txn-rw-register fixtures");
    let diffs: Vec<String> = runs
        .iter()
        .flat_map(|d| check_run("txn-rw-register", d))
        .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}

#[test]
fn list_append_fixtures_agree_with_maelstrom() {
    let runs = runs("txn-list-append");
    assert!(!runs.is_empty(), "expected the txn-list-append fixture");
    let diffs: Vec<String> = runs
        .iter()
        .flat_map(|d| check_run("txn-list-append", d))
        .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
}
