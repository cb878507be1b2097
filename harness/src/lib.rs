//! The harness library: a Maelstrom-compatible runner. `main.rs` is its CLI.

pub mod checker;
