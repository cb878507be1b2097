//! The kafka node over the in-memory network with a fake lin-kv: a Maelstrom-like
//! workload (client threads bound to nodes, sends and polls with commits, occasional
//! assigns, keys retired after 16 values), checked like Jepsen's kafka checker would:
//! unique, dense, monotonic offsets per key, polls that start exactly where asked and
//! never skip, every acknowledged send pollable from every node at the end, committed
//! offsets visible everywhere, messages per op and CaS failures within 5c's targets,
//! and the same guarantees through partitions, where sends for an unreachable owner are
//! relayed through lin-kv so that no CaS fails.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use glomers_node::challenge::kafka::stats::StatsSnapshot;
use glomers_node::challenge::kafka::{Config, Kafka};
use glomers_node::sim::{Client, Cluster, FakeKv, SplitMix};
use glomers_node::Node;
use serde_json::{json, Value};
use tokio::time::Instant;

type Handles = Arc<Mutex<Vec<Kafka>>>;

async fn start(n: usize, latency: Duration, handles: &Handles) -> Cluster {
    let handles = handles.clone();
    Cluster::start_with_services(
        n,
        latency,
        vec![("lin-kv", Box::new(FakeKv::lin()))],
        move |node: &Node| {
            let k = Kafka::with_config(
                node,
                Config {
                    log_every: None,
                    ..Config::default()
                },
            );
            handles.lock().unwrap().push(k.clone());
            k
        },
    )
    .await
}

/// Sends messages 0..n to key "1", alternately through n0 (via `c0`) and n1 (via `c1`); each
/// must be acknowledged with offset = its index.
async fn send_alternately(c0: &mut Client, c1: &mut Client, n: u64) {
    for i in 0..n {
        let (c, id) = if i % 2 == 0 {
            (&mut *c0, "n0")
        } else {
            (&mut *c1, "n1")
        };
        let r = c
            .rpc(id, json!({"type": "send", "key": "1", "msg": i}))
            .await
            .unwrap();
        assert_eq!(r["type"], "send_ok", "{r}");
        assert_eq!(r["offset"], i, "{r}");
    }
}

fn total_stats(handles: &Handles) -> StatsSnapshot {
    handles
        .lock()
        .unwrap()
        .iter()
        .fold(StatsSnapshot::default(), |acc, k| acc.merged(k.stats()))
}

/// Maelstrom's kafka key generator: 10 active keys, the newest most likely, values
/// 1..=16 per key, then the key is retired for a fresh one.
struct KeyGen {
    active: Vec<u64>,
    writes: HashMap<u64, u64>,
    next_key: u64,
    rng: SplitMix,
}

impl KeyGen {
    fn new(seed: u64) -> KeyGen {
        KeyGen {
            active: (0..10).collect(),
            writes: HashMap::new(),
            next_key: 10,
            rng: SplitMix::new(seed),
        }
    }

    /// A key for an op (exponential preference for later slots).
    fn key(&mut self) -> (usize, u64) {
        let mut slot = self.active.len() - 1;
        while slot > 0 && self.rng.next_u64() & 1 == 0 {
            slot -= 1;
        }
        (slot, self.active[slot])
    }

    /// The next value to send to the key in `slot`, retiring it after 16.
    fn value(&mut self, slot: usize) -> (u64, u64) {
        let key = self.active[slot];
        let w = self.writes.entry(key).or_insert(0);
        *w += 1;
        let v = *w;
        if v >= 16 {
            self.active[slot] = self.next_key;
            self.next_key += 1;
        }
        (key, v)
    }
}

/// What the clients saw.
#[derive(Default, Debug)]
struct History {
    ops: u64,
    /// (key, offset, msg) of acknowledged sends.
    acked: Vec<(String, u64, Value)>,
    /// Sends answered with an error or not at all.
    unacked_sends: u64,
    /// (key, offset, msg) observed by polls.
    polled: Vec<(String, u64, Value)>,
    poll_failures: u64,
}

