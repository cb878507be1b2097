//! The seq-kv side: one key per node (`g-counter/<node>`), the value layout, the owner's
//! CaS publication with its recovery, and reading a peer's key.
//!
//! Every value the owner sends is unique (`seq` never repeats, even after a timeout), so
//! a CaS from the owner's last write is always a real mutation, and the precondition
//! holds exactly when seq-kv's current value is that write: no other node writes the key.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::stats::{bump, KvStats};
use crate::{telemetry, Kv, KvError, Node};

/// The seq-kv key a node owns.
pub fn key_of(node: &str) -> String {
    format!("g-counter/{node}")
}

/// The value stored under a node's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Slot {
    /// The sum of the adds the owner accepted.
    pub count: u64,
    /// Grows with every value the owner sends, so no two values are ever equal.
    pub seq: u64,
}

/// What a node believes its key holds before it first writes it (never stored: the
/// first value sent has `seq` 1).
const UNWRITTEN: Slot = Slot { count: 0, seq: 0 };

/// CaS attempts per publication before the round gives up (it retries next round).
pub const MAX_ATTEMPTS: u64 = 4;

/// The owner's handle on its key: what it believes the key holds, and the next `seq`.
pub struct OwnSlot {
    node: Node,
    kv: Kv,
    key: String,
    /// The value seq-kv holds for our key, as far as we know.
    believed: Slot,
    /// The largest `seq` ever sent (acknowledged or not).
    last_seq: u64,
    stats: Arc<KvStats>,
}

impl OwnSlot {
    pub fn new(node: &Node, kv: Kv, stats: Arc<KvStats>) -> OwnSlot {
        OwnSlot {
            node: node.clone(),
            kv,
            key: key_of(node.id()),
            believed: UNWRITTEN,
            last_seq: 0,
            stats,
        }
    }

    /// The value last confirmed in seq-kv.
    pub fn believed(&self) -> Slot {
        self.believed
    }

    /// Store `count` under our key. On success seq-kv applied a mutation, so this node's
    /// view of seq-kv is now the latest state. A failed precondition means a request of
    /// ours that timed out was applied after all: read the key back, then try again.
    pub async fn publish(&mut self, count: u64) -> Result<Slot, KvError> {
        // Telemetry (when on): a `cas_loop` span and the `glomers_kv_cas_retries` histogram.
        let mut lp = telemetry::cas_loop(&self.node, self.kv.service());
        let mut attempts = 0;
        let outcome = loop {
            attempts += 1;
            lp.attempt();
            self.last_seq += 1;
            let next = Slot {
                count,
                seq: self.last_seq,
            };
            // create_if_not_exists: the first publication creates the key.
            let cas = self.kv.cas(&self.key, &self.believed, &next, true);
            match cas.instrument(lp.span()).await {
                Ok(()) => {
                    self.believed = next;
                    break Ok(next);
                }
                Err(KvError::PreconditionFailed(_)) if attempts < MAX_ATTEMPTS => {
                    if let Err(e) = self.recover().await {
                        break Err(e);
                    }
                }
                Err(e) => break Err(e),
            }
        };
        self.stats.record_attempts(attempts);
        match &outcome {
            Ok(_) => {
                bump(&self.stats.publishes);
                lp.finish("ok");
            }
            Err(_) => {
                bump(&self.stats.publish_failures);
                lp.finish("gave_up");
            }
        }
        outcome
    }

    /// Learn what our key holds (after a request of ours landed unacknowledged).
    async fn recover(&mut self) -> Result<(), KvError> {
        bump(&self.stats.recovery_reads);
        match self.kv.read::<_, Slot>(&self.key).await {
            Ok(slot) => {
                self.believed = slot;
                self.last_seq = self.last_seq.max(slot.seq);
                Ok(())
            }
            Err(KvError::KeyDoesNotExist) => {
                self.believed = UNWRITTEN;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }
}

/// Read the count `peer` has published (`Ok(None)` if it has not published yet).
pub async fn read_peer(kv: &Kv, peer: &str, stats: &KvStats) -> Result<Option<u64>, KvError> {
    match kv.read::<_, Slot>(&key_of(peer)).await {
        Ok(slot) => {
            bump(&stats.peer_reads_ok);
            Ok(Some(slot.count))
        }
        Err(KvError::KeyDoesNotExist) => {
            bump(&stats.peer_reads_missing);
            Ok(None)
        }
        Err(e) => {
            bump(&stats.peer_reads_failed);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn layout() {
        assert_eq!(key_of("n2"), "g-counter/n2");
        assert_eq!(
            serde_json::to_value(Slot { count: 9, seq: 4 }).unwrap(),
            json!({"count": 9, "seq": 4})
        );
    }
}
