//! Trace context inside message bodies: node→node bodies carry a W3C `traceparent` string
//! (`00-<trace id>-<span id>-<flags>`) under the body key `traceparent`, taken out again on
//! receipt before the handler sees the body. Never added to bodies for clients (their reply
//! schemas are closed) or services (they are not ours to extend).

use serde_json::{Map, Value};

use super::context::{self, SpanCx};
use super::finished::hex;

/// The body key holding the trace context.
pub const KEY: &str = "traceparent";

/// `00-<32 hex>-<16 hex>-<2 hex>`.
pub(crate) fn format(cx: &SpanCx) -> String {
    let mut out = String::with_capacity(55);
    out.push_str("00-");
    out.push_str(std::str::from_utf8(&hex::<32>(cx.trace_id)).unwrap_or_default());
    out.push('-');
    out.push_str(std::str::from_utf8(&hex::<16>(cx.span_id as u128)).unwrap_or_default());
    out.push('-');
    out.push_str(std::str::from_utf8(&hex::<2>(cx.flags as u128)).unwrap_or_default());
    out
}

/// Parse a `traceparent` value (version 00 layout) into a remote span context.
pub(crate) fn parse(s: &str) -> Option<SpanCx> {
    let mut parts = s.trim().split('-');
    let (version, trace, span, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if version.len() != 2 || version == "ff" || trace.len() != 32 || span.len() != 16 {
        return None;
    }
    if version == "00" && parts.next().is_some() {
        return None;
    }
    // `from_str_radix` accepts hex digits plus one leading sign, which W3C does not.
    let signed = |t: &str| t.starts_with(['+', '-']);
    if flags.len() != 2 || signed(trace) || signed(span) || signed(flags) {
        return None;
    }
    let trace_id = u128::from_str_radix(trace, 16).ok()?;
    let span_id = u64::from_str_radix(span, 16).ok()?;
    let flags = u8::from_str_radix(flags, 16).ok()?;
    (trace_id != 0 && span_id != 0).then_some(SpanCx {
        trace_id,
        span_id,
        flags,
        remote: true,
    })
}

/// The context of the current telemetry span, when there is one.
pub(crate) fn current() -> Option<SpanCx> {
    context::current()
}

/// Add the current span's context to an outgoing body.
pub(crate) fn inject_current(body: &mut Map<String, Value>) {
    if let Some(cx) = current() {
        body.insert(KEY.into(), Value::String(format(&cx)));
    }
}

/// Remove the context from an incoming body and parse it.
pub(crate) fn take(body: &mut Value) -> Option<SpanCx> {
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
        assert!(cx.remote);
        assert!(cx.is_sampled());
        assert_eq!(format(&cx), tp);
        assert!(
            parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")
                .is_some_and(|c| !c.is_sampled())
        );
        assert!(parse("00-+bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_none());
        assert!(parse("00-00000000000000000000000000000000-00f067aa0ba902b7-01").is_none());
        assert!(parse("garbage").is_none());
        let mut body = serde_json::json!({"type": "gossip", "traceparent": tp});
        assert_eq!(take(&mut body), Some(cx));
        assert_eq!(body, serde_json::json!({"type": "gossip"}));
    }
}
