//! Jepsen's `set-full` checker, used by broadcast (with `:broadcast` renamed to `:add`) and
//! g-set (MAELSTROM.md §6.3, §6.4).
//!
//! Client ops are processed in history order:
//! * an `:add` invoke starts tracking its element (a second invoke of the same element starts
//!   over); an `:ok` add completion makes the element *known* unless it already is;
//! * for every `:ok` read, each tracked element is *present* (the read's completion makes it
//!   known if it was not; its invocation becomes `last-present` if later by `:index`) or
//!   *absent* (its invocation becomes `last-absent` if later). Elements that a read returns
//!   but nobody added are ignored. Any other `:f` makes the checker fail (Clojure's `condp`
//!   has no default clause).
//!
//! Per element: *stable* = has a last-present and no later last-absent; *lost* = known, has a
//! last-absent later than any last-present, and known before that last-absent; *never-read*
//! otherwise. stable-latency = `max(0, last-absent.time + 1ns − known.time)` in whole ms (0
//! without a last-absent); lost-latency likewise from `last-present.time + 1ns`. *Stale* =
//! stable with a positive stable-latency. Quantiles take index `min(n−1, floor(n·q))` of the
//! sorted latencies for q ∈ {0, 0.5, 0.95, 0.99, 1}.
//!
//! Result: `:valid?` false with any lost element, else `:unknown` with no stable element, else
//! true. Keys are in the order real Maelstrom prints them (a Clojure hash map's order), with
//! `:stable-latencies` / `:lost-latencies` only when there is such a latency. Duplicate
//! detection is broken upstream (it keeps counts `< 1`), so `:duplicated-count` is always 0
//! and `:duplicated` always `{}`. The final reads carry no special meaning here: g-set's final
//! reads (no `:final?`) and broadcast's (`:final? true`) are ordinary reads.

use std::collections::{HashMap, HashSet};

use glomers_model::{Op, OpType, Value};

use crate::checker::util::{
    int, is_client, nanos_to_ms, op_value_as, sort_values, CheckResult, Pairs, ValueKey,
};
use crate::checker::RunFacts;

/// Quantile points of `:stable-latencies` / `:lost-latencies`.
pub const QUANTILES: [f64; 5] = [0.0, 0.5, 0.95, 0.99, 1.0];

/// At most this many elements appear in `:worst-stale`.
pub const WORST_STALE: usize = 8;

/// broadcast: set-full over the history with `:broadcast` ops renamed to `:add`.
pub fn check_broadcast(history: &[Op], _facts: &RunFacts) -> CheckResult {
    check(history, Some("broadcast"))
}

/// g-set: set-full over the history as it is.
pub fn check_g_set(history: &[Op], _facts: &RunFacts) -> CheckResult {
    check(history, None)
}

#[derive(Debug, Clone)]
struct Element {
    element: Value,
    /// Positions in the history slice.
    known: Option<usize>,
    last_present: Option<usize>,
    last_absent: Option<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Stable,
    Lost,
    NeverRead,
}

#[derive(Debug, Clone)]
struct ElementResult {
    element: Value,
    outcome: Outcome,
    stable_latency: Option<i64>,
    lost_latency: Option<i64>,
    known: Option<usize>,
    last_absent: Option<usize>,
}

/// Quantile index rule of Jepsen's `frequency-distribution`.
pub fn quantile_index(n: usize, q: f64) -> usize {
    let i = ((n as f64) * q).floor();
    (n - 1).min(if i < 0.0 { 0 } else { i as usize })
}

/// `{0 a, 0.5 b, 0.95 c, 0.99 d, 1 e}` over the values (sorted here), or `None` when empty.
pub fn frequency_distribution(values: &[i64]) -> Option<Value> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let n = sorted.len();
    Some(Value::Map(
        QUANTILES
            .iter()
            .map(|&q| {
                let key = if q.fract() == 0.0 {
                    Value::Int(q as i64)
                } else {
                    Value::Float(q)
                };
                (key, int(sorted[quantile_index(n, q)]))
            })
            .collect(),
    ))
}

