//! End-to-end runs of the `harness` binary against real processes: the workspace's node
//! binaries (echo, unique-ids) and the toy Python nodes in `tests/nodes/toy.py`. Time limits
//! are 1–3 s; final phases use `--recovery-time` to stay short.

use std::process::Command;
use std::time::Duration;

use glomers_model::Value;

mod e2e_support;
use e2e_support::{harness, log, node_bin, results, run, toy, Outcome};

/// The run's history, checked against its history.txt.
fn history(o: &Outcome) -> Vec<glomers_model::Op> {
    let ops = e2e_support::history(o);
    let txt = std::fs::read_to_string(o.dir.join("history.txt")).expect("history.txt");
    // Errors are printed unquoted (Clojure `print`), so a multi-line error spans lines.
    assert!(txt.lines().count() >= ops.len());
    ops
}

fn assert_log_phases(log: &str) {
    let mut at = 0;
    for marker in [
        "Command line:",
        "Relative time begins now",
        "Run complete, writing",
        "Analyzing...",
        "Analysis complete",
    ] {
        let found = log[at..]
            .find(marker)
            .unwrap_or_else(|| panic!("jepsen.log lacks {marker:?} (in order)"));
        at += found;
    }
}

#[test]
fn echo_real_binary_is_valid() {
    let bin = node_bin("echo");
    let o = run(
        "echo",
        &[
            "-w",
            "echo",
            "--bin",
            bin.to_str().unwrap(),
            "--node-count",
            "1",
            "--time-limit",
            "2",
            "--rate",
            "20",
            "--seed",
            "1",
            "--log-net-send",
            "--log-net-recv",
        ],
    );
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    let r = results(&o, "echo");
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    let ops = history(&o);
    assert!(ops.len() >= 20, "about 40 ops expected, got {}", ops.len());
    let ok = ops
        .iter()
        .find(|op| op.typ == glomers_model::OpType::Ok)
        .unwrap();
    assert_eq!(ok.value.get("type"), Some(&Value::Str("echo_ok".into())));
    let l = log(&o);
    assert_log_phases(&l);
    assert!(l.contains("jepsen worker 0] jepsen.util: 0\t:invoke\t:echo\t\"Please echo "));
    assert!(l.trim_end().ends_with("Everything looks good! ヽ(‘ー`)ノ"));
    assert!(
        l.contains("maelstrom.net: :send #maelstrom.net.message.Message{:id 0, :src \"c"),
        "--log-net-send"
    );
    assert!(
        l.contains("maelstrom.net: :recv #maelstrom.net.message.Message{:id 0, :src \"c"),
        "--log-net-recv"
    );
    assert!(l.contains(":body {:msg_id 1, :node_id \"n0\""));
    assert!(o.stdout.contains("Everything looks good!"));
    assert!(o.dir.join("node-logs/n0.log").exists());
    let store = o.dir.parent().unwrap().parent().unwrap();
    for link in ["latest", "current", "echo/latest"] {
        assert!(
            store
                .join(link)
                .symlink_metadata()
                .unwrap()
                .file_type()
                .is_symlink(),
            "{link}"
        );
    }
    assert!(o.wall < Duration::from_secs(6), "wall {:?}", o.wall);
}

#[test]
fn unique_ids_real_binary_with_partitions() {
    let bin = node_bin("unique-ids");
    let o = run(
        "uid",
        &[
            "-w",
            "unique-ids",
            "--bin",
            bin.to_str().unwrap(),
            "--node-count",
            "3",
            "--time-limit",
            "2",
            "--rate",
            "300",
            "--availability",
            "total",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "0.5",
        ],
    );
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    let r = results(&o, "unique-ids");
    assert_eq!(
        r.get_in(&["workload", "duplicated-count"]),
        Some(&Value::Int(0))
    );
    let ops = history(&o);
    let nemesis: Vec<_> = ops
        .iter()
        .filter(|op| op.process == glomers_model::Process::Nemesis)
        .collect();
    assert!(nemesis.len() >= 2, "the first partition starts at t≈0");
    assert_eq!(nemesis[0].f, "start-partition");
    assert!(nemesis
        .iter()
        .all(|op| op.typ == glomers_model::OpType::Info));
    assert!(matches!(&nemesis[1].value, Value::Vector(v) if v[0] == Value::kw("isolated")));
    assert!(ops.len() > 500, "rate 300 for 2 s: {} ops", ops.len());
}

