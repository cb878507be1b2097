//! End-to-end txn-rw-register and txn-list-append runs against the toy Python node
//! (`tests/nodes/toy.py`): history shapes as in real Maelstrom's runs, the generator's
//! statistics (txn lengths, unique writes per key, key retirement, flags), no final phase,
//! `--availability` and `--consistency-models`, and the broken toy modes the checker must flag.

mod e2e_support;

use std::collections::BTreeMap;

use e2e_support::{assert_shapes_within_fixtures, history, kinds, log, of_type, results, run, toy};
use glomers_harness::checker::workload::txn::elle_files::is_cycle_type;
use glomers_model::{Op, OpType, Process, Value};

fn txn_args<'a>(workload: &'a str, bin: &'a str, mode: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "-w",
        workload,
        "--bin",
        bin,
        mode,
        "--node-count",
        "1",
        "--concurrency",
        "2n",
        "--time-limit",
        "3",
        "--rate",
        "100",
    ];
    a.extend_from_slice(extra);
    a
}

/// `[[f k v] ...]` of an op.
fn mops(op: &Op) -> Vec<(String, i64, Value)> {
    op.value
        .as_seq()
        .unwrap()
        .iter()
        .map(|m| {
            let p = m.as_seq().unwrap();
            assert_eq!(p.len(), 3, "{}", op.value);
            (
                p[0].as_keyword().unwrap().to_string(),
                p[1].as_i64().unwrap(),
                p[2].clone(),
            )
        })
        .collect()
}

/// Per key, the written values in invocation order; checks txn lengths and micro-op kinds.
fn writes(ops: &[Op], write_f: &str, max_len: usize) -> BTreeMap<i64, Vec<i64>> {
    let mut out: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for op in of_type(ops, OpType::Invoke) {
        assert_eq!(op.f, "txn");
        let ms = mops(op);
        assert!((1..=max_len).contains(&ms.len()), "{}", op.value);
        for (f, k, v) in ms {
            if f == "r" {
                assert_eq!(v, Value::Nil);
            } else {
                assert_eq!(f, write_f);
                out.entry(k).or_default().push(v.as_i64().unwrap());
            }
        }
    }
    out
}

fn assert_unique_writes(w: &BTreeMap<i64, Vec<i64>>, max: usize) {
    for (k, vs) in w {
        let expect: Vec<i64> = (1..=vs.len() as i64).collect();
        assert_eq!(vs, &expect, "key {k}");
        assert!(vs.len() <= max);
    }
}

#[test]
fn rw_register_toy_matches_maelstrom_shapes() {
    let bin = toy();
    let bin = bin.to_str().unwrap().to_string();
    let o = run(
        "txn-rw",
        &txn_args(
            "txn-rw-register",
            &bin,
            "txn",
            &[
                "--consistency-models",
                "read-uncommitted",
                "--availability",
                "total",
                "--seed",
                "21",
            ],
        ),
    );
    assert_eq!(o.code, 0, "{}", o.context());
    let r = results(&o, "txn-rw-register");
    assert_eq!(r.get_in(&["workload", "valid?"]), Some(&Value::Bool(true)));
    assert_eq!(
        r.get_in(&["availability", "ok-fraction"])
            .and_then(Value::as_f64),
        Some(1.0)
    );
    let ops = history(&o);
    assert_shapes_within_fixtures(
        &ops,
        "txn-rw-register",
        &["txn"],
        &[("txn", "invoke"), ("txn", "ok")],
    );
    let w = writes(&ops, "w", 4);
    assert_unique_writes(&w, 16);
    assert!(
        w.values().any(|vs| vs.len() == 16),
        "some key reached 16 writes"
    );
    assert!(
        w.keys().any(|&k| k >= 10),
        "retired keys were replaced: {w:?}"
    );
    // Every txn length 1..4 occurs; ok reads carry integers or nil.
    for len in 1..=4 {
        assert!(of_type(&ops, OpType::Invoke).any(|op| mops(op).len() == len));
    }
    assert!(of_type(&ops, OpType::Ok)
        .flat_map(mops)
        .any(|(f, _, v)| f == "r" && v.as_i64().is_some()));
    // No final phase: no recovery wait, and nothing after the time limit.
    let l = log(&o);
    assert!(!l.contains("Waiting for recovery..."));
    assert!(ops.iter().all(|op| op.time < 3_500_000_000));
    // Reusable client: no process ever changes.
    assert!(ops
        .iter()
        .all(|op| matches!(op.process, Process::Client(p) if p < 2)));
}

