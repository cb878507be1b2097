//! Charts, drawn on the server with plotters as SVG: latency over time and throughput over
//! time for a run (partition windows shaded), latency CDFs of two runs overlaid, and a
//! workload's figures across runs. A chart that cannot be drawn becomes an SVG saying why.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use super::{lookup, lookup_id, AppError, AppResult, AppState};
use crate::analysis::history::HistoryAnalysis;
use crate::index::RunRow;

const SIZE: (u32, u32) = (900, 420);
const PARTITION: RGBColor = RGBColor(0xd0, 0xd4, 0xd9);
const PALETTE: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0xbc, 0xbd, 0x22),
];
const OK: RGBColor = RGBColor(0x1a, 0x7f, 0x37);
const FAIL: RGBColor = RGBColor(0xcf, 0x22, 0x2e);
const INFO: RGBColor = RGBColor(0xd9, 0x8c, 0x00);
const FONT: &str = "sans-serif";

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;
type DrawResult = Result<(), String>;
type BucketCount = fn(&crate::analysis::history::Bucket) -> u32;

fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Renders with `draw` into an SVG string; on error, an SVG that says what went wrong.
pub fn render(title: &str, draw: impl FnOnce(&Area) -> DrawResult) -> String {
    let mut svg = String::new();
    let outcome = {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE)
            .map_err(err)
            .and_then(|_| root.titled(title, (FONT, 17)).map_err(err))
            .and_then(|area| draw(&area))
            .and_then(|_| root.present().map_err(err))
    };
    match outcome {
        Ok(()) => svg,
        Err(e) => message(&format!("{title}: chart unavailable ({e})")),
    }
}

/// An SVG holding one line of text.
pub fn message(text: &str) -> String {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (SIZE.0, 60)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let _ = root.draw(&Text::new(text.to_string(), (10, 25), (FONT, 15)));
        let _ = root.present();
    }
    svg
}

fn shade_partitions<DB: DrawingBackend, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<DB, CT>,
    windows: &[(f64, f64)],
    y: (f64, f64),
) -> DrawResult {
    chart
        .draw_series(
            windows
                .iter()
                .map(|(a, b)| Rectangle::new([(*a, y.0), (*b, y.1)], PARTITION.mix(0.55).filled())),
        )
        .map_err(err)?;
    Ok(())
}

/// Latency of every kept op against its invoke time, log scale, by `:f` and outcome.
pub fn latency_over_time(h: &HistoryAnalysis) -> String {
    render("Latency over time", |area| {
        let x_max = h.duration_s.max(1.0);
        let y_min = h
            .points
            .iter()
            .map(|p| p.ms)
            .filter(|m| *m > 0.0)
            .fold(f64::INFINITY, f64::min)
            .clamp(0.01, 1.0)
            * 0.8;
        let y_max = h.points.iter().map(|p| p.ms).fold(1.0, f64::max) * 1.5;
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, (y_min..y_max).log_scale())
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("latency (ms)")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        shade_partitions(&mut chart, &h.partitions, (y_min, y_max))?;
        for (fi, f) in h.fs.iter().enumerate() {
            let c = color(fi);
            let pts = || h.points.iter().filter(move |p| p.f as usize == fi);
            let clamp = move |ms: f64| ms.max(y_min);
            chart
                .draw_series(
                    pts()
                        .filter(|p| p.outcome == 0)
                        .map(|p| Circle::new((p.t, clamp(p.ms)), 2, c.mix(0.7).filled())),
                )
                .map_err(err)?
                .label(f.clone())
                .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
            chart
                .draw_series(
                    pts()
                        .filter(|p| p.outcome == 1)
                        .map(|p| Cross::new((p.t, clamp(p.ms)), 4, FAIL.stroke_width(1))),
                )
                .map_err(err)?;
            chart
                .draw_series(
                    pts()
                        .filter(|p| p.outcome == 2)
                        .map(|p| TriangleMarker::new((p.t, clamp(p.ms)), 4, INFO.filled())),
                )
                .map_err(err)?;
        }
        if !h.fs.is_empty() {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font((FONT, 13))
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(err)?;
        }
        Ok(())
    })
}

