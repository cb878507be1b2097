//! The background sync loop of the exact counter: every period, publish this node's
//! count (a seq-kv mutation, which brings the node's view of seq-kv up to date), then
//! read each peer's key and merge what it says into the tally.
//!
//! One round at a time (a slow round delays the next instead of overlapping it), so the
//! node never has two requests for its own key in flight, except after a timeout.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::slot::{read_peer, OwnSlot};
use super::stats::{bump, KvStats};
use super::tally::Tally;
use crate::{Kv, Node};

/// Everything a sync loop needs.
pub struct Syncer {
    pub kv: Kv,
    pub own: OwnSlot,
    pub peers: Vec<String>,
    pub tally: Arc<Mutex<Tally>>,
    pub stats: Arc<KvStats>,
    pub period: Duration,
    /// How often to log the counters (none: never).
    pub log_every: Option<Duration>,
}

fn lock(t: &Mutex<Tally>) -> std::sync::MutexGuard<'_, Tally> {
    t.lock().unwrap_or_else(|p| p.into_inner())
}

impl Syncer {
    /// One round: publish, then read the peers. Errors only cost freshness: the next
    /// round tries again.
    pub async fn round(&mut self) {
        bump(&self.stats.rounds);
        let count = lock(&self.tally).own();
        if let Err(e) = self.own.publish(count).await {
            tracing::debug!(error = %e, count, "publish failed; retrying next round");
        }
        for peer in &self.peers {
            match read_peer(&self.kv, peer, &self.stats).await {
                Ok(Some(count)) => {
                    let mut tally = lock(&self.tally);
                    if tally.observe(peer, count) {
                        bump(&self.stats.peer_reads_news);
                        // Lets a run's node logs show when each node converged.
                        tracing::debug!(peer, count, total = tally.total(), "learned");
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(error = %e, peer, "peer read failed"),
            }
        }
    }

    /// Run rounds forever, `period` apart, on the node's runtime.
    pub fn spawn(mut self, node: &Node) {
        let id = node.id().to_string();
        node.spawn(async move {
            let mut last_log = tokio::time::Instant::now();
            loop {
                tokio::time::sleep(self.period).await;
                self.round().await;
                if let Some(every) = self.log_every {
                    if last_log.elapsed() >= every {
                        last_log = tokio::time::Instant::now();
                        let total = lock(&self.tally).total();
                        let s = self.stats.snapshot(&self.kv);
                        tracing::info!(
                            node = %id,
                            total,
                            rounds = s.rounds,
                            publishes = s.publishes,
                            cas_attempts = s.cas_attempts,
                            cas_ok = s.cas_ok,
                            cas_precondition_failed = s.cas_precondition_failed,
                            cas_retries = s.cas_retries,
                            cas_retries_histogram = ?s.cas_retries_histogram,
                            cas_other = s.cas_other,
                            recovery_reads = s.recovery_reads,
                            peer_reads_ok = s.peer_reads_ok,
                            peer_reads_missing = s.peer_reads_missing,
                            peer_reads_failed = s.peer_reads_failed,
                            "g-counter kv stats"
                        );
                    }
                }
            }
        });
    }
}
