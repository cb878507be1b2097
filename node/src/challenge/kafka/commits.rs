//! Committed offsets: a grow-only map key → highest committed offset on every node.
//!
//! A commit is applied locally and acknowledged at once, then replicated to every
//! peer through a max-coalescing outbox retried until acknowledged. Taking the max is
//! commutative, associative and idempotent, so replicas converge whatever the order,
//! duplication or delay of messages, and `list_committed_offsets` is answered locally:
//! a node always shows its own clients' commits, and every other node's within about
//! one replication round. A stale committed offset only makes a fresh consumer start
//! earlier and re-read (at-least-once), never skip.

use std::collections::{BTreeMap, HashMap};

use super::outbox::MaxOutbox;

/// This node's view of committed offsets and what peers still need to hear.
#[derive(Default)]
pub struct Commits {
    offsets: HashMap<String, u64>,
    pub outbox: MaxOutbox,
}

impl Commits {
    /// Apply commits from a client of this node; queue them for `peers`.
    pub fn commit_local(&mut self, offsets: &BTreeMap<String, u64>, peers: &[String]) {
        for (k, &o) in offsets {
            if self.merge_one(k, o) {
                for p in peers {
                    self.outbox.add(p, k, o);
                }
            }
        }
    }

    /// Apply commits a peer replicated (not forwarded again: every node sends its
    /// own clients' commits to every peer directly).
    pub fn merge(&mut self, offsets: &BTreeMap<String, u64>) {
        for (k, &o) in offsets {
            self.merge_one(k, o);
        }
    }

    fn merge_one(&mut self, key: &str, offset: u64) -> bool {
        match self.offsets.get_mut(key) {
            Some(cur) if *cur >= offset => false,
            Some(cur) => {
                *cur = offset;
                true
            }
            None => {
                self.offsets.insert(key.to_string(), offset);
                true
            }
        }
    }

    /// Committed offsets of the requested keys that have one.
    pub fn list(&self, keys: &[String]) -> BTreeMap<String, u64> {
        keys.iter()
            .filter_map(|k| self.offsets.get(k).map(|o| (k.clone(), *o)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_grow_and_are_queued_for_peers() {
        let peers = vec!["n1".to_string(), "n2".to_string()];
        let mut c = Commits::default();
        c.commit_local(&BTreeMap::from([("a".into(), 4)]), &peers);
        c.commit_local(&BTreeMap::from([("a".into(), 2)]), &peers);
        c.merge(&BTreeMap::from([("b".into(), 7), ("a".into(), 1)]));
        let got = c.list(&["a".into(), "b".into(), "zz".into()]);
        assert_eq!(got, BTreeMap::from([("a".into(), 4), ("b".into(), 7)]));
        assert_eq!(c.outbox.pending("n1"), 1);
        assert_eq!(c.outbox.pending("n2"), 1);
    }
}
