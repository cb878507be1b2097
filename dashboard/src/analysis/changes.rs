//! Ranks what changed between two runs, largest relative change first. Each figure carries
//! both runs' values, a floor below which values count as the floor, and its support (how
//! many messages, ops or spans stand behind it). The score is the symmetric log ratio
//! `|ln(max(b, floor) / max(a, floor))|` times the support weight `n / (n + SUPPORT_HALF)`,
//! so 1 → 3 messages cannot outrank a real shift of thousands. Counts are divided by each
//! run's client ops (or seconds) first, so a longer run is not "more messages".

use std::cmp::Ordering;

/// Support at which a figure's score counts half.
pub const SUPPORT_HALF: f64 = 20.0;
/// Smallest score listed: below it a change is noise (about 5% at full support).
pub const MIN_SCORE: f64 = 0.05;

/// The rule, as the compare page states it in one line.
pub const RULE: &str = "Ranked by |ln(B/A)| × n/(n+20), n = the messages, ops or spans behind \
     the figure; values under a floor (0.01 per op, 1 ms op latency, 0.05 ms span) count as \
     the floor; counts are per client op.";

/// Which direction of change is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Lower,
    Higher,
    Neutral,
}

/// Where a figure comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// `messages.svg`.
    Messages,
    /// `history.edn`.
    Latency,
    /// Node telemetry (spans and metrics).
    Telemetry,
}

impl Group {
    pub fn as_str(self) -> &'static str {
        match self {
            Group::Messages => "messages",
            Group::Latency => "latency",
            Group::Telemetry => "telemetry",
        }
    }
}

/// How a figure's values read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Milliseconds.
    Ms,
    /// A count divided by the run's client ops.
    PerOp,
    /// A count divided by the run's seconds.
    PerSecond,
    /// A plain number (a raw count, a mean).
    Plain,
}

/// What counts are divided by, for each run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub a: f64,
    pub b: f64,
    pub unit: Unit,
}

impl Scale {
    /// Per client op when both runs have ops, else per second when both have a length,
    /// else raw counts.
    pub fn choose(ops: (Option<f64>, Option<f64>), secs: (Option<f64>, Option<f64>)) -> Scale {
        let pos = |v: Option<f64>| v.filter(|x| *x > 0.0);
        if let (Some(a), Some(b)) = (pos(ops.0), pos(ops.1)) {
            return Scale {
                a,
                b,
                unit: Unit::PerOp,
            };
        }
        if let (Some(a), Some(b)) = (pos(secs.0), pos(secs.1)) {
            return Scale {
                a,
                b,
                unit: Unit::PerSecond,
            };
        }
        Scale {
            a: 1.0,
            b: 1.0,
            unit: Unit::Plain,
        }
    }

    /// The floor of a count figure in this scale's unit.
    pub fn floor(&self) -> f64 {
        match self.unit {
            Unit::PerOp | Unit::PerSecond => 0.01,
            _ => 1.0,
        }
    }
}

/// One figure of both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Measure {
    /// Stable id (`data-figure`), e.g. `handle-p50/broadcast`.
    pub key: String,
    /// What a person reads, e.g. `handle span p50, type=broadcast`.
    pub label: String,
    pub group: Group,
    pub a: Option<f64>,
    pub b: Option<f64>,
    /// The raw counts behind per-op or per-second values.
    pub raw: Option<(f64, f64)>,
    /// Observations behind the figure.
    pub support: f64,
    pub floor: f64,
    pub unit: Unit,
    pub better: Better,
    /// A span distribution to draw for it: `(span name, msg.type, peer)`.
    pub dist: Option<(String, String, Option<String>)>,
}

impl Measure {
    /// A count of both runs, divided by `scale`; supported by the larger count.
    pub fn count(
        key: String,
        label: String,
        group: Group,
        raw: (f64, f64),
        scale: Scale,
        better: Better,
    ) -> Measure {
        let v = (Some(raw.0 / scale.a), Some(raw.1 / scale.b));
        Measure {
            raw: (scale.unit != Unit::Plain).then_some(raw),
            support: raw.0.max(raw.1),
            ..Measure::value(key, label, group, v, raw, scale.floor(), scale.unit, better)
        }
    }

    /// A value (latency quantile, mean) of both runs, each from `n.0` / `n.1` observations;
    /// supported by the smaller sample.
    #[allow(clippy::too_many_arguments)]
    pub fn value(
        key: String,
        label: String,
        group: Group,
        v: (Option<f64>, Option<f64>),
        n: (f64, f64),
        floor: f64,
        unit: Unit,
        better: Better,
    ) -> Measure {
        Measure {
            key,
            label,
            group,
            a: v.0,
            b: v.1,
            raw: None,
            support: n.0.min(n.1),
            floor,
            unit,
            better,
            dist: None,
        }
    }
}

/// Whether the change is an improvement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Worse,
    Better,
    /// Neither direction is known to be better.
    Changed,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Worse => "worse",
            Direction::Better => "better",
            Direction::Changed => "changed",
        }
    }
}

/// A ranked figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub m: Measure,
    /// `ln(max(b, floor) / max(a, floor))`.
    pub log_ratio: f64,
    pub score: f64,
}

impl Change {
    pub fn direction(&self) -> Direction {
        let up = self.log_ratio > 0.0;
        match self.m.better {
            Better::Lower if up => Direction::Worse,
            Better::Higher if !up => Direction::Worse,
            Better::Neutral => Direction::Changed,
            _ => Direction::Better,
        }
    }

