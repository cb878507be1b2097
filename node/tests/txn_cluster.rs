//! The txn node over the in-memory network: Maelstrom-like txn-rw-register and
//! txn-list-append workloads (client threads bound to nodes, 1–4 micro-ops per txn,
//! unique values per key), with and without partitions, checked the way Elle would
//! at read-committed: every txn answered (total availability), no intermediate read
//! (G1b), no ww/wr cycle (G0/G1c), list reads mutually prefix-compatible (no
//! incompatible-order), no duplicates, and replicas that converge after a heal.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use glomers_node::challenge::txn::stats::StatsSnapshot;
use glomers_node::challenge::txn::{Config, Txn};
use glomers_node::sim::{Client, Cluster, SplitMix};
use glomers_node::Node;
use serde_json::{json, Value};
use tokio::time::Instant;

type Handles = Arc<Mutex<Vec<Txn>>>;

async fn start(n: usize, latency: Duration, handles: &Handles) -> Cluster {
    let handles = handles.clone();
    Cluster::start(n, latency, move |node: &Node| {
        let t = Txn::with_config(
            node,
            Config {
                log_every: None,
                ..Config::default()
            },
        );
        handles.lock().unwrap().push(t.clone());
        t
    })
    .await
}

fn total_stats(handles: &Handles) -> Vec<StatsSnapshot> {
    handles.lock().unwrap().iter().map(Txn::stats).collect()
}

async fn txn(c: &mut Client, node: &str, mops: Value) -> Vec<(String, i64, Value)> {
    let r = c
        .rpc(node, json!({"type": "txn", "txn": mops}))
        .await
        .expect("txn answered");
    assert_eq!(r["type"], "txn_ok", "{r}");
    assert_eq!(r.as_object().unwrap().len(), 3, "txn_ok is closed: {r}");
    r["txn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m[0].as_str().unwrap().to_string(),
                m[1].as_i64().unwrap(),
                m[2].clone(),
            )
        })
        .collect()
}

/// Elle's generator, roughly: 10 active keys (the newest most likely), values 1, 2, …
/// per key, a key retired after 16 writes.
struct Gen {
    active: Vec<i64>,
    writes: HashMap<i64, i64>,
    next_key: i64,
    rng: SplitMix,
}

impl Gen {
    fn new(seed: u64) -> Gen {
        Gen {
            active: (0..10).collect(),
            writes: HashMap::new(),
            next_key: 10,
            rng: SplitMix::new(seed),
        }
    }

    fn txn(&mut self, write_op: &str) -> Value {
        let len = self.rng.range_inclusive(1, 4);
        let mut mops = Vec::new();
        for _ in 0..len {
            let mut slot = self.active.len() - 1;
            while slot > 0 && self.rng.next_u64() & 1 == 0 {
                slot -= 1;
            }
            let k = self.active[slot];
            if self.rng.next_u64() & 1 == 0 {
                mops.push(json!(["r", k, null]));
            } else {
                let w = self.writes.entry(k).or_insert(0);
                *w += 1;
                mops.push(json!([write_op, k, *w]));
                if *w >= 16 {
                    self.active[slot] = self.next_key;
                    self.next_key += 1;
                }
            }
        }
        Value::Array(mops)
    }
}

type Mops = Vec<(String, i64, Value)>;

