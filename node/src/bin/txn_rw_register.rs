//! `txn-rw-register`: the node binary for Gossip Glomers challenges 6a–6c.
fn main() {}
