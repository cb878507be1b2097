//! set-full (broadcast, g-set) on hand-made histories: MAELSTROM.md §6.3/§6.4 edge cases.

mod checker_support;

use checker_support::*;
use glomers_harness::checker::workload::{self, set_full};
use glomers_model::Value;

/// The scenario of MAELSTROM.md §6.3 in one history; `add` is the add op's `:f`.
/// 0: stable, never missed.  1: stable but stale (6 ms).  2: lost (7 ms).
/// 3: never-read (info add, never seen).  4: never-read (only read that missed it was
/// invoked before the add completed).  99: read but never added (ignored).
fn scenario(add: &str) -> H {
    let mut h = H::new();
    h.call(MS, 2 * MS, 0, add, Value::Int(0)); // 0,1
    h.call(3 * MS, 4 * MS, 0, add, Value::Int(1)); // 2,3 known 1 @ 4ms
    h.read(10 * MS, 11 * MS, 1, &[0]); // 4,5: 1 absent (last-absent = invoke @ 10ms)
    h.read(20 * MS, 21 * MS, 1, &[0, 1]); // 6,7
    h.call(22 * MS, 23 * MS, 0, add, Value::Int(2)); // 8,9 known 2 @ 23ms
    h.read(30 * MS, 31 * MS, 1, &[0, 1, 2]); // 10,11: 2 present (invoke @ 30ms)
    h.read(40 * MS, 41 * MS, 2, &[0, 1]); // 12,13: 2 absent afterwards → lost
    h.invoke(42 * MS, 0, add, Value::Int(3)); // 14
    h.info(43 * MS, 0, add, Value::Int(3)); // 15
    h.invoke(50 * MS, 3, "read", Value::Nil); // 16: read begins before add 4 completes
    h.call(51 * MS, 52 * MS, 4, add, Value::Int(4)); // 17,18
    h.ok(53 * MS, 3, "read", ints(&[0, 1, 99])); // 19
    h
}

fn check_g_set(h: &H) -> Value {
    set_full::check_g_set(&h.ops, &facts("g-set")).unwrap()
}

#[test]
fn outcomes_stable_stale_lost_never_read() {
    let r = check_g_set(&scenario("add"));
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
    assert_eq!(r.get("attempt-count"), Some(&Value::Int(5)));
    assert_eq!(r.get("stable-count"), Some(&Value::Int(2)));
    assert_eq!(r.get("lost-count"), Some(&Value::Int(1)));
    assert_eq!(r.get("lost"), Some(&list_ints(&[2])));
    assert_eq!(r.get("never-read-count"), Some(&Value::Int(2)));
    assert_eq!(r.get("never-read"), Some(&list_ints(&[3, 4])));
    assert_eq!(r.get("stale-count"), Some(&Value::Int(1)));
    assert_eq!(r.get("stale"), Some(&list_ints(&[1])));
    // stable latencies [0 6]: q0 → index 0, every other q → index 1.
    let stable = r.get("stable-latencies").unwrap();
    assert_eq!(
        stable,
        &Value::Map(vec![
            (Value::Int(0), Value::Int(0)),
            (Value::Float(0.5), Value::Int(6)),
            (Value::Float(0.95), Value::Int(6)),
            (Value::Float(0.99), Value::Int(6)),
            (Value::Int(1), Value::Int(6)),
        ])
    );
    // lost latency: last-present invoke (30 ms) + 1 ns − known (23 ms) → 7 ms.
    let lost = r.get("lost-latencies").unwrap();
    assert_eq!(lost.get_value(&Value::Int(1)), Some(&Value::Int(7)));
    assert_eq!(r.get("duplicated-count"), Some(&Value::Int(0)));
    assert_eq!(r.get("duplicated"), Some(&Value::Map(vec![])));
}

#[test]
fn worst_stale_records_known_and_last_absent_ops() {
    let r = check_g_set(&scenario("add"));
    let worst = r.get("worst-stale").unwrap().as_seq().unwrap();
    assert_eq!(worst.len(), 1);
    let w = &worst[0];
    assert_eq!(
        keys(w),
        [
            "element",
            "outcome",
            "stable-latency",
            "lost-latency",
            "known",
            "last-absent"
        ]
    );
    assert_eq!(w.get("element"), Some(&Value::Int(1)));
    assert_eq!(w.get("outcome"), Some(&kw("stable")));
    assert_eq!(w.get("stable-latency"), Some(&Value::Int(6)));
    assert_eq!(w.get("lost-latency"), Some(&Value::Nil));
    let known = op_map(w.get("known").unwrap());
    assert_eq!(
        keys(known),
        ["index", "time", "type", "process", "f", "value"]
    );
    assert_eq!(known.get("index"), Some(&Value::Int(3)));
    assert_eq!(known.get("type"), Some(&kw("ok")));
    let absent = op_map(w.get("last-absent").unwrap());
    assert_eq!(absent.get("index"), Some(&Value::Int(4)));
    assert_eq!(absent.get("type"), Some(&kw("invoke")));
    assert_eq!(absent.get("f"), Some(&kw("read")));
    assert_eq!(absent.get("time"), Some(&Value::Int(10 * MS as i64)));
}

