//! Service semantics (MAELSTROM.md §7): lin-kv, seq-kv's bounded staleness, lww-kv's two
//! non-converging replicas, lin-tso.

use glomers_harness::services::kv::KvMap;
use glomers_harness::services::lww_kv::LwwKv;
use glomers_harness::services::seq_kv::SeqKv;
use glomers_harness::services::tso::Tso;
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};

fn lin(m: &mut KvMap, body: Value) -> Value {
    let p = m.plan(&body, true).expect("known type");
    m.apply(&p);
    p.reply().clone()
}

#[test]
fn lin_kv_read_write_cas() {
    let mut m = KvMap::default();
    assert_eq!(lin(&mut m, json!({"type": "read", "key": "a"}))["code"], 20);
    assert_eq!(
        lin(&mut m, json!({"type": "write", "key": "a", "value": 1}))["type"],
        "write_ok"
    );
    assert_eq!(
        lin(&mut m, json!({"type": "read", "key": "a"})),
        json!({"type": "read_ok", "value": 1})
    );
    let e = lin(
        &mut m,
        json!({"type": "cas", "key": "a", "from": 2, "to": 3}),
    );
    assert_eq!(e["code"], 22);
    assert_eq!(e["text"], "current value 1 is not 2");
    assert_eq!(
        lin(
            &mut m,
            json!({"type": "cas", "key": "a", "from": 1, "to": 3})
        )["type"],
        "cas_ok"
    );
    assert_eq!(
        lin(
            &mut m,
            json!({"type": "cas", "key": "b", "from": 0, "to": 1})
        )["code"],
        20
    );
    let r = lin(
        &mut m,
        json!({"type": "cas", "key": "b", "from": 0, "to": 1, "create_if_not_exists": true}),
    );
    assert_eq!(r["type"], "cas_ok");
    assert_eq!(lin(&mut m, json!({"type": "read", "key": "b"}))["value"], 1);
    // Keys compare by JSON equality: 1, "1" and 1.0 differ.
    lin(&mut m, json!({"type": "write", "key": 1, "value": "int"}));
    assert_eq!(lin(&mut m, json!({"type": "read", "key": "1"}))["code"], 20);
    assert_eq!(lin(&mut m, json!({"type": "read", "key": 1.0}))["code"], 20);
    assert!(m.plan(&json!({"type": "frob"}), true).is_err());
}

fn read(s: &mut SeqKv, who: &str) -> Value {
    s.handle(who, &json!({"type": "read", "key": "k"})).unwrap()
}

#[test]
fn seq_kv_serves_stale_reads() {
    // A caller that has seen nothing can be served any retained state.
    let mut stale_seen = false;
    for seed in 0..50 {
        let mut s = SeqKv::new(StdRng::seed_from_u64(seed));
        for v in 0..10 {
            s.handle("writer", &json!({"type": "write", "key": "k", "value": v}))
                .unwrap();
        }
        let r = read(&mut s, "reader");
        if r.get("value") != Some(&json!(9)) {
            stale_seen = true;
        }
    }
    assert!(
        stale_seen,
        "a fresh caller should sometimes read a stale value"
    );
}

#[test]
fn seq_kv_mutation_brings_caller_up_to_date_and_reads_are_monotonic() {
    for seed in 0..50 {
        let mut s = SeqKv::new(StdRng::seed_from_u64(seed));
        for v in 0..10 {
            s.handle("other", &json!({"type": "write", "key": "k", "value": v}))
                .unwrap();
        }
        // A write by "me" runs on the latest state and moves me there.
        s.handle("me", &json!({"type": "write", "key": "mine", "value": 1}))
            .unwrap();
        assert_eq!(read(&mut s, "me")["value"], 9, "seed {seed}");
        // The writer itself always reads its own latest write.
        assert_eq!(read(&mut s, "other")["value"], 9);
    }
    // Monotonic per caller: once a value is observed, no older value is seen again.
    let mut s = SeqKv::new(StdRng::seed_from_u64(7));
    for v in 0..20 {
        s.handle("w", &json!({"type": "write", "key": "k", "value": v}))
            .unwrap();
    }
    let mut last = -1;
    for _ in 0..100 {
        if let Some(v) = read(&mut s, "r").get("value").and_then(Value::as_i64) {
            assert!(v >= last);
            last = v;
        }
    }
}

