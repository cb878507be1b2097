//! Challenge 5 (5a–5c): a Kafka-style replicated log on lin-kv.
//!
//! **How it avoids contention.** Every key has one owner, picked by `key mod n`
//! ([`ownership`]); a send arriving at another node is forwarded to the owner, which
//! allocates offsets from its own cache of the key's log and makes them durable with
//! one compare-and-set of the whole log in lin-kv before acknowledging ([`appender`]).
//! Because only the owner writes a key, its cache is exact, so that CaS succeeds the
//! first time, and sends that queue up behind it share the next one (one CaS per
//! batch, not per send). Polls of owned keys are answered from the owner's cache
//! (no lin-kv traffic); a poll at another node asks each owner once for all of its
//! keys. Committed offsets are a grow-only max-map replicated between nodes in the
//! background ([`commits`]), so commits and `list_committed_offsets` never touch
//! lin-kv or wait for a peer.
//!
//! **Durability and partitions.** An offset is acknowledged only after lin-kv holds
//! it, and lin-kv is never partitioned. When the owner does not answer a forwarded
//! request (a partition), the node hands the send to the owner through lin-kv instead
//! ([`relay`]): it writes the send into a relay box only it writes, the owner reads the
//! box and appends as usual, and the sender reads the key's log until the send shows
//! up (the send's id, stored with the message, makes a send that reached the owner by
//! both paths land once). So the owner stays the only writer of its keys even across a
//! partition, and its CaS keeps succeeding first time. Polls of an unreachable owner's
//! keys read the log from lin-kv. Every log a node shows is a prefix of the lin-kv log,
//! so polls never skip or reorder. (The appender can still write a key it does not own,
//! read + CaS, with a refresh notice to the owner ([`outbox`]); only a `kafka_send`
//! that reaches a non-owner takes that path.)
//!
//! Client requests are answered within [`Config::client_deadline`] (an indefinite
//! `timeout` error after that), never later: a Maelstrom client closes after a
//! timeout, and a reply to a closed client would silence the node.

pub mod appender;
pub mod commits;
pub mod health;
pub mod log;
pub mod outbox;
pub mod ownership;
pub mod protocol;
pub mod relay;
pub mod stats;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use self::appender::Appender;
use self::commits::Commits;
use self::health::PeerHealth;
use self::outbox::MaxOutbox;
use self::ownership::owner_of;
use self::protocol::{KafkaPollOk, KafkaSendOk, Msgs, Reply, Request};
use self::relay::Relay;
use self::stats::{Stats, StatsSnapshot};
use crate::{ErrorCode, Handler, Kv, Message, Node, NodeError, RpcError};

/// Timing knobs.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long to wait for a key's owner before using the lin-kv fallback.
    pub forward_timeout: Duration,
    /// How long an owner that did not answer is bypassed.
    pub suspect_pause: Duration,
    /// A client request is answered within this (Maelstrom's client waits 5 s).
    pub client_deadline: Duration,
    /// Period of the replication of committed offsets and refresh notices.
    pub sync_interval: Duration,
    /// Timeout of one lin-kv request.
    pub kv_timeout: Duration,
    /// Log a stats line this often (never if `None`).
    pub log_every: Option<Duration>,
    /// Period of the relay rounds (writing relay boxes, reading the logs of relayed
    /// sends, reading peers' boxes while they carry sends).
    pub relay_interval: Duration,
    /// How often a peer's relay box is read while it was empty.
    pub relay_idle_read: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            forward_timeout: Duration::from_millis(1000),
            suspect_pause: Duration::from_millis(1000),
            client_deadline: Duration::from_millis(4000),
            sync_interval: Duration::from_millis(100),
            kv_timeout: Duration::from_millis(1000),
            log_every: Some(Duration::from_secs(10)),
            relay_interval: Duration::from_millis(10),
            relay_idle_read: Duration::from_millis(500),
        }
    }
}

