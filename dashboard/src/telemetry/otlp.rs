//! Decodes OTLP/HTTP export requests (`/v1/traces`, `/v1/metrics`), protobuf or JSON (the
//! OTLP JSON encoding: lowerCamelCase fields, hex trace and span ids), into one batch of
//! spans and metric points per resource (node process). Metric points keep Prometheus names
//! and shapes: sums and gauges as one series each, histograms as cumulative `_bucket{le}`,
//! `_sum` and `_count` series.

use std::collections::BTreeMap;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, Gauge, HistogramDataPoint, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;
use serde_json::Value;

use super::records::{is_client_id, labels_json, PointIn, SourceIn, SpanIn};

/// The resource attribute a node (or collector) may set to name its run.
pub const RUN_ATTRIBUTE: &str = "glomers.run";

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    /// From a `Content-Type` header value; None for anything else.
    pub fn from_content_type(ct: &str) -> Option<Encoding> {
        let mime = ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
            "application/json" => Some(Encoding::Json),
            _ => None,
        }
    }
}

/// Telemetry of one node process from one request.
#[derive(Debug, Default)]
pub struct Batch {
    pub source: SourceIn,
    pub spans: Vec<SpanIn>,
    pub points: Vec<PointIn>,
}

/// Decodes a `/v1/traces` body.
pub fn decode_traces(body: &[u8], enc: Encoding) -> Result<Vec<Batch>, String> {
    let req: ExportTraceServiceRequest = match enc {
        Encoding::Protobuf => {
            Message::decode(body).map_err(|e| format!("not an OTLP protobuf trace export: {e}"))?
        }
        Encoding::Json => serde_json::from_slice(body)
            .map_err(|e| format!("not an OTLP JSON trace export: {e}"))?,
    };
    let mut out = Vec::new();
    for rs in req.resource_spans {
        let mut b = Batch {
            source: source_of(rs.resource.as_ref()),
            ..Batch::default()
        };
        for ss in rs.scope_spans {
            for s in ss.spans {
                let trace_id = hex(&s.trace_id, 16, "trace id")?;
                let span_id = hex(&s.span_id, 8, "span id")?;
                let parent_span_id = if s.parent_span_id.is_empty() {
                    None
                } else {
                    Some(hex(&s.parent_span_id, 8, "parent span id")?)
                };
                let attrs = attributes(&s.attributes);
                let client_root = parent_span_id.is_none()
                    && attrs
                        .get("msg.src")
                        .and_then(Value::as_str)
                        .is_some_and(is_client_id);
                let start_ns = clamp(s.start_time_unix_nano);
                let end_ns = clamp(s.end_time_unix_nano).max(start_ns);
                seen(&mut b.source, start_ns, end_ns);
                b.spans.push(SpanIn {
                    trace_id,
                    span_id,
                    parent_span_id,
                    name: s.name,
                    start_ns,
                    end_ns,
                    attrs_json: Value::Object(attrs).to_string(),
                    error: s.status.as_ref().is_some_and(|st| st.code == 2),
                    client_root,
                });
            }
        }
        out.push(b);
    }
    Ok(out)
}

/// Decodes a `/v1/metrics` body.
pub fn decode_metrics(body: &[u8], enc: Encoding) -> Result<Vec<Batch>, String> {
    let req: ExportMetricsServiceRequest = match enc {
        Encoding::Protobuf => Message::decode(body)
            .map_err(|e| format!("not an OTLP protobuf metrics export: {e}"))?,
        Encoding::Json => serde_json::from_slice(body)
            .map_err(|e| format!("not an OTLP JSON metrics export: {e}"))?,
    };
    let mut out = Vec::new();
    for rm in req.resource_metrics {
        let mut b = Batch {
            source: source_of(rm.resource.as_ref()),
            ..Batch::default()
        };
        for sm in rm.scope_metrics {
            for m in sm.metrics {
                if m.name.is_empty() {
                    return Err("a metric without a name".into());
                }
                match m.data {
                    Some(
                        metric::Data::Sum(Sum { data_points, .. })
                        | metric::Data::Gauge(Gauge { data_points, .. }),
                    ) => {
                        for p in &data_points {
                            number(
                                &mut b,
                                &m.name,
                                p.start_time_unix_nano,
                                p.time_unix_nano,
                                &p.attributes,
                                p.value,
                            );
                        }
                    }
                    Some(metric::Data::Histogram(h)) => {
                        for p in &h.data_points {
                            histogram(&mut b, &m.name, p)?;
                        }
                    }
                    // Exponential histograms and summaries: not sent by glomers nodes.
                    _ => {}
                }
            }
        }
        out.push(b);
    }
    Ok(out)
}

fn clamp(ns: u64) -> i64 {
    ns.min(i64::MAX as u64) as i64
}

fn seen(src: &mut SourceIn, first_ns: i64, last_ns: i64) {
    if first_ns > 0 {
        let ms = first_ns / 1_000_000;
        src.first_ms = Some(src.first_ms.map_or(ms, |m| m.min(ms)));
    }
    if last_ns > 0 {
        let ms = last_ns / 1_000_000;
        src.last_ms = Some(src.last_ms.map_or(ms, |m| m.max(ms)));
    }
}

