//! Challenge 6 (6a–6c): totally-available transactions over registers
//! (txn-rw-register) and lists (txn-list-append), read-committed under partitions.
//!
//! **Design.** Every node answers every transaction by itself, at once, from its own
//! replica ([`store`]), so it stays available whatever the network does. A transaction
//! runs under the node's lock and is stamped with a Lamport timestamp larger than
//! anything it could have read ([`clock`]); its final write per key (and all of its
//! appends) are applied atomically and queued for every peer ([`replication`]), which
//! receives them in idempotent batches retried until acknowledged. Registers converge
//! by last-writer-wins on the timestamp; lists order elements by timestamp and show
//! only the prefix every node has promised is complete, so no two reads anywhere can
//! disagree on order.
//!
//! **Why read-committed holds.** Nothing applied is ever rolled back, and no write is
//! visible before its transaction has finished, so no read sees an aborted (G1a) or
//! intermediate (G1b) write. Every dependency edge a checker infers (write → read of
//! it, and version order, which follows timestamps) goes from a smaller timestamp to
//! a larger one, so there are no cycles (G0, G1c). Read-uncommitted (6a, 6b) follows.

pub mod clock;
pub mod protocol;
pub mod replication;
pub mod stats;
pub mod store;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use self::protocol::{Op, Reply, Request};
use self::replication::Outboxes;
use self::stats::{Stats, StatsSnapshot};
use self::store::{Effects, Store};
use crate::{Handler, Message, Node, NodeError};

/// Timing knobs.
#[derive(Debug, Clone)]
pub struct Config {
    /// How often outboxes are checked for something to send.
    pub repl_interval: Duration,
    /// Unacknowledged writes are sent again after this.
    pub resend_after: Duration,
    /// Log a stats line this often (never if `None`).
    pub log_every: Option<Duration>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            repl_interval: Duration::from_millis(5),
            resend_after: Duration::from_millis(300),
            log_every: Some(Duration::from_secs(10)),
        }
    }
}

struct State {
    store: Store,
    outboxes: Outboxes,
}

struct Inner {
    node: Node,
    state: Mutex<State>,
    stats: Stats,
}

/// The txn node. Cheap to clone (tests keep a clone to read its stats).
#[derive(Clone)]
pub struct Txn {
    inner: Arc<Inner>,
}

fn index_of(node: &Node, id: &str) -> Option<u32> {
    node.node_ids()
        .iter()
        .position(|n| n == id)
        .map(|i| i as u32)
}

impl Txn {
    pub fn new(node: &Node) -> Txn {
        Txn::with_config(node, Config::default())
    }

    pub fn with_config(node: &Node, config: Config) -> Txn {
        let state = State {
            store: Store::new(node.index() as u32, node.node_ids().len()),
            outboxes: Outboxes::new(node.peers(), config.resend_after),
        };
        let inner = Arc::new(Inner {
            node: node.clone(),
            state: Mutex::new(state),
            stats: Stats::default(),
        });
        let weak = Arc::downgrade(&inner);
        node.every(config.repl_interval, move || {
            if let Some(inner) = weak.upgrade() {
                inner.replicate();
            }
        });
        if let Some(every) = config.log_every {
            let weak = Arc::downgrade(&inner);
            node.every(every, move || {
                if let Some(inner) = weak.upgrade() {
                    let s = inner.stats.snapshot();
                    tracing::info!(
                        txns_ok = s.txns_ok,
                        txns_rejected = s.txns_rejected,
                        batches_sent = s.batches_sent,
                        lww_conflicts = s.lww_conflicts,
                        "txn stats"
                    );
                }
            });
        }
        Txn { inner }
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }
}

impl Inner {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn replicate(&self) {
        let peers: Vec<String> = self.node.peers().cloned().collect();
        for peer in peers {
            self.replicate_to(&peer);
        }
    }

    /// Send `peer` a batch if there is anything to tell it (new writes, a clock that
    /// moved, or writes due for a retry).
    fn replicate_to(&self, peer: &str) {
        let now = tokio::time::Instant::now();
        let batch = {
            let mut st = self.state();
            let clock = st.store.clock();
            st.outboxes.batch(peer, clock, now)
        };
        if let Some(b) = batch {
            Stats::add(&self.stats.batches_sent, 1);
            self.node.send(
                peer,
                &Request::TxnRepl {
                    upto: b.upto,
                    clock: b.clock,
                    writes: b.effects.writes,
                    appends: b.effects.appends,
                },
            );
        }
    }

    fn run_txn(&self, raw: &[protocol::RawMop]) -> Result<Vec<protocol::RawMop>, NodeError> {
        let ops: Vec<Op> = raw.iter().map(Op::parse).collect::<Result<_, _>>()?;
        let values = {
            let mut st = self.state();
            let (values, effects) = st.store.execute(&ops)?;
            st.outboxes.record(&effects);
            values
        };
        for op in &ops {
            let c = match op {
                Op::Read(_) => &self.stats.reads,
                Op::Write(..) => &self.stats.writes,
                Op::Append(..) => &self.stats.appends,
            };
            Stats::add(c, 1);
        }
        Ok(raw
            .iter()
            .zip(values)
            .map(|((f, k, _), v)| (f.clone(), k.clone(), v))
            .collect())
    }
}

impl Handler for Txn {
    type Request = Request;

    fn handle(&self, node: &Node, msg: Message<Request>) -> Result<(), NodeError> {
        let inner = &self.inner;
        let to = msg.reply_to();
        match msg.body {
            Request::Txn { txn } => {
                // A transaction never conflicts as it runs here (nothing waits or aborts);
                // its writes may lose to concurrent ones later, counted where they meet.
                let t = crate::telemetry::txn_start(node, txn.len());
                match t.span().in_scope(|| inner.run_txn(&txn)) {
                    Ok(txn) => {
                        Stats::add(&inner.stats.txns_ok, 1);
                        t.finish("committed");
                        node.reply(&to, &Reply::TxnOk { txn });
                    }
                    Err(e) => {
                        Stats::add(&inner.stats.txns_rejected, 1);
                        t.finish("rejected");
                        return Err(e);
                    }
                }
            }
            Request::TxnRepl {
                upto,
                clock,
                writes,
                appends,
            } => {
                let Some(from) = index_of(node, &msg.src) else {
                    tracing::warn!(src = %msg.src, "replication from an unknown node");
                    return Ok(());
                };
                let lost =
                    inner
                        .state()
                        .store
                        .apply_remote(from, clock, &Effects { writes, appends });
                Stats::add(&inner.stats.batches_received, 1);
                Stats::add(&inner.stats.lww_conflicts, lost);
                crate::telemetry::txn_conflicts(node, "committed", lost);
                node.send(&msg.src, &Request::TxnReplAck { upto });
                // Answer at once with our own news: the sender's clock has usually
                // just raised ours, and the promise that carries lets the sender's
                // latest list elements become stable one round trip after it sent
                // them, instead of waiting for our next tick.
                inner.replicate_to(&msg.src);
            }
            Request::TxnReplAck { upto } => {
                inner.state().outboxes.acked(&msg.src, upto);
            }
        }
        Ok(())
    }
}
