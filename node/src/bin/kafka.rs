//! `kafka`: the node binary for Gossip Glomers challenges 5a–5c (a Kafka-style log on
//! lin-kv; see `challenge::kafka` for the design).
fn main() {
    glomers_node::run(glomers_node::challenge::kafka::Kafka::new)
}
