//! kafka checker: Elle cycles (`:G1c-realtime` with its cycle-exists case, `:G0` allowed with
//! `ww-deps`), `:empty-transaction-graph`, the Jepsen crashes reproduced as errors, and
//! `:worst-realtime-lag`.

mod checker_kafka_support;

use checker_kafka_support::*;
use glomers_harness::checker::workload::kafka::{self, Options};
use glomers_model::{OpType, Value};

#[test]
fn poll_seeing_a_later_send_is_g1c_realtime() {
    let mut h = K::new();
    // Process 1 polls message 1 and completes before process 0 even starts sending it.
    let reader = h.poll(1, &[("x", &[(0, 1)])]);
    let writer = h.send(0, "x", 0, 1);
    h.poll(2, &[("x", &[(0, 1)])]);
    let r = h.check();
    assert_eq!(
        error_types(&r),
        ["G1c-realtime", "strong-PL-2-cycle-exists"],
        "{r}"
    );
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
    let c = &errs(&r, "G1c-realtime")[0];
    assert_eq!(keys(c), ["cycle", "steps", "type"]);
    assert_eq!(c.get("type"), Some(&kw("G1c-realtime")));
    let cycle: Vec<i64> = c
        .get("cycle")
        .unwrap()
        .as_seq()
        .unwrap()
        .iter()
        .map(op_index)
        .collect();
    assert_eq!(cycle.len(), 3);
    assert_eq!(cycle[0], cycle[2]);
    let mut pair = [cycle[0], cycle[1]];
    pair.sort_unstable();
    assert_eq!(pair, [reader as i64, writer as i64]);
    let steps = c.get("steps").unwrap().as_seq().unwrap();
    let types: Vec<&str> = steps
        .iter()
        .map(|st| st.get("type").unwrap().as_keyword().unwrap())
        .collect();
    assert!(
        types.contains(&"wr") && types.contains(&"realtime"),
        "{types:?}"
    );
    for st in steps {
        match st.get("type").unwrap().as_keyword().unwrap() {
            "wr" => assert_eq!(
                keys(st),
                ["type", "key", "value", "a-mop-index", "b-mop-index"]
            ),
            _ => assert_eq!(keys(st), ["type", "a'", "b"]),
        }
    }
    let ex = &errs(&r, "strong-PL-2-cycle-exists")[0];
    assert_eq!(keys(ex), ["type", "not", "subgraph", "scc-size", "scc"]);
    assert_eq!(ex.get("not"), Some(&kw("strong-read-committed")));
    assert_eq!(ex.get("scc-size"), Some(&Value::Int(2)));
    assert!(matches!(
        r.get("strong-PL-2-cycle-exists").unwrap().get("errs"),
        Some(Value::Vector(_))
    ));
}

/// Two concurrent two-key transactions that order x and y oppositely.
fn g0_history() -> K {
    let mut h = K::new();
    let mop = |k: &str, m: i64| v(vec![kw("send"), s(k), Value::Int(m)]);
    let done = |k: &str, o: i64, m: i64| {
        v(vec![
            kw("send"),
            s(k),
            v(vec![Value::Int(o), Value::Int(m)]),
        ])
    };
    h.op(OpType::Invoke, 0, "txn", v(vec![mop("x", 1), mop("y", 2)]));
    h.op(OpType::Invoke, 1, "txn", v(vec![mop("x", 3), mop("y", 4)]));
    h.op(
        OpType::Ok,
        0,
        "txn",
        v(vec![done("x", 0, 1), done("y", 1, 2)]),
    );
    h.op(
        OpType::Ok,
        1,
        "txn",
        v(vec![done("x", 1, 3), done("y", 0, 4)]),
    );
    h.poll(2, &[("x", &[(0, 1), (1, 3)]), ("y", &[(0, 4), (1, 2)])]);
    h
}

#[test]
fn g0_needs_ww_deps_and_is_allowed() {
    let h = g0_history();
    let plain = h.check();
    assert!(error_types(&plain).is_empty(), "{plain}");
    let r = kafka::check_with(&h.ops, Options { ww_deps: true }).unwrap();
    assert_eq!(error_types(&r), ["G0", "PL-1-cycle-exists"], "{r}");
    assert!(bad_types(&r).is_empty());
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    let c = &errs(&r, "G0")[0];
    let steps = c.get("steps").unwrap().as_seq().unwrap();
    assert_eq!(
        keys(&steps[0]),
        [
            "type",
            "key",
            "value",
            "value'",
            "a-mop-index",
            "b-mop-index"
        ]
    );
}

#[test]
fn history_without_dependencies_is_an_empty_transaction_graph() {
    let mut h = K::new();
    h.op(OpType::Invoke, 0, "send", send_value("x", 1));
    h.op(OpType::Invoke, 1, "poll", poll_value());
    h.op(OpType::Ok, 0, "send", sent_value("x", 0, 1));
    h.op(OpType::Ok, 1, "poll", polled_value(&[("x", &[])]));
    h.op(OpType::Invoke, 0, "poll", poll_value());
    h.op(OpType::Ok, 0, "poll", polled_value(&[("x", &[(0, 1)])]));
    let mut only_crash = K::new();
    only_crash.op(OpType::Invoke, 0, "crash", Value::Nil);
    only_crash.op(OpType::Info, 0, "crash", Value::Nil);
    let r = only_crash.check();
    assert_eq!(bad_types(&r), ["empty-transaction-graph"], "{r}");
    assert_eq!(
        r.get("empty-transaction-graph"),
        Some(&glomers_model::edn_map! { "count" => Value::Int(1), "errs" => Value::Bool(true) })
    );
    assert_eq!(
        r.get("worst-realtime-lag"),
        Some(&glomers_model::edn_map! { "time" => Value::Float(0.0), "lag" => Value::Float(0.0) })
    );
    // The first history has edges (wr and realtime), so no such error.
    assert!(error_types(&h.check()).is_empty());
}

