//! Reads `history.edn` (one op map per line, FORMAT.md §3) into what the run page charts:
//! each client op's latency (invoke paired with the next completion of the same process),
//! latency quantiles and CDF per `:f`, completions per second, and partition windows from the
//! nemesis' `:start-partition` / `:stop-partition` ops. Lines that are not ops (a truncated
//! last line, garbage) are counted and skipped, never fatal.

use std::collections::HashMap;

use glomers_model::{Op, OpType, Process};
use serde::{Deserialize, Serialize};

use super::quantile;
use crate::summary::Quantiles;

/// Most latency points kept for the scatter chart.
pub const MAX_POINTS: usize = 4000;
/// Most throughput buckets (wider buckets for long runs).
pub const MAX_BUCKETS: usize = 2000;
/// Most distinct `:f` values kept apart; the rest are counted as [`OTHER_F`].
pub const MAX_FS: usize = 64;
/// The `:f` bucket for values past [`MAX_FS`].
pub const OTHER_F: &str = "(other)";
/// Steps of a stored CDF.
pub const CDF_POINTS: usize = 200;

/// One completed client op: invoke time (s), latency (ms), `:f` index, outcome.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub t: f64,
    pub ms: f64,
    pub f: u16,
    /// `ok`, `fail` or `info` as 0, 1, 2.
    pub outcome: u8,
}

/// Latency figures of one `:f` (ok completions).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FLatency {
    pub f: String,
    pub ok: u64,
    pub fail: u64,
    pub info: u64,
    /// Invokes with no completion.
    pub pending: u64,
    pub quantiles: Quantiles,
}

/// Completions in one time bucket.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    pub t: f64,
    pub ok: u32,
    pub fail: u32,
    pub info: u32,
}

/// Everything derived from one history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryAnalysis {
    pub ops: u64,
    pub skipped_lines: u64,
    pub first_error: Option<String>,
    pub duration_s: f64,
    pub fs: Vec<String>,
    pub by_f: Vec<FLatency>,
    /// Quantiles over every ok completion.
    pub overall: Quantiles,
    pub overall_ok: u64,
    /// Empirical CDF of ok latencies (ms, fraction).
    pub cdf: Vec<(f64, f64)>,
    pub points: Vec<Point>,
    pub bucket_s: f64,
    pub throughput: Vec<Bucket>,
    /// Partition windows (start s, end s).
    pub partitions: Vec<(f64, f64)>,
    pub nemesis_ops: u64,
    /// False when read from `history.txt`, which has no times: counts only, no latencies,
    /// throughput or partition windows.
    #[serde(default = "yes")]
    pub has_times: bool,
}

fn yes() -> bool {
    true
}

impl Default for HistoryAnalysis {
    fn default() -> Self {
        HistoryAnalysis {
            ops: 0,
            skipped_lines: 0,
            first_error: None,
            duration_s: 0.0,
            fs: Vec::new(),
            by_f: Vec::new(),
            overall: Quantiles::default(),
            overall_ok: 0,
            cdf: Vec::new(),
            points: Vec::new(),
            bucket_s: 0.0,
            throughput: Vec::new(),
            partitions: Vec::new(),
            nemesis_ops: 0,
            has_times: true,
        }
    }
}

#[derive(Default)]
struct Builder {
    a: HistoryAnalysis,
    open: HashMap<u64, (u64, u16)>,
    points: Vec<Point>,
    ok_lat: Vec<Vec<f64>>,
    partition_start: Option<f64>,
    /// The previous nemesis op closed a partition window.
    just_closed: bool,
    last_time: u64,
}

