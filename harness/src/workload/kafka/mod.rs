//! kafka (MAELSTROM.md §6.6): `send`, `poll` (+ `commit_offsets`), `assign` (via
//! `list_committed_offsets`) and `:crash` ops over string keys. The generator is in
//! [`generator`], the client in [`client`], the final phase in [`final_polls`], and the
//! offset bookkeeping they share in [`offsets`]. `:assign` is the only idempotent op; the
//! client is not reusable, so every `:info` (`:crash` included) opens a fresh one with no
//! offsets.

pub mod client;
pub mod final_polls;
pub mod generator;
pub mod offsets;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use glomers_model::Value;

use super::elle_txns::{WrTxns, DEFAULT_KEY_COUNT};
use super::{BoxFut, FinalPhase, Generator, Invocation, Session, ThreadGenerator, Workload};
use crate::cli::TestOpts;
use crate::client::RpcError;
use final_polls::{FinalPolls, FINAL_TIME_LIMIT};
use generator::KafkaGen;
use offsets::Offsets;

/// One run's kafka workload: the highest offsets seen in the main phase, which the final
/// phase polls up to (Jepsen's `max-offsets` atom).
pub struct Kafka {
    max_offsets: Arc<Mutex<Offsets>>,
}

impl Kafka {
    pub fn new() -> Kafka {
        Kafka {
            max_offsets: Arc::new(Mutex::new(Offsets::new())),
        }
    }
}

impl Default for Kafka {
    fn default() -> Self {
        Kafka::new()
    }
}

impl Workload for Kafka {
    fn name(&self) -> &'static str {
        "kafka"
    }

    fn idempotent(&self, f: &str) -> bool {
        f == "assign"
    }

    fn crashes_client(&self, f: &str) -> bool {
        f == "crash"
    }

    fn generator(&self, opts: &TestOpts) -> Box<dyn Generator> {
        let txns = WrTxns::new(
            opts.key_count.unwrap_or(DEFAULT_KEY_COUNT),
            1,
            opts.max_writes_per_key,
        );
        Box::new(KafkaGen::new(
            txns,
            opts.concurrency,
            self.max_offsets.clone(),
        ))
    }

    fn final_phase(&self, opts: &TestOpts) -> Option<FinalPhase> {
        let targets = self
            .max_offsets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        Some(FinalPhase {
            threads: (0..opts.concurrency)
                .map(|_| Box::new(FinalPolls::new(targets.clone())) as Box<dyn ThreadGenerator>)
                .collect(),
            time_limit: Some(FINAL_TIME_LIMIT),
        })
    }

    fn invoke<'a>(
        &'a self,
        session: &'a mut Session,
        node: &'a str,
        op: &'a Invocation,
        timeout: Duration,
    ) -> BoxFut<'a, Result<Value, RpcError>> {
        Box::pin(client::invoke(session, node, op, timeout))
    }
}
