//! `dashboard`: serve the glomers dashboard over a Maelstrom store folder.

use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    glomers_dashboard::serve(glomers_dashboard::config::Args::parse()).await
}
