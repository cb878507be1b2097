//! Telemetry: `tracing` spans and OpenTelemetry metrics from every node, written to files,
//! sent over OTLP, or both; off by default and switched on by environment only (Maelstrom
//! passes nodes no flags). Spans go through the `tracing-opentelemetry` layer into the
//! `opentelemetry_sdk` tracer provider, whose batch processors feed `opentelemetry-otlp` and
//! the file sink's exporter; metrics are one set of OpenTelemetry instruments read by a
//! Prometheus registry (`metrics.prom`) and a periodic OTLP push. docs/telemetry.md is the
//! user's guide: variables, span and metric schema, file layout, cost.
//!
//! Here: the pipeline's setup and the hooks the runtime and challenges call (with telemetry
//! off, each is one `OnceLock` check).

mod config;
mod deferred;
mod file_sink;
mod memory;
mod metrics;
mod otlp;
mod propagation;
mod record;
mod resource;
mod spans;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use serde_json::{Map, Value};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{filter_fn, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::kv::Service;
use crate::message::Envelope;
use crate::node::Node;

pub use config::{Config, DEFAULT_DIR};
pub use memory::MemorySink;
pub use propagation::KEY as TRACEPARENT_KEY;
pub use record::{LinkRecord, SpanRecord};

use deferred::{Deferred, Identity};
use metrics::Metrics;

struct State {
    config: Config,
    service_name: String,
    start_unix_ms: u64,
    /// Set by the first node this process sees (several nodes in one process: tests).
    identity: OnceLock<(Identity, Resource)>,
    /// Built with the identity, since the OTLP resource names the node.
    metrics: OnceLock<Metrics>,
    // Kept alive: dropping the provider would shut its processors down.
    _provider: SdkTracerProvider,
}

static STATE: OnceLock<State> = OnceLock::new();

/// Whether telemetry is on in this process.
#[inline]
pub fn enabled() -> bool {
    STATE.get().is_some()
}

/// Read the environment and set up logging plus, when switched on, telemetry. Called by
/// [`crate::run`] before anything else; with telemetry off this is exactly the old stderr
/// logger.
pub fn init_from_env() {
    match Config::from_env() {
        None => crate::runtime::init_logging(),
        Some(config) => {
            if let Err(e) = init(config) {
                crate::runtime::init_logging();
                tracing::warn!(error = %e, "telemetry not started");
            }
        }
    }
}

/// A batch processor with our defaults (1 s delay, 8192 spans queued) unless `OTEL_BSP_*`
/// variables say otherwise.
fn batch<E: opentelemetry_sdk::trace::SpanExporter + 'static>(exporter: E) -> BatchSpanProcessor {
    let mut config = BatchConfigBuilder::default();
    if std::env::var_os("OTEL_BSP_SCHEDULE_DELAY").is_none() {
        config = config.with_scheduled_delay(Duration::from_secs(1));
    }
    if std::env::var_os("OTEL_BSP_MAX_QUEUE_SIZE").is_none() {
        config = config.with_max_queue_size(8192);
    }
    BatchSpanProcessor::builder(exporter)
        .with_batch_config(config.build())
        .build()
}

/// Switch telemetry on with `config`: the global `tracing` subscriber (stderr logger +
/// `tracing-opentelemetry` layer) and the tracer provider; metrics start with the first
/// node. Fails if a global subscriber is already installed.
pub fn init(config: Config) -> Result<(), String> {
    let service_name = resource::service_name(&crate::build_info::binary_name());
    let mut builder =
        SdkTracerProvider::builder().with_resource(resource::build(&service_name, None));
    if let Some(mem) = config.memory.clone() {
        builder = builder.with_simple_exporter(mem);
    }
    if let Some(dir) = config.file_dir.clone() {
        let make = move |id: &Identity| Ok(file_sink::FileSpans::new(file_sink::folder(&dir, id)));
        builder = builder.with_span_processor(batch(Deferred::new("file", make)));
    }
    if config.otlp {
        let make = |_: &Identity| otlp::span_exporter();
        builder = builder.with_span_processor(batch(Deferred::new("otlp", make)));
    }
    let provider = builder.build();
    let telemetry_layer = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("glomers"))
        .with_location(false)
        .with_tracked_inactivity(false)
        .with_threads(false)
        .with_target(false)
        .with_level(false)
        .with_context_activation(false)
        .with_filter(filter_fn(|m| m.target() == spans::TARGET));
    let log_layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_filter(filter_fn(|m| m.target() != spans::TARGET));
    tracing_subscriber::registry()
        .with(log_layer)
        .with(telemetry_layer)
        .try_init()
        .map_err(|e| format!("a tracing subscriber is already installed: {e}"))?;

    tracing::info!(file = ?config.file_dir, otlp = config.otlp, "telemetry on");
    let state = State {
        config,
        service_name,
        start_unix_ms: file_sink::unix_ms(SystemTime::now()),
        identity: OnceLock::new(),
        metrics: OnceLock::new(),
        _provider: provider,
    };
    STATE
        .set(state)
        .map_err(|_| "telemetry already initialised".into())
}

