//! kafka checker, log-level anomalies on hand-made histories: a clean run, `:lost-write`,
//! `:duplicate`, `:inconsistent-offsets`, `:unseen`, `:G1a`, `:precommitted-read`.

mod checker_kafka_support;

use checker_kafka_support::*;
use glomers_model::{OpType, Value};

#[test]
fn clean_run_is_valid_with_maelstroms_key_order() {
    let mut h = K::new();
    h.send(0, "x", 0, 1);
    h.send(0, "x", 1, 2);
    h.send(1, "y", 0, 1);
    h.poll(1, &[("x", &[(0, 1), (1, 2)]), ("y", &[(0, 1)])]);
    h.poll(0, &[("x", &[(0, 1), (1, 2)]), ("y", &[(0, 1)])]);
    let r = h.check();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)), "{r}");
    assert_eq!(
        keys(&r),
        [
            "valid?",
            "worst-realtime-lag",
            "bad-error-types",
            "error-types",
            "info-txn-causes"
        ]
    );
    assert!(error_types(&r).is_empty());
    let lag = r.get("worst-realtime-lag").unwrap();
    assert_eq!(keys(lag), ["time", "process", "key", "lag"]);
    assert_eq!(lag.get("lag"), Some(&Value::Float(0.0)));
}

#[test]
fn lost_write_is_an_acked_message_below_a_polled_one() {
    let mut h = K::new();
    let w1 = h.send(0, "x", 0, 1);
    let w2 = h.send(0, "x", 1, 2);
    h.send(0, "x", 2, 3);
    h.poll(1, &[("x", &[(0, 1)])]);
    let max_read = h.poll(2, &[("x", &[(2, 3)])]);
    let r = h.check();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
    assert_eq!(error_types(&r), ["lost-write", "unseen"]);
    let lost = errs(&r, "lost-write");
    assert_eq!(lost.len(), 1);
    let e = &lost[0];
    assert_eq!(
        keys(e),
        [
            "key",
            "value",
            "index",
            "max-read-index",
            "writer",
            "max-read"
        ]
    );
    assert_eq!(e.get("key"), Some(&s("x")));
    assert_eq!(e.get("value"), Some(&Value::Int(2)));
    assert_eq!(e.get("index"), Some(&Value::Int(1)));
    assert_eq!(e.get("max-read-index"), Some(&Value::Int(2)));
    assert_eq!(op_index(e.get("writer").unwrap()), w2 as i64);
    assert_eq!(op_index(e.get("max-read").unwrap()), max_read as i64);
    assert_ne!(w1, w2);
    // :errs is a list, :count the number of cases.
    assert!(matches!(
        r.get("lost-write").unwrap().get("errs"),
        Some(Value::List(_))
    ));
    assert_eq!(
        r.get("lost-write").unwrap().get("count"),
        Some(&Value::Int(1))
    );
}

#[test]
fn unseen_ack_has_its_own_shape() {
    let mut h = K::new();
    h.send(0, "x", 0, 1);
    h.poll(1, &[("x", &[(0, 1)])]);
    let last = h.send(0, "x", 1, 2);
    let r = h.check();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
    assert_eq!(bad_types(&r), ["unseen"]);
    let u = r.get("unseen").unwrap();
    assert_eq!(keys(u), ["time", "unseen", "messages"]);
    assert_eq!(u.get("time"), Some(&Value::Int(h.ops[last].time as i64)));
    assert_eq!(
        u.get("unseen"),
        Some(&Value::Map(vec![(s("x"), Value::Int(1))]))
    );
    assert_eq!(
        u.get("messages"),
        Some(&Value::Map(vec![(
            s("x"),
            Value::List(vec![Value::Int(2)])
        )]))
    );
}

#[test]
fn duplicate_message_at_two_offsets() {
    let mut h = K::new();
    h.send(0, "x", 0, 1);
    h.poll(1, &[("x", &[(0, 1), (1, 1)])]);
    let r = h.check();
    assert!(error_types(&r).contains(&"duplicate".to_string()), "{r}");
    let d = errs(&r, "duplicate");
    assert_eq!(d.len(), 1);
    assert_eq!(keys(&d[0]), ["key", "value", "count", "offsets"]);
    assert_eq!(d[0].get("count"), Some(&Value::Int(2)));
    assert_eq!(
        d[0].get("offsets"),
        Some(&Value::Vector(vec![Value::Int(0), Value::Int(1)]))
    );
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
}

