//! `harness`: a Maelstrom-compatible test runner.
fn main() {}
