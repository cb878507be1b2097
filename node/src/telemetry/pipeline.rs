//! The span buffer between the node and its sinks: [`Queues::push`] (called by the recorder
//! when a span ends) only pushes the span onto a bounded buffer (dropping and counting when full), and one worker
//! thread per sink that takes the whole buffer at once, takes metric snapshots on the sink's
//! interval and reports failures once on stderr while counting what is lost.
//!
//! The node never wakes a worker per span (a futex wake and a context switch cost more than
//! the span itself): a worker sleeps until its next flush is due, or until the buffer holds
//! [`WAKE_AT`] spans.

use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::resource::v1::Resource;
use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, Registry};

use super::finished::Finished;
use super::metrics::encode_text;

/// Spans waiting for one sink, at most.
const QUEUE: usize = 16_384;
/// A worker is woken early when this many spans wait.
const WAKE_AT: usize = 2048;
/// Spans per export, at most.
const MAX_BATCH: usize = 2048;
/// Spans are exported at least this often.
const SPAN_INTERVAL: Duration = Duration::from_millis(500);
/// A metrics snapshot due this soon is taken at the current wake (one wake-up, not two).
const SLACK: Duration = Duration::from_millis(100);
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
    fn spans(&mut self, batch: std::vec::Drain<'_, Finished>) -> Result<(), String>;
    /// Write or send a snapshot of every metric (`text`: the Prometheus text exposition of
    /// `families`).
    fn metrics(&mut self, families: &[MetricFamily], text: &str) -> Result<(), String>;
    /// How often a snapshot is taken.
    fn metrics_interval(&self) -> Duration;
    /// A snapshot equal to the last one delivered is skipped, unless this long has passed
    /// since (`None`: always skipped). Idle nodes then cost nothing.
    fn resend_unchanged_after(&self) -> Option<Duration>;
}

/// What the node hands one sink's worker.
#[derive(Default)]
struct Inbox {
    spans: Vec<Finished>,
    start: Option<Arc<Identity>>,
    closed: bool,
}

/// One sink's inbox and the condition its worker sleeps on.
#[derive(Default)]
struct Mailbox {
    inbox: Mutex<Inbox>,
    wake: Condvar,
}

impl Mailbox {
    fn lock(&self) -> MutexGuard<'_, Inbox> {
        // A poisoned lock only means a panic elsewhere; the buffer itself stays usable.
        self.inbox.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queue a span; `false` when the buffer is full (the span is dropped).
    fn push(&self, span: Finished) -> bool {
        let mut inbox = self.lock();
        if inbox.spans.len() >= QUEUE {
            return false;
        }
        inbox.spans.push(span);
        let wake = inbox.spans.len() == WAKE_AT;
        drop(inbox);
        if wake {
            self.wake.notify_one();
        }
        true
    }
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

/// The buffers of every sink, fed by the recorder.
pub(crate) struct Queues {
    boxes: Vec<(&'static str, Arc<Mailbox>)>,
    drops: DropCounter,
}

impl std::fmt::Debug for Queues {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queues")
            .field("sinks", &self.boxes.len())
            .finish()
    }
}

impl Queues {
    /// Start one worker thread per sink. Returns the buffers (for the recorder) and a handle to announce the node's identity.
    pub fn start(
        sinks: Vec<Box<dyn Sink>>,
        registry: Registry,
        drops: DropCounter,
    ) -> (Queues, Starter) {
        let mut boxes = Vec::new();
        for sink in sinks {
            let mailbox = Arc::new(Mailbox::default());
            let name = sink.name();
            let registry = registry.clone();
            let drops = drops.clone();
            let worker_box = mailbox.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("telemetry-{name}"))
                .spawn(move || Worker::new(sink, registry, drops).run(&worker_box));
            match spawned {
                Ok(_) => boxes.push((name, mailbox)),
                Err(e) => {
                    tracing::warn!(sink = name, error = %e, "telemetry sink thread not started")
                }
            }
        }
        let starter = Starter {
            boxes: boxes.iter().map(|(_, b)| b.clone()).collect(),
        };
        (Queues { boxes, drops }, starter)
    }
}

