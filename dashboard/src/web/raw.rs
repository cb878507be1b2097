//! Raw files of a run (`/run/<workload>/<folder>/file/<path>`), served safely: the run must
//! be in the index, its folder must lie under the store, and the file must resolve (after
//! symlinks) inside the run folder. HTML and SVG written by Maelstrom are sandboxed.

use axum::extract::{Path, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::{lookup, AppError, AppResult, AppState};
use crate::rundir::files::resolve_inside;

/// Largest file served whole.
pub const MAX_SERVED: u64 = 256 * 1024 * 1024;

/// Content type by file extension; unknown files download as bytes.
pub fn content_type(path: &str) -> &'static str {
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("html") => "text/html; charset=utf-8",
        Some("json") => "application/json",
        Some("edn" | "log" | "txt" | "tsv" | "md" | "csv" | "jsonl") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

pub async fn handler(
    State(state): State<AppState>,
    Path((workload, run, rel)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let row = lookup(&state, &workload, &run)?;
    let dir = state
        .index
        .path_of(&row.id)?
        .ok_or_else(|| AppError::not_found("run folder unknown"))?;
    let store = state.store.clone();
    let rel2 = rel.clone();
    let file = tokio::task::spawn_blocking(move || {
        let dir = dir.canonicalize().ok()?;
        if !dir.starts_with(&store) {
            return None;
        }
        resolve_inside(&dir, &rel2)
    })
    .await
    .map_err(AppError::internal)?;
    let Some(file) = file else {
        if rel
            .split('/')
            .any(|c| c == ".." || c == "." || c.is_empty())
        {
            return Err(AppError::bad_request(
                "file paths may not contain . or .. segments",
            ));
        }
        return Err(AppError::not_found("no such file in this run"));
    };
    let len = tokio::fs::metadata(&file)
        .await
        .map_err(|_| AppError::not_found("file vanished"))?
        .len();
    if len > MAX_SERVED {
        return Err(AppError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: format!("file is {len} bytes, more than this dashboard serves"),
        });
    }
    let bytes = tokio::fs::read(&file)
        .await
        .map_err(|_| AppError::not_found("file could not be read"))?;
    let mime = content_type(&rel);
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("inline"),
    );
    if mime.starts_with("text/html") || mime.starts_with("image/svg") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:",
            ),
        );
    }
    Ok(res)
}
