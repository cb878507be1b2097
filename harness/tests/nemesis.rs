//! Partition grudges (MAELSTROM.md §5.3) and their effect on the network.

use std::collections::HashSet;
use std::sync::Arc;

use glomers_harness::cli::LatencyDist;
use glomers_harness::latency::Latency;
use glomers_harness::log::Log;
use glomers_harness::nemesis::{grudge, to_edn, to_map, OrderedGrudge, Spec};
use glomers_harness::net::Net;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn nodes(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("n{i}")).collect()
}

fn dropped(g: &OrderedGrudge, node: &str) -> HashSet<String> {
    g.iter()
        .find(|(k, _)| k == node)
        .map(|(_, v)| v.iter().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn one_isolates_a_single_node_both_ways() {
    for seed in 0..20 {
        let ns = nodes(5);
        let g = grudge(Spec::One, &ns, &mut StdRng::seed_from_u64(seed));
        let lonely: Vec<&String> = ns.iter().filter(|n| dropped(&g, n).len() == 4).collect();
        assert_eq!(lonely.len(), 1, "{g:?}");
        for n in ns.iter().filter(|n| *n != lonely[0]) {
            assert_eq!(dropped(&g, n), HashSet::from([lonely[0].clone()]));
        }
    }
}

#[test]
fn majority_splits_smaller_half_first() {
    for n in [2usize, 3, 5, 6] {
        let ns = nodes(n);
        let g = grudge(Spec::Majority, &ns, &mut StdRng::seed_from_u64(n as u64));
        // The first floor(n/2) entries form the minority and drop the majority.
        let minority: HashSet<String> = g[..n / 2].iter().map(|(k, _)| k.clone()).collect();
        for (node, drops) in &g {
            let d: HashSet<String> = drops.iter().cloned().collect();
            if minority.contains(node) {
                assert_eq!(d.len(), n - n / 2);
                assert!(d.is_disjoint(&minority));
            } else {
                assert_eq!(d, minority);
            }
        }
    }
}

#[test]
fn minority_third_is_a_no_op_for_three_or_fewer() {
    for n in 1..=3 {
        let g = grudge(
            Spec::MinorityThird,
            &nodes(n),
            &mut StdRng::seed_from_u64(1),
        );
        assert!(g.iter().all(|(_, d)| d.is_empty()), "{g:?}");
    }
    let g = grudge(
        Spec::MinorityThird,
        &nodes(7),
        &mut StdRng::seed_from_u64(1),
    );
    let cut: Vec<_> = g.iter().filter(|(_, d)| d.len() == 5).collect();
    assert_eq!(cut.len(), 2, "floor((7-1)/3) = 2 nodes are cut off: {g:?}");
}

#[test]
fn majorities_ring_small_cases() {
    let g = grudge(
        Spec::MajoritiesRing,
        &nodes(2),
        &mut StdRng::seed_from_u64(3),
    );
    assert!(g.iter().all(|(_, d)| d.is_empty()));

    // n = 3: a one-way ring, each node refuses exactly one peer.
    let g = grudge(
        Spec::MajoritiesRing,
        &nodes(3),
        &mut StdRng::seed_from_u64(3),
    );
    for (node, d) in &g {
        assert_eq!(d.len(), 1);
        let peer = &d[0];
        assert!(!dropped(&g, peer).contains(node), "cuts are one-way: {g:?}");
    }
    let targets: HashSet<&String> = g.iter().map(|(_, d)| &d[0]).collect();
    assert_eq!(targets.len(), 3);

    // n = 5: each node keeps a majority (itself and 2 others) and drops 2.
    let g = grudge(
        Spec::MajoritiesRing,
        &nodes(5),
        &mut StdRng::seed_from_u64(3),
    );
    assert_eq!(g.len(), 5);
    assert!(g.iter().all(|(n, d)| d.len() == 2 && !d.contains(n)));
}

#[test]
fn grudges_print_as_isolated_maps_and_apply_to_the_net() {
    let ns = nodes(3);
    let g = grudge(Spec::One, &ns, &mut StdRng::seed_from_u64(9));
    let edn = to_edn(&g).to_string();
    assert!(edn.starts_with("{\"n") && edn.contains("#{"), "{edn}");

    let net = Net::new(
        Latency {
            mean_ms: 0,
            dist: LatencyDist::Constant,
        },
        StdRng::seed_from_u64(0),
        Arc::new(Log::sink()),
        false,
        false,
    );
    net.partition(&to_map(&g));
    assert!(net.is_partitioned());
    for (dest, srcs) in &g {
        for src in &ns {
            assert_eq!(net.drops(src, dest), srcs.contains(src));
        }
        assert!(!net.drops("c1", dest), "clients are never partitioned");
        assert!(!net.drops("seq-kv", dest), "services are never partitioned");
    }
    net.heal();
    assert!(!net.is_partitioned());
    assert!(!net.drops(&g[0].1.first().cloned().unwrap_or_default(), &g[0].0));
}
