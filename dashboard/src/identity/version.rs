//! The version of the code a run's nodes ran, from the first line each glomers node writes
//! to stderr (`glomers-node <binary> version <VERSION>`, node/src/build_info.rs), which
//! Maelstrom and the harness keep as `node-logs/nN.log`. Nodes that say nothing (other
//! people's binaries) leave the version unknown; a garbled line or nodes naming different
//! versions leave it unknown too, with a problem saying why.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::rundir::files::read_head;

/// Words that open a version line.
pub const LINE_PREFIX: &str = "glomers-node";
/// Bytes read from the start of each node log.
const HEAD_BYTES: u64 = 4096;
/// Node logs read per run (a 25-node run has 25).
const MAX_LOGS: usize = 200;

/// What one node said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeVersion {
    pub node: String,
    pub binary: String,
    pub version: String,
}

/// The versions a run's node logs name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeVersions {
    /// The one version every node that said one named; `None` when none did or they differ.
    pub version: Option<String>,
    pub nodes: Vec<NodeVersion>,
    /// Garbled lines, disagreeing nodes.
    pub problems: Vec<String>,
}

/// Whether `v` looks like `0.1.0+3f2a9c1d7e4b`, `0.1.0+3f2a9c1d7e4b.dirty.1a2b3c4d` or
/// `0.1.0+unknown`.
pub fn well_formed(v: &str) -> bool {
    let Some((crate_version, build)) = v.split_once('+') else {
        return false;
    };
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    let crate_ok = !crate_version.is_empty()
        && crate_version.split('.').count() >= 3
        && crate_version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    let build_ok = match build.split_once(".dirty.") {
        Some((commit, diff)) => hex(commit, 12) && hex(diff, 8),
        None => build == "unknown" || hex(build, 12),
    };
    crate_ok && build_ok
}

/// Reads one stderr line: `Ok(None)` when it is no version line, `Err` when it starts like
/// one but is garbled.
pub fn parse_line(line: &str) -> Result<Option<(String, String)>, String> {
    let line = line.trim();
    if !line.starts_with(LINE_PREFIX) {
        return Ok(None);
    }
    match line.split_whitespace().collect::<Vec<_>>().as_slice() {
        [LINE_PREFIX, binary, "version", v] if well_formed(v) => {
            Ok(Some((binary.to_string(), v.to_string())))
        }
        _ => {
            let shown: String = line.chars().take(120).collect();
            Err(format!("garbled version line {shown:?}"))
        }
    }
}

/// The version line of one node log's head: the first line, or (when something printed
/// before the node started) the first line that starts like one.
fn of_log(head: &str) -> Result<Option<(String, String)>, String> {
    let mut lines = head.lines().filter(|l| !l.trim().is_empty());
    match lines.next().map(parse_line) {
        Some(Ok(None)) => {}
        other => return other.unwrap_or(Ok(None)),
    }
    // A cut last line of the head is not judged.
    let complete = head.rfind('\n').map(|i| &head[..i]).unwrap_or("");
    for l in complete.lines() {
        if let Some(v) = parse_line(l)? {
            return Ok(Some(v));
        }
    }
    Ok(None)
}

fn natural(name: &str) -> (String, u64) {
    let digits: String = name.chars().filter(char::is_ascii_digit).collect();
    let stem: String = name.chars().filter(|c| !c.is_ascii_digit()).collect();
    (stem, digits.parse().unwrap_or(0))
}

