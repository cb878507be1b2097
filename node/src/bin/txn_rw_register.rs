//! `txn-rw-register`: the node binary for Gossip Glomers challenges 6a–6c
//! (totally-available read-committed transactions; it also answers txn-list-append's
//! `append` micro-ops). See `challenge::txn` for the design.
fn main() {
    glomers_node::run(glomers_node::challenge::txn::Txn::new)
}
