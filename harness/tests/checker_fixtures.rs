//! Cross-check against real Maelstrom runs: for every fixture run with both history.edn and
//! results.edn (broadcast, echo, g-counter, pn-counter, unique-ids), the checkers' :workload,
//! :stats, :availability and :exceptions must equal the run's results.edn exactly (key order
//! included), and :net must too when fed the run's own message counts.
//!
//! Set GLOMERS_CHECKER_PLOT_DIR to also write each run's plots and timeline there.

use std::path::{Path, PathBuf};

use glomers_harness::checker::{
    availability, exceptions, net, stats, workload, AvailabilityGoal, ClassCounts, NetCounts,
    RunFacts,
};
use glomers_model::{parse, parse_history, Value};

const STORE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/maelstrom-store"
);

/// Run folders of a workload that have both history.edn and results.edn.
fn runs(workload: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(Path::new(STORE).join(workload))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|d| d.join("history.edn").is_file() && d.join("results.edn").is_file());
    v.sort();
    v
}

/// `--availability` from the command line recorded in jepsen.log.
fn availability_goal(dir: &Path) -> Option<AvailabilityGoal> {
    let log = std::fs::read_to_string(dir.join("jepsen.log")).ok()?;
    let line = log
        .lines()
        .skip_while(|l| !l.contains("Command line:"))
        .nth(1)?
        .to_string();
    let words: Vec<&str> = line.split_whitespace().collect();
    let i = words.iter().position(|w| *w == "--availability")?;
    match words.get(i + 1)? {
        &"total" => Some(AvailabilityGoal::Total),
        x => x.parse().ok().map(AvailabilityGoal::Fraction),
    }
}

fn class_counts(v: &Value) -> ClassCounts {
    let n = |k: &str| v.get(k).and_then(Value::as_i64).unwrap_or(0) as u64;
    ClassCounts {
        send_count: n("send-count"),
        recv_count: n("recv-count"),
        msg_count: n("msg-count"),
    }
}

/// Checks one run; returns the names of the result keys that differ, with both values.
fn check_run(workload_name: &str, dir: &Path) -> Vec<String> {
    let history = parse_history(&std::fs::read_to_string(dir.join("history.edn")).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let expected = parse(&std::fs::read_to_string(dir.join("results.edn")).unwrap())
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let exp_net = expected.get("net").unwrap();
    let facts = RunFacts {
        workload: workload_name.to_string(),
        nodes: Vec::new(),
        availability: availability_goal(dir),
        consistency_models: Vec::new(),
        net: NetCounts {
            all: class_counts(exp_net.get("all").unwrap()),
            clients: class_counts(exp_net.get("clients").unwrap()),
            servers: class_counts(exp_net.get("servers").unwrap()),
        },
        dir: std::env::var_os("GLOMERS_CHECKER_PLOT_DIR")
            .map(|d| PathBuf::from(d).join(dir.file_name().unwrap())),
    };
    if facts.dir.is_some() {
        let all = glomers_harness::checker::check_all(&history, &facts);
        eprintln!("{}: {}", dir.display(), all.get("valid?").unwrap());
    }
    let got = [
        ("workload", workload::check(&history, &facts)),
        ("stats", stats::check(&history, &facts)),
        ("availability", availability::check(&history, &facts)),
        ("exceptions", exceptions::check(&history, &facts)),
        ("net", net::check(&history, &facts)),
    ];
    let mut diffs = Vec::new();
    for (key, value) in got {
        let want = expected.get(key).unwrap();
        if &value != want {
            diffs.push(format!(
                "{} {key}:\n  got  {value}\n  want {want}",
                dir.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    diffs
}

fn check_workload(workload_name: &str, min_runs: usize) {
    let dirs = runs(workload_name);
    assert!(
        dirs.len() >= min_runs,
        "expected at least {min_runs} {workload_name} fixture runs, found {}",
        dirs.len()
    );
    let diffs: Vec<String> = dirs
        .iter()
        .flat_map(|d| check_run(workload_name, d))
        .collect();
    assert!(diffs.is_empty(), "{}", diffs.join("\n"));
    for d in &dirs {
        eprintln!("matched {}", d.file_name().unwrap().to_string_lossy());
    }
}

#[test]
fn broadcast_fixtures_match() {
    check_workload("broadcast", 4);
}

#[test]
fn echo_fixtures_match() {
    check_workload("echo", 2);
}

#[test]
fn g_counter_fixtures_match() {
    check_workload("g-counter", 2);
}

#[test]
fn pn_counter_fixtures_match() {
    check_workload("pn-counter", 1);
}

#[test]
fn unique_ids_fixtures_match() {
    check_workload("unique-ids", 1);
}