/// Run `threads` clients (bound round-robin to nodes) for `secs`, optionally isolating
/// one node after another every `partition`. Every txn must be answered ok.
async fn workload(
    cluster: &Cluster,
    write_op: &'static str,
    rate: f64,
    secs: u64,
    seed: u64,
    partition: Option<Duration>,
) -> Vec<Mops> {
    let n = cluster.node_ids().len();
    let threads = 2 * n;
    let gen = Arc::new(Mutex::new(Gen::new(seed)));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for t in 0..threads {
        let mut client = cluster.client();
        let node = format!("n{}", t % n);
        let gen = gen.clone();
        let mut rng = SplitMix::new(seed * 31 + t as u64);
        let per_thread = rate / threads as f64;
        tasks.push(tokio::spawn(async move {
            let mut done = Vec::new();
            loop {
                let gap = rng.range_inclusive(0, (2e6 / per_thread) as u64);
                tokio::time::sleep(Duration::from_micros(gap)).await;
                if Instant::now() >= deadline {
                    return done;
                }
                let mops = gen.lock().unwrap().txn(write_op);
                let asked = Instant::now();
                done.push(txn(&mut client, &node, mops).await);
                // Totally available: answered without waiting on any peer.
                assert!(asked.elapsed() < Duration::from_millis(1), "txn blocked");
            }
        }));
    }
    if let Some(every) = partition {
        let mut i = 0;
        while Instant::now() + every < deadline {
            cluster.isolate(&format!("n{}", i % n));
            tokio::time::sleep(every).await;
            cluster.heal();
            tokio::time::sleep(every / 3).await;
            i += 1;
        }
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("client thread"));
    }
    cluster.heal();
    all
}

/// A dependency graph over txn indices; panics with the anomaly if it has a cycle.
fn assert_acyclic(edges: &HashMap<usize, HashSet<usize>>, what: &str) {
    // Iterative DFS with colours: 0 new, 1 on stack, 2 done.
    let mut colour: HashMap<usize, u8> = HashMap::new();
    for &start in edges.keys() {
        if colour.get(&start).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(
            start,
            edges.get(&start).into_iter().flatten().copied().collect(),
        )];
        colour.insert(start, 1);
        while let Some((node, rest)) = stack.last_mut() {
            match rest.pop() {
                Some(next) => match colour.get(&next).copied().unwrap_or(0) {
                    0 => {
                        colour.insert(next, 1);
                        let succ = edges.get(&next).into_iter().flatten().copied().collect();
                        stack.push((next, succ));
                    }
                    1 => panic!("{what}: dependency cycle through txn {next}"),
                    _ => {}
                },
                None => {
                    colour.insert(*node, 2);
                    stack.pop();
                }
            }
        }
    }
}

fn link(edges: &mut HashMap<usize, HashSet<usize>>, a: usize, b: usize) {
    if a != b {
        edges.entry(a).or_default().insert(b);
    }
}

/// Elle's rw-register inference at read-committed: G1b, internal reads, and no cycle
/// over wr edges and writes-follow-reads ww edges.
fn check_rw_register(history: &[Mops]) {
    // (k, v) → (writer txn, whether it is the writer's final write to k)
    let mut writer: HashMap<(i64, i64), (usize, bool)> = HashMap::new();
    for (t, mops) in history.iter().enumerate() {
        for (i, (f, k, v)) in mops.iter().enumerate() {
            if f == "w" {
                let last = !mops[i + 1..].iter().any(|(f2, k2, _)| f2 == "w" && k2 == k);
                writer.insert((*k, v.as_i64().unwrap()), (t, last));
            }
        }
    }
    let mut edges: HashMap<usize, HashSet<usize>> = HashMap::new();
    for (t, mops) in history.iter().enumerate() {
        let mut own: HashMap<i64, Value> = HashMap::new();
        let mut ext_read: HashMap<i64, Value> = HashMap::new();
        for (f, k, v) in mops {
            match f.as_str() {
                "w" => {
                    if let Some(Some(read)) = ext_read.get(k).map(Value::as_i64) {
                        // writes-follow-reads: read version < written version.
                        let (w, _) = writer[&(*k, read)];
                        link(&mut edges, w, t);
                    }
                    own.insert(*k, v.clone());
                }
                _ => {
                    if let Some(mine) = own.get(k) {
                        assert_eq!(v, mine, "internal: txn {t} read {k} after writing it");
                        continue;
                    }
                    ext_read.entry(*k).or_insert(v.clone());
                    if let Some(read) = v.as_i64() {
                        let &(w, last) = writer
                            .get(&(*k, read))
                            .unwrap_or_else(|| panic!("G1a/garbage: {k}={read} never written"));
                        assert!(last, "G1b: txn {t} read intermediate {k}={read} of txn {w}");
                        link(&mut edges, w, t);
                    }
                }
            }
        }
    }
    assert_acyclic(&edges, "rw-register");
}

