//! The broadcast node over the in-memory network: fly.io's 3a and 3b shapes in both
//! profiles, closed reply schemas, any JSON as a value, and acknowledgement before
//! propagation.

mod broadcast_support;

use std::collections::HashSet;
use std::time::Duration;

use broadcast_support::{broadcast, read, run_workload, Bench, Workload};
use glomers_node::challenge::broadcast::Profile;
use serde_json::{json, Value};
use tokio::time::Instant;

const PROFILES: [Profile; 2] = [Profile::Messages, Profile::Latency];

#[tokio::test(start_paused = true)]
async fn single_node_3a_sends_nothing_and_reads_everything() {
    for profile in PROFILES {
        let bench = Bench::with_profile(1, 0, profile).await;
        let out = run_workload(&bench, &Workload::new(10.0, 20, 3)).await;
        assert!(out.lost.is_empty() && out.never_read == 0, "{out:?}");
        assert_eq!(out.server_msgs, 0);
        assert_eq!(out.stable[4], 0, "a single node is never stale");
    }
}

#[tokio::test(start_paused = true)]
async fn five_nodes_3b_converge_in_both_profiles() {
    for profile in PROFILES {
        let bench = Bench::with_profile(5, 0, profile).await;
        let out = run_workload(&bench, &Workload::new(10.0, 20, 4)).await;
        eprintln!("{profile:?}: {out:?}");
        assert!(out.lost.is_empty() && out.never_read == 0, "{out:?}");
        let all: HashSet<Value> = bench.handlers[0].messages().into_iter().collect();
        assert_eq!(all.len(), out.broadcasts);
        assert!(bench.all_hold(&all), "every node ends with every value");
    }
}

#[tokio::test(start_paused = true)]
async fn any_json_value_is_carried_and_deduplicated() {
    for profile in PROFILES {
        let bench = Bench::with_profile(5, 10, profile).await;
        let values = [
            json!(0),
            json!(-3),
            json!(2.5),
            json!(1.0),
            json!(1),
            json!("1"),
            json!(null),
            json!(true),
            json!([1, [2, {"x": null}]]),
            json!({"b": 1, "a": [1, 2]}),
            json!(u64::MAX),
        ];
        let mut c = bench.cluster.client();
        for (i, v) in values.iter().enumerate() {
            broadcast(&mut c, &format!("n{}", i % 5), v.clone()).await;
        }
        // The same values again, at other nodes and with object keys reordered: no new entries.
        broadcast(&mut c, "n4", json!({"a": [1, 2], "b": 1})).await;
        broadcast(&mut c, "n3", json!(-3)).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        let expected: HashSet<Value> = values.iter().cloned().collect();
        assert!(bench
            .converge(&expected, Duration::from_secs(3))
            .await
            .is_some());
        for i in 0..5 {
            let got = read(&mut c, &format!("n{i}")).await;
            assert_eq!(got.len(), values.len(), "{profile:?} n{i}: {got:?}");
            assert_eq!(got.into_iter().collect::<HashSet<_>>(), expected);
        }
    }
}

#[tokio::test(start_paused = true)]
async fn replies_carry_exactly_the_declared_fields() {
    let bench = Bench::with_profile(3, 10, Profile::Messages).await;
    let mut c = bench.cluster.client();
    let r = c
        .rpc("n1", json!({"type": "broadcast", "message": 42}))
        .await
        .unwrap();
    assert_eq!(r, json!({"type": "broadcast_ok", "in_reply_to": 1}));
    let r = c.rpc("n1", json!({"type": "read"})).await.unwrap();
    assert_eq!(
        r,
        json!({"type": "read_ok", "messages": [42], "in_reply_to": 2})
    );
    let r = c
        .rpc(
            "n2",
            json!({"type": "topology", "topology": {"n0": ["n1"]}}),
        )
        .await
        .unwrap();
    assert_eq!(r, json!({"type": "topology_ok", "in_reply_to": 3}));
    // Unknown requests get a definite error, not silence.
    let r = c.rpc("n2", json!({"type": "frobnicate"})).await.unwrap();
    assert_eq!(r["type"], "error");
    assert_eq!(r["code"], 10);
}

#[tokio::test(start_paused = true)]
async fn broadcast_is_acknowledged_before_it_travels() {
    for profile in PROFILES {
        let bench = Bench::with_profile(5, 100, profile).await;
        let mut c = bench.cluster.client();
        let before = bench.cluster.stats().server_msgs;
        let t0 = Instant::now();
        broadcast(&mut c, "n3", json!("hello")).await;
        assert_eq!(
            t0.elapsed(),
            Duration::ZERO,
            "{profile:?}: the ack waits for nothing"
        );
        assert_eq!(read(&mut c, "n3").await, vec![json!("hello")]);
        assert!(read(&mut c, "n4").await.is_empty(), "not yet propagated");
        let hello: HashSet<Value> = [json!("hello")].into_iter().collect();
        let took = bench
            .converge(&hello, Duration::from_secs(5))
            .await
            .expect("converges");
        // One hop in the latency profile; forward + batch wait + hop in the message profile.
        let limit = match profile {
            Profile::Latency => 100,
            Profile::Messages => 100 + 330 + 100,
        };
        assert!(
            took <= Duration::from_millis(limit + 20),
            "{profile:?}: {took:?}"
        );
        // Even a cut-off node acknowledges at once and keeps answering reads; what it
        // sent meanwhile is lost, and goes out again about a second later.
        bench.cluster.isolate("n2");
        let t1 = Instant::now();
        broadcast(&mut c, "n2", json!("cut")).await;
        assert_eq!(t1.elapsed(), Duration::ZERO);
        assert_eq!(read(&mut c, "n2").await.len(), 2);
        bench.cluster.heal();
        let all: HashSet<Value> = [json!("hello"), json!("cut")].into_iter().collect();
        let took = bench
            .converge(&all, Duration::from_secs(5))
            .await
            .expect("converges");
        assert!(
            took <= Duration::from_millis(2_000),
            "{profile:?}: {took:?}"
        );
        assert!(bench.cluster.stats().server_msgs > before);
    }
}

#[tokio::test(start_paused = true)]
async fn quiet_cluster_sends_nothing() {
    for profile in PROFILES {
        let bench = Bench::with_profile(25, 100, profile).await;
        let mut c = bench.cluster.client();
        for i in 0..50u64 {
            broadcast(&mut c, &format!("n{}", i % 25), json!(i)).await;
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
        let settled = bench.cluster.stats().server_msgs;
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(
            bench.cluster.stats().server_msgs,
            settled,
            "{profile:?}: no news, no messages"
        );
    }
}