/// Reads the versions named in `<run>/node-logs/*.log`.
pub fn read(run_dir: &Path) -> NodeVersions {
    let mut out = NodeVersions::default();
    let Ok(entries) = std::fs::read_dir(run_dir.join("node-logs")) else {
        return out;
    };
    let mut logs: Vec<(String, std::path::PathBuf)> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let node = name.strip_suffix(".log")?.to_string();
            Some((node, e.path()))
        })
        .collect();
    logs.sort_by_key(|(n, _)| natural(n));
    for (node, path) in logs.into_iter().take(MAX_LOGS) {
        let Some(head) = read_head(&path, HEAD_BYTES) else {
            continue;
        };
        match of_log(&head) {
            Ok(Some((binary, version))) => out.nodes.push(NodeVersion {
                node,
                binary,
                version,
            }),
            Ok(None) => {}
            Err(e) => out.problems.push(format!("node-logs/{node}.log: {e}")),
        }
    }
    let mut versions: Vec<&str> = out.nodes.iter().map(|n| n.version.as_str()).collect();
    versions.sort();
    versions.dedup();
    match versions.as_slice() {
        [] => {}
        [one] => out.version = Some(one.to_string()),
        many => {
            let parts: Vec<String> = many
                .iter()
                .map(|v| {
                    let nodes: Vec<&str> = out
                        .nodes
                        .iter()
                        .filter(|n| n.version == *v)
                        .map(|n| n.node.as_str())
                        .collect();
                    format!("{v} ({})", nodes.join(", "))
                })
                .collect();
            out.problems.push(format!(
                "the node logs name {} versions: {}; the run's version is unknown (give it a label)",
                many.len(),
                parts.join("; ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_checked() {
        assert!(well_formed("0.1.0+3f2a9c1d7e4b"));
        assert!(well_formed("0.1.0+3f2a9c1d7e4b.dirty.1a2b3c4d"));
        assert!(well_formed("0.1.0+unknown"));
        assert!(!well_formed("0.1.0"));
        assert!(!well_formed("0.1.0+3f2a"));
        assert!(!well_formed("0.1.0+3f2a9c1d7e4b.dirty"));
        assert!(!well_formed("+unknown"));
    }

    #[test]
    fn lines() {
        assert_eq!(
            parse_line("glomers-node broadcast version 0.1.0+unknown").unwrap(),
            Some(("broadcast".into(), "0.1.0+unknown".into()))
        );
        assert_eq!(
            parse_line("2023/05/10 01:16:53 Received {c0 n0}").unwrap(),
            None
        );
        assert!(parse_line("glomers-node broadcast version").is_err());
        assert!(parse_line("glomers-node broadcast version 0.1.0+xyz").is_err());
        assert!(parse_line("glomers-node broadcast vers 0.1.0+unknown").is_err());
    }

    fn run_with(logs: &[(&str, &str)]) -> NodeVersions {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(tmp.path().join("node-logs")).unwrap();
        for (n, text) in logs {
            std::fs::write(tmp.path().join(format!("node-logs/{n}.log")), text).unwrap();
        }
        read(tmp.path())
    }

    #[test]
    fn one_version_two_versions_garbled_and_silent() {
        let v = "0.1.0+3f2a9c1d7e4b";
        let line = format!("glomers-node broadcast version {v}\nINFO started\n");
        let one = run_with(&[("n0", &line), ("n1", &line), ("n10", &line)]);
        assert_eq!(one.version.as_deref(), Some(v));
        assert_eq!(one.nodes[2].node, "n10", "natural order");
        assert!(one.problems.is_empty());

        let other = "glomers-node broadcast version 0.1.0+aaaaaaaaaaaa\n";
        let two = run_with(&[("n0", &line), ("n1", other)]);
        assert_eq!(two.version, None);
        assert!(two.problems[0].contains("2 versions"), "{:?}", two.problems);
        assert!(two.problems[0].contains("(n1)"), "{:?}", two.problems);

        let bad = run_with(&[("n0", "glomers-node broadcast version ???\n")]);
        assert_eq!(bad.version, None);
        assert!(
            bad.problems[0].starts_with("node-logs/n0.log: garbled"),
            "{:?}",
            bad.problems
        );

        let silent = run_with(&[("n0", "2023/05/10 Received {}\n")]);
        assert_eq!(silent, NodeVersions::default());

        let late = run_with(&[("n0", &format!("wrapper: starting\n{line}"))]);
        assert_eq!(late.version.as_deref(), Some(v));
    }
}