/// Elle's list-append inference at read-committed: reads prefix-compatible, no
/// duplicates, G1b, no cycle over ww (list order) and wr edges. Returns the number of
/// internal reads that did not show the txn's own appends (allowed at read-committed).
fn check_list_append(history: &[Mops]) -> usize {
    let mut writer: HashMap<(i64, i64), (usize, bool)> = HashMap::new();
    for (t, mops) in history.iter().enumerate() {
        for (i, (f, k, v)) in mops.iter().enumerate() {
            if f == "append" {
                let last = !mops[i + 1..]
                    .iter()
                    .any(|(f2, k2, _)| f2 == "append" && k2 == k);
                writer.insert((*k, v.as_i64().unwrap()), (t, last));
            }
        }
    }
    let mut reads: BTreeMap<i64, Vec<Vec<i64>>> = BTreeMap::new();
    let mut edges: HashMap<usize, HashSet<usize>> = HashMap::new();
    let mut internal = 0;
    for (t, mops) in history.iter().enumerate() {
        let mut appended: HashMap<i64, Vec<i64>> = HashMap::new();
        for (f, k, v) in mops {
            if f == "append" {
                appended.entry(*k).or_default().push(v.as_i64().unwrap());
                continue;
            }
            let list: Vec<i64> = match v {
                Value::Null => Vec::new(),
                v => v
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e.as_i64().unwrap())
                    .collect(),
            };
            let distinct: HashSet<&i64> = list.iter().collect();
            assert_eq!(
                distinct.len(),
                list.len(),
                "duplicate elements in {k}: {list:?}"
            );
            if let Some(mine) = appended.get(k) {
                if !list.ends_with(mine) {
                    internal += 1;
                }
            }
            if let Some(last) = list.last() {
                let &(w, fin) = writer
                    .get(&(*k, *last))
                    .unwrap_or_else(|| panic!("{k}: element {last} never appended"));
                assert!(
                    fin || w == t,
                    "G1b: txn {t} read an intermediate append of txn {w}"
                );
                link(&mut edges, w, t);
            }
            if !list.is_empty() {
                reads.entry(*k).or_default().push(list);
            }
        }
    }
    for (k, mut lists) in reads {
        lists.sort_by_key(Vec::len);
        for pair in lists.windows(2) {
            assert!(
                pair[1].starts_with(&pair[0]),
                "incompatible-order on {k}: {:?} vs {:?}",
                pair[0],
                pair[1]
            );
        }
        // ww edges follow the (longest) observed order.
        let order = lists.last().unwrap();
        for w in order.windows(2) {
            let a = writer[&(k, w[0])].0;
            let b = writer[&(k, w[1])].0;
            link(&mut edges, a, b);
        }
    }
    assert_acyclic(&edges, "list-append");
    internal
}

/// Read `keys` on every node; every node must show the same value for each key.
async fn final_reads(cluster: &Cluster, keys: &[i64]) -> BTreeMap<i64, Value> {
    let mut c = cluster.client();
    let mut views = Vec::new();
    for id in cluster.node_ids() {
        let mops: Vec<Value> = keys.iter().map(|k| json!(["r", k, null])).collect();
        let got = txn(&mut c, id, Value::Array(mops)).await;
        views.push(
            got.into_iter()
                .map(|(_, k, v)| (k, v))
                .collect::<BTreeMap<i64, Value>>(),
        );
    }
    for w in views.windows(2) {
        assert_eq!(w[0], w[1], "replicas differ after the heal");
    }
    views.pop().unwrap()
}

fn written_keys(history: &[Mops], op: &str) -> Vec<i64> {
    let mut ks: Vec<i64> = history
        .iter()
        .flatten()
        .filter(|m| m.0 == op)
        .map(|m| m.1)
        .collect();
    ks.sort();
    ks.dedup();
    ks
}

