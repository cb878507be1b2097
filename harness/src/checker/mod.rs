//! Checkers: pure functions from a history (and run facts) to the EDN result maps
//! Maelstrom writes into results.edn. `check_all` composes them in Maelstrom's key
//! order (:perf :timeline :exceptions :stats :availability :net :workload :valid?).
//!
//! One module per checker (MAELSTROM.md §8.1): [`perf`], [`timeline`], [`exceptions`],
//! [`stats`], [`availability`], [`net`], and [`workload`] (which dispatches on the workload
//! name to one module per workload). The top-level `:valid?` is Jepsen's priority merge
//! (false > :unknown > true); a checker that panics yields `{:valid? :unknown, :error "..."}`,
//! so `check_all` never panics.

use std::path::PathBuf;

use glomers_model::{Op, Value};

pub mod availability;
pub mod exceptions;
pub mod net;
pub mod perf;
pub mod stats;
pub mod timeline;
pub mod util;
pub mod workload;

pub use util::{merge_valid, Validity};

/// `--availability`: `total` or a minimum ok fraction.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AvailabilityGoal {
    Total,
    Fraction(f64),
}

/// Message counts for one traffic class (see MAELSTROM.md §5.4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClassCounts {
    pub send_count: u64,
    pub recv_count: u64,
    pub msg_count: u64,
}

/// Network journal summary: `:all`, `:clients` (either end a client), `:servers` (neither).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NetCounts {
    pub all: ClassCounts,
    pub clients: ClassCounts,
    pub servers: ClassCounts,
}

/// What the checkers need to know about the run besides its history.
#[derive(Debug, Clone)]
pub struct RunFacts {
    /// Workload name as on the CLI: `echo`, `unique-ids`, `broadcast`, `g-set`, `g-counter`, `pn-counter`...
    pub workload: String,
    pub nodes: Vec<String>,
    pub availability: Option<AvailabilityGoal>,
    /// `--consistency-models` (txn workloads), e.g. `["strict-serializable"]`.
    pub consistency_models: Vec<String>,
    pub net: NetCounts,
    /// Run folder where plots (SVG) and timeline.html are written; `None` writes no files.
    pub dir: Option<PathBuf>,
}

/// A checker as `check_all` runs it.
pub type Checker = fn(&[Op], &RunFacts) -> Value;

/// The composed checkers, in results.edn's key order.
pub const CHECKERS: [(&str, Checker); 7] = [
    ("perf", perf::check),
    ("timeline", timeline::check),
    ("exceptions", exceptions::check),
    ("stats", stats::check),
    ("availability", availability::check),
    ("net", net::check),
    ("workload", workload::check),
];

/// Run every checker and compose results.edn's map.
///
/// The checkers run on scoped threads (plots and the timeline write files); each is wrapped
/// in `catch_unwind`, so a panicking checker becomes `{:valid? :unknown, :error "..."}`.
pub fn check_all(history: &[Op], facts: &RunFacts) -> Value {
    let results: Vec<Value> = std::thread::scope(|s| {
        let handles: Vec<_> = CHECKERS
            .iter()
            .map(|&(name, f)| {
                let handle = std::thread::Builder::new()
                    .name(format!("checker {name}"))
                    .spawn_scoped(s, move || util::check_safe(name, || f(history, facts)));
                (name, handle)
            })
            .collect();
        handles
            .into_iter()
            .map(|(name, handle)| match handle {
                // Spawning failed (no threads left): run it here.
                Err(_) => util::check_safe(name, || {
                    let f = CHECKERS.iter().find(|c| c.0 == name).map(|c| c.1);
                    f.map_or_else(
                        || util::unknown_with_error("unknown checker"),
                        |f| f(history, facts),
                    )
                }),
                Ok(h) => h.join().unwrap_or_else(|p| {
                    util::unknown_with_error(format!(
                        "checker {name} panicked: {}",
                        util::panic_message(p.as_ref())
                    ))
                }),
            })
            .collect()
    });
    let valid = merge_valid(results.iter().map(Validity::of));
    let mut m: Vec<(Value, Value)> = CHECKERS
        .iter()
        .zip(results)
        .map(|(&(name, _), r)| (Value::kw(name), r))
        .collect();
    m.push((Value::kw("valid?"), valid.to_value()));
    Value::Map(m)
}
