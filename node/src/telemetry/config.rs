//! Telemetry configuration read from the environment (Maelstrom passes nodes no flags):
//! which sinks are on, where the file sink writes, and how OTLP is reached.

use std::path::PathBuf;
use std::time::Duration;

use super::memory::MemorySink;

/// Default file-sink directory, relative to the node's working directory.
pub const DEFAULT_DIR: &str = "glomers-telemetry";
/// Default OTLP/HTTP endpoint (signal paths `/v1/traces`, `/v1/metrics` are appended).
pub const DEFAULT_HTTP_ENDPOINT: &str = "http://localhost:4318";
/// Default OTLP/gRPC endpoint.
pub const DEFAULT_GRPC_ENDPOINT: &str = "http://localhost:4317";

/// How OTLP is carried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtlpProtocol {
    /// `http/protobuf` (the default).
    HttpProtobuf,
    /// `grpc` (needs the `otlp-grpc` cargo feature).
    Grpc,
}

/// Where and how the OTLP sink exports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpConfig {
    pub protocol: OtlpProtocol,
    /// Full URL for spans (`…/v1/traces` for HTTP; the base endpoint for gRPC).
    pub traces_endpoint: String,
    /// Full URL for metrics (`…/v1/metrics` for HTTP; the base endpoint for gRPC).
    pub metrics_endpoint: String,
    /// Time allowed for one export request.
    pub timeout: Duration,
    /// How often metrics are pushed.
    pub metrics_interval: Duration,
}

/// Everything telemetry needs to start. Build one with [`Config::from_env`], or by hand
/// (tests use [`Config::memory`]).
#[derive(Debug, Clone)]
pub struct Config {
    /// File sink directory, when the file sink is on.
    pub file_dir: Option<PathBuf>,
    /// OTLP sink, when on.
    pub otlp: Option<OtlpConfig>,
    /// In-process span collection (tests).
    pub memory: Option<MemorySink>,
    /// `service.name` override (`OTEL_SERVICE_NAME`); the binary name otherwise.
    pub service_name: Option<String>,
    /// How often the file sink writes its metrics snapshot and meta.json (default 1 s).
    pub flush_interval: Duration,
    /// Share of traces recorded, 0.0..=1.0 (default 1: every message). Decided where a
    /// trace starts (a client request, a timer's gossip round); spans whose parent came in
    /// a message follow the parent's decision, so a recorded trace is always whole. With a
    /// ratio below 1, node→node messages that carry no context get no span.
    pub sample_ratio: f64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            file_dir: None,
            otlp: None,
            memory: None,
            service_name: None,
            flush_interval: Duration::from_secs(1),
            sample_ratio: 1.0,
        }
    }
}

