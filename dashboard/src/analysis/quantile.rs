//! Quantiles and empirical CDFs of latency samples.

use crate::summary::Quantiles;

/// The value at quantile `q` of sorted samples (nearest rank, `min(n-1, floor(n*q))`).
pub fn at(sorted: &[f64], q: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((sorted.len() as f64 * q).floor() as usize).min(sorted.len() - 1);
    Some(sorted[i])
}

/// p0/p50/p95/p99/max of sorted samples.
pub fn quantiles(sorted: &[f64]) -> Quantiles {
    Quantiles {
        p0: at(sorted, 0.0),
        p50: at(sorted, 0.5),
        p95: at(sorted, 0.95),
        p99: at(sorted, 0.99),
        max: sorted.last().copied(),
    }
}

/// An empirical CDF of sorted samples with at most `points` steps: `(value, fraction ≤ value)`.
pub fn cdf(sorted: &[f64], points: usize) -> Vec<(f64, f64)> {
    let n = sorted.len();
    if n == 0 || points == 0 {
        return Vec::new();
    }
    let step = n.div_ceil(points).max(1);
    let mut out: Vec<(f64, f64)> = (0..n)
        .step_by(step)
        .map(|i| (sorted[i], (i + 1) as f64 / n as f64))
        .collect();
    if out.last().map(|p| p.1) != Some(1.0) {
        out.push((sorted[n - 1], 1.0));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank() {
        let s: Vec<f64> = (1..=100).map(f64::from).collect();
        let q = quantiles(&s);
        assert_eq!(
            (q.p0, q.p50, q.p99, q.max),
            (Some(1.0), Some(51.0), Some(100.0), Some(100.0))
        );
        assert_eq!(at(&[], 0.5), None);
        let c = cdf(&s, 10);
        assert_eq!(c.first(), Some(&(1.0, 0.01)));
        assert_eq!(c.last(), Some(&(100.0, 1.0)));
        assert!(c.len() <= 11);
    }
}
