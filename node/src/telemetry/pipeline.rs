//! The span queue between the node and its sinks: a span processor whose `on_end` only
//! hands the span to a bounded queue (dropping and counting when full), and one worker
//! thread per sink that batches spans, takes metric snapshots on the sink's interval and
//! reports failures once on stderr while counting what is lost.

use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use opentelemetry_sdk::Resource;
use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, Registry};

/// Spans waiting for one sink, at most.
const QUEUE: usize = 8192;
/// Spans per export, at most.
const MAX_BATCH: usize = 512;
/// Spans are exported at least this often.
const SPAN_INTERVAL: Duration = Duration::from_millis(500);
/// Failure/recovery notices a sink may print in its whole life.
const MAX_NOTICES: u32 = 4;

/// Who this process is, known once `init` has arrived.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub node_id: String,
    pub node_ids: Vec<String>,
    pub binary: String,
    pub service_name: String,
    pub pid: u32,
    pub start_unix_ms: u64,
    pub resource: Resource,
}

/// A destination for spans and metric snapshots, driven by its own worker thread.
pub(crate) trait Sink: Send + 'static {
    /// `file` or `otlp` (the `sink` label of `glomers_telemetry_dropped_total`).
    fn name(&self) -> &'static str;
    /// Called once, when the node's identity is known.
    fn start(&mut self, id: &Identity) -> Result<(), String>;
    /// Write or send a batch of finished spans.
    fn spans(&mut self, batch: Vec<SpanData>) -> Result<(), String>;
    /// Write or send a snapshot of every metric.
    fn metrics(&mut self, families: &[MetricFamily]) -> Result<(), String>;
    /// How often `metrics` is called.
    fn metrics_interval(&self) -> Duration;
}

// Nearly every message is a span: boxing it would cost an allocation per span.
#[allow(clippy::large_enum_variant)]
enum Msg {
    Span(SpanData),
    Start(Arc<Identity>),
}

/// Counts what sinks lose, labelled with the node id once known.
#[derive(Clone)]
pub(crate) struct DropCounter {
    pub counter: IntCounterVec,
    pub node: Arc<OnceLock<String>>,
}

impl DropCounter {
    pub fn add(&self, sink: &str, n: u64) {
        let node = self.node.get().map(String::as_str).unwrap_or("");
        self.counter.with_label_values(&[node, sink]).inc_by(n);
    }
}

/// The span processor feeding every sink's queue.
pub(crate) struct QueueProcessor {
    queues: Vec<(&'static str, SyncSender<Msg>)>,
    drops: DropCounter,
}

impl std::fmt::Debug for QueueProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QueueProcessor")
            .field("sinks", &self.queues.len())
            .finish()
    }
}

impl QueueProcessor {
    /// Start one worker thread per sink. Returns the processor (to register with the
    /// tracer provider) and a handle to announce the node's identity.
    pub fn start(
        sinks: Vec<Box<dyn Sink>>,
        registry: Registry,
        drops: DropCounter,
    ) -> (QueueProcessor, Starter) {
        let mut queues = Vec::new();
        for sink in sinks {
            let (tx, rx) = sync_channel(QUEUE);
            let name = sink.name();
            let registry = registry.clone();
            let drops = drops.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("telemetry-{name}"))
                .spawn(move || Worker::new(sink, registry, drops).run(rx));
            match spawned {
                Ok(_) => queues.push((name, tx)),
                Err(e) => {
                    tracing::warn!(sink = name, error = %e, "telemetry sink thread not started")
                }
            }
        }
        let starter = Starter {
            queues: queues.iter().map(|(_, tx)| tx.clone()).collect(),
        };
        (QueueProcessor { queues, drops }, starter)
    }
}

/// Announces the node's identity to every sink worker.
pub(crate) struct Starter {
    queues: Vec<SyncSender<Msg>>,
}

