//! The simulated network (MAELSTROM.md §5): latency rules, serial per-destination delivery
//! with its head-of-line effect, partition drops and journal accounting.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use glomers_harness::cli::LatencyDist;
use glomers_harness::latency::Latency;
use glomers_harness::log::Log;
use glomers_harness::net::{run_queue, Message, Net, SendError, Target};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::json;
use tokio::sync::mpsc::{unbounded_channel, UnboundedSender};
use tokio::time::Instant;

struct Recorder(UnboundedSender<(Message, Instant)>);

impl Target for Recorder {
    async fn deliver(&mut self, msg: Message) {
        let _ = self.0.send((msg, Instant::now()));
    }
    async fn idle(&mut self) {}
}

fn net(mean_ms: u64, dist: LatencyDist) -> Arc<Net> {
    Arc::new(Net::new(
        Latency { mean_ms, dist },
        StdRng::seed_from_u64(5),
        Arc::new(Log::sink()),
        false,
        false,
    ))
}

#[test]
fn latency_distributions() {
    let mut rng = StdRng::seed_from_u64(1);
    let c = Latency {
        mean_ms: 100,
        dist: LatencyDist::Constant,
    };
    assert_eq!(c.draw("n0", "n1", &mut rng), 100);
    assert_eq!(
        c.draw("c3", "n1", &mut rng),
        0,
        "client traffic has no latency"
    );
    assert_eq!(c.draw("n1", "c3", &mut rng), 0);
    assert_eq!(
        c.draw("n1", "seq-kv", &mut rng),
        100,
        "service traffic has latency"
    );
    let u = Latency {
        mean_ms: 100,
        dist: LatencyDist::Uniform,
    };
    let xs: Vec<u64> = (0..2000).map(|_| u.sample(&mut rng)).collect();
    assert!(xs.iter().all(|&x| x < 200));
    let mean = xs.iter().sum::<u64>() as f64 / xs.len() as f64;
    assert!((90.0..110.0).contains(&mean), "{mean}");
    let e = Latency {
        mean_ms: 100,
        dist: LatencyDist::Exponential,
    };
    let xs: Vec<u64> = (0..4000).map(|_| e.sample(&mut rng)).collect();
    let mean = xs.iter().sum::<u64>() as f64 / xs.len() as f64;
    assert!((88.0..112.0).contains(&mean), "{mean}");
    assert!(xs.iter().any(|&x| x > 300));
    assert_eq!(
        Latency {
            mean_ms: 0,
            dist: LatencyDist::Exponential
        }
        .draw("n0", "n1", &mut rng),
        0
    );
}

#[tokio::test(start_paused = true)]
async fn node_messages_arrive_at_their_deadline_and_clients_at_once() {
    let net = net(100, LatencyDist::Constant);
    let (tx, mut rx) = unbounded_channel();
    tokio::spawn(run_queue(
        net.clone(),
        net.register_queue("n1"),
        Recorder(tx),
    ));
    let _n0 = net.register_queue("n0");
    let (client, mut inbox) = net.open_client();

    let t0 = Instant::now();
    net.send_json("n0", "n1", &json!({"type": "gossip"}))
        .unwrap();
    let (m, at) = rx.recv().await.unwrap();
    assert_eq!(at - t0, Duration::from_millis(100));
    assert_eq!(
        m.to_line(),
        "{\"id\":0,\"src\":\"n0\",\"dest\":\"n1\",\"body\":{\"type\":\"gossip\"}}\n"
    );

    let t1 = Instant::now();
    net.send_json(&client, "n1", &json!({"type": "read"}))
        .unwrap();
    let (_, at) = rx.recv().await.unwrap();
    assert_eq!(at, t1, "client → node has zero latency");

    net.send_json("n1", &client, &json!({"type": "read_ok"}))
        .unwrap();
    assert!(
        inbox.try_recv().is_ok(),
        "node → client is handed over at once"
    );
}

