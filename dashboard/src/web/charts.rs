//! Charts, drawn on the server with plotters as SVG: latency over time and throughput over
//! time for a run (partition windows shaded), latency CDFs of two runs overlaid, and one
//! figure of a test across its runs, coloured by version with the judging band shaded. A chart that cannot be drawn becomes an SVG saying why.

use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Deserialize;

use super::trend_page::{TestTrend, TrendQuery};
use super::{lookup, lookup_id, AppError, AppResult, AppState};
use crate::analysis::history::HistoryAnalysis;
use crate::analysis::regression;
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

/// Grey for runs of an unknown version.
const UNKNOWN_GREY: RGBColor = RGBColor(0x9a, 0xa0, 0xa6);

/// The colour of the `i`-th version of a test (grey for `unknown`).
pub fn version_color(i: usize, version: &str) -> RGBColor {
    if version == crate::index::UNKNOWN_VERSION {
        UNKNOWN_GREY
    } else {
        color(i)
    }
}

/// [`version_color`] as CSS, for the page's legend.
pub fn version_color_css(i: usize, version: &str) -> String {
    let RGBColor(r, g, b) = version_color(i, version);
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// One run on a trend chart.
#[derive(Debug, Clone)]
pub struct TrendPoint {
    pub value: Option<f64>,
    /// Index into the version names (its colour).
    pub version: usize,
    /// The band the run was judged against on this figure.
    pub band: Option<(f64, f64)>,
    pub regressed: bool,
}

/// One figure over a test's runs in start order (x = run number): a grey line through every
/// run, points coloured by version, the band each run was judged against shaded in its
/// version's colour, regressed runs ringed in red.
pub fn by_version(title: &str, y_desc: &str, versions: &[String], points: &[TrendPoint]) -> String {
    render(title, |area| {
        let n = points.len().max(1);
        let top = points
            .iter()
            .flat_map(|p| p.value.into_iter().chain(p.band.map(|b| b.1)))
            .fold(0.0, f64::max);
        // All zero (a 1-node broadcast's stable latency): an axis up to 1, not to 1e-9.
        let top = if top > 0.0 { top * 1.15 } else { 1.0 };
        let mut chart = ChartBuilder::on(area)
            .margin(12)
            .x_label_area_size(38)
            .y_label_area_size(64)
            .build_cartesian_2d(-0.5..(n as f64 - 0.5), 0.0..top)
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
        let col = |v: usize| version_color(v, versions.get(v).map_or("", String::as_str));
        chart
            .draw_series(points.iter().enumerate().filter_map(|(x, p)| {
                let (lo, hi) = p.band?;
                let x = x as f64;
                Some(Rectangle::new(
                    [(x - 0.5, lo.max(0.0)), (x + 0.5, hi.min(top))],
                    col(p.version).mix(0.15).filled(),
                ))
            }))
            .map_err(err)?;
        let line: Vec<(f64, f64)> = points
            .iter()
            .enumerate()
            .filter_map(|(x, p)| p.value.map(|v| (x as f64, v)))
            .collect();
        chart
            .draw_series(LineSeries::new(line, UNKNOWN_GREY.mix(0.6).stroke_width(1)))
            .map_err(err)?;
        for (vi, name) in versions.iter().enumerate() {
            let c = col(vi);
            let pts: Vec<(f64, f64)> = points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.version == vi)
                .filter_map(|(x, p)| p.value.map(|v| (x as f64, v)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            chart
                .draw_series(pts.into_iter().map(|p| Circle::new(p, 4, c.filled())))
                .map_err(err)?
                .label(name.clone())
                .legend(move |(x, y)| Circle::new((x, y), 4, c.filled()));
        }
        chart
            .draw_series(points.iter().enumerate().filter_map(|(x, p)| {
                let v = p.value.filter(|_| p.regressed)?;
                Some(Circle::new((x as f64, v), 8, FAIL.stroke_width(2)))
            }))
            .map_err(err)?;
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 13))
            .position(SeriesLabelPosition::UpperLeft)
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

/// A short legend label for a run: workload, start and version.
pub fn run_label(r: &RunRow) -> String {
    let when = r
        .start
        .as_deref()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| r.dir_name.clone());
    format!(
        "{} {} ({})",
        r.test_name.as_deref().unwrap_or(&r.workload),
        when,
        super::regress::short_version(r.version_shown())
    )
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

/// `/trend/chart/<figure>.svg?test=<key>`: one figure of [`crate::analysis::regression`]
/// (`stable-p99`, `op-p50`, `mpo-servers`, `availability`, ...) across a test's runs.
pub async fn trend_chart(
    State(state): State<AppState>,
    Path(chart): Path<String>,
    Query(q): Query<TrendQuery>,
) -> AppResult<Response> {
    let key = q
        .test
        .filter(|t| !t.is_empty())
        .ok_or_else(|| AppError::bad_request("give ?test=<test key> (see /trend)"))?;
    let name = chart
        .strip_suffix(".svg")
        .ok_or_else(|| AppError::not_found("no such chart"))?;
    let t = TestTrend::load(&state, &key)?;
    let figure = *t
        .figures
        .iter()
        .find(|f| f.key == name)
        .ok_or_else(|| AppError::not_found("no such chart for this test"))?;
    let points: Vec<TrendPoint> = t
        .rows
        .iter()
        .map(|r| {
            let judged = t.judged.get(&r.id).and_then(|j| j.judged());
            let fv = judged.and_then(|j| j.figures.iter().find(|f| f.figure == figure.key));
            TrendPoint {
                value: regression::value(r, figure.key),
                version: t.version_index(r),
                band: fv.map(|f| (f.band.lo, f.band.hi)),
                regressed: fv.is_some_and(|f| f.place == regression::Place::Regressed),
            }
        })
        .collect();
    let versions = t.versions.clone();
    let svg = tokio::task::spawn_blocking(move || {
        by_version(figure.label, figure.unit, &versions, &points)
    })
    .await
    .map_err(AppError::internal)?;
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
        let p = |value, version, regressed| TrendPoint {
            value,
            version,
            band: Some((1.0, 2.0)),
            regressed,
        };
        let svg = by_version(
            "t",
            "y",
            &["v1".into(), "unknown".into()],
            &[
                p(None, 0, false),
                p(Some(1.0), 0, false),
                p(Some(3.0), 1, true),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.contains("\nv1\n"), "{svg}");
        assert!(
            svg.contains("stroke=\"#CF222E\""),
            "regressed run ringed: {svg}"
        );
        assert!(by_version("t", "y", &[], &[]).starts_with("<svg"));
        assert!(message("nothing to draw").contains("nothing to draw"));
    }
}
