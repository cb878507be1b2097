//! Telemetry: `tracing` spans and OpenTelemetry metrics from every node, written to files,
//! sent over OTLP, or both. Off by default; switched on by environment only, because
//! Maelstrom passes nodes no flags. Built on the ecosystem's crates: spans go through the
//! `tracing-opentelemetry` layer into the `opentelemetry_sdk` tracer provider, whose batch
//! processors feed `opentelemetry-otlp` and the file sink's exporter; metrics are one set
//! of OpenTelemetry instruments read by a Prometheus registry (`metrics.prom`) and an OTLP
//! push. docs/telemetry.md is the user's guide.
//!
//! # Switches
//!
//! | variable | meaning |
//! |---|---|
//! | `GLOMERS_TELEMETRY` | `off` (default), `file`, `otlp` or `file,otlp` |
//! | `GLOMERS_TELEMETRY_DIR` | file sink root. Maelstrom starts nodes with the cwd in its temp dir, so give an **absolute** path; default `./glomers-telemetry` under the cwd (the resolved path is logged). The harness sets `<run folder>/telemetry`. |
//! | `OTEL_EXPORTER_OTLP_ENDPOINT`, `…_TRACES_ENDPOINT`, `…_METRICS_ENDPOINT` | collector (default `http://localhost:4318`, or `:4317` for gRPC); `http://` or `https://` |
//! | `OTEL_EXPORTER_OTLP_PROTOCOL` | `http/protobuf` (default) or `grpc` |
//! | `OTEL_EXPORTER_OTLP_HEADERS` | `key=value,…` sent with every export (API keys) |
//! | `OTEL_EXPORTER_OTLP_COMPRESSION` | `gzip` |
//! | `OTEL_EXPORTER_OTLP_TIMEOUT` | ms per export request (default 10000) |
//! | `OTEL_EXPORTER_OTLP_CERTIFICATE` | PEM file of a CA to trust for `https` |
//! | `OTEL_METRIC_EXPORT_INTERVAL` | ms between OTLP metric pushes (default here 1000: nodes are SIGKILLed) |
//! | `OTEL_SERVICE_NAME`, `OTEL_RESOURCE_ATTRIBUTES` | resource; `service.name` defaults to the binary's name |
//! | `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` | as the SDK reads them (default `parentbased_always_on`); a message's `handle` span follows its sender's decision. Metrics always count everything. |
//! | `OTEL_BSP_*` | the span batch processors (queue 8192 and a 1 s delay here unless set) |
//! | `RUST_LOG` | stderr log filter, as before (telemetry spans never reach the log) |
//!
//! Resource: `service.name`, `service.instance.id` = node id, `service.version` =
//! `build_info::VERSION`, `process.pid`, `telemetry.sdk.*`.
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
//! File layout (`file_sink.rs`):
//! `$GLOMERS_TELEMETRY_DIR/<node-id>/<start-unix-ms>-<pid>/{meta.json, spans.jsonl, metrics.prom}`.
//! The exporters are built once the node knows its id (`deferred.rs`). A failing sink
//! (unwritable directory, refused endpoint) logs once on stderr, counts what it loses in
//! `glomers_telemetry_dropped_total`, and tries again on its next export; it never writes
//! to stdout and never blocks the node.
//!
//! # Cost when off
//!
//! No provider, no exporter thread, no layer beyond the stderr logger; each runtime hook is
//! one `OnceLock` check.

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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use opentelemetry::trace::{SpanContext, TraceContextExt, TracerProvider as _};
use opentelemetry::KeyValue;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use serde_json::{Map, Value};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::filter::{filter_fn, EnvFilter, FilterExt};
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
pub use spans::TARGET as SPAN_TARGET;

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

#[inline]
fn state() -> Option<&'static State> {
    STATE.get()
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

