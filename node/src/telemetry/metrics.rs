//! Every `glomers_*` metric a node exports, as one set of OpenTelemetry instruments (names
//! and labels as DESIGN.md's Telemetry table says). Two readers see them: the
//! `opentelemetry-prometheus` exporter, whose `prometheus` registry gives the text
//! exposition (`metrics.prom`, [`Metrics::encode_text`]), and, with OTLP on, a periodic
//! OTLP push. Names are set exactly, so the exporter adds no `_total` or unit suffix, no
//! scope labels and no `target_info`.

use std::time::Duration;

use opentelemetry::metrics::{Counter, Histogram, Meter, MeterProvider as _};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::Resource;
use prometheus::{Encoder, Registry, TextEncoder};

/// Seconds: 0.25 ms .. ~8 s, doubling.
fn rpc_buckets() -> Vec<f64> {
    (0..16).map(|i| 0.000_25 * 2f64.powi(i)).collect()
}

const FANOUT_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0];
const BATCH_BUCKETS: &[f64] = &[
    0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];
const RETRY_BUCKETS: &[f64] = &[0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0];

/// All node metrics, and the provider that reads them.
pub(crate) struct Metrics {
    pub registry: Registry,
    /// Kept alive: dropping it would stop the readers.
    pub _provider: SdkMeterProvider,
    pub sent: Counter<u64>,
    pub received: Counter<u64>,
    pub client_ops: Counter<u64>,
    pub rpc_duration: Histogram<f64>,
    pub gossip_fanout: Histogram<f64>,
    pub gossip_batch_values: Histogram<f64>,
    pub kv_cas: Counter<u64>,
    pub kv_cas_retries: Histogram<f64>,
    pub txn: Counter<u64>,
    pub txn_conflicts: Counter<u64>,
    pub dropped: Counter<u64>,
}

fn counter(m: &Meter, name: &'static str, help: &'static str) -> Counter<u64> {
    m.u64_counter(name).with_description(help).build()
}

fn histogram(m: &Meter, name: &'static str, help: &'static str, b: Vec<f64>) -> Histogram<f64> {
    m.f64_histogram(name)
        .with_description(help)
        .with_boundaries(b)
        .build()
}

impl Metrics {
    /// The instruments, read by the Prometheus registry and, when given, an OTLP push
    /// every `otlp_interval` (unless `OTEL_METRIC_EXPORT_INTERVAL` is set).
    pub fn new(
        resource: Resource,
        otlp: Option<opentelemetry_otlp::MetricExporter>,
        otlp_interval: Duration,
    ) -> Metrics {
        let registry = Registry::new();
        let mut builder = SdkMeterProvider::builder().with_resource(resource);
        match opentelemetry_prometheus::exporter()
            .with_registry(registry.clone())
            .without_counter_suffixes()
            .without_units()
            .without_target_info()
            .scope_info_enabled(false)
            .build()
        {
            Ok(reader) => builder = builder.with_reader(reader),
            Err(e) => eprintln!("glomers telemetry: Prometheus reader not started: {e}"),
        }
        if let Some(exporter) = otlp {
            let mut reader = PeriodicReader::builder(exporter);
            if std::env::var_os("OTEL_METRIC_EXPORT_INTERVAL").is_none() {
                reader = reader.with_interval(otlp_interval);
            }
            builder = builder.with_reader(reader.build());
        }
        let provider = builder.build();
        let m = provider.meter("glomers");
        Metrics {
            sent: counter(
                &m,
                "glomers_messages_sent_total",
                "Messages this node sent, by body type and peer kind (node, client, service).",
            ),
            received: counter(
                &m,
                "glomers_messages_received_total",
                "Messages this node received, by body type and peer kind (node, client, service).",
            ),
            client_ops: counter(
                &m,
                "glomers_client_ops_total",
                "Client requests this node received, by type.",
            ),
            rpc_duration: histogram(
                &m,
                "glomers_rpc_duration_seconds",
                "Outgoing RPC round trips, by request type, peer kind and outcome.",
                rpc_buckets(),
            ),
            gossip_fanout: histogram(
                &m,
                "glomers_gossip_fanout",
                "Peers contacted per gossip round.",
                FANOUT_BUCKETS.to_vec(),
            ),
            gossip_batch_values: histogram(
                &m,
                "glomers_gossip_batch_values",
                "Values carried per gossip round.",
                BATCH_BUCKETS.to_vec(),
            ),
            kv_cas: counter(
                &m,
                "glomers_kv_cas_total",
                "Compare-and-set requests to a KV service, by outcome.",
            ),
            kv_cas_retries: histogram(
                &m,
                "glomers_kv_cas_retries",
                "Retries (attempts after the first) per compare-and-set loop.",
                RETRY_BUCKETS.to_vec(),
            ),
            txn: counter(&m, "glomers_txn_total", "Transactions, by outcome."),
            txn_conflicts: counter(
                &m,
                "glomers_txn_conflicts_total",
                "Conflicts met by transactions, by the transaction's outcome.",
            ),
            dropped: counter(
                &m,
                "glomers_telemetry_dropped_total",
                "Spans and metric exports a telemetry sink lost (queue full or sink failing).",
            ),
            registry,
            _provider: provider,
        }
    }

    /// The Prometheus text exposition of every metric.
    pub fn encode_text(&self) -> String {
        let mut buf = Vec::with_capacity(16 * 1024);
        // Encoding into a Vec only fails on invalid families, which the registry prevents.
        if TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .is_err()
        {
            buf.clear();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::KeyValue;

    #[test]
    fn names_labels_and_buckets_as_the_schema_says() {
        let m = Metrics::new(Resource::builder().build(), None, Duration::from_secs(1));
        let kv = |k: &'static str, v: &'static str| KeyValue::new(k, v);
        m.sent.add(
            1,
            &[
                kv("node", "n0"),
                kv("type", "echo_ok"),
                kv("peer", "client"),
            ],
        );
        m.rpc_duration.record(
            0.002,
            &[
                kv("node", "n0"),
                kv("type", "read"),
                kv("peer", "service"),
                kv("outcome", "ok"),
            ],
        );
        let text = m.encode_text();
        for line in [
            "# TYPE glomers_messages_sent_total counter",
            "glomers_messages_sent_total{node=\"n0\",peer=\"client\",type=\"echo_ok\"} 1",
            "# TYPE glomers_rpc_duration_seconds histogram",
            "glomers_rpc_duration_seconds_bucket{node=\"n0\",outcome=\"ok\",peer=\"service\",type=\"read\",le=\"0.002\"} 1",
            "glomers_rpc_duration_seconds_count{node=\"n0\",outcome=\"ok\",peer=\"service\",type=\"read\"} 1",
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(
            !text.contains("otel_scope") && !text.contains("target_info"),
            "{text}"
        );
    }
}
