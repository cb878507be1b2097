//! A run's *test*: its workload, every flag that shapes it, the node binary's file name and
//! the words passed to it, read from the run's command line (`jepsen.log`'s `Command line:`
//! entry, which real Maelstrom and the harness both write). Flags left out take Maelstrom's
//! defaults (MAELSTROM.md §3) and flags a workload ignores are dropped, so equal tests written
//! differently get one [`TestIdentity::key`]. Flags that only change logging or bookkeeping
//! (`--log-stderr`, `--seed`, `--store`, `--test-count`, Jepsen's SSH flags, ...) are not
//! part of a test.

use serde::{Deserialize, Serialize};

use super::challenge;

/// What the dashboard knows of a run's test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestIdentity {
    /// The canonical test: a normalised command line, defaults filled in. Equal keys, equal tests.
    pub key: String,
    /// The fly.io challenge id (`3d`, `5b/5c`, ...) when the flags are one of fly.io's
    /// commands, else a short form (`broadcast 25n 100/s lat 100 ms partition`).
    pub name: String,
    /// The challenge id alone, when there is one.
    pub challenge: Option<String>,
    pub workload: String,
    /// The node binary's file name (the path differs between machines), if `--bin` was given.
    pub bin: Option<String>,
    /// The words passed to the node binary.
    pub args: Vec<String>,
    /// What could not be read: unknown flags, unreadable values. Kept as written in the key.
    pub unknown: Vec<String>,
}

