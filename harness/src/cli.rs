//! Command line: `harness test -w <workload> --bin <path> [flags] [args...]`, with the flag
//! names, defaults and validation rules of `maelstrom test` (MAELSTROM.md §3), turned into a
//! checked [`TestOpts`]. Bad arguments are reported as a [`CliError`] with exit status 254.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::checker::AvailabilityGoal;
use crate::topology::TopologyKind;

/// Exit status for bad arguments, as Maelstrom's.
pub const EXIT_BAD_ARGS: i32 = 254;

/// Every workload name Maelstrom accepts for `-w`.
pub const WORKLOAD_NAMES: &[&str] = &[
    "broadcast",
    "echo",
    "g-counter",
    "g-set",
    "kafka",
    "lin-kv",
    "pn-counter",
    "txn-list-append",
    "txn-rw-register",
    "unique-ids",
];

/// `--latency-dist`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LatencyDist {
    Constant,
    Uniform,
    Exponential,
}

/// A fully parsed and validated `test` command.
#[derive(Debug, Clone)]
pub struct TestOpts {
    pub workload: String,
    /// `--bin` as given (canonicalised when the nodes are spawned).
    pub bin: PathBuf,
    /// Positional words, passed to the node binary as arguments.
    pub bin_args: Vec<String>,
    pub nodes: Vec<String>,
    pub concurrency: usize,
    /// Seconds of main phase.
    pub time_limit: u64,
    /// Client ops per second over all threads; 0 means no client ops.
    pub rate: f64,
    /// Mean inter-node latency in ms.
    pub latency: u64,
    pub latency_dist: LatencyDist,
    /// `--nemesis partition`.
    pub partition: bool,
    /// Mean seconds between nemesis ops.
    pub nemesis_interval: f64,
    pub availability: Option<AvailabilityGoal>,
    pub consistency_models: Vec<String>,
    pub topology: TopologyKind,
    pub log_stderr: bool,
    pub log_net_send: bool,
    pub log_net_recv: bool,
    pub key_count: Option<u64>,
    pub max_txn_length: u64,
    pub max_writes_per_key: u64,
    pub test_count: u64,
    /// `--seed`: makes generator, latency draws, services and nemesis schedule reproducible.
    pub seed: Option<u64>,
    /// `--store`: root of the store folder.
    pub store: PathBuf,
    /// `--telemetry`: ask nodes to write telemetry files into the run folder.
    pub telemetry: bool,
    /// `--recovery-time`: seconds of the final phase's recovery sleep (Maelstrom: 10).
    pub recovery_time: f64,
    /// The words after the program name, for the `Command line:` log line.
    pub argv: Vec<String>,
}

/// What the command line asks for.
#[derive(Debug, Clone)]
pub enum Command {
    Test(Box<TestOpts>),
    /// Summarize run folders: `(label, dir)` pairs and whether to print JSON.
    Report {
        runs: Vec<(String, std::path::PathBuf)>,
        json: bool,
    },
}

/// A command line that cannot run: the text to print and the exit status
/// (254 for bad arguments, 0 for `--help`).
#[derive(Debug, Clone)]
pub struct CliError {
    pub message: String,
    pub exit_code: i32,
    /// Whether the text goes to stdout (help) rather than stderr.
    pub to_stdout: bool,
}

impl CliError {
    fn bad(message: impl Into<String>) -> CliError {
        CliError {
            message: message.into(),
            exit_code: EXIT_BAD_ARGS,
            to_stdout: false,
        }
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "harness",
    about = "A Maelstrom-compatible test runner for Gossip Glomers nodes",
    disable_version_flag = true
)]
struct Cli {
    #[command(subcommand)]
    command: Sub,
}

#[derive(Subcommand, Debug)]
enum Sub {
    /// Run a test against a node binary (same flags as `maelstrom test`).
    Test(Box<TestArgs>),
    /// Print a results table for store run folders (real Maelstrom's or the harness's).
    Report(ReportArgs),
}

#[derive(Args, Debug)]
struct ReportArgs {
    /// Print one JSON object per run instead of a table.
    #[arg(long)]
    json: bool,
    /// Run folders, each optionally labelled: `3d=store/broadcast/latest` or a bare path.
    #[arg(required = true)]
    runs: Vec<String>,
}

