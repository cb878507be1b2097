//! Per-peer outboxes of local writes, sent in batches and retried until acknowledged.
//!
//! Each local write gets a sequence number and waits in every peer's outbox. A batch
//! carries *everything* not yet acknowledged plus the sender's clock, so once a peer
//! has applied it the peer holds every element this node created at or below that
//! clock: that is what makes the clock a promise (see [`super::store`]). The peer
//! acknowledges the batch's highest sequence number and everything up to it leaves
//! the outbox. Batches are idempotent to apply, so loss, duplication and reordering
//! are harmless. Memory stays bounded by coalescing: a register keeps only its latest
//! write per key (last-writer-wins makes the older one irrelevant); list elements are
//! all kept until acknowledged, since every one of them must arrive.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use super::protocol::{ListAppend, RegWrite};
use super::store::Effects;

#[derive(Default)]
struct PeerOutbox {
    /// Canonical key → latest write and its sequence number.
    writes: HashMap<String, (RegWrite, u64)>,
    appends: VecDeque<(ListAppend, u64)>,
    /// Highest sequence number sent so far, clock sent with it, and when.
    sent_upto: u64,
    sent_clock: u64,
    sent_at: Option<Instant>,
}

/// A batch for one peer.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    pub upto: u64,
    pub clock: u64,
    pub effects: Effects,
}

/// Outboxes for every peer, by peer id.
pub struct Outboxes {
    seq: u64,
    peers: HashMap<String, PeerOutbox>,
    resend_after: Duration,
}

impl Outboxes {
    pub fn new<'a>(peers: impl Iterator<Item = &'a String>, resend_after: Duration) -> Outboxes {
        Outboxes {
            seq: 0,
            peers: peers.map(|p| (p.clone(), PeerOutbox::default())).collect(),
            resend_after,
        }
    }

    /// Queue a local transaction's writes for every peer.
    pub fn record(&mut self, effects: &Effects) {
        if effects.is_empty() {
            return;
        }
        self.seq += 1;
        let seq = self.seq;
        for out in self.peers.values_mut() {
            for w in &effects.writes {
                out.writes.insert(w.0.to_string(), (w.clone(), seq));
            }
            for a in &effects.appends {
                out.appends.push_back((a.clone(), seq));
            }
        }
    }

    /// The batch to send `peer` now, if any: when there is something new, when the
    /// clock moved (a promise peers wait for), or to retry what is unacknowledged.
    pub fn batch(&mut self, peer: &str, clock: u64, now: Instant) -> Option<Batch> {
        let seq = self.seq;
        let resend_after = self.resend_after;
        let out = self.peers.get_mut(peer)?;
        let pending = !out.writes.is_empty() || !out.appends.is_empty();
        let fresh = seq > out.sent_upto;
        let moved = clock > out.sent_clock;
        let stale = pending && out.sent_at.is_none_or(|t| now >= t + resend_after);
        let send = (fresh && pending) || moved || stale;
        if !send {
            return None;
        }
        out.sent_upto = seq;
        out.sent_clock = clock;
        out.sent_at = Some(now);
        let mut writes: Vec<(RegWrite, u64)> = out.writes.values().cloned().collect();
        writes.sort_by_key(|(_, s)| *s);
        Some(Batch {
            upto: seq,
            clock,
            effects: Effects {
                writes: writes.into_iter().map(|(w, _)| w).collect(),
                appends: out.appends.iter().map(|(a, _)| a.clone()).collect(),
            },
        })
    }

    /// `peer` applied everything up to `upto`.
    pub fn acked(&mut self, peer: &str, upto: u64) {
        if let Some(out) = self.peers.get_mut(peer) {
            out.writes.retain(|_, (_, s)| *s > upto);
            while out.appends.front().is_some_and(|(_, s)| *s <= upto) {
                out.appends.pop_front();
            }
        }
    }

    /// Writes waiting for `peer`'s acknowledgement.
    pub fn pending(&self, peer: &str) -> usize {
        self.peers
            .get(peer)
            .map_or(0, |o| o.writes.len() + o.appends.len())
    }
}

#[cfg(test)]
mod tests {
    use super::super::clock::Ts;
    use super::*;
    use serde_json::json;

    fn fx(k: i64, v: i64, t: u64) -> Effects {
        Effects {
            writes: vec![RegWrite(json!(k), json!(v), Ts(t, 0))],
            appends: vec![ListAppend(json!(k + 100), json!(v), Ts(t, 0), 0)],
        }
    }

    #[tokio::test(start_paused = true)]
    async fn coalesces_registers_keeps_elements_and_retries_until_acked() {
        let peers = ["n1".to_string()];
        let mut o = Outboxes::new(peers.iter(), Duration::from_millis(100));
        o.record(&fx(1, 1, 1));
        o.record(&fx(1, 2, 2));
        let now = Instant::now();
        let b = o.batch("n1", 2, now).unwrap();
        assert_eq!(b.upto, 2);
        assert_eq!(
            b.effects.writes,
            vec![RegWrite(json!(1), json!(2), Ts(2, 0))]
        );
        assert_eq!(b.effects.appends.len(), 2);
        // Nothing new, clock unchanged: quiet until the resend timer.
        assert!(o.batch("n1", 2, now).is_none());
        let again = o.batch("n1", 2, now + Duration::from_millis(100)).unwrap();
        assert_eq!(again.effects, b.effects);
        // A write after the batch survives the batch's ack.
        o.record(&fx(1, 3, 3));
        o.acked("n1", b.upto);
        assert_eq!(o.pending("n1"), 2);
        let b3 = o.batch("n1", 3, now).unwrap();
        o.acked("n1", b3.upto);
        assert_eq!(o.pending("n1"), 0);
        // A clock that moved is announced even with nothing to send.
        let hb = o.batch("n1", 9, now).unwrap();
        assert!(hb.effects.is_empty());
        assert_eq!(hb.clock, 9);
        assert!(o.batch("n1", 9, now + Duration::from_secs(5)).is_none());
    }
}
