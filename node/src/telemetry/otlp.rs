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

/// Which signal an exporter carries: `TRACES` or `METRICS`, as in its variables' names.
#[derive(Clone, Copy)]
struct Signal(&'static str);

impl Signal {
    /// The per-signal variable `what`, else the general one.
    fn var(self, what: &str) -> Option<String> {
        let var = |name: String| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        var(format!("OTEL_EXPORTER_OTLP_{}_{what}", self.0))
            .or_else(|| var(format!("OTEL_EXPORTER_OTLP_{what}")))
    }

    fn grpc(self) -> bool {
        self.var("PROTOCOL").is_some_and(|p| p.trim() == "grpc")
    }

    /// Whether the endpoint is https (the default, `http://localhost:4318`, is not).
    fn https(self) -> bool {
        self.var("ENDPOINT")
            .is_some_and(|e| e.trim().to_ascii_lowercase().starts_with("https:"))
    }

    /// The PEM file named by the certificate variable, when one is set.
    fn certificate(self) -> Result<Option<Vec<u8>>, String> {
        let Some(path) = self.var("CERTIFICATE") else {
            return Ok(None);
        };
        let pem = std::fs::read(path.trim());
        pem.map(Some)
            .map_err(|e| format!("OTEL_EXPORTER_OTLP_CERTIFICATE {path}: {e}"))
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
    let config = ClientTlsConfig::new().with_enabled_roots();
    pem.map(|pem| config.ca_certificate(Certificate::from_pem(pem)))
}

/// The blocking HTTP client: our own only to add the CA. Built on a thread of its own,
/// since reqwest's blocking client refuses to be built inside a tokio runtime.
fn http_client(signal: Signal) -> Result<reqwest::blocking::Client, String> {
    let pem = signal.certificate()?;
    let ms = signal.var("TIMEOUT").and_then(|v| v.trim().parse().ok());
    let timeout = Duration::from_millis(ms.unwrap_or(10_000));
    let https = signal.https();
    std::thread::spawn(move || {
        let b = reqwest::blocking::Client::builder().timeout(timeout);
        let cert = pem
            .map(|pem| reqwest::Certificate::from_pem(&pem).map_err(|e| e.to_string()))
            .transpose()?;
        // The system's roots are read (every PEM file of the trust store, tens of
        // milliseconds of CPU per client) only for an https endpoint; a plain-http one gets
        // an empty store it never uses.
        let b = if https {
            b.tls_certs_merge(cert)
        } else {
            b.tls_certs_only(cert)
        };
        b.build().map_err(|e| e.to_string())
    })
    .join()
    .map_err(|_| "building the HTTP client panicked".to_string())?
}

/// The exporter `$builder` makes (`SpanExporter` or `MetricExporter`) for `$signal`.
macro_rules! exporter {
    ($builder:ty, $signal:expr) => {{
        install_crypto();
        let s = $signal;
        let built = if s.grpc() {
            let _rt = grpc_runtime()?.enter();
            let b = <$builder>::builder().with_tonic();
            match tls(s.certificate()?) {
                Some(t) => b.with_tls_config(t).build(),
                None => b.build(),
            }
        } else {
            let b = <$builder>::builder().with_http();
            b.with_http_client(http_client(s)?).build()
        };
        built.map_err(|e| e.to_string())
    }};
}

pub(crate) fn span_exporter() -> Result<SpanExporter, String> {
    exporter!(SpanExporter, Signal("TRACES"))
}

pub(crate) fn metric_exporter() -> Result<MetricExporter, String> {
    exporter!(MetricExporter, Signal("METRICS"))
}
