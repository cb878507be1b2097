//! Workloads: one module each (generator, request/response schemas, client behaviour),
//! registered in [`lookup`]. Adding a workload means adding a module that implements
//! [`Workload`] and one line in [`lookup`] and [`IMPLEMENTED`].
//!
//! Generators see completions through [`Generator::update`] (Jepsen's `gen/update`), and a
//! workload's final phase is a [`FinalPhase`]: one [`ThreadGenerator`] per worker thread
//! (Jepsen's `gen/each-thread`), optionally clipped to a total time.

pub mod add_or_read;
pub mod broadcast;
pub mod counter;
pub mod echo;
pub mod elle_txns;
pub mod g_set;
pub mod kafka;
pub mod lin_kv;
pub mod txn;
pub mod unique_ids;

use std::any::Any;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use glomers_model::{OpType, Value};
use rand::rngs::StdRng;
use serde_json::Value as Json;

use crate::cli::TestOpts;
use crate::client::{Client, RpcError, DEFAULT_TIMEOUT};
use crate::net::Net;
use crate::schema::BodySchema;

/// A boxed, sendable future (workload client calls).
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// One operation to perform: `:f`, `:value` and extra keys such as `:final? true`.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub f: &'static str,
    pub value: Value,
    pub extra: Vec<(String, Value)>,
}

impl Invocation {
    pub fn new(f: &'static str, value: Value) -> Invocation {
        Invocation {
            f,
            value,
            extra: Vec::new(),
        }
    }

    /// The same op marked `:final? true`.
    pub fn final_(mut self) -> Invocation {
        self.extra.push(("final?".into(), Value::Bool(true)));
        self
    }
}

/// What a generator knows when asked for the next op.
#[derive(Debug, Clone, Copy)]
pub struct GenCtx<'a> {
    /// The free worker thread the op will run on.
    pub thread: usize,
    /// That thread's current process id.
    pub process: u64,
    pub concurrency: usize,
    pub nodes: &'a [String],
    /// Time since the start of the history.
    pub elapsed: std::time::Duration,
}

/// A completed client op, as generators see it (Jepsen's `gen/update` event).
#[derive(Debug, Clone)]
pub struct Event {
    pub thread: usize,
    /// The process that ran the op (before any bump after an `:info`).
    pub process: u64,
    pub typ: OpType,
    pub f: &'static str,
    pub value: Value,
}

/// A source of main-phase operations.
pub trait Generator: Send {
    /// The next op, or `None` when the generator is exhausted.
    fn next(&mut self, ctx: &GenCtx<'_>, rng: &mut StdRng) -> Option<Invocation>;

    /// Observe a completion; called before the next op is asked for.
    fn update(&mut self, _event: &Event) {}
}

/// One worker thread's final-phase ops.
pub trait ThreadGenerator: Send {
    /// The thread's next op and how long after the start of its previous op (or of the phase)
    /// it is due; `None` when the thread is done. Asked only while the thread is free.
    fn next(&mut self, rng: &mut StdRng) -> Option<(Duration, Invocation)>;

    /// Observe the completion of this thread's op.
    fn update(&mut self, _event: &Event) {}
}

/// A workload's final phase: after the main phase, the heal and the recovery sleep, every
/// thread runs its own generator; no op starts once `time_limit` has passed since the first.
pub struct FinalPhase {
    /// One generator per worker thread, by thread index.
    pub threads: Vec<Box<dyn ThreadGenerator>>,
    pub time_limit: Option<Duration>,
}

impl FinalPhase {
    /// Each of `concurrency` threads runs `op` once (broadcast, g-set, the counters).
    pub fn once_per_thread(op: Invocation, concurrency: usize) -> FinalPhase {
        struct Once(Option<Invocation>);
        impl ThreadGenerator for Once {
            fn next(&mut self, _rng: &mut StdRng) -> Option<(Duration, Invocation)> {
                self.0.take().map(|op| (Duration::ZERO, op))
            }
        }
        FinalPhase {
            threads: (0..concurrency)
                .map(|_| Box::new(Once(Some(op.clone()))) as Box<dyn ThreadGenerator>)
                .collect(),
            time_limit: None,
        }
    }
}

/// A worker's client plus any per-client state a workload keeps (kafka's offsets).
pub struct Session {
    pub client: Client,
    pub state: Option<Box<dyn Any + Send>>,
}

impl Session {
    pub fn open(net: &Arc<Net>) -> Session {
        Session {
            client: Client::open(net),
            state: None,
        }
    }
}

/// A Maelstrom workload.
pub trait Workload: Send + Sync {
    /// Name as on the CLI.
    fn name(&self) -> &'static str;