/// One client thread, bound to `node`, until `deadline`.
async fn client_thread(
    mut client: Client,
    node: String,
    thread: u64,
    gen: Arc<Mutex<KeyGen>>,
    rate_per_thread: f64,
    deadline: Instant,
    seed: u64,
) -> History {
    let mut rng = SplitMix::new(seed ^ (thread * 7919));
    let mut h = History::default();
    let mut offsets: BTreeMap<String, u64> = BTreeMap::new();
    // Per key, the last offset this thread's sends got (sends must be monotonic).
    let mut last_send: HashMap<String, u64> = HashMap::new();
    loop {
        let gap = rng.range_inclusive(0, (2e6 / rate_per_thread) as u64);
        tokio::time::sleep(Duration::from_micros(gap)).await;
        if Instant::now() >= deadline {
            return h;
        }
        let (slot, key) = gen.lock().unwrap().key();
        let key_s = key.to_string();
        if rng.next_u64() & 63 == 0 {
            // assign [key]: keep current offsets, else the committed one, else 0.
            h.ops += 1;
            let r = client
                .rpc(
                    &node,
                    json!({"type": "list_committed_offsets", "keys": [key_s]}),
                )
                .await
                .expect("list_committed_offsets answered");
            assert_eq!(r["type"], "list_committed_offsets_ok", "{r}");
            let committed = r["offsets"][&key_s].as_u64().unwrap_or(0);
            let keep = offsets.get(&key_s).copied().unwrap_or(committed);
            offsets.clear();
            offsets.insert(key_s.clone(), keep);
            continue;
        }
        h.ops += 1;
        if rng.next_u64() & 1 == 0 {
            let (key, v) = gen.lock().unwrap().value(slot);
            let key_s = key.to_string();
            let msg = json!(key * 1000 + v);
            match client
                .rpc(&node, json!({"type": "send", "key": key_s, "msg": msg}))
                .await
            {
                Ok(r) if r["type"] == "send_ok" => {
                    assert_eq!(r.as_object().unwrap().len(), 3, "send_ok is closed: {r}");
                    let offset = r["offset"].as_u64().expect("integer offset");
                    if let Some(prev) = last_send.insert(key_s.clone(), offset) {
                        assert!(
                            offset > prev,
                            "nonmonotonic send on {key_s}: {prev} then {offset}"
                        );
                    }
                    h.acked.push((key_s, offset, msg));
                }
                _ => h.unacked_sends += 1,
            }
        } else {
            let asked = offsets.clone();
            let r = match client
                .rpc(&node, json!({"type": "poll", "offsets": asked}))
                .await
            {
                Ok(r) if r["type"] == "poll_ok" => r,
                _ => {
                    h.poll_failures += 1;
                    continue;
                }
            };
            assert_eq!(r.as_object().unwrap().len(), 3, "poll_ok is closed: {r}");
            let mut commit = BTreeMap::new();
            for (k, pairs) in r["msgs"].as_object().expect("msgs map") {
                let from = *asked.get(k).expect("only polled keys come back");
                let pairs = pairs.as_array().unwrap();
                assert!(!pairs.is_empty(), "an empty list for {k} breaks the client");
                for (i, p) in pairs.iter().enumerate() {
                    let o = p[0].as_u64().unwrap();
                    // Dense offsets: a poll from `from` starts at `from`, no gaps.
                    assert_eq!(o, from + i as u64, "poll of {k} from {from} skipped: {r}");
                    h.polled.push((k.clone(), o, p[1].clone()));
                }
                let last = from + pairs.len() as u64 - 1;
                offsets.insert(k.clone(), last + 1);
                commit.insert(k.clone(), last);
            }
            if !commit.is_empty() {
                let c = client
                    .rpc(&node, json!({"type": "commit_offsets", "offsets": commit}))
                    .await
                    .expect("commit answered");
                assert_eq!(
                    c,
                    json!({"type": "commit_offsets_ok", "in_reply_to": c["in_reply_to"]})
                );
            }
        }
    }
}

