//! `g-counter`: the node binary for Gossip Glomers challenge 4 (grow-only counter on
//! seq-kv, exact under partitions).
//!
//! Test-only: the positional argument `naive` (or `GLOMERS_GCOUNTER_NAIVE=1`) runs a
//! deliberately wrong variant that trusts stale seq-kv reads, so checkers can be shown
//! to catch it.

use glomers_node::challenge::g_counter::{GCounter, Mode, NaiveGCounter};

fn main() {
    match Mode::from_process() {
        Mode::Exact => glomers_node::run(GCounter::new),
        Mode::Naive => {
            eprintln!("g-counter: running the NAIVE variant (test-only, wrong on purpose)");
            glomers_node::run(NaiveGCounter::new)
        }
    }
}
