//! Per-node figures from a run's metric series (the names DESIGN.md lists): messages sent and
//! received by type and peer kind, client ops, gossip rounds with mean fan-out and batch size,
//! KV compare-and-set attempts and failures, transactions and conflicts, RPC latency.
//! Several processes of one node id (restarts) add up.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::index::telemetry::{node_order, MetricRow};

/// Figures of one node.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NodeFigures {
    pub node: String,
    pub sent: f64,
    pub received: f64,
    /// Sent to other nodes only (Maelstrom's `:servers` traffic).
    pub sent_to_nodes: f64,
    pub client_ops: f64,
    /// `type` → (sent, received).
    pub by_type: BTreeMap<String, (f64, f64)>,
    pub gossip_rounds: f64,
    pub gossip_fanout_sum: f64,
    pub gossip_batch_rounds: f64,
    pub gossip_batch_sum: f64,
    pub cas_total: f64,
    pub cas_failed: f64,
    pub txn_total: f64,
    pub txn_conflicts: f64,
    pub rpc_count: f64,
    pub rpc_seconds: f64,
    pub dropped: f64,
}

impl NodeFigures {
    pub fn mean_fanout(&self) -> Option<f64> {
        (self.gossip_rounds > 0.0).then(|| self.gossip_fanout_sum / self.gossip_rounds)
    }
    pub fn mean_batch(&self) -> Option<f64> {
        (self.gossip_batch_rounds > 0.0).then(|| self.gossip_batch_sum / self.gossip_batch_rounds)
    }
    pub fn mean_rpc_ms(&self) -> Option<f64> {
        (self.rpc_count > 0.0).then(|| self.rpc_seconds / self.rpc_count * 1e3)
    }
}

/// Figures of every node of a run, and the totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RunFigures {
    pub nodes: Vec<NodeFigures>,
    pub total: NodeFigures,
    /// Every message type seen, by name.
    pub types: Vec<String>,
    pub series: usize,
}

impl RunFigures {
    pub fn has_gossip(&self) -> bool {
        self.total.gossip_rounds > 0.0 || self.total.gossip_batch_rounds > 0.0
    }
    pub fn has_cas(&self) -> bool {
        self.total.cas_total > 0.0
    }
    pub fn has_txn(&self) -> bool {
        self.total.txn_total > 0.0 || self.total.txn_conflicts > 0.0
    }
}

fn add(f: &mut NodeFigures, m: &MetricRow, labels: &BTreeMap<String, String>) {
    let l = |k: &str| labels.get(k).map(String::as_str).unwrap_or("");
    let v = m.value;
    match m.name.as_str() {
        "glomers_messages_sent_total" => {
            f.sent += v;
            if l("peer") == "node" {
                f.sent_to_nodes += v;
            }
            f.by_type.entry(l("type").to_string()).or_default().0 += v;
        }
        "glomers_messages_received_total" => {
            f.received += v;
            f.by_type.entry(l("type").to_string()).or_default().1 += v;
        }
        "glomers_client_ops_total" => f.client_ops += v,
        "glomers_gossip_fanout_count" => f.gossip_rounds += v,
        "glomers_gossip_fanout_sum" => f.gossip_fanout_sum += v,
        "glomers_gossip_batch_values_count" => f.gossip_batch_rounds += v,
        "glomers_gossip_batch_values_sum" => f.gossip_batch_sum += v,
        "glomers_kv_cas_total" => {
            f.cas_total += v;
            if l("outcome") != "ok" {
                f.cas_failed += v;
            }
        }
        "glomers_txn_total" => f.txn_total += v,
        "glomers_txn_conflicts_total" => f.txn_conflicts += v,
        "glomers_rpc_duration_seconds_count" => f.rpc_count += v,
        "glomers_rpc_duration_seconds_sum" => f.rpc_seconds += v,
        "glomers_telemetry_dropped_total" => f.dropped += v,
        _ => {}
    }
}

