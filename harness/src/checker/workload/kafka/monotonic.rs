//! Order anomalies measured in dense indices of the version order: `:poll-skip`,
//! `:nonmonotonic-poll`, `:nonmonotonic-send` (between ops of one process) and
//! `:int-poll-skip`, `:int-nonmonotonic-poll`, `:int-send-skip`, `:int-nonmonotonic-send`
//! (inside one op).
//!
//! For a pair of messages the delta is `index(second) − index(first)`, or 1 when either
//! index is unknown. Delta > 1 is a skip (the skipped messages are listed), delta < 1 is
//! nonmonotonic (re-reading the same message included).
//!
//! * Between polls of one process (jepsen `poll-skip+nonmonotonic-cases`): the first message
//!   an op polled from a key is compared with the last message the process's previous `:ok`
//!   poll of that key returned. Every poll that lists a key becomes that key's previous poll,
//!   even with an empty list (which makes the next delta 1). An `:ok`/`:info` assign or
//!   subscribe forgets keys outside its value. Errors come from polls of any type.
//! * Between sends of one process (jepsen `nonmonotonic-send-cases`): only `:ok`/`:info` ops
//!   count; the first message sent to a key against the last one the previous send sent.
//! * Inside one op: consecutive messages polled from a key (keys in a `:rebalance-log` are
//!   exempt), and consecutive messages sent to a key by completed ops.

use std::collections::HashMap;

use glomers_model::{OpType, Value};

use super::clj;
use super::parse::{Fun, KOp, KeyId, Pair, Parsed, ValId};
use super::version_order::VersionOrders;
use crate::checker::util::{int, op_value};

/// Skip and nonmonotonic cases of one family.
#[derive(Debug, Default)]
pub struct Cases {
    pub skip: Vec<Value>,
    pub nonmonotonic: Vec<Value>,
}

fn delta(i1: Option<usize>, i2: Option<usize>) -> i64 {
    match (i1, i2) {
        (Some(a), Some(b)) => b as i64 - a as i64,
        _ => 1,
    }
}

fn skipped(p: &Parsed, vo: &VersionOrders, k: KeyId, from: usize, to: usize) -> Value {
    let order = vo.get(k).expect("indices come from this order");
    Value::List(
        order.by_index[from + 1..to]
            .iter()
            .map(|v| p.val(*v).clone())
            .collect(),
    )
}

fn pair_values(p: &Parsed, a: Option<ValId>, b: Option<ValId>) -> Value {
    let v = |x: Option<ValId>| x.map_or(Value::Nil, |x| p.val(x).clone());
    Value::Vector(vec![v(a), v(b)])
}

/// Consecutive pairs of messages `vs` that one op polled from or sent to key `k`.
fn internal(p: &Parsed, vo: &VersionOrders, op: &KOp, k: KeyId, vs: &[Pair], out: &mut Cases) {
    let mut prev: Option<(Option<usize>, ValId)> = None;
    for &(_, v2) in vs {
        let i2 = vo.index_of(k, v2);
        if let Some((i1, v1)) = prev {
            let d = delta(i1, i2);
            if d > 1 {
                out.skip.push(glomers_model::edn_map! {
                    "key" => p.key(k).clone(),
                    "values" => pair_values(p, Some(v1), Some(v2)),
                    "delta" => int(d),
                    "skipped" => skipped(p, vo, k, i1.unwrap_or(0), i2.unwrap_or(0)),
                    "op" => op_value(p.op(op)),
                });
            } else if d < 1 {
                out.nonmonotonic.push(glomers_model::edn_map! {
                    "key" => p.key(k).clone(),
                    "values" => pair_values(p, Some(v1), Some(v2)),
                    "delta" => int(d),
                    "op" => op_value(p.op(op)),
                });
            }
        }
        prev = Some((i2, v2));
    }
}

/// `:int-poll-skip` / `:int-nonmonotonic-poll`.
pub fn internal_polls(p: &Parsed, vo: &VersionOrders) -> Cases {
    let mut out = Cases::default();
    for op in &p.ops {
        for (k, vs) in &op.reads {
            if !op.rebalanced.contains(k) {
                internal(p, vo, op, *k, vs, &mut out);
            }
        }
    }
    out
}

/// `:int-send-skip` / `:int-nonmonotonic-send`.
pub fn internal_sends(p: &Parsed, vo: &VersionOrders) -> Cases {
    let mut out = Cases::default();
    for op in p.ops.iter().filter(|op| op.typ != OpType::Invoke) {
        for (k, vs) in &op.writes {
            internal(p, vo, op, *k, vs, &mut out);
        }
    }
    out
}