impl Drop for Queues {
    fn drop(&mut self) {
        for (_, b) in &self.boxes {
            b.lock().closed = true;
            b.wake.notify_one();
        }
    }
}

/// Announces the node's identity to every sink worker.
pub(crate) struct Starter {
    boxes: Vec<Arc<Mailbox>>,
}

impl Starter {
    pub fn start(&self, id: Identity) {
        let id = Arc::new(id);
        for b in &self.boxes {
            b.lock().start = Some(id.clone());
            b.wake.notify_one();
        }
    }
}

impl Queues {
    /// Queue a finished span for every sink (dropped and counted where a buffer is full).
    pub fn push(&self, span: Finished) {
        let Some(((last_name, last), rest)) = self.boxes.split_last() else {
            return;
        };
        for (name, b) in rest {
            if !b.push(span.clone()) {
                self.drops.add(name, 1);
            }
        }
        if !last.push(span) {
            self.drops.add(last_name, 1);
        }
    }
}

struct Worker {
    sink: Box<dyn Sink>,
    registry: Registry,
    drops: DropCounter,
    failing: bool,
    notices: u32,
    /// The last snapshot delivered, and when.
    delivered: Option<(String, Instant)>,
}

impl Worker {
    fn new(sink: Box<dyn Sink>, registry: Registry, drops: DropCounter) -> Worker {
        Worker {
            sink,
            registry,
            drops,
            failing: false,
            notices: 0,
            delivered: None,
        }
    }

    fn run(mut self, mailbox: &Mailbox) {
        // Wait for the identity; spans ended before init (there should be none) wait too.
        let id = {
            let mut inbox = mailbox.lock();
            loop {
                if inbox.closed {
                    return;
                }
                if let Some(id) = inbox.start.take() {
                    break id;
                }
                inbox = mailbox.wake.wait(inbox).unwrap_or_else(|p| p.into_inner());
            }
        };
        let started = self.sink.start(&id);
        self.outcome(started, 0);
        let metrics_every = self.sink.metrics_interval();
        let now = Instant::now();
        let mut next_spans = now + SPAN_INTERVAL;
        // A first snapshot right away, so files exist from the start of the run.
        let mut next_metrics = now;
        let mut batch = Vec::new();
        loop {
            let closed = {
                let mut inbox = mailbox.lock();
                loop {
                    let now = Instant::now();
                    let due = next_spans.min(next_metrics);
                    if inbox.closed || now >= due || inbox.spans.len() >= WAKE_AT {
                        break;
                    }
                    inbox = mailbox
                        .wake
                        .wait_timeout(inbox, due - now)
                        .map(|(g, _)| g)
                        .unwrap_or_else(|p| p.into_inner().0);
                }
                // Take every waiting span; the emptied batch's allocation goes back.
                std::mem::swap(&mut inbox.spans, &mut batch);
                inbox.closed
            };
            self.flush_spans(&mut batch);
            // Every wake flushes the spans, so the next span flush is due an interval from
            // now; a snapshot due within `SLACK` is taken now rather than by a wake of its own.
            let now = Instant::now();
            next_spans = now + SPAN_INTERVAL;
            if now + SLACK >= next_metrics || closed {
                self.snapshot();
                next_metrics = now + metrics_every;
            }
            if closed {
                return;
            }
        }
    }

    /// Hand `batch` to the sink in exports of at most [`MAX_BATCH`]; leaves it empty with
    /// its allocation kept.
    fn flush_spans(&mut self, batch: &mut Vec<Finished>) {
        while !batch.is_empty() {
            let n = batch.len().min(MAX_BATCH);
            let result = self.sink.spans(batch.drain(..n));
            self.outcome(result, n as u64);
        }
    }

    fn snapshot(&mut self) {
        let families = self.registry.gather();
        let text = encode_text(&families);
        if let Some((last, at)) = &self.delivered {
            let resend = self
                .sink
                .resend_unchanged_after()
                .is_some_and(|after| at.elapsed() >= after);
            if *last == text && !resend {
                return;
            }
        }
        let result = self.sink.metrics(&families, &text);
        if result.is_ok() {
            self.delivered = Some((text, Instant::now()));
        }
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
