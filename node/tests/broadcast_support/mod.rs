//! Shared driver for the broadcast cluster tests: a Maelstrom-like broadcast workload on
//! the in-memory network (paused clock), a nemesis schedule, and the `set-full` checker's
//! figures (lost values, stable latencies) plus Maelstrom's `:servers` msgs-per-op.

#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use glomers_node::challenge::broadcast::{Broadcast, Params, Profile};
use glomers_node::sim::{Client, Cluster, SplitMix};
use serde_json::{json, Value};
use tokio::time::Instant;

/// A cluster of broadcast nodes and their handlers (to inspect state).
pub struct Bench {
    pub cluster: Cluster,
    pub handlers: Vec<Broadcast>,
}

impl Bench {
    pub async fn start(n: usize, latency_ms: u64, params: Params) -> Bench {
        let slot: Arc<Mutex<Vec<(String, Broadcast)>>> = Arc::new(Mutex::new(Vec::new()));
        let s = slot.clone();
        let cluster = Cluster::start(n, Duration::from_millis(latency_ms), move |node| {
            let b = Broadcast::new(node, params.clone());
            s.lock().unwrap().push((node.id().to_string(), b.clone()));
            b
        })
        .await;
        let mut hs = slot.lock().unwrap().clone();
        hs.sort_by_key(|(id, _)| id[1..].parse::<usize>().unwrap());
        let handlers = hs.into_iter().map(|(_, b)| b).collect();
        let bench = Bench { cluster, handlers };
        bench.send_topology().await;
        bench
    }

    pub async fn with_profile(n: usize, latency_ms: u64, profile: Profile) -> Bench {
        Bench::start(n, latency_ms, Params::for_profile(profile)).await
    }

    /// Maelstrom's client setup: a grid topology to every node, answered `topology_ok`.
    async fn send_topology(&self) {
        let ids = self.cluster.node_ids().to_vec();
        let topo: serde_json::Map<String, Value> = ids
            .iter()
            .map(|id| {
                (
                    id.clone(),
                    json!(ids.iter().filter(|o| *o != id).take(2).collect::<Vec<_>>()),
                )
            })
            .collect();
        let mut c = self.cluster.client();
        for id in &ids {
            let r = c
                .rpc(id, json!({"type": "topology", "topology": topo}))
                .await
                .unwrap();
            assert_eq!(
                r,
                json!({"type": "topology_ok", "in_reply_to": r["in_reply_to"]})
            );
        }
    }

    pub fn node(&self, i: usize) -> String {
        format!("n{i}")
    }

    /// Every node holds exactly `expected` (as a set).
    pub fn all_hold(&self, expected: &HashSet<Value>) -> bool {
        self.handlers.iter().all(|h| {
            let got: HashSet<Value> = h.messages().into_iter().collect();
            &got == expected
        })
    }

    /// Every node holds at least `expected`.
    pub fn all_have(&self, expected: &HashSet<Value>) -> bool {
        self.handlers.iter().all(|h| {
            let got: HashSet<Value> = h.messages().into_iter().collect();
            expected.is_subset(&got)
        })
    }

