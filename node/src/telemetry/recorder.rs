//! The span recorder: a `tracing` layer (listening to telemetry spans only) that gives each
//! new span its ids and a start time, keeps its attributes as the fields are recorded,
//! tracks which span is current on each thread, and on close hands a [`Finished`] record to
//! the sink buffers. No OpenTelemetry SDK on the node's path: a span costs two clock reads,
//! two random numbers, one small allocation per string field and a buffer push.

use std::cell::Cell;
use std::time::SystemTime;

use tracing::span::{Attributes, Id, Record};
use tracing::Subscriber;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::{LookupSpan, Registry};
use tracing_subscriber::Layer;

use super::context::{self, SpanCx};
use super::finished::{AttrVisitor, Finished};
use super::memory::MemorySink;
use super::pipeline::Queues;
use super::record::unix_nanos;

thread_local! {
    /// The remote parent of the span about to be created on this thread.
    static REMOTE_PARENT: Cell<Option<SpanCx>> = const { Cell::new(None) };
}

/// Create a span with `make` whose parent is `parent` (a context from another node).
pub(crate) fn with_remote_parent<T>(parent: SpanCx, make: impl FnOnce() -> T) -> T {
    REMOTE_PARENT.with(|p| p.set(Some(parent)));
    let out = make();
    // Not taken when the span was disabled: never let it leak into the next span.
    REMOTE_PARENT.with(|p| p.set(None));
    out
}

/// A span in flight (kept in the registry's span extensions).
struct Live {
    cx: SpanCx,
    span: Finished,
}

/// Where finished spans go.
pub(crate) struct Recorder {
    pub memory: Option<MemorySink>,
    pub queues: Option<Queues>,
}

impl<S> Layer<S> for Recorder
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let parent = REMOTE_PARENT.with(Cell::take).or_else(|| {
            if attrs.is_contextual() {
                context::current()
            } else {
                attrs
                    .parent()
                    .and_then(|p| ctx.span(p))
                    .and_then(|p| p.extensions().get::<Live>().map(|l| l.cx))
            }
        });
        let cx = SpanCx {
            trace_id: parent.map_or_else(context::new_trace_id, |p| p.trace_id),
            span_id: context::new_span_id(),
            flags: 1,
            remote: false,
        };
        let mut finished = Finished {
            trace_id: cx.trace_id,
            span_id: cx.span_id,
            parent_span_id: parent.map_or(0, |p| p.span_id),
            parent_remote: parent.is_some_and(|p| p.remote),
            name: attrs.metadata().name(),
            start_unix_nano: unix_nanos(SystemTime::now()),
            end_unix_nano: 0,
            attrs: Vec::with_capacity(attrs.metadata().fields().len()),
            error: false,
            links: Vec::new(),
        };
        attrs.record(&mut AttrVisitor(&mut finished));
        span.extensions_mut().insert(Live { cx, span: finished });
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let mut ext = span.extensions_mut();
        if let Some(live) = ext.get_mut::<Live>() {
            values.record(&mut AttrVisitor(&mut live.span));
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else { return };
        let cx = span.extensions().get::<Live>().map(|l| l.cx);
        if let Some(cx) = cx {
            context::push(id.into_u64(), cx);
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        context::pop(id.into_u64());
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let live = span.extensions_mut().remove::<Live>();
        let Some(Live { mut span, .. }) = live else {
            return;
        };
        span.end_unix_nano = unix_nanos(SystemTime::now());
        if let Some(mem) = &self.memory {
            mem.push(&span);
        }
        if let Some(q) = &self.queues {
            q.push(span);
        }
    }
}

/// Link `span` to `contexts` (no-op for a disabled span or another subscriber).
pub(crate) fn add_links(span: &tracing::Span, contexts: &mut dyn Iterator<Item = SpanCx>) {
    span.with_subscriber(|(id, dispatch)| {
        let Some(registry) = dispatch.downcast_ref::<Registry>() else {
            return;
        };
        let Some(data) = registry.span(id) else {
            return;
        };
        let mut ext = data.extensions_mut();
        if let Some(live) = ext.get_mut::<Live>() {
            live.span.links.extend(contexts);
        }
    });
}