/// Tell the sinks who this process is, once `init` has arrived (called by [`crate::run`]).
pub(crate) fn node_started(node: &Node) {
    metrics(node);
}

/// The metrics, started by the first node that uses them (`None` when off).
#[inline]
fn metrics(node: &Node) -> Option<&'static Metrics> {
    let st = STATE.get()?;
    Some(match st.metrics.get() {
        Some(m) => m,
        None => start(st, node),
    })
}

/// Name the process after `node` and start what needs its name: the metrics with their
/// readers, and the file sink's snapshot thread.
#[cold]
fn start(st: &'static State, node: &Node) -> &'static Metrics {
    let (id, resource) = st.identity.get_or_init(|| {
        let id = Identity {
            node_id: node.id().to_string(),
            node_ids: node.node_ids().to_vec(),
            binary: crate::build_info::binary_name(),
            service_name: st.service_name.clone(),
            pid: std::process::id(),
            start_unix_ms: st.start_unix_ms,
        };
        (id, resource::build(&st.service_name, Some(node.id())))
    });
    let mut first = false;
    let m = st.metrics.get_or_init(|| {
        first = true;
        let otlp = st.config.otlp.then(otlp::metric_exporter).and_then(|r| {
            r.map_err(|e| tracing::warn!(error = %e, "OTLP metrics not started"))
                .ok()
        });
        Metrics::new(resource.clone(), otlp, st.config.flush_interval)
    });
    if let (true, Some(dir)) = (first, &st.config.file_dir) {
        let snaps = file_sink::Snapshots::new(file_sink::folder(dir, id), id);
        spawn_snapshots(snaps, m, st.config.flush_interval);
    }
    m
}

/// The `telemetry-file` thread: `metrics.prom` (and `meta.json`) every `interval`.
fn spawn_snapshots(mut snaps: file_sink::Snapshots, m: &'static Metrics, interval: Duration) {
    let spawned = std::thread::Builder::new()
        .name("telemetry-file".into())
        .spawn(move || loop {
            if let Err(error) = snaps.write(m.encode_text()) {
                sink_failed("file", 1, &error);
            }
            std::thread::sleep(interval);
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "telemetry file thread not started");
    }
}

/// A sink (`file` or `otlp`) lost `n` spans or snapshots: logged once per sink, counted
/// in `glomers_telemetry_dropped_total{sink}`.
fn sink_failed(sink: &'static str, n: u64, error: &str) {
    static WARNED: [AtomicBool; 2] = [AtomicBool::new(false), AtomicBool::new(false)];
    if !WARNED[usize::from(sink == "otlp")].swap(true, Ordering::Relaxed) {
        tracing::warn!(sink, error, "telemetry sink failing; counting drops");
    }
    let st = STATE.get().filter(|_| n > 0);
    if let Some((m, (id, _))) = st.and_then(|st| Some((st.metrics.get()?, st.identity.get()?))) {
        m.dropped
            .add(n, &[kv("node", &id.node_id), KeyValue::new("sink", sink)]);
    }
}

// ---------------------------------------------------------------------------------------
// Runtime hooks (crate-internal). Each is one OnceLock check when telemetry is off.

/// Distinct label values kept as `&'static str`; past this many, values are copied.
const LABELS_CAP: usize = 4096;

/// A label value (node id, message type) that costs no allocation to attach: each distinct
/// value is leaked once and shared by every later measurement. Values are few (the same
/// set Prometheus keeps a series for), so the leak is bounded by [`LABELS_CAP`].
fn label(v: &str) -> opentelemetry::Value {
    static SEEN: RwLock<BTreeSet<&'static str>> = RwLock::new(BTreeSet::new());
    if let Some(&s) = SEEN.read().unwrap_or_else(|p| p.into_inner()).get(v) {
        return s.into();
    }
    let mut seen = SEEN.write().unwrap_or_else(|p| p.into_inner());
    if let Some(&s) = seen.get(v) {
        return s.into();
    }
    if seen.len() >= LABELS_CAP {
        return v.to_string().into();
    }
    let s: &'static str = Box::leak(v.into());
    seen.insert(s);
    s.into()
}

fn kv(key: &'static str, value: &str) -> KeyValue {
    KeyValue::new(key, label(value))
}

fn node_kv(node: &Node) -> KeyValue {
    kv("node", node.id())
}

/// What kind of party an id names: a cluster node, a Maelstrom client, or a service.
fn peer_kind(node: &Node, id: &str) -> &'static str {
    if node.is_node_id(id) {
        "node"
    } else if id.starts_with('c') {
        "client"
    } else {
        "service"
    }
}

