//! `unique-ids`: the node binary for Gossip Glomers challenge 2.
fn main() {
    glomers_node::run(glomers_node::challenge::unique_ids::UniqueIds::new)
}
