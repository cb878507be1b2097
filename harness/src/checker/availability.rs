//! `:availability` (MAELSTROM.md §8.1): the fraction of invocations that completed ok.
//!
//! `ok-fraction = ok-count / invoke-count` over the whole history (nemesis ops are never
//! `:invoke`), a single-precision float like Clojure's `(float ...)`, or the integer `1` when
//! there are no invocations. Valid when `--availability` is unset, when the fraction is exactly
//! 1 for `total`, or at least the goal for a number.

use glomers_model::{Op, OpType, Value};

use super::util::float32;
use super::{AvailabilityGoal, RunFacts};

/// The `:availability` result map.
pub fn check(history: &[Op], facts: &RunFacts) -> Value {
    let oks = history.iter().filter(|op| op.typ == OpType::Ok).count();
    let invokes = history.iter().filter(|op| op.typ == OpType::Invoke).count();
    let fraction = if invokes == 0 {
        Value::Int(1)
    } else {
        float32(oks as f64 / invokes as f64)
    };
    let f = fraction.as_f64().unwrap_or(1.0);
    let valid = match facts.availability {
        None => true,
        Some(AvailabilityGoal::Total) => f == 1.0,
        Some(AvailabilityGoal::Fraction(goal)) => goal <= f,
    };
    glomers_model::edn_map! {
        "valid?" => Value::Bool(valid),
        "ok-fraction" => fraction,
    }
}
