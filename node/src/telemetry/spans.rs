//! The spans the runtime opens (`handle` per handled message, `rpc` per outgoing RPC) and
//! the helpers challenges use (`gossip_round`, `cas_loop`, `txn`). All carry the target
//! [`TARGET`], which only the `tracing-opentelemetry` layer listens to: the stderr log
//! never sees them. Integer fields are recorded as `i64` (OpenTelemetry's integer type).

use opentelemetry::Context;
use tracing::field::Empty;
use tracing::{info_span, Span};
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The `tracing` target of every telemetry span.
pub const TARGET: &str = "glomers::telemetry";

/// One handled message. `parent` is the sender's context, when it sent one.
pub(crate) fn handle(
    node: &str,
    ty: &str,
    src: &str,
    id: Option<u64>,
    parent: Option<Context>,
) -> Span {
    let id = id.map(|v| v as i64);
    let span =
        info_span!(target: TARGET, "handle", node, msg.type = ty, msg.src = src, msg.id = id);
    if let Some(p) = parent {
        // Fails only when the span is disabled; then there is nothing to parent.
        let _ = span.set_parent(p);
    }
    span
}

/// One outgoing RPC; `outcome` is recorded when it completes.
pub(crate) fn rpc(node: &str, ty: &str, dest: &str, peer: &str, id: u64) -> Span {
    let id = id as i64;
    info_span!(target: TARGET, "rpc", node, msg.type = ty, msg.dest = dest, peer, msg.id = id,
        outcome = Empty)
}

pub(crate) fn gossip_round(node: &str, fanout: usize, batch_values: usize) -> Span {
    let (fanout, batch_values) = (fanout as i64, batch_values as i64);
    info_span!(target: TARGET, "gossip_round", node, fanout, batch_values)
}

pub(crate) fn cas_loop(node: &str, service: &str) -> Span {
    info_span!(target: TARGET, "cas_loop", node, service, attempts = Empty, outcome = Empty)
}

pub(crate) fn txn(node: &str, ops: usize) -> Span {
    let ops = ops as i64;
    info_span!(target: TARGET, "txn", node, ops, conflicts = Empty, outcome = Empty)
}
