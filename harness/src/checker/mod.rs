//! Checkers: pure functions from a history (and run facts) to the EDN result maps
//! Maelstrom writes into results.edn. `check_all` composes them in Maelstrom's key
//! order (:perf :timeline :exceptions :stats :availability :net :workload :valid?).

use std::path::PathBuf;

use glomers_model::{Op, Value};

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

/// Run every checker and compose results.edn's map.
pub fn check_all(history: &[Op], facts: &RunFacts) -> Value {
    let _ = (history, facts);
    crate::edn_unknown()
}
