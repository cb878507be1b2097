//! `dashboard`: serve the glomers dashboard over a Maelstrom store folder.

use anyhow::Context;
use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = glomers_dashboard::config::Args::parse();
    // The index file's folder is made if missing (it may be the store folder itself, given
    // before the first run made it).
    if let Some(dir) = args.db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("folder of the index {}", args.db.display()))?;
    }
    glomers_dashboard::serve(args).await
}
