//! One finished span as a line of `spans.jsonl`: [`SpanLine`] writes it straight from the
//! SDK's `SpanData` (no intermediate copy), and [`SpanRecord`] reads it back (tests, the
//! in-memory sink).

use std::collections::BTreeMap;
use std::fmt::Display;
use std::time::{SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{SpanId, Status};
use opentelemetry::Value as OtelValue;
use opentelemetry_sdk::trace::SpanData;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A link from one span to another span's context (e.g. a gossip round to the traces
/// of the values it carries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub trace_id: String,
    pub span_id: String,
}

/// One finished span, as read back from a `spans.jsonl` line (fields as documented there).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SpanRecord {
    pub trace_id: String,
    pub span_id: String,
    #[serde(default)]
    pub parent_span_id: Option<String>,
    #[serde(default)]
    pub parent_is_remote: bool,
    pub name: String,
    pub start_unix_nano: u64,
    pub end_unix_nano: u64,
    pub attributes: BTreeMap<String, Value>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub links: Vec<LinkRecord>,
}

impl SpanRecord {
    /// The attribute `key` as a string, when it is one.
    pub fn attr_str(&self, key: &str) -> Option<&str> {
        self.attributes.get(key).and_then(Value::as_str)
    }
}

impl From<&SpanData> for SpanRecord {
    fn from(s: &SpanData) -> SpanRecord {
        let line = serde_json::to_value(SpanLine(s)).expect("a span serializes");
        serde_json::from_value(line).expect("a span line reads back")
    }
}

pub(crate) fn unix_nanos(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64)
}

/// Serializes through `Display` (trace and span ids: lowercase hex).
struct Shown<T>(T);

impl<T: Display> Serialize for Shown<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// An attribute value as a JSON scalar (arrays as their text).
struct Attr<'a>(&'a OtelValue);

impl Serialize for Attr<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            OtelValue::Bool(b) => s.serialize_bool(*b),
            OtelValue::I64(i) => s.serialize_i64(*i),
            OtelValue::F64(f) => s.serialize_f64(*f),
            OtelValue::String(v) => s.serialize_str(v.as_str()),
            other => s.collect_str(other),
        }
    }
}

struct Attrs<'a>(&'a SpanData);

impl Serialize for Attrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            self.0
                .attributes
                .iter()
                .map(|kv| (kv.key.as_str(), Attr(&kv.value))),
        )
    }
}

/// A span as one `spans.jsonl` object (format in docs/telemetry.md).
pub(crate) struct SpanLine<'a>(pub &'a SpanData);

impl Serialize for SpanLine<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let d = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("trace_id", &Shown(d.span_context.trace_id()))?;
        m.serialize_entry("span_id", &Shown(d.span_context.span_id()))?;
        if d.parent_span_id != SpanId::INVALID {
            m.serialize_entry("parent_span_id", &Shown(d.parent_span_id))?;
            if d.parent_span_is_remote {
                m.serialize_entry("parent_is_remote", &true)?;
            }
        }
        m.serialize_entry("name", d.name.as_ref())?;
        m.serialize_entry("start_unix_nano", &unix_nanos(d.start_time))?;
        m.serialize_entry("end_unix_nano", &unix_nanos(d.end_time))?;
        m.serialize_entry("attributes", &Attrs(d))?;
        if matches!(d.status, Status::Error { .. }) {
            m.serialize_entry("status", "error")?;
        }
        if !d.links.is_empty() {
            let link = |l: &opentelemetry::trace::Link| LinkRecord {
                trace_id: l.span_context.trace_id().to_string(),
                span_id: l.span_context.span_id().to_string(),
            };
            m.serialize_entry("links", &d.links.iter().map(link).collect::<Vec<_>>())?;
        }
        m.end()
    }
}
