//! Kafka ops as the checker sees them: client ops with their sends and polls pulled out of
//! the `:value` micro-ops, keys and messages interned to small integers.
//!
//! Shapes (jepsen `op-writes` / `op-reads`): a `:send` or `:txn` op writes `[:send k v]`
//! mops, where `v` is either `[offset msg]` (completions) or a bare `msg` (invocations, and
//! `:info`/`:fail` completions, which keep the invocation's value); the offset may be `nil`.
//! A `:poll` or `:txn` op reads `[:poll {k [[offset msg] ...]}]` mops (mops without a result
//! map are skipped); a key listed with no pairs is still *read*, with an empty list, which
//! several analyses care about. Per op, writes and reads are grouped by key in the order of
//! a Clojure map built by `assoc` (see [`super::clj`]). Nemesis ops are dropped
//! (`h/client-ops`).

use std::collections::HashMap;

use glomers_model::{Op, OpType, Process, Value};

use super::clj;
use crate::checker::util::{Pairs, ValueKey};

/// An interned key.
pub type KeyId = u32;
/// An interned message value.
pub type ValId = u32;

/// Values interned under Clojure equality.
#[derive(Debug, Default)]
pub struct Interner {
    pub values: Vec<Value>,
    ids: HashMap<ValueKey, u32>,
}

impl Interner {
    pub fn intern(&mut self, v: &Value) -> u32 {
        let key = ValueKey::of(v);
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        let id = self.values.len() as u32;
        self.values.push(v.clone());
        self.ids.insert(key, id);
        id
    }

    pub fn get(&self, id: u32) -> &Value {
        &self.values[id as usize]
    }
}

/// `:f` of a kafka op, as far as the checker distinguishes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fun {
    Send,
    Poll,
    Txn,
    Assign,
    Subscribe,
    Other,
}

/// `(offset, message)`; the offset is `None` when unknown (`nil`, or not an integer).
pub type Pair = (Option<i64>, ValId);

/// One client op.
#[derive(Debug, Clone)]
pub struct KOp {
    /// Position in the history slice.
    pub pos: usize,
    pub typ: OpType,
    pub process: u64,
    pub f: Fun,
    /// Sends by key (`op-write-pairs`).
    pub writes: Vec<(KeyId, Vec<Pair>)>,
    /// Polled pairs by key (`op-read-pairs`); keys polled with an empty list are present.
    pub reads: Vec<(KeyId, Vec<Pair>)>,
    /// Keys of an `:assign`/`:subscribe` op's value.
    pub assigned: Vec<KeyId>,
    /// Keys named in a `:rebalance-log` (never written by Maelstrom's client).
    pub rebalanced: Vec<KeyId>,
}

impl KOp {
    pub fn read_values(&self, k: KeyId) -> Option<&[Pair]> {
        self.reads
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.as_slice())
    }

    pub fn write_values(&self, k: KeyId) -> Option<&[Pair]> {
        self.writes
            .iter()
            .find(|(key, _)| *key == k)
            .map(|(_, v)| v.as_slice())
    }
}

/// The parsed client history.
#[derive(Debug)]
pub struct Parsed<'a> {
    pub history: &'a [Op],
    pub ops: Vec<KOp>,
    pub keys: Interner,
    pub vals: Interner,
    /// Invocation ↔ completion pairing over the whole slice.
    pub pairs: Pairs,
}

impl<'a> Parsed<'a> {
    pub fn new(history: &'a [Op]) -> Parsed<'a> {
        let mut keys = Interner::default();
        let mut vals = Interner::default();
        let mut ops = Vec::new();
        for (pos, op) in history.iter().enumerate() {
            let Process::Client(process) = op.process else {
                continue;
            };
            ops.push(parse_op(pos, process, op, &mut keys, &mut vals));
        }
        Parsed {
            history,
            ops,
            keys,
            vals,
            pairs: Pairs::new(history),
        }
    }

    /// The history op behind a parsed op.
    pub fn op(&self, k: &KOp) -> &'a Op {
        &self.history[k.pos]
    }

