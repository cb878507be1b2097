//! Telemetry: `tracing` spans and Prometheus metrics from every node, written to files,
//! sent over OTLP, or both. Off by default; switched on by environment only, because
//! Maelstrom passes nodes no flags.
//!
//! # Switches
//!
//! | variable | meaning |
//! |---|---|
//! | `GLOMERS_TELEMETRY` | `off` (default), `file`, `otlp` or `file,otlp` |
//! | `GLOMERS_TELEMETRY_DIR` | file sink root. Maelstrom starts nodes with the cwd in its temp dir, so give an **absolute** path; default `./glomers-telemetry` under the cwd (the resolved path is logged). The harness sets `<run folder>/telemetry`. |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT` | collector base URL; default `http://localhost:4318` (HTTP) or `http://localhost:4317` (gRPC). `/v1/traces` and `/v1/metrics` are appended for HTTP. Per-signal `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` / `…_METRICS_ENDPOINT` are used as given. Plain `http://` only. |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` (default) or `grpc` (the `otlp-grpc` cargo feature, on by default; `--no-default-features` builds nodes without tonic, h2, hyper and tower) |
//! | `OTEL_EXPORTER_OTLP_TIMEOUT` | ms per export request (default 2000) |
//! | `OTEL_METRIC_EXPORT_INTERVAL` | ms between OTLP metric pushes (default 1000: nodes are SIGKILLed) |
//! | `OTEL_SERVICE_NAME` | `service.name` (default: the binary name, e.g. `broadcast`) |
//! | `OTEL_RESOURCE_ATTRIBUTES` | extra resource attributes, `k=v,k2=v2` |
//! | `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` | share of traces recorded: `always_on` (default), `always_off` (metrics only), `parentbased_traceidratio` with a ratio such as `0.1`. Decided where a trace starts (client request, timer round); spans with a parent in a message follow it, so recorded traces are whole. Metrics always count everything. |
//! | `RUST_LOG` | stderr log filter, as before (telemetry spans never reach the log) |
//!
//! Resource: `service.name` = binary (or `OTEL_SERVICE_NAME`), `service.instance.id` = node id,
//! `process.pid`.
//!
//! # What is recorded
//!
//! Spans: `handle` per handled message (`msg.type`, `msg.src`, `msg.id`, `node`), `rpc` per
//! outgoing RPC (`msg.type`, `msg.dest`, `peer`, `msg.id`, `outcome`), and, when challenges
//! call them, `gossip_round` (`fanout`, `batch_values`), `cas_loop` (`service`, `attempts`,
//! `outcome`) and `txn` (`ops`, `conflicts`, `outcome`). Node→node bodies carry the sender's
//! context in a `traceparent` key (see [`TRACEPARENT_KEY`]), so a message's handling on the
//! receiver is a child of the span that sent it: one broadcast value's spread across the
//! cluster is one trace. Bodies to clients and services never get it; with telemetry off no
//! body changes at all.
//!
//! Metrics (Prometheus names; labels never carry ids or values):
//! `glomers_messages_sent_total` / `glomers_messages_received_total` {node, type, peer =
//! node|client|service}, `glomers_client_ops_total` {node, type},
//! `glomers_rpc_duration_seconds` {node, type, peer, outcome = ok|error|timeout|closed},
//! `glomers_gossip_fanout`, `glomers_gossip_batch_values` {node},
//! `glomers_kv_cas_total` {node, service, outcome = ok|precondition_failed|key_does_not_exist|
//! timeout|error}, `glomers_kv_cas_retries` {node, service}, `glomers_txn_total` /
//! `glomers_txn_conflicts_total` {node, outcome}, `glomers_telemetry_dropped_total` {node, sink}.
//!
//! # Sinks
//!
//! The file layout is described in `file_sink.rs` (README copy):
//! `$GLOMERS_TELEMETRY_DIR/<node-id>/<start-unix-ms>-<pid>/{meta.json, spans.jsonl, metrics.prom}`.
//! OTLP: the same spans as protobuf, metrics converted from the same Prometheus registry.
//! Spans are recorded by a small `tracing` subscriber of our own (`recorder.rs`: ids, start/end
//! times, fields; no OpenTelemetry SDK on the node's path). Each sink has its own thread; a
//! finished span is handed over through a bounded buffer and never waits. A failing sink (unwritable directory, refused endpoint) logs once on
//! stderr, counts what it loses in `glomers_telemetry_dropped_total`, and retries on its next
//! flush; it never writes to stdout.
//!
//! # Cost when off
//!
//! No subscriber layer beyond the stderr logger, no threads; each runtime hook is one
//! `OnceLock` check.

