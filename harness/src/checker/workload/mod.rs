//! `:workload` (MAELSTROM.md §6): one module per workload checker, registered in [`REGISTRY`].
//!
//! Adding a workload means writing its module with a `check(&[Op], &RunFacts) -> CheckResult` function and adding one line to
//! [`REGISTRY`]. A workload without a checker yields
//! `{:valid? :unknown, :error "no checker for workload X yet"}`.

pub mod counter;
pub mod echo;
pub mod kafka;
pub mod lin_kv;
pub mod set_full;
pub mod txn;
pub mod unique_ids;

use glomers_model::{Op, Value};

use super::util::{settle, unknown_with_error, CheckResult};
use super::RunFacts;

/// A workload checker. An `Err` is what a throwing Clojure checker becomes:
/// `{:valid? :unknown, :error msg}`.
pub type WorkloadCheck = fn(&[Op], &RunFacts) -> CheckResult;

/// Workload name (as on the CLI) → checker. The one place to register a new workload.
pub const REGISTRY: &[(&str, WorkloadCheck)] = &[
    ("echo", echo::check),
    ("unique-ids", unique_ids::check),
    ("broadcast", set_full::check_broadcast),
    ("g-set", set_full::check_g_set),
    ("g-counter", counter::check),
    ("pn-counter", counter::check),
    ("kafka", kafka::check),
    ("lin-kv", lin_kv::check),
    ("txn-rw-register", txn::check_rw_register),
    ("txn-list-append", txn::check_list_append),
];

/// The checker registered for a workload name.
pub fn lookup(workload: &str) -> Option<WorkloadCheck> {
    REGISTRY
        .iter()
        .find(|(name, _)| *name == workload)
        .map(|(_, f)| *f)
}

/// The `:workload` result map for `facts.workload`.
pub fn check(history: &[Op], facts: &RunFacts) -> Value {
    match lookup(&facts.workload) {
        Some(f) => settle(f(history, facts)),
        None => unknown_with_error(format!("no checker for workload {} yet", facts.workload)),
    }
}
