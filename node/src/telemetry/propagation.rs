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

/// The value of one ASCII hex digit (either case).
#[inline]
fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// `digits` (hex, no sign) as a number; `None` on any other byte.
#[inline]
fn hex_value(digits: &[u8]) -> Option<u128> {
    digits
        .iter()
        .try_fold(0u128, |acc, &b| Some(acc << 4 | hex_digit(b)? as u128))
}

/// Parse a `traceparent` value (version 00 layout) into a remote span context. Runs on
/// every node→node message a node receives, so it works on bytes at fixed offsets
/// (`vv-<32>-<16>-ff`, 55 bytes; later versions may append `-…`) without splitting.
pub(crate) fn parse(s: &str) -> Option<SpanCx> {
    let b = s.trim().as_bytes();
    if b.len() < 55 || b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
        return None;
    }
    let version = hex_value(&b[..2])?;
    // Version ff is invalid; version 00 has exactly four fields, later ones may have more.
    if version == 0xff || (version == 0 && b.len() != 55) || (b.len() > 55 && b[55] != b'-') {
        return None;
    }
    let trace_id = hex_value(&b[3..35])?;
    let span_id = hex_value(&b[36..52])? as u64;
    let flags = hex_value(&b[53..55])? as u8;
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
        assert!(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b-01").is_none());
        assert!(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x").is_none());
        assert!(parse("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_none());
        assert!(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902g7-01").is_none());
        assert!(parse("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01").is_none());
        assert!(parse("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").is_none());
        // A later version may add fields after the flags.
        let v1 = parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra").unwrap();
        assert_eq!(v1.span_id, 0x00f0_67aa_0ba9_02b7);
        assert!(parse("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x").is_none());
        assert_eq!(parse(&format!(" {tp} ")), Some(cx));
        assert_eq!(
            parse(&tp.to_uppercase()).map(|c| c.trace_id),
            Some(cx.trace_id)
        );
        let mut body = serde_json::json!({"type": "gossip", "traceparent": tp});
        assert_eq!(take(&mut body), Some(cx));
        assert_eq!(body, serde_json::json!({"type": "gossip"}));
    }
}
