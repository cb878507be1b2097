//! JSON API for scripts: `/api/runs` (the list, filterable like the page, `?test=<key>`
//! included), `/api/runs/<workload>/<folder>` (one run: row, full summary, history figures
//! without the raw points), `POST /api/runs/<workload>/<folder>/label` (give a run a version
//! label), `/api/workloads`. Every run carries its test, version and regression verdict.

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::runs_page::{select, ListQuery};
use super::{lookup, regress, AppError, AppResult, AppState};
use crate::analysis::regression::{self, Judgement};
use crate::index::RunRow;

/// Longest version label accepted.
pub const MAX_LABEL: usize = 100;

/// A run as the API lists it: its row, plus `version` (label, else the nodes' version, else
/// `unknown`) and `regression` (the verdict of [`regression`]).
pub fn listed(r: &RunRow, j: Option<&Judgement>) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or_else(|_| json!({}));
    if let Some(o) = v.as_object_mut() {
        o.insert("version".into(), json!(r.version_shown()));
        o.insert(
            "regression".into(),
            j.map_or(Value::Null, |j| serde_json::to_value(j).unwrap_or_default()),
        );
    }
    v
}

/// Checks a label from a form or the API: trimmed, at most [`MAX_LABEL`] characters, no
/// control characters; blank means "remove".
pub fn clean_label(raw: Option<&str>) -> AppResult<Option<String>> {
    let Some(l) = raw.map(str::trim).filter(|l| !l.is_empty()) else {
        return Ok(None);
    };
    if l.chars().count() > MAX_LABEL || l.chars().any(char::is_control) {
        return Err(AppError::bad_request(format!(
            "a label is at most {MAX_LABEL} characters, without control characters"
        )));
    }
    Ok(Some(l.to_string()))
}

/// Body of `POST /api/runs/<workload>/<folder>/label`: `{"label": "v2"}`, or `null` / `""`
/// to remove it.
#[derive(Debug, Deserialize)]
pub struct LabelBody {
    pub label: Option<String>,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

pub async fn set_label(
    State(state): State<AppState>,
    Path((workload, run)): Path<(String, String)>,
    body: Result<Json<LabelBody>, axum::extract::rejection::JsonRejection>,
) -> AppResult<Json<Value>> {
    let row = lookup(&state, &workload, &run)?;
    let Json(body) = body.map_err(|e| {
        AppError::bad_request(format!("expected a JSON body {{\"label\": \"...\"}}: {e}"))
    })?;
    let label = clean_label(body.label.as_deref())?;
    state.index.set_label(&row.id, label.as_deref(), now_ms())?;
    let row = lookup(&state, &workload, &run)?;
    Ok(Json(json!({
        "run": row.id,
        "label": row.label,
        "version": row.version_shown(),
    })))
}

pub async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Value>> {
    let all = state.index.list(None)?;
    let judged = regression::judge_all(&all);
    let rows = select(all, &q, &judged);
    let runs: Vec<Value> = rows.iter().map(|r| listed(r, judged.get(&r.id))).collect();
    Ok(Json(json!({ "count": runs.len(), "runs": runs })))
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
    let judged = regress::judge_run_test(&state.index, &row)?;
    Ok(Json(json!({
        "run": listed(&row, judged.get(&row.id)),
        "test": summary.test,
        "version": row.version_shown(),
        "node_versions": summary.versions,
        "regression": judged.get(&row.id),
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
