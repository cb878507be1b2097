//! One node's replica: last-writer-wins registers and timestamp-ordered lists, a
//! Lamport clock, and what each peer has promised about its clock.
//!
//! **Transactions** run one at a time under the node's lock, so each is applied
//! atomically: its reads see one state, and only its *final* write per key (or all of
//! its appends, together) becomes visible, to local readers at once and to peers in
//! one replicated batch. Nothing is ever aborted after being applied, so no reader
//! can see a failed transaction's writes (G1a) or a transaction's intermediate state
//! (G1b).
//!
//! **Registers** are last-writer-wins by [`Ts`]: every replica ends with the write of
//! the largest timestamp. Reads return the local value, whatever replicated so far.
//!
//! **Lists** order their elements by `(txn timestamp, position in the txn)`, the same
//! total order on every node. A read must never show an order that a later read
//! (anywhere) contradicts, so it only returns a *stable* prefix: elements whose time
//! is at most `W = min(own clock, every peer's promised clock)`. A peer's promise `C`
//! (sent with each replication batch that carries all its writes not yet
//! acknowledged) says it has no element at time ≤ `C` that this node lacks and will
//! never create one, so no element can later slip in before the end of the prefix: every
//! read on every node is a prefix of the one final order. During a partition `W` stops
//! moving and reads of lists go stale (allowed by read-committed); they catch up after
//! the heal. A transaction reading a list it appended to sees its own elements only
//! when it is safe (every peer has promised past its time, e.g. on one node);
//! otherwise it sees the stable prefix without them, an `:internal` quirk that
//! read-committed permits, rather than an order that could later be contradicted.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::clock::Ts;
use super::protocol::{ListAppend, Op, RegWrite};
use crate::{ErrorCode, NodeError};

fn canon(key: &Value) -> String {
    key.to_string()
}

struct Register {
    value: Value,
    ts: Ts,
}

/// The effects of a local transaction, to replicate.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Effects {
    pub writes: Vec<RegWrite>,
    pub appends: Vec<ListAppend>,
}

impl Effects {
    pub fn is_empty(&self) -> bool {
        self.writes.is_empty() && self.appends.is_empty()
    }
}

/// One replica.
pub struct Store {
    me: u32,
    clock: u64,
    /// Promised clock per node index (own entry unused).
    promises: Vec<u64>,
    regs: HashMap<String, Register>,
    lists: HashMap<String, BTreeMap<(Ts, u32), Value>>,
}

impl Store {
    /// A replica for node `me` of `nodes` nodes.
    pub fn new(me: u32, nodes: usize) -> Store {
        Store {
            me,
            clock: 0,
            promises: vec![0; nodes.max(1)],
            regs: HashMap::new(),
            lists: HashMap::new(),
        }
    }

    pub fn clock(&self) -> u64 {
        self.clock
    }

    fn min_promise(&self) -> u64 {
        self.promises
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as u32 != self.me)
            .map(|(_, c)| *c)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// The stable time: list elements at or below it are final in order everywhere.
    pub fn stable_time(&self) -> u64 {
        self.clock.min(self.min_promise())
    }

