//! g-counter / pn-counter checker on hand-made histories (MAELSTROM.md §6.5).

mod checker_support;

use checker_support::*;
use glomers_harness::checker::workload::{self, counter};
use glomers_model::Value;

fn final_read(h: &mut H, t: u64, p: u64, v: i64) {
    h.invoke(t, p, "read", Value::Nil);
    h.with("final?", Value::Bool(true));
    h.ok(t + MS, p, "read", Value::Int(v));
    h.with("final?", Value::Bool(true));
}

fn ranges(pairs: &[(i64, i64)]) -> Value {
    Value::List(
        pairs
            .iter()
            .map(|&(a, b)| Value::Vector(vec![Value::Int(a), Value::Int(b)]))
            .collect(),
    )
}

#[test]
fn exact_sum_is_valid() {
    let mut h = H::new();
    h.call(0, MS, 0, "add", Value::Int(3));
    h.call(2 * MS, 3 * MS, 1, "add", Value::Int(4));
    final_read(&mut h, 10 * MS, 0, 7);
    final_read(&mut h, 10 * MS, 1, 7);
    let r = counter::check(&h.ops, &facts("g-counter")).unwrap();
    assert_eq!(keys(&r), ["valid?", "errors", "final-reads", "acceptable"]);
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    assert_eq!(r.get("errors"), Some(&Value::Nil));
    assert_eq!(r.get("final-reads"), Some(&list_ints(&[7, 7])));
    assert_eq!(r.get("acceptable"), Some(&ranges(&[(7, 7)])));
}

#[test]
fn info_adds_widen_the_acceptable_set() {
    // No ok add, info 3, info 1 (a fail is ignored): {0} → {0,3} → {0,1,3,4} → [0 1] [3 4].
    let mut h = H::new();
    h.invoke(0, 0, "add", Value::Int(3));
    h.info(MS, 0, "add", Value::Int(3));
    h.invoke(2 * MS, 1, "add", Value::Int(1));
    h.info(3 * MS, 1, "add", Value::Int(1));
    h.invoke(4 * MS, 2, "add", Value::Int(2));
    h.fail(5 * MS, 2, "add", Value::Int(2)); // a failed add never happened
    final_read(&mut h, 10 * MS, 3, 4);
    final_read(&mut h, 10 * MS, 4, 1);
    let r = counter::check(&h.ops, &facts("g-counter")).unwrap();
    assert_eq!(r.get("acceptable"), Some(&ranges(&[(0, 1), (3, 4)])));
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));

    final_read(&mut h, 20 * MS, 5, 2);
    let r = counter::check(&h.ops, &facts("g-counter")).unwrap();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
    let errors = r.get("errors").unwrap().as_seq().unwrap();
    assert_eq!(errors.len(), 1);
    let bad = op_map(&errors[0]);
    assert_eq!(bad.get("value"), Some(&Value::Int(2)));
    assert_eq!(bad.get("final?"), Some(&Value::Bool(true)));
    assert_eq!(bad.get("type"), Some(&kw("ok")));
    assert_eq!(r.get("final-reads"), Some(&list_ints(&[4, 1, 2])));
}

#[test]
fn non_final_reads_are_ignored() {
    let mut h = H::new();
    h.call(0, MS, 0, "add", Value::Int(2));
    h.read(2 * MS, 3 * MS, 0, &[]); // wrong type, but not final
    h.invoke(4 * MS, 1, "read", Value::Nil);
    h.ok(5 * MS, 1, "read", Value::Int(-100)); // wrong value, not final
    final_read(&mut h, 10 * MS, 0, 2);
    let r = counter::check(&h.ops, &facts("pn-counter")).unwrap();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    assert_eq!(r.get("final-reads"), Some(&list_ints(&[2])));
}

#[test]
fn no_final_reads_is_valid() {
    let mut h = H::new();
    h.invoke(0, 0, "add", Value::Int(3));
    h.info(MS, 0, "add", Value::Int(3));
    let r = counter::check(&h.ops, &facts("g-counter")).unwrap();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    assert_eq!(r.get("errors"), Some(&Value::Nil));
    assert_eq!(r.get("final-reads"), Some(&Value::List(vec![])));
    assert_eq!(r.get("acceptable"), Some(&ranges(&[(0, 0), (3, 3)])));
}

#[test]
fn pn_counter_negative_deltas() {
    let mut h = H::new();
    h.call(0, MS, 0, "add", Value::Int(-5));
    h.call(0, MS, 1, "add", Value::Int(4));
    h.invoke(2 * MS, 2, "add", Value::Int(-3));
    h.info(3 * MS, 2, "add", Value::Int(-3));
    final_read(&mut h, 10 * MS, 0, -4);
    final_read(&mut h, 10 * MS, 1, -1);
    let r = workload::check(&h.ops, &facts("pn-counter"));
    assert_eq!(r.get("acceptable"), Some(&ranges(&[(-4, -4), (-1, -1)])));
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
}

#[test]
fn a_non_integer_final_read_makes_it_unknown() {
    let mut h = H::new();
    h.invoke(0, 0, "read", Value::Nil);
    h.ok(MS, 0, "read", Value::Float(1.0));
    h.with("final?", Value::Bool(true));
    let r = workload::check(&h.ops, &facts("g-counter"));
    assert_eq!(r.get("valid?"), Some(&kw("unknown")));
    assert!(r.get("error").is_some());
}