struct Run {
    history: History,
    cluster: Cluster,
    handles: Handles,
}

/// fly.io's 5b/5c shape: `nodes` nodes, concurrency 2n, `rate` ops/s for `secs`,
/// with an optional nemesis that isolates a node every `partition_every`.
async fn run(
    nodes: usize,
    rate: f64,
    secs: u64,
    latency: Duration,
    seed: u64,
    partition_every: Option<Duration>,
) -> Run {
    let handles = Handles::default();
    let cluster = start(nodes, latency, &handles).await;
    let gen = Arc::new(Mutex::new(KeyGen::new(seed)));
    let threads = 2 * nodes;
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for t in 0..threads {
        tasks.push(tokio::spawn(client_thread(
            cluster.client(),
            format!("n{}", t % nodes),
            t as u64,
            gen.clone(),
            rate / threads as f64,
            deadline,
            seed,
        )));
    }
    if let Some(every) = partition_every {
        let mut i = 0;
        while Instant::now() + every < deadline {
            cluster.isolate(&format!("n{}", i % nodes));
            tokio::time::sleep(every).await;
            cluster.heal();
            tokio::time::sleep(every / 2).await;
            i += 1;
        }
    }
    let mut history = History::default();
    for t in tasks {
        let h = t.await.expect("client thread");
        history.ops += h.ops;
        history.acked.extend(h.acked);
        history.unacked_sends += h.unacked_sends;
        history.polled.extend(h.polled);
        history.poll_failures += h.poll_failures;
    }
    cluster.heal();
    Run {
        history,
        cluster,
        handles,
    }
}

/// Offsets unique and consistent: no offset with two messages, no message twice.
fn check_consistency(h: &History) -> BTreeMap<String, BTreeMap<u64, Value>> {
    let mut by_offset: BTreeMap<String, BTreeMap<u64, Value>> = BTreeMap::new();
    let mut where_is: HashMap<String, (String, u64)> = HashMap::new();
    for (k, o, m) in h.acked.iter().chain(h.polled.iter()) {
        let prev = by_offset
            .entry(k.clone())
            .or_default()
            .insert(*o, m.clone());
        if let Some(p) = prev {
            assert_eq!(&p, m, "inconsistent offsets: {k}@{o} holds {p} and {m}");
        }
        let at = (k.clone(), *o);
        let seen = where_is.entry(m.to_string()).or_insert_with(|| at.clone());
        assert_eq!(*seen, at, "duplicate: {m} at {seen:?} and {at:?}");
    }
    by_offset
}

/// Poll every key from 0 on every node; every acknowledged send must be there at its
/// offset, logs dense from 0, and all nodes must agree. Returns the ops used.
async fn final_polls(r: &Run) -> u64 {
    let keys: Vec<String> = {
        let mut ks: Vec<String> = r.history.acked.iter().map(|a| a.0.clone()).collect();
        ks.sort();
        ks.dedup();
        ks
    };
    let offsets: BTreeMap<String, u64> = keys.iter().map(|k| (k.clone(), 0)).collect();
    let mut views = Vec::new();
    for id in r.cluster.node_ids() {
        let mut c = r.cluster.client();
        let reply = c
            .rpc(id, json!({"type": "poll", "offsets": offsets}))
            .await
            .expect("final poll answered");
        assert_eq!(reply["type"], "poll_ok", "{reply}");
        let mut view: BTreeMap<String, Vec<Value>> = BTreeMap::new();
        for (k, pairs) in reply["msgs"].as_object().unwrap() {
            let pairs = pairs.as_array().unwrap();
            for (i, p) in pairs.iter().enumerate() {
                assert_eq!(
                    p[0].as_u64().unwrap(),
                    i as u64,
                    "{id}: log of {k} not dense"
                );
            }
            view.insert(k.clone(), pairs.iter().map(|p| p[1].clone()).collect());
        }
        for (k, o, m) in &r.history.acked {
            let got = view.get(k).and_then(|l| l.get(*o as usize));
            assert_eq!(got, Some(m), "{id}: acked {k}@{o}={m} unseen");
        }
        views.push(view);
    }
    assert!(
        views.windows(2).all(|w| w[0] == w[1]),
        "nodes disagree on the logs"
    );
    r.cluster.node_ids().len() as u64
}