    /// Run a transaction: returns each micro-op's value (reads filled in) and the
    /// writes to replicate. A malformed transaction changes nothing.
    pub fn execute(&mut self, ops: &[Op]) -> Result<(Vec<Value>, Effects), NodeError> {
        self.validate(ops)?;
        let writes_anything = ops.iter().any(|o| !matches!(o, Op::Read(_)));
        let ts = Ts(self.clock + 1, self.me);
        // Own appends may be shown only if nothing can still be ordered before them.
        let see_own = writes_anything && self.min_promise() >= ts.time();
        let stable = self.stable_time();
        let mut written: HashMap<String, Value> = HashMap::new();
        let mut appended: HashMap<String, Vec<Value>> = HashMap::new();
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            match op {
                Op::Read(k) => {
                    let c = canon(k);
                    let v = if let Some(v) = written.get(&c) {
                        v.clone()
                    } else if self.lists.contains_key(&c) || appended.contains_key(&c) {
                        let mut items: Vec<Value> = match self.lists.get(&c) {
                            Some(list) if see_own => {
                                list.range(..(ts, 0)).map(|(_, v)| v.clone()).collect()
                            }
                            Some(list) => list
                                .range(..(Ts(stable.saturating_add(1), 0), 0))
                                .map(|(_, v)| v.clone())
                                .collect(),
                            None => Vec::new(),
                        };
                        if see_own {
                            items.extend(appended.get(&c).into_iter().flatten().cloned());
                        }
                        if items.is_empty() {
                            Value::Null
                        } else {
                            Value::Array(items)
                        }
                    } else {
                        self.regs.get(&c).map_or(Value::Null, |r| r.value.clone())
                    };
                    results.push(v);
                }
                Op::Write(k, v) => {
                    written.insert(canon(k), v.clone());
                    results.push(v.clone());
                }
                Op::Append(k, v) => {
                    appended.entry(canon(k)).or_default().push(v.clone());
                    results.push(v.clone());
                }
            }
        }
        let mut effects = Effects::default();
        if !writes_anything {
            return Ok((results, effects));
        }
        self.clock = ts.time();
        // Final writes only, in first-touch order for determinism.
        let mut done: HashMap<String, ()> = HashMap::new();
        let mut idx: HashMap<String, u32> = HashMap::new();
        for op in ops {
            match op {
                Op::Write(k, _) => {
                    let c = canon(k);
                    if done.insert(c.clone(), ()).is_none() {
                        let v = written[&c].clone();
                        effects.writes.push(RegWrite(k.clone(), v, ts));
                    }
                }
                Op::Append(k, v) => {
                    let i = idx.entry(canon(k)).or_insert(0);
                    effects
                        .appends
                        .push(ListAppend(k.clone(), v.clone(), ts, *i));
                    *i += 1;
                }
                Op::Read(_) => {}
            }
        }
        self.apply(&effects);
        Ok((results, effects))
    }

    fn validate(&self, ops: &[Op]) -> Result<(), NodeError> {
        let mut kinds: HashMap<String, bool> = HashMap::new(); // true = list
        for op in ops {
            let (k, list) = match op {
                Op::Write(k, _) => (k, false),
                Op::Append(k, _) => (k, true),
                Op::Read(_) => continue,
            };
            let c = canon(k);
            let existing = if self.lists.contains_key(&c) {
                Some(true)
            } else if self.regs.contains_key(&c) {
                Some(false)
            } else {
                kinds.get(&c).copied()
            };
            if existing.is_some_and(|e| e != list) {
                return Err(NodeError::new(
                    ErrorCode::MalformedRequest,
                    format!("key {k} is used both as a register and as a list"),
                ));
            }
            kinds.insert(c, list);
        }
        Ok(())
    }

    /// Apply writes (own or replicated); returns how many register writes lost to a
    /// newer one already here (concurrent writers).
    fn apply(&mut self, effects: &Effects) -> u64 {
        let mut lost = 0;
        for RegWrite(k, v, ts) in &effects.writes {
            let c = canon(k);
            if self.lists.contains_key(&c) {
                tracing::warn!(key = %k, "register write to a list key ignored");
                continue;
            }
            match self.regs.get_mut(&c) {
                Some(r) if r.ts >= *ts => {
                    if r.ts != *ts {
                        lost += 1;
                    }
                }
                Some(r) => {
                    r.value = v.clone();
                    r.ts = *ts;
                }
                None => {
                    self.regs.insert(
                        c,
                        Register {
                            value: v.clone(),
                            ts: *ts,
                        },
                    );
                }
            }
        }
        for ListAppend(k, v, ts, i) in &effects.appends {
            let c = canon(k);
            if self.regs.contains_key(&c) {
                tracing::warn!(key = %k, "append to a register key ignored");
                continue;
            }
            self.lists
                .entry(c)
                .or_default()
                .insert((*ts, *i), v.clone());
        }
        lost
    }

    /// Apply a peer's batch (idempotent) and its clock promise; returns the number of
    /// register writes that lost to newer ones.
    pub fn apply_remote(&mut self, from: u32, clock: u64, effects: &Effects) -> u64 {
        let lost = self.apply(effects);
        if let Some(p) = self.promises.get_mut(from as usize) {
            *p = (*p).max(clock);
        }
        self.clock = self.clock.max(clock);
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn r(k: i64) -> Op {
        Op::Read(json!(k))
    }
    fn w(k: i64, v: i64) -> Op {
        Op::Write(json!(k), json!(v))
    }
    fn a(k: i64, v: i64) -> Op {
        Op::Append(json!(k), json!(v))
    }

    #[test]
    fn registers_read_own_writes_and_only_final_writes_replicate() {
        let mut s = Store::new(0, 1);
        let (vals, fx) = s.execute(&[r(1), w(1, 5), r(1), w(1, 6)]).unwrap();
        assert_eq!(vals, vec![Value::Null, json!(5), json!(5), json!(6)]);
        assert_eq!(fx.writes, vec![RegWrite(json!(1), json!(6), Ts(1, 0))]);
        let (vals, _) = s.execute(&[r(1)]).unwrap();
        assert_eq!(vals, vec![json!(6)]);
    }

    #[test]
    fn last_writer_wins_whatever_the_arrival_order() {
        let newer = Effects {
            writes: vec![RegWrite(json!(1), json!("b"), Ts(5, 1))],
            ..Effects::default()
        };
        let older = Effects {
            writes: vec![RegWrite(json!(1), json!("a"), Ts(5, 0))],
            ..Effects::default()
        };
        let mut x = Store::new(2, 3);
        let mut y = Store::new(2, 3);
        x.apply_remote(1, 5, &newer);
        assert_eq!(x.apply_remote(0, 5, &older), 1);
        y.apply_remote(0, 5, &older);
        y.apply_remote(1, 5, &newer);
        for s in [&mut x, &mut y] {
            assert_eq!(s.execute(&[r(1)]).unwrap().0, vec![json!("b")]);
        }
    }

    #[test]
    fn single_node_lists_show_own_appends_in_order() {
        let mut s = Store::new(0, 1);
        let (vals, _) = s.execute(&[a(1, 1), r(1), a(1, 2), r(1)]).unwrap();
        assert_eq!(vals, vec![json!(1), json!([1]), json!(2), json!([1, 2])]);
        assert_eq!(s.execute(&[r(1)]).unwrap().0, vec![json!([1, 2])]);
    }

    #[test]
    fn lists_show_only_the_stable_prefix() {
        // Node 0 of 3; the peers have promised nothing yet.
        let mut s = Store::new(0, 3);
        let (vals, fx) = s.execute(&[a(1, 10), r(1)]).unwrap();
        assert_eq!(vals[1], Value::Null, "own append is not stable yet");
        assert_eq!(
            fx.appends,
            vec![ListAppend(json!(1), json!(10), Ts(1, 0), 0)]
        );
        assert_eq!(s.execute(&[r(1)]).unwrap().0, vec![Value::Null]);
        // Node 1 appended concurrently at the same time; both peers promise clock 1.
        let theirs = Effects {
            appends: vec![ListAppend(json!(1), json!(20), Ts(1, 1), 0)],
            ..Effects::default()
        };
        s.apply_remote(1, 1, &theirs);
        assert_eq!(s.execute(&[r(1)]).unwrap().0, vec![Value::Null]);
        s.apply_remote(2, 1, &Effects::default());
        assert_eq!(s.execute(&[r(1)]).unwrap().0, vec![json!([10, 20])]);
        // A later element of node 1 stays hidden until node 2 promises past it:
        // node 2 could still send an element at time 2..7, ordered before it.
        let later = Effects {
            appends: vec![ListAppend(json!(1), json!(30), Ts(7, 1), 0)],
            ..Effects::default()
        };
        s.apply_remote(1, 7, &later);
        assert_eq!(s.execute(&[r(1)]).unwrap().0, vec![json!([10, 20])]);
        let before = Effects {
            appends: vec![ListAppend(json!(1), json!(25), Ts(4, 2), 0)],
            ..Effects::default()
        };
        s.apply_remote(2, 7, &before);
        assert_eq!(s.execute(&[r(1)]).unwrap().0, vec![json!([10, 20, 25, 30])]);
    }

    #[test]
    fn mixing_registers_and_lists_is_rejected_without_effect() {
        let mut s = Store::new(0, 1);
        s.execute(&[w(1, 1)]).unwrap();
        let before = s.clock();
        assert!(s.execute(&[w(2, 2), a(1, 3)]).is_err());
        assert!(s.execute(&[w(3, 2), a(3, 3)]).is_err());
        assert_eq!(s.clock(), before);
        assert_eq!(s.execute(&[r(2)]).unwrap().0, vec![Value::Null]);
    }
}
