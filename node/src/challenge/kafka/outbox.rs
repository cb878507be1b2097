//! A per-peer outbox of `key → u64` facts that only grow (a committed offset, a log
//! length), coalesced by max: memory stays one entry per key however often a key
//! changes, and a batch is retried until the peer acknowledges it. An entry leaves
//! the outbox only when an acknowledged batch carried a value at least as large.

use std::collections::{BTreeMap, HashMap};

#[derive(Default)]
struct Queue {
    pending: BTreeMap<String, u64>,
    in_flight: bool,
}

/// Outboxes for every peer.
#[derive(Default)]
pub struct MaxOutbox {
    peers: HashMap<String, Queue>,
}

impl MaxOutbox {
    /// Queue `key = value` for `peer`, keeping the larger value if one is queued.
    pub fn add(&mut self, peer: &str, key: &str, value: u64) {
        let q = self.peers.entry(peer.to_string()).or_default();
        let e = q.pending.entry(key.to_string()).or_insert(value);
        *e = (*e).max(value);
    }

    /// The whole pending map for `peer`, if any and no batch is in flight; marks a
    /// batch in flight until [`MaxOutbox::acked`] or [`MaxOutbox::failed`].
    pub fn take_batch(&mut self, peer: &str) -> Option<BTreeMap<String, u64>> {
        let q = self.peers.get_mut(peer)?;
        if q.in_flight || q.pending.is_empty() {
            return None;
        }
        q.in_flight = true;
        Some(q.pending.clone())
    }

    /// `peer` acknowledged `batch`: drop entries it covered.
    pub fn acked(&mut self, peer: &str, batch: &BTreeMap<String, u64>) {
        if let Some(q) = self.peers.get_mut(peer) {
            q.in_flight = false;
            for (k, v) in batch {
                if q.pending.get(k).is_some_and(|cur| cur <= v) {
                    q.pending.remove(k);
                }
            }
        }
    }

    /// The batch to `peer` was not acknowledged; it stays queued.
    pub fn failed(&mut self, peer: &str) {
        if let Some(q) = self.peers.get_mut(peer) {
            q.in_flight = false;
        }
    }

    /// Entries waiting for `peer`.
    pub fn pending(&self, peer: &str) -> usize {
        self.peers.get(peer).map_or(0, |q| q.pending.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coalesces_by_max_and_keeps_newer_values_after_ack() {
        let mut o = MaxOutbox::default();
        o.add("n1", "a", 3);
        o.add("n1", "a", 2);
        o.add("n1", "b", 1);
        let batch = o.take_batch("n1").unwrap();
        assert_eq!(batch.get("a"), Some(&3));
        assert!(o.take_batch("n1").is_none(), "one batch in flight");
        o.add("n1", "a", 5);
        o.acked("n1", &batch);
        assert_eq!(o.pending("n1"), 1, "a=5 is newer than the acked a=3");
        let again = o.take_batch("n1").unwrap();
        o.failed("n1");
        assert_eq!(o.take_batch("n1"), Some(again));
    }
}
