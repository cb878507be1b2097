//! The OTLP sink: finished spans and metrics (converted from the Prometheus registry) over
//! HTTP/protobuf (a small blocking client, no extra HTTP stack) or gRPC (cargo feature
//! `otlp-grpc`, with its own single-threaded tokio runtime). Runs on its own thread, so the
//! node's runtime never waits for a collector; one try per batch, no retries: a collector
//! that is down costs a refused connection and a dropped count.

use std::time::{Duration, SystemTime};

use prometheus::proto::MetricFamily;
use prost::Message as _;

use super::config::{OtlpConfig, OtlpProtocol};
use super::finished::Finished;
use super::http_client::MiniHttp;
use super::pipeline::{Identity, Sink};
use super::prom_otlp::to_request;
use super::record::unix_nanos;

/// An unchanged metrics snapshot is pushed again after this long (a heartbeat).
const RESEND_UNCHANGED: Duration = Duration::from_secs(10);

pub(crate) struct OtlpSink {
    cfg: OtlpConfig,
    http: MiniHttp,
    resource: opentelemetry_proto::tonic::resource::v1::Resource,
    start_ns: u64,
    #[cfg(feature = "otlp-grpc")]
    grpc: Option<grpc::Clients>,
}

impl OtlpSink {
    pub fn new(cfg: OtlpConfig) -> OtlpSink {
        let http = MiniHttp::new(cfg.timeout);
        OtlpSink {
            cfg,
            http,
            resource: Default::default(),
            start_ns: 0,
            #[cfg(feature = "otlp-grpc")]
            grpc: None,
        }
    }

    /// POST a protobuf body over HTTP; any 2xx is success.
    fn post(&mut self, url: &str, body: &[u8]) -> Result<(), String> {
        let (status, _) = self.http.post(url, "application/x-protobuf", body)?;
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(format!("{url}: HTTP {status}"))
        }
    }
}

impl Sink for OtlpSink {
    fn name(&self) -> &'static str {
        "otlp"
    }

    fn start(&mut self, id: &Identity) -> Result<(), String> {
        self.resource = id.resource.clone();
        self.start_ns = id.start_unix_ms * 1_000_000;
        tracing::info!(
            traces = %self.cfg.traces_endpoint,
            metrics = %self.cfg.metrics_endpoint,
            protocol = ?self.cfg.protocol,
            "telemetry OTLP export"
        );
        #[cfg(feature = "otlp-grpc")]
        if self.cfg.protocol == OtlpProtocol::Grpc {
            self.grpc = Some(grpc::Clients::new(&self.cfg)?);
        }
        #[cfg(not(feature = "otlp-grpc"))]
        if self.cfg.protocol == OtlpProtocol::Grpc {
            return Err(
                "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs glomers-node built with the `otlp-grpc` feature"
                    .into(),
            );
        }
        Ok(())
    }

    fn spans(&mut self, batch: std::vec::Drain<'_, Finished>) -> Result<(), String> {
        let req = super::span_otlp::to_request(batch.as_slice().iter(), self.resource.clone());
        drop(batch);
        match self.cfg.protocol {
            OtlpProtocol::HttpProtobuf => {
                let url = self.cfg.traces_endpoint.clone();
                self.post(&url, &req.encode_to_vec())
            }
            #[cfg(feature = "otlp-grpc")]
            OtlpProtocol::Grpc => match self.grpc.as_mut() {
                Some(c) => c.traces(req),
                None => Err("OTLP gRPC client not built".into()),
            },
            #[cfg(not(feature = "otlp-grpc"))]
            OtlpProtocol::Grpc => Err("gRPC support not built in".into()),
        }
    }

    fn metrics(&mut self, families: &[MetricFamily], _text: &str) -> Result<(), String> {
        let req = to_request(
            families,
            self.resource.clone(),
            self.start_ns,
            unix_nanos(SystemTime::now()),
        );
        match self.cfg.protocol {
            OtlpProtocol::HttpProtobuf => {
                let url = self.cfg.metrics_endpoint.clone();
                self.post(&url, &req.encode_to_vec())
            }
            #[cfg(feature = "otlp-grpc")]
            OtlpProtocol::Grpc => match self.grpc.as_mut() {
                Some(c) => c.metrics(req),
                None => Err("OTLP gRPC client not built".into()),
            },
            #[cfg(not(feature = "otlp-grpc"))]
            OtlpProtocol::Grpc => Err("gRPC support not built in".into()),
        }
    }

    fn metrics_interval(&self) -> Duration {
        self.cfg.metrics_interval
    }

    /// Cumulative series stay current at the collector even when nothing changes.
    fn resend_unchanged_after(&self) -> Option<Duration> {
        Some(RESEND_UNCHANGED.max(self.cfg.metrics_interval))
    }
}

#[cfg(feature = "otlp-grpc")]
mod grpc {
    //! Spans and metrics over OTLP/gRPC with the generated tonic clients, on a
    //! single-threaded tokio runtime owned by the sink's thread.

    use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use tonic::transport::{Channel, Endpoint};

    use super::OtlpConfig;

    pub(crate) struct Clients {
        rt: tokio::runtime::Runtime,
        traces: TraceServiceClient<Channel>,
        metrics: MetricsServiceClient<Channel>,
    }

    fn channel(endpoint: &str, cfg: &OtlpConfig) -> Result<Channel, String> {
        Ok(Endpoint::from_shared(endpoint.to_string())
            .map_err(|e| format!("{endpoint}: {e}"))?
            .timeout(cfg.timeout)
            .connect_timeout(cfg.timeout)
            .connect_lazy())
    }

    fn status(s: tonic::Status) -> String {
        format!("gRPC {:?}: {}", s.code(), s.message())
    }

    impl Clients {
        pub fn new(cfg: &OtlpConfig) -> Result<Clients, String> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("exporter runtime: {e}"))?;
            // The channels connect lazily, inside the runtime.
            let _enter = rt.enter();
            let traces = TraceServiceClient::new(channel(&cfg.traces_endpoint, cfg)?);
            let metrics = MetricsServiceClient::new(channel(&cfg.metrics_endpoint, cfg)?);
            drop(_enter);
            Ok(Clients {
                rt,
                traces,
                metrics,
            })
        }

        pub fn traces(&mut self, req: ExportTraceServiceRequest) -> Result<(), String> {
            let client = &mut self.traces;
            self.rt
                .block_on(client.export(req))
                .map(|_| ())
                .map_err(status)
        }

        pub fn metrics(&mut self, req: ExportMetricsServiceRequest) -> Result<(), String> {
            let client = &mut self.metrics;
            self.rt
                .block_on(client.export(req))
                .map(|_| ())
                .map_err(status)
        }
    }
}