impl Config {
    /// Read `GLOMERS_TELEMETRY` and friends; `None` when telemetry is off (the default).
    pub fn from_env() -> Option<Config> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Like `from_env`, reading variables through `get` (for tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<Config> {
        let switch = get("GLOMERS_TELEMETRY")?;
        let mut file = false;
        let mut otlp = false;
        for part in switch.split(',').map(|p| p.trim().to_ascii_lowercase()) {
            match part.as_str() {
                "file" => file = true,
                "otlp" => otlp = true,
                "off" | "" | "none" | "0" | "false" => {}
                other => eprintln_once(&format!(
                    "GLOMERS_TELEMETRY: unknown sink {other:?} ignored (use off, file, otlp or file,otlp)"
                )),
            }
        }
        if !file && !otlp {
            return None;
        }
        let file_dir = file.then(|| {
            get("GLOMERS_TELEMETRY_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(DEFAULT_DIR))
        });
        let otlp = otlp.then(|| otlp_config(&get));
        Some(Config {
            file_dir,
            otlp,
            memory: None,
            service_name: get("OTEL_SERVICE_NAME"),
            flush_interval: Duration::from_secs(1),
            sample_ratio: sample_ratio(&get),
        })
    }

    /// A configuration whose only sink is an in-memory span list (for tests).
    pub fn memory(sink: MemorySink) -> Config {
        Config {
            memory: Some(sink),
            ..Config::default()
        }
    }
}

/// `OTEL_TRACES_SAMPLER` (`always_on`, `always_off`, `traceidratio` and their `parentbased_`
/// forms, all parent-based here) with `OTEL_TRACES_SAMPLER_ARG` as the ratio.
fn sample_ratio(get: &impl Fn(&str) -> Option<String>) -> f64 {
    let arg = || {
        get("OTEL_TRACES_SAMPLER_ARG")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .filter(|r| r.is_finite())
            .map(|r| r.clamp(0.0, 1.0))
            .unwrap_or(1.0)
    };
    match get("OTEL_TRACES_SAMPLER").as_deref().map(str::trim) {
        None | Some("always_on") | Some("parentbased_always_on") => 1.0,
        Some("always_off") | Some("parentbased_always_off") => 0.0,
        Some("traceidratio") | Some("parentbased_traceidratio") => arg(),
        Some(other) => {
            eprintln_once(&format!(
                "OTEL_TRACES_SAMPLER={other:?} is not supported; recording every trace"
            ));
            1.0
        }
    }
}

fn otlp_config(get: &impl Fn(&str) -> Option<String>) -> OtlpConfig {
    let proto = get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        .or_else(|| get("OTEL_EXPORTER_OTLP_PROTOCOL"))
        .unwrap_or_else(|| "http/protobuf".into());
    let protocol = match proto.trim() {
        "grpc" => OtlpProtocol::Grpc,
        "http/protobuf" => OtlpProtocol::HttpProtobuf,
        other => {
            eprintln_once(&format!(
                "OTEL_EXPORTER_OTLP_PROTOCOL={other:?} is not supported; using http/protobuf"
            ));
            OtlpProtocol::HttpProtobuf
        }
    };
    let base = get("OTEL_EXPORTER_OTLP_ENDPOINT").unwrap_or_else(|| match protocol {
        OtlpProtocol::HttpProtobuf => DEFAULT_HTTP_ENDPOINT.into(),
        OtlpProtocol::Grpc => DEFAULT_GRPC_ENDPOINT.into(),
    });
    let signal = |specific: &str, path: &str| -> String {
        if let Some(url) = get(specific) {
            return url;
        }
        match protocol {
            OtlpProtocol::HttpProtobuf => format!("{}{path}", base.trim_end_matches('/')),
            OtlpProtocol::Grpc => base.clone(),
        }
    };
    let millis = |key: &str, default: u64| -> Duration {
        Duration::from_millis(
            get(key)
                .and_then(|v| v.trim().parse().ok())
                .filter(|ms| *ms > 0)
                .unwrap_or(default),
        )
    };
    OtlpConfig {
        protocol,
        traces_endpoint: signal("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "/v1/traces"),
        metrics_endpoint: signal("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "/v1/metrics"),
        timeout: millis("OTEL_EXPORTER_OTLP_TIMEOUT", 2_000),
        // Nodes are SIGKILLed after short runs: push often (OTel's 60 s default would lose all).
        metrics_interval: millis("OTEL_METRIC_EXPORT_INTERVAL", 1_000),
    }
}

/// Configuration problems are reported on stderr (the subscriber may not exist yet).
fn eprintln_once(text: &str) {
    eprintln!("glomers telemetry: {text}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> Option<Config> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn off_unless_switched_on() {
        assert!(cfg(&[]).is_none());
        assert!(cfg(&[("GLOMERS_TELEMETRY", "off")]).is_none());
        assert!(cfg(&[("GLOMERS_TELEMETRY", "bogus")]).is_none());
    }

    #[test]
    fn file_and_otlp() {
        let c = cfg(&[
            ("GLOMERS_TELEMETRY", "file, otlp"),
            ("GLOMERS_TELEMETRY_DIR", "/tmp/t"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(c.file_dir, Some(PathBuf::from("/tmp/t")));
        let o = c.otlp.unwrap();
        assert_eq!(o.protocol, OtlpProtocol::HttpProtobuf);
        assert_eq!(o.traces_endpoint, "http://127.0.0.1:9/v1/traces");
        assert_eq!(o.metrics_endpoint, "http://127.0.0.1:9/v1/metrics");
    }

    #[test]
    fn sampling() {
        let on = [("GLOMERS_TELEMETRY", "file")];
        assert_eq!(cfg(&on).unwrap().sample_ratio, 1.0);
        let c = cfg(&[
            on[0],
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.25"),
        ]);
        assert_eq!(c.unwrap().sample_ratio, 0.25);
        let c = cfg(&[on[0], ("OTEL_TRACES_SAMPLER", "always_off")]);
        assert_eq!(c.unwrap().sample_ratio, 0.0);
    }

    #[test]
    fn defaults() {
        let c = cfg(&[("GLOMERS_TELEMETRY", "file")]).unwrap();
        assert_eq!(c.file_dir, Some(PathBuf::from(DEFAULT_DIR)));
        assert!(c.otlp.is_none());
        let c = cfg(&[
            ("GLOMERS_TELEMETRY", "otlp"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"),
        ])
        .unwrap();
        let o = c.otlp.unwrap();
        assert_eq!(o.protocol, OtlpProtocol::Grpc);
        assert_eq!(o.traces_endpoint, DEFAULT_GRPC_ENDPOINT);
    }
}