struct Inner {
    node: Node,
    config: Config,
    appender: Appender,
    commits: Mutex<Commits>,
    refresh: Mutex<MaxOutbox>,
    health: PeerHealth,
    relay: Relay,
    relay_busy: AtomicBool,
    stats: Stats,
    next_send: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The kafka node. Cheap to clone (tests keep a clone to read its stats).
#[derive(Clone)]
pub struct Kafka {
    inner: Arc<Inner>,
}

impl Kafka {
    pub fn new(node: &Node) -> Kafka {
        Kafka::with_config(node, Config::default())
    }

    pub fn with_config(node: &Node, config: Config) -> Kafka {
        let kv = Kv::lin(node).with_timeout(config.kv_timeout);
        let appender = Appender::new(node, kv.clone());
        let inner = Arc::new(Inner {
            node: node.clone(),
            relay: Relay::new(node.id(), kv, appender.clone(), config.relay_idle_read),
            relay_busy: AtomicBool::new(false),
            appender,
            commits: Mutex::new(Commits::default()),
            refresh: Mutex::new(MaxOutbox::default()),
            health: PeerHealth::new(config.suspect_pause),
            stats: Stats::default(),
            next_send: AtomicU64::new(0),
            config,
        });
        let weak = Arc::downgrade(&inner);
        node.every(inner.config.sync_interval, move || {
            if let Some(inner) = weak.upgrade() {
                inner.sync();
            }
        });
        let weak = Arc::downgrade(&inner);
        node.every(inner.config.relay_interval, move || {
            if let Some(inner) = weak.upgrade() {
                inner.relay_round();
            }
        });
        if let Some(every) = inner.config.log_every {
            let weak = Arc::downgrade(&inner);
            node.every(every, move || {
                if let Some(inner) = weak.upgrade() {
                    let s = inner.snapshot();
                    tracing::info!(
                        sends_local = s.sends_local,
                        sends_forwarded = s.sends_forwarded,
                        sends_fallback = s.sends_fallback,
                        polls = s.polls,
                        polls_forwarded = s.polls_forwarded,
                        polls_fallback = s.polls_fallback,
                        cas_attempts = s.cas_attempts,
                        cas_failed = s.cas_failed,
                        "kafka stats"
                    );
                }
            });
        }
        Kafka { inner }
    }

    /// Counters so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.inner.snapshot()
    }
}

impl Inner {
    fn snapshot(&self) -> StatsSnapshot {
        self.stats.snapshot(self.appender.kv().cas_counters())
    }

    fn me(&self) -> &str {
        self.node.id()
    }

    fn owner(&self, key: &str) -> &str {
        owner_of(key, self.node.node_ids())
    }

    /// Send: append at the owner (here, forwarded, or through lin-kv as a fallback).
    async fn send(self: Arc<Self>, key: String, msg: Value) -> Result<u64, NodeError> {
        let id = format!(
            "{}:{}",
            self.me(),
            self.next_send.fetch_add(1, Ordering::Relaxed)
        );
        let owner = self.owner(&key).to_string();
        if owner == self.me() {
            Stats::bump(&self.stats.sends_local);
            return self.appender.append(&key, msg, id, true).await;
        }
        if !self.health.is_suspect(&owner) {
            let req = Request::KafkaSend {
                key: key.clone(),
                msg: msg.clone(),
                id: id.clone(),
            };
            let res: Result<KafkaSendOk, RpcError> = self
                .node
                .rpc(&owner, &req, self.config.forward_timeout)
                .await;
            match res {
                Ok(ok) => {
                    self.health.answered(&owner);
                    Stats::bump(&self.stats.sends_forwarded);
                    return Ok(ok.offset);
                }
                Err(e) => self.forward_failed(&owner, &e),
            }
        }
        // The owner is unreachable: hand the send over through lin-kv (idempotent by id).
        Stats::bump(&self.stats.sends_fallback);
        self.relay.send(&owner, &key, msg, id).await
    }