mod config;
mod context;
mod file_sink;
mod finished;
mod http_client;
mod memory;
mod metrics;
mod otlp;
mod pipeline;
mod prom_otlp;
mod propagation;
mod record;
mod recorder;
mod resource;
mod span_otlp;
mod spans;

use std::sync::{Arc, OnceLock};
use std::time::{Instant, SystemTime};

use serde_json::{Map, Value};
use tracing::Span;
use tracing_subscriber::filter::EnvFilter;

use crate::kv::Service;
use crate::message::Envelope;
use crate::node::Node;

pub use config::{Config, OtlpConfig, OtlpProtocol, DEFAULT_DIR};
pub use memory::MemorySink;
pub use propagation::KEY as TRACEPARENT_KEY;
pub use record::{LinkRecord, SpanRecord};
pub use spans::TARGET as SPAN_TARGET;

use context::SpanCx;
use metrics::{HandleCache, Metrics};
use pipeline::{DropCounter, Identity, Queues, Workers};
use prometheus::{Histogram, HistogramVec, IntCounter, IntCounterVec};
use std::cell::RefCell;

struct State {
    metrics: Metrics,
    node_id: Arc<OnceLock<String>>,
    workers: Option<Workers>,
    service_name: String,
    start_unix_ms: u64,
    sample_ratio: f64,
}

static STATE: OnceLock<State> = OnceLock::new();

#[inline]
fn state() -> Option<&'static State> {
    STATE.get()
}

/// Call after changing a metric: a sink worker asleep because the node was quiet wakes.
#[inline]
fn changed(st: &State) {
    if let Some(w) = &st.workers {
        w.metrics_changed();
    }
}

/// Whether telemetry is on in this process.
#[inline]
pub fn enabled() -> bool {
    STATE.get().is_some()
}

/// The stderr log filter: `RUST_LOG`, default `info`.
fn env_filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
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

/// Switch telemetry on for this process with `config`: installs the global `tracing`
/// subscriber (span recorder + stderr logger), the metrics registry and the sink threads.
/// Fails if telemetry or another global subscriber is already installed.
pub fn init(config: Config) -> Result<(), String> {
    if enabled() {
        return Err("telemetry already initialised".into());
    }
    let start_unix_ms = file_sink::unix_ms(SystemTime::now());
    let binary = binary_name();
    let service_name = service_name(&config, &binary);
    let metrics = Metrics::new();
    let node_id = Arc::new(OnceLock::new());
    let drops = DropCounter {
        counter: metrics.dropped.clone(),
        node: node_id.clone(),
    };

    let mut sinks: Vec<Box<dyn pipeline::Sink>> = Vec::new();
    if let Some(dir) = &config.file_dir {
        sinks.push(Box::new(file_sink::FileSink::new(
            dir.clone(),
            config.flush_interval,
        )));
    }
    if let Some(otlp) = &config.otlp {
        sinks.push(Box::new(otlp::OtlpSink::new(otlp.clone())));
    }

    // Sampling is decided before a span exists (see `handle_span`): every span the
    // recorder sees is recorded.
    let mut workers = None;
    let mut queues = None;
    if !sinks.is_empty() {
        let (q, w) = Queues::start(sinks, metrics.registry.clone(), drops);
        queues = Some(q);
        workers = Some(w);
    }
    let recorder = recorder::Recorder {
        memory: config.memory.clone(),
        queues,
    };
    let logs = tracing_subscriber::fmt()
        .with_env_filter(env_filter())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .finish();
    tracing::subscriber::set_global_default(recorder::NodeSubscriber::new(
        recorder,
        Box::new(logs),
    ))
    .map_err(|e| format!("a tracing subscriber is already installed: {e}"))?;

    let state = State {
        metrics,
        node_id,
        workers,
        service_name,
        start_unix_ms,
        sample_ratio: config.sample_ratio,
    };
    STATE
        .set(state)
        .map_err(|_| "telemetry already initialised".to_string())?;
    tracing::info!(
        file = ?config.file_dir,
        otlp = config.otlp.as_ref().map(|o| o.traces_endpoint.as_str()),
        "telemetry on"
    );
    Ok(())
}

