//! The OTLP sink: spans through `opentelemetry-otlp`'s span exporter, metrics converted from
//! the Prometheus registry, over HTTP/protobuf (a small blocking client, no extra HTTP stack)
//! or gRPC (cargo feature `otlp-grpc`). Runs on its own thread with its own single-threaded
//! tokio runtime, so the node's runtime never waits for a collector; one try per batch, no
//! retries: a collector that is down costs a refused connection and a dropped count.

use std::time::{Duration, SystemTime};

use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::{SpanData, SpanExporter as _};
use prometheus::proto::MetricFamily;
use prost::Message as _;

use super::config::{OtlpConfig, OtlpProtocol};
use super::http_client::MiniHttp;
use super::pipeline::{Identity, Sink};
use super::prom_otlp::to_request;
use super::record::unix_nanos;

/// An unchanged metrics snapshot is pushed again after this long (a heartbeat).
const RESEND_UNCHANGED: Duration = Duration::from_secs(10);

pub(crate) struct OtlpSink {
    cfg: OtlpConfig,
    rt: tokio::runtime::Runtime,
    spans: Option<opentelemetry_otlp::SpanExporter>,
    http: MiniHttp,
    resource: opentelemetry_proto::tonic::resource::v1::Resource,
    start_ns: u64,
    #[cfg(feature = "otlp-grpc")]
    grpc_metrics: Option<grpc::MetricsClient>,
}

impl OtlpSink {
    pub fn new(cfg: OtlpConfig) -> Result<OtlpSink, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("exporter runtime: {e}"))?;
        let http = MiniHttp {
            timeout: cfg.timeout,
        };
        Ok(OtlpSink {
            cfg,
            rt,
            spans: None,
            http,
            resource: Default::default(),
            start_ns: 0,
            #[cfg(feature = "otlp-grpc")]
            grpc_metrics: None,
        })
    }

    fn build_span_exporter(&self) -> Result<opentelemetry_otlp::SpanExporter, String> {
        let _enter = self.rt.enter();
        let built = match self.cfg.protocol {
            OtlpProtocol::HttpProtobuf => opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .with_http_client(self.http.clone())
                .with_protocol(Protocol::HttpBinary)
                .with_endpoint(self.cfg.traces_endpoint.clone())
                .with_timeout(self.cfg.timeout)
                .with_retry_policy(opentelemetry_otlp::RetryPolicy::disabled())
                .build(),
            #[cfg(feature = "otlp-grpc")]
            OtlpProtocol::Grpc => {
                use opentelemetry_otlp::WithTonicConfig;
                opentelemetry_otlp::SpanExporter::builder()
                    .with_tonic()
                    .with_endpoint(self.cfg.traces_endpoint.clone())
                    .with_timeout(self.cfg.timeout)
                    .with_retry_policy(opentelemetry_otlp::RetryPolicy::disabled())
                    .build()
            }
            #[cfg(not(feature = "otlp-grpc"))]
            OtlpProtocol::Grpc => {
                return Err(
                    "OTEL_EXPORTER_OTLP_PROTOCOL=grpc needs glomers-node built with the `otlp-grpc` feature"
                        .into(),
                )
            }
        };
        built.map_err(|e| format!("OTLP span exporter: {e}"))
    }
}

impl Sink for OtlpSink {
    fn name(&self) -> &'static str {
        "otlp"
    }

    fn start(&mut self, id: &Identity) -> Result<(), String> {
        self.resource = (&id.resource).into();
        self.start_ns = id.start_unix_ms * 1_000_000;
        tracing::info!(
            traces = %self.cfg.traces_endpoint,
            metrics = %self.cfg.metrics_endpoint,
            protocol = ?self.cfg.protocol,
            "telemetry OTLP export"
        );
        #[cfg(feature = "otlp-grpc")]
        if self.cfg.protocol == OtlpProtocol::Grpc {
            let _enter = self.rt.enter();
            self.grpc_metrics = Some(grpc::MetricsClient::new(
                &self.cfg.metrics_endpoint,
                self.cfg.timeout,
            )?);
        }
        let mut exporter = self.build_span_exporter()?;
        exporter.set_resource(&id.resource);
        self.spans = Some(exporter);
        Ok(())
    }

    fn spans(&mut self, batch: std::vec::Drain<'_, SpanData>) -> Result<(), String> {
        let batch: Vec<SpanData> = batch.collect();
        let exporter = self
            .spans
            .as_ref()
            .ok_or_else(|| "OTLP span exporter not built".to_string())?;
        self.rt
            .block_on(exporter.export(batch))
            .map_err(|e| e.to_string())
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
                let body = req.encode_to_vec();
                let (status, _) =
                    self.http
                        .post(&self.cfg.metrics_endpoint, "application/x-protobuf", &body)?;
                if (200..300).contains(&status) {
                    Ok(())
                } else {
                    Err(format!("{}: HTTP {status}", self.cfg.metrics_endpoint))
                }
            }
            #[cfg(feature = "otlp-grpc")]
            OtlpProtocol::Grpc => match self.grpc_metrics.as_mut() {
                Some(client) => self.rt.block_on(client.export(req)),
                None => Err("OTLP gRPC metrics client not built".into()),
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
    //! Metrics over OTLP/gRPC with the generated tonic client.

    use std::time::Duration;

    use opentelemetry_proto::tonic::collector::metrics::v1::metrics_service_client::MetricsServiceClient;
    use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
    use tonic::transport::{Channel, Endpoint};

    pub(crate) struct MetricsClient {
        client: MetricsServiceClient<Channel>,
    }

    impl MetricsClient {
        /// Must be called inside the sink's tokio runtime (the channel connects lazily).
        pub fn new(endpoint: &str, timeout: Duration) -> Result<MetricsClient, String> {
            let channel = Endpoint::from_shared(endpoint.to_string())
                .map_err(|e| format!("{endpoint}: {e}"))?
                .timeout(timeout)
                .connect_timeout(timeout)
                .connect_lazy();
            Ok(MetricsClient {
                client: MetricsServiceClient::new(channel),
            })
        }

        pub async fn export(&mut self, req: ExportMetricsServiceRequest) -> Result<(), String> {
            self.client
                .export(req)
                .await
                .map(|_| ())
                .map_err(|s| format!("gRPC {:?}: {}", s.code(), s.message()))
        }
    }
}
