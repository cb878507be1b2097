//! The OTLP sink: finished spans and metrics (converted from the Prometheus registry) over
//! HTTP/protobuf (a small blocking client, no extra HTTP stack) or gRPC (cargo feature
//! `otlp-grpc`, with its own single-threaded tokio runtime). Runs on its own thread, so the
//! node's runtime never waits for a collector; one try per batch, no retries: a collector
//! that is down costs a refused connection and a dropped count. Over HTTP, traces and
//! metrics each have their own connection, and an export's answer is read at the next
//! export of the same signal (or before the worker sleeps): failures are still counted,
//! a little later, and the sink's thread never waits for the collector in between.

use std::time::{Duration, SystemTime};

use prometheus::proto::MetricFamily;
use prost::Message as _;

use super::config::{OtlpConfig, OtlpProtocol};
use super::finished::Finished;
use super::http_client::{Answer, MiniHttp};
use super::pipeline::{Identity, Late, Sink};
use super::prom_otlp::to_request;
use super::record::unix_nanos;

/// An unchanged metrics snapshot is pushed again after this long (a heartbeat).
const RESEND_UNCHANGED: Duration = Duration::from_secs(10);

pub(crate) struct OtlpSink {
    cfg: OtlpConfig,
    traces: Signal,
    metrics: Signal,
    /// Answers read so far and not yet handed to the worker.
    late: Vec<Late>,
    resource: opentelemetry_proto::tonic::resource::v1::Resource,
    start_ns: u64,
    #[cfg(feature = "otlp-grpc")]
    grpc: Option<grpc::Clients>,
}

impl OtlpSink {
    pub fn new(cfg: OtlpConfig) -> OtlpSink {
        OtlpSink {
            traces: Signal::new(&cfg, false),
            metrics: Signal::new(&cfg, true),
            late: Vec::new(),
            cfg,
            resource: Default::default(),
            start_ns: 0,
            #[cfg(feature = "otlp-grpc")]
            grpc: None,
        }
    }
}

/// One signal's HTTP connection, and the export in flight on it.
struct Signal {
    http: MiniHttp,
    url: String,
    metrics: bool,
    /// Items of the export whose answer is due.
    in_flight: u64,
}

impl Signal {
    fn new(cfg: &OtlpConfig, metrics: bool) -> Signal {
        let url = if metrics {
            &cfg.metrics_endpoint
        } else {
            &cfg.traces_endpoint
        };
        Signal {
            http: MiniHttp::new(cfg.timeout),
            url: url.clone(),
            metrics,
            in_flight: 0,
        }
    }

    /// The worker's view of an answer: any 2xx is success.
    fn late(&self, answer: Answer) -> Late {
        let result = match answer {
            Ok((status, _)) if (200..300).contains(&status) => Ok(()),
            Ok((status, _)) => Err(format!("{}: HTTP {status}", self.url)),
            Err(e) => Err(e),
        };
        Late {
            items: self.in_flight,
            metrics: self.metrics,
            result,
        }
    }

    /// POST a protobuf body of `items` items; the answer to the previous one goes to `late`.
    fn send(&mut self, body: &[u8], items: u64, late: &mut Vec<Late>) -> Result<(), String> {
        let (earlier, sent) = self.http.send(&self.url, "application/x-protobuf", body);
        if let Some(answer) = earlier {
            late.push(self.late(answer));
        }
        self.in_flight = if sent.is_ok() { items } else { 0 };
        sent
    }

    /// Wait for the answer in flight, if any.
    fn settle(&mut self, late: &mut Vec<Late>) {
        if let Some(answer) = self.http.settle() {
            late.push(self.late(answer));
        }
        self.in_flight = 0;
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
        let items = batch.len() as u64;
        let req = super::span_otlp::to_request(batch.as_slice().iter(), self.resource.clone());
        drop(batch);
        match self.cfg.protocol {
            OtlpProtocol::HttpProtobuf => {
                self.traces
                    .send(&req.encode_to_vec(), items, &mut self.late)
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
                self.metrics.send(&req.encode_to_vec(), 1, &mut self.late)
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

    /// Over HTTP, answers are read at the next export (gRPC waits for each).
    fn answers_later(&self) -> bool {
        self.cfg.protocol == OtlpProtocol::HttpProtobuf
    }

    fn late(&mut self, wait: bool) -> Vec<Late> {
        if wait {
            self.traces.settle(&mut self.late);
            self.metrics.settle(&mut self.late);
        }
        std::mem::take(&mut self.late)
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
