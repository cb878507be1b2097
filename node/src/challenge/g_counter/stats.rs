//! Counters of the g-counter's seq-kv traffic, by outcome: the CaS attempts (counted by
//! the [`Kv`] client itself), retries (total and per publication), and the reads. They feed telemetry and the
//! periodic log line; a snapshot is plain numbers for tests and reports.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::Kv;

/// Buckets of the retries histogram: 0, 1, 2, and 3 or more retries.
pub const RETRY_BUCKETS: usize = 4;

/// Live counters, shared by the handler and its sync task.
#[derive(Debug, Default)]
pub struct KvStats {
    /// Sync rounds started.
    pub rounds: AtomicU64,
    /// Publications of the node's own count that succeeded.
    pub publishes: AtomicU64,
    /// Publications abandoned for this round (timeouts, too many retries).
    pub publish_failures: AtomicU64,
    /// CaS attempts beyond the first within one publication.
    pub cas_retries: AtomicU64,
    /// The most attempts one publication needed.
    pub cas_max_attempts: AtomicU64,
    /// Publications by how many retries they needed: 0, 1, 2, 3 or more.
    pub cas_retries_histogram: [AtomicU64; RETRY_BUCKETS],
    /// Reads of the node's own key after a failed precondition (recovery).
    pub recovery_reads: AtomicU64,
    /// Reads of a peer's key, by outcome.
    pub peer_reads_ok: AtomicU64,
    pub peer_reads_missing: AtomicU64,
    pub peer_reads_failed: AtomicU64,
    /// Peer reads that taught this node a larger count.
    pub peer_reads_news: AtomicU64,
}

/// A copy of all counters at one moment, CaS outcomes included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvStatsSnapshot {
    pub rounds: u64,
    pub publishes: u64,
    pub publish_failures: u64,
    pub cas_attempts: u64,
    pub cas_ok: u64,
    pub cas_precondition_failed: u64,
    pub cas_key_missing: u64,
    pub cas_other: u64,
    pub cas_retries: u64,
    pub cas_max_attempts: u64,
    pub cas_retries_histogram: [u64; RETRY_BUCKETS],
    pub recovery_reads: u64,
    pub peer_reads_ok: u64,
    pub peer_reads_missing: u64,
    pub peer_reads_failed: u64,
    pub peer_reads_news: u64,
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

/// Add one to a counter.
pub fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

impl KvStatsSnapshot {
    /// The sum of two nodes' counters (the maximum for `cas_max_attempts`).
    pub fn merged(self, o: KvStatsSnapshot) -> KvStatsSnapshot {
        KvStatsSnapshot {
            rounds: self.rounds + o.rounds,
            publishes: self.publishes + o.publishes,
            publish_failures: self.publish_failures + o.publish_failures,
            cas_attempts: self.cas_attempts + o.cas_attempts,
            cas_ok: self.cas_ok + o.cas_ok,
            cas_precondition_failed: self.cas_precondition_failed + o.cas_precondition_failed,
            cas_key_missing: self.cas_key_missing + o.cas_key_missing,
            cas_other: self.cas_other + o.cas_other,
            cas_retries: self.cas_retries + o.cas_retries,
            cas_max_attempts: self.cas_max_attempts.max(o.cas_max_attempts),
            cas_retries_histogram: std::array::from_fn(|i| {
                self.cas_retries_histogram[i] + o.cas_retries_histogram[i]
            }),
            recovery_reads: self.recovery_reads + o.recovery_reads,
            peer_reads_ok: self.peer_reads_ok + o.peer_reads_ok,
            peer_reads_missing: self.peer_reads_missing + o.peer_reads_missing,
            peer_reads_failed: self.peer_reads_failed + o.peer_reads_failed,
            peer_reads_news: self.peer_reads_news + o.peer_reads_news,
        }
    }
}

impl KvStats {
    /// Record that one publication took `attempts` CaS requests.
    pub fn record_attempts(&self, attempts: u64) {
        if attempts > 1 {
            self.cas_retries.fetch_add(attempts - 1, Ordering::Relaxed);
        }
        self.cas_max_attempts.fetch_max(attempts, Ordering::Relaxed);
        let bucket = (attempts.saturating_sub(1) as usize).min(RETRY_BUCKETS - 1);
        bump(&self.cas_retries_histogram[bucket]);
    }

    /// All counters now, with the CaS outcomes `kv` has counted.
    pub fn snapshot(&self, kv: &Kv) -> KvStatsSnapshot {
        let cas = kv.cas_counters();
        KvStatsSnapshot {
            rounds: get(&self.rounds),
            publishes: get(&self.publishes),
            publish_failures: get(&self.publish_failures),
            cas_attempts: cas.attempts(),
            cas_ok: get(&cas.ok),
            cas_precondition_failed: get(&cas.precondition_failed),
            cas_key_missing: get(&cas.key_missing),
            cas_other: get(&cas.other),
            cas_retries: get(&self.cas_retries),
            cas_max_attempts: get(&self.cas_max_attempts),
            cas_retries_histogram: std::array::from_fn(|i| get(&self.cas_retries_histogram[i])),
            recovery_reads: get(&self.recovery_reads),
            peer_reads_ok: get(&self.peer_reads_ok),
            peer_reads_missing: get(&self.peer_reads_missing),
            peer_reads_failed: get(&self.peer_reads_failed),
            peer_reads_news: get(&self.peer_reads_news),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_by_publication() {
        let s = KvStats::default();
        for attempts in [1, 1, 2, 4, 9] {
            s.record_attempts(attempts);
        }
        assert_eq!(get(&s.cas_retries), 1 + 3 + 8);
        assert_eq!(get(&s.cas_max_attempts), 9);
        let h: Vec<u64> = s.cas_retries_histogram.iter().map(get).collect();
        assert_eq!(h, vec![2, 1, 0, 2]);
    }
}
