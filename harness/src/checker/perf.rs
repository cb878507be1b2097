//! `:perf` (MAELSTROM.md §8.1): latency and rate plots, as SVG (Maelstrom writes PNGs with
//! gnuplot).
//!
//! * `latency-raw.svg`: every client op's latency (completion time − invoke time, ms, log
//!   scale) against its invoke time (s); colour by outcome (ok, info, fail), marker by `:f`.
//! * `latency-quantiles.svg`: per `:f`, the 0.5/0.95/0.99/1 latency quantiles over 30 s
//!   buckets (plotted at bucket midpoints; quantile index `min(n−1, floor(n·q))`).
//! * `rate.svg`: completions per second per `:f` and outcome over 10 s buckets.
//!
//! Partition periods (a nemesis `:start-partition` until the following `:stop-partition`, or
//! the end of the history) are shaded grey on every plot. Invokes without a completion have no
//! latency and are left out. Result: `{:latency-graph {:valid? true}, :rate-graph {:valid?
//! true}, :valid? true}`; a plotting error turns that graph into `{:valid? :unknown, :error
//! "..."}`. Without a run folder (`RunFacts::dir` = `None`) nothing is written.

use std::collections::BTreeMap;
use std::path::Path;

use glomers_model::{Op, OpType, Process, Value};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

use super::util::{is_client, merge_valid, unknown_with_error, Pairs, Validity};
use super::RunFacts;

/// Bucket width of the quantile plot, seconds.
pub const QUANTILE_BUCKET_SECS: f64 = 30.0;
/// Bucket width of the rate plot, seconds.
pub const RATE_BUCKET_SECS: f64 = 10.0;
/// Quantiles of the quantile plot.
pub const PLOT_QUANTILES: [f64; 4] = [0.5, 0.95, 0.99, 1.0];

const SIZE: (u32, u32) = (900, 400);
const OK_COLOR: RGBColor = RGBColor(0x81, 0xBF, 0xFC);
const INFO_COLOR: RGBColor = RGBColor(0xFF, 0xA4, 0x00);
const FAIL_COLOR: RGBColor = RGBColor(0xFF, 0x1E, 0x90);
const NEMESIS_COLOR: RGBColor = RGBColor(0xCC, 0xCC, 0xCC);
const OUTCOMES: [OpType; 3] = [OpType::Ok, OpType::Info, OpType::Fail];

/// One client op with a completion: invoke time (s), latency (ms), `:f`, outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyPoint {
    pub time_s: f64,
    pub latency_ms: f64,
    pub f: String,
    pub outcome: OpType,
}

/// Latency points of every client invoke that has a completion, in history order.
pub fn latency_points(history: &[Op]) -> Vec<LatencyPoint> {
    let pairs = Pairs::new(history);
    history
        .iter()
        .enumerate()
        .filter(|(_, op)| op.typ == OpType::Invoke && is_client(op))
        .filter_map(|(i, inv)| {
            let c = &history[pairs.partner(i)?];
            Some(LatencyPoint {
                time_s: inv.time as f64 / 1e9,
                latency_ms: c.time.saturating_sub(inv.time) as f64 / 1e6,
                f: inv.f.clone(),
                outcome: c.typ,
            })
        })
        .collect()
}

/// Partition periods in seconds: from a nemesis `start-partition` op to the `stop-partition`
/// that follows it, including that stop's completion (both halves of a nemesis op are
/// recorded, as `:info`); an unhealed partition lasts until the end of the history.
pub fn partition_periods(history: &[Op]) -> Vec<(f64, f64)> {
    let end = history.iter().map(|op| op.time).max().unwrap_or(0) as f64 / 1e9;
    let mut periods: Vec<(f64, f64)> = Vec::new();
    let mut open: Option<f64> = None;
    // Whether the previous nemesis op closed a period (its completion may follow).
    let mut just_closed = false;
    for op in history.iter().filter(|op| op.process == Process::Nemesis) {
        let t = op.time as f64 / 1e9;
        match op.f.as_str() {
            "start-partition" => {
                open.get_or_insert(t);
                just_closed = false;
            }
            "stop-partition" => {
                if let Some(s) = open.take() {
                    periods.push((s, t));
                    just_closed = true;
                } else if just_closed {
                    if let Some(p) = periods.last_mut() {
                        p.1 = t;
                    }
                    just_closed = false;
                }
            }
            _ => just_closed = false,
        }
    }
    if let Some(s) = open {
        periods.push((s, end));
    }
    periods
}

