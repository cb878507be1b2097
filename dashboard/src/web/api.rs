//! JSON API for scripts: `/api/runs` (the list, filterable like the page),
//! `/api/runs/<workload>/<folder>` (one run: row, full summary, history figures without the
//! raw points), `/api/workloads`.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::runs_page::{select, ListQuery};
use super::{lookup, AppError, AppResult, AppState};

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let workload = q.workload.as_deref().filter(|w| !w.is_empty());
    let rows = select(state.index.list(workload)?, &q);
    Ok(Json(json!({ "count": rows.len(), "runs": rows })))
}

pub async fn one(
    State(state): State<AppState>,
    Path((workload, run)): Path<(String, String)>,
) -> AppResult<Json<Value>> {
    let row = lookup(&state, &workload, &run)?;
    let (summary, _, fingerprint) = state
        .index
        .summary(&row.id)?
        .ok_or_else(|| AppError::not_found("run summary missing"))?;
    let history = state.index.history(&row.id)?.map(|mut h| {
        h.points.clear();
        h.throughput.clear();
        h
    });
    let previous = state.index.previous(&row.id)?;
    Ok(Json(json!({
        "run": row,
        "summary": summary,
        "history": history,
        "previous": previous,
        "fingerprint": fingerprint,
    })))
}

pub async fn workloads(State(state): State<AppState>) -> AppResult<Json<Value>> {
    let w: Vec<Value> = state
        .index
        .workloads()?
        .into_iter()
        .map(|(name, runs)| json!({ "workload": name, "runs": runs }))
        .collect();
    Ok(Json(json!({ "workloads": w })))
}