/// set-full over `history`; ops whose `:f` equals `rename_to_add` count as `:add` (and are
/// printed with `:f :add`).
pub fn check(history: &[Op], rename_to_add: Option<&str>) -> CheckResult {
    let f_of = |op: &Op| -> String {
        match rename_to_add {
            Some(name) if op.f == name => "add".to_string(),
            _ => op.f.clone(),
        }
    };
    let pairs = Pairs::new(history);
    let mut elements: Vec<Element> = Vec::new();
    let mut by_key: HashMap<ValueKey, usize> = HashMap::new();

    for (i, op) in history.iter().enumerate() {
        if !is_client(op) {
            continue;
        }
        let f = f_of(op);
        match f.as_str() {
            "add" => {
                let key = ValueKey::of(&op.value);
                if op.typ == OpType::Invoke {
                    let fresh = Element {
                        element: op.value.clone(),
                        known: None,
                        last_present: None,
                        last_absent: None,
                    };
                    match by_key.get(&key) {
                        Some(&slot) => elements[slot] = fresh,
                        None => {
                            by_key.insert(key, elements.len());
                            elements.push(fresh);
                        }
                    }
                } else {
                    let Some(&slot) = by_key.get(&key) else {
                        return Err(format!(
                            "java.lang.IllegalArgumentException: add completion at index {} \
                             for an element that was never invoked",
                            op.index
                        ));
                    };
                    if op.typ == OpType::Ok && elements[slot].known.is_none() {
                        elements[slot].known = Some(i);
                    }
                }
            }
            "read" => {
                if op.typ != OpType::Ok {
                    continue;
                }
                let Some(inv) = pairs.partner(i) else {
                    return Err(format!(
                        "java.lang.NullPointerException: ok read at index {} has no invocation",
                        op.index
                    ));
                };
                let read: HashSet<ValueKey> = match &op.value {
                    Value::Nil => HashSet::new(),
                    v => v
                        .as_seq()
                        .ok_or_else(|| {
                            format!(
                                "java.lang.IllegalArgumentException: Don't know how to create \
                                 ISeq from the read value at index {}",
                                op.index
                            )
                        })?
                        .iter()
                        .map(ValueKey::of)
                        .collect(),
                };
                let inv_index = history[inv].index;
                for (key, &slot) in &by_key {
                    let e = &mut elements[slot];
                    if read.contains(key) {
                        if e.known.is_none() {
                            e.known = Some(i);
                        }
                        if e.last_present.is_none_or(|p| history[p].index < inv_index) {
                            e.last_present = Some(inv);
                        }
                    } else if e.last_absent.is_none_or(|a| history[a].index < inv_index) {
                        e.last_absent = Some(inv);
                    }
                }
            }
            other => {
                return Err(format!(
                    "java.lang.IllegalArgumentException: No matching clause: :{other}"
                ))
            }
        }
    }

    // Results in element order.
    let mut values: Vec<Value> = elements.iter().map(|e| e.element.clone()).collect();
    sort_values(&mut values)?;
    let mut ordered: Vec<&Element> = Vec::with_capacity(elements.len());
    for v in &values {
        ordered.push(&elements[by_key[&ValueKey::of(v)]]);
    }
    let results: Vec<ElementResult> = ordered.iter().map(|e| element_result(history, e)).collect();

    let of = |o: Outcome| results.iter().filter(move |r| r.outcome == o);
    let stable_count = of(Outcome::Stable).count();
    let lost_count = of(Outcome::Lost).count();
    let stale: Vec<&ElementResult> = of(Outcome::Stable)
        .filter(|r| r.stable_latency.unwrap_or(0) > 0)
        .collect();
    let mut worst: Vec<&ElementResult> = stale.clone();
    // Clojure: (->> stale (sort-by :stable-latency) reverse (take 8)).
    worst.sort_by_key(|r| r.stable_latency);
    worst.reverse();
    worst.truncate(WORST_STALE);
    let elems = |rs: &mut dyn Iterator<Item = &ElementResult>| -> Value {
        Value::List(rs.map(|r| r.element.clone()).collect())
    };
    let stable_latencies: Vec<i64> = results.iter().filter_map(|r| r.stable_latency).collect();
    let lost_latencies: Vec<i64> = results.iter().filter_map(|r| r.lost_latency).collect();

    let valid = if lost_count > 0 {
        Value::Bool(false)
    } else if stable_count == 0 {
        Value::kw("unknown")
    } else {
        Value::Bool(true)
    };
    let worst_value = Value::List(
        worst
            .iter()
            .map(|r| element_value(history, r, &f_of))
            .collect(),
    );

    let mut m: Vec<(Value, Value)> = Vec::new();
    let mut put = |k: &str, v: Value| m.push((Value::kw(k), v));
    put("worst-stale", worst_value);
    put("duplicated-count", int(0));
    put("valid?", valid);
    put("lost-count", int(lost_count));
    put("lost", elems(&mut of(Outcome::Lost)));
    put("stable-count", int(stable_count));
    put("stale-count", int(stale.len()));
    put("stale", elems(&mut stale.iter().copied()));
    put("never-read-count", int(of(Outcome::NeverRead).count()));
    if let Some(d) = frequency_distribution(&stable_latencies) {
        put("stable-latencies", d);
    }
    put("attempt-count", int(results.len()));
    if let Some(d) = frequency_distribution(&lost_latencies) {
        put("lost-latencies", d);
    }
    put("never-read", elems(&mut of(Outcome::NeverRead)));
    put("duplicated", Value::Map(Vec::new()));
    Ok(Value::Map(m))
}