#[derive(Args, Debug)]
struct TestArgs {
    /// Workload: broadcast, echo, g-counter, g-set, kafka, lin-kv, pn-counter,
    /// txn-list-append, txn-rw-register, unique-ids.
    #[arg(short = 'w', long, default_value = "lin-kv", value_parser = parse_workload)]
    workload: String,

    /// Path to the node binary to test (required).
    #[arg(long, value_name = "FILE")]
    bin: Option<PathBuf>,

    /// Number of nodes; nodes become n0..n(N-1). Without it: n1..n5 (or --nodes/--node).
    #[arg(long, value_name = "N", value_parser = parse_positive_usize)]
    node_count: Option<usize>,

    /// Comma-separated node names.
    #[arg(long, value_name = "NODES")]
    nodes: Vec<String>,

    /// One node name (repeatable).
    #[arg(short = 'n', long = "node", value_name = "NODE")]
    node: Vec<String>,

    /// File with one node name per line.
    #[arg(long, value_name = "FILE")]
    nodes_file: Option<PathBuf>,

    /// Seconds of main phase.
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = parse_positive_u64)]
    time_limit: u64,

    /// Target client ops per second, over all clients (0 = no client ops).
    #[arg(long, value_name = "HZ", default_value = "5", value_parser = parse_rate)]
    rate: f64,

    /// Worker threads: an integer, or `Kn` for K times the node count.
    #[arg(long, value_name = "NUMBER", default_value = "1n", value_parser = parse_concurrency)]
    concurrency: Concurrency,

    /// Mean inter-node latency in milliseconds.
    #[arg(long, value_name = "MS", default_value = "0", value_parser = parse_latency)]
    latency: u64,

    /// Latency distribution: constant, uniform or exponential.
    #[arg(long, value_name = "DIST", default_value = "constant", value_parser = parse_latency_dist)]
    latency_dist: LatencyDist,

    /// Faults to inject, comma separated. Only `partition` exists.
    #[arg(long, value_name = "FAULTS", value_parser = parse_nemesis)]
    nemesis: Vec<bool>,

    /// Mean seconds between nemesis operations.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_positive_f64)]
    nemesis_interval: f64,

    /// Required availability: `total`, or a minimum fraction of ok ops in [0, 1].
    #[arg(long, value_name = "AVAILABILITY", value_parser = parse_availability)]
    availability: Option<AvailabilityGoal>,

    /// Consistency model to check (txn workloads).
    #[arg(long, value_name = "MODELS", default_value = "strict-serializable")]
    consistency_models: String,

    /// Broadcast topology: line, grid, tree, tree2, tree3, tree4, total.
    #[arg(long, value_name = "TOPOLOGY", default_value = "grid", value_parser = parse_topology)]
    topology: TopologyKind,

    /// Copy node stderr to the console and jepsen.log.
    #[arg(long)]
    log_stderr: bool,

    /// Log every message sent on the network to jepsen.log.
    #[arg(long)]
    log_net_send: bool,

    /// Log every message delivered by the network to jepsen.log.
    #[arg(long)]
    log_net_recv: bool,

    /// Active key pool size (txn and kafka workloads).
    #[arg(long, value_name = "NUM", value_parser = parse_positive_u64)]
    key_count: Option<u64>,

    /// Maximum operations per transaction.
    #[arg(long, value_name = "NUM", default_value = "4", value_parser = parse_positive_u64)]
    max_txn_length: u64,

    /// Maximum writes to one key before it is retired.
    #[arg(long, value_name = "NUM", default_value = "16", value_parser = parse_positive_u64)]
    max_writes_per_key: u64,

    /// Run the test this many times.
    #[arg(long, value_name = "N", default_value = "1", value_parser = parse_positive_u64)]
    test_count: u64,

    /// Seed for the generator, latency draws, services and nemesis schedule (ours).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,

    /// Store folder for run results (ours).
    #[arg(long, value_name = "DIR", default_value = "store")]
    store: PathBuf,

    /// Ours: nodes write telemetry files into <run folder>/telemetry (GLOMERS_TELEMETRY=file,
    /// plus otlp when set so in the environment) tagged glomers.run=<workload>/<run>.
    #[arg(long)]
    telemetry: bool,

    /// Seconds to wait for recovery before the final reads (ours; Maelstrom always waits 10).
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = parse_non_negative_f64)]
    recovery_time: f64,

    // Jepsen's generic flags, accepted for compatibility and ignored.
    #[arg(long, hide = true)]
    leave_db_running: bool,
    #[arg(long, hide = true)]
    logging_json: bool,
    #[arg(long, hide = true)]
    no_ssh: bool,
    #[arg(long, hide = true)]
    strict_host_key_checking: bool,
    #[arg(long, hide = true)]
    username: Option<String>,
    #[arg(long, hide = true)]
    password: Option<String>,
    #[arg(long, hide = true)]
    ssh_private_key: Option<String>,

    /// Extra words: passed to the node binary as arguments.
    #[arg(value_name = "ARGS")]
    args: Vec<String>,
}