#[test]
fn broadcast_is_renamed_to_add() {
    let h = scenario("broadcast");
    let r = set_full::check_broadcast(&h.ops, &facts("broadcast")).unwrap();
    let g = check_g_set(&scenario("add"));
    assert_eq!(r, g, "broadcast must behave exactly like g-set with :add");
    let w = &r.get("worst-stale").unwrap().as_seq().unwrap()[0];
    assert_eq!(op_map(w.get("known").unwrap()).get("f"), Some(&kw("add")));
    // Through the registry as well.
    let via = workload::check(&h.ops, &facts("broadcast"));
    assert_eq!(via, r);
}

#[test]
fn result_keys_in_maelstrom_order() {
    let r = check_g_set(&scenario("add"));
    assert_eq!(
        keys(&r),
        [
            "worst-stale",
            "duplicated-count",
            "valid?",
            "lost-count",
            "lost",
            "stable-count",
            "stale-count",
            "stale",
            "never-read-count",
            "stable-latencies",
            "attempt-count",
            "lost-latencies",
            "never-read",
            "duplicated"
        ]
    );
    // Without lost elements there is no :lost-latencies key.
    let mut h = H::new();
    h.call(0, MS, 0, "add", Value::Int(0));
    h.read(2 * MS, 3 * MS, 1, &[0]);
    let r = check_g_set(&h);
    assert!(r.get("lost-latencies").is_none());
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    assert_eq!(r.get("worst-stale"), Some(&Value::List(vec![])));
}

#[test]
fn stable_latency_is_last_absent_invoke_plus_1ns_minus_known() {
    for (absent_at, want) in [(12_999_999u64, 3i64), (12_999_998, 2), (9_000_000, 0)] {
        let mut h = H::new();
        h.invoke(5 * MS, 0, "add", Value::Int(7));
        h.invoke(absent_at, 1, "read", Value::Nil);
        h.ok(10 * MS, 0, "add", Value::Int(7)); // known @ 10 ms
        h.ok(13 * MS, 1, "read", ints(&[]));
        h.read(20 * MS, 21 * MS, 1, &[7]);
        // The read that missed 7 began at `absent_at`; if it began before 7 was known the
        // latency clamps to 0 and the element is not stale.
        let r = check_g_set(&h);
        assert_eq!(r.get("stable-count"), Some(&Value::Int(1)));
        let lat = r.get("stable-latencies").unwrap();
        assert_eq!(
            lat.get_value(&Value::Int(1)),
            Some(&Value::Int(want)),
            "absent at {absent_at}"
        );
        let stale = if want > 0 {
            list_ints(&[7])
        } else {
            list_ints(&[])
        };
        assert_eq!(r.get("stale"), Some(&stale));
    }
}

#[test]
fn known_by_first_read_when_the_add_never_completes() {
    // An add that times out (:info) is known from the first ok read containing it.
    let mut h = H::new();
    h.invoke(0, 0, "add", Value::Int(5));
    let (_, c) = h.read(MS, 2 * MS, 1, &[5]);
    h.info(3 * MS, 0, "add", Value::Int(5));
    h.read(4 * MS, 5 * MS, 1, &[]); // then missing
    let r = check_g_set(&h);
    assert_eq!(r.get("lost"), Some(&list_ints(&[5])));
    // lost latency = last-present invoke (1 ms) + 1 ns − known (read completion at 2 ms) → 0.
    let lost = r.get("lost-latencies").unwrap();
    assert_eq!(lost.get_value(&Value::Int(0)), Some(&Value::Int(0)));
    assert_eq!(c, 2);
}

#[test]
fn quantile_index_rule() {
    assert_eq!(set_full::quantile_index(10, 0.5), 5);
    assert_eq!(set_full::quantile_index(10, 0.95), 9);
    assert_eq!(set_full::quantile_index(10, 1.0), 9);
    assert_eq!(set_full::quantile_index(20, 0.95), 19);
    assert_eq!(set_full::quantile_index(200, 0.95), 190);
    assert_eq!(set_full::quantile_index(200, 0.99), 198);
    assert_eq!(set_full::quantile_index(1, 0.5), 0);
    let d = set_full::frequency_distribution(&[9, 3, 1, 7, 5, 0, 2, 8, 4, 6]).unwrap();
    assert_eq!(
        d,
        Value::Map(vec![
            (Value::Int(0), Value::Int(0)),
            (Value::Float(0.5), Value::Int(5)),
            (Value::Float(0.95), Value::Int(9)),
            (Value::Float(0.99), Value::Int(9)),
            (Value::Int(1), Value::Int(9)),
        ])
    );
    assert!(set_full::frequency_distribution(&[]).is_none());
}

