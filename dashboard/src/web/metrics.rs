//! `/metrics` in Prometheus text format: per-run series (`glomers_run_msgs_per_op`,
//! `glomers_run_stable_latency_seconds`, `glomers_run_valid`, `glomers_run_ops_total`) built
//! from the index at each scrape, plus the dashboard's own ingest figures.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use prometheus::{Encoder, GaugeVec, IntCounterVec, Opts, Registry, TextEncoder};

use super::{AppError, AppResult, AppState};
use crate::summary::Verdict;

fn run_registry(state: &AppState) -> Result<Registry, AppError> {
    let reg = Registry::new();
    let mpo = GaugeVec::new(
        Opts::new(
            "glomers_run_msgs_per_op",
            "Messages per client op (Maelstrom :net), by scope",
        ),
        &["workload", "run", "scope"],
    )
    .map_err(AppError::internal)?;
    let lat = GaugeVec::new(
        Opts::new(
            "glomers_run_stable_latency_seconds",
            "Broadcast stable latency quantiles (results.edn :stable-latencies)",
        ),
        &["workload", "run", "quantile"],
    )
    .map_err(AppError::internal)?;
    let valid = GaugeVec::new(
        Opts::new(
            "glomers_run_valid",
            "1 when the run is valid, 0 when invalid; absent when unknown or aborted",
        ),
        &["workload", "run"],
    )
    .map_err(AppError::internal)?;
    let ops = IntCounterVec::new(
        Opts::new(
            "glomers_run_ops_total",
            "Client ops of the run by :f (results.edn :stats :by-f)",
        ),
        &["workload", "run", "f"],
    )
    .map_err(AppError::internal)?;
    for c in [
        Box::new(mpo.clone()) as Box<dyn prometheus::core::Collector>,
        Box::new(lat.clone()),
        Box::new(valid.clone()),
        Box::new(ops.clone()),
    ] {
        reg.register(c).map_err(AppError::internal)?;
    }
    for r in state.index.list(None)? {
        let (w, id) = (r.workload.as_str(), r.id.as_str());
        if let Some(v) = r.msgs_per_op_servers {
            mpo.with_label_values(&[w, id, "servers"]).set(v);
        }
        if let Some(v) = r.msgs_per_op_all {
            mpo.with_label_values(&[w, id, "all"]).set(v);
        }
        for (q, v) in [
            ("0.5", r.stable_p50_ms),
            ("0.99", r.stable_p99_ms),
            ("1", r.stable_max_ms),
        ] {
            if let Some(v) = v {
                lat.with_label_values(&[w, id, q]).set(v / 1e3);
            }
        }
        match r.verdict {
            Verdict::Valid => valid.with_label_values(&[w, id]).set(1.0),
            Verdict::Invalid => valid.with_label_values(&[w, id]).set(0.0),
            Verdict::Unknown | Verdict::Aborted => {}
        }
    }
    for (id, w, f, count) in state.index.op_totals()? {
        ops.with_label_values(&[w.as_str(), id.as_str(), f.as_str()])
            .inc_by(count.max(0) as u64);
    }
    Ok(reg)
}

pub async fn handler(State(state): State<AppState>) -> AppResult<Response> {
    let runs = run_registry(&state)?;
    let mut families = runs.gather();
    families.extend(state.metrics.registry.gather());
    let mut buf = Vec::new();
    TextEncoder::new()
        .encode(&families, &mut buf)
        .map_err(AppError::internal)?;
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        buf,
    )
        .into_response())
}
