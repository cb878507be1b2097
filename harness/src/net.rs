//! The simulated network (MAELSTROM.md §5): a registry of endpoints (nodes, services,
//! clients), global message ids, per-message latency, partitions (grudges) and the journal.
//!
//! Nodes and services each own one delivery queue ordered by deadline and drained by one
//! serial loop ([`run_queue`]): take the head, drop it if a partition applies at that moment,
//! sleep until its deadline, deliver. A message that arrives while the loop sleeps waits
//! behind the head (Maelstrom's head-of-line effect). Clients are in-process and their
//! traffic has zero latency, so messages to a client are handed over at send time.

use std::cmp::Ordering as CmpOrdering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use rand::rngs::StdRng;
use serde_json::value::RawValue;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use crate::journal::Journal;
use crate::latency::Latency;
use crate::log::Log;

/// A message on the network: Maelstrom's `{id, src, dest, body}` record.
#[derive(Debug, Clone)]
pub struct Message {
    pub id: u64,
    pub src: Arc<str>,
    pub dest: Arc<str>,
    pub body: Box<RawValue>,
}

impl Message {
    /// The JSON line written to a node's stdin (with the trailing newline).
    pub fn to_line(&self) -> String {
        let mut s =
            String::with_capacity(48 + self.src.len() + self.dest.len() + self.body.get().len());
        s.push_str("{\"id\":");
        s.push_str(&self.id.to_string());
        s.push_str(",\"src\":");
        s.push_str(&json_str(&self.src));
        s.push_str(",\"dest\":");
        s.push_str(&json_str(&self.dest));
        s.push_str(",\"body\":");
        s.push_str(self.body.get());
        s.push_str("}\n");
        s
    }

    /// The body parsed as JSON (`Null` if it is somehow not JSON).
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_str(self.body.get()).unwrap_or(serde_json::Value::Null)
    }

    /// Maelstrom-style EDN rendering (`pr-str` of its Message record) for
    /// `--log-net-send/recv`: `#maelstrom.net.message.Message{:id 1, :src "c0", ...}`.
    pub fn to_edn(&self) -> String {
        let body = crate::edn_util::body_to_edn(&self.body_json());
        let v = glomers_model::edn_map! {
            "id" => glomers_model::Value::Int(self.id as i64),
            "src" => glomers_model::Value::Str(self.src.to_string()),
            "dest" => glomers_model::Value::Str(self.dest.to_string()),
            "body" => body,
        };
        glomers_model::Value::Tagged("maelstrom.net.message.Message".into(), Box::new(v))
            .to_string()
    }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// A message waiting in a destination queue.
pub struct Queued {
    pub deadline: Instant,
    pub msg: Message,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == CmpOrdering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// Reversed, so that `BinaryHeap` pops the earliest deadline (ties: lowest id).
    fn cmp(&self, other: &Self) -> CmpOrdering {
        other
            .deadline
            .cmp(&self.deadline)
            .then_with(|| other.msg.id.cmp(&self.msg.id))
    }
}

enum Inbox {
    /// A node or service: messages go through its delivery queue.
    Queue(UnboundedSender<Queued>),
    /// A client: messages are handed over at once.
    Direct(UnboundedSender<Message>),
}

/// Why a send was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    #[error("Invalid source {0:?}: no such node, service or client exists")]
    UnknownSrc(String),
    #[error("Invalid dest {0:?}: no such node, service or client exists")]
    UnknownDest(String),
}

/// receiver → senders whose messages it drops.
pub type Grudge = HashMap<String, HashSet<String>>;

/// The network shared by every part of a run.
pub struct Net {
    inboxes: RwLock<HashMap<Arc<str>, Inbox>>,
    next_msg: AtomicU64,
    next_client: AtomicU64,
    latency: Latency,
    rng: Mutex<StdRng>,
    grudge: RwLock<Grudge>,
    partitioned: AtomicBool,
    pub journal: Journal,
    pub log: Arc<Log>,
    log_send: bool,
    log_recv: bool,
}

impl Net {
    pub fn new(
        latency: Latency,
        rng: StdRng,
        log: Arc<Log>,
        log_send: bool,
        log_recv: bool,
    ) -> Net {
        Net {
            inboxes: RwLock::new(HashMap::new()),
            next_msg: AtomicU64::new(0),
            next_client: AtomicU64::new(0),
            latency,
            rng: Mutex::new(rng),
            grudge: RwLock::new(HashMap::new()),
            partitioned: AtomicBool::new(false),
            journal: Journal::default(),
            log,
            log_send,
            log_recv,
        }
    }

    /// Register a node or service inbox; its queue must be drained with [`run_queue`].
    pub fn register_queue(&self, id: &str) -> UnboundedReceiver<Queued> {
        let (tx, rx) = unbounded_channel();
        self.inboxes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(Arc::from(id), Inbox::Queue(tx));
        rx
    }