fn hex(bytes: &[u8], len: usize, what: &str) -> Result<String, String> {
    if bytes.len() != len {
        return Err(format!("{what} has {} bytes, expected {len}", bytes.len()));
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn json_of(v: &AnyValue) -> Value {
    match &v.value {
        Some(any_value::Value::StringValue(s)) => Value::from(s.as_str()),
        Some(any_value::Value::BoolValue(b)) => Value::from(*b),
        Some(any_value::Value::IntValue(i)) => Value::from(*i),
        Some(any_value::Value::DoubleValue(d)) => Value::from(*d),
        Some(any_value::Value::ArrayValue(a)) => {
            Value::Array(a.values.iter().map(json_of).collect())
        }
        Some(any_value::Value::KvlistValue(kv)) => Value::Object(attributes(&kv.values)),
        Some(any_value::Value::BytesValue(b)) => {
            Value::from(hex(b, b.len(), "").unwrap_or_default())
        }
        _ => Value::Null,
    }
}

fn attributes(kvs: &[KeyValue]) -> serde_json::Map<String, Value> {
    kvs.iter()
        .map(|kv| {
            (
                kv.key.clone(),
                kv.value.as_ref().map(json_of).unwrap_or(Value::Null),
            )
        })
        .collect()
}

fn label_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn labels(kvs: &[KeyValue]) -> BTreeMap<String, String> {
    attributes(kvs)
        .iter()
        .map(|(k, v)| (k.clone(), label_text(v)))
        .collect()
}

fn source_of(resource: Option<&Resource>) -> SourceIn {
    let attrs = resource
        .map(|r| attributes(&r.attributes))
        .unwrap_or_default();
    let s = |k: &str| attrs.get(k).map(label_text).filter(|v| !v.is_empty());
    let service = s("service.name");
    let node = s("service.instance.id");
    let pid = attrs
        .get("process.pid")
        .and_then(|v| v.as_i64().or_else(|| v.as_str()?.parse().ok()));
    SourceIn {
        key: format!(
            "otlp:{}/{}/{}",
            service.as_deref().unwrap_or("?"),
            node.as_deref().unwrap_or("?"),
            pid.map(|p| p.to_string()).unwrap_or_else(|| "?".into())
        ),
        via: "otlp",
        node,
        service,
        pid,
        run_hint: s(RUN_ATTRIBUTE),
        ..SourceIn::default()
    }
}

fn number(
    b: &mut Batch,
    name: &str,
    start_ns: u64,
    time_ns: u64,
    attrs: &[KeyValue],
    value: Option<number_data_point::Value>,
) {
    let value = match value {
        Some(number_data_point::Value::AsDouble(d)) => d,
        Some(number_data_point::Value::AsInt(i)) => i as f64,
        None => return,
    };
    seen(&mut b.source, clamp(start_ns), clamp(time_ns));
    b.points.push(PointIn {
        name: name.to_string(),
        labels_json: labels_json(&labels(attrs)),
        value,
        time_ms: (time_ns > 0).then(|| clamp(time_ns) / 1_000_000),
    });
}

fn histogram(b: &mut Batch, name: &str, p: &HistogramDataPoint) -> Result<(), String> {
    if !p.bucket_counts.is_empty() && p.bucket_counts.len() != p.explicit_bounds.len() + 1 {
        return Err(format!(
            "histogram {name}: {} bucket counts for {} bounds",
            p.bucket_counts.len(),
            p.explicit_bounds.len()
        ));
    }
    seen(
        &mut b.source,
        clamp(p.start_time_unix_nano),
        clamp(p.time_unix_nano),
    );
    let time_ms = (p.time_unix_nano > 0).then(|| clamp(p.time_unix_nano) / 1_000_000);
    let base = labels(&p.attributes);
    let mut push = |suffix: &str, le: Option<String>, value: f64| {
        let mut l = base.clone();
        if let Some(le) = le {
            l.insert("le".into(), le);
        }
        b.points.push(PointIn {
            name: format!("{name}{suffix}"),
            labels_json: labels_json(&l),
            value,
            time_ms,
        });
    };
    let mut cumulative = 0u64;
    for (i, c) in p.bucket_counts.iter().enumerate() {
        cumulative += c;
        let le = p
            .explicit_bounds
            .get(i)
            .map(|b| b.to_string())
            .unwrap_or_else(|| "+Inf".into());
        push("_bucket", Some(le), cumulative as f64);
    }
    push("_sum", None, p.sum.unwrap_or(0.0));
    push("_count", None, p.count as f64);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert_eq!(
            Encoding::from_content_type("application/x-protobuf"),
            Some(Encoding::Protobuf)
        );
        assert_eq!(
            Encoding::from_content_type("application/json; charset=utf-8"),
            Some(Encoding::Json)
        );
        assert_eq!(Encoding::from_content_type("text/plain"), None);
    }

    #[test]
    fn json_traces_with_hex_ids() {
        let body = r#"{"resourceSpans":[{"resource":{"attributes":[
            {"key":"service.name","value":{"stringValue":"broadcast"}},
            {"key":"service.instance.id","value":{"stringValue":"n1"}},
            {"key":"process.pid","value":{"intValue":"77"}}]},
          "scopeSpans":[{"spans":[{"traceId":"4bf92f3577b34da6a3ce929d0e0e4736","spanId":"00f067aa0ba902b7",
            "name":"handle","startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000005000000",
            "attributes":[{"key":"msg.src","value":{"stringValue":"c3"}},{"key":"msg.id","value":{"intValue":"5"}}],
            "status":{"code":2}}]}]}]}"#;
        let b = decode_traces(body.as_bytes(), Encoding::Json).unwrap();
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].source.key, "otlp:broadcast/n1/77");
        assert_eq!(b[0].source.first_ms, Some(1_700_000_000_000));
        let s = &b[0].spans[0];
        assert_eq!(s.trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
        assert!(s.client_root && s.error);
        assert_eq!(s.attrs_json, r#"{"msg.id":5,"msg.src":"c3"}"#);
        assert!(decode_traces(
            b"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"zz\"}]}]}]}",
            Encoding::Json
        )
        .is_err());
        assert!(decode_traces(b"\xff\xff\xff", Encoding::Protobuf).is_err());
    }
}
