//! Transactional workload checkers (MAELSTROM.md §6.8, §6.9): Elle 0.2.2's rw-register and
//! list-append analyses as pure functions of the history.
//!
//! Pipeline, shared by both workloads:
//! 1. parse each client op's `:value` as micro-ops (`[:r k v]`, `[:w k v]`, `[:append k v]`);
//! 2. workload-specific non-cycle anomalies (G1a, G1b, internal, lost-update, and for lists
//!    duplicate-elements, incompatible-order, dirty-update, future-read) and inferred
//!    ww/wr/rw dependency edges ([`rw_register`], [`list_append`]);
//! 3. realtime (or process) order edges when the consistency models need them, the
//!    `:empty-transaction-graph` check, and the per-SCC cycle search ([`graph`], [`search`],
//!    [`cycles`]);
//! 4. the result map for the requested models ([`models`], [`anomalies`], [`report`]).
//!
//! Modules: [`dag`] (lookup-table graphs), [`anomalies`], [`models`], [`graph`], [`search`],
//! [`champ`] (Elle's iteration order), [`elle_files`] (the `elle/*.txt` explanations), [`bfs`] (Elle's typed cycle search), [`cycles`], [`report`], [`mops`] (parsing and interning), [`rw_register`],
//! [`list_append`] (with [`list_anomalies`]).

pub(crate) mod anomalies;
pub(crate) mod bfs;
pub(crate) mod champ;
pub(crate) mod cycles;
pub(crate) mod dag;
pub mod elle_files;
pub(crate) mod graph;
pub(crate) mod list_anomalies;
pub mod list_append;
pub(crate) mod models;
pub(crate) mod mops;
pub(crate) mod report;
pub mod rw_register;
pub(crate) mod search;

use glomers_model::{Op, Value};

use crate::checker::util::{CheckResult, Pairs};
use crate::checker::RunFacts;

use cycles::{cycle_anomalies, CycleInput, Explain};
use graph::{process_edges, realtime_edges, GraphBuilder};
use report::{Anomalies, Extra, Opts};
use search::Kind;

/// Default cycle-search work budget per strongly connected component (path steps); running
/// out reports `:cycle-search-timeout`, as Elle does after a second of searching one SCC.
pub const DEFAULT_SEARCH_BUDGET: u64 = 2_000_000;

/// Default cycle-search work budget for a whole history, so that many hard SCCs cannot add
/// up to minutes: once spent, each remaining SCC reports a timeout straight away.
pub const DEFAULT_TOTAL_BUDGET: u64 = 20_000_000;

/// txn-rw-register: Elle's rw-register checker (`:wfr-keys? true`) behind Maelstrom's
/// wrapper, for `facts.consistency_models` (strict-serializable when empty).
pub fn check_rw_register(history: &[Op], facts: &RunFacts) -> CheckResult {
    rw_register::check(history, facts, DEFAULT_SEARCH_BUDGET)
}

/// txn-list-append: Elle's list-append checker, result used unchanged.
pub fn check_list_append(history: &[Op], facts: &RunFacts) -> CheckResult {
    list_append::check(history, facts, DEFAULT_SEARCH_BUDGET)
}

/// Positions of client (non-nemesis) ops, in history order.
pub(crate) fn client_positions(history: &[Op]) -> Vec<usize> {
    history
        .iter()
        .enumerate()
        .filter(|(_, op)| crate::checker::util::is_client(op))
        .map(|(i, _)| i)
        .collect()
}

/// The data-dependency graph plus what the cycle stage needs from a workload.
pub(crate) struct Dependencies<'a> {
    pub graph: GraphBuilder,
    pub explain: &'a dyn Explain,
    pub priority: [Kind; 3],
}

/// Adds realtime/process edges as the models require, then reports
/// `:empty-transaction-graph` and every cycle anomaly into `anomalies`.
pub(crate) fn cycle_stage(
    history: &[Op],
    positions: &[usize],
    opts: &Opts,
    deps: Dependencies,
    budget: u64,
    anomalies: &mut Anomalies,
) {
    let pairs = Pairs::new(history);
    let mut builder = deps.graph;
    match opts.extra {
        Extra::Realtime => realtime_edges(history, positions, &pairs, &mut builder),
        Extra::Process => process_edges(history, positions, &mut builder),
        Extra::None => {}
    }
    let graph = builder.build();
    if graph.is_empty() {
        anomalies.insert("empty-transaction-graph".into(), Value::Bool(true));
    }
    let input = CycleInput {
        history,
        pairs: &pairs,
        graph: &graph,
        explain: deps.explain,
        priority: deps.priority,
        budget,
        total_budget: DEFAULT_TOTAL_BUDGET.max(budget),
    };
    for (name, cases) in cycle_anomalies(&input) {
        anomalies.insert(name, Value::Vector(cases));
    }
}
