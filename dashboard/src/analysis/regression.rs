//! The regression rule. Each run of a test is judged against the runs of the same test on the
//! previous version: their spread on each figure makes a band, and a run worse than the band
//! on a figure is *regressed* on it.
//!
//! For a figure where lower is better, the baseline runs' values give
//! `tolerance = max(K_SPREAD × (max − min), relative floor × median, absolute floor)` and the
//! band `[min − tolerance, max + tolerance]`; a run above `max + tolerance` is regressed, below
//! `min − tolerance` improved (mirrored where higher is better). Repeated runs of one version
//! show the noise (the spread term); the floors keep a baseline of one run, or of runs that
//! happened to agree, from flagging normal noise.
//!
//! "Previous version": versions of a test are ordered by their first run; a version's runs are
//! judged against the closest earlier version that has valid runs. Runs of an unknown version
//! are not judged and are no baseline. Invalid, aborted and unknown runs are no baseline;
//! such a run is itself regressed on `verdict` when every baseline run was valid.

use std::collections::HashMap;

use serde::Serialize;

use crate::index::RunRow;
use crate::summary::Verdict;

/// How much of the baseline's own spread (max − min) is added on each side.
pub const K_SPREAD: f64 = 0.5;

/// Which way a figure gets worse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Worse {
    Higher,
    Lower,
}

/// A judged figure and its tolerances.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Figure {
    pub key: &'static str,
    pub label: &'static str,
    pub unit: &'static str,
    pub worse: Worse,
    /// Smallest tolerance as a fraction of the baseline median.
    pub relative_floor: f64,
    /// Smallest tolerance in the figure's unit.
    pub absolute_floor: f64,
}

const fn latency(key: &'static str, label: &'static str, rel: f64, abs: f64) -> Figure {
    Figure {
        key,
        label,
        unit: "ms",
        worse: Worse::Higher,
        relative_floor: rel,
        absolute_floor: abs,
    }
}

/// Broadcast: stable latencies from results.edn.
pub const STABLE: [Figure; 3] = [
    latency("stable-p50", "stable latency p50", 0.20, 1.0),
    latency("stable-p99", "stable latency p99", 0.25, 2.0),
    latency("stable-max", "stable latency max", 0.35, 5.0),
];
/// Other workloads: latency of ok ops from history.edn. On the harness these are fractions
/// of a millisecond set by how the machine schedules the processes, so the tail gets wide
/// floors: repeated runs of one version of 5b/5c had op max from 57 to 213 ms and op p99
/// from 1.5 to 3.2 ms (docs/dashboard-regressions.md, "Calibration").
pub const OP: [Figure; 3] = [
    latency("op-p50", "op latency p50", 0.20, 1.0),
    latency("op-p99", "op latency p99", 0.50, 5.0),
    latency("op-max", "op latency max", 2.00, 100.0),
];

/// Under a partition nemesis, latency and msgs-per-op depend on where the partitions fall,
/// which differs from run to run: those figures are judged only against a band of at least
/// this many valid runs, whose spread shows that noise (3c's stable p50 was 0 ms on one
/// seed, 5355 ms on another, with the same code).
pub const MIN_BASE_UNDER_NEMESIS: usize = 3;
/// Every workload.
pub const COMMON: [Figure; 2] = [
    Figure {
        key: "mpo-servers",
        label: "msgs-per-op :servers",
        unit: "msgs/op",
        worse: Worse::Higher,
        relative_floor: 0.10,
        absolute_floor: 0.05,
    },
    Figure {
        key: "availability",
        label: "availability",
        unit: "fraction ok",
        worse: Worse::Lower,
        relative_floor: 0.0,
        absolute_floor: 0.02,
    },
];

/// The figures judged for a test: stable latencies when its runs have them, else op latency.
pub fn figures_for(stable: bool) -> Vec<Figure> {
    let lat = if stable { STABLE } else { OP };
    lat.into_iter().chain(COMMON).collect()
}

