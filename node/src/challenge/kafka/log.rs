//! One key's log as this node knows it: a prefix of the authoritative log in lin-kv.
//!
//! The log is stored in lin-kv as one JSON array of `[msg, send_id]` entries; an
//! entry's offset is its index. Every change is a compare-and-set from the whole
//! previous array to a longer one, so the lin-kv value only ever grows by appending,
//! and any two versions of it are prefixes of one another. The send id makes an
//! append idempotent: a send retried through another path finds its id already
//! present and gets the original offset back.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One log entry as stored in lin-kv: the message and the id of the send that wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry(pub Value, pub String);

/// A cached log: entries in offset order and an index from send id to offset.
#[derive(Debug, Default, Clone)]
pub struct KeyLog {
    entries: Vec<Entry>,
    ids: HashMap<String, u64>,
}

impl KeyLog {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The offset of the send with this id, if it is in the log.
    pub fn offset_of(&self, id: &str) -> Option<u64> {
        self.ids.get(id).copied()
    }

    /// The log extended by the given `(msg, id)` sends, skipping ids already present
    /// (in the log or earlier in `batch`).
    pub fn extended(&self, batch: &[(Value, String)]) -> Vec<Entry> {
        let mut next = self.entries.clone();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for (msg, id) in batch {
            if self.ids.contains_key(id) || !seen.insert(id) {
                continue;
            }
            next.push(Entry(msg.clone(), id.clone()));
        }
        next
    }

    /// Adopt `other` if it is longer than what is cached. Versions of the lin-kv value
    /// are prefixes of one another, so the longer one is the newer one. Returns whether
    /// the cache changed; a version that is not an extension is adopted anyway (lin-kv
    /// is the authority) and logged, since it means someone broke the append-only rule.
    pub fn adopt(&mut self, other: Vec<Entry>) -> bool {
        if other.len() <= self.entries.len() {
            return false;
        }
        if other[..self.entries.len()] != self.entries[..] {
            tracing::error!("kafka log in lin-kv is not an extension of the cached prefix");
        }
        self.ids = other
            .iter()
            .enumerate()
            .map(|(i, e)| (e.1.clone(), i as u64))
            .collect();
        self.entries = other;
        true
    }

    /// `[offset, msg]` pairs from `from` on, in offset order.
    pub fn read_from(&self, from: u64) -> Vec<(u64, Value)> {
        read_from(&self.entries, from)
    }
}

/// `[offset, msg]` pairs of `entries` from offset `from` on.
pub fn read_from(entries: &[Entry], from: u64) -> Vec<(u64, Value)> {
    entries
        .iter()
        .enumerate()
        .skip(usize::try_from(from).unwrap_or(usize::MAX))
        .map(|(i, e)| (i as u64, e.0.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn batch(items: &[(i64, &str)]) -> Vec<(Value, String)> {
        items
            .iter()
            .map(|(m, id)| (json!(m), id.to_string()))
            .collect()
    }

    #[test]
    fn extension_skips_known_and_repeated_ids() {
        let mut log = KeyLog::default();
        assert!(log.adopt(log.extended(&batch(&[(1, "a"), (2, "b"), (9, "a")]))));
        assert_eq!(log.len(), 2);
        assert_eq!(log.offset_of("b"), Some(1));
        let next = log.extended(&batch(&[(2, "b"), (3, "c")]));
        assert_eq!(next.len(), 3);
        assert_eq!(next[2], Entry(json!(3), "c".into()));
    }

    #[test]
    fn adopt_only_grows_and_reads_from_an_offset() {
        let mut log = KeyLog::default();
        log.adopt(log.extended(&batch(&[(1, "a"), (2, "b"), (3, "c")])));
        let shorter = log.entries()[..1].to_vec();
        assert!(!log.adopt(shorter));
        assert_eq!(log.len(), 3);
        assert_eq!(log.read_from(1), vec![(1, json!(2)), (2, json!(3))]);
        assert!(log.read_from(3).is_empty());
        assert!(log.read_from(u64::MAX).is_empty());
    }

    #[test]
    fn entries_are_json_pairs() {
        let e = Entry(json!(5), "n0:1".into());
        assert_eq!(serde_json::to_value(&e).unwrap(), json!([5, "n0:1"]));
    }
}
