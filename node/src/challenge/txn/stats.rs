//! Counters of a txn node: transactions by outcome, micro-ops by kind, replication
//! traffic and last-writer-wins conflicts, for tests, logs and telemetry.

use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters.
#[derive(Debug, Default)]
pub struct Stats {
    pub txns_ok: AtomicU64,
    pub txns_rejected: AtomicU64,
    pub reads: AtomicU64,
    pub writes: AtomicU64,
    pub appends: AtomicU64,
    pub batches_sent: AtomicU64,
    pub batches_received: AtomicU64,
    /// Replicated register writes that lost to a newer write already applied.
    pub lww_conflicts: AtomicU64,
}

/// A copy of the counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub txns_ok: u64,
    pub txns_rejected: u64,
    pub reads: u64,
    pub writes: u64,
    pub appends: u64,
    pub batches_sent: u64,
    pub batches_received: u64,
    pub lww_conflicts: u64,
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

impl Stats {
    pub fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            txns_ok: get(&self.txns_ok),
            txns_rejected: get(&self.txns_rejected),
            reads: get(&self.reads),
            writes: get(&self.writes),
            appends: get(&self.appends),
            batches_sent: get(&self.batches_sent),
            batches_received: get(&self.batches_received),
            lww_conflicts: get(&self.lww_conflicts),
        }
    }
}
