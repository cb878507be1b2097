//! Static assets compiled into the binary (no CDN, no files needed at run time).

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::AppError;

const STYLE: &str = include_str!("../../assets/style.css");
const FAVICON: &str = include_str!("../../assets/favicon.svg");

pub async fn handler(Path(name): Path<String>) -> Response {
    let (body, mime) = match name.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => return AppError::not_found("no such asset").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
