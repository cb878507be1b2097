//! Command-line options of the `dashboard` binary.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

use crate::ingest::Limits;

/// Web dashboard over a Maelstrom store folder.
#[derive(Debug, Clone, Parser)]
#[command(name = "dashboard", version, about)]
pub struct Args {
    /// The store folder to read (Maelstrom's `store/`). If it does not exist yet, the
    /// dashboard waits for it and lists runs as they appear.
    #[arg(long, default_value = "./store")]
    pub store: PathBuf,
    /// Address to listen on; loopback unless told otherwise.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// SQLite index file (created if missing).
    #[arg(long, default_value = "./glomers-dashboard.sqlite")]
    pub db: PathBuf,
    /// How often to rescan the store for new or changed runs, in milliseconds.
    #[arg(long, default_value_t = 2000)]
    pub rescan_ms: u64,
    /// Largest results.edn read, in MiB.
    #[arg(long, default_value_t = 32)]
    pub max_results_mib: u64,
    /// Largest history.edn read, in MiB.
    #[arg(long, default_value_t = 256)]
    pub max_history_mib: u64,
    /// Node telemetry files kept outside the store: the GLOMERS_TELEMETRY_DIR given to nodes
    /// under real Maelstrom. Node folders are tied to the run whose time window and node ids
    /// fit (see the run page's Telemetry section).
    #[arg(long)]
    pub telemetry_dir: Option<PathBuf>,
    /// Largest OTLP/HTTP request body accepted on /v1/traces and /v1/metrics, in MiB.
    #[arg(long, default_value_t = 16)]
    pub max_otlp_mib: u64,
}

impl Args {
    pub fn options(&self) -> crate::Options {
        crate::Options {
            telemetry_dir: self.telemetry_dir.clone(),
            otlp_max_bytes: (self.max_otlp_mib * 1024 * 1024) as usize,
        }
    }

    pub fn limits(&self) -> Limits {
        Limits {
            results_bytes: self.max_results_mib * 1024 * 1024,
            history_bytes: self.max_history_mib * 1024 * 1024,
        }
    }
}
