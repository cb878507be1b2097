//! The start time encoded in a run folder's name: a basic-ISO local time with milliseconds
//! and a UTC offset (`20240919T142314.276+0530`, `20230511T014817.269-0400`,
//! `20261122T034330.446Z`), possibly after a prefix (`repo__20240919T142314.276+0530`).

use chrono::{DateTime, FixedOffset};

/// Parses one timestamp exactly (no prefix).
fn parse_exact(s: &str) -> Option<DateTime<FixedOffset>> {
    let owned;
    let s = match s.strip_suffix('Z') {
        Some(head) => {
            owned = format!("{head}+0000");
            owned.as_str()
        }
        None => s,
    };
    DateTime::parse_from_str(s, "%Y%m%dT%H%M%S%.f%z").ok()
}

/// The start time in a folder name: the first position from which the rest of the name is
/// a timestamp.
pub fn start_time(name: &str) -> Option<DateTime<FixedOffset>> {
    name.char_indices()
        .filter(|(_, c)| c.is_ascii_digit())
        .map(|(i, _)| &name[i..])
        .filter(|rest| rest.len() >= 15 && rest.as_bytes().get(8) == Some(&b'T'))
        .find_map(parse_exact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_zulu() {
        let t = start_time("20240101T120000.000-0500").unwrap();
        assert_eq!(t.to_rfc3339(), "2024-01-01T12:00:00-05:00");
        let t = start_time("20240919T142314.276+0530").unwrap();
        assert_eq!(t.timestamp_millis(), 1726735994276);
        let t = start_time("local__maelstrom-0.2.5__20261122T034330.446Z").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-22T03:43:30.446+00:00");
    }

    #[test]
    fn without_millis_and_garbage() {
        assert!(start_time("20240101T120000-0500").is_some());
        assert!(start_time("latest").is_none());
        assert!(start_time("run 1 [x]").is_none());
    }
}