/// Completions per second by outcome.
pub fn throughput_over_time(h: &HistoryAnalysis) -> String {
    render("Throughput over time", |area| {
        let w = h.bucket_s.max(1.0);
        let rate = |n: u32| n as f64 / w;
        let y_max = h
            .throughput
            .iter()
            .map(|b| rate(b.ok).max(rate(b.fail)).max(rate(b.info)))
            .fold(1.0, f64::max)
            * 1.15;
        let x_max = h.duration_s.max(1.0);
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(64)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("time (s)")
            .y_desc("ops/s")
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        shade_partitions(&mut chart, &h.partitions, (0.0, y_max))?;
        let series: [(&str, RGBColor, BucketCount); 3] = [
            ("ok", OK, |b| b.ok),
            ("fail", FAIL, |b| b.fail),
            ("info", INFO, |b| b.info),
        ];
        for (name, c, get) in series {
            if h.throughput.iter().all(|b| get(b) == 0) {
                continue;
            }
            chart
                .draw_series(LineSeries::new(
                    h.throughput.iter().map(|b| (b.t + w / 2.0, rate(get(b)))),
                    c.stroke_width(2),
                ))
                .map_err(err)?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()
            .map_err(err)?;
        Ok(())
    })
}

/// Latency CDFs (ms, fraction) of several runs overlaid.
pub fn cdf_overlay(runs: &[(String, Vec<(f64, f64)>)]) -> String {
    cdf_overlay_with(
        "Latency CDF, ok ops",
        "latency (ms, log)",
        "fraction of ops ≤ x",
        runs,
    )
}

/// CDFs (value, fraction) of several runs overlaid, log x axis, with the given title and
/// axis descriptions.
pub fn cdf_overlay_with(
    title: &str,
    x_desc: &str,
    y_desc: &str,
    runs: &[(String, Vec<(f64, f64)>)],
) -> String {
    render(title, |area| {
        let all = runs.iter().flat_map(|(_, c)| c.iter().map(|p| p.0));
        let x_min = all
            .clone()
            .filter(|x| *x > 0.0)
            .fold(f64::INFINITY, f64::min)
            .clamp(0.001, 1.0);
        let x_max = all.fold(1.0, f64::max) * 1.2;
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(54)
            .build_cartesian_2d((x_min..x_max).log_scale(), 0.0..1.0)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_desc)
            .y_desc(y_desc)
            .draw()
            .map_err(err)?;
        for (i, (label, cdf)) in runs.iter().enumerate() {
            let c = color(i);
            chart
                .draw_series(LineSeries::new(
                    cdf.iter().map(|(x, y)| (x.max(x_min), *y)),
                    c.stroke_width(2),
                ))
                .map_err(err)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()
            .map_err(err)?;
        Ok(())
    })
}

/// Several named series over the runs of a workload (x = run number in start order).
pub fn across_runs(title: &str, y_desc: &str, series: &[(String, Vec<Option<f64>>)]) -> String {
    render(title, |area| {
        let n = series
            .iter()
            .map(|(_, v)| v.len())
            .max()
            .unwrap_or(0)
            .max(1);
        let y_max = series
            .iter()
            .flat_map(|(_, v)| v.iter().flatten())
            .fold(0.0, |a: f64, b| a.max(*b))
            .max(1e-9)
            * 1.15;
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..y_max)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("run (oldest → newest)")
            .y_desc(y_desc)
            // Runs sit on whole numbers; label only those ticks so no run number repeats.
            .x_label_formatter(&|x| {
                if (x - x.round()).abs() < 1e-6 {
                    format!("{}", x.round() as i64 + 1)
                } else {
                    String::new()
                }
            })
            .draw()
            .map_err(err)?;
        for (i, (label, values)) in series.iter().enumerate() {
            let c = color(i);
            let pts: Vec<(f64, f64)> = values
                .iter()
                .enumerate()
                .filter_map(|(x, v)| v.map(|v| (x as f64, v)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
                .map_err(err)?
                .label(label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2))
                });
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 3, c.filled())))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .draw()
            .map_err(err)?;
        Ok(())
    })
}

/// An SVG body, not cached.
pub fn svg_response(svg: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        svg,
    )
        .into_response()
}

/// `/run/<workload>/<folder>/chart/{latency,throughput}.svg`
pub async fn run_chart(
    State(state): State<AppState>,
    Path((workload, run, chart)): Path<(String, String, String)>,
) -> AppResult<Response> {
    let row = lookup(&state, &workload, &run)?;
    if chart != "latency.svg" && chart != "throughput.svg" {
        return Err(AppError::not_found("no such chart"));
    }
    let h = state.index.history(&row.id)?;
    let svg = tokio::task::spawn_blocking(move || match h {
        None => message("No history.edn for this run"),
        Some(h) if chart == "latency.svg" => latency_over_time(&h),
        Some(h) => throughput_over_time(&h),
    })
    .await
    .map_err(AppError::internal)?;
    Ok(svg_response(svg))
}

#[derive(Debug, Deserialize)]
pub struct PairQuery {
    pub a: Option<String>,
    pub b: Option<String>,
}

/// A short legend label for a run.
pub fn run_label(r: &RunRow) -> String {
    let when = r
        .start
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| r.dir_name.clone());
    format!("{} {}", r.workload, when)
}

