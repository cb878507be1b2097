//! The spans the runtime opens (`handle` per handled message, `rpc` per outgoing RPC) and
//! the helpers challenges use (`gossip_round`, `cas_loop`, `txn`). All carry the target
//! [`TARGET`], which only the `tracing-opentelemetry` layer listens to: the stderr log
//! never sees them. Integer fields are recorded as `i64` (OpenTelemetry's integer type).

use tracing::field::Empty;
use tracing::Span;

use opentelemetry::Context;
use tracing_opentelemetry::OpenTelemetrySpanExt;

/// The `tracing` target of every telemetry span.
pub const TARGET: &str = "glomers::telemetry";

/// One handled message. `parent` is the sender's context, when it sent one.
pub(crate) fn handle(
    node: &str,
    msg_type: &str,
    src: &str,
    msg_id: Option<u64>,
    parent: Option<Context>,
) -> Span {
    let span = tracing::info_span!(
        target: TARGET,
        "handle",
        node = node,
        msg.type = msg_type,
        msg.src = src,
        msg.id = msg_id.map(|v| v as i64),
    );
    if let Some(p) = parent {
        // Fails only when the span is disabled; then there is nothing to parent.
        let _ = span.set_parent(p);
    }
    span
}

/// One outgoing RPC; `outcome` is recorded when it completes.
pub(crate) fn rpc(node: &str, msg_type: &str, dest: &str, peer: &str, msg_id: u64) -> Span {
    tracing::info_span!(
        target: TARGET,
        "rpc",
        node = node,
        msg.type = msg_type,
        msg.dest = dest,
        peer = peer,
        msg.id = msg_id as i64,
        outcome = Empty,
    )
}

pub(crate) fn gossip_round(node: &str, fanout: usize, batch_values: usize) -> Span {
    tracing::info_span!(
        target: TARGET,
        "gossip_round",
        node = node,
        fanout = fanout as i64,
        batch_values = batch_values as i64,
    )
}

pub(crate) fn cas_loop(node: &str, service: &str) -> Span {
    tracing::info_span!(
        target: TARGET,
        "cas_loop",
        node = node,
        service = service,
        attempts = Empty,
        outcome = Empty,
    )
}

pub(crate) fn txn(node: &str, ops: usize) -> Span {
    tracing::info_span!(
        target: TARGET,
        "txn",
        node = node,
        ops = ops as i64,
        conflicts = Empty,
        outcome = Empty,
    )
}
