//! Telemetry configuration read from the environment (Maelstrom passes nodes no flags):
//! which sinks are on and where the file sink writes. Everything about OTLP (endpoints,
//! protocol, headers, compression, timeout, certificate) and sampling is read by the
//! OpenTelemetry crates from the standard `OTEL_*` variables (see `otlp.rs`).

use std::path::PathBuf;
use std::time::Duration;

use super::memory::MemorySink;

/// Default file-sink directory, relative to the node's working directory.
pub const DEFAULT_DIR: &str = "glomers-telemetry";

/// Everything telemetry needs to start: [`Config::from_env`], or by hand (tests).
#[derive(Debug, Clone)]
pub struct Config {
    /// File sink directory, when the file sink is on.
    pub file_dir: Option<PathBuf>,
    /// Whether spans and metrics are exported over OTLP.
    pub otlp: bool,
    /// In-process span collection (tests).
    pub memory: Option<MemorySink>,
    /// How often `metrics.prom` is written and, unless `OTEL_METRIC_EXPORT_INTERVAL` is
    /// set, OTLP metrics pushed (default 1 s: nodes are SIGKILLed after short runs).
    pub flush_interval: Duration,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            file_dir: None,
            otlp: false,
            memory: None,
            flush_interval: Duration::from_secs(1),
        }
    }
}

impl Config {
    /// Read `GLOMERS_TELEMETRY` and `GLOMERS_TELEMETRY_DIR`; `None` when telemetry is off
    /// (the default).
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
                other => eprintln!(
                    "glomers telemetry: GLOMERS_TELEMETRY: unknown sink {other:?} ignored (use off, file, otlp or file,otlp)"
                ),
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
        Some(Config {
            file_dir,
            otlp,
            ..Config::default()
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
    fn sinks_and_directory() {
        let c = cfg(&[
            ("GLOMERS_TELEMETRY", "file, otlp"),
            ("GLOMERS_TELEMETRY_DIR", "/tmp/t"),
        ])
        .unwrap();
        assert_eq!(c.file_dir, Some(PathBuf::from("/tmp/t")));
        assert!(c.otlp);
        let c = cfg(&[("GLOMERS_TELEMETRY", "file")]).unwrap();
        assert_eq!(c.file_dir, Some(PathBuf::from(DEFAULT_DIR)));
        assert!(!c.otlp);
    }
}
