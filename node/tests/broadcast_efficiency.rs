//! Both profiles at fly.io's 3d/3e scale on the in-memory network: 25 nodes, 100 ms
//! latency, 100 ops/s (half broadcasts, half reads) for 20 s, 10 s of recovery, a final
//! read per node. Server messages per op and stable latencies must meet the targets.

mod broadcast_support;

use broadcast_support::{run_workload, Bench, Workload};
use glomers_node::challenge::broadcast::Profile;

async fn measure(profile: Profile, seed: u64) -> broadcast_support::Outcome {
    let bench = Bench::with_profile(25, 100, profile).await;
    let out = run_workload(&bench, &Workload::new(100.0, 20, seed)).await;
    let sent: u64 = bench
        .handlers
        .iter()
        .map(|h| h.metrics().sent_total())
        .sum();
    eprintln!("{profile:?} seed {seed}: {out:?} (engine sends {sent})");
    eprintln!("hub: {}", bench.handlers[0].metrics().summary());
    eprintln!("n7:  {}", bench.handlers[7].metrics().summary());
    assert!(out.lost.is_empty(), "lost {:?}", out.lost);
    assert_eq!(out.never_read, 0);
    out
}

#[tokio::test(start_paused = true)]
async fn latency_profile_meets_3d_targets() {
    for seed in [1, 2] {
        let out = measure(Profile::Latency, seed).await;
        assert!(out.msgs_per_op <= 12.5, "msgs/op {}", out.msgs_per_op);
        assert!(out.stable[1] <= 100, "p50 {}", out.stable[1]);
        assert!(out.stable[4] <= 200, "max {}", out.stable[4]);
    }
}

#[tokio::test(start_paused = true)]
async fn message_profile_meets_3e_targets() {
    for seed in [1, 2] {
        let out = measure(Profile::Messages, seed).await;
        assert!(out.msgs_per_op <= 1.3, "msgs/op {}", out.msgs_per_op);
        assert!(out.stable[1] <= 375, "p50 {}", out.stable[1]);
        assert!(out.stable[4] <= 650, "max {}", out.stable[4]);
    }
}
