//! The HTTP side: routes, shared state, run-id validation, errors and request limits. Pages
//! render on the server; every asset comes from the binary.

pub mod api;
pub mod assets;
pub mod charts;
pub mod compare_page;
pub mod format;
pub mod layout;
pub mod metrics;
pub mod otlp;
pub mod raw;
pub mod regress;
pub mod run_page;
pub mod run_telemetry;
pub mod runs_page;
pub mod trend_page;

use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;

use crate::index::{Index, RunRow};
use crate::self_metrics::SelfMetrics;

/// Largest request body accepted, OTLP pushes aside (they have their own limit).
pub const MAX_BODY: usize = 64 * 1024;
/// Longest request target (path and query) accepted.
pub const MAX_URI: usize = 4096;
/// Longest run folder or workload name accepted in a URL.
const MAX_NAME: usize = 255;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub index: Arc<Index>,
    pub metrics: Arc<SelfMetrics>,
    /// The canonical store folder.
    pub store: PathBuf,
    /// Largest OTLP/HTTP body accepted.
    pub otlp_max_bytes: usize,
}

/// An error page or JSON error with its status.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub message: String,
}

impl AppError {
    pub fn bad_request(m: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::BAD_REQUEST,
            message: m.into(),
        }
    }
    pub fn not_found(m: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::NOT_FOUND,
            message: m.into(),
        }
    }
    pub fn internal(m: impl std::fmt::Display) -> AppError {
        AppError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("internal error: {m}"),
        }
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> AppError {
        AppError::internal(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let page = layout::page(
            "Error",
            "error",
            maud::html! {
                h1 { (self.status.as_u16()) " " (self.status.canonical_reason().unwrap_or("")) }
                p #error-message { (self.message) }
                p { a href="/" { "Back to the runs" } }
            },
        );
        (self.status, page).into_response()
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// Checks one path segment of a run id (a workload or a run folder name).
fn valid_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_NAME
        && s != "."
        && s != ".."
        && !s.contains(['/', '\\', '\0'])
        && !s.chars().any(char::is_control)
}

/// Validates a run id given as its two parts and returns its indexed row.
pub fn lookup(state: &AppState, workload: &str, run: &str) -> AppResult<RunRow> {
    if !valid_name(workload) || !valid_name(run) {
        return Err(AppError::bad_request("not a valid run id"));
    }
    state
        .index
        .row(&format!("{workload}/{run}"))?
        .ok_or_else(|| AppError::not_found(format!("no run {workload}/{run} in the index")))
}

/// Validates a run id given whole (`workload/folder`, from a query string). A `+` sent
/// unencoded arrives as a space, so that spelling is tried too.
pub fn lookup_id(state: &AppState, id: &str) -> AppResult<RunRow> {
    let (workload, run) = id
        .split_once('/')
        .ok_or_else(|| AppError::bad_request("a run id is <workload>/<folder>"))?;
    match lookup(state, workload, run) {
        Err(e) if e.status == StatusCode::NOT_FOUND && run.contains(' ') => {
            lookup(state, workload, &run.replace(' ', "+")).map_err(|_| e)
        }
        other => other,
    }
}

async fn limit_uri(req: Request, next: Next) -> Response {
    if req.uri().to_string().len() > MAX_URI {
        return (StatusCode::URI_TOO_LONG, "request target too long").into_response();
    }
    next.run(req).await
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(header::HeaderValue::from_static("nosniff"));
    h.entry(header::X_FRAME_OPTIONS)
        .or_insert(header::HeaderValue::from_static("SAMEORIGIN"));
    h.entry(header::CONTENT_SECURITY_POLICY).or_insert(header::HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'",
    ));
    res
}

async fn not_found() -> AppError {
    AppError::not_found("no such page")
}

/// All routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(runs_page::handler))
        .route("/run/{workload}/{run}", get(run_page::handler))
        .route("/run/{workload}/{run}/label", post(run_page::set_label))
        .route(
            "/run/{workload}/{run}/chart/{chart}",
            get(charts::run_chart),
        )
        .route("/run/{workload}/{run}/file/{*path}", get(raw::handler))
        .route("/compare", get(compare_page::handler))
        .route("/compare/chart/cdf.svg", get(charts::compare_chart))
        .route("/compare/chart/spans.svg", get(compare_page::spans_chart))
        .route("/trend", get(trend_page::handler))
        .route("/trend/chart/{chart}", get(charts::trend_chart))
        .route("/metrics", get(metrics::handler))
        .route("/api/runs", get(api::list))
        .route("/api/runs/{workload}/{run}", get(api::one))
        .route("/api/runs/{workload}/{run}/label", post(api::set_label))
        .route("/api/workloads", get(api::workloads))
        .route("/healthz", get(|| async { "ok" }))
        .route("/v1/traces", post(otlp::traces))
        .route("/v1/metrics", post(otlp::metrics))
        .route("/assets/{name}", get(assets::handler))
        // Browsers ask for /favicon.ico on pages without an icon link (/metrics, the API).
        .route(
            "/favicon.ico",
            get(|| async { axum::response::Redirect::permanent("/assets/favicon.svg") }),
        )
        .fallback(not_found)
        .layer(middleware::from_fn(security_headers))
        .layer(middleware::from_fn(limit_uri))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::valid_name;

    #[test]
    fn names() {
        assert!(valid_name("20240919T142314.276+0530"));
        assert!(valid_name("run [1] \"x\""));
        assert!(!valid_name(".."));
        assert!(!valid_name("a/b"));
        assert!(!valid_name(""));
        assert!(!valid_name("a\nb"));
    }
}