#[tokio::test(start_paused = true)]
async fn rw_register_one_and_two_nodes_with_partitions_is_read_committed() {
    for (n, seed, partition) in [
        (1usize, 1u64, None),
        (2, 2, None),
        (2, 3, Some(Duration::from_millis(1500))),
        (3, 4, Some(Duration::from_millis(1000))),
    ] {
        let handles = Handles::default();
        let cluster = start(n, Duration::from_millis(5), &handles).await;
        let history = workload(&cluster, "w", 1000.0, 8, seed, partition).await;
        assert!(history.len() > 5000, "{n} nodes: {} txns", history.len());
        check_rw_register(&history);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let keys = written_keys(&history, "w");
        let finals = final_reads(&cluster, &keys).await;
        // Replication really happened: every written key is visible everywhere.
        assert!(
            finals.values().all(|v| !v.is_null()),
            "{n} nodes: {finals:?}"
        );
        let stats = total_stats(&handles);
        assert!(stats.iter().all(|s| s.txns_rejected == 0));
        if n > 1 {
            assert!(stats.iter().all(|s| s.batches_received > 0));
        }
    }
}

#[tokio::test(start_paused = true)]
async fn a_write_made_during_a_partition_is_read_on_the_other_side_after_the_heal() {
    let handles = Handles::default();
    let cluster = start(2, Duration::from_millis(5), &handles).await;
    let mut c = cluster.client();
    txn(&mut c, "n0", json!([["w", 1, 1]])).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        txn(&mut c, "n1", json!([["r", 1, null]])).await[0].2,
        json!(1)
    );
    cluster.isolate("n0");
    txn(&mut c, "n0", json!([["w", 1, 2], ["w", 2, 7]])).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // Still answered on the cut-off side, with what it has.
    let got = txn(&mut c, "n1", json!([["r", 1, null], ["r", 2, null]])).await;
    assert_eq!(
        (got[0].2.clone(), got[1].2.clone()),
        (json!(1), Value::Null)
    );
    cluster.heal();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let got = txn(&mut c, "n1", json!([["r", 1, null], ["r", 2, null]])).await;
    assert_eq!((got[0].2.clone(), got[1].2.clone()), (json!(2), json!(7)));
}

