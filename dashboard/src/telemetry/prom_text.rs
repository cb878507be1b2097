//! A parser for the Prometheus text format as the nodes write it in `metrics.prom`:
//! `name{label="value",...} value [timestamp]` lines, `#` comments. Malformed lines are
//! counted and skipped, never fatal.

use std::collections::BTreeMap;

use super::records::{labels_json, PointIn};

/// What a `metrics.prom` held.
#[derive(Debug, Default)]
pub struct Parsed {
    pub points: Vec<PointIn>,
    pub skipped_lines: usize,
}

/// Parses a whole snapshot; every point gets `time_ms`.
pub fn parse(text: &str, time_ms: Option<i64>) -> Parsed {
    let mut out = Parsed::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        match parse_line(line) {
            Some((name, labels, value)) => out.points.push(PointIn {
                name,
                labels_json: labels_json(&labels),
                value,
                time_ms,
            }),
            None => out.skipped_lines += 1,
        }
    }
    out
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// One sample line: name, labels, value.
pub fn parse_line(line: &str) -> Option<(String, BTreeMap<String, String>, f64)> {
    let name_end = line.find(|c: char| !is_name_char(c)).unwrap_or(line.len());
    let name = &line[..name_end];
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut rest = &line[name_end..];
    let mut labels = BTreeMap::new();
    if let Some(after) = rest.strip_prefix('{') {
        let (parsed, tail) = parse_labels(after)?;
        labels = parsed;
        rest = tail;
    }
    let value_text = rest.split_whitespace().next()?;
    let value = parse_value(value_text)?;
    Some((name.to_string(), labels, value))
}

fn parse_value(s: &str) -> Option<f64> {
    match s {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        "NaN" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

/// Labels after the `{`, up to and including the `}`; returns what follows.
fn parse_labels(mut s: &str) -> Option<(BTreeMap<String, String>, &str)> {
    let mut labels = BTreeMap::new();
    loop {
        s = s.trim_start_matches([' ', ',']);
        if let Some(tail) = s.strip_prefix('}') {
            return Some((labels, tail));
        }
        let eq = s.find('=')?;
        let key = s[..eq].trim();
        if key.is_empty() || !key.chars().all(is_name_char) {
            return None;
        }
        let body = s[eq + 1..].trim_start().strip_prefix('"')?;
        let mut value = String::new();
        let mut chars = body.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => break i,
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                c => value.push(c),
            }
        };
        labels.insert(key.to_string(), value);
        s = &body[end + 1..];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counters_histograms_and_escapes() {
        let text = "# HELP glomers_messages_sent_total Messages sent\n\
            # TYPE glomers_messages_sent_total counter\n\
            glomers_messages_sent_total{node=\"n0\",peer=\"node\",type=\"gossip\"} 42\n\
            glomers_gossip_fanout_bucket{node=\"n0\",le=\"+Inf\"} 7\n\
            glomers_gossip_fanout_sum{node=\"n0\"} 12.5\n\
            odd{a=\"x\\\"y\\\\z\\n\"} 1 1700000000000\n\
            bare 3\n\
            broken{a=\"x} 1\n\
            9bad 1\n";
        let p = parse(text, Some(5));
        assert_eq!(p.skipped_lines, 2);
        assert_eq!(p.points.len(), 5);
        assert_eq!(p.points[0].name, "glomers_messages_sent_total");
        assert_eq!(
            p.points[0].labels_json,
            r#"{"node":"n0","peer":"node","type":"gossip"}"#
        );
        assert_eq!(p.points[0].value, 42.0);
        assert_eq!(p.points[1].labels_json, r#"{"le":"+Inf","node":"n0"}"#);
        assert_eq!(p.points[2].value, 12.5);
        assert_eq!(p.points[3].labels_json, r#"{"a":"x\"y\\z\n"}"#);
        assert_eq!(p.points[4].labels_json, "{}");
        assert_eq!(p.points[4].time_ms, Some(5));
    }
}