fn element_result(history: &[Op], e: &Element) -> ElementResult {
    let idx = |p: Option<usize>| p.map(|p| history[p].index as i128).unwrap_or(-1);
    let time = |p: usize| history[p].time as i128;
    let stable = e.last_present.is_some() && idx(e.last_absent) < idx(e.last_present);
    let lost = e.known.is_some()
        && e.last_absent.is_some()
        && idx(e.last_present) < idx(e.last_absent)
        && idx(e.known) < idx(e.last_absent);
    let known_time = e.known.map(time).unwrap_or(0);
    let latency = |since: Option<usize>| {
        let t = since.map(|p| time(p) + 1).unwrap_or(0);
        nanos_to_ms((t - known_time).max(0))
    };
    ElementResult {
        element: e.element.clone(),
        outcome: if stable {
            Outcome::Stable
        } else if lost {
            Outcome::Lost
        } else {
            Outcome::NeverRead
        },
        stable_latency: stable.then(|| latency(e.last_absent)),
        lost_latency: lost.then(|| latency(e.last_present)),
        known: e.known,
        last_absent: e.last_absent,
    }
}

fn element_value(history: &[Op], r: &ElementResult, f_of: &dyn Fn(&Op) -> String) -> Value {
    let op = |p: Option<usize>| match p {
        Some(p) => op_value_as(&history[p], &f_of(&history[p])),
        None => Value::Nil,
    };
    let opt_int = |x: Option<i64>| x.map(Value::Int).unwrap_or(Value::Nil);
    glomers_model::edn_map! {
        "element" => r.element.clone(),
        "outcome" => Value::kw(match r.outcome {
            Outcome::Stable => "stable",
            Outcome::Lost => "lost",
            Outcome::NeverRead => "never-read",
        }),
        "stable-latency" => opt_int(r.stable_latency),
        "lost-latency" => opt_int(r.lost_latency),
        "known" => op(r.known),
        "last-absent" => op(r.last_absent),
    }
}
