//! The dashboard's own figures (runs ingested, ingest errors, ingest and scan durations),
//! kept in a Prometheus registry and exported on `/metrics` beside the per-run series.

use prometheus::{
    Gauge, Histogram, HistogramOpts, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
};

/// Counters and timings of the ingest.
pub struct SelfMetrics {
    pub registry: Registry,
    pub runs_ingested: IntCounter,
    pub ingest_errors: IntCounter,
    pub ingest_duration: Histogram,
    pub scans: IntCounter,
    pub last_scan_seconds: Gauge,
    pub runs_indexed: IntGauge,
    pub telemetry_spans: IntCounter,
    pub otlp_requests: IntCounterVec,
}

impl SelfMetrics {
    pub fn new() -> SelfMetrics {
        let registry = Registry::new();
        let runs_ingested = IntCounter::with_opts(Opts::new(
            "glomers_dashboard_runs_ingested_total",
            "Run folders read into the index (first time or after a change)",
        ))
        .expect("valid metric");
        let ingest_errors = IntCounter::with_opts(Opts::new(
            "glomers_dashboard_ingest_errors_total",
            "Run folders read with a problem (malformed, truncated or too large files) or not stored",
        ))
        .expect("valid metric");
        let ingest_duration = Histogram::with_opts(
            HistogramOpts::new(
                "glomers_dashboard_ingest_duration_seconds",
                "Time to read one run folder",
            )
            .buckets(vec![
                0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ]),
        )
        .expect("valid metric");
        let scans = IntCounter::with_opts(Opts::new(
            "glomers_dashboard_scans_total",
            "Scans of the store folder",
        ))
        .expect("valid metric");
        let last_scan_seconds = Gauge::with_opts(Opts::new(
            "glomers_dashboard_last_scan_duration_seconds",
            "Duration of the last store scan, ingest included",
        ))
        .expect("valid metric");
        let runs_indexed = IntGauge::with_opts(Opts::new(
            "glomers_dashboard_runs_indexed",
            "Runs in the index",
        ))
        .expect("valid metric");
        let telemetry_spans = IntCounter::with_opts(Opts::new(
            "glomers_dashboard_telemetry_spans_total",
            "Node spans stored (file sink and OTLP)",
        ))
        .expect("valid metric");
        let otlp_requests = IntCounterVec::new(
            Opts::new(
                "glomers_dashboard_otlp_requests_total",
                "OTLP/HTTP export requests received, by signal and HTTP status",
            ),
            &["signal", "status"],
        )
        .expect("valid metric");
        for c in [
            Box::new(runs_ingested.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(ingest_errors.clone()),
            Box::new(ingest_duration.clone()),
            Box::new(scans.clone()),
            Box::new(last_scan_seconds.clone()),
            Box::new(runs_indexed.clone()),
            Box::new(telemetry_spans.clone()),
            Box::new(otlp_requests.clone()),
        ] {
            registry.register(c).expect("unique metric names");
        }
        SelfMetrics {
            registry,
            runs_ingested,
            ingest_errors,
            ingest_duration,
            scans,
            last_scan_seconds,
            runs_indexed,
            telemetry_spans,
            otlp_requests,
        }
    }
}

impl Default for SelfMetrics {
    fn default() -> Self {
        Self::new()
    }
}
