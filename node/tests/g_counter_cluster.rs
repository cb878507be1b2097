//! The exact g-counter over the in-memory network with a stale fake seq-kv: fly.io's
//! workload with partitions, final reads exact, reads answered during partitions,
//! convergence right after adds stop, messages per op, and recovery from a lost reply.

mod g_counter_common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use g_counter_common::*;
use glomers_node::challenge::g_counter::exact::StatsHandle;
use glomers_node::challenge::g_counter::{Config, GCounter, KvStatsSnapshot};
use glomers_node::sim::{FakeKv, SimService};
use glomers_node::Node;
use serde_json::{json, Value};
use tokio::time::Instant;

/// The exact counter, its stats handles collected for inspection.
fn exact(stats: &Collected<StatsHandle>) -> impl Fn(&Node) -> GCounter + Clone + Send + 'static {
    let stats = stats.clone();
    move |node: &Node| {
        let c = GCounter::with_config(
            node,
            Config {
                log_every: None,
                ..Config::default()
            },
        );
        stats.lock().unwrap().push(c.stats_handle());
        c
    }
}

fn sum_stats(stats: &Collected<StatsHandle>) -> KvStatsSnapshot {
    stats
        .lock()
        .unwrap()
        .iter()
        .fold(KvStatsSnapshot::default(), |acc, h| {
            acc.merged(h.snapshot())
        })
}

struct Run {
    history: History,
    finals: Vec<u64>,
    msgs_per_op: f64,
    partitions: u32,
    stats: KvStatsSnapshot,
}

/// fly.io's command in the sim: main phase with the nemesis, heal, 10 s, final reads.
async fn fly_run(w: Workload, nemesis_interval: Duration) -> Run {
    let stats = Collected::default();
    let cluster = start(&w, seq_kv(w.seed), exact(&stats)).await;
    let deadline = Instant::now() + w.time_limit;
    let clients = spawn_clients(&cluster, &w);
    let partitions = nemesis(&cluster, w.seed, nemesis_interval, deadline).await;
    let mut history = join(clients).await;
    let finals = final_reads(&cluster, &mut history).await;
    let msgs_per_op = cluster.stats().server_msgs as f64 / history.ops as f64;
    Run {
        history,
        finals,
        msgs_per_op,
        partitions,
        stats: sum_stats(&stats),
    }
}

#[tokio::test(start_paused = true)]
async fn fly_workload_with_partitions_final_reads_are_exact() {
    for seed in 1..=6 {
        let mut w = Workload::fly(seed);
        // Vary the inter-node latency as Maelstrom's --latency would.
        w.latency = Duration::from_millis([0, 5, 20, 100, 1, 50][seed as usize % 6]);
        let run = fly_run(w, Duration::from_secs(3)).await;
        let h = &run.history;
        assert!(run.partitions >= 2, "seed {seed}: the nemesis partitioned");
        assert!(h.info_deltas.is_empty(), "seed {seed}: every add answered");
        assert_eq!(
            h.read_failures, 0,
            "seed {seed}: every read answered, partitions or not"
        );
        assert!(h.ok_sum > 0);
        for v in &run.finals {
            assert_eq!(
                *v, h.ok_sum,
                "seed {seed}: final read off the total ({:?})",
                run.finals
            );
        }
        assert!(
            run.msgs_per_op <= 1.0,
            "seed {seed}: {:.2} server msgs per op",
            run.msgs_per_op
        );
        // Every publication succeeded at its first CaS: staleness never fooled the owner.
        assert_eq!(
            run.stats.cas_precondition_failed, 0,
            "seed {seed}: {:?}",
            run.stats
        );
        assert_eq!(run.stats.cas_ok, run.stats.publishes);
        assert_eq!(run.stats.cas_retries_histogram[0], run.stats.publishes);
        assert_eq!(run.stats.peer_reads_failed, 0);
        eprintln!(
            "seed {seed}: latency {:?}, {} ops, total {}, {:.3} msgs/op, {} partitions, {:?}",
            w.latency, h.ops, h.ok_sum, run.msgs_per_op, run.partitions, run.stats
        );
    }
}

#[tokio::test(start_paused = true)]
async fn reads_never_wait_even_when_every_node_is_isolated() {
    let w = Workload::fly(11);
    let stats = Collected::default();
    let cluster = start(&w, seq_kv(w.seed), exact(&stats)).await;
    cluster.partition(&[&["n0"], &["n1"], &["n2"]]);
    let clients = spawn_clients(&cluster, &w);
    let h = join(clients).await;
    assert_eq!(h.read_failures, 0);
    assert_eq!(
        h.max_read_wait,
        Duration::ZERO,
        "reads are answered from memory"
    );
    // seq-kv is never partitioned, so even a fully cut network converges.
    let mut h = h;
    let finals = final_reads(&cluster, &mut h).await;
    assert_eq!(finals, vec![h.ok_sum; 3]);
}