/// `--concurrency` before the node count is known.
#[derive(Debug, Clone, Copy)]
enum Concurrency {
    Fixed(usize),
    PerNode(usize),
}

fn parse_workload(s: &str) -> Result<String, String> {
    if WORKLOAD_NAMES.contains(&s) {
        Ok(s.to_string())
    } else {
        Err(format!("Must be one of {}", WORKLOAD_NAMES.join(", ")))
    }
}

fn parse_positive_u64(s: &str) -> Result<u64, String> {
    match s.parse::<u64>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err("Must be a positive integer".into()),
    }
}

fn parse_positive_usize(s: &str) -> Result<usize, String> {
    parse_positive_u64(s).map(|n| n as usize)
}

fn parse_positive_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err("Must be a positive number".into()),
    }
}

fn parse_non_negative_f64(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err("Must be a non-negative number".into()),
    }
}

fn parse_rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x >= 0.0 && x.is_finite() => Ok(x),
        _ => Err("Must be a non-negative number".into()),
    }
}

fn parse_latency(s: &str) -> Result<u64, String> {
    s.parse::<u64>()
        .map_err(|_| "Must be a non-negative integer".into())
}

fn parse_concurrency(s: &str) -> Result<Concurrency, String> {
    let err = || "Must be an integer, optionally followed by n".to_string();
    let (digits, per_node) = match s.strip_suffix('n') {
        Some(d) => (d, true),
        None => (s, false),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    let k: usize = digits.parse().map_err(|_| err())?;
    Ok(if per_node {
        Concurrency::PerNode(k)
    } else {
        Concurrency::Fixed(k)
    })
}

fn parse_latency_dist(s: &str) -> Result<LatencyDist, String> {
    match s {
        "constant" => Ok(LatencyDist::Constant),
        "uniform" => Ok(LatencyDist::Uniform),
        "exponential" => Ok(LatencyDist::Exponential),
        _ => Err("Must be one of constant, uniform, exponential".into()),
    }
}

/// Each `--nemesis` value is a comma-separated list; only `partition` is a fault.
fn parse_nemesis(s: &str) -> Result<bool, String> {
    let mut any = false;
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if part != "partition" {
            return Err(format!("Must be one of partition (got {part})"));
        }
        any = true;
    }
    Ok(any)
}

fn parse_availability(s: &str) -> Result<AvailabilityGoal, String> {
    if s == "total" {
        return Ok(AvailabilityGoal::Total);
    }
    match s.parse::<f64>() {
        Ok(x) if (0.0..=1.0).contains(&x) => Ok(AvailabilityGoal::Fraction(x)),
        _ => Err("Must be `total` or a number between 0 and 1".into()),
    }
}

fn parse_topology(s: &str) -> Result<TopologyKind, String> {
    TopologyKind::parse(s)
        .ok_or_else(|| "Must be one of line, grid, tree, tree2, tree3, tree4, total".into())
}

