//! The span recorder: the process's `tracing` subscriber while telemetry is on. Telemetry
//! spans (target [`super::spans::TARGET`]) are kept in a small table of its own: a new span
//! gets its ids and start time, its fields are kept as they are recorded, entering it makes it
//! this thread's current context, and when its last handle is dropped a [`Finished`] record
//! goes to the sink buffers. Log events go to the stderr logger (`fmt` with `RUST_LOG`), which
//! never sees telemetry spans; other spans are disabled.
//!
//! No OpenTelemetry SDK and no `tracing-subscriber` registry on the node's path: a span costs
//! two clock reads, two random numbers, its inline fields, a few uncontended lock round trips
//! and a buffer push.

use std::cell::Cell;
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use tracing::level_filters::LevelFilter;
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};
use tracing_core::span::Current;

use super::context::{self, SpanCx};
use super::finished::{AttrVisitor, Attrs, Finished};
use super::memory::MemorySink;
use super::pipeline::Queues;
use super::record::unix_nanos;
use super::spans::TARGET;

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

/// A span in flight.
struct Live {
    /// Handles (`Span` clones) still open.
    refs: u32,
    meta: &'static Metadata<'static>,
    cx: SpanCx,
    span: Finished,
}

/// Spans in flight, by `Id` (slot index + 1; slots are reused once a span closes).
#[derive(Default)]
struct Table {
    slots: Vec<Option<Live>>,
    free: Vec<usize>,
}

impl Table {
    fn insert(&mut self, live: Live) -> Id {
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i] = Some(live);
                i
            }
            None => {
                self.slots.push(Some(live));
                self.slots.len() - 1
            }
        };
        Id::from_u64(i as u64 + 1)
    }

    fn get_mut(&mut self, id: &Id) -> Option<&mut Live> {
        let i = usize::try_from(id.into_u64()).ok()?.checked_sub(1)?;
        self.slots.get_mut(i)?.as_mut()
    }

    /// Drop one handle; the span itself when it was the last.
    fn release(&mut self, id: &Id) -> Option<Live> {
        let live = self.get_mut(id)?;
        live.refs = live.refs.saturating_sub(1);
        if live.refs > 0 {
            return None;
        }
        let i = id.into_u64() as usize - 1;
        self.free.push(i);
        self.slots[i].take()
    }
}

/// Where finished spans go.
pub(crate) struct Recorder {
    pub memory: Option<MemorySink>,
    pub queues: Option<Queues>,
}

/// The subscriber installed while telemetry is on.
pub(crate) struct NodeSubscriber {
    recorder: Recorder,
    /// The stderr logger (`RUST_LOG`), for events.
    logs: Box<dyn Subscriber + Send + Sync>,
    table: Mutex<Table>,
}

impl NodeSubscriber {
    pub fn new(recorder: Recorder, logs: Box<dyn Subscriber + Send + Sync>) -> NodeSubscriber {
        NodeSubscriber {
            recorder,
            logs,
            table: Mutex::new(Table::default()),
        }
    }

    fn table(&self) -> MutexGuard<'_, Table> {
        // A poisoned lock only means a panic elsewhere; the table stays consistent.
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn context_of(&self, id: &Id) -> Option<SpanCx> {
        self.table().get_mut(id).map(|l| l.cx)
    }

    /// Link the span `id` to `contexts`.
    fn add_links(&self, id: &Id, contexts: &mut dyn Iterator<Item = SpanCx>) {
        if let Some(live) = self.table().get_mut(id) {
            live.span.links.extend(contexts);
        }
    }

    fn finish(&self, mut span: Finished) {
        span.end_unix_nano = unix_nanos(SystemTime::now());
        if let Some(mem) = &self.recorder.memory {
            mem.push(&span);
        }
        if let Some(q) = &self.recorder.queues {
            q.push(span);
        }
    }
}

fn is_telemetry(meta: &Metadata<'_>) -> bool {
    meta.is_span() && meta.target() == TARGET
}

impl Subscriber for NodeSubscriber {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if is_telemetry(meta) {
            Interest::always()
        } else if meta.is_span() {
            Interest::never()
        } else {
            self.logs.register_callsite(meta)
        }
    }

    fn enabled(&self, meta: &Metadata<'_>) -> bool {
        if meta.is_span() {
            is_telemetry(meta)
        } else {
            self.logs.enabled(meta)
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        // Telemetry spans are INFO spans, whatever the log filter says.
        let logs = self.logs.max_level_hint().unwrap_or(LevelFilter::TRACE);
        Some(logs.max(LevelFilter::INFO))
    }

    fn new_span(&self, attrs: &Attributes<'_>) -> Id {
        let parent = REMOTE_PARENT.with(Cell::take).or_else(|| {
            if attrs.is_contextual() {
                context::current()
            } else {
                attrs.parent().and_then(|p| self.context_of(p))
            }
        });
        let cx = SpanCx {
            trace_id: parent.map_or_else(context::new_trace_id, |p| p.trace_id),
            span_id: context::new_span_id(),
            flags: 1,
            remote: false,
        };
        let meta = attrs.metadata();
        let mut span = Finished {
            trace_id: cx.trace_id,
            span_id: cx.span_id,
            parent_span_id: parent.map_or(0, |p| p.span_id),
            parent_remote: parent.is_some_and(|p| p.remote),
            name: meta.name(),
            start_unix_nano: unix_nanos(SystemTime::now()),
            end_unix_nano: 0,
            attrs: Attrs::new(),
            error: false,
            links: Vec::new(),
        };
        attrs.record(&mut AttrVisitor(&mut span));
        self.table().insert(Live {
            refs: 1,
            meta,
            cx,
            span,
        })
    }

    fn record(&self, id: &Id, values: &Record<'_>) {
        if let Some(live) = self.table().get_mut(id) {
            values.record(&mut AttrVisitor(&mut live.span));
        }
    }

    fn record_follows_from(&self, _span: &Id, _follows: &Id) {}

    fn event_enabled(&self, event: &Event<'_>) -> bool {
        self.logs.event_enabled(event)
    }

    fn event(&self, event: &Event<'_>) {
        self.logs.event(event);
    }

    fn enter(&self, id: &Id) {
        if let Some(cx) = self.context_of(id) {
            context::push(id.into_u64(), cx);
        }
    }

    fn exit(&self, id: &Id) {
        context::pop(id.into_u64());
    }

    fn clone_span(&self, id: &Id) -> Id {
        if let Some(live) = self.table().get_mut(id) {
            live.refs += 1;
        }
        id.clone()
    }

    fn try_close(&self, id: Id) -> bool {
        let closed = self.table().release(&id);
        match closed {
            Some(live) => {
                self.finish(live.span);
                true
            }
            None => false,
        }
    }

    fn current_span(&self) -> Current {
        let Some(id) = context::current_id() else {
            return Current::none();
        };
        let id = Id::from_u64(id);
        match self.table().get_mut(&id) {
            Some(live) => Current::new(id, live.meta),
            None => Current::none(),
        }
    }
}

/// Link `span` to `contexts` (no-op for a disabled span or another subscriber).
pub(crate) fn add_links(span: &tracing::Span, contexts: &mut dyn Iterator<Item = SpanCx>) {
    span.with_subscriber(|(id, dispatch)| {
        if let Some(node) = dispatch.downcast_ref::<NodeSubscriber>() {
            node.add_links(id, contexts);
        }
    });
}
