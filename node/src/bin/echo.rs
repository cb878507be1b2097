//! `echo`: the node binary for Gossip Glomers challenge 1.
fn main() {
    glomers_node::run(|_| glomers_node::challenge::echo::Echo)
}
