//! The simulated network: routes envelopes between in-process nodes, test clients and
//! fake services, with a fixed latency on node and service traffic (none on client
//! traffic, as in Maelstrom) and partitions that drop node-to-node messages.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::sync::mpsc;

use crate::io::Transport;
use crate::message::Envelope;
use crate::node::Node;
use crate::runtime::{serve, Handler};

/// A built-in service of the simulated network (a fake KV, say).
pub trait SimService: Send + 'static {
    /// Answer a request body from `src`; `None` sends no reply.
    fn handle(&mut self, src: &str, body: &Value) -> Option<Value>;
}

/// Message counts, classified as Maelstrom does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Messages with neither end a client (node↔node and node↔service).
    pub server_msgs: u64,
    /// Messages with a client at either end.
    pub client_msgs: u64,
    /// Node↔node messages dropped by a partition (also counted in `server_msgs`).
    pub dropped: u64,
}

type ServiceCell = Arc<Mutex<Box<dyn SimService>>>;

struct Shared {
    router: mpsc::UnboundedSender<Envelope>,
    inboxes: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
    clients: Mutex<HashMap<String, mpsc::UnboundedSender<Envelope>>>,
    services: Mutex<HashMap<String, ServiceCell>>,
    /// (from, to) pairs whose messages are dropped.
    blocked: Mutex<HashSet<(String, String)>>,
    latency: Duration,
    stats: Mutex<NetStats>,
    next_msg: AtomicU64,
    next_client: AtomicU64,
    /// Observers of every routed envelope (see `Cluster::tap`).
    taps: Mutex<Vec<mpsc::UnboundedSender<Envelope>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn is_client(id: &str) -> bool {
    id.starts_with('c')
}

/// A cluster of in-process nodes on a simulated network.
pub struct Cluster {
    shared: Arc<Shared>,
    nodes: Vec<String>,
    handles: HashMap<String, Node>,
}

impl Cluster {
    /// Start `n` nodes `n0..` with handlers from `make`, initialise them and return once
    /// every node has answered `init`. Must run inside a tokio runtime.
    pub async fn start<H, F>(n: usize, latency: Duration, make: F) -> Cluster
    where
        H: Handler,
        F: Fn(&Node) -> H + Clone + Send + 'static,
    {
        Self::start_with_services(n, latency, Vec::new(), make).await
    }

    /// Like `start`, with services (e.g. `("seq-kv", FakeKv::seq(1))`) present from the beginning.
    pub async fn start_with_services<H, F>(
        n: usize,
        latency: Duration,
        services: Vec<(&str, Box<dyn SimService>)>,
        make: F,
    ) -> Cluster
    where
        H: Handler,
        F: Fn(&Node) -> H + Clone + Send + 'static,
    {
        let (router_tx, router_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            router: router_tx,
            inboxes: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
            services: Mutex::new(HashMap::new()),
            blocked: Mutex::new(HashSet::new()),
            latency,
            stats: Mutex::new(NetStats::default()),
            next_msg: AtomicU64::new(0),
            next_client: AtomicU64::new(0),
            taps: Mutex::new(Vec::new()),
        });
        for (name, svc) in services {
            lock(&shared.services).insert(name.to_string(), Arc::new(Mutex::new(svc)));
        }
        tokio::spawn(route(shared.clone(), router_rx));
        let nodes: Vec<String> = (0..n).map(|i| format!("n{i}")).collect();
        let (node_tx, mut node_rx) = mpsc::unbounded_channel();
        for id in &nodes {
            let (in_tx, in_rx) = mpsc::unbounded_channel();
            lock(&shared.inboxes).insert(id.clone(), in_tx);
            let transport = Transport {
                inbound: in_rx,
                outbound: shared.router.clone(),
            };
            let make = make.clone();
            let node_tx = node_tx.clone();
            tokio::spawn(async move {
                let captured = Arc::new(Mutex::new(None));
                let slot = captured.clone();
                let tx = node_tx.clone();
                serve(transport, move |node: &Node| {
                    *lock(&slot) = Some(node.clone());
                    let _ = tx.send(node.clone());
                    make(node)
                })
                .await;
            });
        }
        drop(node_tx);
        let mut cluster = Cluster {
            shared,
            nodes: nodes.clone(),
            handles: HashMap::new(),
        };
        let mut init = cluster.client();
        for id in &nodes {
            let reply = init
                .rpc(
                    id,
                    json!({"type": "init", "node_id": id, "node_ids": nodes}),
                )
                .await
                .expect("node answers init");
            assert_eq!(reply["type"], "init_ok");
        }
        for _ in 0..n {
            let node = node_rx.recv().await.expect("node handle");
            cluster.handles.insert(node.id().to_string(), node);
        }
        cluster
    }

    pub fn node_ids(&self) -> &[String] {
        &self.nodes
    }

    /// The runtime handle of node `id` (to inspect or drive it directly).
    pub fn node(&self, id: &str) -> &Node {
        &self.handles[id]
    }

