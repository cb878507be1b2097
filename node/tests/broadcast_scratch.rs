mod broadcast_support;
use broadcast_support::{apply, broadcast, Bench, Fault};
use glomers_node::challenge::broadcast::{metrics::Metrics, Profile};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

fn total(b: &Bench) -> Metrics {
    let mut t = Metrics::default();
    for h in &b.handlers {
        t.merge(&h.metrics());
    }
    t
}

#[tokio::test(start_paused = true)]
async fn scratch() {
    let profile = if std::env::var("LAT").is_ok() {
        Profile::Latency
    } else {
        Profile::Messages
    };
    let all_but =
        |skip: &[usize]| -> Vec<usize> { (0..25).filter(|i| !skip.contains(i)).collect() };
    let scenarios: Vec<(&str, Vec<Fault>)> = vec![
        ("none", vec![]),
        ("isolate n0", vec![Fault::Isolate(0)]),
        ("isolate n7", vec![Fault::Isolate(7)]),
        (
            "majority",
            vec![Fault::Partition(vec![
                (0..12).collect(),
                (12..25).collect(),
            ])],
        ),
        (
            "pair",
            vec![Fault::Partition(vec![vec![3, 17], all_but(&[3, 17])])],
        ),
        ("oneway", vec![Fault::Block(0, 5), Fault::Block(6, 0)]),
    ];
    for (name, faults) in scenarios {
        let bench = Bench::with_profile(25, 100, profile).await;
        let mut c = bench.cluster.client();
        let mut expected: HashSet<Value> = HashSet::new();
        let mut next = 0u64;
        let mut marks = vec![];
        for phase in 0..3 {
            if phase == 1 {
                for f in &faults {
                    apply(&bench.cluster, f);
                }
            }
            if phase == 2 {
                bench.cluster.heal();
            }
            let end = tokio::time::Instant::now() + Duration::from_millis(4000);
            while tokio::time::Instant::now() < end {
                broadcast(&mut c, &format!("n{}", next % 25), json!(next)).await;
                expected.insert(json!(next));
                next += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            marks.push((bench.cluster.stats().server_msgs, total(&bench)));
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
        marks.push((bench.cluster.stats().server_msgs, total(&bench)));
        eprintln!(
            "== {name}: server msgs per phase (4 s each @50 values/s, then 10 s idle): {:?}",
            marks
                .windows(2)
                .map(|w| w[1].0 - w[0].0)
                .collect::<Vec<_>>()
        );
        for (i, (_, m)) in marks.iter().enumerate() {
            eprintln!("   after phase {i}: {}", m.summary());
        }
    }
}