#[test]
fn list_append_toy_matches_maelstrom_shapes_and_honours_flags() {
    let bin = toy();
    let bin = bin.to_str().unwrap().to_string();
    let o = run(
        "txn-la",
        &txn_args(
            "txn-list-append",
            &bin,
            "txn",
            &[
                "--key-count",
                "3",
                "--max-txn-length",
                "2",
                "--max-writes-per-key",
                "6",
                "--seed",
                "22",
            ],
        ),
    );
    assert_eq!(o.code, 0, "{}", o.context());
    let r = results(&o, "txn-list-append");
    assert_eq!(r.get_in(&["workload", "valid?"]), Some(&Value::Bool(true)));
    let ops = history(&o);
    // The list-append fixture only has invocations and failures; invocations must match.
    assert_shapes_within_fixtures(&ops, "txn-list-append", &["txn"], &[("txn", "invoke")]);
    let w = writes(&ops, "append", 2);
    assert_unique_writes(&w, 6);
    let full = w.values().filter(|vs| vs.len() == 6).count();
    assert!(full >= 2);
    let max_key = *w.keys().max().unwrap() as usize;
    assert!(
        max_key >= 3 && max_key < 3 + full,
        "max key {max_key}, {full} full"
    );
    // Ok reads are lists (or nil before the first append) of that key's appends, in order.
    for (f, k, v) in of_type(&ops, OpType::Ok).flat_map(mops) {
        if f != "r" || v == Value::Nil {
            continue;
        }
        let got: Vec<i64> = v
            .as_seq()
            .unwrap()
            .iter()
            .map(|x| x.as_i64().unwrap())
            .collect();
        assert_eq!(got, (1..=got.len() as i64).collect::<Vec<_>>(), "key {k}");
    }
}

/// Runs a broken toy mode and asserts the run is invalid with `anomaly` among the anomaly
/// types; returns results.edn.
fn broken(workload: &str, mode: &str, models: &str, anomaly: &str) -> Value {
    let bin = toy();
    let bin = bin.to_str().unwrap().to_string();
    let o = run(
        mode,
        &txn_args(
            workload,
            &bin,
            mode,
            &["--consistency-models", models, "--seed", "23"],
        ),
    );
    assert_eq!(o.code, 1, "{}", o.context());
    let r = results(&o, workload);
    assert_eq!(r.get_in(&["workload", "valid?"]), Some(&Value::Bool(false)));
    let found = kinds(&r, "anomaly-types");
    assert!(
        found.iter().any(|k| k == anomaly),
        "{workload} {mode}: {found:?}"
    );
    assert_elle_files(&o.dir, &r);
    r
}

/// `elle/` holds one `<type>.txt` per reported cycle anomaly type, with one `<type> #i`
/// explanation per case, and nothing else.
fn assert_elle_files(dir: &std::path::Path, r: &Value) {
    let cycle_types: Vec<String> = kinds(r, "anomaly-types")
        .into_iter()
        .filter(|k| is_cycle_type(k))
        .collect();
    let mut written: Vec<String> = std::fs::read_dir(dir.join("elle"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    written.sort();
    let mut expected: Vec<String> = cycle_types.iter().map(|t| format!("{t}.txt")).collect();
    expected.sort();
    assert_eq!(written, expected);
    for ty in &cycle_types {
        let text = std::fs::read_to_string(dir.join("elle").join(format!("{ty}.txt"))).unwrap();
        let n = cases(r, ty).len();
        assert!(n > 0);
        for i in 0..n {
            assert!(
                text.contains(&format!("{ty} #{i}\nLet:\n  T1 = {{:index ")),
                "{ty} #{i}"
            );
        }
        assert!(!text.contains(&format!("{ty} #{n}\n")));
        assert_eq!(text.matches(": a contradiction!").count(), n);
    }
}

#[test]
fn rw_register_dirty_read_is_g1a() {
    broken("txn-rw-register", "txn-dirty", "read-committed", "G1a");
}

#[test]
fn rw_register_intermediate_read_is_g1b() {
    broken(
        "txn-rw-register",
        "txn-intermediate",
        "read-committed",
        "G1b",
    );
}

/// The cases of one anomaly type in results.edn.
fn cases<'a>(r: &'a Value, anomaly: &str) -> &'a [Value] {
    r.get_in(&["workload", "anomalies", anomaly])
        .and_then(Value::as_seq)
        .unwrap_or_default()
}