    /// Wait (simulated) until every node holds at least `expected`; returns how long it took.
    pub async fn converge(&self, expected: &HashSet<Value>, limit: Duration) -> Option<Duration> {
        let start = Instant::now();
        loop {
            if self.all_have(expected) {
                return Some(start.elapsed());
            }
            if start.elapsed() > limit {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

pub async fn broadcast(c: &mut Client, node: &str, v: Value) {
    let r = c
        .rpc(node, json!({"type": "broadcast", "message": v}))
        .await
        .expect("broadcast answered");
    assert_eq!(
        r,
        json!({"type": "broadcast_ok", "in_reply_to": r["in_reply_to"]}),
        "closed schema"
    );
}

pub async fn read(c: &mut Client, node: &str) -> Vec<Value> {
    let r = c
        .rpc(node, json!({"type": "read"}))
        .await
        .expect("read answered");
    let keys: HashSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        HashSet::from(["type", "messages", "in_reply_to"]),
        "closed schema: {r}"
    );
    assert_eq!(r["type"], "read_ok");
    r["messages"].as_array().unwrap().clone()
}

/// Something the nemesis does at a given time (ms since the workload started).
#[derive(Debug, Clone)]
pub enum Fault {
    Partition(Vec<Vec<usize>>),
    Isolate(usize),
    Block(usize, usize),
    Heal,
}

/// Parameters of a workload run, Maelstrom's broadcast generator in miniature.
#[derive(Debug, Clone)]
pub struct Workload {
    pub rate: f64,
    pub secs: u64,
    /// Quiet time between the end of the main phase and the final reads (Maelstrom: 10 s).
    pub recovery_secs: u64,
    pub seed: u64,
    pub faults: Vec<(u64, Fault)>,
}

impl Workload {
    pub fn new(rate: f64, secs: u64, seed: u64) -> Workload {
        Workload {
            rate,
            secs,
            recovery_secs: 10,
            seed,
            faults: Vec::new(),
        }
    }
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ops: usize,
    pub broadcasts: usize,
    pub server_msgs: u64,
    pub msgs_per_op: f64,
    pub lost: Vec<u64>,
    pub never_read: usize,
    /// Stable latencies in ms at quantiles 0, 0.5, 0.95, 0.99, 1.
    pub stable: [u64; 5],
}

struct ReadOp {
    at: u64,
    seen: HashSet<u64>,
}

pub fn apply(cluster: &Cluster, fault: &Fault) {
    let id = |i: &usize| format!("n{i}");
    match fault {
        Fault::Partition(groups) => {
            let names: Vec<Vec<String>> =
                groups.iter().map(|g| g.iter().map(id).collect()).collect();
            let refs: Vec<Vec<&str>> = names
                .iter()
                .map(|g| g.iter().map(String::as_str).collect())
                .collect();
            let slices: Vec<&[&str]> = refs.iter().map(Vec::as_slice).collect();
            cluster.partition(&slices);
        }
        Fault::Isolate(n) => cluster.isolate(&id(n)),
        Fault::Block(a, b) => cluster.block(&id(a), &id(b)),
        Fault::Heal => cluster.heal(),
    }
}

/// Run the broadcast workload: `rate` ops/s for `secs` s, half broadcasts of 0, 1, 2, ...
/// and half reads, thread `t` on node `t mod n`; then heal, wait `recovery_secs`, and
/// one final read per node. Checks it as Maelstrom's `set-full` does.
pub async fn run_workload(bench: &Bench, w: &Workload) -> Outcome {
    let n = bench.cluster.node_ids().len();
    let mut rng = SplitMix::new(w.seed);
    let mut clients: Vec<Client> = (0..n).map(|_| bench.cluster.client()).collect();
    let before = bench.cluster.stats().server_msgs;
    let start = Instant::now();
    let ms = |start: Instant| start.elapsed().as_millis() as u64;
    let mut faults = w.faults.clone();
    faults.sort_by_key(|f| f.0);
    let mut faults = faults.into_iter().peekable();
    let mut next_value = 0u64;
    // value -> (invoke time, ack time)
    let mut added: HashMap<u64, (u64, u64)> = HashMap::new();
    let mut reads: Vec<ReadOp> = Vec::new();
    let mut ops = 0usize;
    let mut thread = 0usize;
    let gap_max_us = (2_000_000.0 / w.rate) as u64;
    while ms(start) < w.secs * 1000 {
        while faults.peek().is_some_and(|(at, _)| *at <= ms(start)) {
            let (_, f) = faults.next().unwrap();
            apply(&bench.cluster, &f);
        }
        let node = format!("n{}", thread % n);
        let c = &mut clients[thread % n];
        thread += 1;
        ops += 1;
        if rng.next_u64().is_multiple_of(2) {
            let v = next_value;
            next_value += 1;
            let t0 = ms(start);
            broadcast(c, &node, json!(v)).await;
            added.insert(v, (t0, ms(start)));
        } else {
            let at = ms(start);
            let seen = read(c, &node)
                .await
                .iter()
                .filter_map(Value::as_u64)
                .collect();
            reads.push(ReadOp { at, seen });
        }
        let gap = rng.range_inclusive(0, gap_max_us.saturating_sub(1));
        tokio::time::sleep(Duration::from_micros(gap)).await;
    }
    // Final phase: heal, wait, one read per thread.
    for (_, f) in faults {
        apply(&bench.cluster, &f);
    }
    bench.cluster.heal();
    tokio::time::sleep(Duration::from_secs(w.recovery_secs)).await;
    for (i, c) in clients.iter_mut().enumerate() {
        let at = ms(start);
        let seen = read(c, &format!("n{i}"))
            .await
            .iter()
            .filter_map(Value::as_u64)
            .collect();
        reads.push(ReadOp { at, seen });
        ops += 1;
    }
    let server_msgs = bench.cluster.stats().server_msgs - before;
    check(ops, added, &reads, server_msgs)
}

fn check(
    ops: usize,
    added: HashMap<u64, (u64, u64)>,
    reads: &[ReadOp],
    server_msgs: u64,
) -> Outcome {
    let mut lost = Vec::new();
    let mut never_read = 0;
    let mut latencies = Vec::new();
    for (&v, &(invoked, known)) in &added {
        let mut last_present: Option<u64> = None;
        let mut last_absent: Option<u64> = None;
        for r in reads.iter().filter(|r| r.at >= invoked) {
            if r.seen.contains(&v) {
                last_present = Some(r.at);
            } else {
                last_absent = Some(r.at);
            }
        }
        match (last_present, last_absent) {
            (Some(p), Some(a)) if a > p => lost.push(v),
            (None, Some(_)) => lost.push(v),
            (Some(_), a) => latencies.push(a.map_or(0, |a| a.saturating_sub(known))),
            (None, None) => never_read += 1,
        }
    }
    lost.sort_unstable();
    latencies.sort_unstable();
    let q = |f: f64| -> u64 {
        if latencies.is_empty() {
            return 0;
        }
        let i = ((latencies.len() as f64 * f).floor() as usize).min(latencies.len() - 1);
        latencies[i]
    };
    Outcome {
        ops,
        broadcasts: added.len(),
        server_msgs,
        msgs_per_op: server_msgs as f64 / ops as f64,
        lost,
        never_read,
        stable: [q(0.0), q(0.5), q(0.95), q(0.99), q(1.0)],
    }
}
