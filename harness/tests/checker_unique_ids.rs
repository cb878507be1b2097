//! unique-ids checker on hand-made histories (MAELSTROM.md §6.2).

mod checker_support;

use checker_support::*;
use glomers_harness::checker::workload::{self, unique_ids};
use glomers_model::Value;

fn gen(h: &mut H, p: u64, id: Value) {
    let t = h.ops.len() as u64 * MS;
    h.invoke(t, p, "generate", Value::Nil);
    h.ok(t + 1, p, "generate", id);
}

#[test]
fn distinct_ids_are_valid_with_range() {
    let mut h = H::new();
    for id in [5, 3, 9, 1] {
        gen(&mut h, 0, Value::Int(id));
    }
    h.invoke(100 * MS, 1, "generate", Value::Nil);
    h.info(101 * MS, 1, "generate", Value::Nil);
    let r = unique_ids::check(&h.ops, &facts("unique-ids")).unwrap();
    assert_eq!(
        keys(&r),
        [
            "valid?",
            "attempted-count",
            "acknowledged-count",
            "duplicated-count",
            "duplicated",
            "range"
        ]
    );
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    assert_eq!(r.get("attempted-count"), Some(&Value::Int(5)));
    assert_eq!(r.get("acknowledged-count"), Some(&Value::Int(4)));
    assert_eq!(r.get("duplicated-count"), Some(&Value::Int(0)));
    assert_eq!(r.get("duplicated"), Some(&Value::Map(vec![])));
    assert_eq!(r.get("range"), Some(&ints(&[1, 9])));
}

#[test]
fn duplicates_are_counted() {
    let mut h = H::new();
    for id in ["b", "a", "b", "c", "b", "a"] {
        gen(&mut h, 0, s(id));
    }
    let r = unique_ids::check(&h.ops, &facts("unique-ids")).unwrap();
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
    assert_eq!(r.get("duplicated-count"), Some(&Value::Int(2)));
    assert_eq!(
        r.get("duplicated"),
        Some(&Value::Map(vec![
            (s("a"), Value::Int(2)),
            (s("b"), Value::Int(3))
        ]))
    );
    assert_eq!(r.get("range"), Some(&Value::Vector(vec![s("a"), s("c")])));
}

#[test]
fn duplicated_map_is_capped_at_48_most_frequent() {
    let mut h = H::new();
    // Ids 0..60 twice each, and ids 100..110 three times: the 10 triples come first, then
    // the largest pairs (ties go to larger ids).
    for id in 0..60 {
        gen(&mut h, 0, Value::Int(id));
        gen(&mut h, 0, Value::Int(id));
    }
    for id in 100..110 {
        for _ in 0..3 {
            gen(&mut h, 0, Value::Int(id));
        }
    }
    let r = unique_ids::check(&h.ops, &facts("unique-ids")).unwrap();
    assert_eq!(r.get("duplicated-count"), Some(&Value::Int(70)));
    let d = r.get("duplicated").unwrap().as_map().unwrap();
    assert_eq!(d.len(), 48);
    let listed: Vec<i64> = d.iter().map(|(k, _)| k.as_i64().unwrap()).collect();
    let want: Vec<i64> = (22..60).chain(100..110).collect();
    assert_eq!(listed, want);
}

#[test]
fn mixed_numbers_and_strings_are_unknown() {
    let mut h = H::new();
    gen(&mut h, 0, Value::Int(1));
    gen(&mut h, 0, s("1"));
    let r = workload::check(&h.ops, &facts("unique-ids"));
    assert_eq!(r.get("valid?"), Some(&kw("unknown")));
    assert!(r
        .get("error")
        .unwrap()
        .as_str()
        .unwrap()
        .contains("ClassCastException"));
}

#[test]
fn bigints_compare_numerically() {
    let mut h = H::new();
    gen(&mut h, 0, Value::BigInt("9223372036854775808".into()));
    gen(&mut h, 0, Value::Int(-3));
    gen(&mut h, 0, Value::Int(i64::MAX));
    let r = unique_ids::check(&h.ops, &facts("unique-ids")).unwrap();
    assert_eq!(
        r.get("range"),
        Some(&Value::Vector(vec![
            Value::Int(-3),
            Value::BigInt("9223372036854775808".into())
        ]))
    );
}

#[test]
fn no_acks_gives_nil_range() {
    let r = unique_ids::check(&[], &facts("unique-ids")).unwrap();
    assert_eq!(
        r.get("range"),
        Some(&Value::Vector(vec![Value::Nil, Value::Nil]))
    );
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
}