impl Builder {
    fn f_index(&mut self, f: &str) -> u16 {
        if let Some(i) = self.a.fs.iter().position(|x| x == f) {
            return i as u16;
        }
        // A garbage history could name endless `:f`s; past the cap they share one bucket.
        let f = if self.a.fs.len() >= MAX_FS - 1 {
            OTHER_F
        } else {
            f
        };
        if let Some(i) = self.a.fs.iter().position(|x| x == f) {
            return i as u16;
        }
        self.a.fs.push(f.to_string());
        self.a.by_f.push(FLatency {
            f: f.to_string(),
            ok: 0,
            fail: 0,
            info: 0,
            pending: 0,
            quantiles: Quantiles::default(),
        });
        self.ok_lat.push(Vec::new());
        (self.a.fs.len() - 1) as u16
    }

    fn op(&mut self, op: &Op) {
        self.a.ops += 1;
        self.last_time = self.last_time.max(op.time);
        let t = op.time as f64 / 1e9;
        match op.process {
            Process::Nemesis => {
                self.a.nemesis_ops += 1;
                let just_closed = std::mem::take(&mut self.just_closed);
                match op.f.as_str() {
                    // Both halves of a start are logged; the first opens the window.
                    "start-partition" if self.partition_start.is_none() => {
                        self.partition_start = Some(t);
                    }
                    "stop-partition" => {
                        if let Some(start) = self.partition_start.take() {
                            self.a.partitions.push((start, t));
                            self.just_closed = true;
                        } else if just_closed {
                            // The completion half of the stop (`:network-healed`) ends the window.
                            if let Some(last) = self.a.partitions.last_mut() {
                                last.1 = last.1.max(t);
                            }
                        }
                    }
                    _ => {}
                }
            }
            Process::Client(p) => match op.typ {
                OpType::Invoke => {
                    let fi = self.f_index(&op.f);
                    if self.open.insert(p, (op.time, fi)).is_some() {
                        self.a.by_f[fi as usize].pending += 1;
                    }
                }
                typ => {
                    let Some((start, fi)) = self.open.remove(&p) else {
                        return;
                    };
                    let ms = op.time.saturating_sub(start) as f64 / 1e6;
                    let stats = &mut self.a.by_f[fi as usize];
                    let outcome = match typ {
                        OpType::Ok => {
                            stats.ok += 1;
                            self.ok_lat[fi as usize].push(ms);
                            0
                        }
                        OpType::Fail => {
                            stats.fail += 1;
                            1
                        }
                        _ => {
                            stats.info += 1;
                            2
                        }
                    };
                    self.points.push(Point {
                        t: start as f64 / 1e9,
                        ms,
                        f: fi,
                        outcome,
                    });
                }
            },
        }
    }

    fn finish(mut self) -> HistoryAnalysis {
        let duration = self.last_time as f64 / 1e9;
        self.a.duration_s = duration;
        if let Some(start) = self.partition_start {
            self.a.partitions.push((start, duration));
        }
        for (_, fi) in self.open.values() {
            self.a.by_f[*fi as usize].pending += 1;
        }
        let mut all = Vec::new();
        for (i, lat) in self.ok_lat.iter_mut().enumerate() {
            lat.sort_by(f64::total_cmp);
            self.a.by_f[i].quantiles = quantile::quantiles(lat);
            all.extend_from_slice(lat);
        }
        all.sort_by(f64::total_cmp);
        self.a.overall = quantile::quantiles(&all);
        self.a.overall_ok = all.len() as u64;
        self.a.cdf = quantile::cdf(&all, CDF_POINTS);
        self.a.bucket_s = (duration / MAX_BUCKETS as f64).max(1.0).ceil();
        let n = (duration / self.a.bucket_s).floor() as usize + 1;
        let mut buckets: Vec<Bucket> = (0..n)
            .map(|i| Bucket {
                t: i as f64 * self.a.bucket_s,
                ok: 0,
                fail: 0,
                info: 0,
            })
            .collect();
        for p in &self.points {
            let i = ((p.t + p.ms / 1e3) / self.a.bucket_s).floor() as usize;
            if let Some(b) = buckets.get_mut(i.min(n - 1)) {
                match p.outcome {
                    0 => b.ok += 1,
                    1 => b.fail += 1,
                    _ => b.info += 1,
                }
            }
        }
        self.a.throughput = buckets;
        self.a.points = downsample(self.points, self.a.overall.p99);
        self.a
    }
}

