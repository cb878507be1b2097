//! What every page shows of a run's identity and judgement: its test, its version (or label)
//! and the regression badge linked to compare with the baseline run
//! ([`crate::analysis::regression`]).

use std::collections::HashMap;

use maud::{html, Markup};

use super::format;
use crate::analysis::regression::{self, Judgement};
use crate::index::{Index, RunRow};

/// Judgements of every run in the index.
pub fn judge_index(index: &Index) -> crate::index::Result<HashMap<String, Judgement>> {
    Ok(regression::judge_all(&index.list(None)?))
}

/// Judgements of the runs of one test (all its runs are needed to judge any of them).
pub fn judge_run_test(
    index: &Index,
    row: &RunRow,
) -> crate::index::Result<HashMap<String, Judgement>> {
    match &row.test_key {
        Some(k) => {
            let runs = index.list_test(k)?;
            let refs: Vec<&RunRow> = runs.iter().collect();
            Ok(regression::judge_test(&refs))
        }
        None => Ok(regression::judge_all(std::slice::from_ref(row))),
    }
}

/// The trend of a run's test.
pub fn trend_href(test_key: &str) -> String {
    format!("/trend?test={}", format::encode(test_key))
}

/// The test cell: challenge id or short form, titled with the whole test, linked to its trend.
pub fn test_cell(r: &RunRow) -> Markup {
    html! {
        @match &r.test_key {
            Some(k) => a.test-link href=(trend_href(k)) title=(k) {
                (r.test_name.as_deref().unwrap_or("?"))
                @if let Some(b) = &r.test_bin { " " span.muted { "· " (b) } }
            },
            None => { (r.workload) " " span.muted.unknown title="jepsen.log has no command line" { "(test unknown)" } },
        }
    }
}

/// The version cell: the label (marked as one) or the nodes' version, or `unknown`.
pub fn version_cell(r: &RunRow) -> Markup {
    let label_title = match &r.node_version {
        Some(n) => format!("label given by hand; the nodes say {n}"),
        None => "label given by hand".to_string(),
    };
    html! {
        @match (&r.label, &r.node_version) {
            (Some(l), _) => span.version.label title=(label_title) { (l) " " span.muted { "(label)" } },
            (None, Some(v)) => span.version.mono { (v) },
            (None, None) => span.version.unknown.muted title="the nodes named no version; give the run a label on its page" { "unknown" },
        }
    }
}

/// The regression badge of a run: `regressed` (figures, link to compare with the baseline),
/// `ok` (within the previous version's band), or a muted dash saying why it is not judged.
pub fn badge(run_id: &str, j: Option<&Judgement>) -> Markup {
    match j {
        Some(Judgement::Regressed(r)) => html! {
            span.regressed title={ "worse than the band of " (r.previous_version) } {
                "regressed on " (regressed_labels(r))
                @if let Some(b) = &r.baseline {
                    " " a.compare-baseline href=(format::compare_href(b, run_id)) { "compare" }
                }
            }
        },
        Some(Judgement::Ok(r)) => html! {
            span.within title={ "within the band of " (r.previous_version) @if let Some(n) = &r.note { "; " (n) } } {
                "ok vs " (short_version(&r.previous_version))
                @if let Some(b) = &r.baseline {
                    " " a.compare-baseline href=(format::compare_href(b, run_id)) { "compare" }
                }
            }
        },
        Some(Judgement::NotJudged { reason }) => html! {
            span.not-judged.muted title=(reason) { "—" }
        },
        None => html! { span.not-judged.muted { "—" } },
    }
}

/// What a run is regressed on, as a person reads it: `stable latency p50, stable latency max`.
fn regressed_labels(r: &regression::Judged) -> String {
    let label = |key: &str| -> String {
        let f = r.figures.iter().find(|f| f.figure == key);
        f.map_or(key, |f| f.label).to_string()
    };
    r.regressed_on
        .iter()
        .map(|k| label(k))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A version cut for narrow cells: the commit part of `0.1.0+3f2a9c1d7e4b.dirty.1a2b3c4d`.
pub fn short_version(v: &str) -> String {
    match v.split_once('+') {
        Some((_, build)) if build.len() > 12 => {
            let (commit, dirty) = build.split_at(12);
            format!("{commit}{}", if dirty.is_empty() { "" } else { "*" })
        }
        Some((_, build)) => build.to_string(),
        None => v.chars().take(24).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::short_version;

    #[test]
    fn short_versions() {
        assert_eq!(short_version("0.1.0+3f2a9c1d7e4b"), "3f2a9c1d7e4b");
        assert_eq!(
            short_version("0.1.0+3f2a9c1d7e4b.dirty.1a2b3c4d"),
            "3f2a9c1d7e4b*"
        );
        assert_eq!(short_version("0.1.0+unknown"), "unknown");
        assert_eq!(short_version("fast"), "fast");
    }
}