#[tokio::test(start_paused = true)]
async fn one_node_at_rate_1000_is_valid() {
    let r = run(1, 1000.0, 10, Duration::from_millis(1), 1, None).await;
    assert_eq!(r.history.unacked_sends, 0);
    assert_eq!(r.history.poll_failures, 0);
    assert!(r.history.acked.len() > 2000, "{}", r.history.acked.len());
    check_consistency(&r.history);
    final_polls(&r).await;
    // One node never talks to a peer; a send costs one CaS (or less, batched).
    let s = total_stats(&r.handles);
    assert_eq!(s.sends_forwarded + s.sends_fallback, 0);
    assert_eq!(s.cas_failed, 0);
}

#[tokio::test(start_paused = true)]
async fn two_nodes_concurrent_sends_offsets_unique_polls_complete_and_efficient() {
    for (seed, latency_ms) in [(2u64, 0u64), (3, 1), (4, 10)] {
        let r = run(2, 1000.0, 10, Duration::from_millis(latency_ms), seed, None).await;
        let h = &r.history;
        assert_eq!(h.unacked_sends, 0, "seed {seed}: every send acknowledged");
        assert_eq!(h.poll_failures, 0, "seed {seed}");
        let logs = check_consistency(h);
        // Offsets are dense: every key's offsets are exactly 0..n.
        for (k, l) in &logs {
            let max = *l.keys().last().unwrap();
            assert_eq!(max + 1, l.len() as u64, "seed {seed}: gaps in {k}");
        }
        let final_ops = final_polls(&r).await;
        let s = total_stats(&r.handles);
        assert!(
            s.sends_forwarded > 100,
            "seed {seed}: sends reach owners: {s:?}"
        );
        assert!(s.polls_forwarded > 100, "seed {seed}: {s:?}");
        assert_eq!(s.sends_fallback + s.polls_fallback, 0, "seed {seed}: {s:?}");
        let rate = s.cas_failure_rate();
        assert!(rate < 0.005, "seed {seed}: CaS failure rate {rate}: {s:?}");
        let ops = h.ops + final_ops;
        let per_op = r.cluster.stats().server_msgs as f64 / ops as f64;
        eprintln!("seed {seed} latency {latency_ms} ms: {per_op:.2} msgs/op, {s:?}");
        assert!(per_op <= 5.0, "seed {seed}: {per_op} server msgs per op");
    }
}

#[tokio::test(start_paused = true)]
async fn partitions_lose_nothing_and_stay_available_through_lin_kv() {
    for seed in [5u64, 6] {
        let r = run(
            2,
            500.0,
            12,
            Duration::from_millis(2),
            seed,
            Some(Duration::from_secs(2)),
        )
        .await;
        let h = &r.history;
        // lin-kv is never partitioned: the fallback keeps every send available.
        assert_eq!(h.unacked_sends, 0, "seed {seed}");
        assert_eq!(h.poll_failures, 0, "seed {seed}");
        let s = total_stats(&r.handles);
        assert!(
            s.sends_fallback > 0,
            "seed {seed}: partitions hit forwards: {s:?}"
        );
        // Relayed sends keep each owner the only writer of its logs: no CaS ever fails.
        assert_eq!(s.cas_failed, 0, "seed {seed}: {s:?}");
        check_consistency(h);
        tokio::time::sleep(Duration::from_secs(2)).await;
        final_polls(&r).await;
    }
}

