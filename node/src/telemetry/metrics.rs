//! Every `glomers_*` metric a node exports, as one set of OpenTelemetry instruments (names
//! and labels as in docs/telemetry.md), read by the `opentelemetry-prometheus` exporter
//! (`metrics.prom`: names kept exactly, no scope labels or `target_info`) and, with OTLP
//! on, a periodic OTLP push.

use std::time::Duration;

use opentelemetry::metrics::{Counter, Histogram, MeterProvider as _};
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::Resource;
use prometheus::{Encoder, Registry, TextEncoder};

/// Seconds: 0.25 ms .. ~8 s, doubling.
const RPC: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.024,
    2.048, 4.096, 8.192,
];
const FANOUT: &[f64] = &[0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0];
const BATCH: &[f64] = &[
    0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0, 1024.0,
];
const RETRIES: &[f64] = &[0.0, 1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 34.0];

/// Declares [`Metrics`], one field per instrument, and how each is built.
macro_rules! instruments {
    (counters { $($c:ident $c_name:literal $c_help:literal,)* }
     histograms { $($h:ident $h_name:literal $h_help:literal $buckets:expr,)* }) => {
        /// All node metrics, and the provider that reads them.
        pub(crate) struct Metrics {
            pub registry: Registry,
            /// Kept alive: dropping it would stop the readers.
            pub _provider: SdkMeterProvider,
            $(pub $c: Counter<u64>,)*
            $(pub $h: Histogram<f64>,)*
        }

        fn instruments(registry: Registry, provider: SdkMeterProvider) -> Metrics {
            let m = provider.meter("glomers");
            Metrics {
                $($c: m.u64_counter($c_name).with_description($c_help).build(),)*
                $($h: m.f64_histogram($h_name).with_description($h_help)
                    .with_boundaries($buckets.to_vec()).build(),)*
                registry,
                _provider: provider,
            }
        }
    };
}

instruments! {
    counters {
        sent "glomers_messages_sent_total" "Messages sent, by type and peer kind.",
        received "glomers_messages_received_total" "Messages received, by type and peer kind.",
        client_ops "glomers_client_ops_total" "Client requests, by type.",
        kv_cas "glomers_kv_cas_total" "KV compare-and-sets, by outcome.",
        txn "glomers_txn_total" "Transactions, by outcome.",
        txn_conflicts "glomers_txn_conflicts_total" "Transaction conflicts, by outcome.",
        dropped "glomers_telemetry_dropped_total" "Spans and snapshots a telemetry sink lost.",
    }
    histograms {
        rpc_duration "glomers_rpc_duration_seconds" "RPC round trips, by type, peer and outcome." RPC,
        gossip_fanout "glomers_gossip_fanout" "Peers per gossip round." FANOUT,
        gossip_batch_values "glomers_gossip_batch_values" "Values per gossip round." BATCH,
        kv_cas_retries "glomers_kv_cas_retries" "Retries per compare-and-set loop." RETRIES,
    }
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
        instruments(registry, builder.build())
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