/// Tell the sinks who this process is, once `init` has arrived (called by [`crate::run`]).
pub(crate) fn node_started(node: &Node) {
    let Some(st) = state() else { return };
    if st.node_id.set(node.id().to_string()).is_err() {
        return; // several nodes in one process (tests): the first names the sinks
    }
    let Some(workers) = &st.workers else { return };
    workers.start(Identity {
        node_id: node.id().to_string(),
        node_ids: node.node_ids().to_vec(),
        binary: binary_name(),
        service_name: st.service_name.clone(),
        pid: std::process::id(),
        start_unix_ms: st.start_unix_ms,
        resource: resource::build(&st.service_name, node.id()),
    });
}

fn binary_name() -> String {
    std::env::args_os()
        .next()
        .map(std::path::PathBuf::from)
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "glomers-node".into())
}

/// `OTEL_SERVICE_NAME`, else `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else the binary.
fn service_name(config: &Config, binary: &str) -> String {
    if let Some(name) = &config.service_name {
        return name.clone();
    }
    let from_attrs = std::env::var("OTEL_RESOURCE_ATTRIBUTES")
        .ok()
        .and_then(|attrs| {
            attrs.split(',').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                (k.trim() == "service.name").then(|| v.trim().to_string())
            })
        });
    from_attrs.unwrap_or_else(|| binary.to_string())
}

// ---------------------------------------------------------------------------------------
// Runtime hooks (crate-internal). Each is one OnceLock check when telemetry is off.

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

fn body_type(body: &Value) -> &str {
    body.get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
}

thread_local! {
    static SENT: RefCell<HandleCache<IntCounter>> = const { RefCell::new(HandleCache::new()) };
    static RECEIVED: RefCell<HandleCache<IntCounter>> = const { RefCell::new(HandleCache::new()) };
    static CLIENT_OPS: RefCell<HandleCache<IntCounter>> = const { RefCell::new(HandleCache::new()) };
    static FANOUT: RefCell<HandleCache<Histogram>> = const { RefCell::new(HandleCache::new()) };
    static BATCH_VALUES: RefCell<HandleCache<Histogram>> = const { RefCell::new(HandleCache::new()) };
}

/// `histogram{node}.observe(v)` through this thread's cached handle.
fn observe(
    cache: &'static std::thread::LocalKey<RefCell<HandleCache<Histogram>>>,
    vec: &HistogramVec,
    node: &str,
    v: f64,
) {
    let make = |l: &[&str]| vec.with_label_values(l);
    let direct = cache.with(|c| match c.try_borrow_mut() {
        Ok(mut c) => {
            c.with(&[node], make, |h| h.observe(v));
            false
        }
        Err(_) => true,
    });
    if direct {
        vec.with_label_values(&[node]).observe(v);
    }
}