/// Keeps at most [`MAX_POINTS`]: every failed/indeterminate op and slow outlier (above p99)
/// up to half the budget, and an even stride of the rest.
fn downsample(points: Vec<Point>, p99: Option<f64>) -> Vec<Point> {
    if points.len() <= MAX_POINTS {
        return points;
    }
    let p99 = p99.unwrap_or(f64::INFINITY);
    let is_special = |p: &Point| p.outcome != 0 || p.ms > p99;
    let special = points
        .iter()
        .filter(|p| is_special(p))
        .count()
        .min(MAX_POINTS / 2);
    let stride = points.len().div_ceil(MAX_POINTS - special).max(1);
    let mut kept_special = 0;
    points
        .into_iter()
        .enumerate()
        .filter(|(i, p)| {
            if is_special(p) && kept_special < special {
                kept_special += 1;
                true
            } else {
                i % stride == 0
            }
        })
        .map(|(_, p)| p)
        .collect()
}

/// Analyses a whole history text. Never fails: unreadable lines are counted in
/// `skipped_lines` and the first one is described in `first_error`.
pub fn analyse(text: &str) -> HistoryAnalysis {
    let mut b = Builder::default();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let parsed = glomers_model::parse(line)
            .map_err(|e| e.to_string())
            .and_then(|v| Op::from_edn(&v).map_err(|e| e.to_string()));
        match parsed {
            Ok(op) => b.op(&op),
            Err(e) => {
                b.a.skipped_lines += 1;
                if b.a.first_error.is_none() {
                    b.a.first_error = Some(format!("line {}: {e}", i + 1));
                }
            }
        }
    }
    b.finish()
}

/// One `history.txt` line (`process \t :type \t :f \t value [\t error]`) as an op at time 0.
fn txt_op(line: &str) -> Result<Op, String> {
    let mut cols = line.split('\t');
    let process = match cols.next().map(str::trim) {
        Some(":nemesis") => Process::Nemesis,
        Some(p) => Process::Client(p.parse().map_err(|_| format!("process {p:?}"))?),
        None => return Err("empty line".into()),
    };
    let typ = cols
        .next()
        .and_then(|t| t.trim().strip_prefix(':'))
        .and_then(OpType::from_name)
        .ok_or("no :type column")?;
    let f = cols
        .next()
        .and_then(|f| f.trim().strip_prefix(':'))
        .filter(|f| !f.is_empty())
        .ok_or("no :f column")?;
    Ok(Op {
        index: 0,
        time: 0,
        typ,
        process,
        f: f.to_string(),
        value: glomers_model::Value::Nil,
        extra: Vec::new(),
    })
}

