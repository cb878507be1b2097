//! Shared driver for the g-counter cluster tests: a Maelstrom-like g-counter workload
//! (client threads bound to nodes, ~1/3 adds with delta 0..=4, 2/3 reads, random gaps),
//! a partition nemesis like Jepsen's for 3 nodes, the final phase (heal, 10 s, one final
//! read per thread) and the checker's acceptable set.

#![allow(dead_code)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use glomers_node::sim::{Cluster, FakeKv, SimService, SplitMix};
use glomers_node::{Handler, Node};
use serde_json::json;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// A g-counter workload's knobs (fly.io's: 3 nodes, rate 100, 20 s).
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub nodes: usize,
    pub rate: f64,
    pub time_limit: Duration,
    pub latency: Duration,
    pub seed: u64,
}

impl Workload {
    pub fn fly(seed: u64) -> Workload {
        Workload {
            nodes: 3,
            rate: 100.0,
            time_limit: Duration::from_secs(20),
            latency: Duration::from_millis(5),
            seed,
        }
    }
}

/// What the client threads did.
#[derive(Debug, Default, Clone)]
pub struct History {
    /// Sum of acknowledged adds.
    pub ok_sum: u64,
    /// Deltas of adds without an answer (Maelstrom's `:info`).
    pub info_deltas: Vec<u64>,
    /// Client operations invoked (reads and adds, final reads included).
    pub ops: u64,
    pub reads_ok: u64,
    pub read_failures: u64,
    /// The longest any read waited for its answer.
    pub max_read_wait: Duration,
}

impl History {
    fn merge(&mut self, other: History) {
        self.ok_sum += other.ok_sum;
        self.info_deltas.extend(other.info_deltas);
        self.ops += other.ops;
        self.reads_ok += other.reads_ok;
        self.read_failures += other.read_failures;
        self.max_read_wait = self.max_read_wait.max(other.max_read_wait);
    }

    /// Maelstrom's acceptable final values: ok_sum plus any subset sum of info deltas.
    pub fn acceptable(&self, value: u64) -> bool {
        let mut sums = std::collections::BTreeSet::from([self.ok_sum]);
        for d in &self.info_deltas {
            let shifted: Vec<u64> = sums.iter().map(|s| s + d).collect();
            sums.extend(shifted);
        }
        sums.contains(&value)
    }
}

/// Start a cluster of `make`'s handlers with a stale fake seq-kv.
pub async fn start<H, F>(w: &Workload, kv: Box<dyn SimService>, make: F) -> Cluster
where
    H: Handler,
    F: Fn(&Node) -> H + Clone + Send + 'static,
{
    Cluster::start_with_services(w.nodes, w.latency, vec![("seq-kv", kv)], make).await
}

/// The fake seq-kv with Maelstrom's staleness.
pub fn seq_kv(seed: u64) -> Box<dyn SimService> {
    Box::new(FakeKv::seq(seed))
}

/// Spawn one client thread per node for the main phase; join them with [`join`].
pub fn spawn_clients(cluster: &Cluster, w: &Workload) -> Vec<JoinHandle<History>> {
    let per_thread = w.rate / w.nodes as f64;
    let deadline = Instant::now() + w.time_limit;
    (0..w.nodes)
        .map(|t| {
            let mut client = cluster.client();
            let node = format!("n{t}");
            let mut rng = SplitMix::new(w.seed.wrapping_mul(1_000_003).wrapping_add(t as u64));
            tokio::spawn(async move {
                let mut h = History::default();
                loop {
                    // Gap uniform in [0, 2/rate): mean 1/rate per thread.
                    let gap_us = rng.range_inclusive(0, (2e6 / per_thread) as u64);
                    tokio::time::sleep(Duration::from_micros(gap_us)).await;
                    if Instant::now() >= deadline {
                        return h;
                    }
                    h.ops += 1;
                    if rng.range_inclusive(0, 2) == 0 {
                        let delta = rng.range_inclusive(0, 4);
                        match client
                            .rpc(&node, json!({"type": "add", "delta": delta}))
                            .await
                        {
                            Ok(r) if r["type"] == "add_ok" => {
                                assert_eq!(
                                    r.as_object().unwrap().len(),
                                    2,
                                    "add_ok is closed: {r}"
                                );
                                h.ok_sum += delta;
                            }
                            _ => h.info_deltas.push(delta),
                        }
                    } else {
                        let asked = Instant::now();
                        match client.rpc(&node, json!({"type": "read"})).await {
                            Ok(r) if r["type"] == "read_ok" && r["value"].is_u64() => {
                                h.reads_ok += 1
                            }
                            _ => h.read_failures += 1,
                        }
                        h.max_read_wait = h.max_read_wait.max(asked.elapsed());
                    }
                }
            })
        })
        .collect()
}