#[test]
fn key_only_ever_polled_empty_crashes_like_jepsen() {
    let mut h = K::new();
    h.send(0, "x", 0, 1);
    h.poll(1, &[("x", &[(0, 1)]), ("z", &[])]);
    let e = h.check_err();
    assert!(e.contains("IndexOutOfBoundsException"), "{e}");
    assert!(e.contains("\"z\""), "{e}");
}

#[test]
fn polled_message_nobody_sent_crashes_like_jepsen() {
    let mut h = K::new();
    h.send(0, "x", 0, 1);
    h.poll(1, &[("x", &[(0, 1), (1, 99)])]);
    let e = h.check_err();
    assert!(e.contains(":no-writer-of-value") && e.contains("99"), "{e}");
}

#[test]
fn realtime_lag_measures_a_stale_poll() {
    // The example of jepsen's realtime-lag docstring, in milliseconds.
    let mut h = K::new();
    h.send(0, "x", 0, 1); // ok at 2 ms
    h.poll(1, &[("x", &[(0, 1)])]); // invoked at 3 ms
    h.send(0, "x", 1, 2); // offset 1 known at 6 ms
    h.op(OpType::Invoke, 1, "poll", poll_value()); // 7 ms
    h.op(OpType::Ok, 1, "poll", polled_value(&[("x", &[])]));
    h.poll(2, &[("x", &[(0, 1), (1, 2)])]);
    let r = h.check();
    let lag = r.get("worst-realtime-lag").unwrap();
    assert_eq!(lag.get("time"), Some(&Value::Float(0.007)));
    assert_eq!(lag.get("process"), Some(&Value::Int(1)));
    assert_eq!(lag.get("key"), Some(&s("x")));
    assert_eq!(lag.get("lag"), Some(&Value::Float(0.001)));
}

#[test]
fn many_error_types_print_in_clojure_hash_order() {
    // Four error types plus the five fixed keys: a hash map, not insertion order.
    let mut h = K::new();
    h.send(0, "x", 0, 1);
    h.send(0, "x", 1, 2);
    h.send(0, "x", 2, 3);
    h.poll(1, &[("x", &[(0, 1), (2, 3)])]); // int-poll-skip, lost-write (2)
    h.poll(1, &[("x", &[(0, 1)])]); // nonmonotonic-poll
    let r = h.check();
    let mut types = error_types(&r);
    types.sort();
    assert!(types.len() >= 4, "{r}");
    let printed = keys(&r);
    assert_eq!(printed.len(), 5 + types.len());
    assert_ne!(
        &printed[..5],
        [
            "valid?",
            "worst-realtime-lag",
            "bad-error-types",
            "error-types",
            "info-txn-causes"
        ]
    );
}

/// Every poll returns the message sent right after it; `wrap` also makes the first poll
/// return the last message, which ties the whole history into one component.
fn future_reads(n: i64, wrap: bool) -> K {
    let mut h = K::new();
    for i in 0..n {
        if i == 0 && wrap {
            h.poll(1, &[("x", &[(0, 1), (n - 1, n)])]);
        } else {
            h.poll(1, &[("x", &[(i, i + 1)])]);
        }
        h.send(0, "x", i, i + 1);
    }
    h
}

#[test]
fn thousands_of_cyclic_components_are_searched_quickly() {
    let h = future_reads(5_000, false);
    let t0 = std::time::Instant::now();
    let r = h.check();
    let took = t0.elapsed();
    eprintln!("5000 two-op components in 20000 ops checked in {took:?}");
    assert_eq!(
        error_types(&r),
        ["G1c-realtime", "strong-PL-2-cycle-exists"],
        "{r}"
    );
    // One cycle per component; the result keeps 8.
    assert_eq!(
        r.get("G1c-realtime").unwrap().get("count"),
        Some(&Value::Int(5000))
    );
    assert_eq!(errs(&r, "G1c-realtime").len(), 8);
    if !cfg!(debug_assertions) {
        assert!(took.as_secs_f64() < 2.0, "took {took:?}");
    }
}

#[test]
fn one_huge_cyclic_component_is_searched_quickly() {
    let h = future_reads(5_000, true);
    let t0 = std::time::Instant::now();
    let r = h.check();
    let took = t0.elapsed();
    eprintln!("one 20000-op component checked in {took:?}");
    assert_eq!(
        r.get("G1c-realtime").unwrap().get("count"),
        Some(&Value::Int(1)),
        "{r}"
    );
    let exists = &errs(&r, "strong-PL-2-cycle-exists")[0];
    assert_eq!(exists.get("scc-size"), Some(&Value::Int(10_000)));
    if !cfg!(debug_assertions) {
        assert!(took.as_secs_f64() < 2.0, "took {took:?}");
    }
}
