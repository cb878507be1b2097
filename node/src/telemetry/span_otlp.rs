//! Finished spans → an OTLP trace export request (`opentelemetry-proto` types), the same
//! spans the file sink writes: one resource, one scope (`glomers`), span kind internal.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::span::{Link, SpanKind};
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, ScopeSpans, Span, Status};

use super::finished::{Attr, Finished};

/// The instrumentation scope of every span.
const SCOPE: &str = "glomers";
/// `SpanFlags`: bit 0 sampled, bit 8 "has is-remote", bit 9 "parent is remote".
const SAMPLED: u32 = 0x1;
const HAS_IS_REMOTE: u32 = 0x100;
const IS_REMOTE: u32 = 0x200;

fn value(v: &Attr) -> any_value::Value {
    match v {
        Attr::I64(i) => any_value::Value::IntValue(*i),
        Attr::F64(f) => any_value::Value::DoubleValue(*f),
        Attr::Bool(b) => any_value::Value::BoolValue(*b),
        Attr::Str(s) => any_value::Value::StringValue(s.as_str().to_string()),
    }
}

/// A string-valued attribute (resource attributes).
pub(crate) fn kv(key: &str, v: any_value::Value) -> KeyValue {
    KeyValue {
        key: key.to_string(),
        value: Some(AnyValue { value: Some(v) }),
        ..Default::default()
    }
}

fn span(s: &Finished) -> Span {
    let flags = |remote: bool| SAMPLED | HAS_IS_REMOTE | if remote { IS_REMOTE } else { 0 };
    Span {
        trace_id: s.trace_id.to_be_bytes().to_vec(),
        span_id: s.span_id.to_be_bytes().to_vec(),
        trace_state: String::new(),
        parent_span_id: if s.parent_span_id == 0 {
            Vec::new()
        } else {
            s.parent_span_id.to_be_bytes().to_vec()
        },
        flags: flags(s.parent_span_id != 0 && s.parent_remote),
        name: s.name.to_string(),
        kind: SpanKind::Internal as i32,
        start_time_unix_nano: s.start_unix_nano,
        end_time_unix_nano: s.end_unix_nano,
        attributes: s.attrs.iter().map(|(k, v)| kv(k, value(v))).collect(),
        links: s
            .links
            .iter()
            .map(|l| Link {
                trace_id: l.trace_id.to_be_bytes().to_vec(),
                span_id: l.span_id.to_be_bytes().to_vec(),
                flags: flags(l.remote),
                ..Default::default()
            })
            .collect(),
        status: s.error.then(|| Status {
            code: StatusCode::Error as i32,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// One export request carrying `spans`.
pub(crate) fn to_request<'a>(
    spans: impl Iterator<Item = &'a Finished>,
    resource: Resource,
) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: vec![ResourceSpans {
            resource: Some(resource),
            scope_spans: vec![ScopeSpans {
                scope: Some(InstrumentationScope {
                    name: SCOPE.into(),
                    ..Default::default()
                }),
                spans: spans.map(span).collect(),
                schema_url: String::new(),
            }],
            schema_url: String::new(),
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_fields() {
        let f = Finished {
            trace_id: 0x0102,
            span_id: 3,
            parent_span_id: 4,
            parent_remote: true,
            name: "handle",
            start_unix_nano: 5,
            end_unix_nano: 6,
            attrs: smallvec::smallvec![("msg.type", Attr::Str("gossip".into()))],
            error: false,
            links: Vec::new(),
        };
        let req = to_request([&f].into_iter(), Resource::default());
        let s = &req.resource_spans[0].scope_spans[0].spans[0];
        assert_eq!(s.trace_id.len(), 16);
        assert_eq!(s.trace_id[14..], [1, 2]);
        assert_eq!(s.span_id, vec![0, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(s.parent_span_id, vec![0, 0, 0, 0, 0, 0, 0, 4]);
        assert_eq!(s.flags & IS_REMOTE, IS_REMOTE);
        assert_eq!(s.name, "handle");
        assert_eq!(s.attributes[0].key, "msg.type");
        assert!(s.status.is_none());
    }
}