    pub fn key(&self, k: KeyId) -> &Value {
        self.keys.get(k)
    }

    pub fn val(&self, v: ValId) -> &Value {
        self.vals.get(v)
    }

    /// The `:time` of the invocation of the completion `k` (its own time if unpaired).
    pub fn invoke_time(&self, k: &KOp) -> u64 {
        self.pairs
            .partner(k.pos)
            .map_or(self.history[k.pos].time, |i| self.history[i].time)
    }
}

fn fun_of(f: &str) -> Fun {
    match f {
        "send" => Fun::Send,
        "poll" => Fun::Poll,
        "txn" => Fun::Txn,
        "assign" => Fun::Assign,
        "subscribe" => Fun::Subscribe,
        _ => Fun::Other,
    }
}

fn offset_of(v: Option<&Value>) -> Option<i64> {
    match v {
        Some(Value::Int(o)) => Some(*o),
        _ => None,
    }
}

/// Adds pairs under `k`, keeping keys in first-seen order.
fn push_pairs(groups: &mut Vec<(KeyId, Vec<Pair>)>, k: KeyId, pairs: Vec<Pair>) {
    match groups.iter_mut().find(|(key, _)| *key == k) {
        Some((_, v)) => v.extend(pairs),
        None => groups.push((k, pairs)),
    }
}

fn parse_op(pos: usize, process: u64, op: &Op, keys: &mut Interner, vals: &mut Interner) -> KOp {
    let f = fun_of(&op.f);
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    let mut assigned = Vec::new();
    let mops = op.value.as_seq().unwrap_or(&[]);
    if matches!(f, Fun::Send | Fun::Txn | Fun::Poll) {
        for mop in mops {
            let Some(m) = mop.as_seq() else { continue };
            match m.first().and_then(Value::as_keyword) {
                Some("send") if f != Fun::Poll => {
                    let k = keys.intern(m.get(1).unwrap_or(&Value::Nil));
                    let v = m.get(2).unwrap_or(&Value::Nil);
                    let pair = match v {
                        Value::Vector(ov) => (
                            offset_of(ov.first()),
                            vals.intern(ov.get(1).unwrap_or(&Value::Nil)),
                        ),
                        other => (None, vals.intern(other)),
                    };
                    push_pairs(&mut writes, k, vec![pair]);
                }
                Some("poll") if f != Fun::Send && m.len() >= 2 => {
                    for (k, ps) in m[1].as_map().unwrap_or(&[]) {
                        let k = keys.intern(k);
                        let pairs = ps
                            .as_seq()
                            .unwrap_or(&[])
                            .iter()
                            .map(|p| {
                                let p = p.as_seq().unwrap_or(&[]);
                                (
                                    offset_of(p.first()),
                                    vals.intern(p.get(1).unwrap_or(&Value::Nil)),
                                )
                            })
                            .collect();
                        push_pairs(&mut reads, k, pairs);
                    }
                }
                _ => {}
            }
        }
    }
    if matches!(f, Fun::Assign | Fun::Subscribe) {
        for k in op.value.as_seq().unwrap_or(&[]) {
            let k = keys.intern(k);
            if !assigned.contains(&k) {
                assigned.push(k);
            }
        }
    }
    let rebalanced = op
        .extra("rebalance-log")
        .and_then(Value::as_seq)
        .unwrap_or(&[])
        .iter()
        .flat_map(|e| e.get("keys").and_then(Value::as_seq).unwrap_or(&[]))
        .map(|k| keys.intern(k))
        .collect();
    let by_key = |keys: &Interner, groups: &mut Vec<(KeyId, Vec<Pair>)>| {
        clj::map_order(groups, |(k, _)| keys.get(*k).clone());
    };
    by_key(keys, &mut writes);
    by_key(keys, &mut reads);
    KOp {
        pos,
        typ: op.typ,
        process,
        f,
        writes,
        reads,
        assigned,
        rebalanced,
    }
}