impl Starter {
    pub fn start(&self, id: Identity) {
        let id = Arc::new(id);
        for q in &self.queues {
            // Blocking send: the identity must not be lost to a full queue, and a worker
            // drains its queue even before it starts.
            let _ = q.send(Msg::Start(id.clone()));
        }
    }
}

impl SpanProcessor for QueueProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        let Some(((last_name, last), rest)) = self.queues.split_last() else {
            return;
        };
        for (name, q) in rest {
            if let Err(TrySendError::Full(_)) = q.try_send(Msg::Span(span.clone())) {
                self.drops.add(name, 1);
            }
        }
        if let Err(TrySendError::Full(_)) = last.try_send(Msg::Span(span)) {
            self.drops.add(last_name, 1);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        Ok(())
    }

    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        Ok(())
    }
}

struct Worker {
    sink: Box<dyn Sink>,
    registry: Registry,
    drops: DropCounter,
    failing: bool,
    notices: u32,
}

impl Worker {
    fn new(sink: Box<dyn Sink>, registry: Registry, drops: DropCounter) -> Worker {
        Worker {
            sink,
            registry,
            drops,
            failing: false,
            notices: 0,
        }
    }

    fn run(mut self, rx: Receiver<Msg>) {
        let mut batch = Vec::new();
        // Spans ended before init (there should be none) wait for the identity.
        let id = loop {
            match rx.recv() {
                Ok(Msg::Start(id)) => break id,
                Ok(Msg::Span(s)) if batch.len() < QUEUE => batch.push(s),
                Ok(Msg::Span(_)) => self.drops.add(self.sink.name(), 1),
                Err(_) => return,
            }
        };
        let started = self.sink.start(&id);
        self.outcome(started, 0);
        let metrics_every = self.sink.metrics_interval();
        let now = Instant::now();
        let mut next_spans = now + SPAN_INTERVAL;
        // A first snapshot right away, so files exist from the start of the run.
        let mut next_metrics = now;
        loop {
            let now = Instant::now();
            let wait = next_spans.min(next_metrics).saturating_duration_since(now);
            match rx.recv_timeout(wait) {
                Ok(Msg::Span(s)) => {
                    batch.push(s);
                    if batch.len() >= MAX_BATCH {
                        self.flush_spans(&mut batch);
                    }
                }
                Ok(Msg::Start(_)) | Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.flush_spans(&mut batch);
                    self.snapshot();
                    return;
                }
            }
            let now = Instant::now();
            if now >= next_spans {
                self.flush_spans(&mut batch);
                next_spans = now + SPAN_INTERVAL;
            }
            if now >= next_metrics {
                self.snapshot();
                next_metrics = now + metrics_every;
            }
        }
    }

    fn flush_spans(&mut self, batch: &mut Vec<SpanData>) {
        if batch.is_empty() {
            return;
        }
        let n = batch.len() as u64;
        let result = self.sink.spans(std::mem::take(batch));
        self.outcome(result, n);
    }

    fn snapshot(&mut self) {
        let families = self.registry.gather();
        let result = self.sink.metrics(&families);
        self.outcome(result, 1);
    }

    /// Count a failure's losses; say so on stderr when the sink starts or stops failing.
    fn outcome(&mut self, result: Result<(), String>, items: u64) {
        let name = self.sink.name();
        match result {
            Err(e) => {
                if items > 0 {
                    self.drops.add(name, items);
                }
                if !self.failing && self.notices < MAX_NOTICES {
                    self.notices += 1;
                    tracing::warn!(sink = name, error = %e, "telemetry sink failing; its data is dropped and counted in glomers_telemetry_dropped_total");
                }
                self.failing = true;
            }
            Ok(()) => {
                if self.failing && self.notices < MAX_NOTICES {
                    self.notices += 1;
                    tracing::info!(sink = name, "telemetry sink recovered");
                }
                self.failing = false;
            }
        }
    }
}