#[tokio::test(start_paused = true)]
async fn sends_to_an_unreachable_owner_are_relayed_through_lin_kv_not_written_by_cas() {
    let handles = Handles::default();
    let cluster = start(2, Duration::from_millis(2), &handles).await;
    let mut c0 = cluster.client();
    let mut c1 = cluster.client();
    // Key "1" is owned by n1; n0 cannot reach it.
    cluster.isolate("n1");
    send_alternately(&mut c0, &mut c1, 8).await;
    // n0 relayed its sends (the first after a forward timed out) and never wrote the log.
    let per_node: Vec<StatsSnapshot> = handles.lock().unwrap().iter().map(Kafka::stats).collect();
    let n0 = per_node
        .iter()
        .find(|s| s.sends_fallback > 0)
        .expect("n0 relayed");
    assert_eq!(n0.sends_fallback, 4, "{n0:?}");
    assert_eq!(n0.cas_attempts, 0, "{n0:?}");
    let all = total_stats(&handles);
    assert_eq!(all.cas_failed, 0, "{all:?}");
    // The owner's cache already holds every send, in order, before any heal.
    let p = c1
        .rpc("n1", json!({"type": "poll", "offsets": {"1": 0}}))
        .await
        .unwrap();
    let want: Vec<Value> = (0..8).map(|i| json!([i, i])).collect();
    assert_eq!(p["msgs"]["1"], json!(want));
    // n0 polls the log from lin-kv meanwhile and sees the same.
    let p = c0
        .rpc("n0", json!({"type": "poll", "offsets": {"1": 0}}))
        .await
        .unwrap();
    assert_eq!(p["msgs"]["1"], json!(want));
}

#[tokio::test(start_paused = true)]
async fn a_forward_whose_reply_is_lost_is_not_appended_twice() {
    let handles = Handles::default();
    let cluster = start(2, Duration::from_millis(2), &handles).await;
    // Key "1" is owned by n1. n1's replies to n0 are lost; n0's requests get through.
    cluster.block("n1", "n0");
    let mut c = cluster.client();
    let r = c
        .rpc("n0", json!({"type": "send", "key": "1", "msg": 42}))
        .await
        .unwrap();
    assert_eq!(r["type"], "send_ok", "{r}");
    assert_eq!(r["offset"], 0);
    cluster.heal();
    tokio::time::sleep(Duration::from_secs(1)).await;
    for id in ["n0", "n1"] {
        let p = c
            .rpc(id, json!({"type": "poll", "offsets": {"1": 0}}))
            .await
            .unwrap();
        assert_eq!(p["msgs"], json!({"1": [[0, 42]]}), "{id}: exactly one copy");
    }
    let s = total_stats(&handles);
    assert_eq!(s.sends_fallback, 1, "{s:?}");
}

#[tokio::test(start_paused = true)]
async fn fallback_writes_reach_the_owner_after_a_heal() {
    let handles = Handles::default();
    let cluster = start(2, Duration::from_millis(2), &handles).await;
    let mut c0 = cluster.client();
    let mut c1 = cluster.client();
    // Key "1" is owned by n1. Write through both nodes while they are cut apart.
    cluster.isolate("n1");
    send_alternately(&mut c0, &mut c1, 6).await;
    // While partitioned, the owner may not know n0's writes yet, but shows a prefix.
    let p = c1
        .rpc("n1", json!({"type": "poll", "offsets": {"1": 0}}))
        .await
        .unwrap();
    let seen = p["msgs"]["1"].as_array().map_or(0, Vec::len);
    for (i, pair) in p["msgs"]["1"].as_array().into_iter().flatten().enumerate() {
        assert_eq!(pair, &json!([i, i]));
    }
    assert!(seen <= 6);
    cluster.heal();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let want: Vec<Value> = (0..6).map(|i| json!([i, i])).collect();
    for (c, id) in [(&mut c0, "n0"), (&mut c1, "n1")] {
        let p = c
            .rpc(id, json!({"type": "poll", "offsets": {"1": 0}}))
            .await
            .unwrap();
        assert_eq!(p["msgs"]["1"], json!(want), "{id}");
    }
}

