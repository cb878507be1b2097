//! Telemetry from a real broadcast cluster: three `broadcast` processes (latency profile)
//! with the file sink on, wired together by a small in-test router. Gossip rounds reach
//! the metrics snapshot (`glomers_gossip_fanout`, `glomers_gossip_batch_values`), and one
//! client value's spread is one trace: the `broadcast` request's `handle` span on n0, its
//! `gossip_round` span, and the `handle` spans of the pushes on n1 and n2.

mod telemetry_common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use glomers_node::telemetry::SpanRecord;
use serde_json::{json, Value};
use telemetry_common::{parse_prometheus, wait_until, Sample};

const NODES: [&str; 3] = ["n0", "n1", "n2"];

/// Three broadcast processes; node→node lines are routed between them, lines for clients
/// come out of `client`.
struct Cluster {
    children: Vec<Child>,
    stdins: Arc<Mutex<HashMap<String, ChildStdin>>>,
    client: mpsc::Receiver<Value>,
}

impl Cluster {
    fn start(dir: &Path) -> Cluster {
        let stdins = Arc::new(Mutex::new(HashMap::new()));
        let (client_tx, client) = mpsc::channel();
        let mut children = Vec::new();
        for id in NODES {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_broadcast"));
            cmd.arg("3d")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null());
            for (k, _) in std::env::vars() {
                if k.starts_with("GLOMERS_") || k.starts_with("OTEL_") {
                    cmd.env_remove(k);
                }
            }
            cmd.env("GLOMERS_TELEMETRY", "file")
                .env("GLOMERS_TELEMETRY_DIR", dir);
            let mut child = cmd.spawn().expect("spawn broadcast");
            stdins
                .lock()
                .unwrap()
                .insert(id.to_string(), child.stdin.take().unwrap());
            let stdout = child.stdout.take().unwrap();
            let (routes, to_client) = (stdins.clone(), client_tx.clone());
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    let msg: Value = serde_json::from_str(&line).expect("stdout is JSON");
                    let dest = msg["dest"].as_str().unwrap_or_default().to_string();
                    let mut routes = routes.lock().unwrap();
                    match routes.get_mut(&dest) {
                        Some(stdin) => {
                            let _ = writeln!(stdin, "{line}").and_then(|_| stdin.flush());
                        }
                        None => {
                            let _ = to_client.send(msg);
                        }
                    }
                }
            });
            children.push(child);
        }
        Cluster {
            children,
            stdins,
            client,
        }
    }

    /// Send a client request and wait for its reply body.
    fn request(&self, dest: &str, body: Value) -> Value {
        let line = json!({"src": "c1", "dest": dest, "body": body}).to_string();
        {
            let mut stdins = self.stdins.lock().unwrap();
            let stdin = stdins.get_mut(dest).unwrap();
            writeln!(stdin, "{line}").unwrap();
            stdin.flush().unwrap();
        }
        let reply = self
            .client
            .recv_timeout(Duration::from_secs(5))
            .expect("reply in time");
        reply["body"].clone()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for c in &mut self.children {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// `<dir>/<node>/<start>-<pid>/`.
fn node_folder(dir: &Path, node: &str) -> Option<PathBuf> {
    let entry = std::fs::read_dir(dir.join(node)).ok()?.next()?.ok()?;
    Some(entry.path())
}

fn read_metrics(dir: &Path, node: &str) -> Vec<Sample> {
    node_folder(dir, node)
        .and_then(|f| std::fs::read_to_string(f.join("metrics.prom")).ok())
        .map(|t| parse_prometheus(&t).0)
        .unwrap_or_default()
}

fn sample(samples: &[Sample], name: &str, node: &str) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == name && s.labels.get("node").map(String::as_str) == Some(node))
        .map(|s| s.value)
}