/// A figure's value in a row.
pub fn value(row: &RunRow, key: &str) -> Option<f64> {
    match key {
        "stable-p50" => row.stable_p50_ms,
        "stable-p99" => row.stable_p99_ms,
        "stable-max" => row.stable_max_ms,
        "op-p50" => row.op_p50_ms,
        "op-p99" => row.op_p99_ms,
        "op-max" => row.op_max_ms,
        "mpo-servers" => row.msgs_per_op_servers,
        "availability" => row.availability,
        _ => None,
    }
    .filter(|v| v.is_finite())
}

/// The accepted range of a figure, from the baseline runs' values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Band {
    pub lo: f64,
    pub hi: f64,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub runs: usize,
}

fn median(sorted: &[f64]) -> f64 {
    let n = sorted.len();
    if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    }
}

/// The band of `values` for `f`; `None` without values.
pub fn band(values: &[f64], f: &Figure) -> Option<Band> {
    let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let (min, max, med) = (v[0], v[v.len() - 1], median(&v));
    let tol = (K_SPREAD * (max - min))
        .max(f.relative_floor * med.abs())
        .max(f.absolute_floor);
    Some(Band {
        lo: min - tol,
        hi: max + tol,
        median: med,
        min,
        max,
        runs: v.len(),
    })
}

/// Where a value falls against a band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Place {
    Regressed,
    Within,
    Improved,
}

pub fn place(v: f64, b: &Band, worse: Worse) -> Place {
    let (bad, good) = match worse {
        Worse::Higher => (v > b.hi, v < b.lo),
        Worse::Lower => (v < b.lo, v > b.hi),
    };
    if bad {
        Place::Regressed
    } else if good {
        Place::Improved
    } else {
        Place::Within
    }
}

/// One figure of a judged run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FigureVerdict {
    pub figure: &'static str,
    pub label: &'static str,
    pub value: f64,
    pub band: Band,
    pub place: Place,
    /// How far outside the band, as a fraction of the band's edge-to-median distance (0 inside).
    pub excess: f64,
}

/// The verdict on one run.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Judgement {
    /// Worse than the previous version's band on at least one figure (or newly invalid).
    Regressed(Judged),
    /// Judged, and within the band (or better) on every figure.
    Ok(Judged),
    /// Nothing to judge against, with why.
    NotJudged { reason: String },
}

/// A run judged against a previous version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Judged {
    pub version: String,
    pub previous_version: String,
    /// The baseline run to compare with (see [`baseline_run`]).
    pub baseline: Option<String>,
    /// Keys of the figures (and `verdict`) it is regressed on, worst first.
    pub regressed_on: Vec<String>,
    pub figures: Vec<FigureVerdict>,
    /// Why some figures were left out, when they were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Judgement {
    pub fn is_regressed(&self) -> bool {
        matches!(self, Judgement::Regressed(_))
    }
    pub fn judged(&self) -> Option<&Judged> {
        match self {
            Judgement::Regressed(j) | Judgement::Ok(j) => Some(j),
            Judgement::NotJudged { .. } => None,
        }
    }
    pub fn status(&self) -> &'static str {
        match self {
            Judgement::Regressed(_) => "regressed",
            Judgement::Ok(_) => "ok",
            Judgement::NotJudged { .. } => "not_judged",
        }
    }
}

fn not_judged(reason: impl Into<String>) -> Judgement {
    Judgement::NotJudged {
        reason: reason.into(),
    }
}

fn usable(r: &RunRow) -> bool {
    r.verdict == Verdict::Valid
}

/// The baseline run for a judged run: the baseline run whose value on `figure` is closest to
/// the band's median (the most typical run of the previous version); ties go to the latest.
pub fn baseline_run<'a>(base: &[&'a RunRow], figure: &str, median: f64) -> Option<&'a RunRow> {
    base.iter()
        .filter_map(|r| value(r, figure).map(|v| (r, (v - median).abs())))
        .fold(None, |best: Option<(&&RunRow, f64)>, (r, d)| match best {
            Some((_, bd)) if bd < d => best,
            _ => Some((r, d)),
        })
        .map(|(r, _)| *r)
        .or_else(|| base.last().copied())
}

