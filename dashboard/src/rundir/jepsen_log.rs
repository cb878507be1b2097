//! Facts read from `jepsen.log` (FORMAT.md §4): the command line (the line after
//! `jepsen.core: Command line:`), the flags the dashboard lists (node count, nemesis), and why
//! a run without results crashed. Only the head and tail of the log are read, so a huge log
//! costs nothing.

/// Bytes read from the start of the log to find the command line.
pub const HEAD_BYTES: u64 = 64 * 1024;
/// Bytes read from the end of the log to find a crash.
pub const TAIL_BYTES: u64 = 64 * 1024;

/// The command line from the head of a `jepsen.log`.
pub fn command_line(head: &str) -> Option<String> {
    let mut lines = head.lines();
    while let Some(line) = lines.next() {
        if line.contains("jepsen.core: Command line:") {
            return lines
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string());
        }
    }
    None
}

/// The value of a `--flag value` or `--flag=value` option; the last one wins, as in Maelstrom.
pub fn flag(cmd: &str, names: &[&str]) -> Option<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        for name in names {
            if w == name {
                if let Some(v) = words.get(i + 1) {
                    found = Some(v.to_string());
                }
            } else if let Some(v) = w.strip_prefix(name).and_then(|r| r.strip_prefix('=')) {
                found = Some(v.to_string());
            }
        }
    }
    found
}

/// Node count from `--node-count k` or `--nodes a,b,c`.
pub fn node_count(cmd: &str) -> Option<i64> {
    if let Some(n) = flag(cmd, &["--node-count"]).and_then(|v| v.parse().ok()) {
        return Some(n);
    }
    flag(cmd, &["--nodes"]).map(|v| v.split(',').filter(|s| !s.is_empty()).count() as i64)
}

/// `--nemesis` value (`partition`), if any.
pub fn nemesis(cmd: &str) -> Option<String> {
    flag(cmd, &["--nemesis"])
}

/// Why a run crashed, from the tail of its log: the exception after `Test crashed!`, else
/// the last WARN/ERROR line and the one after it.
pub fn crash_reason(tail: &str) -> Option<String> {
    let lines: Vec<&str> = tail.lines().collect();
    let pick = |i: usize| {
        let head = lines[i].split('\t').next_back().unwrap_or(lines[i]).trim();
        let next = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
        let text = if next.is_empty() || next.starts_with("at ") {
            head.to_string()
        } else {
            format!("{head} {next}")
        };
        crate::summary::workload::clip(&text)
    };
    if let Some(i) = lines.iter().rposition(|l| l.contains("Test crashed!")) {
        return Some(pick(i));
    }
    lines
        .iter()
        .rposition(|l| l.contains("\tWARN\t") || l.contains("\tERROR\t"))
        .map(pick)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str =
        "2023-05-10 01:16:52,175{GMT}\tINFO\t[jepsen test runner] jepsen.core: Command line:\n\
        lein run test -w broadcast --bin x --node-count 5 --nemesis partition\n";

    #[test]
    fn reads_command_line() {
        let cmd = command_line(HEAD).unwrap();
        assert!(cmd.starts_with("lein run test -w broadcast"));
        assert_eq!(node_count(&cmd), Some(5));
        assert_eq!(nemesis(&cmd).as_deref(), Some("partition"));
        assert_eq!(node_count("x --nodes n1,n2"), Some(2));
        assert_eq!(node_count("x --node-count=3"), Some(3));
        assert_eq!(nemesis("x"), None);
    }

    #[test]
    fn crash() {
        let tail = "a\n2024 x\tWARN\t[jepsen test runner] jepsen.core: Test crashed!\n\
                    java.io.IOException: Cannot run program\n\tat x\n";
        assert_eq!(
            crash_reason(tail).unwrap(),
            "[jepsen test runner] jepsen.core: Test crashed! java.io.IOException: Cannot run program"
        );
        assert_eq!(crash_reason("all fine\n"), None);
    }
}
