//! `:exceptions` (MAELSTROM.md §8.1): unhandled client exceptions, grouped by class.
//!
//! Looks at `:info` ops that carry an `:exception` (a datafied throwable:
//! `{:via [{:type <class> ...}] ...}`), groups them by the first `:via` entry's `:type`, and
//! lists the groups most frequent first (ties in order of first appearance) as
//! `{:count n, :class <type>, :example <first op of the group>}`. Never invalid:
//! `{:valid? true}` or `{:valid? true, :exceptions (...)}`.

use glomers_model::{Op, OpType, Value};

use super::util::{int, op_value, ValueKey};
use super::RunFacts;

/// The class of an exception map: `(-> e :via first :type)`.
fn class_of(e: &Value) -> Value {
    e.get("via")
        .and_then(|v| v.as_seq())
        .and_then(|via| via.first())
        .and_then(|first| first.get("type"))
        .cloned()
        .unwrap_or(Value::Nil)
}

/// The `:exceptions` result map.
pub fn check(history: &[Op], _facts: &RunFacts) -> Value {
    // (class key, class, example op, count), in order of first appearance.
    let mut groups: Vec<(ValueKey, Value, &Op, u64)> = Vec::new();
    for op in history.iter().filter(|op| op.typ == OpType::Info) {
        let Some(e) = op.extra("exception") else {
            continue;
        };
        if matches!(e, Value::Nil | Value::Bool(false)) {
            continue;
        }
        let class = class_of(e);
        let key = ValueKey::of(&class);
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.3 += 1,
            None => groups.push((key, class, op, 1)),
        }
    }
    if groups.is_empty() {
        return glomers_model::edn_map! { "valid?" => Value::Bool(true) };
    }
    // Stable sort: equal counts keep first-appearance order.
    groups.sort_by_key(|g| std::cmp::Reverse(g.3));
    let list = groups
        .into_iter()
        .map(|(_, class, op, n)| {
            glomers_model::edn_map! {
                "count" => int(n),
                "class" => class,
                "example" => op_value(op),
            }
        })
        .collect();
    glomers_model::edn_map! {
        "valid?" => Value::Bool(true),
        "exceptions" => Value::List(list),
    }
}
