//! The Prometheus registry and every `glomers_*` metric a node exports (names and labels
//! as DESIGN.md's Telemetry table says), the text encoding of a snapshot, and
//! [`HandleCache`], which keeps the labelled children of the hot metrics at hand.

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
    encode_text_into(families, &mut buf);
    String::from_utf8(buf).unwrap_or_default()
}

/// [`encode_text`] into `buf` (cleared first), so that a sink reuses one buffer.
pub(crate) fn encode_text_into(families: &[prometheus::proto::MetricFamily], buf: &mut Vec<u8>) {
    buf.clear();
    // Encoding into a Vec only fails on invalid families, which the registry prevents.
    if let Err(e) = TextEncoder::new().encode(families, buf) {
        tracing::debug!(error = %e, "metrics encoding failed");
        buf.clear();
    }
}

/// Labelled children of one metric vector, found by a short hash of the labels instead of
/// `with_label_values` (which hashes every label with SipHash and takes a lock on each
/// call). Meant to live in a `thread_local!`, one per hot metric; a node sees a handful of
/// label sets. Entries keep the hash next to the child, so a lookup reads one short array
/// and compares the labels of one entry: a node handles most messages with its caches cold.
pub(crate) struct HandleCache<M> {
    entries: Vec<Cached<M>>,
}

/// One cached child: its labels' hash, the labels, the child.
type Cached<M> = (u64, Box<[Box<str>]>, M);

/// Label sets cached per metric at most; any further ones go through the vector directly
/// (label values come from message types, which a peer could vary without bound).
const CACHE_CAP: usize = 128;

/// FNV-1a over the labels, each followed by a 0xff byte (never in UTF-8), so that label
/// boundaries count.
fn labels_hash(labels: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for l in labels {
        for &b in l.as_bytes().iter().chain(&[0xff]) {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

impl<M> HandleCache<M> {
    pub const fn new() -> HandleCache<M> {
        HandleCache {
            entries: Vec::new(),
        }
    }

    /// Run `f` on the child for `labels`, made by `make` the first time.
    pub fn with<R>(
        &mut self,
        labels: &[&str],
        make: impl FnOnce(&[&str]) -> M,
        f: impl FnOnce(&M) -> R,
    ) -> R {
        let hash = labels_hash(labels);
        let hit = self.entries.iter().position(|(h, k, _)| {
            *h == hash && k.len() == labels.len() && k.iter().zip(labels).all(|(a, b)| **a == **b)
        });
        match hit {
            Some(i) => f(&self.entries[i].2),
            None if self.entries.len() < CACHE_CAP => {
                let key = labels.iter().map(|l| Box::from(*l)).collect();
                self.entries.push((hash, key, make(labels)));
                f(&self.entries.last().expect("pushed").2)
            }
            None => f(&make(labels)),
        }
    }
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

    #[test]
    fn handle_cache_counts_into_the_right_child() {
        let m = Metrics::new();
        let mut cache = HandleCache::new();
        let make = |l: &[&str]| m.sent.with_label_values(l);
        for _ in 0..3 {
            cache.with(&["n0", "echo_ok", "client"], make, |c| c.inc());
        }
        cache.with(&["n0", "gossip", "node"], make, |c| c.inc());
        cache.with(&["n1", "echo_ok", "client"], make, |c| c.inc());
        assert_eq!(cache.entries.len(), 3);
        // Label boundaries count: ("ab", "c") and ("a", "bc") are different children.
        assert_ne!(labels_hash(&["ab", "c"]), labels_hash(&["a", "bc"]));
        for i in 0..CACHE_CAP + 5 {
            let ty = format!("t{i}");
            cache.with(&["n0", &ty, "node"], make, |c| c.inc());
        }
        assert_eq!(cache.entries.len(), CACHE_CAP);
        let text = m.encode_text();
        for line in [
            r#"glomers_messages_sent_total{node="n0",peer="client",type="echo_ok"} 3"#,
            r#"glomers_messages_sent_total{node="n0",peer="node",type="gossip"} 1"#,
            r#"glomers_messages_sent_total{node="n1",peer="client",type="echo_ok"} 1"#,
            r#"glomers_messages_sent_total{node="n0",peer="node",type="t131"} 1"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
    }
}
