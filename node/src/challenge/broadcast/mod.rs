//! Challenge 3 (3a–3e): broadcast, fault tolerant, with two efficiency profiles.
//!
//! * **Message profile (3e, the default).** A client's value is stored, acknowledged, and
//!   forwarded at once to the hub (`n0`). The hub sends each node, at most once per
//!   batching period (330 ms), one message with every value that node lacks. Each message
//!   carries the sender's holdings as a few ranges and echoes the receiver's last stamp,
//!   so acknowledgements ride on data; a node answers alone only when the stream of
//!   batches stops. Unconfirmed values are re-sent after a second, or at once when an
//!   echo shows they were lost. Nodes that lose the hub to a partition fail over to the
//!   next reachable node and come back once the hub answers a probe.
//! * **Latency profile (3d).** A client's value goes straight to every peer (one hop, the
//!   latency floor). Fault tolerance rides on the same star: nodes and hub exchange
//!   holdings, on those pushes or alone when news has gone unconfirmed for a second, and
//!   send each other only values the other provably lacks. Without loss that costs a
//!   few messages per node per run.
//!
//! `topology` is answered and ignored; the overlay is described in `overlay`. How a
//! binary picks a profile is in `profile`.
//!
//! Modules: `ranges`/`idset` (compact sets of value ids), `store` (values held), `wire`
//! (message formats), `peer` (per-peer session state), `overlay` (parent and children),
//! `engine` (the protocol, free of I/O), `metrics` (gossip counters), `profile`
//! (parameters and selection). This file wires the engine to a `Node`.

pub mod engine;
pub mod idset;
pub mod metrics;
pub mod overlay;
pub mod peer;
pub mod profile;
pub mod ranges;
pub mod store;
pub mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

use crate::{telemetry, Handler, Message, Node, NodeError};
use engine::{Engine, Footprint, Outgoing};
use metrics::Metrics;
pub use profile::{choose as choose_params, Params, Profile};
use wire::{PeerMsg, Reply, Request};

/// What one engine step produced.
struct Step {
    out: Vec<Outgoing>,
    rounds: Vec<(usize, usize)>,
}

struct Shared {
    node: Node,
    engine: Mutex<Engine>,
    index: HashMap<String, usize>,
    epoch: tokio::time::Instant,
}

/// The broadcast handler of one node. Cheap to clone (tests keep a clone to inspect).
#[derive(Clone)]
pub struct Broadcast {
    shared: Arc<Shared>,
}

/// How often a node logs its gossip counters (stderr, when they changed).
const LOG_EVERY: Duration = Duration::from_secs(5);

impl Broadcast {
    /// A handler with `params`; starts the node's gossip timer.
    pub fn new(node: &Node, params: Params) -> Broadcast {
        let index: HashMap<String, usize> = node
            .node_ids()
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect();
        let me = index.get(node.id()).copied().unwrap_or(0);
        let tick = params.tick;
        tracing::info!(profile = ?params.profile, "broadcast node ready");
        let b = Broadcast {
            shared: Arc::new(Shared {
                node: node.clone(),
                engine: Mutex::new(Engine::new(me, node.node_ids().len(), params)),
                index,
                epoch: tokio::time::Instant::now(),
            }),
        };
        if node.node_ids().len() > 1 {
            let timer = b.clone();
            node.every(tick, move || timer.on_tick());
            let logger = b.clone();
            let mut last = 0;
            node.every(LOG_EVERY, move || {
                let m = logger.metrics();
                if m.sent_total() + m.received != last {
                    last = m.sent_total() + m.received;
                    tracing::info!("gossip {}", m.summary());
                }
            });
        }
        b
    }

    /// A handler for `profile` with its default parameters.
    pub fn with_profile(node: &Node, profile: Profile) -> Broadcast {
        Broadcast::new(node, Params::for_profile(profile))
    }

    fn engine(&self) -> MutexGuard<'_, Engine> {
        // A poisoned lock only means a panic elsewhere; the state itself is consistent.
        self.shared.engine.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// µs since this handler started (never 0).
    fn now(&self) -> u64 {
        u64::try_from(self.shared.epoch.elapsed().as_micros()).unwrap_or(u64::MAX - 1) + 1
    }

    /// Run one engine step under the lock; its messages and gossip rounds.
    fn step(&self, f: impl FnOnce(&mut Engine) -> Vec<Outgoing>) -> Step {
        let mut engine = self.engine();
        let out = f(&mut engine);
        Step {
            out,
            rounds: engine.take_rounds(),
        }
    }

    /// Send a step's messages. Its gossip rounds go to telemetry (fan-out and batch-size
    /// histograms, one `gossip_round` span); the messages leave inside that span, so each
    /// receiver's `handle` span joins the trace (for a client's value: the trace of the
    /// `broadcast` request that brought it).
    fn send(&self, step: Step) {
        let node = &self.shared.node;
        let span = telemetry::gossip_rounds(node, &step.rounds);
        let _in_round = span.enter();
        let ids = node.node_ids();
        for o in step.out {
            node.send(&ids[o.to], &PeerMsg::Gossip(&o.msg));
        }
    }

    fn on_tick(&self) {
        let now = self.now();
        let step = self.step(|e| e.tick(now));
        self.send(step);
    }

    /// Values this node holds.
    pub fn messages(&self) -> Vec<Value> {
        self.engine().messages().to_vec()
    }

    /// A copy of the gossip counters.
    pub fn metrics(&self) -> Metrics {
        self.engine().metrics().clone()
    }

    /// Sizes of the node's state.
    pub fn footprint(&self) -> Footprint {
        self.engine().footprint()
    }

    /// The node's current parent in the overlay (an index into `node_ids`).
    pub fn parent(&self) -> Option<usize> {
        self.engine().parent()
    }
}

impl Handler for Broadcast {
    type Request = Request;

    fn handle(&self, node: &Node, msg: Message<Request>) -> Result<(), NodeError> {
        let reply_to = msg.reply_to();
        match msg.body {
            Request::Broadcast { message } => {
                let now = self.now();
                let step = self.step(|e| e.broadcast(message, now));
                // Stored: acknowledge before anything travels.
                node.reply(&reply_to, &Reply::BroadcastOk {});
                self.send(step);
            }
            Request::Read {} => {
                let engine = self.engine();
                node.reply(
                    &reply_to,
                    &Reply::ReadOk {
                        messages: engine.messages(),
                    },
                );
            }
            Request::Topology { .. } => node.reply(&reply_to, &Reply::TopologyOk {}),
            Request::Gossip(g) => {
                let Some(&from) = self.shared.index.get(&msg.src) else {
                    tracing::debug!(src = %msg.src, "gossip from outside the cluster ignored");
                    return Ok(());
                };
                let now = self.now();
                let step = self.step(|e| e.receive(from, g, now));
                self.send(step);
            }
        }
        Ok(())
    }
}