    /// Open a new client endpoint `cN` (ids count up from c0 over the whole run).
    pub fn open_client(&self) -> (Arc<str>, UnboundedReceiver<Message>) {
        let n = self.next_client.fetch_add(1, Ordering::Relaxed);
        let id: Arc<str> = Arc::from(format!("c{n}"));
        let (tx, rx) = unbounded_channel();
        self.inboxes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), Inbox::Direct(tx));
        (id, rx)
    }

    /// Remove an endpoint: later messages naming it are refused.
    pub fn remove(&self, id: &str) {
        self.inboxes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// Remove every endpoint (teardown): delivery loops end once their queues drain.
    pub fn shutdown(&self) {
        self.inboxes
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }

    /// Send a message. Both ends must exist at send time (Maelstrom's `validate-msg`).
    pub fn send(&self, src: &str, dest: &str, body: Box<RawValue>) -> Result<(), SendError> {
        let inboxes = self.inboxes.read().unwrap_or_else(|p| p.into_inner());
        let Some((src_id, _)) = inboxes.get_key_value(src) else {
            return Err(SendError::UnknownSrc(src.to_string()));
        };
        let Some((dest_id, inbox)) = inboxes.get_key_value(dest) else {
            return Err(SendError::UnknownDest(dest.to_string()));
        };
        let msg = Message {
            id: self.next_msg.fetch_add(1, Ordering::Relaxed),
            src: src_id.clone(),
            dest: dest_id.clone(),
            body,
        };
        self.journal.send(&msg);
        if self.log_send {
            self.log.info(
                "maelstrom net",
                "maelstrom.net",
                &format!(":send {}", msg.to_edn()),
            );
        }
        match inbox {
            Inbox::Direct(tx) => {
                self.note_recv(&msg);
                let _ = tx.send(msg);
            }
            Inbox::Queue(tx) => {
                let ms = {
                    let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                    self.latency.draw(src, dest, &mut *rng)
                };
                let deadline = Instant::now() + std::time::Duration::from_millis(ms);
                let _ = tx.send(Queued { deadline, msg });
            }
        }
        Ok(())
    }

    /// Send a JSON body (clients and services).
    pub fn send_json(
        &self,
        src: &str,
        dest: &str,
        body: &serde_json::Value,
    ) -> Result<(), SendError> {
        let raw = serde_json::value::to_raw_value(body).expect("a JSON value always serialises");
        self.send(src, dest, raw)
    }

    fn note_recv(&self, msg: &Message) {
        self.journal.recv(msg);
        if self.log_recv {
            self.log.info(
                "maelstrom net",
                "maelstrom.net",
                &format!(":recv {}", msg.to_edn()),
            );
        }
    }

    /// Whether a partition currently drops messages from `src` to `dest`.
    pub fn drops(&self, src: &str, dest: &str) -> bool {
        if !self.partitioned.load(Ordering::Acquire) {
            return false;
        }
        let g = self.grudge.read().unwrap_or_else(|p| p.into_inner());
        g.get(dest).is_some_and(|senders| senders.contains(src))
    }

    /// Add a grudge's entries to the current partitions.
    pub fn partition(&self, grudge: &Grudge) {
        let mut g = self.grudge.write().unwrap_or_else(|p| p.into_inner());
        for (dest, srcs) in grudge {
            g.entry(dest.clone())
                .or_default()
                .extend(srcs.iter().cloned());
        }
        let any = g.values().any(|s| !s.is_empty());
        self.partitioned.store(any, Ordering::Release);
    }

    /// Remove every partition.
    pub fn heal(&self) {
        self.grudge
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.partitioned.store(false, Ordering::Release);
    }

    /// Whether any partition is in force.
    pub fn is_partitioned(&self) -> bool {
        self.partitioned.load(Ordering::Acquire)
    }
}

/// Where a delivery loop hands its messages.
pub trait Target: Send + 'static {
    /// Deliver one message whose deadline has passed.
    fn deliver(&mut self, msg: Message) -> impl Future<Output = ()> + Send;
    /// Called before the loop waits (to flush buffered output).
    fn idle(&mut self) -> impl Future<Output = ()> + Send;
}

/// The serial delivery loop of one node or service. Ends when its inbox is removed and the
/// queue is empty.
pub async fn run_queue<T: Target>(net: Arc<Net>, mut rx: UnboundedReceiver<Queued>, mut target: T) {
    let mut heap: BinaryHeap<Queued> = BinaryHeap::new();
    loop {
        while let Ok(q) = rx.try_recv() {
            heap.push(q);
        }
        let Some(head) = heap.pop() else {
            target.idle().await;
            match rx.recv().await {
                Some(q) => heap.push(q),
                None => return,
            }
            continue;
        };
        if net.drops(&head.msg.src, &head.msg.dest) {
            continue;
        }
        if head.deadline > Instant::now() {
            target.idle().await;
            tokio::time::sleep_until(head.deadline).await;
        }
        net.note_recv(&head.msg);
        target.deliver(head.msg).await;
    }
}