fn all_spans(dir: &Path) -> Vec<SpanRecord> {
    NODES
        .iter()
        .filter_map(|n| node_folder(dir, n))
        .filter_map(|f| std::fs::read_to_string(f.join("spans.jsonl")).ok())
        .flat_map(|t| {
            t.lines()
                .filter_map(|l| serde_json::from_str::<SpanRecord>(l).ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn gossip_rounds_reach_metrics_and_one_value_is_one_trace() {
    let dir = std::env::temp_dir().join(format!(
        "glomers-telemetry-broadcast-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let cluster = Cluster::start(&dir);
    for id in NODES {
        let reply = cluster.request(
            id,
            json!({"type": "init", "msg_id": 1, "node_id": id, "node_ids": NODES}),
        );
        assert_eq!(reply["type"], "init_ok");
    }
    const VALUES: u64 = 5;
    for v in 0..VALUES {
        let reply = cluster.request(
            "n0",
            json!({"type": "broadcast", "msg_id": 10 + v, "message": v}),
        );
        assert_eq!(reply["type"], "broadcast_ok");
    }
    // Every value reached every node.
    let spread = wait_until(Duration::from_secs(5), || {
        NODES.iter().all(|n| {
            let r = cluster.request(n, json!({"type": "read", "msg_id": 99}));
            r["messages"].as_array().map(Vec::len) == Some(VALUES as usize)
        })
    });
    assert!(spread, "values did not reach every node");

    // Each value was one round on n0: pushed to both peers at once, one value each.
    let counted = wait_until(Duration::from_secs(5), || {
        let m = read_metrics(&dir, "n0");
        sample(&m, "glomers_gossip_fanout_count", "n0").unwrap_or(0.0) >= VALUES as f64
    });
    let m = read_metrics(&dir, "n0");
    assert!(counted, "no gossip rounds in n0's metrics.prom: {m:?}");
    let rounds = sample(&m, "glomers_gossip_fanout_count", "n0").unwrap();
    let fanout_sum = sample(&m, "glomers_gossip_fanout_sum", "n0").unwrap();
    assert!(
        fanout_sum >= 2.0 * VALUES as f64 && fanout_sum <= 2.0 * rounds,
        "fan-out sum {fanout_sum} over {rounds} rounds"
    );
    assert!(sample(&m, "glomers_gossip_batch_values_count", "n0").unwrap() >= VALUES as f64);
    assert!(sample(&m, "glomers_gossip_batch_values_sum", "n0").unwrap() >= VALUES as f64);

    // One value, one trace: n0's handle(broadcast) → gossip_round → handle(gossip) on n1, n2.
    let mut found = false;
    let mut spans = Vec::new();
    for _ in 0..100 {
        spans = all_spans(&dir);
        let root = spans.iter().find(|s| {
            s.name == "handle"
                && s.attr_str("msg.type") == Some("broadcast")
                && s.attr_str("node") == Some("n0")
        });
        if let Some(root) = root {
            let round = spans.iter().find(|s| {
                s.name == "gossip_round" && s.parent_span_id.as_ref() == Some(&root.span_id)
            });
            if let Some(round) = round {
                let receivers: Vec<&str> = spans
                    .iter()
                    .filter(|s| {
                        s.name == "handle"
                            && s.trace_id == root.trace_id
                            && s.parent_span_id.as_ref() == Some(&round.span_id)
                    })
                    .map(|s| {
                        assert!(s.parent_is_remote);
                        assert_eq!(s.attr_str("msg.type"), Some("gossip"));
                        s.attr_str("node").unwrap()
                    })
                    .collect();
                assert_eq!(root.parent_span_id, None);
                assert_eq!(round.trace_id, root.trace_id);
                assert_eq!(round.attr_str("node"), Some("n0"));
                assert_eq!(round.attributes["fanout"], json!(2));
                if receivers.contains(&"n1") && receivers.contains(&"n2") {
                    found = true;
                    break;
                }
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        found,
        "no trace from n0's broadcast to n1 and n2 in {spans:#?}"
    );
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}
