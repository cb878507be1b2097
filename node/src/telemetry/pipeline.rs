//! The span buffer between the node and its sinks: [`Queues::push`] (called by the recorder
//! when a span ends) only pushes the span onto a bounded buffer (dropping and counting when full), and one worker
//! thread per sink that takes the whole buffer at once, takes metric snapshots on the sink's
//! interval and reports failures once on stderr while counting what is lost.
//!
//! The node never wakes a worker per span (a futex wake and a context switch cost more than
//! the span itself): a worker sleeps until its next flush is due, or until the buffer holds
//! [`WAKE_AT`] spans. Spans and the metrics snapshot share one wake a second.
//!
//! A quiet node costs nothing: when a wake finds no span and an unchanged snapshot, the
//! worker sleeps until something happens (a span is queued, or a runtime hook reports a
//! metric change through [`Workers::metrics_changed`]), or until a sink's heartbeat is due.
//! Each wake of a sleeping thread costs tens of microseconds of CPU on a VM (the context
//! switch, not the work), and a 25-node cluster spends most of a run's tail idle.

use std::sync::atomic::{fence, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::resource::v1::Resource;
use prometheus::proto::MetricFamily;
use prometheus::{IntCounterVec, Registry};

use super::finished::Finished;
use super::metrics::encode_text_into;

/// Spans waiting for one sink, at most.
const QUEUE: usize = 16_384;
/// A worker is woken early when this many spans wait.
const WAKE_AT: usize = 2048;
/// Spans per export, at most.
const MAX_BATCH: usize = 2048;
/// Spans are exported at least this often (with the default 1 s metrics interval, every
/// wake writes both).
const SPAN_INTERVAL: Duration = Duration::from_secs(1);
/// A metrics snapshot due this soon is taken at the current wake (one wake-up, not two).
const SLACK: Duration = Duration::from_millis(100);
/// How late the kernel may end a worker's timed sleep (its timer slack, at most this and
/// a twentieth of its interval), so that it can serve the wake with an interrupt it takes
/// anyway. A worker aims its sleeps that much before they are due, so a flush is never
/// later than its interval. Measured on the fly.io 3d run: the sink threads' CPU per
/// client op fell by a tenth.
const TIMER_SLACK: Duration = Duration::from_millis(50);
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
    /// Whether `spans` and `metrics` return once the data is handed off, before the other
    /// end has answered: their `Ok` then means "sent", and the answers come from `late`.
    fn answers_later(&self) -> bool {
        false
    }
    /// Answers to earlier exports that came in since the last call; with `wait`, every
    /// answer still due, waited for (before the worker sleeps, and at the close).
    fn late(&mut self, _wait: bool) -> Vec<Late> {
        Vec::new()
    }
}

/// The answer to an export, known after [`Sink::spans`] or [`Sink::metrics`] returned.
#[derive(Debug)]
pub(crate) struct Late {
    /// Spans in that export, or 1 for a metrics snapshot.
    pub items: u64,
    /// Whether it was a metrics snapshot.
    pub metrics: bool,
    pub result: Result<(), String>,
}

/// What the node hands one sink's worker.
#[derive(Default)]
struct Inbox {
    spans: Vec<Finished>,
    start: Option<Arc<Identity>>,
    closed: bool,
    /// The worker sleeps until something happens (see [`Worker::doze`]); whoever clears
    /// this also takes the worker off `Mailbox::sleeping` and wakes it.
    asleep: bool,
}

/// One sink's inbox and the condition its worker sleeps on.
#[derive(Default)]
struct Mailbox {
    inbox: Mutex<Inbox>,
    wake: Condvar,
    /// Workers (of every sink) asleep until something happens; shared by all mailboxes.
    sleeping: Arc<AtomicUsize>,
    /// Tests: runs in the worker just before it decides to sleep.
    #[cfg(test)]
    before_doze: Mutex<Option<Box<dyn FnMut() + Send>>>,
}