/// Parsed-op indices per process, processes in Clojure `group-by` order.
fn by_process(p: &Parsed) -> Vec<Vec<usize>> {
    let mut groups: Vec<(Value, Vec<usize>)> = Vec::new();
    let mut slot: HashMap<u64, usize> = HashMap::new();
    for (i, op) in p.ops.iter().enumerate() {
        let g = *slot.entry(op.process).or_insert_with(|| {
            groups.push((int(op.process), Vec::new()));
            groups.len() - 1
        });
        groups[g].1.push(i);
    }
    clj::map_order(&mut groups, |(k, _)| k.clone());
    groups.into_iter().map(|(_, ops)| ops).collect()
}

fn last_of(vs: Option<&[Pair]>) -> Option<ValId> {
    vs.and_then(|vs| vs.last()).map(|&(_, v)| v)
}

/// `:poll-skip` / `:nonmonotonic-poll`.
pub fn external_polls(p: &Parsed, vo: &VersionOrders) -> Cases {
    let mut out = Cases::default();
    for ops in by_process(p) {
        let mut last_reads: HashMap<KeyId, usize> = HashMap::new();
        for i in ops {
            let op = &p.ops[i];
            match op.f {
                Fun::Assign | Fun::Subscribe
                    if !matches!(op.typ, OpType::Invoke | OpType::Fail) =>
                {
                    last_reads.retain(|k, _| op.assigned.contains(k));
                }
                Fun::Poll | Fun::Txn => {
                    for (k, reads) in &op.reads {
                        let Some(&last) = last_reads.get(k) else {
                            continue;
                        };
                        let last_op = &p.ops[last];
                        let v = last_of(last_op.read_values(*k));
                        let v2 = reads.first().map(|&(_, v)| v);
                        let i1 = v.and_then(|v| vo.index_of(*k, v));
                        let i2 = v2.and_then(|v| vo.index_of(*k, v));
                        let d = delta(i1, i2);
                        let ops_pair =
                            Value::Vector(vec![op_value(p.op(last_op)), op_value(p.op(op))]);
                        if d > 1 {
                            out.skip.push(glomers_model::edn_map! {
                                "key" => p.key(*k).clone(),
                                "delta" => int(d),
                                "skipped" => skipped(p, vo, *k, i1.unwrap_or(0), i2.unwrap_or(0)),
                                "ops" => ops_pair,
                            });
                        } else if d < 1 {
                            out.nonmonotonic.push(glomers_model::edn_map! {
                                "key" => p.key(*k).clone(),
                                "values" => pair_values(p, v, v2),
                                "delta" => int(d),
                                "ops" => ops_pair,
                            });
                        }
                    }
                    if op.typ == OpType::Ok {
                        for (k, _) in &op.reads {
                            last_reads.insert(*k, i);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

/// `:nonmonotonic-send`.
pub fn nonmonotonic_sends(p: &Parsed, vo: &VersionOrders) -> Vec<Value> {
    let mut errs = Vec::new();
    for ops in by_process(p) {
        let mut last_sends: HashMap<KeyId, usize> = HashMap::new();
        for i in ops {
            let op = &p.ops[i];
            if !matches!(op.typ, OpType::Ok | OpType::Info) {
                continue;
            }
            match op.f {
                Fun::Assign | Fun::Subscribe => {
                    last_sends.retain(|k, _| op.assigned.contains(k));
                }
                Fun::Send | Fun::Txn => {
                    for (k, sends) in &op.writes {
                        let Some(&last) = last_sends.get(k) else {
                            continue;
                        };
                        let last_op = &p.ops[last];
                        let v = last_of(last_op.write_values(*k));
                        let v2 = sends.first().map(|&(_, v)| v);
                        let i1 = v.and_then(|v| vo.index_of(*k, v));
                        let i2 = v2.and_then(|v| vo.index_of(*k, v));
                        let d = delta(i1, i2);
                        if d < 1 {
                            errs.push(glomers_model::edn_map! {
                                "key" => p.key(*k).clone(),
                                "values" => pair_values(p, v, v2),
                                "delta" => int(d),
                                "ops" => Value::Vector(vec![
                                    op_value(p.op(last_op)),
                                    op_value(p.op(op)),
                                ]),
                            });
                        }
                    }
                    for (k, _) in &op.writes {
                        last_sends.insert(*k, i);
                    }
                }
                _ => {}
            }
        }
    }
    errs
}