/// Judges every run of one test; `runs` in start order (oldest first).
pub fn judge_test(runs: &[&RunRow]) -> HashMap<String, Judgement> {
    let stable = runs.iter().any(|r| r.stable_p50_ms.is_some());
    let figs = figures_for(stable);
    // Versions in order of their first run.
    let mut order: Vec<&str> = Vec::new();
    for r in runs {
        if let Some(v) = r.version() {
            if !order.contains(&v) {
                order.push(v);
            }
        }
    }
    let mut out = HashMap::new();
    for r in runs {
        let j = match r.version() {
            None => not_judged("version unknown: give the run a label to judge it"),
            Some(v) => {
                let pos = order.iter().position(|o| *o == v).unwrap_or(0);
                judge_run(r, v, &order[..pos], runs, &figs)
            }
        };
        out.insert(r.id.clone(), j);
    }
    out
}

fn judge_run(
    r: &RunRow,
    version: &str,
    earlier: &[&str],
    runs: &[&RunRow],
    figs: &[Figure],
) -> Judgement {
    if earlier.is_empty() {
        return not_judged(if runs.iter().all(|x| x.version() == Some(version)) {
            "only one version of this test: nothing to judge against"
        } else {
            "first version of this test: nothing before it to judge against"
        });
    }
    // The closest earlier version with valid runs.
    let Some((prev, base)) = earlier.iter().rev().find_map(|p| {
        let base: Vec<&RunRow> = runs
            .iter()
            .copied()
            .filter(|x| x.version() == Some(*p) && usable(x))
            .collect();
        (!base.is_empty()).then_some((*p, base))
    }) else {
        return not_judged("no earlier version of this test has a valid run");
    };
    let mut regressed_on = Vec::new();
    let mut verdicts = Vec::new();
    let partitioned = r
        .nemesis
        .as_deref()
        .is_some_and(|n| !n.is_empty() && n != "none");
    let note = (partitioned && base.len() < MIN_BASE_UNDER_NEMESIS).then(|| {
        format!(
            "under partitions only availability and the verdict are judged until {prev} has \
             {MIN_BASE_UNDER_NEMESIS} valid runs (it has {}): latency and msgs-per-op depend on \
             where the partitions fall",
            base.len()
        )
    });
    let figs: Vec<Figure> = figs
        .iter()
        .copied()
        .filter(|f| note.is_none() || f.key == "availability")
        .collect();
    if r.verdict != Verdict::Valid {
        let all_valid = runs
            .iter()
            .filter(|x| x.version() == Some(prev))
            .all(|x| usable(x));
        if !all_valid {
            return not_judged(format!(
                "run {}: figures of such runs are not judged, and {prev} had failing runs too",
                r.verdict.as_str()
            ));
        }
        regressed_on.push("verdict".to_string());
    } else {
        for f in &figs {
            let base_values: Vec<f64> = base.iter().filter_map(|b| value(b, f.key)).collect();
            let (Some(b), Some(v)) = (band(&base_values, f), value(r, f.key)) else {
                continue;
            };
            let p = place(v, &b, f.worse);
            let edge = match f.worse {
                Worse::Higher => b.hi,
                Worse::Lower => b.lo,
            };
            let scale = (edge - b.median).abs().max(1e-12);
            let excess = if p == Place::Regressed {
                (v - edge).abs() / scale
            } else {
                0.0
            };
            verdicts.push(FigureVerdict {
                figure: f.key,
                label: f.label,
                value: v,
                band: b,
                place: p,
                excess,
            });
        }
        let mut worst: Vec<&FigureVerdict> = verdicts
            .iter()
            .filter(|v| v.place == Place::Regressed)
            .collect();
        worst.sort_by(|a, b| b.excess.total_cmp(&a.excess));
        regressed_on.extend(worst.iter().map(|v| v.figure.to_string()));
    }
    // The baseline is typical on the worst regressed figure, else on the first judged one.
    let pick = verdicts
        .iter()
        .find(|v| regressed_on.first().map(String::as_str) == Some(v.figure))
        .or_else(|| verdicts.first());
    let baseline = match pick {
        Some(v) => baseline_run(&base, v.figure, v.band.median),
        None => base.last().copied(),
    }
    .map(|b| b.id.clone());
    let judged = Judged {
        version: version.to_string(),
        previous_version: prev.to_string(),
        baseline,
        regressed_on,
        figures: verdicts,
        note,
    };
    if judged.regressed_on.is_empty() {
        Judgement::Ok(judged)
    } else {
        Judgement::Regressed(judged)
    }
}

