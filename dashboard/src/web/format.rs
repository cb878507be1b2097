//! Formatting for pages: numbers, durations, URL components and links to runs.

use crate::summary::Verdict;

/// A number with `decimals` places, or an em dash when absent.
pub fn num(v: Option<f64>, decimals: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{x:.decimals$}"),
        _ => "—".into(),
    }
}

/// An integer, or an em dash.
pub fn int(v: Option<i64>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

/// A latency in ms, precise for small values.
pub fn ms(v: Option<f64>) -> String {
    match v {
        Some(x) if x.is_finite() && x.abs() < 10.0 && x.fract() != 0.0 => format!("{x:.2}"),
        Some(x) if x.is_finite() && x.fract() != 0.0 => format!("{x:.1}"),
        Some(x) if x.is_finite() => format!("{x:.0}"),
        _ => "—".into(),
    }
}

/// A fraction as a percentage.
pub fn pct(v: Option<f64>) -> String {
    v.filter(|x| x.is_finite())
        .map(|x| format!("{:.2}%", x * 100.0))
        .unwrap_or_else(|| "—".into())
}

/// A byte count, human-readable.
pub fn bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / (1u64 << 20) as f64),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Encodes each `/`-separated segment of a relative path.
pub fn encode_path(p: &str) -> String {
    p.split('/').map(encode).collect::<Vec<_>>().join("/")
}

/// The run page of a run id (`workload/folder`).
pub fn run_href(id: &str) -> String {
    format!("/run/{}", encode_path(id))
}

/// The compare page of two runs.
pub fn compare_href(a: &str, b: &str) -> String {
    format!("/compare?a={}&b={}", encode(a), encode(b))
}

/// CSS class of a verdict badge.
pub fn verdict_class(v: Verdict) -> String {
    format!("verdict verdict-{}", v.as_str())
}

/// A start time as `2024-09-19 14:23:14 +05:30`, from RFC 3339.
pub fn start(s: Option<&str>) -> String {
    match s.and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok()) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S %:z").to_string(),
        None => "—".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_odd_names() {
        assert_eq!(encode("a+b c/[\"x\"]"), "a%2Bb%20c%2F%5B%22x%22%5D");
        assert_eq!(run_href("kafka/x+0530"), "/run/kafka/x%2B0530");
        assert_eq!(num(Some(2.157068), 3), "2.157");
        assert_eq!(num(None, 3), "—");
        assert_eq!(ms(Some(0.5)), "0.50");
        assert_eq!(ms(Some(27715.0)), "27715");
        assert_eq!(pct(Some(0.5)), "50.00%");
        assert_eq!(
            start(Some("2024-01-01T12:00:00-05:00")),
            "2024-01-01 12:00:00 -05:00"
        );
    }
}