/// The `node`, `type` and `peer` labels of a message.
fn msg_labels(node: &Node, ty: &str, peer: &'static str) -> [KeyValue; 3] {
    [node_kv(node), kv("type", ty), KeyValue::new("peer", peer)]
}

fn type_of(body: &Map<String, Value>) -> &str {
    body.get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
}

/// An inbound message after parsing: count it, and take any trace context out of its body.
pub(crate) fn on_receive(node: &Node, env: &mut Envelope) -> Option<opentelemetry::Context> {
    let m = metrics(node)?;
    let kind = peer_kind(node, &env.src);
    let labels = msg_labels(node, env.msg_type().unwrap_or("unknown"), kind);
    if kind == "client" && env.in_reply_to().is_none() {
        m.client_ops.add(1, &labels[..2]);
    }
    m.received.add(1, &labels);
    (kind == "node").then(|| propagation::take(&mut env.body))?
}

/// The `handle` span for a request about to be handled (`Span::none()` when off).
pub(crate) fn handle_span(node: &Node, env: &Envelope, cx: Option<opentelemetry::Context>) -> Span {
    if !enabled() {
        return Span::none();
    }
    let ty = env.msg_type().unwrap_or("unknown");
    spans::handle(node.id(), ty, &env.src, env.msg_id(), cx)
}

/// An outbound body: count it and, to other nodes only, add the current trace context.
pub(crate) fn on_send(node: &Node, dest: &str, body: &mut Map<String, Value>) {
    let Some(m) = metrics(node) else { return };
    let kind = peer_kind(node, dest);
    m.sent.add(1, &msg_labels(node, type_of(body), kind));
    if kind == "node" && dest != node.id() {
        propagation::inject(&Span::current().context(), body);
    }
}

/// An RPC in flight: its span and start time.
pub(crate) struct RpcTimer {
    span: Span,
    start: Instant,
    labels: [KeyValue; 3],
}

impl RpcTimer {
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Record the outcome (`ok`, `error`, `timeout`, `closed`) and the duration.
    pub fn finish(self, outcome: &'static str) {
        self.span.record("outcome", outcome);
        if let Some(m) = STATE.get().and_then(|st| st.metrics.get()) {
            let [a, b, c] = self.labels;
            let labels = [a, b, c, KeyValue::new("outcome", outcome)];
            m.rpc_duration
                .record(self.start.elapsed().as_secs_f64(), &labels);
        }
    }
}

/// Start timing an RPC about to be sent (`None` when off).
pub(crate) fn rpc_start(
    node: &Node,
    dest: &str,
    body: &Map<String, Value>,
    msg_id: u64,
) -> Option<RpcTimer> {
    metrics(node)?;
    let (ty, peer) = (type_of(body), peer_kind(node, dest));
    Some(RpcTimer {
        span: spans::rpc(node.id(), ty, dest, peer, msg_id),
        start: Instant::now(),
        labels: msg_labels(node, ty, peer),
    })
}

/// One CaS request's outcome (called by `Kv::cas`).
pub(crate) fn kv_cas(node: &Node, service: &'static str, outcome: &'static str) {
    let Some(m) = metrics(node) else { return };
    let labels = [
        node_kv(node),
        KeyValue::new("service", service),
        KeyValue::new("outcome", outcome),
    ];
    m.kv_cas.add(1, &labels);
}

// ---------------------------------------------------------------------------------------
// Public API for challenges. All of it is free when telemetry is off.

/// A gossip round about to send `batch_values` values to `fanout` peers: records the
/// `glomers_gossip_fanout` and `glomers_gossip_batch_values` histograms and returns a
/// `gossip_round` span (disabled when off). Send the round's messages inside it
/// (`span.enter()` in sync code, `.instrument(span)` in async code) so each receiver's
/// `handle` span becomes its child.
pub fn gossip_round(node: &Node, fanout: usize, batch_values: usize) -> Span {
    gossip_rounds(node, &[(fanout, batch_values)])
}

