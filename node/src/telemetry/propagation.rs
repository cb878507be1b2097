//! Trace context inside message bodies: node→node bodies carry a W3C `traceparent` string
//! (`00-<trace id>-<span id>-<flags>`) under the body key `traceparent`, taken out again on
//! receipt before the handler sees the body. Never added to bodies for clients (their reply
//! schemas are closed) or services (they are not ours to extend).

use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt, TraceFlags, TraceId, TraceState};
use serde_json::{Map, Value};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The body key holding the trace context.
pub const KEY: &str = "traceparent";

/// `00-<32 hex>-<16 hex>-<2 hex>` for a valid context.
pub(crate) fn format(cx: &SpanContext) -> Option<String> {
    cx.is_valid().then(|| {
        format!(
            "00-{}-{}-{:02x}",
            cx.trace_id(),
            cx.span_id(),
            cx.trace_flags().to_u8()
        )
    })
}

/// Parse a `traceparent` value (version 00 layout) into a remote span context.
pub(crate) fn parse(s: &str) -> Option<SpanContext> {
    let mut parts = s.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version.len() != 2 || version == "ff" || trace.len() != 32 || span.len() != 16 {
        return None;
    }
    if version == "00" && parts.next().is_some() {
        return None;
    }
    let trace = TraceId::from_hex(trace).ok()?;
    let span = SpanId::from_hex(span).ok()?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    let cx = SpanContext::new(
        trace,
        span,
        TraceFlags::new(flags),
        true,
        TraceState::default(),
    );
    cx.is_valid().then_some(cx)
}

/// The context of the current `tracing` span, when it has a valid one.
pub(crate) fn current() -> Option<SpanContext> {
    let cx = tracing::Span::current().context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then_some(sc)
}

/// Add the current span's context to an outgoing body.
pub(crate) fn inject_current(body: &mut Map<String, Value>) {
    if let Some(tp) = current().as_ref().and_then(format) {
        body.insert(KEY.into(), Value::String(tp));
    }
}

/// Remove the context from an incoming body and parse it.
pub(crate) fn take(body: &mut Value) -> Option<SpanContext> {
    match body.as_object_mut()?.remove(KEY)? {
        Value::String(s) => parse(&s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let tp = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let cx = parse(tp).unwrap();
        assert!(cx.is_remote());
        assert_eq!(format(&cx).unwrap(), tp);
        assert!(parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
        assert!(parse("garbage").is_none());
        let mut body = serde_json::json!({"type": "gossip", "traceparent": tp});
        assert_eq!(take(&mut body), Some(cx));
        assert_eq!(body, serde_json::json!({"type": "gossip"}));
    }
}
