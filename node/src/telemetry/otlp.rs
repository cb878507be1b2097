//! The OTLP exporters, from `opentelemetry-otlp`: http/protobuf (a blocking `reqwest`
//! client) or gRPC (tonic, on a one-thread tokio runtime of its own), as
//! `OTEL_EXPORTER_OTLP_PROTOCOL` says. The crate reads the endpoints, headers, compression
//! and timeout variables itself; the CA certificate (`OTEL_EXPORTER_OTLP_CERTIFICATE`, or
//! the per-signal `…_TRACES_CERTIFICATE` / `…_METRICS_CERTIFICATE`) is read here and given
//! to the client it builds. TLS is rustls on ring.

use std::sync::OnceLock;
use std::time::Duration;

use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig};
use opentelemetry_otlp::{MetricExporter, SpanExporter, WithHttpConfig, WithTonicConfig};

/// Which signal an exporter carries (for its per-signal variables).
#[derive(Clone, Copy)]
pub(crate) enum Signal {
    Traces,
    Metrics,
}

impl Signal {
    fn var(self, what: &str) -> Option<String> {
        let signal = match self {
            Signal::Traces => "TRACES",
            Signal::Metrics => "METRICS",
        };
        std::env::var(format!("OTEL_EXPORTER_OTLP_{signal}_{what}"))
            .or_else(|_| std::env::var(format!("OTEL_EXPORTER_OTLP_{what}")))
            .ok()
            .filter(|v| !v.trim().is_empty())
    }

    fn grpc(self) -> bool {
        self.var("PROTOCOL").is_some_and(|p| p.trim() == "grpc")
    }

    /// The PEM file named by the certificate variable, when one is set.
    fn certificate(self) -> Result<Option<Vec<u8>>, String> {
        let Some(path) = self.var("CERTIFICATE") else {
            return Ok(None);
        };
        std::fs::read(path.trim())
            .map(Some)
            .map_err(|e| format!("OTEL_EXPORTER_OTLP_CERTIFICATE {path}: {e}"))
    }

    fn timeout(self) -> Duration {
        let ms = self.var("TIMEOUT").and_then(|v| v.trim().parse().ok());
        Duration::from_millis(ms.unwrap_or(10_000))
    }
}

/// rustls needs one crypto provider per process; ring is the one built in.
#[allow(deprecated)] // ring lacks post-quantum key exchange; it needs no C toolchain to build
fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The runtime tonic's connections live on (built once, never stopped).
fn grpc_runtime() -> Result<&'static tokio::runtime::Runtime, String> {
    static RT: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("telemetry-grpc")
            .enable_all()
            .build()
            .map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(Clone::clone)
}

fn tls(pem: Option<Vec<u8>>) -> Option<ClientTlsConfig> {
    pem.map(|pem| {
        ClientTlsConfig::new()
            .with_enabled_roots()
            .ca_certificate(Certificate::from_pem(pem))
    })
}

/// The blocking HTTP client: our own only to add the CA. Built on a thread of its own,
/// since reqwest's blocking client refuses to be built inside a tokio runtime.
fn http_client(signal: Signal) -> Result<reqwest::blocking::Client, String> {
    let pem = signal.certificate()?;
    let timeout = signal.timeout();
    std::thread::spawn(move || {
        let mut b = reqwest::blocking::Client::builder().timeout(timeout);
        if let Some(pem) = pem {
            let cert = reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string())?;
            b = b.tls_certs_merge([cert]);
        }
        b.build().map_err(|e| e.to_string())
    })
    .join()
    .map_err(|_| "building the HTTP client panicked".to_string())?
}

pub(crate) fn span_exporter() -> Result<SpanExporter, String> {
    install_crypto();
    let s = Signal::Traces;
    let built = if s.grpc() {
        let _rt = grpc_runtime()?.enter();
        let mut b = SpanExporter::builder().with_tonic();
        if let Some(t) = tls(s.certificate()?) {
            b = b.with_tls_config(t);
        }
        b.build()
    } else {
        let client = http_client(s)?;
        SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .build()
    };
    built.map_err(|e| e.to_string())
}

pub(crate) fn metric_exporter() -> Result<MetricExporter, String> {
    install_crypto();
    let s = Signal::Metrics;
    let built = if s.grpc() {
        let _rt = grpc_runtime()?.enter();
        let mut b = MetricExporter::builder().with_tonic();
        if let Some(t) = tls(s.certificate()?) {
            b = b.with_tls_config(t);
        }
        b.build()
    } else {
        let client = http_client(s)?;
        MetricExporter::builder()
            .with_http()
            .with_http_client(client)
            .build()
    };
    built.map_err(|e| e.to_string())
}