/// The gossip rounds `(fanout, batch_values)` of one protocol step: each is recorded in the
/// histograms, and one `gossip_round` span covers the step (`fanout` = the rounds' total,
/// `batch_values` = their largest). No rounds, or telemetry off: a disabled span.
pub fn gossip_rounds(node: &Node, rounds: &[(usize, usize)]) -> Span {
    let Some(m) = metrics(node).filter(|_| !rounds.is_empty()) else {
        return Span::none();
    };
    let labels = [node_kv(node)];
    for &(fanout, batch) in rounds {
        m.gossip_fanout.record(fanout as f64, &labels);
        m.gossip_batch_values.record(batch as f64, &labels);
    }
    let fanout = rounds.iter().map(|r| r.0).sum();
    let batch = rounds.iter().map(|r| r.1).max().unwrap_or(0);
    spans::gossip_round(node.id(), fanout, batch)
}

/// One compare-and-set loop: a `cas_loop` span, and on `finish` (or drop) the
/// `glomers_kv_cas_retries` histogram gets `attempts - 1`. Each CaS request itself is
/// counted in `glomers_kv_cas_total` by [`crate::Kv::cas`].
///
/// ```ignore
/// let mut lp = telemetry::cas_loop(&node, kv.service());
/// loop {
///     lp.attempt();
///     match kv.cas(&key, &old, &new, true).instrument(lp.span()).await { … }
/// }
/// lp.finish("ok");
/// ```
pub fn cas_loop(node: &Node, service: Service) -> CasLoop {
    let inner = enabled().then(|| {
        let span = spans::cas_loop(node.id(), service.id());
        (span, node.clone(), service.id())
    });
    CasLoop { inner, attempts: 0 }
}

/// See [`cas_loop`].
pub struct CasLoop {
    /// Taken when the loop is recorded.
    inner: Option<(Span, Node, &'static str)>,
    attempts: u32,
}

impl CasLoop {
    /// Count one more CaS attempt.
    pub fn attempt(&mut self) {
        self.attempts += 1;
    }

    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The loop's span (disabled when off), to instrument the attempts with.
    pub fn span(&self) -> Span {
        self.inner.as_ref().map_or_else(Span::none, |i| i.0.clone())
    }

    /// End the loop with an outcome label (`ok`, `gave_up`, ...).
    pub fn finish(mut self, outcome: &str) {
        self.record(Some(outcome));
    }

    fn record(&mut self, outcome: Option<&str>) {
        let Some((span, node, service)) = self.inner.take() else {
            return;
        };
        span.record("attempts", self.attempts as i64);
        if let Some(o) = outcome {
            span.record("outcome", o);
        }
        if let Some(m) = metrics(&node) {
            let retries = self.attempts.saturating_sub(1) as f64;
            let labels = [node_kv(&node), KeyValue::new("service", service)];
            m.kv_cas_retries.record(retries, &labels);
        }
    }
}

impl Drop for CasLoop {
    fn drop(&mut self) {
        self.record(None);
    }
}

/// `glomers_txn_conflicts_total{outcome}` += `conflicts`, also for conflicts found once the
/// transactions had ended: in txn-rw-register, a node counts each replicated write that
/// reaches it older than the key's current value (it lost to a concurrent writer under
/// last-writer-wins).
pub fn txn_conflicts(node: &Node, outcome: &str, conflicts: u64) {
    if let Some(m) = metrics(node).filter(|_| conflicts > 0) {
        m.txn_conflicts
            .add(conflicts, &[node_kv(node), kv("outcome", outcome)]);
    }
}

/// A transaction of `ops` operations: a `txn` span; [`Txn::finish`] records its outcome
/// in the span, `glomers_txn_total` and `glomers_txn_conflicts_total`.
pub fn txn_start(node: &Node, ops: usize) -> Txn {
    Txn {
        inner: enabled().then(|| (spans::txn(node.id(), ops), node.clone())),
        conflicts: 0,
    }
}

/// See [`txn_start`].
pub struct Txn {
    inner: Option<(Span, Node)>,
    conflicts: u64,
}

impl Txn {
    /// Note one conflict met (and retried or given up on).
    pub fn conflict(&mut self) {
        self.conflicts += 1;
    }

    /// The transaction's span (disabled when off).
    pub fn span(&self) -> Span {
        self.inner.as_ref().map_or_else(Span::none, |i| i.0.clone())
    }

    /// End the transaction (`committed`, `aborted`, ...).
    pub fn finish(self, outcome: &str) {
        let Some((span, node)) = &self.inner else {
            return;
        };
        span.record("conflicts", self.conflicts as i64);
        span.record("outcome", outcome);
        if let Some(m) = metrics(node) {
            m.txn.add(1, &[node_kv(node), kv("outcome", outcome)]);
            txn_conflicts(node, outcome, self.conflicts);
        }
    }
}

/// The current Prometheus text exposition of this process's metrics (`None` when off).
pub fn metrics_text() -> Option<String> {
    let st = STATE.get()?;
    Some(
        st.metrics
            .get()
            .map(Metrics::encode_text)
            .unwrap_or_default(),
    )
}