/// `counter{labels} += 1` through this thread's cached handle.
fn count(
    cache: &'static std::thread::LocalKey<RefCell<HandleCache<IntCounter>>>,
    vec: &IntCounterVec,
    labels: &[&str],
) {
    let make = |l: &[&str]| vec.with_label_values(l);
    let direct = cache.with(|c| match c.try_borrow_mut() {
        Ok(mut c) => {
            c.with(labels, make, |h| h.inc());
            false
        }
        Err(_) => true,
    });
    if direct {
        vec.with_label_values(labels).inc();
    }
}

/// An inbound message after parsing: count it, and take any trace context out of its body.
pub(crate) fn on_receive(node: &Node, env: &mut Envelope) -> Option<SpanCx> {
    let st = state()?;
    let kind = peer_kind(node, &env.src);
    let ty = body_type(&env.body);
    count(&RECEIVED, &st.metrics.received, &[node.id(), ty, kind]);
    if kind == "client" && env.in_reply_to().is_none() {
        count(&CLIENT_OPS, &st.metrics.client_ops, &[node.id(), ty]);
    }
    changed(st);
    if kind == "node" {
        propagation::take(&mut env.body)
    } else {
        None
    }
}

/// Whether to start a new trace here (`OTEL_TRACES_SAMPLER_ARG` of them).
fn sample_root(st: &State) -> bool {
    let ratio = st.sample_ratio;
    if ratio >= 1.0 {
        return true;
    }
    if ratio <= 0.0 {
        return false;
    }
    context::random_unit() < ratio
}

/// A helper span is recorded inside a recorded span, or as a sampled new trace.
fn child_or_root(st: &State) -> bool {
    context::current().is_some() || sample_root(st)
}

/// The `handle` span for a request about to be handled (`Span::none()` when off or when
/// the trace is not sampled).
pub(crate) fn handle_span(node: &Node, env: &Envelope, parent: Option<SpanCx>) -> Span {
    let Some(st) = state() else {
        return Span::none();
    };
    let record = match &parent {
        Some(p) => p.is_sampled(),
        // A peer's message without context belongs to a trace that was not sampled.
        None if st.sample_ratio < 1.0 && peer_kind(node, &env.src) == "node" => false,
        None => sample_root(st),
    };
    if !record {
        return Span::none();
    }
    spans::handle(
        node.id(),
        body_type(&env.body),
        &env.src,
        env.msg_id(),
        parent,
    )
}

/// An outbound body: count it and, to other nodes only, add the current trace context.
pub(crate) fn on_send(node: &Node, dest: &str, body: &mut Map<String, Value>) {
    let Some(st) = state() else { return };
    let kind = peer_kind(node, dest);
    let ty = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    count(&SENT, &st.metrics.sent, &[node.id(), ty, kind]);
    changed(st);
    if kind == "node" && dest != node.id() {
        propagation::inject_current(body);
    }
}

/// An RPC in flight: its span and start time.
pub(crate) struct RpcTimer {
    span: Span,
    start: Instant,
    node: String,
    msg_type: String,
    peer: &'static str,
}

impl RpcTimer {
    pub fn span(&self) -> &Span {
        &self.span
    }