#[test]
fn broadcast_toy_flood_with_latency_and_final_reads() {
    let bin = toy();
    let o = run(
        "bcast",
        &[
            "-w",
            "broadcast",
            "--bin",
            bin.to_str().unwrap(),
            "broadcast",
            "--node-count",
            "4",
            "--time-limit",
            "2",
            "--rate",
            "30",
            "--latency",
            "20",
            "--topology",
            "line",
            "--recovery-time",
            "0.5",
            "--seed",
            "3",
            "--log-stderr",
        ],
    );
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    let r = results(&o, "broadcast");
    assert_eq!(r.get_in(&["workload", "lost-count"]), Some(&Value::Int(0)));
    assert!(
        r.get_in(&["net", "servers", "msgs-per-op"])
            .and_then(Value::as_f64)
            .unwrap()
            > 0.0
    );
    let ops = history(&o);
    let finals: Vec<_> = ops.iter().filter(|op| op.is_final()).collect();
    assert_eq!(
        finals.len(),
        8,
        "one final read invoke + completion per thread"
    );
    assert!(finals.iter().all(|op| op.f == "read"));
    let l = log(&o);
    assert!(l.contains("Waiting for recovery..."));
    let args = std::fs::read_to_string(o.dir.join("node-logs/n0.log")).unwrap();
    assert!(
        args.contains("argv: [\"broadcast\"]"),
        "stray words are node arguments: {args}"
    );
    assert!(
        l.contains("[n0 stderr] maelstrom.process: argv: [\"broadcast\"]"),
        "--log-stderr"
    );
    assert!(
        o.stderr.contains("[n0 stderr] argv:"),
        "--log-stderr echoes to the console"
    );
    // Wall: 2 s + 0.5 s recovery + setup/teardown slack.
    assert!(o.wall < Duration::from_secs(7), "wall {:?}", o.wall);
}

#[test]
fn g_counter_toy_on_seq_kv() {
    let bin = toy();
    let o = run(
        "gc",
        &[
            "-w",
            "g-counter",
            "--bin",
            bin.to_str().unwrap(),
            "counter",
            "--node-count",
            "3",
            "--time-limit",
            "2",
            "--rate",
            "30",
            "--recovery-time",
            "0.2",
            "--nemesis",
            "partition",
        ],
    );
    assert!(
        o.code == 0 || o.code == 1,
        "stdout: {}\nstderr: {}",
        o.stdout,
        o.stderr
    );
    let r = results(&o, "g-counter");
    let reads = r
        .get_in(&["workload", "final-reads"])
        .and_then(Value::as_seq)
        .expect("final reads");
    assert_eq!(reads.len(), 3);
    assert!(
        r.get_in(&["net", "servers", "send-count"])
            .and_then(Value::as_i64)
            .unwrap()
            > 0,
        "seq-kv traffic is server traffic"
    );
    assert!(history(&o)
        .iter()
        .any(|op| op.process == glomers_model::Process::Nemesis && op.f == "stop-partition"));
}

