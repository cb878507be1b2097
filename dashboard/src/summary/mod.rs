//! What the dashboard knows about one run, read from its folder: the [`RunSummary`] stored in
//! the index and shown on every page, and the readers that fill it from `results.edn`.

pub mod results;
pub mod workload;

use serde::{Deserialize, Serialize};

/// The outcome of a run, as the runs list colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// `results.edn` says `:valid? true`.
    Valid,
    /// `results.edn` says `:valid? false`.
    Invalid,
    /// `results.edn` says `:valid? :unknown`, or it could not be read (see `problems`).
    Unknown,
    /// There is no `results.edn`: the run crashed or stopped before analysis.
    Aborted,
}

impl Verdict {
    pub const ALL: [Verdict; 4] = [
        Verdict::Valid,
        Verdict::Invalid,
        Verdict::Unknown,
        Verdict::Aborted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Valid => "valid",
            Verdict::Invalid => "invalid",
            Verdict::Unknown => "unknown",
            Verdict::Aborted => "aborted",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// Ordering used to tell whether a verdict got worse (higher is worse).
    pub fn badness(self) -> u8 {
        match self {
            Verdict::Valid => 0,
            Verdict::Unknown => 1,
            Verdict::Invalid => 2,
            Verdict::Aborted => 3,
        }
    }
}

/// Latency quantiles in milliseconds (Maelstrom's `{0 .., 0.5 .., 0.95 .., 0.99 .., 1 ..}`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantiles {
    pub p0: Option<f64>,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
    pub max: Option<f64>,
}

impl Quantiles {
    /// `(label, quantile, value)` for each figure that is present.
    pub fn entries(&self) -> Vec<(&'static str, f64, f64)> {
        [
            ("p0", 0.0, self.p0),
            ("p50", 0.5, self.p50),
            ("p95", 0.95, self.p95),
            ("p99", 0.99, self.p99),
            ("max", 1.0, self.max),
        ]
        .into_iter()
        .filter_map(|(l, q, v)| v.map(|v| (l, q, v)))
        .collect()
    }
}

/// `:stats :by-f` for one `:f`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FStats {
    pub f: String,
    pub count: i64,
    pub ok: i64,
    pub fail: i64,
    pub info: i64,
    pub valid: Option<bool>,
}

/// Message counts of one `:net` group (`all`, `clients`, `servers`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetGroup {
    pub group: String,
    pub send_count: Option<i64>,
    pub recv_count: Option<i64>,
    pub msg_count: Option<i64>,
    pub msgs_per_op: Option<f64>,
}

/// One piece of evidence behind a verdict: "lost values", "duplicated ids", ...
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub label: String,
    /// The total when the checker reports one (the items may be cut short).
    pub total: Option<i64>,
    /// Items as EDN text, at most [`EVIDENCE_ITEMS`].
    pub items: Vec<String>,
    /// Whether this evidence counts against the run (red) or is informative.
    pub bad: bool,
}

/// How many items of one evidence list are kept.
pub const EVIDENCE_ITEMS: usize = 50;

/// One `:exceptions :exceptions` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExceptionSummary {
    pub count: i64,
    pub class: String,
    pub message: String,
    pub f: Option<String>,
}

/// Per-checker validity (`:perf`, `:stats`, `:workload`, ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckerValidity {
    pub checker: String,
    pub valid: String,
}

/// Everything the index keeps about one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    /// `<workload>/<folder>`: the id used in URLs and metric labels.
    pub id: String,
    pub workload: String,
    pub dir_name: String,
    /// RFC 3339 start time from the folder name.
    pub start: Option<String>,
    /// Start time as Unix milliseconds, for sorting.
    pub start_ms: Option<i64>,
    pub node_count: Option<i64>,
    pub nemesis: Option<String>,
    pub command_line: Option<String>,
    pub verdict: Verdict,
    pub checkers: Vec<CheckerValidity>,
    pub msgs_per_op_servers: Option<f64>,
    pub msgs_per_op_all: Option<f64>,
    pub net: Vec<NetGroup>,
    /// Broadcast `:stable-latencies` (ms).
    pub stable_latency: Option<Quantiles>,
    /// Broadcast `:lost-latencies` (ms).
    pub lost_latency: Option<Quantiles>,
    /// The workload's headline figure when it has no stable latencies.
    pub key_figure: Option<String>,
    pub op_count: Option<i64>,
    pub ok_count: Option<i64>,
    pub fail_count: Option<i64>,
    pub info_count: Option<i64>,
    pub availability: Option<f64>,
    pub by_f: Vec<FStats>,
    pub evidence: Vec<Evidence>,
    pub exceptions: Vec<ExceptionSummary>,
    /// Why the run ended without results (from the tail of `jepsen.log`).
    pub crash: Option<String>,
    /// Explanations of what could not be read (malformed, truncated or huge files).
    pub problems: Vec<String>,
    /// Message counts from `messages.svg`, when the run has one.
    #[serde(default)]
    pub messages: Option<crate::analysis::messages::MessageStats>,
    /// The run's test, from its command line; `None` without one.
    #[serde(default)]
    pub test: Option<crate::identity::test_id::TestIdentity>,
    /// The versions its node logs name.
    #[serde(default)]
    pub versions: crate::identity::version::NodeVersions,
}

impl RunSummary {
    /// A summary with only the identity filled in.
    pub fn new(workload: &str, dir_name: &str) -> RunSummary {
        RunSummary {
            id: format!("{workload}/{dir_name}"),
            workload: workload.to_string(),
            dir_name: dir_name.to_string(),
            start: None,
            start_ms: None,
            node_count: None,
            nemesis: None,
            command_line: None,
            verdict: Verdict::Aborted,
            checkers: Vec::new(),
            msgs_per_op_servers: None,
            msgs_per_op_all: None,
            net: Vec::new(),
            stable_latency: None,
            lost_latency: None,
            key_figure: None,
            op_count: None,
            ok_count: None,
            fail_count: None,
            info_count: None,
            availability: None,
            by_f: Vec::new(),
            evidence: Vec::new(),
            exceptions: Vec::new(),
            crash: None,
            problems: Vec::new(),
            messages: None,
            test: None,
            versions: Default::default(),
        }
    }
}
