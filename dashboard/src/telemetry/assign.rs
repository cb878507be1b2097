//! Which run a node process's telemetry belongs to, when it does not come from the run's own
//! folder. The rule:
//!
//! 1. a `glomers.run` resource attribute naming an indexed run (`<workload>/<folder>`, or the
//!    folder name alone when it is unique) wins;
//! 2. otherwise the candidates are runs whose window `[start - 5 s, end + 30 s]` holds the
//!    process's first and last timestamps (start = the time in the run folder's name, end =
//!    the last change to jepsen.log, results.edn or history.edn), and whose nodes include the
//!    process's node id (Maelstrom names nodes `n0`..`n<k-1>`; when the process reported the
//!    cluster's node ids, their number must equal the run's node count);
//! 3. of those, the run that started last wins (the most recent run begun before the node).
//!
//! A process no run fits stays unassigned and is tried again after every store scan (a run
//! folder is indexed within one scan of its `jepsen.log` appearing).

use std::collections::HashMap;

use crate::index::RunRow;

/// Slack before a run's start: the folder's time comes from the same clock, a little early.
pub const BEFORE_MS: i64 = 5_000;
/// Slack after a run's last file change: a live run's files are re-read only every scan.
pub const AFTER_MS: i64 = 30_000;

/// A run's time window and size.
#[derive(Debug, Clone, PartialEq)]
pub struct RunWindow {
    pub id: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub node_count: Option<i64>,
}

/// What is known of a node process.
#[derive(Debug, Clone, Default)]
pub struct Process<'a> {
    pub node: Option<&'a str>,
    pub node_ids: &'a [String],
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    pub run_hint: Option<&'a str>,
}

/// The latest mtime (ms) in a run fingerprint (`name:size:mtime_ns;...`).
fn fingerprint_end_ms(fp: &str) -> Option<i64> {
    fp.split(';')
        .filter_map(|p| p.rsplit(':').next()?.parse::<u128>().ok())
        .max()
        .map(|ns| (ns / 1_000_000) as i64)
}

/// The windows of the indexed runs (those with a start time).
pub fn windows(rows: &[RunRow], fingerprints: &HashMap<String, (String, bool)>) -> Vec<RunWindow> {
    rows.iter()
        .filter_map(|r| {
            let start = r.start_ms?;
            let end = fingerprints
                .get(&r.id)
                .and_then(|(fp, _)| fingerprint_end_ms(fp))
                .unwrap_or(start)
                .max(start);
            Some(RunWindow {
                id: r.id.clone(),
                start_ms: start,
                end_ms: end,
                node_count: r.node_count,
            })
        })
        .collect()
}

fn node_fits(w: &RunWindow, p: &Process) -> bool {
    let Some(count) = w.node_count else {
        return true;
    };
    if !p.node_ids.is_empty() && p.node_ids.len() as i64 != count {
        return false;
    }
    match p.node {
        None => true,
        Some(n) => n
            .strip_prefix('n')
            .and_then(|d| d.parse::<i64>().ok())
            .is_some_and(|i| i < count),
    }
}

/// The run a process belongs to, by the rule above.
pub fn pick(windows: &[RunWindow], p: &Process) -> Option<String> {
    if let Some(hint) = p.run_hint {
        if let Some(w) = windows.iter().find(|w| w.id == hint) {
            return Some(w.id.clone());
        }
        let by_folder: Vec<&RunWindow> = windows
            .iter()
            .filter(|w| w.id.split_once('/').map(|(_, f)| f) == Some(hint))
            .collect();
        if by_folder.len() == 1 {
            return Some(by_folder[0].id.clone());
        }
    }
    let first = p.first_ms.or(p.last_ms)?;
    let last = p.last_ms.unwrap_or(first).max(first);
    windows
        .iter()
        .filter(|w| w.start_ms - BEFORE_MS <= first && last <= w.end_ms + AFTER_MS)
        .filter(|w| node_fits(w, p))
        .max_by(|a, b| (a.start_ms, &a.id).cmp(&(b.start_ms, &b.id)))
        .map(|w| w.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(id: &str, start: i64, end: i64, n: i64) -> RunWindow {
        RunWindow {
            id: id.into(),
            start_ms: start,
            end_ms: end,
            node_count: Some(n),
        }
    }

    #[test]
    fn time_window_node_ids_and_hints() {
        let runs = vec![
            w("broadcast/a", 100_000, 130_000, 5),
            w("broadcast/b", 140_000, 170_000, 25),
            w("echo/c", 150_000, 160_000, 1),
        ];
        let at = |node, first, last| Process {
            node: Some(node),
            first_ms: Some(first),
            last_ms: Some(last),
            ..Process::default()
        };
        assert_eq!(
            pick(&runs, &at("n3", 101_000, 129_000)).as_deref(),
            Some("broadcast/a")
        );
        // n7 does not exist in the 5-node run; the later 25-node run did not start yet.
        assert_eq!(pick(&runs, &at("n7", 101_000, 129_000)), None);
        // Both b and c fit n0 in time: the one started last wins.
        assert_eq!(
            pick(&runs, &at("n0", 151_000, 159_000)).as_deref(),
            Some("echo/c")
        );
        assert_eq!(
            pick(&runs, &at("n20", 151_000, 159_000)).as_deref(),
            Some("broadcast/b")
        );
        // A process outliving every window belongs to none.
        assert_eq!(pick(&runs, &at("n0", 101_000, 500_000)), None);
        // The cluster size the node saw must match.
        let ids: Vec<String> = (0..5).map(|i| format!("n{i}")).collect();
        let p = Process {
            node_ids: &ids,
            ..at("n0", 161_000, 165_000)
        };
        assert_eq!(pick(&runs, &p), None);
        let p = Process {
            node_ids: &ids,
            ..at("n0", 101_000, 129_000)
        };
        assert_eq!(pick(&runs, &p).as_deref(), Some("broadcast/a"));
        let hinted = Process {
            run_hint: Some("a"),
            ..at("n0", 1, 1)
        };
        assert_eq!(pick(&runs, &hinted).as_deref(), Some("broadcast/a"));
    }

    #[test]
    fn end_from_fingerprint() {
        assert_eq!(
            fingerprint_end_ms("results.edn:10:2000000000;jepsen.log:5:3000000000"),
            Some(3000)
        );
        assert_eq!(fingerprint_end_ms(""), None);
    }
}
