//! Runtime behaviour over the in-memory network: awaitable RPCs with timeouts,
//! handlers that wait on an RPC without blocking other messages, periodic tasks,
//! and the KV clients' typed errors against fake services.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use glomers_node::sim::{Cluster, FakeKv};
use glomers_node::{ErrorCode, Handler, Kv, KvError, Message, Node, NodeError, RpcError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::time::Instant;

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Req {
    Ping,
    /// Ask a peer for a pong and report how it went.
    Relay {
        to: String,
    },
    Ticks,
    Cas {
        key: String,
        from: i64,
        to: i64,
        create: bool,
    },
    Read {
        key: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[allow(clippy::enum_variant_names)] // the wire names end in `_ok`
enum Reply {
    PingOk,
    RelayOk { outcome: String },
    TicksOk { ticks: u64 },
    CasOk,
    ReadOk { value: Value },
}

struct Probe {
    ticks: Arc<AtomicU64>,
    kv: Kv,
}

impl Probe {
    fn new(node: &Node) -> Probe {
        let ticks = Arc::new(AtomicU64::new(0));
        let t = ticks.clone();
        node.every(Duration::from_millis(100), move || {
            t.fetch_add(1, Ordering::Relaxed);
        });
        Probe {
            ticks,
            kv: Kv::lin(node).with_timeout(Duration::from_millis(500)),
        }
    }
}

impl Handler for Probe {
    type Request = Req;

    fn handle(&self, node: &Node, msg: Message<Req>) -> Result<(), NodeError> {
        let to = msg.reply_to();
        match msg.body {
            Req::Ping => node.reply(&to, &Reply::PingOk),
            Req::Relay { to: peer } => {
                let n = node.clone();
                node.spawn_reply(to, async move {
                    let r: Result<Reply, RpcError> = n
                        .rpc(&peer, &json!({"type": "ping"}), Duration::from_secs(1))
                        .await;
                    let outcome = match r {
                        Ok(Reply::PingOk) => "pong".to_string(),
                        Ok(other) => format!("odd {other:?}"),
                        Err(e) => e.to_string(),
                    };
                    Ok(Reply::RelayOk { outcome })
                });
            }
            Req::Ticks => node.reply(
                &to,
                &Reply::TicksOk {
                    ticks: self.ticks.load(Ordering::Relaxed),
                },
            ),
            Req::Cas {
                key,
                from,
                to: new,
                create,
            } => {
                let kv = self.kv.clone();
                node.spawn_reply(to, async move {
                    kv.cas(&key, &from, &new, create)
                        .await
                        .map_err(|e| match e {
                            KvError::PreconditionFailed(t) => {
                                NodeError::new(ErrorCode::PreconditionFailed, t)
                            }
                            KvError::KeyDoesNotExist => {
                                NodeError::new(ErrorCode::KeyDoesNotExist, "missing")
                            }
                            other => NodeError::new(ErrorCode::Crash, other.to_string()),
                        })?;
                    Ok(Reply::CasOk)
                });
            }
            Req::Read { key } => {
                let kv = self.kv.clone();
                node.spawn_reply(to, async move {
                    match kv.read::<_, Value>(&key).await {
                        Ok(value) => Ok(Reply::ReadOk { value }),
                        Err(KvError::KeyDoesNotExist) => {
                            Err(NodeError::new(ErrorCode::KeyDoesNotExist, "missing"))
                        }
                        Err(e) => Err(NodeError::new(ErrorCode::Crash, e.to_string())),
                    }
                });
            }
        }
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn rpc_round_trip_and_timeout_under_partition() {
    let cluster = Cluster::start(2, Duration::from_millis(50), Probe::new).await;
    let mut c = cluster.client();
    let start = Instant::now();
    let r = c
        .rpc("n0", json!({"type": "relay", "to": "n1"}))
        .await
        .unwrap();
    assert_eq!(r["outcome"], "pong");
    // Two 50 ms hops, nothing else.
    assert_eq!(start.elapsed(), Duration::from_millis(100));

    cluster.isolate("n1");
    let start = Instant::now();
    let r = c
        .rpc("n0", json!({"type": "relay", "to": "n1"}))
        .await
        .unwrap();
    assert_eq!(r["outcome"], "rpc timed out");
    assert_eq!(start.elapsed(), Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn a_handler_waiting_on_rpc_does_not_block_other_messages() {
    let cluster = Cluster::start(2, Duration::from_millis(50), Probe::new).await;
    cluster.isolate("n1");
    let mut slow = cluster.client();
    let mut fast = cluster.client();
    let slow_req = async { slow.rpc("n0", json!({"type": "relay", "to": "n1"})).await };
    let fast_req = async {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let t = Instant::now();
        let r = fast.rpc("n0", json!({"type": "ping"})).await.unwrap();
        (r, t.elapsed())
    };
    let (slow_r, (fast_r, fast_latency)) = tokio::join!(slow_req, fast_req);
    assert_eq!(fast_r["type"], "ping_ok");
    assert_eq!(
        fast_latency,
        Duration::ZERO,
        "ping answered while relay waits"
    );
    assert_eq!(slow_r.unwrap()["outcome"], "rpc timed out");
}

#[tokio::test(start_paused = true)]
async fn periodic_tasks_tick() {
    let cluster = Cluster::start(1, Duration::ZERO, Probe::new).await;
    let mut c = cluster.client();
    tokio::time::sleep(Duration::from_millis(1050)).await;
    let r = c.rpc("n0", json!({"type": "ticks"})).await.unwrap();
    assert_eq!(r["ticks"], 10);
}

#[tokio::test(start_paused = true)]
async fn kv_client_typed_errors_against_fake_lin_kv() {
    let cluster = Cluster::start_with_services(
        1,
        Duration::from_millis(10),
        vec![("lin-kv", Box::new(FakeKv::lin()))],
        Probe::new,
    )
    .await;
    let mut c = cluster.client();
    let r = c
        .rpc("n0", json!({"type": "read", "key": "k"}))
        .await
        .unwrap();
    assert_eq!(r["code"], 20, "missing key → key-does-not-exist");
    let r = c
        .rpc(
            "n0",
            json!({"type": "cas", "key": "k", "from": 0, "to": 1, "create": false}),
        )
        .await
        .unwrap();
    assert_eq!(r["code"], 20);
    let r = c
        .rpc(
            "n0",
            json!({"type": "cas", "key": "k", "from": 0, "to": 1, "create": true}),
        )
        .await
        .unwrap();
    assert_eq!(r["type"], "cas_ok");
    let r = c
        .rpc(
            "n0",
            json!({"type": "cas", "key": "k", "from": 0, "to": 2, "create": false}),
        )
        .await
        .unwrap();
    assert_eq!(r["code"], 22, "stale from → precondition-failed");
    let r = c
        .rpc("n0", json!({"type": "read", "key": "k"}))
        .await
        .unwrap();
    assert_eq!(r["value"], 1);
}

#[tokio::test(start_paused = true)]
async fn kv_client_times_out_when_service_is_silent() {
    // No service registered: the request goes nowhere.
    let cluster = Cluster::start(1, Duration::from_millis(10), Probe::new).await;
    let mut c = cluster.client();
    let start = Instant::now();
    let r = c
        .rpc("n0", json!({"type": "read", "key": "k"}))
        .await
        .unwrap();
    assert_eq!(r["code"], 13);
    assert!(r["text"].as_str().unwrap().contains("timed out"));
    assert_eq!(start.elapsed(), Duration::from_millis(500));
}