#[test]
fn offset_handed_out_twice_is_inconsistent() {
    let mut h = K::new();
    h.send(0, "x", 0, 1);
    h.send(1, "x", 0, 2);
    h.poll(2, &[("x", &[(0, 1)])]);
    let r = h.check();
    let types = error_types(&r);
    assert!(types.contains(&"inconsistent-offsets".to_string()), "{r}");
    let e = &errs(&r, "inconsistent-offsets")[0];
    assert_eq!(keys(e), ["key", "offset", "index", "values"]);
    assert_eq!(e.get("offset"), Some(&Value::Int(0)));
    assert_eq!(e.get("index"), Some(&Value::Int(0)));
    assert_eq!(
        e.get("values"),
        Some(&Value::Set(vec![Value::Int(1), Value::Int(2)]))
    );
    // 2 shares offset 0 with the polled 1 and nobody polled it: lost as well.
    assert!(types.contains(&"lost-write".to_string()));
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
}

#[test]
fn g1a_is_a_polled_failed_send() {
    let mut h = K::new();
    let w = h.send_unsure(0, "x", 1, OpType::Fail);
    let reader = h.poll(1, &[("x", &[(0, 1)])]);
    h.send(0, "y", 0, 1);
    h.poll(1, &[("y", &[(0, 1)])]);
    let r = h.check();
    assert_eq!(error_types(&r), ["G1a"], "{r}");
    let e = &errs(&r, "G1a")[0];
    assert_eq!(keys(e), ["key", "value", "writer", "reader"]);
    assert_eq!(op_index(e.get("writer").unwrap()), w as i64);
    assert_eq!(op_index(e.get("reader").unwrap()), reader as i64);
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
}

#[test]
fn info_send_proven_visible_is_not_lost_but_an_unpolled_one_is_fine() {
    let mut h = K::new();
    h.send_unsure(0, "x", 1, OpType::Info);
    h.with("error", kw("net-timeout"));
    h.send(1, "x", 1, 2);
    h.poll(2, &[("x", &[(0, 1), (1, 2)])]);
    h.send_unsure(3, "y", 7, OpType::Info);
    h.with("error", kw("net-timeout"));
    h.send(4, "y", 0, 8);
    h.poll(2, &[("y", &[(0, 8)])]);
    let r = h.check();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)), "{r}");
    assert_eq!(
        r.get("info-txn-causes"),
        Some(&Value::List(vec![kw("net-timeout")]))
    );
}

#[test]
fn txn_reading_its_own_send_is_a_precommitted_read() {
    let mut h = K::new();
    let inv = v(vec![
        v(vec![kw("send"), s("x"), Value::Int(1)]),
        v(vec![kw("poll")]),
    ]);
    let done = v(vec![
        v(vec![
            kw("send"),
            s("x"),
            v(vec![Value::Int(0), Value::Int(1)]),
        ]),
        v(vec![
            kw("poll"),
            Value::Map(vec![(
                s("x"),
                v(vec![v(vec![Value::Int(0), Value::Int(1)])]),
            )]),
        ]),
    ]);
    h.op(OpType::Invoke, 0, "txn", inv);
    let t = h.op(OpType::Ok, 0, "txn", done);
    h.poll(1, &[("x", &[(0, 1)])]);
    let r = h.check();
    assert_eq!(error_types(&r), ["precommitted-read"], "{r}");
    let e = &errs(&r, "precommitted-read")[0];
    assert_eq!(keys(e), ["op", "key", "value"]);
    assert_eq!(op_index(e.get("op").unwrap()), t as i64);
    // Jepsen keeps this one as a vector.
    assert!(matches!(
        r.get("precommitted-read").unwrap().get("errs"),
        Some(Value::Vector(_))
    ));
}