/// `/compare/chart/cdf.svg?a=<id>&b=<id>`
pub async fn compare_chart(
    State(state): State<AppState>,
    Query(q): Query<PairQuery>,
) -> AppResult<Response> {
    let mut runs = Vec::new();
    for id in [q.a, q.b].into_iter().flatten() {
        let row = lookup_id(&state, &id)?;
        let cdf = state
            .index
            .history(&row.id)?
            .map(|h| h.cdf)
            .unwrap_or_default();
        runs.push((run_label(&row), cdf));
    }
    if runs.is_empty() {
        return Err(AppError::bad_request("give runs as ?a=<id>&b=<id>"));
    }
    let svg = tokio::task::spawn_blocking(move || {
        if runs.iter().all(|(_, c)| c.is_empty()) {
            message("Neither run has a history.edn with ok ops")
        } else {
            cdf_overlay(&runs)
        }
    })
    .await
    .map_err(AppError::internal)?;
    Ok(svg_response(svg))
}

#[derive(Debug, Deserialize)]
pub struct TrendQuery {
    pub workload: Option<String>,
}

/// `/trend/chart/{msgs-per-op,latency}.svg?workload=<w>`
pub async fn trend_chart(
    State(state): State<AppState>,
    Path(chart): Path<String>,
    Query(q): Query<TrendQuery>,
) -> AppResult<Response> {
    let workload = q
        .workload
        .ok_or_else(|| AppError::bad_request("give ?workload=<name>"))?;
    let mut rows = state.index.list(Some(&workload))?;
    if rows.is_empty() {
        return Err(AppError::not_found("no runs of that workload"));
    }
    rows.reverse();
    let svg = tokio::task::spawn_blocking(move || match chart.as_str() {
        "msgs-per-op.svg" => Ok(across_runs(
            "Messages per op",
            "msgs/op",
            &[
                (
                    ":servers".into(),
                    rows.iter().map(|r| r.msgs_per_op_servers).collect(),
                ),
                (
                    ":all".into(),
                    rows.iter().map(|r| r.msgs_per_op_all).collect(),
                ),
            ],
        )),
        "latency.svg" => {
            let stable = rows.iter().any(|r| r.stable_p50_ms.is_some());
            let series: Vec<(String, Vec<Option<f64>>)> = if stable {
                vec![
                    (
                        "stable p50".into(),
                        rows.iter().map(|r| r.stable_p50_ms).collect(),
                    ),
                    (
                        "stable p99".into(),
                        rows.iter().map(|r| r.stable_p99_ms).collect(),
                    ),
                    (
                        "stable max".into(),
                        rows.iter().map(|r| r.stable_max_ms).collect(),
                    ),
                    ("op p99".into(), rows.iter().map(|r| r.op_p99_ms).collect()),
                ]
            } else {
                vec![
                    ("op p50".into(), rows.iter().map(|r| r.op_p50_ms).collect()),
                    ("op p99".into(), rows.iter().map(|r| r.op_p99_ms).collect()),
                    ("op max".into(), rows.iter().map(|r| r.op_max_ms).collect()),
                ]
            };
            Ok(across_runs("Latency quantiles", "ms", &series))
        }
        _ => Err(AppError::not_found("no such chart")),
    })
    .await
    .map_err(AppError::internal)??;
    Ok(svg_response(svg))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::history::analyse;

    const H: &str = "\
{:index 0, :time 0, :type :info, :process :nemesis, :f :start-partition, :value :one}
{:index 1, :time 1000000, :type :invoke, :process 0, :f :read, :value nil}
{:index 2, :time 3000000, :type :ok, :process 0, :f :read, :value [1]}
{:index 3, :time 2000000000, :type :info, :process :nemesis, :f :stop-partition, :value nil}
{:index 4, :time 2500000000, :type :invoke, :process 1, :f :broadcast, :value 1}
{:index 5, :time 2600000000, :type :fail, :process 1, :f :broadcast, :value 1}
";

    #[test]
    fn run_charts_shade_partitions_and_name_ops() {
        let h = analyse(H);
        let svg = latency_over_time(&h);
        assert!(svg.starts_with("<svg"), "{svg}");
        assert!(svg.contains("fill=\"#D0D4D9\""), "partition window drawn");
        assert!(
            svg.contains("\nread\n") && svg.contains("\nbroadcast\n"),
            "legend by :f"
        );
        let svg = throughput_over_time(&h);
        assert!(svg.contains("fill=\"#D0D4D9\"") && svg.contains("\nfail\n"));
    }

    #[test]
    fn empty_inputs_still_draw() {
        let h = analyse("");
        assert!(latency_over_time(&h).starts_with("<svg"));
        assert!(throughput_over_time(&h).starts_with("<svg"));
        assert!(cdf_overlay(&[("a".into(), vec![])]).starts_with("<svg"));
        assert!(across_runs("t", "y", &[("s".into(), vec![None, Some(1.0)])]).starts_with("<svg"));
        assert!(message("nothing to draw").contains("nothing to draw"));
    }
}
