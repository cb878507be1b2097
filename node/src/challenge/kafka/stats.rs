//! Counters of how a kafka node served its clients (local, forwarded to the owner,
//! lin-kv fallback) and of its lin-kv compare-and-sets, for tests, logs and telemetry.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::kv::CasCounters;

/// Live counters.
#[derive(Debug, Default)]
pub struct Stats {
    pub sends_local: AtomicU64,
    pub sends_forwarded: AtomicU64,
    pub sends_fallback: AtomicU64,
    pub polls: AtomicU64,
    pub polls_forwarded: AtomicU64,
    pub polls_fallback: AtomicU64,
    pub forward_failures: AtomicU64,
    pub client_deadlines: AtomicU64,
}

/// A copy of the counters (CaS outcomes included).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub sends_local: u64,
    pub sends_forwarded: u64,
    pub sends_fallback: u64,
    pub polls: u64,
    pub polls_forwarded: u64,
    pub polls_fallback: u64,
    pub forward_failures: u64,
    pub client_deadlines: u64,
    pub cas_attempts: u64,
    pub cas_ok: u64,
    pub cas_failed: u64,
}

fn get(c: &AtomicU64) -> u64 {
    c.load(Ordering::Relaxed)
}

impl Stats {
    pub fn bump(c: &AtomicU64) {
        c.fetch_add(1, Ordering::Relaxed);
    }

    pub fn snapshot(&self, cas: &CasCounters) -> StatsSnapshot {
        let attempts = cas.attempts();
        let ok = get(&cas.ok);
        StatsSnapshot {
            sends_local: get(&self.sends_local),
            sends_forwarded: get(&self.sends_forwarded),
            sends_fallback: get(&self.sends_fallback),
            polls: get(&self.polls),
            polls_forwarded: get(&self.polls_forwarded),
            polls_fallback: get(&self.polls_fallback),
            forward_failures: get(&self.forward_failures),
            client_deadlines: get(&self.client_deadlines),
            cas_attempts: attempts,
            cas_ok: ok,
            cas_failed: attempts - ok,
        }
    }
}

impl StatsSnapshot {
    /// Sum of two nodes' counters.
    pub fn merged(self, o: StatsSnapshot) -> StatsSnapshot {
        StatsSnapshot {
            sends_local: self.sends_local + o.sends_local,
            sends_forwarded: self.sends_forwarded + o.sends_forwarded,
            sends_fallback: self.sends_fallback + o.sends_fallback,
            polls: self.polls + o.polls,
            polls_forwarded: self.polls_forwarded + o.polls_forwarded,
            polls_fallback: self.polls_fallback + o.polls_fallback,
            forward_failures: self.forward_failures + o.forward_failures,
            client_deadlines: self.client_deadlines + o.client_deadlines,
            cas_attempts: self.cas_attempts + o.cas_attempts,
            cas_ok: self.cas_ok + o.cas_ok,
            cas_failed: self.cas_failed + o.cas_failed,
        }
    }

    /// Failed CaS attempts over all attempts (0 when there were none).
    pub fn cas_failure_rate(&self) -> f64 {
        if self.cas_attempts == 0 {
            0.0
        } else {
            self.cas_failed as f64 / self.cas_attempts as f64
        }
    }
}
