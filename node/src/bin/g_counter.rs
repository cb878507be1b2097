//! `g-counter`: the node binary for challenge 4 (being written).
fn main() {}
