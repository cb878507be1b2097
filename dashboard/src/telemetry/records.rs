//! The common form of telemetry, whatever it came from (file sink or OTLP): spans, metric
//! points (one Prometheus series each) and the node process that produced them.

use std::collections::BTreeMap;

/// One finished span, ready to store.
#[derive(Debug, Clone, PartialEq)]
pub struct SpanIn {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    pub parent_span_id: Option<String>,
    pub name: String,
    pub start_ns: i64,
    pub end_ns: i64,
    /// The span's attributes as a JSON object.
    pub attrs_json: String,
    pub error: bool,
    /// A root span handling a client's request (`msg.src` is a client id): one client op.
    pub client_root: bool,
}

/// One metric series' latest value. Histograms are stored as Prometheus does it:
/// `<name>_bucket{le=...}` (cumulative), `<name>_sum`, `<name>_count`.
#[derive(Debug, Clone, PartialEq)]
pub struct PointIn {
    pub name: String,
    /// Labels as a JSON object with sorted keys.
    pub labels_json: String,
    pub value: f64,
    /// When the value was taken (unix ms), if known.
    pub time_ms: Option<i64>,
}

/// The node process a batch of telemetry comes from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceIn {
    /// Unique per process and transport: `file:<folder>` or `otlp:<service>/<node>/<pid>`.
    pub key: String,
    /// `file` or `otlp`.
    pub via: &'static str,
    pub node: Option<String>,
    /// The cluster's node ids as the node saw them in `init` (file sink only).
    pub node_ids: Vec<String>,
    pub service: Option<String>,
    pub pid: Option<i64>,
    /// First and last moments seen from this process (unix ms).
    pub first_ms: Option<i64>,
    pub last_ms: Option<i64>,
    /// A run named by the process itself (`glomers.run` resource attribute).
    pub run_hint: Option<String>,
}

/// Labels as the stored JSON text (sorted keys, so equal label sets compare equal).
pub fn labels_json(labels: &BTreeMap<String, String>) -> String {
    serde_json::to_string(labels).unwrap_or_else(|_| "{}".into())
}

/// Whether a message source id names a Maelstrom client (`c12`).
pub fn is_client_id(id: &str) -> bool {
    id.len() > 1 && id.starts_with('c') && id[1..].bytes().all(|b| b.is_ascii_digit())
}