/// Parse a full command line (`argv[0]` is the program name).
pub fn parse<I, S>(argv: I) -> Result<Command, CliError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let argv: Vec<String> = argv.into_iter().map(Into::into).collect();
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            let help = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
            let missing_sub = matches!(
                e.kind(),
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand
            );
            return Err(CliError {
                message: e.render().to_string(),
                exit_code: if help { 0 } else { EXIT_BAD_ARGS },
                to_stdout: help || missing_sub,
            });
        }
    };
    let args = match cli.command {
        Sub::Test(args) => *args,
        Sub::Report(r) => {
            let runs = r
                .runs
                .iter()
                .map(|spec| match spec.split_once('=') {
                    Some((label, dir)) if !label.contains('/') => (label.to_string(), dir.into()),
                    _ => (String::new(), spec.into()),
                })
                .collect();
            return Ok(Command::Report { runs, json: r.json });
        }
    };
    let rest = argv.iter().skip(1).cloned().collect();
    Ok(Command::Test(Box::new(test_opts(args, rest)?)))
}

fn test_opts(a: TestArgs, argv: Vec<String>) -> Result<TestOpts, CliError> {
    let bin = a
        .bin
        .ok_or_else(|| CliError::bad("Expected a --bin PATH_TO_BINARY to test"))?;
    let nodes = match a.node_count {
        Some(n) => (0..n).map(|i| format!("n{i}")).collect(),
        None => explicit_nodes(&a.nodes, &a.node, a.nodes_file.as_deref())?
            .unwrap_or_else(|| (1..=5).map(|i| format!("n{i}")).collect()),
    };
    if nodes.is_empty() {
        return Err(CliError::bad("No nodes to test"));
    }
    let concurrency = match a.concurrency {
        Concurrency::Fixed(k) => k,
        Concurrency::PerNode(k) => k * nodes.len(),
    };
    Ok(TestOpts {
        workload: a.workload,
        bin,
        bin_args: a.args,
        nodes,
        concurrency,
        time_limit: a.time_limit,
        rate: a.rate,
        latency: a.latency,
        latency_dist: a.latency_dist,
        partition: a.nemesis.iter().any(|&p| p),
        nemesis_interval: a.nemesis_interval,
        availability: a.availability,
        // Maelstrom splits on whitespace-comma-whitespace, so a bare comma stays inside one name.
        consistency_models: split_models(&a.consistency_models),
        topology: a.topology,
        log_stderr: a.log_stderr,
        log_net_send: a.log_net_send,
        log_net_recv: a.log_net_recv,
        key_count: a.key_count,
        max_txn_length: a.max_txn_length,
        max_writes_per_key: a.max_writes_per_key,
        test_count: a.test_count,
        seed: a.seed,
        store: a.store,
        telemetry: a.telemetry,
        recovery_time: a.recovery_time,
        argv,
    })
}

/// Split `--consistency-models` on a comma that has whitespace on both sides.
fn split_models(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        // Look for \s+,\s+ starting at i.
        if chars[i].is_whitespace() {
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            if j < chars.len() && chars[j] == ',' {
                let mut k = j + 1;
                while k < chars.len() && chars[k].is_whitespace() {
                    k += 1;
                }
                if k > j + 1 {
                    out.push(std::mem::take(&mut cur));
                    i = k;
                    continue;
                }
            }
        }
        cur.push(chars[i]);
        i += 1;
    }
    out.push(cur);
    out
}

fn explicit_nodes(
    nodes: &[String],
    node: &[String],
    file: Option<&std::path::Path>,
) -> Result<Option<Vec<String>>, CliError> {
    let mut out: Vec<String> = Vec::new();
    let mut given = false;
    if let Some(path) = file {
        given = true;
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::bad(format!("Can't read --nodes-file {}: {e}", path.display()))
        })?;
        out.extend(text.split_whitespace().map(str::to_string));
    }
    for list in nodes {
        given = true;
        out.extend(
            list.split([',', ' ', '\t', '\n'])
                .filter(|s| !s.is_empty())
                .map(str::to_string),
        );
    }
    for n in node {
        given = true;
        out.push(n.clone());
    }
    let mut seen = std::collections::HashSet::new();
    out.retain(|n| seen.insert(n.clone()));
    Ok(given.then_some(out))
}
