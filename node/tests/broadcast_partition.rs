//! Partitions on the in-memory network (25 nodes, 100 ms latency, paused clock): a
//! cut-off node, a cut-off hub, majority splits, one-way cuts. Reads keep being answered,
//! no acknowledged value is lost, every node converges about a second after the heal,
//! and per-peer state stays bounded however long a peer is cut off.

mod broadcast_support;

use std::collections::HashSet;
use std::time::Duration;

use broadcast_support::{apply, broadcast, read, run_workload, Bench, Fault, Workload};
use glomers_node::challenge::broadcast::Profile;
use serde_json::{json, Value};

const PROFILES: [Profile; 2] = [Profile::Messages, Profile::Latency];

/// Broadcast values round-robin at 50/s for `ms`, checking reads stay answered.
async fn traffic(bench: &Bench, next: &mut u64, ms: u64, expected: &mut HashSet<Value>) {
    let mut c = bench.cluster.client();
    let n = bench.cluster.node_ids().len() as u64;
    let end = tokio::time::Instant::now() + Duration::from_millis(ms);
    while tokio::time::Instant::now() < end {
        let node = format!("n{}", *next % n);
        broadcast(&mut c, &node, json!(*next)).await;
        expected.insert(json!(*next));
        let held = read(&mut c, &node).await;
        assert!(
            held.contains(&json!(*next)),
            "a node reads its own acknowledged value"
        );
        *next += 1;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Apply `faults` for `partition_ms` of traffic, heal, optionally keep the traffic
/// going, and return how long after the heal every node held every value sent so far.
async fn heal_time(
    profile: Profile,
    faults: &[Fault],
    partition_ms: u64,
    busy_after: bool,
) -> Duration {
    let bench = Bench::with_profile(25, 100, profile).await;
    let (mut next, mut expected) = (0, HashSet::new());
    traffic(&bench, &mut next, 1_000, &mut expected).await;
    for f in faults {
        apply(&bench.cluster, f);
    }
    traffic(&bench, &mut next, partition_ms, &mut expected).await;
    bench.cluster.heal();
    let healed = tokio::time::Instant::now();
    if busy_after {
        let mut later = HashSet::new();
        let mut fut = std::pin::pin!(traffic(&bench, &mut next, 3_000, &mut later));
        // Poll convergence of the pre-heal values while traffic continues.
        loop {
            tokio::select! {
                _ = &mut fut => break,
                _ = tokio::time::sleep(Duration::from_millis(10)) => {
                    if bench.all_have(&expected) { break; }
                }
            }
        }
    }
    let took = match bench.converge(&expected, Duration::from_secs(20)).await {
        Some(_) => healed.elapsed(),
        None => panic!("{profile:?} {faults:?}: no convergence 20 s after the heal"),
    };
    let hub = bench.handlers[0].metrics();
    eprintln!(
        "{profile:?} {faults:?} busy_after={busy_after}: converged {} ms after heal; hub: {}",
        took.as_millis(),
        hub.summary()
    );
    took
}

fn all_but(skip: &[usize]) -> Vec<usize> {
    (0..25).filter(|i| !skip.contains(i)).collect()
}

async fn check_heal(faults: Vec<Fault>, limit_ms: u64) {
    for profile in PROFILES {
        for busy in [false, true] {
            let took = heal_time(profile, &faults, 5_000, busy).await;
            assert!(
                took <= Duration::from_millis(limit_ms),
                "{profile:?} {faults:?} busy={busy}: {} ms after heal",
                took.as_millis()
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn isolated_node_catches_up_after_heal() {
    check_heal(vec![Fault::Isolate(7)], 1_200).await;
}

#[tokio::test(start_paused = true)]
async fn isolated_hub_is_replaced_then_rejoins() {
    check_heal(vec![Fault::Isolate(0)], 1_200).await;
}

#[tokio::test(start_paused = true)]
async fn majority_split_with_hub_in_minority() {
    let minority: Vec<usize> = (0..12).collect();
    check_heal(
        vec![Fault::Partition(vec![minority, (12..25).collect()])],
        1_200,
    )
    .await;
}

#[tokio::test(start_paused = true)]
async fn one_way_cuts() {
    // n7 hears nobody; n9 is heard by nobody; n0 cannot reach n3.
    let mut faults: Vec<Fault> = all_but(&[7])
        .into_iter()
        .map(|q| Fault::Block(q, 7))
        .collect();
    faults.extend(all_but(&[9]).into_iter().map(|q| Fault::Block(9, q)));
    faults.push(Fault::Block(0, 3));
    check_heal(faults, 1_200).await;
}

#[tokio::test(start_paused = true)]
async fn workload_with_partitions_loses_nothing() {
    for profile in PROFILES {
        let bench = Bench::with_profile(25, 100, profile).await;
        let mut w = Workload::new(100.0, 20, 7);
        w.faults = vec![
            (0, Fault::Isolate(0)),
            (4_000, Fault::Heal),
            (
                5_000,
                Fault::Partition(vec![(0..12).collect(), (12..25).collect()]),
            ),
            (9_000, Fault::Heal),
            (
                10_000,
                Fault::Partition(vec![vec![3, 17], all_but(&[3, 17])]),
            ),
            (14_000, Fault::Heal),
            (15_000, Fault::Block(0, 5)),
            (15_000, Fault::Block(6, 0)),
        ];
        let out = run_workload(&bench, &w).await;
        eprintln!("{profile:?} with partitions: {out:?}");
        let mut total = glomers_node::challenge::broadcast::metrics::Metrics::default();
        for h in &bench.handlers {
            total.merge(&h.metrics());
        }
        eprintln!("  all nodes: {}", total.summary());
        assert!(out.lost.is_empty(), "{profile:?} lost {:?}", out.lost);
        assert_eq!(out.never_read, 0);
    }
}

#[tokio::test(start_paused = true)]
async fn state_stays_bounded_while_a_peer_is_cut_off() {
    for profile in PROFILES {
        let bench = Bench::with_profile(25, 100, profile).await;
        let (mut next, mut expected) = (0, HashSet::new());
        bench.cluster.isolate("n7");
        // A simulated minute of traffic (3000 values) while n7 is cut off; the state kept
        // about peers must not grow after the first half.
        traffic(&bench, &mut next, 30_000, &mut expected).await;
        let early: Vec<_> = bench.handlers.iter().map(|h| h.footprint()).collect();
        traffic(&bench, &mut next, 30_000, &mut expected).await;
        for (i, h) in bench.handlers.iter().enumerate() {
            let f = h.footprint();
            // At most MAX_INFLIGHT + 1 id sets per peer, each about one range per origin.
            assert!(
                f.max_peer_ranges <= 9 * 25 && f.inflight_records <= 24 * 8,
                "{profile:?} n{i}: {f:?}"
            );
            // No growth beyond the churn of in-flight records.
            assert!(
                f.peer_ranges <= early[i].peer_ranges + 9 * 25,
                "{profile:?} n{i}: {:?} -> {f:?}",
                early[i]
            );
        }
        bench.cluster.heal();
        let took = bench.converge(&expected, Duration::from_secs(10)).await;
        eprintln!("{profile:?}: 3000 values, n7 cut off 60 s, converged {took:?} after heal");
        assert!(
            took.is_some_and(|t| t <= Duration::from_millis(1_500)),
            "{took:?}"
        );
    }
}