#[test]
fn unknown_without_any_stable_element() {
    let r = check_g_set(&H::new());
    assert_eq!(r.get("valid?"), Some(&kw("unknown")));
    assert_eq!(r.get("attempt-count"), Some(&Value::Int(0)));
    assert!(r.get("stable-latencies").is_none());

    // Adds but no reads (a 1-node broadcast run without reads): never-read → :unknown.
    let mut h = H::new();
    h.call(0, MS, 0, "add", Value::Int(0));
    h.call(2 * MS, 3 * MS, 0, "add", Value::Int(1));
    let r = check_g_set(&h);
    assert_eq!(r.get("valid?"), Some(&kw("unknown")));
    assert_eq!(r.get("never-read"), Some(&list_ints(&[0, 1])));
}

#[test]
fn elements_never_added_are_ignored_and_duplicates_not_reported() {
    let mut h = H::new();
    h.call(0, MS, 0, "add", Value::Int(1));
    h.read(2 * MS, 3 * MS, 1, &[1, 1, 42, 42, 1000]);
    let r = check_g_set(&h);
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
    assert_eq!(r.get("attempt-count"), Some(&Value::Int(1)));
    assert_eq!(r.get("duplicated-count"), Some(&Value::Int(0)));
    assert_eq!(r.get("duplicated"), Some(&Value::Map(vec![])));
}

#[test]
fn failed_and_info_reads_do_not_count() {
    let mut h = H::new();
    h.call(0, MS, 0, "add", Value::Int(1));
    h.read(2 * MS, 3 * MS, 1, &[1]);
    h.invoke(4 * MS, 1, "read", Value::Nil);
    h.fail(5 * MS, 1, "read", Value::Nil);
    h.invoke(6 * MS, 2, "read", Value::Nil);
    h.info(7 * MS, 2, "read", Value::Nil);
    let r = check_g_set(&h);
    assert_eq!(r.get("stable-count"), Some(&Value::Int(1)));
    assert_eq!(r.get("stale-count"), Some(&Value::Int(0)));
}

#[test]
fn final_reads_are_ordinary_reads() {
    // broadcast's final reads carry :final? true, g-set's do not: both are plain reads.
    for final_flag in [true, false] {
        let mut h = H::new();
        h.call(0, MS, 0, "add", Value::Int(1));
        h.invoke(2 * MS, 1, "read", Value::Nil);
        if final_flag {
            h.with("final?", Value::Bool(true));
        }
        h.ok(3 * MS, 1, "read", ints(&[]));
        if final_flag {
            h.with("final?", Value::Bool(true));
        }
        let r = check_g_set(&h);
        assert_eq!(r.get("lost"), Some(&list_ints(&[1])), "final? {final_flag}");
        let w = r.get("lost-latencies").unwrap();
        assert_eq!(w.get_value(&Value::Int(0)), Some(&Value::Int(0)));
    }
}

#[test]
fn nemesis_ops_are_skipped_and_other_fs_make_it_unknown() {
    let mut h = H::new();
    h.nemesis(0, "start-partition", kw("majority"));
    h.call(0, MS, 0, "add", Value::Int(1));
    h.read(2 * MS, 3 * MS, 1, &[1]);
    let r = check_g_set(&h);
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));

    h.call(4 * MS, 5 * MS, 0, "frobnicate", Value::Nil);
    let r = workload::check(&h.ops, &facts("g-set"));
    assert_eq!(r.get("valid?"), Some(&kw("unknown")));
    assert!(r.get("error").is_some());
}

#[test]
fn worst_stale_is_capped_at_8_highest_latencies() {
    let mut h = H::new();
    for e in 0..12i64 {
        h.call(0, MS, 0, "add", Value::Int(e));
    }
    // Element e is missed by a read beginning at (1 + e) ms, then seen.
    for e in 0..12i64 {
        let t = (1 + e as u64) * MS + 500_000;
        let present: Vec<i64> = (0..12).filter(|x| *x < e).collect();
        h.read(t, t + 1, 1, &present);
    }
    h.read(100 * MS, 101 * MS, 1, &(0..12).collect::<Vec<_>>());
    let r = check_g_set(&h);
    let worst = r.get("worst-stale").unwrap().as_seq().unwrap();
    let elems: Vec<i64> = worst
        .iter()
        .map(|w| w.get("element").unwrap().as_i64().unwrap())
        .collect();
    assert_eq!(elems, [11, 10, 9, 8, 7, 6, 5, 4]);
    // Element 0 was missed only 0.5 ms after it was known: truncated to 0 ms, not stale.
    assert_eq!(r.get("stale-count"), Some(&Value::Int(11)));
}
