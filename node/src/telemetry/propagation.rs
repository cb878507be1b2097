//! Trace context inside message bodies, through the SDK's W3C `TraceContextPropagator`:
//! node→node bodies carry a `traceparent` string under the body key `traceparent` (and
//! `tracestate` when the context has one), taken out again on receipt before the handler
//! sees the body. Never added to bodies for clients (their reply schemas are closed) or
//! services (they are not ours to extend).

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use serde_json::{Map, Value};

/// The body key holding the trace context.
pub const KEY: &str = "traceparent";
const STATE_KEY: &str = "tracestate";

struct Body<'a>(&'a mut Map<String, Value>);

impl Injector for Body<'_> {
    fn set(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), Value::String(value));
    }
}

struct Taken(Option<String>, Option<String>);

impl Extractor for Taken {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            KEY => self.0.as_deref(),
            STATE_KEY => self.1.as_deref(),
            _ => None,
        }
    }

    fn keys(&self) -> Vec<&str> {
        vec![KEY, STATE_KEY]
    }
}

/// Add `cx`'s span context to an outgoing body (nothing when it has no valid span).
pub(crate) fn inject(cx: &Context, body: &mut Map<String, Value>) {
    TraceContextPropagator::new().inject_context(cx, &mut Body(body));
}

/// Take the trace context out of a received body; `None` when it carried none (or an
/// invalid one). The keys are removed either way.
pub(crate) fn take(body: &mut Value) -> Option<Context> {
    let map = body.as_object_mut()?;
    let text = |v: Option<Value>| match v {
        Some(Value::String(s)) => Some(s),
        _ => None,
    };
    let taken = Taken(text(map.remove(KEY)), text(map.remove(STATE_KEY)));
    taken.0.as_ref()?;
    let cx = TraceContextPropagator::new().extract(&taken);
    use opentelemetry::trace::TraceContextExt;
    cx.span().span_context().is_valid().then_some(cx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{SpanContext, TraceContextExt, TraceFlags, TraceState};
    use opentelemetry::trace::{SpanId, TraceId};
    use serde_json::json;

    #[test]
    fn round_trip_and_removal() {
        let sc = SpanContext::new(
            TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736u128),
            SpanId::from(0x00f0_67aa_0ba9_02b7u64),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        );
        let mut body = Map::new();
        body.insert("type".into(), json!("gossip"));
        inject(
            &Context::new().with_remote_span_context(sc.clone()),
            &mut body,
        );
        assert_eq!(
            body[KEY],
            json!("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        );
        let mut v = Value::Object(body);
        let cx = take(&mut v).expect("context");
        assert_eq!(v, json!({"type": "gossip"}));
        let got = cx.span().span_context().clone();
        assert_eq!(got.trace_id(), sc.trace_id());
        assert_eq!(got.span_id(), sc.span_id());
        assert!(got.is_remote() && got.is_sampled());
    }

    #[test]
    fn absent_or_malformed_is_none_and_removed() {
        let mut v = json!({"type": "x"});
        assert!(take(&mut v).is_none());
        for bad in [json!("00-zz-11-01"), json!(7), json!("")] {
            let mut v = json!({"type": "x", "traceparent": bad});
            assert!(take(&mut v).is_none());
            assert_eq!(v, json!({"type": "x"}));
        }
        let mut body = Map::new();
        inject(&Context::new(), &mut body);
        assert!(body.is_empty(), "no span, no context");
    }
}
