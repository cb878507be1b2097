//! The exact g-counter handler: adds and reads served from memory, a sync loop keeping
//! seq-kv and the node's knowledge of its peers current (see the module docs above).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::protocol::{Reply, Request};
use super::slot::OwnSlot;
use super::stats::{KvStats, KvStatsSnapshot};
use super::sync::Syncer;
use super::tally::Tally;
use crate::{Handler, Kv, Message, Node, NodeError};

/// Tuning of the exact counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Time between sync rounds. Each round costs 2 messages for the publication and 2
    /// per peer read, so 18 messages per period on 3 nodes.
    pub period: Duration,
    /// Timeout of each seq-kv request.
    pub kv_timeout: Duration,
    /// How often the counters are logged to stderr (none: never).
    pub log_every: Option<Duration>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            period: Duration::from_millis(500),
            kv_timeout: Duration::from_secs(1),
            log_every: Some(Duration::from_secs(10)),
        }
    }
}

/// One node's exact grow-only counter.
pub struct GCounter {
    tally: Arc<Mutex<Tally>>,
    stats: Arc<KvStats>,
    kv: Kv,
    /// The sync loop, until the first client request starts it.
    syncer: Mutex<Option<Syncer>>,
    started: AtomicBool,
}

impl GCounter {
    pub fn new(node: &Node) -> GCounter {
        GCounter::with_config(node, Config::default())
    }

    pub fn with_config(node: &Node, config: Config) -> GCounter {
        let kv = Kv::seq(node).with_timeout(config.kv_timeout);
        let tally = Arc::new(Mutex::new(Tally::new()));
        let stats = Arc::new(KvStats::default());
        let syncer = Syncer {
            kv: kv.clone(),
            own: OwnSlot::new(node, kv.clone(), stats.clone()),
            peers: node.peers().cloned().collect(),
            tally: tally.clone(),
            stats: stats.clone(),
            period: config.period,
            log_every: config.log_every,
        };
        GCounter {
            tally,
            stats,
            kv,
            syncer: Mutex::new(Some(syncer)),
            started: AtomicBool::new(false),
        }
    }

    /// The seq-kv counters so far.
    pub fn stats(&self) -> KvStatsSnapshot {
        self.stats.snapshot(&self.kv)
    }

    /// A handle that reads the counters later (the handler itself moves into the runtime).
    pub fn stats_handle(&self) -> StatsHandle {
        StatsHandle {
            stats: self.stats.clone(),
            kv: self.kv.clone(),
        }
    }

    /// The value a read would return now.
    pub fn value(&self) -> u64 {
        self.tally().total()
    }

    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Start the sync loop on the first client request, not at init: Maelstrom starts
    /// nodes and services in parallel, and a message to a service whose inbox does not
    /// exist yet would make Maelstrom stop reading this node. Clients only start once
    /// every node (and so every service) is set up.
    fn start_sync(&self, node: &Node) {
        if self.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let syncer = self.syncer.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(syncer) = syncer {
            syncer.spawn(node);
        }
    }
}

/// Reads a counter's seq-kv statistics from outside the handler.
#[derive(Clone)]
pub struct StatsHandle {
    stats: Arc<KvStats>,
    kv: Kv,
}

impl StatsHandle {
    pub fn snapshot(&self) -> KvStatsSnapshot {
        self.stats.snapshot(&self.kv)
    }
}

impl Handler for GCounter {
    type Request = Request;

    fn handle(&self, node: &Node, msg: Message<Request>) -> Result<(), NodeError> {
        self.start_sync(node);
        let reply = match msg.body {
            Request::Add { delta } => {
                self.tally().add(delta);
                Reply::AddOk {}
            }
            Request::Read {} => Reply::ReadOk {
                value: self.value(),
            },
        };
        node.reply(&msg.reply_to(), &reply);
        Ok(())
    }
}