#[test]
fn pn_counter_and_g_set_toys_run() {
    let bin = toy();
    let b = bin.to_str().unwrap();
    let o = run(
        "pn",
        &[
            "-w",
            "pn-counter",
            "--bin",
            b,
            "counter",
            "--node-count",
            "1",
            "--time-limit",
            "1",
            "--rate",
            "20",
            "--recovery-time",
            "0",
        ],
    );
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    results(&o, "pn-counter");
    assert!(history(&o).iter().any(|op| op.f == "read" && op.is_final()));
    let o = run(
        "gset",
        &[
            "-w",
            "g-set",
            "--bin",
            b,
            "g-set",
            "--node-count",
            "1",
            "--time-limit",
            "1",
            "--rate",
            "20",
            "--recovery-time",
            "0",
            "--telemetry",
        ],
    );
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    results(&o, "g-set");
    let ops = history(&o);
    let last_read = ops
        .iter()
        .rev()
        .find(|op| op.f == "read" && op.typ == glomers_model::OpType::Ok)
        .unwrap();
    assert!(
        !last_read.is_final(),
        "g-set final reads carry no :final? flag"
    );
    let node_log = std::fs::read_to_string(o.dir.join("node-logs/n0.log")).unwrap();
    let tdir = o.dir.join("telemetry");
    assert!(tdir.is_dir());
    assert!(
        node_log.contains(&format!("telemetry: file {}", tdir.display())),
        "{node_log}"
    );
}

#[test]
fn node_exit_aborts_the_run() {
    let bin = toy();
    let o = run(
        "exit",
        &[
            "-w",
            "echo",
            "--bin",
            bin.to_str().unwrap(),
            "exit",
            "--node-count",
            "1",
            "--time-limit",
            "1",
            "--rate",
            "10",
        ],
    );
    assert_eq!(o.code, 2, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    assert!(!o.dir.join("results.edn").exists());
    assert!(
        o.dir.join("history.edn").exists(),
        "history files are written before teardown"
    );
    let l = log(&o);
    assert!(l.contains("Test crashed!"));
    assert!(l.contains("Node n0 crashed with exit status 3"));
    assert!(!l.contains("Analyzing..."));
}

#[test]
fn init_must_be_answered_with_init_ok() {
    let bin = toy();
    let o = run(
        "noinit",
        &[
            "-w",
            "echo",
            "--bin",
            bin.to_str().unwrap(),
            "not-init",
            "--node-count",
            "1",
            "--time-limit",
            "1",
        ],
    );
    assert_eq!(o.code, 2);
    assert!(log(&o).contains("init_ok"));
    assert!(!o.dir.join("results.edn").exists());
}

#[test]
fn bad_stdout_mutes_the_node_and_malformed_replies_crash_processes() {
    let bin = toy();
    let b = bin.to_str().unwrap();
    let o = run(
        "mute",
        &[
            "-w",
            "echo",
            "--bin",
            b,
            "debug",
            "--node-count",
            "1",
            "--time-limit",
            "1",
            "--rate",
            "10",
        ],
    );
    assert_eq!(o.code, 1, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    let l = log(&o);
    assert!(
        l.contains("WARN\t[n0 stdout] maelstrom.process: Error!"),
        "{l}"
    );
    let ops = history(&o);
    assert!(ops.iter().any(|op| op.typ == glomers_model::OpType::Info
        && op.extra("error") == Some(&Value::kw("net-timeout"))));

    let o = run(
        "malformed",
        &[
            "-w",
            "echo",
            "--bin",
            b,
            "malformed",
            "--node-count",
            "1",
            "--time-limit",
            "1",
            "--rate",
            "10",
        ],
    );
    assert_eq!(o.code, 1);
    let ops = history(&o);
    let info: Vec<_> = ops
        .iter()
        .filter(|op| op.typ == glomers_model::OpType::Info)
        .collect();
    assert!(!info.is_empty());
    for op in &info {
        assert!(op.extra("exception").is_some());
        let err = op.extra("error").and_then(Value::as_str).unwrap();
        assert!(
            err.starts_with("indeterminate: Malformed RPC response"),
            "{err}"
        );
    }
    // A new process (and client) after each :info.
    let procs: std::collections::HashSet<_> = info.iter().map(|op| op.process).collect();
    assert_eq!(procs.len(), info.len());
}

#[test]
fn missing_bin_and_unknown_flags_exit_254() {
    let out = Command::new(harness())
        .args(["test", "-w", "echo"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(254));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Expected a --bin PATH_TO_BINARY to test")
    );
    let out = Command::new(harness())
        .args(["test", "--bin", "x", "--nemesis", "kill"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(254));
    let out = Command::new(harness())
        .args(["test", "--bin", "x", "--bogus"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(254));
}