/// Switch telemetry on for this process with `config`: installs the global `tracing`
/// subscriber (stderr logger + `tracing-opentelemetry` layer) and the tracer provider with
/// its exporters; metrics start with the first node. Fails if telemetry or another global
/// subscriber is already installed.
pub fn init(config: Config) -> Result<(), String> {
    if enabled() {
        return Err("telemetry already initialised".into());
    }
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
        .with_filter(env_filter().and(filter_fn(|m| m.target() != spans::TARGET)));
    tracing_subscriber::registry()
        .with(log_layer)
        .with(telemetry_layer)
        .try_init()
        .map_err(|e| format!("a tracing subscriber is already installed: {e}"))?;

    let (file, otlp) = (config.file_dir.clone(), config.otlp);
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
        .map_err(|_| "telemetry already initialised".to_string())?;
    tracing::info!(file = ?file, otlp, "telemetry on");
    Ok(())
}

/// This process's identity and resource, once a node has named it.
fn identity() -> Option<(&'static Identity, &'static Resource)> {
    state()?.identity.get().map(|(i, r)| (i, r))
}

/// Tell the sinks who this process is, once `init` has arrived (called by [`crate::run`]).
pub(crate) fn node_started(node: &Node) {
    metrics(node);
}

/// The metrics, started by the first node that uses them (`None` when off).
#[inline]
fn metrics(node: &Node) -> Option<&'static Metrics> {
    let st = state()?;
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
            if let Err(error) = snaps.write(&m.encode_text()) {
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
    if n == 0 {
        return;
    }
    let Some((st, (id, _))) = state().and_then(|st| Some((st, st.identity.get()?))) else {
        return;
    };
    if let Some(m) = st.metrics.get() {
        let labels = [
            KeyValue::new("node", id.node_id.clone()),
            KeyValue::new("sink", sink),
        ];
        m.dropped.add(n, &labels);
    }
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

fn node_kv(node: &Node) -> KeyValue {
    KeyValue::new("node", node.id().to_string())
}

/// An inbound message after parsing: count it, and take any trace context out of its body.
pub(crate) fn on_receive(node: &Node, env: &mut Envelope) -> Option<opentelemetry::Context> {
    let m = metrics(node)?;
    let kind = peer_kind(node, &env.src);
    let ty = body_type(&env.body).to_string();
    if kind == "client" && env.in_reply_to().is_none() {
        let labels = [node_kv(node), KeyValue::new("type", ty.clone())];
        m.client_ops.add(1, &labels);
    }
    let labels = [
        node_kv(node),
        KeyValue::new("type", ty),
        KeyValue::new("peer", kind),
    ];
    m.received.add(1, &labels);
    if kind == "node" {
        propagation::take(&mut env.body)
    } else {
        None
    }
}

/// The `handle` span for a request about to be handled (`Span::none()` when off).
pub(crate) fn handle_span(
    node: &Node,
    env: &Envelope,
    parent: Option<opentelemetry::Context>,
) -> Span {
    if !enabled() {
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
    let Some(m) = metrics(node) else { return };
    let kind = peer_kind(node, dest);
    let ty = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let labels = [
        node_kv(node),
        KeyValue::new("type", ty.to_string()),
        KeyValue::new("peer", kind),
    ];
    m.sent.add(1, &labels);
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
        if let Some(m) = state().and_then(|st| st.metrics.get()) {
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
    let ty = body
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("unknown");
    let peer = peer_kind(node, dest);
    Some(RpcTimer {
        span: spans::rpc(node.id(), ty, dest, peer, msg_id),
        start: Instant::now(),
        labels: [
            node_kv(node),
            KeyValue::new("type", ty.to_string()),
            KeyValue::new("peer", peer),
        ],
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
/// `gossip_round` span (disabled when telemetry is off). Send the round's messages inside
/// it (`let _g = span.enter();` in sync code, `.instrument(span)` in async code) so each
/// receiver's `handle` span becomes its child.
pub fn gossip_round(node: &Node, fanout: usize, batch_values: usize) -> Span {
    let Some(m) = metrics(node) else {
        return Span::none();
    };
    observe_round(m, node, fanout, batch_values);
    spans::gossip_round(node.id(), fanout, batch_values)
}

/// The gossip rounds of one protocol step (each `(fanout, batch_values)`), for challenges
/// whose steps may make several rounds at once: every round is recorded in the
/// `glomers_gossip_fanout` / `glomers_gossip_batch_values` histograms, and one `gossip_round`
/// span covers the step (`fanout` = the rounds' total, `batch_values` = their largest).
/// No rounds, or telemetry off: a disabled span and nothing recorded.
pub fn gossip_rounds(node: &Node, rounds: &[(usize, usize)]) -> Span {
    let Some(m) = metrics(node) else {
        return Span::none();
    };
    if rounds.is_empty() {
        return Span::none();
    }
    for &(fanout, batch) in rounds {
        observe_round(m, node, fanout, batch);
    }
    let fanout = rounds.iter().map(|r| r.0).sum();
    let batch = rounds.iter().map(|r| r.1).max().unwrap_or(0);
    spans::gossip_round(node.id(), fanout, batch)
}

fn observe_round(m: &Metrics, node: &Node, fanout: usize, batch_values: usize) {
    let labels = [node_kv(node)];
    m.gossip_fanout.record(fanout as f64, &labels);
    m.gossip_batch_values.record(batch_values as f64, &labels);
}

/// The trace context of the current span (e.g. the `handle` span of a client's
/// `broadcast`), to keep next to a value and link later rounds to it; `None` when off.
pub fn current_context() -> Option<TraceContext> {
    state()?;
    let cx = Span::current().context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then_some(TraceContext(sc))
}

/// A span's position in a trace, kept to link to it later.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceContext(SpanContext);

impl TraceContext {
    /// The W3C `traceparent` form.
    pub fn traceparent(&self) -> String {
        let sc = &self.0;
        format!(
            "00-{}-{}-{:02x}",
            sc.trace_id(),
            sc.span_id(),
            sc.trace_flags().to_u8()
        )
    }
}

/// Link `span` (e.g. a gossip round) to the traces of `contexts` (e.g. the client requests
/// that brought the values it carries). No-op when off.
pub fn add_links<'a>(span: &Span, contexts: impl IntoIterator<Item = &'a TraceContext>) {
    if !enabled() {
        return;
    }
    for c in contexts {
        span.add_link(c.0.clone());
    }
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
        inner: enabled().then(|| {
            let span = spans::cas_loop(node.id(), service.id());
            (span, node.clone(), service.id())
        }),
        attempts: 0,
        finished: false,
    }
}

/// See [`cas_loop`].
pub struct CasLoop {
    inner: Option<(Span, Node, &'static str)>,
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

fn kv_cas_retries_for(node: &Node, service: &'static str, retries: u64) {
    if let Some(m) = metrics(node) {
        let labels = [node_kv(node), KeyValue::new("service", service)];
        m.kv_cas_retries.record(retries as f64, &labels);
    }
}

/// Record a CaS loop's retry count directly (when [`cas_loop`] does not fit).
pub fn kv_cas_retries(node: &Node, service: Service, retries: u64) {
    kv_cas_retries_for(node, service.id(), retries);
}

/// Count a finished transaction: `glomers_txn_total{outcome}` += 1 and
/// `glomers_txn_conflicts_total{outcome}` += `conflicts`.
pub fn txn(node: &Node, outcome: &str, conflicts: u64) {
    let Some(m) = metrics(node) else { return };
    let labels = [node_kv(node), KeyValue::new("outcome", outcome.to_string())];
    m.txn.add(1, &labels);
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
    let Some(m) = metrics(node) else { return };
    let labels = [node_kv(node), KeyValue::new("outcome", outcome.to_string())];
    m.txn_conflicts.add(conflicts, &labels);
}

/// A transaction of `ops` operations: a `txn` span; [`Txn::finish`] records the outcome and
/// counts it like [`txn`].
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
    state().map(|st| {
        st.metrics
            .get()
            .map(Metrics::encode_text)
            .unwrap_or_default()
    })
}
