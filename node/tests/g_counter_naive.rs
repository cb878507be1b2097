//! The naive g-counter (test-only; it trusts stale seq-kv reads) must end with final
//! reads off the exact total on the same workload where the exact counter is right:
//! proof that the sim's stale seq-kv, and a checker on final reads, catch it.

mod g_counter_common;

use std::time::Duration;

use g_counter_common::*;
use glomers_node::challenge::g_counter::{GCounter, NaiveGCounter};
use tokio::time::Instant;

async fn run_naive(w: Workload, kv: Box<dyn glomers_node::sim::SimService>) -> (History, Vec<u64>) {
    let cluster = start(&w, kv, NaiveGCounter::new).await;
    let deadline = Instant::now() + w.time_limit;
    let clients = spawn_clients(&cluster, &w);
    nemesis(&cluster, w.seed, Duration::from_secs(10), deadline).await;
    let mut h = join(clients).await;
    let finals = final_reads(&cluster, &mut h).await;
    (h, finals)
}

#[tokio::test(start_paused = true)]
async fn naive_final_reads_miss_the_total_on_stale_seq_kv() {
    let mut caught = 0;
    let seeds = 1..=5;
    for seed in seeds.clone() {
        let w = Workload::fly(seed);
        let (h, finals) = run_naive(w, seq_kv(seed)).await;
        let bad: Vec<u64> = finals
            .iter()
            .copied()
            .filter(|v| !h.acceptable(*v))
            .collect();
        eprintln!(
            "seed {seed}: total {} (+{} unknown adds), final reads {finals:?}",
            h.ok_sum,
            h.info_deltas.len()
        );
        if !bad.is_empty() {
            caught += 1;
        }
        // The exact counter, same workload and seq-kv seed: right.
        let cluster = start(&w, seq_kv(seed), GCounter::new).await;
        let clients = spawn_clients(&cluster, &w);
        let mut h = join(clients).await;
        let finals = final_reads(&cluster, &mut h).await;
        assert_eq!(finals, vec![h.ok_sum; 3], "seed {seed}: exact counter");
    }
    assert_eq!(caught, 5, "the naive counter is caught on every seed");
}