fn merge(into: &mut NodeFigures, f: &NodeFigures) {
    into.sent += f.sent;
    into.received += f.received;
    into.sent_to_nodes += f.sent_to_nodes;
    into.client_ops += f.client_ops;
    for (t, (s, r)) in &f.by_type {
        let e = into.by_type.entry(t.clone()).or_default();
        e.0 += s;
        e.1 += r;
    }
    into.gossip_rounds += f.gossip_rounds;
    into.gossip_fanout_sum += f.gossip_fanout_sum;
    into.gossip_batch_rounds += f.gossip_batch_rounds;
    into.gossip_batch_sum += f.gossip_batch_sum;
    into.cas_total += f.cas_total;
    into.cas_failed += f.cas_failed;
    into.txn_total += f.txn_total;
    into.txn_conflicts += f.txn_conflicts;
    into.rpc_count += f.rpc_count;
    into.rpc_seconds += f.rpc_seconds;
    into.dropped += f.dropped;
}

/// Adds up a run's series per node (the `node` label, else the process's node id).
pub fn compute(rows: &[MetricRow]) -> RunFigures {
    let mut by_node: BTreeMap<(u8, u64, String), NodeFigures> = BTreeMap::new();
    let mut types = BTreeSet::new();
    for m in rows {
        let labels: BTreeMap<String, String> =
            serde_json::from_str(&m.labels_json).unwrap_or_default();
        let node = labels
            .get("node")
            .cloned()
            .or_else(|| m.node.clone())
            .unwrap_or_else(|| "?".into());
        let f = by_node
            .entry(node_order(Some(&node)))
            .or_insert_with(|| NodeFigures {
                node: node.clone(),
                ..NodeFigures::default()
            });
        add(f, m, &labels);
        if m.name.starts_with("glomers_messages_") {
            if let Some(t) = labels.get("type") {
                types.insert(t.clone());
            }
        }
    }
    let nodes: Vec<NodeFigures> = by_node.into_values().collect();
    let mut total = NodeFigures {
        node: "all".into(),
        ..NodeFigures::default()
    };
    for n in &nodes {
        merge(&mut total, n);
    }
    RunFigures {
        nodes,
        total,
        types: types.into_iter().collect(),
        series: rows.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(node: &str, name: &str, labels: &str, value: f64) -> MetricRow {
        MetricRow {
            node: Some(node.into()),
            name: name.into(),
            labels_json: labels.into(),
            value,
        }
    }

    #[test]
    fn adds_up_per_node_in_node_order() {
        let rows = vec![
            row(
                "n10",
                "glomers_messages_sent_total",
                r#"{"node":"n10","peer":"node","type":"gossip"}"#,
                5.0,
            ),
            row(
                "n2",
                "glomers_messages_sent_total",
                r#"{"node":"n2","peer":"client","type":"broadcast_ok"}"#,
                3.0,
            ),
            row(
                "n2",
                "glomers_messages_sent_total",
                r#"{"node":"n2","peer":"node","type":"gossip"}"#,
                4.0,
            ),
            row("n2", "glomers_gossip_fanout_sum", r#"{"node":"n2"}"#, 12.0),
            row("n2", "glomers_gossip_fanout_count", r#"{"node":"n2"}"#, 4.0),
            row(
                "n2",
                "glomers_kv_cas_total",
                r#"{"node":"n2","outcome":"ok","service":"seq-kv"}"#,
                6.0,
            ),
            row(
                "n2",
                "glomers_kv_cas_total",
                r#"{"node":"n2","outcome":"precondition_failed","service":"seq-kv"}"#,
                2.0,
            ),
        ];
        let f = compute(&rows);
        assert_eq!(
            f.nodes.iter().map(|n| n.node.as_str()).collect::<Vec<_>>(),
            ["n2", "n10"]
        );
        let n2 = &f.nodes[0];
        assert_eq!((n2.sent, n2.sent_to_nodes), (7.0, 4.0));
        assert_eq!(n2.mean_fanout(), Some(3.0));
        assert_eq!((n2.cas_total, n2.cas_failed), (8.0, 2.0));
        assert_eq!(f.total.by_type["gossip"], (9.0, 0.0));
        assert_eq!(f.types, ["broadcast_ok", "gossip"]);
        assert!(f.has_gossip() && f.has_cas() && !f.has_txn());
    }
}