    /// One relay round (skipped while the previous one runs): push this node's relay
    /// boxes and resolve relayed sends, then pull the sends peers relayed to it.
    fn relay_round(self: &Arc<Self>) {
        if self.relay_busy.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        self.node.spawn(async move {
            me.relay.push().await;
            let peers: Vec<String> = me.node.peers().cloned().collect();
            let owner_me = me.clone();
            me.relay
                .pull(&peers, move |key| owner_me.owner(key) == owner_me.me())
                .await;
            me.relay_busy.store(false, Ordering::Release);
        });
    }

    fn forward_failed(&self, owner: &str, e: &RpcError) {
        tracing::debug!(owner, error = %e, "forward failed; using lin-kv");
        Stats::bump(&self.stats.forward_failures);
        if matches!(e, RpcError::Timeout) {
            self.health.failed(owner);
        }
    }

    /// Poll: owned keys from the cache, others from their owners (or lin-kv).
    async fn poll(self: Arc<Self>, offsets: BTreeMap<String, u64>) -> Msgs {
        Stats::bump(&self.stats.polls);
        let mut remote: HashMap<String, BTreeMap<String, u64>> = HashMap::new();
        let mut msgs = Msgs::new();
        for (key, from) in offsets {
            let owner = self.owner(&key);
            if owner == self.me() {
                msgs.insert(key.clone(), self.appender.read_cached(&key, from));
            } else {
                remote
                    .entry(owner.to_string())
                    .or_default()
                    .insert(key, from);
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        for (owner, part) in remote {
            let me = self.clone();
            tasks.spawn(async move { me.poll_remote(owner, part).await });
        }
        while let Some(part) = tasks.join_next().await {
            if let Ok(part) = part {
                msgs.extend(part);
            }
        }
        // A key with nothing to return is left out (an empty list has no max offset).
        msgs.retain(|_, v| !v.is_empty());
        msgs
    }

    async fn poll_remote(self: Arc<Self>, owner: String, offsets: BTreeMap<String, u64>) -> Msgs {
        if !self.health.is_suspect(&owner) {
            let req = Request::KafkaPoll {
                offsets: offsets.clone(),
            };
            let res: Result<KafkaPollOk, RpcError> = self
                .node
                .rpc(&owner, &req, self.config.forward_timeout)
                .await;
            match res {
                Ok(ok) => {
                    self.health.answered(&owner);
                    Stats::bump(&self.stats.polls_forwarded);
                    return ok.msgs;
                }
                Err(e) => self.forward_failed(&owner, &e),
            }
        }
        Stats::bump(&self.stats.polls_fallback);
        let mut tasks = tokio::task::JoinSet::new();
        for (key, from) in offsets {
            let appender = self.appender.clone();
            tasks.spawn(async move {
                let entries = appender.read_log(&key).await;
                (key, from, entries)
            });
        }
        let mut msgs = Msgs::new();
        while let Some(res) = tasks.join_next().await {
            match res {
                // lin-kv holds every acknowledged entry: the log is complete.
                Ok((key, from, Ok(entries))) => {
                    msgs.insert(key, log::read_from(&entries, from));
                }
                // Leaving a key out is safe: the client polls it again later.
                Ok((key, _, Err(e))) => {
                    tracing::debug!(key, error = %e, "fallback poll read failed")
                }
                Err(_) => {}
            }
        }
        msgs
    }

    /// A peer's refresh notice: re-read the keys until the cache is as long as told.
    async fn refresh(self: Arc<Self>, lengths: BTreeMap<String, u64>) {
        let mut tasks = tokio::task::JoinSet::new();
        for (key, len) in lengths {
            let appender = self.appender.clone();
            tasks.spawn(async move { appender.refresh(&key, len, 20).await });
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Background replication: committed offsets and refresh notices, per peer.
    fn sync(self: &Arc<Self>) {
        let writes = self.appender.take_foreign_writes();
        if !writes.is_empty() {
            let mut r = lock(&self.refresh);
            for (key, len) in writes {
                let owner = self.owner(&key).to_string();
                r.add(&owner, &key, len);
            }
        }
        let peers: Vec<String> = self.node.peers().cloned().collect();
        for peer in peers {
            let commits = lock(&self.commits).outbox.take_batch(&peer);
            if let Some(batch) = commits {
                let me = self.clone();
                let peer = peer.clone();
                self.node.spawn(async move {
                    let req = Request::KafkaCommit {
                        offsets: batch.clone(),
                    };
                    let res: Result<Value, RpcError> =
                        me.node.rpc(&peer, &req, me.config.forward_timeout).await;
                    let mut c = lock(&me.commits);
                    match res {
                        Ok(_) => c.outbox.acked(&peer, &batch),
                        Err(_) => c.outbox.failed(&peer),
                    }
                });
            }
            let notices = lock(&self.refresh).take_batch(&peer);
            if let Some(batch) = notices {
                let me = self.clone();
                let peer = peer.clone();
                self.node.spawn(async move {
                    let req = Request::KafkaRefresh {
                        lengths: batch.clone(),
                    };
                    let res: Result<Value, RpcError> =
                        me.node.rpc(&peer, &req, me.config.client_deadline).await;
                    let mut r = lock(&me.refresh);
                    match res {
                        Ok(_) => r.acked(&peer, &batch),
                        Err(_) => r.failed(&peer),
                    }
                });
            }
        }
    }

    /// Run a client request with the client deadline.
    fn reply_within<F, B>(self: &Arc<Self>, msg_to: crate::ReplyTo, fut: F)
    where
        F: std::future::Future<Output = Result<B, NodeError>> + Send + 'static,
        B: serde::Serialize + Send + 'static,
    {
        let deadline = self.config.client_deadline;
        let me = self.clone();
        self.node.spawn_reply(msg_to, async move {
            match tokio::time::timeout(deadline, fut).await {
                Ok(r) => r,
                Err(_) => {
                    Stats::bump(&me.stats.client_deadlines);
                    Err(NodeError::new(
                        ErrorCode::Timeout,
                        "no answer in time; the operation may or may not have happened",
                    ))
                }
            }
        });
    }
}

impl Handler for Kafka {
    type Request = Request;

    fn handle(&self, node: &Node, msg: Message<Request>) -> Result<(), NodeError> {
        let inner = &self.inner;
        let to = msg.reply_to();
        match msg.body {
            Request::Send { key, msg } => {
                let fut = inner.clone().send(key, msg);
                inner.reply_within(to, async move {
                    fut.await.map(|offset| Reply::SendOk { offset })
                });
            }
            Request::Poll { offsets } => {
                let fut = inner.clone().poll(offsets);
                inner.reply_within(to, async move { Ok(Reply::PollOk { msgs: fut.await }) });
            }
            Request::CommitOffsets { offsets } => {
                let peers: Vec<String> = node.peers().cloned().collect();
                lock(&inner.commits).commit_local(&offsets, &peers);
                node.reply(&to, &Reply::CommitOffsetsOk {});
            }
            Request::ListCommittedOffsets { keys } => {
                let offsets = lock(&inner.commits).list(&keys);
                node.reply(&to, &Reply::ListCommittedOffsetsOk { offsets });
            }
            Request::KafkaSend { key, msg, id } => {
                let owned = inner.owner(&key) == inner.me();
                let fut = inner.appender.append(&key, msg, id, owned);
                node.spawn_reply(to, async move {
                    fut.await.map(|offset| Reply::KafkaSendOk { offset })
                });
            }
            Request::KafkaPoll { offsets } => {
                let msgs: Msgs = offsets
                    .into_iter()
                    .map(|(k, from)| {
                        let v = inner.appender.read_cached(&k, from);
                        (k, v)
                    })
                    .filter(|(_, v)| !v.is_empty())
                    .collect();
                node.reply(&to, &Reply::KafkaPollOk { msgs });
            }
            Request::KafkaCommit { offsets } => {
                lock(&inner.commits).merge(&offsets);
                node.reply(&to, &Reply::KafkaCommitOk {});
            }
            Request::KafkaRefresh { lengths } => {
                let fut = inner.clone().refresh(lengths);
                node.spawn_reply(to, async move {
                    fut.await;
                    Ok(Reply::KafkaRefreshOk {})
                });
            }
        }
        Ok(())
    }
}
