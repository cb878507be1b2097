//! What one node knows of the counter: its own exact count, and for each peer the
//! largest count it has seen published. Pure state, no I/O.
//!
//! A peer's published count only grows, so `max` is the right merge: an answer from an
//! older seq-kv state (or one that arrives late) can never lower what is known.

use std::collections::BTreeMap;

/// The counter as seen by one node.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    own: u64,
    peers: BTreeMap<String, u64>,
}

impl Tally {
    pub fn new() -> Tally {
        Tally::default()
    }

    /// Apply a local add.
    pub fn add(&mut self, delta: u64) {
        self.own = self.own.saturating_add(delta);
    }

    /// The sum of the adds this node accepted.
    pub fn own(&self) -> u64 {
        self.own
    }

    /// Record that `peer` has published `count`. Returns true if it was news.
    pub fn observe(&mut self, peer: &str, count: u64) -> bool {
        match self.peers.get_mut(peer) {
            Some(known) if *known >= count => false,
            Some(known) => {
                *known = count;
                true
            }
            None => {
                self.peers.insert(peer.to_string(), count);
                true
            }
        }
    }

    /// The largest count seen from `peer` (0 if none).
    pub fn peer(&self, peer: &str) -> u64 {
        self.peers.get(peer).copied().unwrap_or(0)
    }

    /// The counter's value as far as this node knows.
    pub fn total(&self) -> u64 {
        self.peers
            .values()
            .fold(self.own, |sum, c| sum.saturating_add(*c))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_adds_and_peer_maxima() {
        let mut t = Tally::new();
        t.add(3);
        t.add(0);
        t.add(4);
        assert_eq!(t.own(), 7);
        assert!(t.observe("n1", 5));
        assert!(
            !t.observe("n1", 2),
            "an older answer never lowers a peer's count"
        );
        assert!(!t.observe("n1", 5));
        assert_eq!(t.peer("n1"), 5);
        assert!(t.observe("n2", 1));
        assert!(t.observe("n1", 6));
        assert_eq!(t.total(), 7 + 6 + 1);
        assert_eq!(t.peer("n9"), 0);
    }
}