#[tokio::test(start_paused = true)]
async fn client_request_waits_behind_a_pending_node_message() {
    let net = net(100, LatencyDist::Constant);
    let (tx, mut rx) = unbounded_channel();
    tokio::spawn(run_queue(
        net.clone(),
        net.register_queue("n1"),
        Recorder(tx),
    ));
    let _n0 = net.register_queue("n0");
    let (client, _inbox) = net.open_client();

    let t0 = Instant::now();
    net.send_json("n0", "n1", &json!({"type": "gossip"}))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(10)).await;
    net.send_json(&client, "n1", &json!({"type": "read"}))
        .unwrap();
    let (first, at1) = rx.recv().await.unwrap();
    let (second, at2) = rx.recv().await.unwrap();
    assert_eq!(&*first.src, "n0");
    assert_eq!(&*second.src, &*client);
    assert_eq!(at1 - t0, Duration::from_millis(100));
    assert_eq!(
        at2 - t0,
        Duration::from_millis(100),
        "head-of-line: the client request waited ~90 ms"
    );
}

#[tokio::test(start_paused = true)]
async fn queue_orders_by_deadline() {
    // Uniform latency: messages leave in deadline order once the loop is idle.
    let net = net(0, LatencyDist::Constant);
    let (tx, mut rx) = unbounded_channel();
    let inbox = net.register_queue("n1");
    let _n0 = net.register_queue("n0");
    for i in 0..5 {
        net.send_json("n0", "n1", &json!({"type": "m", "i": i}))
            .unwrap();
    }
    tokio::spawn(run_queue(net.clone(), inbox, Recorder(tx)));
    for i in 0..5 {
        let (m, _) = rx.recv().await.unwrap();
        assert_eq!(m.body_json()["i"], i, "equal deadlines keep send order");
    }
}

#[tokio::test(start_paused = true)]
async fn partitioned_messages_are_dropped_and_counted_as_sends_only() {
    let net = net(50, LatencyDist::Constant);
    let (tx, mut rx) = unbounded_channel();
    tokio::spawn(run_queue(
        net.clone(),
        net.register_queue("n1"),
        Recorder(tx),
    ));
    let _n0 = net.register_queue("n0");
    let _s = net.register_queue("seq-kv");
    let (client, _inbox) = net.open_client();

    let grudge: HashMap<String, HashSet<String>> =
        HashMap::from([("n1".to_string(), HashSet::from(["n0".to_string()]))]);
    net.partition(&grudge);
    net.send_json("n0", "n1", &json!({"type": "dropped"}))
        .unwrap();
    net.send_json("seq-kv", "n1", &json!({"type": "read_ok"}))
        .unwrap();
    net.send_json(&client, "n1", &json!({"type": "read"}))
        .unwrap();
    let mut got = Vec::new();
    for _ in 0..2 {
        got.push(
            rx.recv().await.unwrap().0.body_json()["type"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    got.sort();
    assert_eq!(got, vec!["read", "read_ok"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        rx.try_recv().is_err(),
        "the partitioned message never arrives"
    );

    let c = net.journal.counts();
    assert_eq!(c.servers.send_count, 2);
    assert_eq!(c.servers.recv_count, 1);
    assert_eq!(c.servers.msg_count, 2);
    assert_eq!(c.clients.send_count, 1);
    assert_eq!(c.clients.recv_count, 1);
    assert_eq!(c.all.send_count, 3);
    assert_eq!(c.all.recv_count, 2);

    net.heal();
    net.send_json("n0", "n1", &json!({"type": "healed"}))
        .unwrap();
    assert_eq!(rx.recv().await.unwrap().0.body_json()["type"], "healed");
}

#[tokio::test]
async fn unknown_endpoints_are_refused() {
    let net = net(0, LatencyDist::Constant);
    let _n0 = net.register_queue("n0");
    assert!(matches!(
        net.send_json("n0", "n9", &json!({})),
        Err(SendError::UnknownDest(_))
    ));
    assert!(matches!(
        net.send_json("", "n0", &json!({})),
        Err(SendError::UnknownSrc(_))
    ));
    let (client, _inbox) = net.open_client();
    assert!(net.send_json("n0", &client, &json!({})).is_ok());
    net.remove(&client);
    assert!(matches!(
        net.send_json("n0", &client, &json!({})),
        Err(SendError::UnknownDest(_))
    ));
    assert_eq!(
        net.journal.counts().all.send_count,
        1,
        "refused sends are not journaled"
    );
}