    /// Whether a client survives a process change (after an `:info`).
    fn reusable_client(&self) -> bool {
        false
    }

    /// Whether a timeout or error of `f` is a definite failure.
    fn idempotent(&self, _f: &str) -> bool {
        false
    }

    /// Whether the client maps errors and timeouts to `:fail`/`:info` (`with-errors`); if not,
    /// every failure is an `:info` with an exception.
    fn with_errors(&self) -> bool {
        true
    }

    /// Timeout of workload RPCs.
    fn rpc_timeout(&self, _opts: &TestOpts) -> Duration {
        DEFAULT_TIMEOUT
    }

    /// The main-phase generator.
    fn generator(&self, opts: &TestOpts) -> Box<dyn Generator>;

    /// The op each thread runs in the final phase; `None` means the workload has no final
    /// phase (no heal, no recovery sleep, no final reads).
    fn final_op(&self) -> Option<Invocation> {
        None
    }

    /// The final phase, asked for once the main phase's ops have all completed (and been fed
    /// to the main generator). Defaults to [`Workload::final_op`] once per thread.
    fn final_phase(&self, opts: &TestOpts) -> Option<FinalPhase> {
        self.final_op()
            .map(|op| FinalPhase::once_per_thread(op, opts.concurrency))
    }

    /// Whether the client completes `f` as `:info` without any RPC, which retires the process
    /// (kafka's `:crash`).
    fn crashes_client(&self, _f: &str) -> bool {
        false
    }

    /// Client setup for one node (broadcast sends `topology`); an error crashes the run.
    fn setup<'a>(
        &'a self,
        _client: &'a mut Client,
        _node: &'a str,
        _opts: &'a TestOpts,
    ) -> BoxFut<'a, Result<(), String>> {
        Box::pin(async { Ok(()) })
    }

    /// Perform one op against `node`; `Ok` is the `:ok` completion value.
    fn invoke<'a>(
        &'a self,
        session: &'a mut Session,
        node: &'a str,
        op: &'a Invocation,
        timeout: Duration,
    ) -> BoxFut<'a, Result<Value, RpcError>>;
}

/// The workloads [`lookup`] knows, in the order the CLI lists them.
pub const IMPLEMENTED: &[&str] = &[
    "broadcast",
    "echo",
    "g-counter",
    "g-set",
    "kafka",
    "lin-kv",
    "pn-counter",
    "txn-list-append",
    "txn-rw-register",
    "unique-ids",
];

/// A fresh instance of the workload registered under a CLI name, if this harness implements
/// it (one per run: kafka's carries state from its main phase to its final phase).
pub fn lookup(name: &str) -> Option<Arc<dyn Workload>> {
    Some(match name {
        "echo" => Arc::new(echo::Echo),
        "unique-ids" => Arc::new(unique_ids::UniqueIds),
        "broadcast" => Arc::new(broadcast::Broadcast),
        "g-set" => Arc::new(g_set::GSet),
        "g-counter" => Arc::new(counter::Counter { grow_only: true }),
        "pn-counter" => Arc::new(counter::Counter { grow_only: false }),
        "kafka" => Arc::new(kafka::Kafka::new()),
        "lin-kv" => Arc::new(lin_kv::LinKv),
        "txn-rw-register" => Arc::new(txn::Txn { append: false }),
        "txn-list-append" => Arc::new(txn::Txn { append: true }),
        _ => return None,
    })
}

/// One request/response RPC with a closed response schema.
pub async fn simple_rpc(
    session: &mut Session,
    node: &str,
    body: Json,
    schema: &BodySchema,
    timeout: Duration,
) -> Result<Json, RpcError> {
    session.client.rpc(node, body, schema, timeout).await
}

/// A 50/50 mix of `add`-like ops (built by `add`) and reads.
pub fn coin(rng: &mut StdRng) -> bool {
    rand::Rng::random_bool(rng, 0.5)
}
