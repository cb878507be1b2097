//! The run's history recorder: assigns `:index` and `:time` (ns since "Relative time begins
//! now"), logs each op as a `jepsen.util` line in jepsen.log, and keeps live counters for the
//! console progress line.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use glomers_model::{Op, OpType, Process, Value};
use tokio::time::Instant;

use crate::log::Log;

/// Live counters of client completions.
#[derive(Default)]
pub struct Counters {
    pub invoke: AtomicU64,
    pub ok: AtomicU64,
    pub fail: AtomicU64,
    pub info: AtomicU64,
}

/// The history being recorded.
pub struct History {
    t0: Instant,
    ops: Mutex<Vec<Op>>,
    log: Arc<Log>,
    pub counters: Counters,
}

impl History {
    /// Start a history whose time 0 is `t0`.
    pub fn new(t0: Instant, log: Arc<Log>) -> History {
        History {
            t0,
            ops: Mutex::new(Vec::new()),
            log,
            counters: Counters::default(),
        }
    }

    /// Time 0 of the history.
    pub fn t0(&self) -> Instant {
        self.t0
    }

    /// Nanoseconds since time 0.
    pub fn now_ns(&self) -> u64 {
        Instant::now().saturating_duration_since(self.t0).as_nanos() as u64
    }

    /// Append an op; `thread` is the worker thread (None for the nemesis), used in the log.
    pub fn record(
        &self,
        thread: Option<usize>,
        typ: OpType,
        process: Process,
        f: &str,
        value: Value,
        extra: Vec<(String, Value)>,
    ) {
        if process != Process::Nemesis {
            let c = match typ {
                OpType::Invoke => &self.counters.invoke,
                OpType::Ok => &self.counters.ok,
                OpType::Fail => &self.counters.fail,
                OpType::Info => &self.counters.info,
            };
            c.fetch_add(1, Ordering::Relaxed);
        }
        let mut ops = self.ops.lock().unwrap_or_else(|p| p.into_inner());
        let op = Op {
            index: ops.len() as u64,
            time: self.now_ns(),
            typ,
            process,
            f: f.to_string(),
            value,
            extra,
        };
        let worker = match thread {
            Some(t) => format!("jepsen worker {t}"),
            None => "jepsen worker nemesis".to_string(),
        };
        self.log.info(&worker, "jepsen.util", &op.to_txt_line());
        ops.push(op);
    }

    /// A copy of the ops so far.
    pub fn snapshot(&self) -> Vec<Op> {
        self.ops.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