    /// A new client with a fresh `cN` id.
    pub fn client(&self) -> Client {
        let id = format!(
            "c{}",
            self.shared.next_client.fetch_add(1, Ordering::Relaxed)
        );
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.shared.clients).insert(id.clone(), tx);
        Client {
            id,
            rx,
            next_msg_id: 1,
            shared: self.shared.clone(),
            timeout: Duration::from_secs(5),
        }
    }

    /// Add or replace a service.
    pub fn add_service(&self, name: &str, svc: Box<dyn SimService>) {
        lock(&self.shared.services).insert(name.to_string(), Arc::new(Mutex::new(svc)));
    }

    /// Run `f` on a service (to inspect its state).
    pub fn with_service<R>(&self, name: &str, f: impl FnOnce(&mut dyn SimService) -> R) -> R {
        let cell = lock(&self.shared.services)[name].clone();
        let mut guard = lock(&cell);
        f(guard.as_mut())
    }

    /// Drop messages in both directions between every pair of nodes in different groups.
    pub fn partition(&self, groups: &[&[&str]]) {
        let mut blocked = lock(&self.shared.blocked);
        for (i, a) in groups.iter().enumerate() {
            for (j, b) in groups.iter().enumerate() {
                if i == j {
                    continue;
                }
                for x in a.iter() {
                    for y in b.iter() {
                        blocked.insert((x.to_string(), y.to_string()));
                    }
                }
            }
        }
    }

    /// Cut one node off from every other node.
    pub fn isolate(&self, id: &str) {
        let others: Vec<&str> = self
            .nodes
            .iter()
            .map(String::as_str)
            .filter(|n| *n != id)
            .collect();
        self.partition(&[&[id], &others]);
    }

    /// Drop messages from `from` to `to` (one way).
    pub fn block(&self, from: &str, to: &str) {
        lock(&self.shared.blocked).insert((from.to_string(), to.to_string()));
    }

    /// Remove every partition.
    pub fn heal(&self) {
        lock(&self.shared.blocked).clear();
    }

    pub fn stats(&self) -> NetStats {
        *lock(&self.shared.stats)
    }

    /// A copy of every envelope the network routes from now on (dropped ones included),
    /// as sent: to check what nodes put on the wire.
    pub fn tap(&self) -> mpsc::UnboundedReceiver<Envelope> {
        let (tx, rx) = mpsc::unbounded_channel();
        lock(&self.shared.taps).push(tx);
        rx
    }
}

/// A test client: one outstanding request at a time, like a Maelstrom client.
pub struct Client {
    id: String,
    rx: mpsc::UnboundedReceiver<Envelope>,
    next_msg_id: u64,
    shared: Arc<Shared>,
    timeout: Duration,
}

/// The client's request went unanswered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("client request timed out")]
pub struct ClientTimeout;

impl Client {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Client {
        self.timeout = timeout;
        self
    }

    /// Send `body` (a JSON object) to `dest` and await the matching reply body.
    pub async fn rpc(&mut self, dest: &str, body: Value) -> Result<Value, ClientTimeout> {
        let msg_id = self.next_msg_id;
        self.next_msg_id += 1;
        let mut obj = match body {
            Value::Object(m) => m,
            other => {
                let mut m = Map::new();
                m.insert("value".into(), other);
                m
            }
        };
        obj.insert("msg_id".into(), Value::from(msg_id));
        let _ = self.shared.router.send(Envelope {
            src: self.id.clone(),
            dest: dest.to_string(),
            body: Value::Object(obj),
        });
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(env)) if env.in_reply_to() == Some(msg_id) => return Ok(env.body),
                Ok(Some(_)) => continue, // late reply to an abandoned request
                Ok(None) | Err(_) => return Err(ClientTimeout),
            }
        }
    }
}

async fn route(shared: Arc<Shared>, mut rx: mpsc::UnboundedReceiver<Envelope>) {
    while let Some(env) = rx.recv().await {
        {
            let mut taps = lock(&shared.taps);
            if !taps.is_empty() {
                taps.retain(|t| t.send(env.clone()).is_ok());
            }
        }
        let client_end = is_client(&env.src) || is_client(&env.dest);
        let both_nodes = lock(&shared.inboxes).contains_key(&env.src)
            && lock(&shared.inboxes).contains_key(&env.dest);
        let dropped =
            both_nodes && lock(&shared.blocked).contains(&(env.src.clone(), env.dest.clone()));
        {
            let mut stats = lock(&shared.stats);
            if client_end {
                stats.client_msgs += 1;
            } else {
                stats.server_msgs += 1;
            }
            if dropped {
                stats.dropped += 1;
            }
        }
        if dropped {
            continue;
        }
        let delay = if client_end {
            Duration::ZERO
        } else {
            shared.latency
        };
        let shared = shared.clone();
        if delay.is_zero() {
            deliver(&shared, env);
        } else {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                deliver(&shared, env);
            });
        }
    }
}

fn deliver(shared: &Arc<Shared>, env: Envelope) {
    if let Some(tx) = lock(&shared.inboxes).get(&env.dest) {
        let id = shared.next_msg.fetch_add(1, Ordering::Relaxed);
        let line =
            json!({"id": id, "src": env.src, "dest": env.dest, "body": env.body}).to_string();
        let _ = tx.send(line);
        return;
    }
    if let Some(tx) = lock(&shared.clients).get(&env.dest) {
        let _ = tx.send(env);
        return;
    }
    let svc = lock(&shared.services).get(&env.dest).cloned();
    if let Some(svc) = svc {
        let reply = lock(&svc).handle(&env.src, &env.body);
        if let Some(Value::Object(mut body)) = reply {
            body.insert(
                "in_reply_to".into(),
                env.body.get("msg_id").cloned().unwrap_or(Value::Null),
            );
            let _ = shared.router.send(Envelope {
                src: env.dest,
                dest: env.src,
                body: Value::Object(body),
            });
        }
        return;
    }
    tracing::debug!(dest = %env.dest, "message to unknown destination dropped");
}