#[tokio::test(start_paused = true)]
async fn committed_offsets_are_visible_from_every_node_even_after_a_partition() {
    let handles = Handles::default();
    let cluster = start(3, Duration::from_millis(5), &handles).await;
    let mut c = cluster.client();
    let r = c
        .rpc(
            "n0",
            json!({"type": "commit_offsets", "offsets": {"a": 3, "b": 7}}),
        )
        .await
        .unwrap();
    assert_eq!(r["type"], "commit_offsets_ok");
    // The committing node shows it at once.
    let r = c
        .rpc(
            "n0",
            json!({"type": "list_committed_offsets", "keys": ["a", "b", "z"]}),
        )
        .await
        .unwrap();
    assert_eq!(r["offsets"], json!({"a": 3, "b": 7}));
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in ["n1", "n2"] {
        let r = c
            .rpc(
                id,
                json!({"type": "list_committed_offsets", "keys": ["a", "b"]}),
            )
            .await
            .unwrap();
        assert_eq!(r["offsets"], json!({"a": 3, "b": 7}), "{id}");
    }
    // Commits only grow; one made during a partition arrives after the heal.
    cluster.isolate("n2");
    c.rpc(
        "n1",
        json!({"type": "commit_offsets", "offsets": {"a": 9, "b": 2}}),
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let r = c
        .rpc(
            "n2",
            json!({"type": "list_committed_offsets", "keys": ["a"]}),
        )
        .await
        .unwrap();
    assert_eq!(r["offsets"], json!({"a": 3}), "not yet: n2 is cut off");
    cluster.heal();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for id in ["n0", "n1", "n2"] {
        let r = c
            .rpc(
                id,
                json!({"type": "list_committed_offsets", "keys": ["a", "b"]}),
            )
            .await
            .unwrap();
        assert_eq!(r["offsets"], json!({"a": 9, "b": 7}), "{id}");
    }
}

#[tokio::test(start_paused = true)]
async fn polls_from_either_node_return_every_acked_message_in_order() {
    let handles = Handles::default();
    let cluster = start(2, Duration::from_millis(3), &handles).await;
    let mut c0 = cluster.client();
    let mut c1 = cluster.client();
    // Interleave sends to keys owned by each node from both nodes.
    let mut expected: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for i in 0..40i64 {
        let key = (i % 4).to_string();
        let (c, id) = if i % 3 == 0 {
            (&mut c0, "n0")
        } else {
            (&mut c1, "n1")
        };
        let r = c
            .rpc(id, json!({"type": "send", "key": key, "msg": i}))
            .await
            .unwrap();
        let l = expected.entry(key.clone()).or_default();
        assert_eq!(r["offset"], l.len(), "offsets per key are 0, 1, 2, ...");
        l.push(i);
        // Visible right after the acknowledgement, from both nodes.
        for (c, id) in [(&mut c0, "n0"), (&mut c1, "n1")] {
            let from = l.len() as u64 - 1;
            let p = c
                .rpc(id, json!({"type": "poll", "offsets": {key.clone(): from}}))
                .await
                .unwrap();
            assert_eq!(p["msgs"][&key], json!([[from, i]]), "{id} after send {i}");
        }
    }
    // A poll from the middle returns the rest, in order.
    let p = c0
        .rpc("n0", json!({"type": "poll", "offsets": {"1": 5, "2": 100}}))
        .await
        .unwrap();
    let want: Vec<Value> = expected["1"][5..]
        .iter()
        .enumerate()
        .map(|(i, v)| json!([5 + i, v]))
        .collect();
    assert_eq!(
        p["msgs"],
        json!({"1": want}),
        "key 2 has nothing at 100: left out"
    );
}
