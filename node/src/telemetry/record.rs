//! `SpanRecord`: one finished span as the file sink writes it (one JSON object per line of
//! `spans.jsonl`) and as tests read it back, converted from the SDK's `SpanData`.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, Status};
use opentelemetry::Value as OtelValue;
use opentelemetry_sdk::trace::SpanData;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A link from one span to another span's context (e.g. a gossip round to the traces
/// of the values it carries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub trace_id: String,
    pub span_id: String,
}

/// One finished span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SpanRecord {
    /// 32 lowercase hex digits.
    pub trace_id: String,
    /// 16 lowercase hex digits.
    pub span_id: String,
    /// The parent's span id, absent for a root span.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_span_id: Option<String>,
    /// True when the parent lives in another node (context came in a message body).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub parent_is_remote: bool,
    pub name: String,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    /// Span fields (`msg.type`, `msg.src`, `node`, ...), as JSON scalars.
    pub attributes: BTreeMap<String, Value>,
    /// `error` when the span recorded a failure, otherwise absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkRecord>,
}

impl SpanRecord {
    /// The attribute `key` as a string, when it is one.
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

pub(crate) fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn json_value(v: &OtelValue) -> Value {
    match v {
        OtelValue::Bool(b) => Value::Bool(*b),
        OtelValue::I64(i) => Value::from(*i),
        OtelValue::F64(f) => Value::from(*f),
        OtelValue::String(s) => Value::from(s.as_str()),
        other => Value::from(other.to_string()),
    }
}

impl From<&SpanData> for SpanRecord {
    fn from(s: &SpanData) -> SpanRecord {
        let has_parent = s.parent_span_id != SpanId::INVALID;
        SpanRecord {
            trace_id: s.span_context.trace_id().to_string(),
            span_id: s.span_context.span_id().to_string(),
            parent_span_id: has_parent.then(|| s.parent_span_id.to_string()),
            parent_is_remote: has_parent && s.parent_span_is_remote,
            name: s.name.to_string(),
            start_unix_nano: unix_nanos(s.start_time),
            end_unix_nano: unix_nanos(s.end_time),
            attributes: s
                .attributes
                .iter()
                .map(|kv| (kv.key.to_string(), json_value(&kv.value)))
                .collect(),
            status: matches!(s.status, Status::Error { .. }).then(|| "error".to_string()),
            links: s
                .links
                .iter()
                .map(|l| LinkRecord {
                    trace_id: l.span_context.trace_id().to_string(),
                    span_id: l.span_context.span_id().to_string(),
                })
                .collect(),
        }
    }
}
