//! The `:workload` result map, shaped as jepsen's kafka checker prints it.
//!
//! `{:valid? :worst-realtime-lag :bad-error-types :error-types :info-txn-causes}` followed by
//! one entry per error type in sorted order. That is a Clojure array map while it has at most
//! 8 keys; with 4 or more error types it becomes a hash map and is printed in hash order
//! (see [`super::clj`]). Each error type is condensed (jepsen `condense-error`) to
//! `{:count n, :errs ...}`: `:duplicate` and `:inconsistent-offsets` keep the 32 with the
//! fewest offsets/values, cycles the 8 with the fewest steps, nonmonotonic types the 8
//! lowest deltas, skip types the 8 highest; the rest are kept whole. `:unseen` has its own
//! shape and `:empty-transaction-graph` is `{:count 1, :errs true}`.
//!
//! Allowed (not invalidating) types: `:int-send-skip :G0 :G0-process :G0-realtime
//! :PL-1-cycle-exists :strong-PL-1-cycle-exists`, plus the G1c family when `ww-deps` is on.

use std::collections::HashSet;

use glomers_model::Value;

use super::clj;
use crate::checker::util::{int, ValueKey};

/// Error types that do not invalidate a test.
pub fn allowed(typ: &str, ww_deps: bool) -> bool {
    const ALWAYS: [&str; 6] = [
        "int-send-skip",
        "G0",
        "G0-process",
        "G0-realtime",
        "PL-1-cycle-exists",
        "strong-PL-1-cycle-exists",
    ];
    const WITH_WW: [&str; 5] = [
        "G1c",
        "G1c-process",
        "G1c-realtime",
        "PL-2-cycle-exists",
        "strong-PL-2-cycle-exists",
    ];
    ALWAYS.contains(&typ) || (ww_deps && WITH_WW.contains(&typ))
}

fn int_field(v: &Value, k: &str) -> i64 {
    v.get(k).and_then(Value::as_i64).unwrap_or(0)
}

fn len_field(v: &Value, k: &str) -> usize {
    v.get(k).and_then(Value::as_seq).map_or(0, <[Value]>::len)
}

fn set_len(v: &Value, k: &str) -> usize {
    match v.get(k) {
        Some(Value::Set(s)) => s.len(),
        _ => 0,
    }
}

/// `{:count n, :errs ...}` for one error type.
pub fn condense(typ: &str, mut errs: Vec<Value>) -> Value {
    let count = int(errs.len());
    let take = |errs: Vec<Value>, n: usize| Value::List(errs.into_iter().take(n).collect());
    let take_last = |errs: Vec<Value>, n: usize| {
        let skip = errs.len().saturating_sub(n);
        Value::List(errs.into_iter().skip(skip).collect())
    };
    let errs = match typ {
        "duplicate" => {
            errs.sort_by_key(|e| int_field(e, "count"));
            take(errs, 32)
        }
        "G0" | "G0-process" | "G0-realtime" | "G1c" | "G1c-process" | "G1c-realtime" => {
            errs.sort_by_key(|e| len_field(e, "steps"));
            take(errs, 8)
        }
        "inconsistent-offsets" => {
            errs.sort_by_key(|e| set_len(e, "values"));
            take(errs, 32)
        }
        "int-nonmonotonic-poll"
        | "int-nonmonotonic-send"
        | "nonmonotonic-poll"
        | "nonmonotonic-send" => {
            errs.sort_by_key(|e| int_field(e, "delta"));
            take(errs, 8)
        }
        "int-poll-skip" | "int-send-skip" | "poll-skip" => {
            errs.sort_by_key(|e| int_field(e, "delta"));
            take_last(errs, 8)
        }
        "empty-transaction-graph" => {
            return glomers_model::edn_map! { "count" => int(1), "errs" => Value::Bool(true) };
        }
        t if t == "precommitted-read"
            || t == "cycle-search-timeout"
            || t.ends_with("-cycle-exists") =>
        {
            Value::Vector(errs)
        }
        _ => Value::List(errs),
    };
    glomers_model::edn_map! { "count" => count, "errs" => errs }
}

/// The result map from the condensed errors (any order), the worst lag and the info causes.
pub fn result(
    mut errors: Vec<(String, Value)>,
    worst_lag: Value,
    info_causes: Vec<Value>,
    ww_deps: bool,
) -> Value {
    errors.sort_by(|a, b| a.0.cmp(&b.0));
    let types: Vec<Value> = errors.iter().map(|(t, _)| Value::kw(t)).collect();
    let bad: Vec<Value> = errors
        .iter()
        .filter(|(t, _)| !allowed(t, ww_deps))
        .map(|(t, _)| Value::kw(t))
        .collect();
    let mut m = vec![
        (Value::kw("valid?"), Value::Bool(bad.is_empty())),
        (Value::kw("worst-realtime-lag"), worst_lag),
        (Value::kw("bad-error-types"), Value::List(bad)),
        (Value::kw("error-types"), Value::List(types)),
        (Value::kw("info-txn-causes"), Value::List(info_causes)),
    ];
    m.extend(errors.into_iter().map(|(t, v)| (Value::kw(&t), v)));
    clj::map_order(&mut m, |(k, _)| k.clone());
    Value::Map(m)
}

/// Keeps the first of equal values, in order (Clojure `distinct`).
pub fn distinct(vs: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut seen = HashSet::new();
    vs.into_iter()
        .filter(|v| seen.insert(ValueKey::of(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_keep_the_largest_deltas() {
        let errs: Vec<Value> = (0..10)
            .map(|d| glomers_model::edn_map! { "delta" => int(10 - d) })
            .collect();
        let c = condense("poll-skip", errs);
        let kept = c.get("errs").unwrap().as_seq().unwrap();
        assert_eq!(kept.len(), 8);
        assert_eq!(kept[0].get("delta"), Some(&int(3)));
        assert_eq!(c.get("count"), Some(&int(10)));
    }
}
