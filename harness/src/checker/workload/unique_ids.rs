//! unique-ids workload checker (MAELSTROM.md §6.2; Jepsen's `unique-ids`).
//!
//! Over `:generate` ops: `:attempted-count` (invokes), `:acknowledged-count` (oks),
//! `:duplicated-count` (ids returned by more than one ok), `:duplicated` (a sorted map of at
//! most 48 of those ids, the most frequent, to their counts; among equal counts the larger ids
//! win) and `:range [lowest highest]` of acknowledged ids (`[nil nil]` when there are none).
//! Valid iff no duplicates. Ids are compared as Clojure does: all numbers or all strings are
//! fine, a mix cannot be ordered, and the checker then fails, which makes it `:unknown`.

use std::cmp::Ordering;
use std::collections::HashMap;

use glomers_model::{Op, OpType, Value};

use crate::checker::util::{compare_values, int, sort_values, CheckResult, ValueKey};
use crate::checker::RunFacts;

/// At most this many duplicated ids are listed.
pub const MAX_DUPLICATES_LISTED: usize = 48;

/// The `:workload` map for unique-ids.
pub fn check(history: &[Op], _facts: &RunFacts) -> CheckResult {
    let gens = history.iter().filter(|op| op.f == "generate");
    let mut attempted = 0u64;
    let mut acked = 0u64;
    // id key -> (id, count), plus first-seen order for determinism.
    let mut freqs: HashMap<ValueKey, (Value, u64)> = HashMap::new();
    let mut lo: Option<&Value> = None;
    let mut hi: Option<&Value> = None;
    for op in gens {
        match op.typ {
            OpType::Invoke => attempted += 1,
            OpType::Ok => {
                acked += 1;
                let v = &op.value;
                freqs
                    .entry(ValueKey::of(v))
                    .and_modify(|e| e.1 += 1)
                    .or_insert_with(|| (v.clone(), 1));
                lo = Some(match lo {
                    Some(l) if compare_values(l, v)? != Ordering::Greater => l,
                    _ => v,
                });
                hi = Some(match hi {
                    Some(h) if compare_values(h, v)? != Ordering::Less => h,
                    _ => v,
                });
            }
            _ => {}
        }
    }
    let mut dups: Vec<(Value, u64)> = freqs.into_values().filter(|(_, n)| *n > 1).collect();
    let dup_count = dups.len();
    // Sort by id, then take the most frequent (ties: larger ids first), then sort by id again.
    let mut ids: Vec<Value> = dups.iter().map(|(v, _)| v.clone()).collect();
    sort_values(&mut ids)?;
    let order = |a: &Value, b: &Value| compare_values(a, b).unwrap_or(Ordering::Equal);
    dups.sort_by(|a, b| order(&a.0, &b.0));
    dups.reverse();
    dups.sort_by_key(|d| std::cmp::Reverse(d.1));
    dups.truncate(MAX_DUPLICATES_LISTED);
    dups.sort_by(|a, b| order(&a.0, &b.0));
    let range = Value::Vector(vec![
        lo.cloned().unwrap_or(Value::Nil),
        hi.cloned().unwrap_or(Value::Nil),
    ]);
    Ok(glomers_model::edn_map! {
        "valid?" => Value::Bool(dup_count == 0),
        "attempted-count" => int(attempted),
        "acknowledged-count" => int(acked),
        "duplicated-count" => int(dup_count),
        "duplicated" => Value::Map(dups.into_iter().map(|(v, n)| (v, int(n))).collect()),
        "range" => range,
    })
}