/// Judges every run of every test in `rows` (any order). Runs without a test are not judged.
pub fn judge_all(rows: &[RunRow]) -> HashMap<String, Judgement> {
    let mut by_test: HashMap<&str, Vec<&RunRow>> = HashMap::new();
    let mut out = HashMap::new();
    for r in rows {
        match r.test_key.as_deref() {
            Some(k) => by_test.entry(k).or_default().push(r),
            None => {
                out.insert(
                    r.id.clone(),
                    not_judged("test unknown: jepsen.log has no command line"),
                );
            }
        }
    }
    for runs in by_test.values_mut() {
        runs.sort_by(|a, b| (a.start_ms, &a.id).cmp(&(b.start_ms, &b.id)));
        out.extend(judge_test(runs));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A valid run of a made-up broadcast test.
    fn run(i: usize, version: &str, p50: f64, p99: f64, max: f64, mpo: f64) -> RunRow {
        RunRow {
            id: format!("broadcast/run{i:02}"),
            workload: "broadcast".into(),
            dir_name: format!("run{i:02}"),
            start: None,
            start_ms: Some(i as i64 * 60_000),
            node_count: Some(25),
            nemesis: None,
            verdict: Verdict::Valid,
            msgs_per_op_servers: Some(mpo),
            msgs_per_op_all: None,
            stable_p50_ms: Some(p50),
            stable_p99_ms: Some(p99),
            stable_max_ms: Some(max),
            op_p50_ms: None,
            op_p99_ms: None,
            op_max_ms: None,
            key_figure: None,
            op_count: None,
            ok_count: None,
            fail_count: None,
            info_count: None,
            availability: Some(1.0),
            problems: 0,
            present: true,
            ingested_at_ms: 0,
            ingest_ms: 0.0,
            test_key: Some("3d".into()),
            test_name: Some("3d".into()),
            test_bin: Some("broadcast".into()),
            node_version: Some(version.into()),
            label: None,
        }
    }

    /// Five runs of one version with the spread repeated 3d runs show.
    fn noisy(version: &str, from: usize) -> Vec<RunRow> {
        let p50 = [412.0, 431.0, 398.0, 445.0, 420.0];
        let p99 = [640.0, 702.0, 611.0, 689.0, 655.0];
        let max = [780.0, 905.0, 744.0, 868.0, 812.0];
        let mpo = [21.4, 22.9, 20.8, 22.1, 21.7];
        (0..5)
            .map(|i| run(from + i, version, p50[i], p99[i], max[i], mpo[i]))
            .collect()
    }

    fn judge(rows: &[RunRow]) -> HashMap<String, Judgement> {
        judge_all(rows)
    }

    #[test]
    fn noise_of_repeated_runs_is_not_flagged() {
        // One version: nothing to judge.
        let one = noisy("v1", 0);
        assert!(judge(&one)
            .values()
            .all(|j| matches!(j, Judgement::NotJudged { .. })));
        // Two versions of the same code: the second five are within the first five's band,
        // in either order of the noise.
        let mut two = noisy("v1", 0);
        let mut again = noisy("v2", 5);
        again.reverse();
        two.extend(again);
        let j = judge(&two);
        for r in &two[5..] {
            assert_eq!(j[&r.id].status(), "ok", "{}: {:?}", r.id, j[&r.id]);
        }
    }

    #[test]
    fn a_real_shift_is_flagged_with_a_typical_baseline() {
        let mut rows = noisy("v1", 0);
        rows.push(run(5, "v2", 610.0, 980.0, 1300.0, 21.9));
        let j = judge(&rows);
        let Judgement::Regressed(r) = &j["broadcast/run05"] else {
            panic!("{:?}", j["broadcast/run05"]);
        };
        assert_eq!(r.previous_version, "v1");
        assert!(r.regressed_on.contains(&"stable-p50".to_string()), "{r:?}");
        assert!(
            !r.regressed_on.contains(&"mpo-servers".to_string()),
            "{r:?}"
        );
        // Typical baseline on the worst figure: the run nearest the median.
        let worst = &r.regressed_on[0];
        let fv = r.figures.iter().find(|f| f.figure == *worst).unwrap();
        let base = rows[..5]
            .iter()
            .min_by(|a, b| {
                let d = |x: &RunRow| (value(x, worst).unwrap() - fv.band.median).abs();
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        assert_eq!(r.baseline.as_deref(), Some(base.id.as_str()));
        // More messages alone is a regression too.
        let mut rows = noisy("v1", 0);
        rows.push(run(5, "v2", 420.0, 650.0, 800.0, 30.0));
        let j = judge(&rows);
        let Judgement::Regressed(r) = &j["broadcast/run05"] else {
            panic!("{:?}", j["broadcast/run05"]);
        };
        assert_eq!(r.regressed_on, vec!["mpo-servers".to_string()]);
    }

    #[test]
    fn a_single_new_run_is_judged_against_the_previous_versions_band() {
        // v1 (5 runs), v2 (1 run, slower), v3 (1 run as fast as v1): v3 is judged against v2.
        let mut rows = noisy("v1", 0);
        rows.push(run(5, "v2", 700.0, 1100.0, 1500.0, 21.0));
        rows.push(run(6, "v3", 410.0, 640.0, 790.0, 21.0));
        let j = judge(&rows);
        assert!(j["broadcast/run05"].is_regressed());
        let Judgement::Ok(r) = &j["broadcast/run06"] else {
            panic!("{:?}", j["broadcast/run06"]);
        };
        assert_eq!(r.previous_version, "v2");
        assert_eq!(r.baseline.as_deref(), Some("broadcast/run05"));
        // Against a one-run baseline the relative floor is the band: 15% slower p50 passes
        // (floor 20%), 30% slower does not.
        let p50 = r.figures.iter().find(|f| f.figure == "stable-p50").unwrap();
        assert_eq!(p50.place, Place::Improved);
        let base = [run(0, "a", 400.0, 600.0, 800.0, 20.0)];
        let within = [base[0].clone(), run(1, "b", 460.0, 600.0, 800.0, 20.0)];
        assert_eq!(judge(&within)["broadcast/run01"].status(), "ok");
        let worse = [base[0].clone(), run(1, "b", 520.0, 600.0, 800.0, 20.0)];
        assert!(judge(&worse)["broadcast/run01"].is_regressed());
    }

    #[test]
    fn under_partitions_latency_waits_for_three_baseline_runs() {
        let part = |mut r: RunRow| {
            r.nemesis = Some("partition".into());
            r
        };
        // 3c on two seeds of one schedule, then a new version on a seed whose partitions
        // fall late: stable p50 0 → 5355 ms with the same code.
        let mut runs: Vec<RunRow> = vec![
            part(run(0, "v1", 0.0, 2036.0, 2232.0, 1.69)),
            part(run(1, "v1", 0.0, 2036.0, 2232.0, 1.68)),
            part(run(2, "v2", 5355.0, 16857.0, 16857.0, 2.50)),
        ];
        let j = judge(&runs);
        let Judgement::Ok(r) = &j["broadcast/run02"] else {
            panic!("{:?}", j["broadcast/run02"]);
        };
        assert!(r
            .note
            .as_deref()
            .is_some_and(|n| n.contains("3 valid runs")));
        let keys: Vec<&str> = r.figures.iter().map(|f| f.figure).collect();
        assert_eq!(keys, ["availability"]);
        // Availability is still judged.
        runs[2].availability = Some(0.5);
        assert!(judge(&runs)["broadcast/run02"].is_regressed());
        // With three baseline runs the latencies are judged, against their spread.
        runs[2].availability = Some(1.0);
        runs.insert(2, part(run(2, "v1", 5355.0, 16857.0, 16857.0, 2.50)));
        runs[3] = part(run(3, "v2", 4000.0, 15000.0, 15000.0, 2.4));
        let j = judge(&runs);
        let Judgement::Ok(r) = &j["broadcast/run03"] else {
            panic!("{:?}", j["broadcast/run03"]);
        };
        assert!(r.note.is_none() && r.figures.len() == STABLE.len() + COMMON.len());
        runs[3] = part(run(3, "v2", 20_000.0, 60_000.0, 60_000.0, 2.4));
        assert!(judge(&runs)["broadcast/run03"].is_regressed());
    }

    #[test]
    fn invalid_and_unknown_runs() {
        let mut rows = noisy("v1", 0);
        // An invalid v1 run is no baseline: a fast bogus figure does not narrow the band.
        let mut bogus = run(5, "v1", 1.0, 1.0, 1.0, 1.0);
        bogus.verdict = Verdict::Invalid;
        rows.push(bogus);
        let mut broken = run(6, "v2", 420.0, 650.0, 800.0, 21.0);
        broken.verdict = Verdict::Invalid;
        rows.push(broken);
        let mut unknown = run(7, "x", 9000.0, 9000.0, 9000.0, 90.0);
        unknown.node_version = None;
        rows.push(unknown);
        let j = judge(&rows);
        // v1 had an invalid run too: v2's invalid run is not a new failure.
        assert_eq!(j["broadcast/run06"].status(), "not_judged");
        assert!(
            matches!(&j["broadcast/run07"], Judgement::NotJudged { reason } if reason.contains("label"))
        );
        // Every v1 run valid, the v2 run invalid: regressed on its verdict.
        let mut rows = noisy("v1", 0);
        let mut broken = run(6, "v2", 420.0, 650.0, 800.0, 21.0);
        broken.verdict = Verdict::Aborted;
        rows.push(broken);
        let Judgement::Regressed(r) = &judge(&rows)["broadcast/run06"] else {
            panic!()
        };
        assert_eq!(r.regressed_on, vec!["verdict".to_string()]);
        // A previous version with only invalid runs is skipped for the one before it.
        let mut rows = noisy("v1", 0);
        let mut bad = run(5, "v2", 420.0, 650.0, 800.0, 21.0);
        bad.verdict = Verdict::Invalid;
        rows.push(bad);
        rows.push(run(6, "v3", 1000.0, 1650.0, 2800.0, 21.0));
        let Judgement::Regressed(r) = &judge(&rows)["broadcast/run06"] else {
            panic!()
        };
        assert_eq!(r.previous_version, "v1");
    }

    #[test]
    fn labels_act_as_versions() {
        let mut rows = noisy("v1", 0);
        for r in &mut rows {
            r.node_version = None;
        }
        rows[3].label = Some("fast".into());
        rows[4].label = Some("fast".into());
        let mut slow = run(5, "ignored", 900.0, 1400.0, 1800.0, 21.0);
        slow.node_version = None;
        slow.label = Some("slow".into());
        rows.push(slow);
        let j = judge(&rows);
        let Judgement::Regressed(r) = &j["broadcast/run05"] else {
            panic!("{:?}", j["broadcast/run05"])
        };
        assert_eq!(r.previous_version, "fast");
        assert!(matches!(j["broadcast/run00"], Judgement::NotJudged { .. }));
    }
}