impl Mailbox {
    /// Wake the worker if it sleeps until something happens.
    fn rouse(&self) {
        let mut inbox = self.lock();
        if Self::clear_asleep(&mut inbox, &self.sleeping) {
            drop(inbox);
            self.wake.notify_one();
        }
    }

    /// Take the worker out of its sleep; `true` when it was asleep (the caller notifies).
    fn clear_asleep(inbox: &mut Inbox, sleeping: &AtomicUsize) -> bool {
        if !inbox.asleep {
            return false;
        }
        inbox.asleep = false;
        sleeping.fetch_sub(1, Ordering::SeqCst);
        true
    }

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
        let roused = Self::clear_asleep(&mut inbox, &self.sleeping);
        let wake = roused || inbox.spans.len() == WAKE_AT;
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
    /// Start one worker thread per sink. Returns the buffers (for the recorder) and a
    /// handle to announce the node's identity and report metric changes.
    pub fn start(
        sinks: Vec<Box<dyn Sink>>,
        registry: Registry,
        drops: DropCounter,
    ) -> (Queues, Workers) {
        Self::start_with(sinks, registry, drops, SPAN_INTERVAL)
    }

    /// [`Queues::start`] with spans exported every `span_interval` (tests use short ones).
    pub fn start_with(
        sinks: Vec<Box<dyn Sink>>,
        registry: Registry,
        drops: DropCounter,
        span_interval: Duration,
    ) -> (Queues, Workers) {
        let sleeping = Arc::new(AtomicUsize::new(0));
        let mut boxes = Vec::new();
        for sink in sinks {
            let mailbox = Arc::new(Mailbox {
                sleeping: sleeping.clone(),
                ..Mailbox::default()
            });
            let name = sink.name();
            let registry = registry.clone();
            let drops = drops.clone();
            let worker_box = mailbox.clone();
            let slack = timer_slack(span_interval.min(sink.metrics_interval()));
            let spawned = std::thread::Builder::new()
                .name(format!("telemetry-{name}"))
                .spawn(move || {
                    relax_timers(slack);
                    Worker::new(sink, registry, drops, span_interval, slack).run(&worker_box)
                });
            match spawned {
                Ok(_) => boxes.push((name, mailbox)),
                Err(e) => {
                    tracing::warn!(sink = name, error = %e, "telemetry sink thread not started")
                }
            }
        }
        let workers = Workers {
            boxes: boxes.iter().map(|(_, b)| b.clone()).collect(),
            sleeping,
        };
        (Queues { boxes, drops }, workers)
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

/// Announces the node's identity to every sink worker, and wakes workers that sleep
/// because nothing happened when a metric changes.
pub(crate) struct Workers {
    boxes: Vec<Arc<Mailbox>>,
    sleeping: Arc<AtomicUsize>,
}

impl Workers {
    /// Call after changing a metric, so that a worker asleep for want of activity wakes and
    /// delivers the change within an interval. One fence and one load when none sleeps.
    #[inline]
    pub fn metrics_changed(&self) {
        // Pairs with the fence in `Worker::doze`: either this load sees the worker asleep,
        // or the worker's last look at the registry (after its fence) sees the change.
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::Relaxed) > 0 {
            self.rouse_all();
        }
    }

    #[cold]
    fn rouse_all(&self) {
        for b in &self.boxes {
            b.rouse();
        }
    }

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
    span_interval: Duration,
    /// How late the kernel may wake this worker from a timed sleep ([`timer_slack`]).
    slack: Duration,
    failing: bool,
    notices: u32,
    /// The last snapshot delivered (text exposition), and when.
    delivered: Option<(Vec<u8>, Instant)>,
    /// The buffer the next snapshot is encoded into (swapped with `delivered`'s: a
    /// snapshot a second allocates no text buffer).
    scratch: Vec<u8>,
}

/// The timer slack of a worker that flushes every `interval`.
fn timer_slack(interval: Duration) -> Duration {
    TIMER_SLACK.min(interval / 20)
}

/// Let the kernel batch this thread's timer wake-ups with others, up to `slack` late
/// (Linux `PR_SET_TIMERSLACK`, for the calling thread only; elsewhere a no-op).
fn relax_timers(slack: Duration) {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_TIMERSLACK takes one integer argument and only changes this thread's
    // timer slack; a failure leaves the default slack, which is harmless.
    unsafe {
        libc::prctl(
            libc::PR_SET_TIMERSLACK,
            slack.as_nanos().max(1) as libc::c_ulong,
        );
    }
    #[cfg(not(target_os = "linux"))]
    let _ = slack;
}

/// How a worker's sleep for want of activity ended.
enum Doze {
    /// Something happened (a span, a metric change): back to flushing every interval.
    Roused,
    /// The sink's heartbeat is due: resend the unchanged snapshot.
    Heartbeat,
    /// The node is shutting down.
    Closed,
}

impl Worker {
    fn new(
        sink: Box<dyn Sink>,
        registry: Registry,
        drops: DropCounter,
        span_interval: Duration,
        slack: Duration,
    ) -> Worker {
        Worker {
            sink,
            registry,
            drops,
            span_interval,
            slack,
            failing: false,
            notices: 0,
            delivered: None,
            scratch: Vec::new(),
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
        let mut next_spans = now + self.span_interval;
        // A first snapshot right away, so files exist from the start of the run.
        let mut next_metrics = now;
        let mut batch = Vec::new();
        loop {
            let closed = self.wait(mailbox, next_spans.min(next_metrics), &mut batch);
            let flushed = batch.len();
            self.flush_spans(&mut batch);
            // Every wake flushes the spans, so the next span flush is due an interval from
            // now; a snapshot due within `SLACK` is taken now rather than by a wake of its own.
            let now = Instant::now();
            next_spans = now + self.span_interval;
            let mut quiet = false;
            if now + SLACK >= next_metrics || closed {
                quiet = !self.snapshot() && flushed == 0;
                next_metrics = now + metrics_every;
            }
            // Answers still due are waited for only before a long sleep and at the close.
            self.take_late(quiet || closed);
            if closed {
                return;
            }
            if quiet {
                match self.doze(mailbox) {
                    Doze::Roused => {
                        let now = Instant::now();
                        next_spans = now + self.span_interval;
                        next_metrics = now + metrics_every;
                    }
                    Doze::Heartbeat | Doze::Closed => next_metrics = Instant::now(),
                }
            }
        }
    }

    /// Sleep until `due`, the buffer fills up to [`WAKE_AT`] or the node shuts down; then
    /// move every waiting span into `batch`. Returns whether the node is shutting down.
    fn wait(&self, mailbox: &Mailbox, due: Instant, batch: &mut Vec<Finished>) -> bool {
        // The kernel may wake us up to `slack` late: aim that much early.
        let due = due.checked_sub(self.slack).unwrap_or(due);
        let mut inbox = mailbox.lock();
        loop {
            let now = Instant::now();
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
        std::mem::swap(&mut inbox.spans, batch);
        inbox.closed
    }

    /// Nothing happened since the last wake: sleep until a span is queued, a metric
    /// changes, the heartbeat is due or the node shuts down.
    fn doze(&mut self, mailbox: &Mailbox) -> Doze {
        #[cfg(test)]
        if let Some(hook) = mailbox.before_doze.lock().unwrap().as_mut() {
            hook();
        }
        {
            let mut inbox = mailbox.lock();
            if inbox.closed {
                return Doze::Closed;
            }
            if !inbox.spans.is_empty() {
                return Doze::Roused;
            }
            inbox.asleep = true;
            mailbox.sleeping.fetch_add(1, Ordering::SeqCst);
        }
        // Pairs with the fence in `Workers::metrics_changed`: a metric changed after the
        // snapshot just taken, by a hook that did not see this worker asleep, shows here.
        fence(Ordering::SeqCst);
        if self.unchanged_text().is_none() {
            mailbox.rouse();
            return Doze::Roused;
        }
        let heartbeat = self.heartbeat_due();
        let mut inbox = mailbox.lock();
        loop {
            if inbox.closed {
                Mailbox::clear_asleep(&mut inbox, &mailbox.sleeping);
                return Doze::Closed;
            }
            if !inbox.asleep {
                return Doze::Roused;
            }
            let Some(at) = heartbeat else {
                inbox = mailbox.wake.wait(inbox).unwrap_or_else(|p| p.into_inner());
                continue;
            };
            let now = Instant::now();
            if now >= at {
                Mailbox::clear_asleep(&mut inbox, &mailbox.sleeping);
                return Doze::Heartbeat;
            }
            inbox = mailbox
                .wake
                .wait_timeout(inbox, at - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// When the sink wants the unchanged snapshot again (`None`: never).
    fn heartbeat_due(&self) -> Option<Instant> {
        let after = self.sink.resend_unchanged_after()?;
        Some(
            self.delivered
                .as_ref()
                .map_or_else(Instant::now, |(_, at)| *at + after),
        )
    }

    /// Hand `batch` to the sink in exports of at most [`MAX_BATCH`]; leaves it empty with
    /// its allocation kept.
    fn flush_spans(&mut self, batch: &mut Vec<Finished>) {
        while !batch.is_empty() {
            let n = batch.len().min(MAX_BATCH);
            let result = self.sink.spans(batch.drain(..n));
            self.handed(result, n as u64);
        }
    }

    /// Gather every metric and encode the text exposition into `scratch`.
    fn encode_now(&mut self) -> Vec<MetricFamily> {
        let families = self.registry.gather();
        encode_text_into(&families, &mut self.scratch);
        families
    }

    /// The current text exposition, when it equals the last one delivered.
    fn unchanged_text(&mut self) -> Option<()> {
        self.encode_now();
        let (last, _) = self.delivered.as_ref()?;
        (*last == self.scratch).then_some(())
    }

    /// Deliver a snapshot unless it equals the last one delivered (and no heartbeat is
    /// due). Returns whether one was handed to the sink.
    fn snapshot(&mut self) -> bool {
        let families = self.encode_now();
        if let Some((last, at)) = &self.delivered {
            let resend = self
                .sink
                .resend_unchanged_after()
                .is_some_and(|after| at.elapsed() >= after);
            if *last == self.scratch && !resend {
                return false;
            }
        }
        // The encoder writes UTF-8 (names and label values are Rust strings).
        let text = std::str::from_utf8(&self.scratch).unwrap_or_default();
        let result = self.sink.metrics(&families, text);
        if result.is_ok() {
            // The text just delivered is kept; the previous one's buffer becomes the scratch.
            let old = self.delivered.take().map(|(b, _)| b).unwrap_or_default();
            let text = std::mem::replace(&mut self.scratch, old);
            self.delivered = Some((text, Instant::now()));
        }
        self.handed(result, 1);
        true
    }

    /// Account for the answers to earlier exports.
    fn take_late(&mut self, wait: bool) {
        for late in self.sink.late(wait) {
            if late.metrics && late.result.is_err() {
                // The collector lacks that snapshot: send the next one even if unchanged.
                self.delivered = None;
            }
            self.outcome(late.result, late.items);
        }
    }

    /// [`Worker::outcome`] of a call to the sink; for a sink that answers later, its `Ok`
    /// only means "sent", so it says nothing of whether the sink recovered.
    fn handed(&mut self, result: Result<(), String>, items: u64) {
        if result.is_err() || !self.sink.answers_later() {
            self.outcome(result, items);
        }
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

#[cfg(test)]
#[path = "pipeline_tests.rs"]
mod tests;