    /// `×1.80` (B larger) or `÷2.10` (B smaller), of the floored values.
    pub fn ratio_text(&self) -> String {
        let r = self.log_ratio.abs().exp();
        let sign = if self.log_ratio >= 0.0 { "×" } else { "÷" };
        if r >= 100.0 {
            format!("{sign}{r:.0}")
        } else {
            format!("{sign}{r:.2}")
        }
    }
}

/// `n / (n + SUPPORT_HALF)`.
pub fn weight(support: f64) -> f64 {
    let n = support.max(0.0);
    n / (n + SUPPORT_HALF)
}

/// `ln(max(b, floor) / max(a, floor))`; the floor is at least a tiny positive number.
pub fn log_ratio(a: f64, b: f64, floor: f64) -> f64 {
    let f = floor.max(1e-12);
    (b.max(f) / a.max(f)).ln()
}

/// Scores every figure known in both runs and sorts by score, largest first (ties by key).
/// Figures scoring under [`MIN_SCORE`] are dropped.
pub fn rank(measures: Vec<Measure>) -> Vec<Change> {
    let mut out: Vec<Change> = measures
        .into_iter()
        .filter_map(|m| {
            let (a, b) = (m.a?, m.b?);
            if !a.is_finite() || !b.is_finite() {
                return None;
            }
            let lr = log_ratio(a, b, m.floor);
            let score = lr.abs() * weight(m.support);
            (score >= MIN_SCORE).then_some(Change {
                m,
                log_ratio: lr,
                score,
            })
        })
        .collect();
    out.sort_by(|x, y| {
        y.score
            .partial_cmp(&x.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| x.m.key.cmp(&y.m.key))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn per_op(ops: (f64, f64)) -> Scale {
        Scale::choose((Some(ops.0), Some(ops.1)), (None, None))
    }

    fn count(key: &str, raw: (f64, f64), scale: Scale) -> Measure {
        Measure::count(
            key.into(),
            key.into(),
            Group::Messages,
            raw,
            scale,
            Better::Lower,
        )
    }

    #[test]
    fn a_real_shift_outranks_tiny_count_noise() {
        let s = per_op((100.0, 100.0));
        let ranked = rank(vec![
            count("noise", (1.0, 3.0), s),
            count("gossip", (10_000.0, 18_000.0), s),
            count("same", (500.0, 505.0), s),
        ]);
        let keys: Vec<&str> = ranked.iter().map(|c| c.m.key.as_str()).collect();
        assert_eq!(keys, ["gossip", "noise"], "a 1% change is not listed");
        assert!(ranked[0].score > 3.0 * ranked[1].score);
        assert_eq!(ranked[0].ratio_text(), "×1.80");
        assert_eq!(ranked[0].direction(), Direction::Worse);
        // Both under the floor: no change at all.
        assert!(rank(vec![count("tiny", (1.0, 5.0), per_op((1e4, 1e4)))]).is_empty());
    }

    #[test]
    fn counts_are_per_op_so_a_longer_run_is_not_more_messages() {
        // Twice the ops, twice the messages: the same per op.
        let s = per_op((1000.0, 2000.0));
        let m = count("gossip", (8000.0, 16_000.0), s);
        assert_eq!((m.a, m.b), (Some(8.0), Some(8.0)));
        assert_eq!(m.raw, Some((8000.0, 16_000.0)));
        assert!(rank(vec![m]).is_empty());
        // The same count over twice the ops halves: better.
        let r = rank(vec![count("gossip", (8000.0, 8000.0), s)]);
        assert_eq!(r[0].ratio_text(), "÷2.00");
        assert_eq!(r[0].direction(), Direction::Better);
        // Without ops, per second; without either, raw.
        let s = Scale::choose((None, Some(3.0)), (Some(10.0), Some(20.0)));
        assert_eq!((s.unit, s.a, s.b), (Unit::PerSecond, 10.0, 20.0));
        assert_eq!(Scale::choose((None, None), (None, None)).unit, Unit::Plain);
    }

    #[test]
    fn values_need_support_on_both_sides() {
        let v = |key: &str, v: (f64, f64), n: (f64, f64)| {
            Measure::value(
                key.into(),
                key.into(),
                Group::Telemetry,
                (Some(v.0), Some(v.1)),
                n,
                0.05,
                Unit::Ms,
                Better::Lower,
            )
        };
        let ranked = rank(vec![
            // p99 over 2 spans in one run tripled: weak evidence.
            v("few", (1.0, 3.0), (2.0, 5000.0)),
            // p50 over thousands doubled.
            v("many", (2.0, 4.0), (3000.0, 2800.0)),
            // Both under the 0.05 ms floor.
            v("fast", (0.01, 0.04), (3000.0, 3000.0)),
        ]);
        let keys: Vec<&str> = ranked.iter().map(|c| c.m.key.as_str()).collect();
        assert_eq!(keys, ["many", "few"]);
        // A figure missing in one run is not ranked.
        let mut m = v("half", (1.0, 2.0), (100.0, 100.0));
        m.b = None;
        assert!(rank(vec![m]).is_empty());
    }

    #[test]
    fn directions() {
        let mk = |better, a, b| Change {
            m: Measure::value(
                "k".into(),
                "k".into(),
                Group::Latency,
                (Some(a), Some(b)),
                (100.0, 100.0),
                0.0,
                Unit::Plain,
                better,
            ),
            log_ratio: log_ratio(a, b, 0.0),
            score: 1.0,
        };
        assert_eq!(mk(Better::Higher, 2.0, 1.0).direction(), Direction::Worse);
        assert_eq!(mk(Better::Higher, 1.0, 2.0).direction(), Direction::Better);
        assert_eq!(
            mk(Better::Neutral, 1.0, 2.0).direction(),
            Direction::Changed
        );
        assert_eq!(mk(Better::Lower, 4.0, 2.0).ratio_text(), "÷2.00");
    }
}