/// Midpoint of the bucket that `t` falls in.
pub fn bucket_time(dt: f64, t: f64) -> f64 {
    (t / dt).floor() * dt + dt / 2.0
}

/// Per quantile, `(bucket midpoint, latency)` points.
pub type QuantileSeries = Vec<(f64, Vec<(f64, f64)>)>;

/// Per `:f`, per quantile, `(bucket midpoint, latency)` points.
pub fn quantile_series(points: &[LatencyPoint]) -> BTreeMap<String, QuantileSeries> {
    let mut by_f: BTreeMap<String, BTreeMap<i64, Vec<f64>>> = BTreeMap::new();
    for p in points {
        let b = (p.time_s / QUANTILE_BUCKET_SECS).floor() as i64;
        by_f.entry(p.f.clone())
            .or_default()
            .entry(b)
            .or_default()
            .push(p.latency_ms);
    }
    by_f.into_iter()
        .map(|(f, buckets)| {
            let series = PLOT_QUANTILES
                .iter()
                .map(|&q| {
                    let pts = buckets
                        .iter()
                        .map(|(&b, lats)| {
                            let mut s = lats.clone();
                            s.sort_by(f64::total_cmp);
                            let i = crate::checker::workload::set_full::quantile_index(s.len(), q);
                            (
                                b as f64 * QUANTILE_BUCKET_SECS + QUANTILE_BUCKET_SECS / 2.0,
                                s[i],
                            )
                        })
                        .collect();
                    (q, pts)
                })
                .collect();
            (f, series)
        })
        .collect()
}

/// Per `(f, outcome)`, `(bucket midpoint, completions per second)` for every bucket up to the
/// last op's time (zero where nothing completed). Only pairs with at least one completion.
pub fn rate_series(history: &[Op]) -> BTreeMap<(String, &'static str), Vec<(f64, f64)>> {
    let t_max = history.iter().map(|op| op.time).max().unwrap_or(0) as f64 / 1e9;
    let n_buckets = ((t_max / RATE_BUCKET_SECS).floor() as usize) + 1;
    let mut counts: BTreeMap<(String, &'static str), Vec<f64>> = BTreeMap::new();
    for op in history
        .iter()
        .filter(|op| op.typ != OpType::Invoke && is_client(op))
    {
        let b = ((op.time as f64 / 1e9) / RATE_BUCKET_SECS).floor() as usize;
        let v = counts
            .entry((op.f.clone(), op.typ.as_str()))
            .or_insert_with(|| vec![0.0; n_buckets]);
        if b < v.len() {
            v[b] += 1.0 / RATE_BUCKET_SECS;
        }
    }
    counts
        .into_iter()
        .map(|(k, v)| {
            let pts = v
                .into_iter()
                .enumerate()
                .map(|(b, r)| (b as f64 * RATE_BUCKET_SECS + RATE_BUCKET_SECS / 2.0, r))
                .filter(|(t, _)| *t <= t_max.max(RATE_BUCKET_SECS / 2.0))
                .collect();
            (k, pts)
        })
        .collect()
}

fn outcome_color(t: OpType) -> RGBColor {
    match t {
        OpType::Info => INFO_COLOR,
        OpType::Fail => FAIL_COLOR,
        _ => OK_COLOR,
    }
}

fn outcome_color_named(t: &str) -> RGBColor {
    match t {
        "info" => INFO_COLOR,
        "fail" => FAIL_COLOR,
        _ => OK_COLOR,
    }
}

fn quantile_color(q: f64) -> RGBColor {
    if q >= 1.0 {
        RED
    } else if q >= 0.99 {
        RGBColor(0xFF, 0xA5, 0x00)
    } else if q >= 0.95 {
        RGBColor(0x80, 0x00, 0x80)
    } else {
        BLUE
    }
}

/// Pixel offsets of marker `shape` (one per `:f`): octagon, triangle, diamond, square.
fn shape_offsets(shape: usize, r: i32) -> Vec<(i32, i32)> {
    match shape % 4 {
        0 => {
            let h = (r as f64 * 0.414).round() as i32;
            vec![
                (-h, -r),
                (h, -r),
                (r, -h),
                (r, h),
                (h, r),
                (-h, r),
                (-r, h),
                (-r, -h),
            ]
        }
        1 => vec![(0, -r - 1), (r + 1, r), (-r - 1, r)],
        2 => vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)],
        _ => vec![(-r, -r), (r, -r), (r, r), (-r, r)],
    }
}

