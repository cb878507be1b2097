//! The harness library: a Maelstrom-compatible test runner (see `../shared/MAELSTROM.md`).
//! `main.rs` is its CLI; [`run::run_test`] runs one test.
//!
//! Module map: [`cli`] (flags → `TestOpts`), [`run`] (one run end to end), [`process`] (node
//! processes), [`net`] (endpoints, latency queues, partitions), [`journal`] (message counts
//! and first events), [`messages_svg`] (the Lamport diagram),
//! [`latency`], [`client`] (RPC clients), [`schema`] (closed response schemas), [`outcome`]
//! (RPC result → history completion), [`workload`] (one module per workload), [`interpreter`]
//! (threads, rate, time limit, final phase), [`nemesis`] (partitions), [`services`] (lin-kv,
//! seq-kv, lww-kv, lin-tso), [`topology`], [`history`] (recorder), [`store`] (run folder),
//! [`log`] (jepsen.log), [`console`] (progress and summary), [`rng`] (seeded streams), [`cpu`] (own CPU time),
//! [`checker`] (results.edn checkers), [`report`] and [`run_figures`] (`harness report`).

pub mod checker;
pub mod cli;
pub mod client;
pub mod console;
pub mod cpu;
pub mod edn_util;
pub mod history;
pub mod interpreter;
pub mod journal;
pub mod latency;
pub mod log;
pub mod messages_svg;
pub mod nemesis;
pub mod net;
pub mod outcome;
pub mod process;
pub mod report;
pub mod rng;
pub mod run;
pub mod run_figures;
pub mod schema;
pub mod services;
pub mod store;
pub mod telemetry_env;
pub mod topology;
pub mod workload;

/// Placeholder result used until a checker lands.
pub(crate) fn edn_unknown() -> glomers_model::Value {
    glomers_model::edn_map! { "valid?" => glomers_model::Value::kw("unknown") }
}
