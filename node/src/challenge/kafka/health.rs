//! Which peers recently failed to answer. A peer that timed out is skipped for a
//! while (requests for its keys take the lin-kv fallback at once instead of waiting
//! for another timeout each); it is tried again when the pause ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Suspicion per peer.
#[derive(Debug)]
pub struct PeerHealth {
    pause: Duration,
    until: Mutex<HashMap<String, Instant>>,
}

impl PeerHealth {
    pub fn new(pause: Duration) -> PeerHealth {
        PeerHealth {
            pause,
            until: Mutex::new(HashMap::new()),
        }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Instant>> {
        self.until.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether to skip `peer` right now.
    pub fn is_suspect(&self, peer: &str) -> bool {
        self.map()
            .get(peer)
            .is_some_and(|until| Instant::now() < *until)
    }

    /// `peer` failed to answer.
    pub fn failed(&self, peer: &str) {
        self.map()
            .insert(peer.to_string(), Instant::now() + self.pause);
    }

    /// `peer` answered.
    pub fn answered(&self, peer: &str) {
        self.map().remove(peer);
    }
}