#[test]
fn seq_kv_failed_cas_on_stale_state() {
    // A cas whose `from` matches the latest value can fail against a stale state, and a
    // failed cas does not bring the caller up to date.
    let mut failed_stale = false;
    for seed in 0..100 {
        let mut s = SeqKv::new(StdRng::seed_from_u64(seed));
        for v in 0..10 {
            s.handle("w", &json!({"type": "write", "key": "k", "value": v}))
                .unwrap();
        }
        let r = s
            .handle(
                "me",
                &json!({"type": "cas", "key": "k", "from": 9, "to": 10}),
            )
            .unwrap();
        if r["type"] == "error" {
            assert!(r["code"] == 22 || r["code"] == 20, "{r}");
            failed_stale = true;
        } else {
            assert_eq!(r["type"], "cas_ok");
            assert_eq!(read(&mut s, "me")["value"], 10);
        }
    }
    assert!(
        failed_stale,
        "a cas against a stale state should sometimes fail"
    );
}

#[test]
fn seq_kv_naive_counter_can_lose_updates() {
    // read-then-cas counters retry until cas_ok; a stale read of the counter makes the
    // final read stale for some caller (what challenge 4 warns about).
    let mut stale_final = false;
    for seed in 0..30 {
        let mut s = SeqKv::new(StdRng::seed_from_u64(seed));
        let callers = ["n0", "n1", "n2"];
        for i in 0..30 {
            let me = callers[i % 3];
            loop {
                let cur = s.handle(me, &json!({"type": "read", "key": "c"})).unwrap();
                let cur = cur.get("value").and_then(Value::as_i64).unwrap_or(0);
                let r = s
                    .handle(me, &json!({"type": "cas", "key": "c", "from": cur, "to": cur + 1, "create_if_not_exists": true}))
                    .unwrap();
                if r["type"] == "cas_ok" {
                    break;
                }
            }
        }
        for me in callers {
            let v = s.handle(me, &json!({"type": "read", "key": "c"})).unwrap();
            if v["value"] != 30 {
                stale_final = true;
            }
        }
    }
    assert!(stale_final);
}

#[test]
fn lww_kv_replicas_never_converge() {
    let mut s = LwwKv::new(StdRng::seed_from_u64(1));
    s.handle_on(0, &json!({"type": "write", "key": "k", "value": "a"}))
        .unwrap();
    assert_eq!(
        s.handle_on(1, &json!({"type": "read", "key": "k"}))
            .unwrap()["code"],
        20
    );
    s.handle_on(1, &json!({"type": "write", "key": "k", "value": "b"}))
        .unwrap();
    assert_eq!(
        s.handle_on(0, &json!({"type": "read", "key": "k"}))
            .unwrap()["value"],
        "a"
    );
    // create_if_not_exists is ignored.
    let r = s.handle_on(
        0,
        &json!({"type": "cas", "key": "z", "from": 0, "to": 1, "create_if_not_exists": true}),
    );
    assert_eq!(r.unwrap()["code"], 20);
    // Random routing: reads disagree.
    let values: std::collections::HashSet<String> = (0..50)
        .map(|_| s.handle(&json!({"type": "read", "key": "k"})).unwrap()["value"].to_string())
        .collect();
    assert_eq!(values.len(), 2);
}

#[test]
fn lin_tso_counts_from_zero() {
    let mut t = Tso::default();
    for i in 0..3 {
        assert_eq!(
            t.handle(&json!({"type": "ts"})).unwrap(),
            json!({"type": "ts_ok", "ts": i})
        );
    }
    assert!(t.handle(&json!({"type": "read"})).is_err());
}