    /// Record the outcome (`ok`, `error`, `timeout`, `closed`) and the duration.
    pub fn finish(self, outcome: &str) {
        self.span.record("outcome", outcome);
        if let Some(st) = state() {
            st.metrics
                .rpc_duration
                .with_label_values(&[&self.node, &self.msg_type, self.peer, outcome])
                .observe(self.start.elapsed().as_secs_f64());
            changed(st);
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
    let st = state()?;
    let ty = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let peer = peer_kind(node, dest);
    let span = if child_or_root(st) {
        spans::rpc(node.id(), ty, dest, peer, msg_id)
    } else {
        Span::none()
    };
    Some(RpcTimer {
        span,
        start: Instant::now(),
        node: node.id().to_string(),
        msg_type: ty.to_string(),
        peer,
    })
}

/// One CaS request's outcome (called by `Kv::cas`).
pub(crate) fn kv_cas(node: &Node, service: &str, outcome: &str) {
    let Some(st) = state() else { return };
    st.metrics
        .kv_cas
        .with_label_values(&[node.id(), service, outcome])
        .inc();
    changed(st);
}

// ---------------------------------------------------------------------------------------
// Public API for challenges. All of it is free when telemetry is off.

/// A gossip round about to send `batch_values` values to `fanout` peers: records the
/// `glomers_gossip_fanout` and `glomers_gossip_batch_values` histograms and returns a
/// `gossip_round` span (disabled when telemetry is off). Send the round's messages inside
/// it (`let _g = span.enter();` in sync code, `.instrument(span)` in async code) so each
/// receiver's `handle` span becomes its child.
pub fn gossip_round(node: &Node, fanout: usize, batch_values: usize) -> Span {
    let Some(st) = state() else {
        return Span::none();
    };
    observe_round(st, node, fanout, batch_values);
    if !child_or_root(st) {
        return Span::none();
    }
    spans::gossip_round(node.id(), fanout, batch_values)
}

/// The gossip rounds of one protocol step (each `(fanout, batch_values)`), for challenges
/// whose steps may make several rounds at once: every round is recorded in the
/// `glomers_gossip_fanout` / `glomers_gossip_batch_values` histograms, and one `gossip_round`
/// span covers the step (`fanout` = the rounds' total, `batch_values` = their largest).
/// No rounds, or telemetry off: a disabled span and nothing recorded.
pub fn gossip_rounds(node: &Node, rounds: &[(usize, usize)]) -> Span {
    let Some(st) = state() else {
        return Span::none();
    };
    if rounds.is_empty() {
        return Span::none();
    }
    for &(fanout, batch) in rounds {
        observe_round(st, node, fanout, batch);
    }
    if !child_or_root(st) {
        return Span::none();
    }
    let fanout = rounds.iter().map(|r| r.0).sum();
    let batch = rounds.iter().map(|r| r.1).max().unwrap_or(0);
    spans::gossip_round(node.id(), fanout, batch)
}

fn observe_round(st: &State, node: &Node, fanout: usize, batch_values: usize) {
    observe(&FANOUT, &st.metrics.gossip_fanout, node.id(), fanout as f64);
    observe(
        &BATCH_VALUES,
        &st.metrics.gossip_batch_values,
        node.id(),
        batch_values as f64,
    );
    changed(st);
}

/// The trace context of the current span (e.g. the `handle` span of a client's
/// `broadcast`), to keep next to a value and link later rounds to it; `None` when off.
pub fn current_context() -> Option<TraceContext> {
    state()?;
    propagation::current().map(TraceContext)
}

/// A span's position in a trace, kept to link to it later.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceContext(SpanCx);

impl TraceContext {
    /// The W3C `traceparent` form.
    pub fn traceparent(&self) -> String {
        propagation::format(&self.0)
    }
}

/// Link `span` (e.g. a gossip round) to the traces of `contexts` (e.g. the client requests
/// that brought the values it carries). No-op when off.
pub fn add_links<'a>(span: &Span, contexts: impl IntoIterator<Item = &'a TraceContext>) {
    if !enabled() {
        return;
    }
    recorder::add_links(span, &mut contexts.into_iter().map(|c| c.0));
}

/// One compare-and-set loop: a `cas_loop` span, and on `finish` (or drop) the
/// `glomers_kv_cas_retries` histogram gets `attempts - 1`. Each CaS request itself is
/// counted in `glomers_kv_cas_total` by [`crate::Kv::cas`].
///
/// ```ignore
/// let mut lp = telemetry::cas_loop(&node, kv.service());
/// loop {
///     lp.attempt();
///     match kv.cas(&key, &old, &new, true).instrument(lp.span().clone()).await { … }
/// }
/// lp.finish("ok");
/// ```
pub fn cas_loop(node: &Node, service: Service) -> CasLoop {
    CasLoop {
        inner: state().map(|st| {
            let span = if child_or_root(st) {
                spans::cas_loop(node.id(), service.id())
            } else {
                Span::none()
            };
            (span, node.id().to_string(), service.id())
        }),
        attempts: 0,
        finished: false,
    }
}

/// See [`cas_loop`].
pub struct CasLoop {
    inner: Option<(Span, String, &'static str)>,
    attempts: u32,
    finished: bool,
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
        self.inner
            .as_ref()
            .map(|(s, _, _)| s.clone())
            .unwrap_or_else(Span::none)
    }

