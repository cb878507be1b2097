//! `broadcast`: the node binary for challenges 3a–3e (being written).
fn main() {}