/// A marker of shape `shape` at data coordinate `c` (a macro: the element type is unnameable).
macro_rules! marker {
    ($shape:expr, $c:expr, $r:expr, $color:expr) => {
        EmptyElement::at($c) + Polygon::new(shape_offsets($shape, $r), $color.filled())
    };
}

/// Legend marker at backend coordinate `c`.
fn legend_marker(shape: usize, c: (i32, i32), color: RGBColor) -> Polygon<(i32, i32)> {
    let pts = shape_offsets(shape, 4)
        .into_iter()
        .map(|(x, y)| (c.0 + 6 + x, c.1 + y))
        .collect::<Vec<_>>();
    Polygon::new(pts, color.filled())
}

type PlotResult = Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn x_max(history: &[Op]) -> f64 {
    let t = history.iter().map(|op| op.time).max().unwrap_or(0) as f64 / 1e9;
    if t > 0.0 {
        t * 1.02
    } else {
        1.0
    }
}

fn log_y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for v in values.filter(|v| *v > 0.0 && v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.1, 1000.0);
    }
    // Whole decades, so the log axis gets labelled ticks.
    let lo = 10f64.powf((lo * 0.999).log10().floor()).max(1e-3);
    let hi = 10f64.powf((hi * 1.001).log10().ceil()).max(lo * 10.0);
    (lo, hi)
}

fn shade_partitions<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, impl CoordTranslate<From = (f64, f64)>>,
    periods: &[(f64, f64)],
    y: (f64, f64),
) -> PlotResult {
    chart
        .draw_series(
            periods.iter().map(|&(a, b)| {
                Rectangle::new([(a, y.0), (b, y.1)], NEMESIS_COLOR.mix(0.6).filled())
            }),
        )
        .map_err(err)?;
    Ok(())
}

fn open_area(path: &Path) -> DrawingArea<SVGBackend<'_>, Shift> {
    SVGBackend::new(path, SIZE).into_drawing_area()
}

/// A latency chart over run time: log-scale milliseconds, axes labelled, partitions shaded.
type LatencyChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, LogCoord<f64>>>;

fn latency_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: String,
    x_max: f64,
    (ylo, yhi): (f64, f64),
    periods: &[(f64, f64)],
) -> Result<LatencyChart<'a, 'b>, String> {
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(root)
        .caption(caption, ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_max, (ylo..yhi).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("Time (s)")
        .y_desc("Latency (ms)")
        .draw()
        .map_err(err)?;
    shade_partitions(&mut chart, periods, (ylo, yhi))?;
    Ok(chart)
}

/// Writes latency-raw.svg.
pub fn latency_raw_svg(history: &[Op], path: &Path, title: &str) -> PlotResult {
    let points = latency_points(history);
    let periods = partition_periods(history);
    let (ylo, yhi) = log_y_range(points.iter().map(|p| p.latency_ms));
    let fs: Vec<String> = sorted_fs(points.iter().map(|p| p.f.as_str()));
    let root = open_area(path);
    let mut chart = latency_chart(
        &root,
        format!("{title} latency"),
        x_max(history),
        (ylo, yhi),
        &periods,
    )?;
    let mut labelled = false;
    for (shape, f) in fs.iter().enumerate() {
        for t in OUTCOMES {
            let pts: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| &p.f == f && p.outcome == t)
                .map(|p| (p.time_s, p.latency_ms.clamp(ylo, yhi)))
                .collect();
            if pts.is_empty() {
                continue;
            }
            let color = outcome_color(t);
            chart
                .draw_series(pts.into_iter().map(|c| marker!(shape, c, 2, color)))
                .map_err(err)?
                .label(format!("{f} {}", t.as_str()))
                .legend(move |c| legend_marker(shape, c, color));
            labelled = true;
        }
    }
    if labelled {
        legend(&mut chart)?;
    }
    root.present().map_err(err)
}