#[tokio::test(start_paused = true)]
async fn converges_about_two_periods_after_the_last_add() {
    for seed in [3, 4, 5] {
        let w = Workload::fly(seed);
        let stats = Collected::default();
        let cluster = start(&w, seq_kv(seed), exact(&stats)).await;
        let deadline = Instant::now() + w.time_limit;
        let clients = spawn_clients(&cluster, &w);
        nemesis(&cluster, seed, Duration::from_secs(10), deadline).await;
        let mut h = join(clients).await;
        cluster.heal();
        let total = h.ok_sum;
        let took = time_to_converge(&cluster, &mut h, total)
            .await
            .expect("converged within 10 s");
        eprintln!("seed {seed}: every node read the total {took:?} after the last add");
        assert!(
            took <= Duration::from_millis(1_200),
            "seed {seed}: took {took:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn nodes_without_adds_of_their_own_still_learn_the_exact_total() {
    // Only n0 takes adds; n1 and n2 only read. Their own publications (always a
    // mutation, even with an unchanged count) keep their view of seq-kv current.
    for seed in 40..46 {
        let w = Workload::fly(seed);
        let stats = Collected::default();
        let cluster = start(&w, seq_kv(seed), exact(&stats)).await;
        let mut adder = cluster.client();
        let mut readers = [cluster.client(), cluster.client()];
        let mut total = 0;
        for i in 0..200u64 {
            let delta = (i * 7 + seed) % 5;
            adder
                .rpc("n0", json!({"type": "add", "delta": delta}))
                .await
                .unwrap();
            total += delta;
            for (k, r) in readers.iter_mut().enumerate() {
                let v = r
                    .rpc(&format!("n{}", k + 1), json!({"type": "read"}))
                    .await
                    .unwrap();
                assert!(v["value"].as_u64().unwrap() <= total);
            }
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        let mut h = History::default();
        let took = time_to_converge(&cluster, &mut h, total)
            .await
            .expect("converged");
        assert!(
            took <= Duration::from_millis(1_200),
            "seed {seed}: took {took:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn adds_during_partition_counted_everywhere_after_heal() {
    let w = Workload::fly(21);
    let stats = Collected::default();
    let cluster = start(&w, seq_kv(w.seed), exact(&stats)).await;
    let mut c = cluster.client();
    cluster.isolate("n2");
    let mut total = 0;
    for i in 0..60u64 {
        let node = format!("n{}", i % 3);
        let r = c
            .rpc(&node, json!({"type": "add", "delta": i % 5}))
            .await
            .unwrap();
        assert_eq!(r, json!({"type": "add_ok", "in_reply_to": i + 1}));
        total += i % 5;
        tokio::time::sleep(Duration::from_millis(37)).await;
    }
    // Still partitioned: the isolated node already counts the majority's adds and vice
    // versa, because the counts travel through seq-kv, which no partition cuts.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let mut h = History::default();
    assert_eq!(read_all(&cluster, &mut h).await, vec![total; 3]);
    cluster.heal();
    assert_eq!(final_reads(&cluster, &mut h).await, vec![total; 3]);
}

#[tokio::test(start_paused = true)]
async fn server_messages_per_op_well_under_three() {
    let w = Workload::fly(8);
    let run = fly_run(w, Duration::from_secs(10)).await;
    eprintln!(
        "{} ops, {:.3} server msgs per op, {:?}",
        run.history.ops, run.msgs_per_op, run.stats
    );
    // 3 nodes × (1 CaS + 2 reads) × 2 messages every 0.5 s over ~30 s, for ~2000 ops.
    assert!(run.msgs_per_op < 0.7, "{:.3}", run.msgs_per_op);
}

/// seq-kv that drops the reply to the owner's 2nd, 5th and 9th CaS (the CaS itself is
/// applied): the owner must not double count, and must recover through a read.
struct LoseCasReplies {
    inner: FakeKv,
    cas_seen: u32,
    lost: Arc<Mutex<u32>>,
}

impl SimService for LoseCasReplies {
    fn handle(&mut self, src: &str, body: &Value) -> Option<Value> {
        let reply = self.inner.handle(src, body);
        if src == "n0" && body["type"] == "cas" {
            self.cas_seen += 1;
            if [2, 5, 9].contains(&self.cas_seen) {
                *self.lost.lock().unwrap() += 1;
                return None;
            }
        }
        reply
    }
}

#[tokio::test(start_paused = true)]
async fn lost_cas_reply_is_recovered_without_double_counting() {
    let w = Workload {
        time_limit: Duration::from_secs(8),
        ..Workload::fly(31)
    };
    let lost = Arc::new(Mutex::new(0));
    let kv = Box::new(LoseCasReplies {
        inner: FakeKv::seq(w.seed),
        cas_seen: 0,
        lost: lost.clone(),
    });
    let stats: Collected<StatsHandle> = Collected::default();
    let cluster = start(&w, kv, exact(&stats)).await;
    let clients = spawn_clients(&cluster, &w);
    let mut h = join(clients).await;
    let finals = final_reads(&cluster, &mut h).await;
    assert_eq!(*lost.lock().unwrap(), 3);
    assert_eq!(finals, vec![h.ok_sum; 3]);
    let all = sum_stats(&stats);
    eprintln!("{all:?}");
    assert!(
        all.cas_precondition_failed >= 1,
        "a lost reply shows as a failed precondition"
    );
    assert!(all.recovery_reads >= 1);
    assert!(all.cas_retries >= 1);
    assert!(
        all.publish_failures >= 3,
        "each lost reply timed one publication out"
    );
}