/// The (type, key) of each step of a cycle case.
fn steps(case: &Value) -> Vec<(String, i64)> {
    case.get("steps")
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|s| {
            let ty = s.get("type").and_then(Value::as_keyword).unwrap_or("");
            let key = s.get("key").and_then(Value::as_i64).unwrap_or(-1);
            (ty.to_string(), key)
        })
        .collect()
}

#[test]
fn rw_register_replication_cycle_is_g1c() {
    let r = broken("txn-rw-register", "txn-cycle", "read-committed", "G1c");
    // Some G1c case is the two-txn cycle the mode builds: each txn read the other's write of
    // a different key.
    let two_keys = cases(&r, "G1c").iter().any(|c| {
        let s = steps(c);
        s.len() == 2 && s.iter().all(|(t, _)| t == "wr") && s[0].1 != s[1].1
    });
    assert!(
        two_keys,
        "{:?}",
        cases(&r, "G1c").iter().map(steps).collect::<Vec<_>>()
    );
    // A txn reading a key the other wrote and then writing it orders that key's versions
    // both ways.
    let found = kinds(&r, "anomaly-types");
    assert!(found.iter().any(|k| k == "cyclic-versions"), "{found:?}");
}

#[test]
fn list_append_replication_reorder_is_g0() {
    let r = broken("txn-list-append", "txn-cycle", "read-committed", "G0");
    // The lists order two keys' appends of the same two txns oppositely: a pure ww cycle.
    assert!(cases(&r, "G0").iter().any(|c| {
        let s = steps(c);
        s.len() == 2 && s.iter().all(|(t, _)| t == "ww") && s[0].1 != s[1].1
    }));
}

#[test]
fn list_append_dirty_read_is_g1a() {
    broken("txn-list-append", "txn-dirty", "strict-serializable", "G1a");
}

#[test]
fn list_append_intermediate_read_is_g1b() {
    broken(
        "txn-list-append",
        "txn-intermediate",
        "strict-serializable",
        "G1b",
    );
}

#[test]
fn read_uncommitted_allows_dirty_reads_and_availability_counts_failures() {
    let bin = toy();
    let bin = bin.to_str().unwrap().to_string();
    let o = run(
        "txn-ru",
        &txn_args(
            "txn-rw-register",
            &bin,
            "txn-dirty",
            &[
                "--consistency-models",
                "read-uncommitted",
                "--availability",
                "total",
                "--seed",
                "24",
            ],
        ),
    );
    let r = results(&o, "txn-rw-register");
    // G1a is not prohibited at read-uncommitted, so the checker does not report it.
    let found = kinds(&r, "anomaly-types");
    assert!(!found.iter().any(|k| k == "G1a"), "{found:?}");
    // txn-conflict (30) is definite: those txns are :fail, which `total` availability rejects.
    let ops = history(&o);
    let fails: Vec<&Op> = of_type(&ops, OpType::Fail).collect();
    assert!(!fails.is_empty());
    assert!(fails.iter().all(|op| op
        .extra("error")
        .is_some_and(|e| e.to_string().starts_with("[:txn-conflict"))));
    assert_eq!(
        r.get_in(&["availability", "valid?"]),
        Some(&Value::Bool(false))
    );
    assert_eq!(o.code, 1, "{}", o.context());
}