/// Writes latency-quantiles.svg.
pub fn latency_quantiles_svg(history: &[Op], path: &Path, title: &str) -> PlotResult {
    let points = latency_points(history);
    let periods = partition_periods(history);
    let series = quantile_series(&points);
    let (ylo, yhi) = log_y_range(
        series
            .values()
            .flat_map(|qs| qs.iter().flat_map(|(_, pts)| pts.iter().map(|p| p.1))),
    );
    let root = open_area(path);
    let mut chart = latency_chart(
        &root,
        format!("{title} latency quantiles"),
        x_max(history),
        (ylo, yhi),
        &periods,
    )?;
    let mut labelled = false;
    for (shape, (f, qs)) in series.iter().enumerate() {
        for (q, pts) in qs {
            let color = quantile_color(*q);
            let pts: Vec<(f64, f64)> = pts.iter().map(|&(x, y)| (x, y.clamp(ylo, yhi))).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), color.stroke_width(1)))
                .map_err(err)?;
            chart
                .draw_series(pts.into_iter().map(|c| marker!(shape, c, 3, color)))
                .map_err(err)?
                .label(format!("{f} {q}"))
                .legend(move |c| legend_marker(shape, c, color));
            labelled = true;
        }
    }
    if labelled {
        legend(&mut chart)?;
    }
    root.present().map_err(err)
}

/// Writes rate.svg.
pub fn rate_svg(history: &[Op], path: &Path, title: &str) -> PlotResult {
    let periods = partition_periods(history);
    let series = rate_series(history);
    let ymax = series
        .values()
        .flat_map(|pts| pts.iter().map(|p| p.1))
        .fold(0.0f64, f64::max);
    let ymax = if ymax > 0.0 { ymax * 1.1 } else { 1.0 };
    let fs: Vec<String> = sorted_fs(series.keys().map(|(f, _)| f.as_str()));
    let root = open_area(path);
    root.fill(&WHITE).map_err(err)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(format!("{title} rate"), ("sans-serif", 18))
        .margin(12)
        .x_label_area_size(36)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x_max(history), 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("Time (s)")
        .y_desc("Throughput (hz)")
        .draw()
        .map_err(err)?;
    shade_partitions(&mut chart, &periods, (0.0, ymax))?;
    let mut labelled = false;
    for ((f, t), pts) in &series {
        let shape = fs.iter().position(|x| x == f).unwrap_or(0);
        let color = outcome_color_named(t);
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(err)?;
        chart
            .draw_series(pts.iter().map(|&c| marker!(shape, c, 3, color)))
            .map_err(err)?
            .label(format!("{f} {t}"))
            .legend(move |c| legend_marker(shape, c, color));
        labelled = true;
    }
    if labelled {
        legend(&mut chart)?;
    }
    root.present().map_err(err)
}

fn legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut ChartContext<'a, DB, impl CoordTranslate<From = (f64, f64)>>,
) -> PlotResult
where
    DB::ErrorType: 'static,
{
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.4))
        .label_font(("sans-serif", 12))
        .draw()
        .map_err(err)
}

fn sorted_fs<'a>(fs: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = fs.map(str::to_string).collect();
    v.sort();
    v.dedup();
    v
}

fn graph_result(r: PlotResult) -> Value {
    match r {
        Ok(()) => glomers_model::edn_map! { "valid?" => Value::Bool(true) },
        Err(e) => unknown_with_error(e),
    }
}

fn run_plot(f: impl FnOnce() -> PlotResult + std::panic::UnwindSafe) -> PlotResult {
    match std::panic::catch_unwind(f) {
        Ok(r) => r,
        Err(p) => Err(format!(
            "plotting panicked: {}",
            super::util::panic_message(p.as_ref())
        )),
    }
}

/// The `:perf` result map; writes the three SVGs into `facts.dir` when set.
pub fn check(history: &[Op], facts: &RunFacts) -> Value {
    let (latency, rate) = match &facts.dir {
        None => (Ok(()), Ok(())),
        Some(dir) => {
            let title = facts.workload.as_str();
            match std::fs::create_dir_all(dir) {
                Err(e) => (Err(e.to_string()), Err(e.to_string())),
                Ok(()) => {
                    let latency = run_plot(|| {
                        latency_raw_svg(history, &dir.join("latency-raw.svg"), title)?;
                        latency_quantiles_svg(history, &dir.join("latency-quantiles.svg"), title)
                    });
                    let rate = run_plot(|| rate_svg(history, &dir.join("rate.svg"), title));
                    (latency, rate)
                }
            }
        }
    };
    let latency = graph_result(latency);
    let rate = graph_result(rate);
    let valid = merge_valid([Validity::of(&latency), Validity::of(&rate)]);
    glomers_model::edn_map! {
        "latency-graph" => latency,
        "rate-graph" => rate,
        "valid?" => valid.to_value(),
    }
}