/// Analyses a `history.txt` (the fallback when `history.edn` is missing or unreadable): op
/// counts by `:f` and outcome only, since its lines carry no times.
pub fn analyse_txt(text: &str) -> HistoryAnalysis {
    let mut b = Builder::default();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match txt_op(line) {
            Ok(op) => b.op(&op),
            Err(e) => {
                b.a.skipped_lines += 1;
                if b.a.first_error.is_none() {
                    b.a.first_error = Some(format!("line {}: {e}", i + 1));
                }
            }
        }
    }
    let mut a = b.finish();
    for f in &mut a.by_f {
        f.quantiles = Quantiles::default();
    }
    a.overall = Quantiles::default();
    a.overall_ok = 0;
    a.cdf.clear();
    a.points.clear();
    a.throughput.clear();
    a.partitions.clear();
    a.duration_s = 0.0;
    a.has_times = false;
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_txt_gives_counts_without_times() {
        let txt = "0\t:invoke\t:read\tnil\n0\t:ok\t:read\t[1 2]\n1\t:invoke\t:broadcast\t3\n\
                   1\t:info\t:broadcast\t3\t:net-timeout\n:nemesis\t:info\t:start-partition\t:one\n\
                   garbage\n2\t:invoke\t:read\tnil\n";
        let a = analyse_txt(txt);
        assert!(!a.has_times);
        assert_eq!((a.ops, a.skipped_lines, a.nemesis_ops), (6, 1, 1));
        let read = a.by_f.iter().find(|f| f.f == "read").unwrap();
        assert_eq!((read.ok, read.pending), (1, 1));
        assert_eq!(read.quantiles, Quantiles::default());
        let b = a.by_f.iter().find(|f| f.f == "broadcast").unwrap();
        assert_eq!(b.info, 1);
        assert!(a.points.is_empty() && a.cdf.is_empty() && a.partitions.is_empty());
        assert!(analyse("").has_times);
    }

    const H: &str = "\
{:index 0, :time 1000000000, :type :info, :process :nemesis, :f :start-partition, :value :one}
{:index 1, :time 1100000000, :type :invoke, :process 0, :f :read, :value nil}
{:index 2, :time 1150000000, :type :ok, :process 0, :f :read, :value [1]}
{:index 3, :time 1200000000, :type :invoke, :process 1, :f :broadcast, :value 3}
{:index 4, :time 2200000000, :type :info, :process 1, :f :broadcast, :value 3, :error :net-timeout}
{:index 5, :time 3000000000, :type :info, :process :nemesis, :f :stop-partition, :value nil}
{:index 6, :time 3100000000, :type :info, :process :nemesis, :f :stop-partition, :value :network-healed}
{:index 7, :time 5000000000, :type :info, :process :nemesis, :f :stop-partition, :value nil}
{:index 8, :time 5100000000, :type :info, :process :nemesis, :f :stop-partition, :value :network-healed}
{:index 9, :time 3200000000, :type :invoke, :process 0, :f :read, :val
";

    #[test]
    fn pairs_partitions_and_truncation() {
        let a = analyse(H);
        assert_eq!(a.ops, 9);
        assert_eq!(a.skipped_lines, 1);
        assert!(a.first_error.as_deref().unwrap().starts_with("line 10"));
        assert_eq!(a.fs, vec!["read", "broadcast"]);
        assert_eq!(a.by_f[0].ok, 1);
        assert_eq!(a.by_f[0].quantiles.p50, Some(50.0));
        assert_eq!(a.by_f[1].info, 1);
        assert_eq!(a.partitions, vec![(1.0, 3.1)]);
        assert_eq!(a.points.len(), 2);
        assert_eq!(a.overall_ok, 1);
        let total: u32 = a.throughput.iter().map(|b| b.ok + b.info + b.fail).sum();
        assert_eq!(total, 2);
    }

    #[test]
    fn unclosed_partition_lasts_to_end() {
        let h = "{:index 0, :time 0, :type :info, :process :nemesis, :f :start-partition, :value :one}\n\
                 {:index 1, :time 5000000000, :type :invoke, :process 0, :f :read, :value nil}\n";
        assert_eq!(analyse(h).partitions, vec![(0.0, 5.0)]);
    }

    #[test]
    fn many_fs_are_capped() {
        let h: String = (0..200)
            .map(|i| format!("{{:index {i}, :time {i}, :type :invoke, :process {i}, :f :f{i}, :value nil}}\n"))
            .collect();
        let a = analyse(&h);
        assert_eq!(a.fs.len(), MAX_FS);
        assert_eq!(a.fs.last().map(String::as_str), Some(OTHER_F));
        assert_eq!(a.by_f.iter().map(|f| f.pending).sum::<u64>(), 200);
    }

    #[test]
    fn empty_and_garbage() {
        let a = analyse("");
        assert_eq!(a.ops, 0);
        let a = analyse("not edn at all ((((\n\u{0}\u{1}");
        assert_eq!(a.skipped_lines, 2);
    }
}
