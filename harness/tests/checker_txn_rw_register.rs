//! txn-rw-register checker on hand-made histories: one per anomaly class, model filtering,
//! realtime vs. serializable, the empty graph, timeouts, and the exact result shapes.

mod checker_txn_support;

use checker_txn_support::{cases, cycle_indices, rw, step_types, types, valid, Txns};
use glomers_harness::checker::workload::txn::rw_register;
use glomers_model::Value;

#[test]
fn serial_history_is_valid_in_maelstrom_shape() {
    let mut h = Txns::new();
    h.ok(0, "[[:w 1 1]]")
        .ok(1, "[[:r 1 1] [:w 1 2]]")
        .ok(0, "[[:r 1 2] [:r 2 nil]]");
    let r = rw(&h, &[]);
    assert_eq!(
        r.to_string(),
        "{:valid? true, :anomaly-types (), :anomalies nil}"
    );
}

/// Two ok txns related by wr, so that the dependency graph is not empty (Elle reports an
/// empty graph, and Maelstrom calls it invalid, whatever else it finds).
fn some_dependency(h: &mut Txns) {
    h.ok(5, "[[:w 100 1]]").ok(6, "[[:r 100 1]]");
}

#[test]
fn g1a_aborted_read() {
    let mut h = Txns::new();
    h.fail(0, "[[:w 1 1]]").ok(1, "[[:r 1 1]]");
    some_dependency(&mut h);
    let r = rw(&h, &["read-committed"]);
    assert_eq!(valid(&r), Value::Bool(false));
    assert_eq!(types(&r), ["G1a"]);
    let case = &cases(&r, "G1a")[0];
    assert_eq!(case.get("mop").unwrap().to_string(), "[:r 1 1]");
    assert_eq!(case.get_in(&["writer", "index"]), Some(&Value::Int(1)));
    assert_eq!(case.get_in(&["op", "index"]), Some(&Value::Int(3)));
    // Read uncommitted allows it.
    assert_eq!(valid(&rw(&h, &["read-uncommitted"])), Value::Bool(true));
}

#[test]
fn g1b_intermediate_read() {
    let mut h = Txns::new();
    h.ok(0, "[[:w 1 1] [:w 1 2]]").ok(1, "[[:r 1 1]]");
    let r = rw(&h, &["read-committed"]);
    assert!(types(&r).contains(&"G1b".to_string()), "{r}");
    let case = &cases(&r, "G1b")[0];
    assert_eq!(case.get_in(&["writer", "index"]), Some(&Value::Int(1)));
}

#[test]
fn g1c_circular_information_flow() {
    let mut h = Txns::new();
    h.concurrent(0, "[[:w 1 1] [:r 2 1]]", 1, "[[:w 2 1] [:r 1 1]]");
    let r = rw(&h, &["read-committed"]);
    assert_eq!(types(&r), ["G1c"]);
    let c = &cases(&r, "G1c")[0];
    assert_eq!(step_types(c), ["wr", "wr"]);
    let first = c.get("steps").unwrap().as_seq().unwrap()[0].to_string();
    assert!(
        [
            "{:type :wr, :key 1, :value 1, :a-mop-index 0, :b-mop-index 1}",
            "{:type :wr, :key 2, :value 1, :a-mop-index 0, :b-mop-index 1}"
        ]
        .contains(&first.as_str()),
        "{first}"
    );
    // Not prohibited under read uncommitted (and not reported at all).
    assert_eq!(
        rw(&h, &["read-uncommitted"]).to_string(),
        "{:valid? true, :anomaly-types (), :anomalies nil}"
    );
}

#[test]
fn ww_cycle_reads_as_g1c_because_wr_explains_first() {
    // Writes-follow-reads gives x: 1 < 2 (T2 read 1, wrote 2) and y: 2 < 1 (T1 read 2,
    // wrote 1): a ww cycle. But every wfr ww edge comes with a wr edge, and Elle's
    // rw-register explainer names wr first, so the cycle found by the G0 search is explained
    // (and reported) as G1c, never G0 (MAELSTROM.md 6.8). The ww cycle still shows as
    // PL-1-cycle-exists, which read uncommitted prohibits.
    let mut h = Txns::new();
    h.concurrent(
        0,
        "[[:w 1 1] [:r 2 2] [:w 2 1]]",
        1,
        "[[:r 1 1] [:w 1 2] [:w 2 2]]",
    );
    let r = rw(&h, &["read-uncommitted"]);
    assert_eq!(valid(&r), Value::Bool(false), "{r}");
    assert_eq!(types(&r), ["PL-1-cycle-exists"]);
    assert_eq!(
        cases(&r, "PL-1-cycle-exists")[0].to_string(),
        "{:type :PL-1-cycle-exists, :not :read-uncommitted, :subgraph [:union :ww :wwp], \
         :scc-size 2, :scc #{2 3}}"
    );
    let r = rw(&h, &["read-committed"]);
    assert_eq!(types(&r), ["G1c", "PL-1-cycle-exists"], "{r}");
}

