//! The Prometheus registry and every `glomers_*` metric a node exports (names and labels
//! as DESIGN.md's Telemetry table says), plus the text encoding of a snapshot.

use prometheus::{
    exponential_buckets, Encoder, HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry,
    TextEncoder,
};

/// Seconds: 0.25 ms .. ~8 s, doubling.
fn rpc_buckets() -> Vec<f64> {
    exponential_buckets(0.000_25, 2.0, 16).expect("valid buckets")
}

const FANOUT_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0];
const BATCH_BUCKETS: &[f64] = &[
    0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];
const RETRY_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0];

/// All node metrics, registered in one registry.
pub(crate) struct Metrics {
    pub registry: Registry,
    pub sent: IntCounterVec,
    pub received: IntCounterVec,
    pub client_ops: IntCounterVec,
    pub rpc_duration: HistogramVec,
    pub gossip_fanout: HistogramVec,
    pub gossip_batch_values: HistogramVec,
    pub kv_cas: IntCounterVec,
    pub kv_cas_retries: HistogramVec,
    pub txn: IntCounterVec,
    pub txn_conflicts: IntCounterVec,
    pub dropped: IntCounterVec,
}

fn counter(reg: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid counter");
    reg.register(Box::new(c.clone())).expect("unique metric");
    c
}

fn histogram(
    reg: &Registry,
    name: &str,
    help: &str,
    labels: &[&str],
    buckets: Vec<f64>,
) -> HistogramVec {
    let h =
        HistogramVec::new(HistogramOpts::new(name, help).buckets(buckets), labels).expect("valid");
    reg.register(Box::new(h.clone())).expect("unique metric");
    h
}

impl Metrics {
    pub fn new() -> Metrics {
        let r = Registry::new();
        Metrics {
            sent: counter(
                &r,
                "glomers_messages_sent_total",
                "Messages this node sent, by body type and peer kind (node, client, service).",
                &["node", "type", "peer"],
            ),
            received: counter(
                &r,
                "glomers_messages_received_total",
                "Messages this node received, by body type and peer kind (node, client, service).",
                &["node", "type", "peer"],
            ),
            client_ops: counter(
                &r,
                "glomers_client_ops_total",
                "Client requests this node received, by type.",
                &["node", "type"],
            ),
            rpc_duration: histogram(
                &r,
                "glomers_rpc_duration_seconds",
                "Outgoing RPC round trips, by request type, peer kind and outcome.",
                &["node", "type", "peer", "outcome"],
                rpc_buckets(),
            ),
            gossip_fanout: histogram(
                &r,
                "glomers_gossip_fanout",
                "Peers contacted per gossip round.",
                &["node"],
                FANOUT_BUCKETS.to_vec(),
            ),
            gossip_batch_values: histogram(
                &r,
                "glomers_gossip_batch_values",
                "Values carried per gossip round.",
                &["node"],
                BATCH_BUCKETS.to_vec(),
            ),
            kv_cas: counter(
                &r,
                "glomers_kv_cas_total",
                "Compare-and-set requests to a KV service, by outcome.",
                &["node", "service", "outcome"],
            ),
            kv_cas_retries: histogram(
                &r,
                "glomers_kv_cas_retries",
                "Retries (attempts after the first) per compare-and-set loop.",
                &["node", "service"],
                RETRY_BUCKETS.to_vec(),
            ),
            txn: counter(
                &r,
                "glomers_txn_total",
                "Transactions, by outcome.",
                &["node", "outcome"],
            ),
            txn_conflicts: counter(
                &r,
                "glomers_txn_conflicts_total",
                "Conflicts met by transactions, by the transaction's outcome.",
                &["node", "outcome"],
            ),
            dropped: counter(
                &r,
                "glomers_telemetry_dropped_total",
                "Spans and metric exports a telemetry sink lost (queue full or sink failing).",
                &["node", "sink"],
            ),
            registry: r,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode_text(&self) -> String {
        encode_text(&self.registry.gather())
    }
}

/// Prometheus text exposition of gathered families.
pub(crate) fn encode_text(families: &[prometheus::proto::MetricFamily]) -> String {
    let mut buf = Vec::with_capacity(16 * 1024);
    // Encoding into a Vec only fails on invalid families, which the registry prevents.
    if let Err(e) = TextEncoder::new().encode(families, &mut buf) {
        tracing::debug!(error = %e, "metrics encoding failed");
    }
    String::from_utf8(buf).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_labels() {
        let m = Metrics::new();
        m.sent.with_label_values(&["n0", "echo_ok", "client"]).inc();
        m.rpc_duration
            .with_label_values(&["n0", "read", "service", "ok"])
            .observe(0.002);
        let text = m.encode_text();
        assert!(text.contains(
            "glomers_messages_sent_total{node=\"n0\",peer=\"client\",type=\"echo_ok\"} 1"
        ));
        assert!(text.contains("glomers_rpc_duration_seconds_bucket{"));
    }
}
