//! g-counter and pn-counter checker (MAELSTROM.md §6.5).
//!
//! The definite value is the sum of the deltas of `:ok` adds. The acceptable set starts as
//! `{definite}`; each `:info` add (in history order) may or may not have happened, so
//! `S := S ∪ (S + delta)`. The set is kept as maximal runs of consecutive integers
//! `[lo hi]`. Only `:ok` ops marked `:final?` are checked (in g-counter and pn-counter, the
//! final reads): each must lie in the acceptable set. Non-final reads are ignored, and with no
//! final reads the result is valid.
//!
//! Result: `{:valid? :errors (bad final reads as ops, or nil) :final-reads (values)
//! :acceptable ([lo hi] ...)}`. A non-integer delta or final read makes the checker fail
//! (`:unknown`), as Maelstrom's assertion does.

use glomers_model::{Op, OpType, Value};

use crate::checker::util::{op_value, CheckResult};
use crate::checker::RunFacts;

/// A set of integers as sorted, disjoint, non-adjacent closed ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeSet {
    ranges: Vec<(i128, i128)>,
}

impl RangeSet {
    /// `{x}`.
    pub fn single(x: i128) -> RangeSet {
        RangeSet {
            ranges: vec![(x, x)],
        }
    }

    /// The maximal runs, ascending.
    pub fn ranges(&self) -> &[(i128, i128)] {
        &self.ranges
    }

    pub fn contains(&self, x: i128) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= x && x <= hi)
    }

    /// `S ∪ (S + delta)`.
    pub fn widen(&mut self, delta: i128) {
        let mut all = self.ranges.clone();
        all.extend(self.ranges.iter().map(|&(lo, hi)| (lo + delta, hi + delta)));
        all.sort_unstable();
        let mut merged: Vec<(i128, i128)> = Vec::with_capacity(all.len());
        for (lo, hi) in all {
            match merged.last_mut() {
                Some(last) if lo <= last.1 + 1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        self.ranges = merged;
    }
}

fn integer(v: &Value, what: &str, op: &Op) -> Result<i128, String> {
    match v {
        Value::Int(i) => Ok(*i as i128),
        Value::BigInt(s) => s
            .trim_end_matches('N')
            .parse::<i128>()
            .map_err(|e| format!("{what} at index {} is out of range: {e}", op.index)),
        other => Err(format!(
            "java.lang.AssertionError: {what} at index {} is not an integer: {other}",
            op.index
        )),
    }
}

fn big_or_int(x: i128) -> Value {
    match i64::try_from(x) {
        Ok(i) => Value::Int(i),
        Err(_) => Value::BigInt(x.to_string()),
    }
}

/// The `:workload` map for g-counter and pn-counter.
pub fn check(history: &[Op], _facts: &RunFacts) -> CheckResult {
    let adds = history.iter().filter(|op| op.f == "add");
    let mut definite: i128 = 0;
    for op in adds.clone().filter(|op| op.typ == OpType::Ok) {
        definite += integer(&op.value, "add delta", op)?;
    }
    let mut acceptable = RangeSet::single(definite);
    for op in adds.filter(|op| op.typ == OpType::Info) {
        acceptable.widen(integer(&op.value, "add delta", op)?);
    }
    let reads: Vec<&Op> = history
        .iter()
        .filter(|op| op.typ == OpType::Ok && truthy(op.extra("final?")))
        .collect();
    let mut errors = Vec::new();
    for op in &reads {
        if !acceptable.contains(integer(&op.value, "final read", op)?) {
            errors.push(op_value(op));
        }
    }
    let valid = errors.is_empty();
    Ok(glomers_model::edn_map! {
        "valid?" => Value::Bool(valid),
        "errors" => if valid { Value::Nil } else { Value::List(errors) },
        "final-reads" => Value::List(reads.iter().map(|op| op.value.clone()).collect()),
        "acceptable" => Value::List(
            acceptable
                .ranges()
                .iter()
                .map(|&(lo, hi)| Value::Vector(vec![big_or_int(lo), big_or_int(hi)]))
                .collect(),
        ),
    })
}

/// Clojure truthiness of an optional value.
fn truthy(v: Option<&Value>) -> bool {
    !matches!(v, None | Some(Value::Nil) | Some(Value::Bool(false)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widen_keeps_maximal_runs() {
        let mut s = RangeSet::single(0);
        s.widen(3);
        assert_eq!(s.ranges(), &[(0, 0), (3, 3)]);
        s.widen(1);
        assert_eq!(s.ranges(), &[(0, 1), (3, 4)]);
        s.widen(3);
        assert_eq!(s.ranges(), &[(0, 1), (3, 4), (6, 7)]);
        s.widen(2);
        assert_eq!(s.ranges(), &[(0, 9)]);
        let mut n = RangeSet::single(5);
        n.widen(-2);
        assert_eq!(n.ranges(), &[(3, 3), (5, 5)]);
        n.widen(0);
        assert_eq!(n.ranges(), &[(3, 3), (5, 5)]);
    }
}