#[tokio::test(start_paused = true)]
async fn intermediate_writes_are_never_visible_and_txns_apply_atomically() {
    let handles = Handles::default();
    let cluster = start(2, Duration::from_millis(1), &handles).await;
    let mut w = cluster.client();
    let mut r0 = cluster.client();
    let mut r1 = cluster.client();
    for round in 0..200i64 {
        let (a, b) = (2 * round + 1, 2 * round + 2);
        txn(
            &mut w,
            "n0",
            json!([["w", 1, a], ["w", 2, a], ["w", 1, b], ["w", 2, b]]),
        )
        .await;
        for (c, id) in [(&mut r0, "n0"), (&mut r1, "n1")] {
            let got = txn(c, id, json!([["r", 1, null], ["r", 2, null]])).await;
            let (x, y) = (got[0].2.as_i64(), got[1].2.as_i64());
            // Only final writes (even values), and both keys from the same txn.
            assert!(x.is_none_or(|x| x % 2 == 0), "{id}: intermediate {x:?}");
            assert_eq!(x, y, "{id}: a txn's writes applied apart");
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
}

#[tokio::test(start_paused = true)]
async fn list_append_with_partitions_orders_agree_and_converge() {
    for (n, seed, partition) in [
        (1usize, 11u64, None),
        (2, 12, None),
        (2, 13, Some(Duration::from_millis(1500))),
        (3, 14, Some(Duration::from_millis(1000))),
    ] {
        let handles = Handles::default();
        let cluster = start(n, Duration::from_millis(5), &handles).await;
        let history = workload(&cluster, "append", 1000.0, 8, seed, partition).await;
        let internal = check_list_append(&history);
        if n == 1 {
            assert_eq!(internal, 0, "one node always shows a txn its own appends");
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        let keys = written_keys(&history, "append");
        let finals = final_reads(&cluster, &keys).await;
        // Every acknowledged append is in the converged list, exactly once.
        let mut appended: HashMap<i64, HashSet<i64>> = HashMap::new();
        for (f, k, v) in history.iter().flatten() {
            if f == "append" {
                appended.entry(*k).or_default().insert(v.as_i64().unwrap());
            }
        }
        for (k, want) in appended {
            let got: Vec<i64> = finals[&k]
                .as_array()
                .unwrap_or_else(|| panic!("{k} empty after heal"))
                .iter()
                .map(|e| e.as_i64().unwrap())
                .collect();
            assert_eq!(got.len(), want.len(), "{n} nodes, key {k}: {got:?}");
            assert_eq!(got.iter().copied().collect::<HashSet<_>>(), want);
        }
        // And the final lists extend every read made during the run.
        let mut all = history.clone();
        all.push(
            finals
                .iter()
                .map(|(k, v)| ("r".to_string(), *k, v.clone()))
                .collect(),
        );
        check_list_append(&all);
    }
}

#[tokio::test(start_paused = true)]
async fn concurrent_appends_on_both_sides_of_a_partition_never_show_conflicting_orders() {
    let handles = Handles::default();
    let cluster = start(2, Duration::from_millis(5), &handles).await;
    let mut c = cluster.client();
    let mut history: Vec<Mops> = vec![txn(&mut c, "n0", json!([["append", 1, 1]])).await];
    tokio::time::sleep(Duration::from_millis(200)).await;
    history.push(txn(&mut c, "n1", json!([["r", 1, null]])).await);
    assert_eq!(
        history[1][0].2,
        json!([1]),
        "stable once both nodes promised"
    );
    cluster.partition(&[&["n0"], &["n1"]]);
    // Each side appends and reads its own key 1 at once, then again later.
    for (i, id) in ["n0", "n1", "n0", "n1"].iter().enumerate() {
        history.push(txn(&mut c, id, json!([["append", 1, 10 + i], ["r", 1, null]])).await);
        tokio::time::sleep(Duration::from_millis(500)).await;
        history.push(txn(&mut c, id, json!([["r", 1, null]])).await);
    }
    // Neither side may show its own element yet: the other might order one first.
    for mops in &history[2..] {
        for (f, _, v) in mops {
            if f == "r" {
                assert_eq!(v, &json!([1]), "unstable element shown: {history:?}");
            }
        }
    }
    cluster.heal();
    tokio::time::sleep(Duration::from_millis(500)).await;
    for id in ["n0", "n1"] {
        history.push(txn(&mut c, id, json!([["r", 1, null]])).await);
    }
    let last = &history[history.len() - 1][0].2;
    assert_eq!(last.as_array().map(Vec::len), Some(5), "{last}");
    assert_eq!(&history[history.len() - 2][0].2, last);
    check_list_append(&history);
}

#[tokio::test(start_paused = true)]
async fn a_write_after_reading_a_peers_newer_writes_wins_everywhere() {
    // n1 has run many more txns (a larger clock) than n0. Once n0 has seen them, its
    // own later write must be ordered after them (Lamport), locally and on n1.
    let handles = Handles::default();
    let cluster = start(2, Duration::from_millis(5), &handles).await;
    let mut c = cluster.client();
    for v in 1..=50 {
        txn(&mut c, "n1", json!([["w", 1, v]])).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = txn(&mut c, "n0", json!([["r", 1, null], ["w", 1, 999]])).await;
    assert_eq!(got[0].2, json!(50));
    assert_eq!(
        txn(&mut c, "n0", json!([["r", 1, null]])).await[0].2,
        json!(999)
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        txn(&mut c, "n1", json!([["r", 1, null]])).await[0].2,
        json!(999)
    );
}
