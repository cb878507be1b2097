//! unique-ids over the in-memory network: 3 nodes, 300 000 ids, a partition in the
//! middle, and not one duplicate.

use std::collections::HashSet;
use std::time::Duration;

use glomers_node::challenge::unique_ids::UniqueIds;
use glomers_node::sim::Cluster;
use serde_json::json;

#[tokio::test(start_paused = true)]
async fn three_nodes_three_hundred_thousand_ids_no_duplicate() {
    let cluster = Cluster::start(3, Duration::from_millis(5), UniqueIds::new).await;
    let mut clients: Vec<_> = (0..3).map(|_| cluster.client()).collect();
    let mut ids = HashSet::new();
    let total = 300_000;
    for i in 0..total {
        if i == total / 2 {
            // Totally available: a partition changes nothing.
            cluster.isolate("n0");
            cluster.partition(&[&["n1"], &["n2"]]);
        }
        let node = format!("n{}", i % 3);
        let reply = clients[i % 3]
            .rpc(&node, json!({"type": "generate"}))
            .await
            .expect("generate answered even under partition");
        assert_eq!(reply["type"], "generate_ok");
        let id = reply["id"].as_u64().expect("integer id");
        assert!(ids.insert(id), "duplicate id {id} at request {i}");
    }
    assert_eq!(ids.len(), total);
    // Compact: the ids are exactly 0..total.
    assert_eq!(ids.iter().max(), Some(&(total as u64 - 1)));
    // No coordination: not one node-to-node message.
    assert_eq!(cluster.stats().server_msgs, 0);
}
