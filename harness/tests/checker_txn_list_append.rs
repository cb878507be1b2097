//! txn-list-append checker on hand-made histories. Most cases are the histories of Elle
//! 0.2.2's own list-append tests, with the anomaly types, `:not` boundaries, cycles (as op
//! indices) and step explanations Elle expects for them.

mod checker_txn_support;

use checker_txn_support::{cases, cycle_indices, la, short, step_types, types, valid, Txns};
use glomers_harness::checker::workload::txn::list_append;
use glomers_model::{OpType, Value};

/// A history of bare `:ok` ops (no invocations) from Elle shorthand, like Elle's tests.
fn oks(txns: &[&str]) -> Txns {
    let mut h = Txns::new();
    for t in txns {
        h.bare(0, OpType::Ok, &short(t));
    }
    h
}

/// Invocation + completion pairs from Elle shorthand, all on process 0.
fn pairs(txns: &[&str]) -> Txns {
    let mut h = Txns::new();
    for t in txns {
        h.ok(0, &short(t));
    }
    h
}

fn steps(case: &Value) -> Vec<String> {
    case.get("steps")
        .and_then(Value::as_seq)
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn not(r: &Value) -> String {
    r.get("not").map(ToString::to_string).unwrap_or_default()
}

#[test]
fn g0_write_cycle() {
    let h = oks(&["ax1ay1", "ax2ay2", "rx12ry21"]);
    let r = la(&h, &["read-uncommitted"]);
    assert_eq!(types(&r), ["G0"]);
    assert_eq!(not(&r), "#{:read-uncommitted}");
    let c = &cases(&r, "G0")[0];
    assert_eq!(cycle_indices(c), [0, 1, 0]);
    assert_eq!(
        steps(c),
        [
            "{:type :ww, :key :x, :value 1, :value' 2, :a-mop-index 0, :b-mop-index 0}",
            "{:type :ww, :key :y, :value 2, :value' 1, :a-mop-index 1, :b-mop-index 1}",
        ]
    );
}

#[test]
fn g1a_with_an_otherwise_empty_graph() {
    let mut h = Txns::new();
    h.bare(0, OpType::Fail, "[[:append :x 1]]")
        .bare(0, OpType::Ok, "[[:r :x [1]]]");
    let r = la(&h, &["read-uncommitted"]);
    assert_eq!(valid(&r), Value::kw("unknown"));
    assert_eq!(types(&r), ["empty-transaction-graph"]);
    assert_eq!(not(&r), "#{:read-committed}");
    let r = la(&h, &["read-committed"]);
    assert_eq!(valid(&r), Value::Bool(false));
    assert_eq!(types(&r), ["G1a", "empty-transaction-graph"]);
    let g1a = &cases(&r, "G1a")[0];
    assert_eq!(g1a.get("mop").unwrap().to_string(), "[:r :x [1]]");
    assert_eq!(g1a.get("element"), Some(&Value::Int(1)));
    assert_eq!(g1a.get_in(&["writer", "index"]), Some(&Value::Int(0)));
}

#[test]
fn g1b_and_g_single() {
    let h = pairs(&["ax1ax2", "rx1"]);
    let r = la(&h, &["strict-serializable"]);
    assert_eq!(types(&r), ["G-single-item", "G1b"]);
    assert_eq!(not(&r), "#{:read-committed}");
    let g1b = &cases(&r, "G1b")[0];
    assert_eq!(g1b.get_in(&["op", "index"]), Some(&Value::Int(3)));
    assert_eq!(g1b.get_in(&["writer", "index"]), Some(&Value::Int(1)));
    let c = &cases(&r, "G-single-item")[0];
    assert_eq!(cycle_indices(c), [3, 1, 3]);
    assert_eq!(
        steps(c),
        [
            "{:type :rw, :key :x, :value 1, :value' 2, :a-mop-index 0, :b-mop-index 1}",
            "{:type :wr, :key :x, :value 1, :a-mop-index 0, :b-mop-index 0}",
        ]
    );
}

#[test]
fn g1c() {
    let h = oks(&["ax1ry1", "ax2ay1", "rx12ry1"]);
    let r = la(&h, &["read-committed"]);
    assert_eq!(types(&r), ["G1c"]);
    assert_eq!(not(&r), "#{:read-committed}");
    let c = &cases(&r, "G1c")[0];
    assert_eq!(cycle_indices(c), [1, 0, 1]);
    assert_eq!(
        steps(c),
        [
            "{:type :wr, :key :y, :value 1, :a-mop-index 1, :b-mop-index 1}",
            "{:type :ww, :key :x, :value 1, :value' 2, :a-mop-index 0, :b-mop-index 0}",
        ]
    );
    assert_eq!(valid(&la(&h, &["read-uncommitted"])), Value::Bool(true));
}

#[test]
fn g_single() {
    let h = oks(&["ax1ay1", "ax2ry", "rx12"]);
    let r = la(&h, &["serializable"]);
    assert_eq!(types(&r), ["G-single-item"]);
    assert_eq!(not(&r), "#{:consistent-view :repeatable-read}");
    let c = &cases(&r, "G-single-item")[0];
    assert_eq!(cycle_indices(c), [1, 0, 1]);
    assert_eq!(
        steps(c)[0],
        "{:type :rw, :key :y, :value :elle.list-append/init, :value' 1, :a-mop-index 1, \
         :b-mop-index 1}"
    );
    assert_eq!(valid(&la(&h, &["read-committed"])), Value::Bool(true));
}

#[test]
fn g2_item_anti_dependency_cycle() {
    let h = oks(&["ax1ry", "ay1rx"]);
    assert_eq!(la(&h, &["read-committed"]).to_string(), "{:valid? true}");
    for model in ["serializable", "repeatable-read"] {
        let r = la(&h, &[model]);
        assert_eq!(types(&r), ["G2-item"]);
        assert_eq!(not(&r), "#{:repeatable-read}");
        let c = &cases(&r, "G2-item")[0];
        assert_eq!(cycle_indices(c), [0, 1, 0]);
        assert_eq!(step_types(c), ["rw", "rw"]);
    }
}

#[test]
fn realtime_g_single_under_strict_serializability() {
    let mut h = Txns::new();
    h.ok(0, "[[:append :x 1]]")
        .ok(1, "[[:append :x 2]]")
        .ok(2, "[[:r :x [1]]]")
        .ok(3, "[[:r :x [1 2]]]");
    assert_eq!(la(&h, &["serializable"]).to_string(), "{:valid? true}");
    let r = la(&h, &["strict-serializable"]);
    assert_eq!(types(&r), ["G-single-item-realtime"]);
    assert_eq!(not(&r), "#{:strong-snapshot-isolation}");
    let c = &cases(&r, "G-single-item-realtime")[0];
    assert_eq!(cycle_indices(c), [5, 3, 5]);
    assert_eq!(
        steps(c)[0],
        "{:type :rw, :key :x, :value 1, :value' 2, :a-mop-index 0, :b-mop-index 0}"
    );
    let rt = &c.get("steps").unwrap().as_seq().unwrap()[1];
    assert_eq!(rt.get_in(&["a'", "index"]), Some(&Value::Int(3)));
    assert_eq!(rt.get_in(&["b", "index"]), Some(&Value::Int(4)));
}

#[test]
fn process_variants_under_strong_session_models() {
    let mut h = Txns::new();
    h.ok(0, "[[:append :x 1]]")
        .ok(1, "[[:append :x 2]]")
        .ok(1, "[[:r :x [1]]]")
        .ok(2, "[[:r :x [1 2]]]");
    assert_eq!(la(&h, &["serializable"]).to_string(), "{:valid? true}");
    let r = la(&h, &["strong-session-snapshot-isolation"]);
    assert_eq!(types(&r), ["G-single-item-process"]);
    assert_eq!(not(&r), "#{:strong-session-snapshot-isolation}");
    let c = &cases(&r, "G-single-item-process")[0];
    assert_eq!(cycle_indices(c), [5, 3, 5]);
    assert_eq!(steps(c)[1], "{:type :process, :process 1}");

    // G-nonadjacent through process order (Elle issue 17).
    let mut h = Txns::new();
    h.invoke(0, "[[:r :x nil] [:r :z nil]]")
        .complete(0, OpType::Ok, "[[:r :x nil] [:r :z [1]]]")
        .ok(1, "[[:append :x 1]]")
        .ok(1, "[[:r :z nil]]")
        .ok(2, "[[:append :z 1]]");
    let r = la(&h, &["strong-session-snapshot-isolation"]);
    assert_eq!(types(&r), ["G-nonadjacent-item-process"]);
    let c = &cases(&r, "G-nonadjacent-item-process")[0];
    assert_eq!(cycle_indices(c), [5, 7, 1, 3, 5]);
    assert_eq!(step_types(c), ["rw", "wr", "rw", "process"]);

    // wr then process (Elle issue 21): G1c-process.
    let mut h = Txns::new();
    h.invoke(1, "[[:r :x nil] [:append :y 1]]")
        .complete(1, OpType::Ok, "[[:r :x [1]] [:append :y 1]]")
        .ok(2, "[[:r :y [1]]]")
        .ok(2, "[[:append :x 1]]");
    let r = la(&h, &["strong-session-snapshot-isolation"]);
    assert_eq!(types(&r), ["G1c-process"]);
    assert_eq!(not(&r), "#{:strong-session-read-committed}");
    let c = &cases(&r, "G1c-process")[0];
    assert_eq!(cycle_indices(c), [5, 1, 3, 5]);
    assert_eq!(step_types(c), ["wr", "wr", "process"]);
}

#[test]
fn incompatible_orders_and_g1c() {
    let h = oks(&["ax1ry1", "ax2", "ax3ay1", "rx13", "rx123"]);
    let r = la(&h, &["read-committed"]);
    assert_eq!(types(&r), ["G1c", "incompatible-order"]);
    assert_eq!(
        cases(&r, "incompatible-order")[0].to_string(),
        "{:key :x, :values [[1 3] [1 2 3]]}"
    );
    let c = &cases(&r, "G1c")[0];
    assert_eq!(cycle_indices(c), [2, 0, 1, 2]);
    assert_eq!(step_types(c), ["wr", "ww", "ww"]);
}

#[test]
fn dirty_update() {
    let mut h = Txns::new();
    h.bare(0, OpType::Fail, &short("ax1"))
        .bare(1, OpType::Ok, &short("ax2"))
        .bare(2, OpType::Ok, &short("rx12"));
    let r = la(&h, &["read-committed"]);
    assert_eq!(types(&r), ["G1a", "dirty-update"]);
    let du = &cases(&r, "dirty-update")[0];
    assert_eq!(du.get("values").unwrap().to_string(), "[1 2]");
    let txns = du.get("txns").unwrap().as_seq().unwrap();
    assert_eq!(txns[0].get("index"), Some(&Value::Int(0)));
    assert_eq!(txns[1], Value::Symbol("...".into()));
    assert_eq!(txns[2].get("index"), Some(&Value::Int(1)));

    // Through an indeterminate append.
    let mut h = Txns::new();
    h.bare(0, OpType::Fail, &short("ax1"))
        .bare(1, OpType::Info, &short("ax2"))
        .bare(2, OpType::Ok, &short("ax3"))
        .bare(3, OpType::Ok, &short("rx123"));
    let r = la(&h, &["read-committed"]);
    let du = &cases(&r, "dirty-update")[0];
    assert_eq!(du.get("values").unwrap().to_string(), "[1 2 3]");
    assert_eq!(
        du.get("txns").unwrap().as_seq().unwrap()[2].get("index"),
        Some(&Value::Int(2))
    );
}

#[test]
fn duplicate_elements() {
    let h = oks(&["ax1ry1", "ax2ay1", "rx121"]);
    let r = la(&h, &["read-committed"]);
    assert_eq!(types(&r), ["G1c", "duplicate-elements"]);
    assert_eq!(not(&r), "#{:read-uncommitted}");
    let d = &cases(&r, "duplicate-elements")[0];
    assert_eq!(d.get("mop").unwrap().to_string(), "[:r :x [1 2 1]]");
    assert_eq!(d.get("duplicates").unwrap().to_string(), "{1 2}");
    assert_eq!(cycle_indices(&cases(&r, "G1c")[0]), [1, 0, 1]);
}

#[test]
fn internal_and_future_reads() {
    let h = oks(&["ax1ax2ax4", "ax3rx1234"]);
    let r = la(&h, &["serializable"]);
    assert!(types(&r).contains(&"internal".to_string()), "{r}");
    let i = &cases(&r, "internal")[0];
    assert_eq!(i.get("expected").unwrap().to_string(), "[... 3]");
    assert_eq!(i.get("mop").unwrap().to_string(), "[:r :x [1 2 3 4]]");

    // Reading one's own later append.
    let mut h = Txns::new();
    h.bare(0, OpType::Invoke, "[[:r :x [1]] [:append :x 1]]")
        .bare(0, OpType::Ok, "[[:r :x [1]] [:append :x 1]]");
    let r = la(&h, &["read-committed"]);
    assert_eq!(valid(&r), Value::Bool(false));
    assert_eq!(types(&r), ["empty-transaction-graph", "future-read"]);
    assert_eq!(not(&r), "#{:read-committed}");
    assert_eq!(
        cases(&r, "future-read")[0].get("element"),
        Some(&Value::Int(1))
    );
}

#[test]
fn unobserved_writes_follow_the_last_observed_element() {
    let mut h = Txns::new();
    for t in ["ax1ay1", "ax2ay2", "ax3ay3", "rx", "ry"] {
        h.invoke(0, &short(t));
    }
    for t in ["ax1ay1", "ax2ay2", "ax3ay3", "rx12", "ry2"] {
        h.complete(0, OpType::Ok, &short(t));
    }
    let r = la(&h, &["serializable"]);
    assert_eq!(types(&r), ["G-single-item", "G0"]);
    assert_eq!(not(&r), "#{:read-uncommitted}");
    assert_eq!(cycle_indices(&cases(&r, "G-single-item")[0]), [9, 5, 6, 9]);
    assert_eq!(cycle_indices(&cases(&r, "G0")[0]), [6, 5, 6]);
}

#[test]
fn repeatable_read_and_item_shapes() {
    let h = oks(&["rxay1", "ryax1"]);
    assert_eq!(la(&h, &["read-committed"]).to_string(), "{:valid? true}");
    let r = la(&h, &["repeatable-read"]);
    assert_eq!(types(&r), ["G2-item"]);
    assert_eq!(cycle_indices(&cases(&r, "G2-item")[0]), [0, 1, 0]);

    let h = pairs(&["ax1ay1", "rx1ry"]);
    let r = la(&h, &["repeatable-read"]);
    assert_eq!(types(&r), ["G-single-item"]);
    assert_eq!(not(&r), "#{:consistent-view :repeatable-read}");
    assert_eq!(cycle_indices(&cases(&r, "G-single-item")[0]), [3, 1, 3]);

    let h = pairs(&["ax1at1", "rx1ry", "ay1az2", "rz2rt"]);
    let r = la(&h, &["repeatable-read"]);
    assert_eq!(types(&r), ["G-nonadjacent-item"]);
    assert_eq!(not(&r), "#{:repeatable-read :snapshot-isolation}");
    let c = &cases(&r, "G-nonadjacent-item")[0];
    assert_eq!(cycle_indices(c), [7, 1, 3, 5, 7]);
    assert_eq!(step_types(c), ["rw", "wr", "rw", "wr"]);
}

#[test]
fn g_nonadjacent_and_adjacent_rw() {
    let h = pairs(&["ax1", "rx1ry", "ay1", "ry1rx"]);
    let r = la(&h, &[]);
    assert_eq!(types(&r), ["G-nonadjacent-item"]);
    assert_eq!(not(&r), "#{:repeatable-read :snapshot-isolation}");
    assert_eq!(
        cycle_indices(&cases(&r, "G-nonadjacent-item")[0]),
        [7, 1, 3, 5, 7]
    );
    // rw rw wr rw wr: two rw edges are adjacent, so snapshot isolation allows it.
    let h = pairs(&["rx5ay1", "ryaz2", "rzat3", "rt3au4", "ruax5"]);
    assert_eq!(
        la(&h, &["snapshot-isolation"]).to_string(),
        "{:valid? true}"
    );
}

#[test]
fn lost_update() {
    let h = pairs(&["ax0", "rx0ax1", "rx0ax2"]);
    let r = la(&h, &[]);
    assert_eq!(types(&r), ["G2-item", "lost-update"]);
    assert_eq!(not(&r), "#{:cursor-stability :update-atomic}");
    let lu = &cases(&r, "lost-update")[0];
    assert_eq!(lu.get("value").unwrap().to_string(), "[0]");
    assert_eq!(cycle_indices(&cases(&r, "G2-item")[0]), [5, 3, 5]);
    // One txn overwriting its own read twice is fine.
    let h = pairs(&["rxax1ax2", "rx12"]);
    assert_eq!(la(&h, &[]).to_string(), "{:valid? true}");
}

#[test]
fn empty_transaction_graph_is_unknown() {
    let mut h = Txns::new();
    h.fail(0, "[[:append 2 1] [:r 1 nil]]")
        .info(1, "[[:append 1 1]]");
    assert_eq!(
        la(&h, &[]).to_string(),
        "{:valid? :unknown, :anomaly-types (:empty-transaction-graph), \
         :anomalies {:empty-transaction-graph true}, :not #{}, :also-not #{}}"
    );
}

#[test]
fn malformed_histories_fail_the_checker() {
    let facts = checker_txn_support::facts("txn-list-append", &[]);
    let mut h = Txns::new();
    h.ok(0, "[[:w :x 1]]");
    let e = list_append::check(&h.ops, &facts, 1000).unwrap_err();
    assert!(e.contains("unexpected-txn-micro-op-types"), "{e}");
    let mut h = Txns::new();
    h.ok(0, "[[:append :x 1]]").ok(1, "[[:append :x 1]]");
    let e = list_append::check(&h.ops, &facts, 1000).unwrap_err();
    assert!(e.contains("duplicate-appends"), "{e}");
}

#[test]
fn model_filtering_same_history() {
    // A wr cycle: fine under read uncommitted, G1c under read committed.
    let mut h = Txns::new();
    h.concurrent(0, &short("ax1ry1"), 1, &short("ay1rx1"));
    assert_eq!(la(&h, &["read-uncommitted"]).to_string(), "{:valid? true}");
    let r = la(&h, &["read-committed"]);
    assert_eq!(valid(&r), Value::Bool(false));
    assert_eq!(types(&r), ["G1c"]);
}
