//! Indexes shared by the analyses (jepsen `reads-by-type`, `writes-by-type`, `writer-of`,
//! `readers-of`, `must-have-committed?`).
//!
//! * ok reads: per key, the set of messages returned by `:ok` polls (keys polled with an
//!   empty list included, with an empty set), in first-seen key order;
//! * failed writes: `(key, msg)` sent by `:fail` sends;
//! * writer of `(key, msg)`: the **last** completed (non-invoke) op that sent it;
//! * readers of `(key, msg)`: every completed op that polled it, in history order;
//! * an op *must have committed* when it is `:ok`, or `:info` with one of its sends returned
//!   by some `:ok` poll.

use std::collections::{HashMap, HashSet};

use glomers_model::OpType;

use super::parse::{KOp, KeyId, Parsed, ValId};

/// The shared indexes; op references are indices into `Parsed::ops`.
#[derive(Debug, Default)]
pub struct Index {
    pub ok_reads: HashMap<KeyId, HashSet<ValId>>,
    /// Keys of `ok_reads` in first-seen order.
    pub ok_read_keys: Vec<KeyId>,
    pub failed_writes: HashSet<(KeyId, ValId)>,
    pub writer_of: HashMap<(KeyId, ValId), usize>,
    pub readers_of: HashMap<(KeyId, ValId), Vec<usize>>,
    /// `(key, msg)` pairs of `readers_of` in first-seen order.
    pub read_pairs: Vec<(KeyId, ValId)>,
}

impl Index {
    pub fn new(p: &Parsed) -> Index {
        let mut ix = Index::default();
        for (i, op) in p.ops.iter().enumerate() {
            if op.typ == OpType::Invoke {
                continue;
            }
            for (k, pairs) in &op.writes {
                for &(_, v) in pairs {
                    ix.writer_of.insert((*k, v), i);
                    if op.typ == OpType::Fail {
                        ix.failed_writes.insert((*k, v));
                    }
                }
            }
            for (k, pairs) in &op.reads {
                if op.typ == OpType::Ok {
                    let set = ix.ok_reads.entry(*k).or_insert_with(|| {
                        ix.ok_read_keys.push(*k);
                        HashSet::new()
                    });
                    set.extend(pairs.iter().map(|&(_, v)| v));
                }
                for &(_, v) in pairs {
                    let readers = ix.readers_of.entry((*k, v)).or_insert_with(|| {
                        ix.read_pairs.push((*k, v));
                        Vec::new()
                    });
                    if readers.last() != Some(&i) {
                        readers.push(i);
                    }
                }
            }
        }
        ix
    }

    /// Whether an `:ok` poll ever returned `v` from `k`.
    pub fn ok_read(&self, k: KeyId, v: ValId) -> bool {
        self.ok_reads.get(&k).is_some_and(|s| s.contains(&v))
    }

    /// jepsen `must-have-committed?`.
    pub fn must_have_committed(&self, op: &KOp) -> bool {
        match op.typ {
            OpType::Ok => true,
            OpType::Info => op
                .writes
                .iter()
                .any(|(k, pairs)| pairs.iter().any(|&(_, v)| self.ok_read(*k, v))),
            _ => false,
        }
    }
}