#[test]
fn g_single_read_skew() {
    let mut h = Txns::new();
    h.concurrent(0, "[[:w 1 1] [:w 2 1]]", 1, "[[:r 1 nil] [:r 2 1]]");
    let r = rw(&h, &["serializable"]);
    assert_eq!(types(&r), ["G-single-item"]);
    let c = &cases(&r, "G-single-item")[0];
    let mut steps = step_types(c);
    steps.sort();
    assert_eq!(steps, ["rw", "wr"]);
    assert_eq!(cycle_indices(c).len(), 3);
    // Snapshot isolation prohibits it too; read committed does not.
    assert_eq!(valid(&rw(&h, &["snapshot-isolation"])), Value::Bool(false));
    assert_eq!(valid(&rw(&h, &["read-committed"])), Value::Bool(true));
}

#[test]
fn g2_item_write_skew() {
    let mut h = Txns::new();
    h.concurrent(0, "[[:r 1 nil] [:w 2 1]]", 1, "[[:r 2 nil] [:w 1 1]]");
    let r = rw(&h, &["serializable"]);
    assert_eq!(types(&r), ["G2-item"]);
    assert_eq!(step_types(&cases(&r, "G2-item")[0]), ["rw", "rw"]);
    // Snapshot isolation allows write skew.
    assert_eq!(valid(&rw(&h, &["snapshot-isolation"])), Value::Bool(true));
    // The boundary names the weakest models ruled out.
    let r = rw(&h, &["serializable"]);
    assert_eq!(r.get("not").unwrap().to_string(), "#{:repeatable-read}");
}

#[test]
fn lost_update() {
    let mut h = Txns::new();
    h.concurrent(0, "[[:r 1 nil] [:w 1 1]]", 1, "[[:r 1 nil] [:w 1 2]]");
    let r = rw(&h, &["repeatable-read"]);
    assert_eq!(types(&r), ["G2-item", "lost-update"]);
    let lu = &cases(&r, "lost-update")[0];
    assert_eq!(lu.get("key"), Some(&Value::Int(1)));
    assert_eq!(lu.get("value"), Some(&Value::Nil));
    assert_eq!(lu.get("txns").unwrap().as_seq().unwrap().len(), 2);
    // Neither is prohibited by read committed.
    assert_eq!(valid(&rw(&h, &["read-committed"])), Value::Bool(true));
}

#[test]
fn internal_inconsistency() {
    let mut h = Txns::new();
    h.ok(0, "[[:w 1 1] [:r 1 2]]").ok(1, "[[:w 1 2]]");
    some_dependency(&mut h);
    let r = rw(&h, &["serializable"]);
    assert!(types(&r).contains(&"internal".to_string()), "{r}");
    let c = &cases(&r, "internal")[0];
    assert_eq!(c.get("expected"), Some(&Value::Int(1)));
    assert_eq!(c.get("mop").unwrap().to_string(), "[:r 1 2]");
    // Reading nil after one's own write is internal too.
    let mut h = Txns::new();
    h.ok(0, "[[:w 1 1] [:r 1 nil]]");
    some_dependency(&mut h);
    assert_eq!(types(&rw(&h, &["serializable"])), ["internal"]);
    // Not prohibited by read committed.
    assert_eq!(valid(&rw(&h, &["read-committed"])), Value::Bool(true));
}

#[test]
fn cyclic_versions() {
    let mut h = Txns::new();
    h.concurrent(0, "[[:r 1 1] [:w 1 2]]", 1, "[[:r 1 2] [:w 1 1]]");
    let r = rw(&h, &["read-uncommitted"]);
    assert_eq!(valid(&r), Value::Bool(false));
    assert!(types(&r).contains(&"cyclic-versions".to_string()), "{r}");
    let c = &cases(&r, "cyclic-versions")[0];
    assert_eq!(
        c.to_string(),
        "{:key 1, :scc #{1 2}, :sources [:initial-state :wfr-keys]}"
    );
}

#[test]
fn empty_transaction_graph_is_invalid() {
    let mut h = Txns::new();
    h.info(0, "[[:w 1 1]]").fail(1, "[[:r 1 nil]]");
    let r = rw(&h, &["read-uncommitted"]);
    assert_eq!(
        r.to_string(),
        "{:valid? false, :anomaly-types (:empty-transaction-graph), \
         :anomalies {:empty-transaction-graph true}, :not #{}, :also-not #{}}"
    );
}

