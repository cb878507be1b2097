//! The OTLP/HTTP receiver: `POST /v1/traces` and `POST /v1/metrics`, protobuf
//! (`application/x-protobuf`) or JSON (`application/json`) bodies, plain or gzip/deflate
//! (`Content-Encoding`). Bodies over the limit (before or after decompression) get 413, undecodable ones 400 with the reason, other content types or encodings
//! 415. Each resource (node process) in a request is tied to a run on first sight
//! ([`crate::telemetry::assign`]), or waits for one to fit.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::AppState;
use crate::index::telemetry::TelWrite;
use crate::index::Index;
use crate::telemetry::assign::{self, Process};
use crate::telemetry::otlp::{decode_metrics, decode_traces, Batch, Encoding};
use crate::telemetry::sync::run_windows;

/// Default largest body (16 MiB; a node's batch is far smaller).
pub const DEFAULT_MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Clone, Copy)]
enum Signal {
    Traces,
    Metrics,
}

impl Signal {
    fn name(self) -> &'static str {
        match self {
            Signal::Traces => "traces",
            Signal::Metrics => "metrics",
        }
    }
}

fn reply(status: StatusCode, enc: Option<Encoding>, message: &str) -> Response {
    match (status.is_success(), enc) {
        (true, Some(Encoding::Protobuf)) => (
            status,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            Vec::new(),
        )
            .into_response(),
        (true, _) => (status, [(header::CONTENT_TYPE, "application/json")], "{}").into_response(),
        (false, Some(Encoding::Json)) => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::json!({ "code": 3, "message": message }).to_string(),
        )
            .into_response(),
        (false, _) => (
            status,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            message.to_string(),
        )
            .into_response(),
    }
}

async fn receive(state: AppState, signal: Signal, headers: HeaderMap, body: Body) -> Response {
    let res = receive_inner(&state, signal, &headers, body).await;
    let status = match &res {
        Ok(()) => StatusCode::OK,
        Err((s, _, _)) => *s,
    };
    state
        .metrics
        .otlp_requests
        .with_label_values(&[signal.name(), status.as_str()])
        .inc();
    match res {
        Ok(()) => reply(StatusCode::OK, encoding(&headers), ""),
        Err((status, enc, message)) => {
            tracing::debug!("OTLP {}: {status} {message}", signal.name());
            reply(status, enc, &message)
        }
    }
}

fn encoding(headers: &HeaderMap) -> Option<Encoding> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(Encoding::from_content_type)
}

type Rejection = (StatusCode, Option<Encoding>, String);

async fn receive_inner(
    state: &AppState,
    signal: Signal,
    headers: &HeaderMap,
    body: Body,
) -> Result<(), Rejection> {
    let Some(enc) = encoding(headers) else {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "Content-Type must be application/x-protobuf or application/json".into(),
        ));
    };
    let compression = match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("identity") | Some("") => Compression::None,
        Some("gzip") | Some("x-gzip") => Compression::Gzip,
        Some("deflate") => Compression::Deflate,
        Some(other) => {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                Some(enc),
                format!("Content-Encoding {other:?} is not supported (use gzip, deflate or none)"),
            ))
        }
    };
    let max = state.otlp_max_bytes;
    let too_big = || {
        (
            StatusCode::PAYLOAD_TOO_LARGE,
            Some(enc),
            format!("body larger than {max} bytes"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > max) {
        return Err(too_big());
    }
    let raw = axum::body::to_bytes(body, max)
        .await
        .map_err(|_| too_big())?;
    let bytes = inflate(&raw, compression, max).map_err(|e| match e {
        InflateError::TooBig => too_big(),
        InflateError::Bad(m) => (StatusCode::BAD_REQUEST, Some(enc), m),
    })?;
    let index = state.index.clone();
    let metrics = state.metrics.clone();
    tokio::task::spawn_blocking(move || {
        let batches = match signal {
            Signal::Traces => decode_traces(&bytes, enc),
            Signal::Metrics => decode_metrics(&bytes, enc),
        }
        .map_err(|m| (StatusCode::BAD_REQUEST, Some(enc), m))?;
        for b in &batches {
            store(&index, b).map_err(|e| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Some(enc),
                    format!("index: {e}"),
                )
            })?;
            metrics.telemetry_spans.inc_by(b.spans.len() as u64);
        }
        Ok(())
    })
    .await
    .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, Some(enc), e.to_string()))?
}

#[derive(Clone, Copy)]
enum Compression {
    None,
    Gzip,
    Deflate,
}

enum InflateError {
    TooBig,
    Bad(String),
}

/// The body uncompressed, at most `max` bytes of it.
fn inflate(raw: &[u8], c: Compression, max: usize) -> Result<Vec<u8>, InflateError> {
    use std::io::Read;
    let reader: Box<dyn Read + '_> = match c {
        Compression::None => return Ok(raw.to_vec()),
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Compression::Deflate => Box::new(flate2::read::ZlibDecoder::new(raw)),
    };
    let mut out = Vec::new();
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| InflateError::Bad(format!("body does not decompress: {e}")))?;
    if out.len() > max {
        return Err(InflateError::TooBig);
    }
    Ok(out)
}

/// Stores one resource's batch, tying its process to a run if it has none yet.
pub fn store(index: &Index, b: &Batch) -> rusqlite::Result<()> {
    if b.spans.is_empty() && b.points.is_empty() {
        return Ok(());
    }
    let id = index.tel_upsert_source(&b.source, None)?;
    let known = index.tel_source(&b.source.key)?;
    if let Some(src) = known.filter(|s| s.run_id.is_none()) {
        let p = Process {
            node: src.node.as_deref(),
            node_ids: &src.node_ids,
            first_ms: src.first_ms,
            last_ms: src.last_ms,
            run_hint: src.run_hint.as_deref(),
        };
        if let Some(run) = assign::pick(&run_windows(index), &p) {
            index.tel_assign(id, &run)?;
        }
    }
    index.tel_write(
        id,
        &TelWrite {
            spans: &b.spans,
            reset_spans: false,
            points: &b.points,
            replace_points: false,
            spans_offset: None,
            skipped_lines: 0,
            fingerprint: None,
        },
    )
}

pub async fn traces(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    receive(state, Signal::Traces, headers, body).await
}

pub async fn metrics(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    receive(state, Signal::Metrics, headers, body).await
}