/// Wait for the client threads and merge what they did.
pub async fn join(handles: Vec<JoinHandle<History>>) -> History {
    let mut all = History::default();
    for h in handles {
        all.merge(h.await.expect("client thread"));
    }
    all
}

/// Jepsen's partition nemesis for a small cluster until `deadline`: start and stop
/// alternate, `U[0, 2·interval)` apart, the first start right away. Returns how many
/// partitions it started.
pub async fn nemesis(cluster: &Cluster, seed: u64, interval: Duration, deadline: Instant) -> u32 {
    let mut rng = SplitMix::new(seed ^ 0x5eed);
    let ids: Vec<String> = cluster.node_ids().to_vec();
    let mut started = 0;
    let mut partitioned = false;
    loop {
        if Instant::now() >= deadline {
            break;
        }
        if partitioned {
            cluster.heal();
        } else {
            started += 1;
            let mut order = ids.clone();
            for i in (1..order.len()).rev() {
                order.swap(i, rng.range_inclusive(0, i as u64) as usize);
            }
            match rng.range_inclusive(0, 3) {
                // :one and :majority (1 | 2 for three nodes)
                0 | 1 => cluster.isolate(&order[0]),
                // :majorities-ring: each node refuses one peer, one way round
                2 => {
                    for i in 0..order.len() {
                        cluster.block(&order[(i + 1) % order.len()], &order[i]);
                    }
                }
                // :minority-third is a no-op for three nodes
                _ => {}
            }
        }
        partitioned = !partitioned;
        let gap = rng.range_inclusive(0, 2 * interval.as_millis() as u64);
        let next = (Instant::now() + Duration::from_millis(gap)).min(deadline);
        tokio::time::sleep_until(next).await;
    }
    started
}

/// Maelstrom's final phase: heal, wait 10 s, then one read per node.
pub async fn final_reads(cluster: &Cluster, h: &mut History) -> Vec<u64> {
    cluster.heal();
    tokio::time::sleep(Duration::from_secs(10)).await;
    read_all(cluster, h).await
}

/// Read once from every node (counted as client ops).
pub async fn read_all(cluster: &Cluster, h: &mut History) -> Vec<u64> {
    let mut values = Vec::new();
    for id in cluster.node_ids() {
        let mut c = cluster.client();
        h.ops += 1;
        let r = c
            .rpc(id, json!({"type": "read"}))
            .await
            .expect("read answered");
        values.push(r["value"].as_u64().expect("integer value"));
    }
    values
}

/// After adds stop: how long until every node reads `total` (polled every 50 ms, up to
/// 10 s). The polls count as client ops.
pub async fn time_to_converge(cluster: &Cluster, h: &mut History, total: u64) -> Option<Duration> {
    let from = Instant::now();
    while from.elapsed() <= Duration::from_secs(10) {
        if read_all(cluster, h).await.iter().all(|v| *v == total) {
            return Some(from.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

/// Collects things each node's handler exposes (stats handles, say).
pub type Collected<T> = Arc<Mutex<Vec<T>>>;