#[test]
fn stale_read_is_realtime_g_single_only_under_strict_serializability() {
    let mut h = Txns::new();
    h.ok(0, "[[:w 1 1]]").ok(1, "[[:r 1 nil]]");
    let r = rw(&h, &["strict-serializable"]);
    assert_eq!(valid(&r), Value::Bool(false));
    assert_eq!(types(&r), ["G-single-item-realtime"]);
    let c = &cases(&r, "G-single-item-realtime")[0];
    assert_eq!(step_types(c), ["rw", "realtime"]);
    let rt = &c.get("steps").unwrap().as_seq().unwrap()[1];
    // The realtime step names the earlier completion and the later invocation.
    assert_eq!(rt.get_in(&["a'", "type"]), Some(&Value::kw("ok")));
    assert_eq!(rt.get_in(&["b", "type"]), Some(&Value::kw("invoke")));
    // Default models are strict-serializable.
    assert_eq!(types(&rw(&h, &[])), ["G-single-item-realtime"]);
    assert_eq!(valid(&rw(&h, &["serializable"])), Value::Bool(true));
}

#[test]
fn process_order_under_strong_session_models() {
    // One process writes, then reads the old value: a process-order violation.
    let mut h = Txns::new();
    h.ok(0, "[[:w 1 1]]").ok(0, "[[:r 1 nil]]");
    let r = rw(&h, &["strong-session-serializable"]);
    assert_eq!(types(&r), ["G-single-item-process"], "{r}");
    assert_eq!(
        step_types(&cases(&r, "G-single-item-process")[0]),
        ["rw", "process"]
    );
}

#[test]
fn model_filtering_same_history() {
    // G1a: fine under read uncommitted, invalid under read committed.
    let mut h = Txns::new();
    h.fail(0, "[[:w 1 5]]").ok(1, "[[:r 1 5]]");
    some_dependency(&mut h);
    assert_eq!(valid(&rw(&h, &["read-uncommitted"])), Value::Bool(true));
    assert_eq!(valid(&rw(&h, &["read-committed"])), Value::Bool(false));
}

#[test]
fn cycle_search_timeout_is_dropped_by_maelstrom() {
    let mut h = Txns::new();
    h.concurrent(0, "[[:r 1 nil] [:w 2 1]]", 1, "[[:r 2 nil] [:w 1 1]]");
    // No budget at all: the SCC times out; the fallback cycle (G2-item) is not prohibited
    // by read uncommitted, and the timeout itself is removed by Maelstrom's wrapper.
    let r = rw_register::check(
        &h.ops,
        &checker_txn_support::facts("txn-rw-register", &["read-uncommitted"]),
        0,
    )
    .unwrap();
    assert_eq!(valid(&r), Value::Bool(true), "{r}");
    assert_eq!(r.get("anomaly-types").unwrap().to_string(), "()");
    assert_eq!(r.get("anomalies").unwrap().to_string(), "{}");
    assert_eq!(r.get("not").unwrap().to_string(), "#{:repeatable-read}");
}

#[test]
fn duplicate_writers_fail_the_checker() {
    let mut h = Txns::new();
    h.ok(0, "[[:w 1 1]]")
        .ok(1, "[[:w 1 1]]")
        .ok(2, "[[:r 1 1]]");
    let e = rw_register::check(
        &h.ops,
        &checker_txn_support::facts("txn-rw-register", &[]),
        1000,
    )
    .unwrap_err();
    assert!(e.contains("written by more than one op"), "{e}");
}

#[test]
fn unknown_model_is_an_error() {
    let h = Txns::new();
    assert!(rw_register::check(
        &h.ops,
        &checker_txn_support::facts("txn-rw-register", &["bogus"]),
        10
    )
    .is_err());
}

#[test]
fn thirty_thousand_ops_are_fast() {
    // A serial history over 30 000 ops (15 000 txns) with realtime checking.
    let mut h = Txns::new();
    for i in 0..15_000i64 {
        let k = i / 16;
        let v = i % 16 + 1;
        let prev = if v == 1 {
            "nil".to_string()
        } else {
            (v - 1).to_string()
        };
        h.ok(
            (i % 5) as u64,
            &format!("[[:r {k} {prev}] [:w {k} {v}] [:r {} nil]]", k + 1),
        );
    }
    let started = std::time::Instant::now();
    let r = rw(&h, &[]);
    let took = started.elapsed();
    assert_eq!(valid(&r), Value::Bool(true), "{r}");
    // Generous for debug builds; release takes a small fraction of this.
    assert!(took.as_secs_f64() < 20.0, "took {took:?}");
}
