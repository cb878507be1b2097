//! Reads of writes that should be invisible: `:G1a` and `:precommitted-read`.
//!
//! * `:G1a` (aborted read, jepsen `g1a-cases`): an `:ok` poll returned a message whose send
//!   `:fail`ed: `{:key :value :writer :reader}`, in history order.
//! * `:precommitted-read` (jepsen `precommitted-read-cases`): an op that both sends and polls
//!   (a `:txn`; never at Maelstrom's transaction length 1) polled a message it sent itself:
//!   `{:op :key :value}`, at most one per op.

use glomers_model::{OpType, Value};

use super::clj;
use super::index::Index;
use super::parse::{Fun, Parsed, ValId};
use crate::checker::util::op_value;

/// The `:G1a` cases.
pub fn g1a(p: &Parsed, ix: &Index) -> Vec<Value> {
    let mut errs = Vec::new();
    for op in &p.ops {
        if op.typ != OpType::Ok || !matches!(op.f, Fun::Poll | Fun::Txn) {
            continue;
        }
        for (k, pairs) in &op.reads {
            for &(_, v) in pairs {
                if !ix.failed_writes.contains(&(*k, v)) {
                    continue;
                }
                let writer = ix
                    .writer_of
                    .get(&(*k, v))
                    .map_or(Value::Nil, |&w| op_value(p.op(&p.ops[w])));
                errs.push(glomers_model::edn_map! {
                    "key" => p.key(*k).clone(),
                    "value" => p.val(v).clone(),
                    "writer" => writer,
                    "reader" => op_value(p.op(op)),
                });
            }
        }
    }
    errs
}

/// The `:precommitted-read` cases.
pub fn precommitted_reads(p: &Parsed) -> Vec<Value> {
    let mut errs = Vec::new();
    for op in &p.ops {
        for (k, writes) in &op.writes {
            let Some(reads) = op.read_values(*k) else {
                continue;
            };
            let mut bad: Vec<ValId> = writes
                .iter()
                .map(|&(_, v)| v)
                .filter(|v| reads.iter().any(|&(_, r)| r == *v))
                .collect();
            bad.dedup();
            clj::hash_order(&mut bad, |v| p.val(*v).clone());
            if let Some(&v) = bad.first() {
                errs.push(glomers_model::edn_map! {
                    "op" => op_value(p.op(op)),
                    "key" => p.key(*k).clone(),
                    "value" => p.val(v).clone(),
                });
                break;
            }
        }
    }
    errs
}
