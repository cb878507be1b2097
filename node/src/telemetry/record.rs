//! `SpanRecord`: one finished span as the file sink writes it (one JSON object per line of
//! `spans.jsonl`) and as tests read it back; converted from the recorder's [`Finished`] spans.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::finished::{hex, span_hex, trace_hex, Attr, Finished};

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

fn json_value(v: &Attr) -> Value {
    match v {
        Attr::Bool(b) => Value::Bool(*b),
        Attr::I64(i) => Value::from(*i),
        Attr::F64(f) => Value::from(*f),
        Attr::Str(s) => Value::from(s.as_str()),
    }
}

impl From<&Finished> for SpanRecord {
    fn from(s: &Finished) -> SpanRecord {
        SpanRecord {
            trace_id: trace_hex(s.trace_id),
            span_id: span_hex(s.span_id),
            parent_span_id: (s.parent_span_id != 0).then(|| span_hex(s.parent_span_id)),
            parent_is_remote: s.parent_span_id != 0 && s.parent_remote,
            name: s.name.to_string(),
            start_unix_nano: s.start_unix_nano,
            end_unix_nano: s.end_unix_nano,
            attributes: s
                .attrs
                .iter()
                .map(|(k, v)| (k.to_string(), json_value(v)))
                .collect(),
            status: s.error.then(|| "error".to_string()),
            links: s
                .links
                .iter()
                .map(|l| LinkRecord {
                    trace_id: trace_hex(l.trace_id),
                    span_id: span_hex(l.span_id),
                })
                .collect(),
        }
    }
}

/// Write one span as a `spans.jsonl` line (the [`SpanRecord`] schema) straight from the
/// finished span, without building a record first: this runs for every span of a busy node.
pub(crate) fn write_json_line(w: &mut impl Write, s: &Finished) -> std::io::Result<()> {
    w.write_all(b"{\"trace_id\":\"")?;
    w.write_all(&hex::<32>(s.trace_id))?;
    w.write_all(b"\",\"span_id\":\"")?;
    w.write_all(&hex::<16>(s.span_id as u128))?;
    w.write_all(b"\"")?;
    if s.parent_span_id != 0 {
        w.write_all(b",\"parent_span_id\":\"")?;
        w.write_all(&hex::<16>(s.parent_span_id as u128))?;
        w.write_all(b"\"")?;
        if s.parent_remote {
            w.write_all(b",\"parent_is_remote\":true")?;
        }
    }
    w.write_all(b",\"name\":")?;
    write_str(w, s.name)?;
    write!(
        w,
        ",\"start_unix_nano\":{},\"end_unix_nano\":{},\"attributes\":{{",
        s.start_unix_nano, s.end_unix_nano
    )?;
    for (i, (k, v)) in s.attrs.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write_str(w, k)?;
        w.write_all(b":")?;
        match v {
            Attr::I64(v) => write!(w, "{v}")?,
            Attr::Bool(v) => write!(w, "{v}")?,
            Attr::Str(v) => write_str(w, v.as_str())?,
            Attr::F64(_) => serde_json::to_writer(&mut *w, &json_value(v))?,
        }
    }
    w.write_all(b"}")?;
    if s.error {
        w.write_all(b",\"status\":\"error\"")?;
    }
    if !s.links.is_empty() {
        w.write_all(b",\"links\":[")?;
        for (i, l) in s.links.iter().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(b"{\"trace_id\":\"")?;
            w.write_all(&hex::<32>(l.trace_id))?;
            w.write_all(b"\",\"span_id\":\"")?;
            w.write_all(&hex::<16>(l.span_id as u128))?;
            w.write_all(b"\"}")?;
        }
        w.write_all(b"]")?;
    }
    w.write_all(b"}\n")
}

/// A JSON string; plain ASCII (ids, names, message types) is written as is.
fn write_str(w: &mut impl Write, s: &str) -> std::io::Result<()> {
    let plain = s
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if plain {
        w.write_all(b"\"")?;
        w.write_all(s.as_bytes())?;
        w.write_all(b"\"")
    } else {
        serde_json::to_writer(&mut *w, s).map_err(std::io::Error::other)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::context::SpanCx;

    #[test]
    fn json_line_parses_back_to_the_same_record() {
        let span = Finished {
            trace_id: 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736,
            span_id: 0x00f0_67aa_0ba9_02b7,
            parent_span_id: 7,
            parent_remote: true,
            name: "handle",
            start_unix_nano: 1,
            end_unix_nano: 2,
            attrs: smallvec::smallvec![
                ("node", Attr::Str("n\"1".into())),
                ("msg.id", Attr::I64(-3)),
                ("ok", Attr::Bool(true)),
                ("ratio", Attr::F64(0.5)),
            ],
            error: true,
            links: vec![SpanCx {
                trace_id: 9,
                span_id: 10,
                flags: 1,
                remote: true,
            }],
        };
        let mut out = Vec::new();
        write_json_line(&mut out, &span).unwrap();
        assert!(out.ends_with(b"}\n"));
        let back: SpanRecord = serde_json::from_slice(&out).unwrap();
        assert_eq!(back, SpanRecord::from(&span));
        assert_eq!(back.parent_span_id.as_deref(), Some("0000000000000007"));
        assert_eq!(back.attr_str("node"), Some("n\"1"));
        assert_eq!(back.links[0].span_id, "000000000000000a");
        assert_eq!(back.status.as_deref(), Some("error"));
    }
}