impl TestIdentity {
    /// The name with the binary, as lists show it: `3d · broadcast`.
    pub fn label(&self) -> String {
        match &self.bin {
            Some(b) => format!("{} · {b}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Flags taking a value, by every spelling, with their canonical name.
const VALUE_FLAGS: &[(&str, &str)] = &[
    ("-w", "workload"),
    ("--workload", "workload"),
    ("--bin", "bin"),
    ("--node-count", "node-count"),
    ("--nodes", "nodes"),
    ("-n", "node"),
    ("--node", "node"),
    ("--nodes-file", "nodes-file"),
    ("--time-limit", "time-limit"),
    ("--rate", "rate"),
    ("--concurrency", "concurrency"),
    ("--latency", "latency"),
    ("--latency-dist", "latency-dist"),
    ("--nemesis", "nemesis"),
    ("--nemesis-interval", "nemesis-interval"),
    ("--availability", "availability"),
    ("--consistency-models", "consistency-models"),
    ("--topology", "topology"),
    ("--key-count", "key-count"),
    ("--max-txn-length", "max-txn-length"),
    ("--max-writes-per-key", "max-writes-per-key"),
    ("--recovery-time", "recovery-time"),
    // Not part of a test: bookkeeping, repetition, SSH.
    ("--test-count", ""),
    ("--seed", ""),
    ("--store", ""),
    ("--username", ""),
    ("--password", ""),
    ("--ssh-private-key", ""),
];

/// Flags without a value; none of them shapes a test (logging, SSH, the harness's telemetry).
const SWITCHES: &[&str] = &[
    "--log-stderr",
    "--log-net-send",
    "--log-net-recv",
    "--leave-db-running",
    "--logging-json",
    "--no-ssh",
    "--strict-host-key-checking",
    "--telemetry",
];

/// Workloads with a final phase (heal, recovery sleep, final reads): `--recovery-time` matters.
const FINAL_PHASE: &[&str] = &["broadcast", "g-set", "g-counter", "pn-counter", "kafka"];
const TXN: &[&str] = &["txn-rw-register", "txn-list-append"];

/// The words of a command line, split as a shell would (the harness quotes words with
/// spaces); a line a shell could not split is split on whitespace.
fn words(cmd: &str, unknown: &mut Vec<String>) -> Vec<String> {
    match shell_words::split(cmd) {
        Ok(w) => w,
        Err(_) => {
            unknown.push("unbalanced quotes in the command line; split on spaces".into());
            cmd.split_whitespace().map(str::to_string).collect()
        }
    }
}

/// Flags as given: canonical name → values in order (the last one wins, as in Maelstrom).
#[derive(Default)]
struct Given {
    values: Vec<(&'static str, String)>,
    args: Vec<String>,
}

impl Given {
    fn last(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.values
            .iter()
            .filter(move |(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn read_flags(words: &[String], unknown: &mut Vec<String>) -> Given {
    // Everything before the `test` subcommand is the launcher (`lein run`, `maelstrom`,
    // `harness`, a path to either).
    let start = words.iter().position(|w| w == "test").map_or(0, |i| i + 1);
    let mut given = Given::default();
    let mut i = start;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if w == "--" {
            given.args.extend(words[i..].iter().cloned());
            break;
        }
        if !w.starts_with('-') || w == "-" || w.parse::<f64>().is_ok() {
            given.args.push(w.clone());
            continue;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (w.as_str(), None),
        };
        if SWITCHES.contains(&flag) {
            continue;
        }
        let Some(&(_, name)) = VALUE_FLAGS.iter().find(|(f, _)| *f == flag) else {
            unknown.push(format!("unknown flag {w}"));
            given.values.push(("unknown", w.clone()));
            continue;
        };
        let value = match inline {
            Some(v) => Some(v),
            None if i < words.len() => {
                i += 1;
                Some(words[i - 1].clone())
            }
            None => None,
        };
        match value {
            Some(v) if !name.is_empty() => given.values.push((name, v)),
            Some(_) => {}
            None => unknown.push(format!("{flag} without a value")),
        }
    }
    given
}

/// A number as the key writes it: `100`, `0.5`.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Reads a flag's value with `parse`, or keeps it as written and says so.
fn value<T>(
    given: &Given,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
    show: impl Fn(T) -> String,
    default: &str,
    unknown: &mut Vec<String>,
) -> String {
    match given.last(name) {
        None => default.to_string(),
        Some(raw) => match parse(raw) {
            Some(v) => show(v),
            None => {
                unknown.push(format!("--{name} {raw:?} is not a value Maelstrom accepts"));
                raw.to_string()
            }
        },
    }
}

fn positive_int(s: &str) -> Option<u64> {
    s.parse::<u64>().ok().filter(|n| *n > 0)
}

fn non_negative(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|x| x.is_finite() && *x >= 0.0)
}

/// The file name of a `--bin` path (`./target/release/broadcast` → `broadcast`).
pub fn bin_name(path: &str) -> String {
    path.trim_end_matches('/')
        .rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or(path)
        .to_string()
}

/// The test of a command line.
pub fn parse(cmd: &str) -> TestIdentity {
    let c = canonical(cmd);
    let args_part = if c.args.is_empty() {
        String::new()
    } else {
        format!(" -- {}", shell_words::join(&c.args))
    };
    let key = format!(
        "{} --bin {}{args_part}",
        c.flags_key,
        c.bin.as_deref().unwrap_or("?")
    );
    let challenge = if c.odd {
        None
    } else {
        challenge::find(&c.flags_key, &c.args)
    };
    let name = challenge.clone().unwrap_or(c.short);
    TestIdentity {
        key,
        name,
        challenge,
        workload: c.workload,
        bin: c.bin,
        args: c.args,
        unknown: c.unknown,
    }
}

/// A command line read and normalised, before it is named.
struct Canon {
    /// `-w <workload> --flag value ...`: every shaping flag, no binary, no words.
    flags_key: String,
    workload: String,
    bin: Option<String>,
    args: Vec<String>,
    short: String,
    /// Unknown flags were given.
    odd: bool,
    unknown: Vec<String>,
}

fn canonical(cmd: &str) -> Canon {
    let mut unknown = Vec::new();
    let words = words(cmd, &mut unknown);
    let given = read_flags(&words, &mut unknown);
    identity(&given, unknown)
}

fn identity(given: &Given, mut unknown: Vec<String>) -> Canon {
    let workload = given.last("workload").unwrap_or("lin-kv").to_string();
    let wl = workload.as_str();
    let bin = given.last("bin").map(bin_name);
    let mut flags: Vec<(&str, String)> = Vec::new();

    // Nodes: --node-count wins; else --nodes and --node together; else n1..n5.
    let node_count: Option<u64> = if let Some(raw) = given.last("node-count") {
        match positive_int(raw) {
            Some(n) => Some(n),
            None => {
                unknown.push(format!("--node-count {raw:?} is not a positive integer"));
                flags.push(("node-count", raw.to_string()));
                None
            }
        }
    } else if let Some(file) = given.last("nodes-file") {
        flags.push(("nodes-file", bin_name(file)));
        None
    } else {
        let listed = given
            .all("nodes")
            .flat_map(|v| v.split(','))
            .chain(given.all("node"))
            .filter(|s| !s.trim().is_empty())
            .count() as u64;
        Some(if listed > 0 { listed } else { 5 })
    };
    if let Some(n) = node_count {
        flags.push(("node-count", n.to_string()));
    }
    let concurrency = given.last("concurrency").unwrap_or("1n");
    let per_node = concurrency.strip_suffix('n');
    let digits = per_node.unwrap_or(concurrency);
    match (digits.parse::<u64>(), per_node, node_count) {
        (Ok(k), Some(_), Some(n)) => flags.push(("concurrency", (k * n).to_string())),
        (Ok(k), None, _) => flags.push(("concurrency", k.to_string())),
        (Ok(_), Some(_), None) => flags.push(("concurrency", concurrency.to_string())),
        (Err(_), _, _) => {
            unknown.push(format!("--concurrency {concurrency:?} is not N or Nn"));
            flags.push(("concurrency", concurrency.to_string()));
        }
    }
    let u = &mut unknown;
    flags.push((
        "time-limit",
        value(
            given,
            "time-limit",
            positive_int,
            |n| n.to_string(),
            "60",
            u,
        ),
    ));
    flags.push(("rate", value(given, "rate", non_negative, number, "5", u)));
    let latency = value(
        given,
        "latency",
        |s| s.parse::<u64>().ok(),
        |n| n.to_string(),
        "0",
        u,
    );
    let dist = value(
        given,
        "latency-dist",
        |s| {
            ["constant", "uniform", "exponential"]
                .contains(&s)
                .then(|| s.to_string())
        },
        |s| s,
        "constant",
        u,
    );
    // Without latency, every distribution is the same.
    let no_latency = latency == "0";
    flags.push(("latency", latency));
    if !no_latency {
        flags.push(("latency-dist", dist));
    }
    // --nemesis: comma-separated faults; only `partition` exists.
    let mut faults: Vec<String> = given
        .all("nemesis")
        .flat_map(|v| v.split(','))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    faults.sort();
    faults.dedup();
    for f in faults.iter().filter(|f| *f != "partition") {
        u.push(format!("--nemesis {f:?}: Maelstrom only knows partition"));
    }
    let partition = !faults.is_empty();
    flags.push((
        "nemesis",
        if partition {
            faults.join(",")
        } else {
            "none".into()
        },
    ));
    if partition {
        flags.push((
            "nemesis-interval",
            value(
                given,
                "nemesis-interval",
                |s| non_negative(s).filter(|x| *x > 0.0),
                number,
                "10",
                u,
            ),
        ));
    }
    flags.push((
        "availability",
        value(
            given,
            "availability",
            |s| {
                if s == "total" {
                    Some(s.to_string())
                } else {
                    non_negative(s).filter(|x| *x <= 1.0).map(number)
                }
            },
            |s| s,
            "none",
            u,
        ),
    ));
    if wl == "broadcast" {
        flags.push((
            "topology",
            value(
                given,
                "topology",
                |s| match s {
                    "tree" | "tree2" => Some("tree2".to_string()),
                    "line" | "grid" | "tree3" | "tree4" | "total" => Some(s.to_string()),
                    _ => None,
                },
                |s| s,
                "grid",
                u,
            ),
        ));
    }
    if TXN.contains(&wl) {
        flags.push((
            "consistency-models",
            given
                .last("consistency-models")
                .unwrap_or("strict-serializable")
                .trim()
                .to_string(),
        ));
        flags.push((
            "max-txn-length",
            value(
                given,
                "max-txn-length",
                positive_int,
                |n| n.to_string(),
                "4",
                u,
            ),
        ));
    }
    if TXN.contains(&wl) || wl == "kafka" {
        flags.push((
            "key-count",
            value(given, "key-count", positive_int, |n| n.to_string(), "10", u),
        ));
        flags.push((
            "max-writes-per-key",
            value(
                given,
                "max-writes-per-key",
                positive_int,
                |n| n.to_string(),
                "16",
                u,
            ),
        ));
    }
    // The harness's --recovery-time (Maelstrom always waits 10 s): only when it differs.
    if FINAL_PHASE.contains(&wl) {
        let r = value(given, "recovery-time", non_negative, number, "10", u);
        if r != "10" {
            flags.push(("recovery-time", r));
        }
    }
    let mut extra: Vec<&str> = given.all("unknown").collect::<Vec<_>>();
    extra.sort();

    let mut flags_key = format!("-w {workload}");
    for (name, v) in &flags {
        flags_key.push_str(&format!(" --{name} {v}"));
    }
    for e in &extra {
        flags_key.push_str(&format!(" {e}"));
    }
    let args = given.args.clone();
    let short = short_form(&workload, &flags, &args, !extra.is_empty());
    Canon {
        flags_key,
        workload,
        bin,
        args,
        short,
        odd: !extra.is_empty(),
        unknown,
    }
}

/// `broadcast 25n 100/s lat 100 ms partition 3d`: the figures a person tells tests apart by.
fn short_form(workload: &str, flags: &[(&str, String)], args: &[String], odd: bool) -> String {
    let get = |n: &str| flags.iter().find(|(k, _)| *k == n).map(|(_, v)| v.as_str());
    let mut s = workload.to_string();
    if let Some(n) = get("node-count") {
        s.push_str(&format!(" {n}n"));
    }
    if let Some(r) = get("rate") {
        s.push_str(&format!(" {r}/s"));
    }
    if let Some(l) = get("latency").filter(|l| *l != "0") {
        s.push_str(&format!(" lat {l} ms"));
    }
    if get("nemesis").is_some_and(|n| n != "none") {
        s.push_str(" partition");
    }
    if let Some(t) = get("time-limit").filter(|t| *t != "60") {
        s.push_str(&format!(" {t}s"));
    }
    if !args.is_empty() {
        s.push_str(&format!(" [{}]", args.join(" ")));
    }
    if odd {
        s.push_str(" (unknown flags)");
    }
    s
}

/// The flags part (no binary) and the words passed to the node of a command given as the
/// words after `test`: what [`challenge`] matches on.
pub(super) fn flags_of(args_after_test: &str) -> (String, Vec<String>) {
    let c = canonical(&format!("test {args_after_test}"));
    (c.flags_key, c.args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(cmd: &str) -> String {
        parse(cmd).key
    }

    #[test]
    fn defaults_and_order_do_not_matter() {
        let a = key("lein run test -w broadcast --bin /home/a/broadcast --node-count 5 --time-limit 20 --rate 10");
        let b2 = key("maelstrom test --time-limit 20 --rate 10.0 --workload broadcast --node-count=5 --bin ./target/release/broadcast --concurrency 5 --latency 0 --latency-dist uniform --topology grid --nemesis-interval 3");
        assert_eq!(a, b2);
        let h = key("harness test -w broadcast --bin /x/broadcast --node-count 5 --time-limit 20 --rate 10 --seed 7 --store /tmp/s --telemetry --log-stderr");
        assert_eq!(
            a, h,
            "seed, store, telemetry and logging do not shape a test"
        );
    }

    #[test]
    fn rates_nodes_args_and_binaries_do() {
        let base =
            "test -w broadcast --bin b --node-count 25 --time-limit 20 --rate 100 --latency 100";
        assert_ne!(key(base), key(&base.replace("--rate 100", "--rate 10")));
        assert_ne!(key(base), key(&base.replace("25", "5")));
        assert_ne!(key(base), key(&format!("{base} --nemesis partition")));
        assert_ne!(key(&format!("{base} 3d")), key(&format!("{base} 3e")));
        assert_ne!(key(base), key(&base.replace("--bin b", "--bin c")));
        assert_eq!(
            key(base),
            key(&base.replace("--bin b", "--bin /elsewhere/b"))
        );
    }

    #[test]
    fn nodes_default_to_five_and_concurrency_resolves() {
        assert_eq!(
            key("test -w echo --bin e"),
            key("test -w echo --bin e --nodes n1,n2,n3,n4,n5 --concurrency 5")
        );
        assert_eq!(
            key("test -w kafka --bin k --node-count 2 --concurrency 2n"),
            key("test -w kafka --bin k --node-count 2 --concurrency 4 --key-count 10")
        );
        assert_eq!(
            key("test -w lin-kv --bin x"),
            key("test --bin x"),
            "default workload"
        );
    }

    #[test]
    fn irrelevant_flags_are_dropped() {
        assert_eq!(
            key("test -w echo --bin e --topology tree --consistency-models serializable"),
            key("test -w echo --bin e")
        );
        assert_eq!(
            key("test -w broadcast --bin e --topology tree"),
            key("test -w broadcast --bin e --topology tree2")
        );
    }

    #[test]
    fn unknown_flags_are_kept_and_reported() {
        let t = parse("test -w echo --bin e --frobnicate 3");
        assert_eq!(t.unknown, vec!["unknown flag --frobnicate".to_string()]);
        assert!(t.key.contains("--frobnicate"), "{}", t.key);
        assert_eq!(t.args, vec!["3"]);
        assert!(t.name.contains("unknown flags"), "{}", t.name);
        let bad = parse("test -w echo --bin e --rate fast");
        assert_eq!(bad.unknown.len(), 1, "{:?}", bad.unknown);
        assert!(bad.key.contains("--rate fast"));
    }

    #[test]
    fn quoted_words_and_en_dash() {
        let t = parse("harness test -w txn-rw-register --bin /a/txn-rw-register --node-count 2 --concurrency 2n --time-limit 20 --rate 1000 --consistency-models read-committed --availability total –-nemesis partition");
        assert_eq!(t.args, vec!["–-nemesis", "partition"]);
        assert_eq!(t.challenge.as_deref(), Some("6c"));
        let q = parse("harness test -w echo --bin e 'two words'");
        assert_eq!(q.args, vec!["two words"]);
        let broken = parse("test -w echo --bin 'e");
        assert!(!broken.unknown.is_empty());
    }
}