    /// End the loop with an outcome label (`ok`, `gave_up`, ...).
    pub fn finish(mut self, outcome: &str) {
        self.record(Some(outcome));
    }

    fn record(&mut self, outcome: Option<&str>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let Some((span, node, service)) = &self.inner else {
            return;
        };
        span.record("attempts", self.attempts as i64);
        if let Some(o) = outcome {
            span.record("outcome", o);
        }
        kv_cas_retries_for(node, service, self.attempts.saturating_sub(1) as u64);
    }
}

impl Drop for CasLoop {
    fn drop(&mut self) {
        self.record(None);
    }
}

fn kv_cas_retries_for(node: &str, service: &str, retries: u64) {
    if let Some(st) = state() {
        st.metrics
            .kv_cas_retries
            .with_label_values(&[node, service])
            .observe(retries as f64);
        changed(st);
    }
}

/// Record a CaS loop's retry count directly (when [`cas_loop`] does not fit).
pub fn kv_cas_retries(node: &Node, service: Service, retries: u64) {
    kv_cas_retries_for(node.id(), service.id(), retries);
}

/// Count a finished transaction: `glomers_txn_total{outcome}` += 1 and
/// `glomers_txn_conflicts_total{outcome}` += `conflicts`.
pub fn txn(node: &Node, outcome: &str, conflicts: u64) {
    let Some(st) = state() else { return };
    st.metrics
        .txn
        .with_label_values(&[node.id(), outcome])
        .inc();
    changed(st);
    txn_conflicts(node, outcome, conflicts);
}

/// `glomers_txn_conflicts_total{outcome}` += `conflicts`, for conflicts found once the
/// transactions had ended: in txn-rw-register, a node counts each replicated write that
/// reaches it older than the key's current value (it lost to a concurrent writer under
/// last-writer-wins).
pub fn txn_conflicts(node: &Node, outcome: &str, conflicts: u64) {
    if conflicts == 0 {
        return;
    }
    let Some(st) = state() else { return };
    st.metrics
        .txn_conflicts
        .with_label_values(&[node.id(), outcome])
        .inc_by(conflicts);
    changed(st);
}

/// A transaction of `ops` operations: a `txn` span; [`Txn::finish`] records the outcome and
/// counts it like [`txn`].
pub fn txn_start(node: &Node, ops: usize) -> Txn {
    Txn {
        inner: state().map(|st| {
            let span = if child_or_root(st) {
                spans::txn(node.id(), ops)
            } else {
                Span::none()
            };
            (span, node.clone())
        }),
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
        self.inner
            .as_ref()
            .map(|(s, _)| s.clone())
            .unwrap_or_else(Span::none)
    }

    /// End the transaction (`committed`, `aborted`, ...).
    pub fn finish(self, outcome: &str) {
        if let Some((span, node)) = &self.inner {
            span.record("conflicts", self.conflicts as i64);
            span.record("outcome", outcome);
            txn(node, outcome, self.conflicts);
        }
    }
}

/// The current Prometheus text exposition of this process's metrics (`None` when off).
pub fn metrics_text() -> Option<String> {
    state().map(|st| st.metrics.encode_text())
}
