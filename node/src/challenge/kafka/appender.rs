//! Appending to key logs in lin-kv, one pipeline per key.
//!
//! Sends for a key queue up; one task per key at a time turns everything queued into
//! a single compare-and-set of the whole log (old array → old array + batch), so
//! concurrent sends to a key cost one CaS, not one each. The owner of a key is its
//! only writer in normal operation, so its cache is exact and the CaS succeeds the
//! first time. A failed precondition (someone else appended: a fallback write made
//! while the owner was unreachable) or an unknown outcome (timeout) re-reads the key
//! and tries again; send ids make the retry idempotent, so nothing is appended twice
//! and every send learns its one offset.
//!
//! Non-owned keys are written only as a fallback, so their cache is assumed stale:
//! the pipeline reads the key right before each CaS and reports the write (key, new
//! length) so the owner can be told to refresh. An owned key whose CaS failed (a
//! fallback writer is active, i.e. a partition) is treated the same way for a second,
//! which trades a failed CaS for a read while two nodes write the key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::log::{Entry, KeyLog};
use crate::{ErrorCode, Kv, KvError, Node, NodeError};

/// The lin-kv key holding a kafka key's log.
pub fn kv_key(key: &str) -> String {
    format!("log/{key}")
}

struct Pending {
    msg: Value,
    id: String,
    tx: oneshot::Sender<u64>,
}

#[derive(Default)]
struct Slot {
    log: KeyLog,
    pending: Vec<Pending>,
    running: bool,
    /// Whether the cache is believed equal to lin-kv (else read before the next CaS).
    fresh: bool,
    owned: bool,
    /// Until then, someone else is writing this key too: read right before each CaS.
    contended_until: Option<Instant>,
}

impl Slot {
    /// Whether another node may be appending to this key now (we do not own it, or a
    /// CaS recently found a value we had not written).
    fn contended(&self) -> bool {
        !self.owned || self.contended_until.is_some_and(|t| Instant::now() < t)
    }
}

/// What the pipeline does next for a key.
enum Step {
    Done,
    Read,
    Cas(Vec<Entry>, Vec<Entry>),
}

struct Inner {
    node: Node,
    kv: Kv,
    slots: Mutex<HashMap<String, Slot>>,
    /// Non-owned keys this node appended to (key → log length), for the owner.
    foreign_writes: Mutex<HashMap<String, u64>>,
    retry_pause: Duration,
    contention_window: Duration,
}

/// The per-key append pipelines of one node, plus its cache of the keys it owns.
#[derive(Clone)]
pub struct Appender {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Appender {
    pub fn new(node: &Node, kv: Kv) -> Appender {
        Appender {
            inner: Arc::new(Inner {
                node: node.clone(),
                kv,
                slots: Mutex::new(HashMap::new()),
                foreign_writes: Mutex::new(HashMap::new()),
                retry_pause: Duration::from_millis(20),
                contention_window: Duration::from_secs(1),
            }),
        }
    }

    pub fn kv(&self) -> &Kv {
        &self.inner.kv
    }

    /// Append `msg` (send id `id`) to `key`'s log and resolve to its offset. `owned`
    /// says whether this node owns the key (a fallback write otherwise). The future
    /// fails only if the node shuts down; it waits as long as lin-kv needs, so callers
    /// put their own deadline on it.
    pub fn append(
        &self,
        key: &str,
        msg: Value,
        id: String,
        owned: bool,
    ) -> impl std::future::Future<Output = Result<u64, NodeError>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        let start = {
            let mut slots = lock(&self.inner.slots);
            let slot = slots.entry(key.to_string()).or_insert_with(|| Slot {
                fresh: owned,
                owned,
                ..Slot::default()
            });
            match slot.log.offset_of(&id) {
                Some(offset) => {
                    let _ = tx.send(offset);
                    false
                }
                None => {
                    slot.pending.push(Pending { msg, id, tx });
                    if slot.running {
                        false
                    } else {
                        slot.running = true;
                        if !owned {
                            // Someone else (the owner) writes this key: re-read first.
                            slot.fresh = false;
                        }
                        slot.owned = owned;
                        true
                    }
                }
            }
        };
        if start {
            let me = self.clone();
            let key = key.to_string();
            self.inner.node.spawn(async move { me.run(key).await });
        }
        async move {
            rx.await
                .map_err(|_| NodeError::new(ErrorCode::Crash, "append pipeline stopped"))
        }
    }

    /// `[offset, msg]` pairs of the cached log of `key` from `from` on (empty if unknown).
    pub fn read_cached(&self, key: &str, from: u64) -> Vec<(u64, Value)> {
        lock(&self.inner.slots)
            .get(key)
            .map(|s| s.log.read_from(from))
            .unwrap_or_default()
    }

    /// Length of the cached log of `key`.
    pub fn cached_len(&self, key: &str) -> u64 {
        lock(&self.inner.slots)
            .get(key)
            .map_or(0, |s| s.log.len() as u64)
    }

    /// Take the record of fallback writes to keys this node does not own.
    pub fn take_foreign_writes(&self) -> HashMap<String, u64> {
        std::mem::take(&mut *lock(&self.inner.foreign_writes))
    }

    /// Read `key` from lin-kv until the cache holds at least `min_len` entries (the
    /// owner learning of a fallback write). Gives up after `attempts` reads.
    pub async fn refresh(&self, key: &str, min_len: u64, attempts: u32) {
        for _ in 0..attempts {
            if self.cached_len(key) >= min_len {
                return;
            }
            match self.read_log(key).await {
                Ok(entries) => {
                    self.adopt(key, entries);
                }
                Err(_) => tokio::time::sleep(self.inner.retry_pause).await,
            }
        }
    }

    /// The authoritative log of `key` from lin-kv (empty if the key was never written).
    pub async fn read_log(&self, key: &str) -> Result<Vec<Entry>, KvError> {
        match self.inner.kv.read::<_, Vec<Entry>>(&kv_key(key)).await {
            Ok(v) => Ok(v),
            Err(KvError::KeyDoesNotExist) => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    fn adopt(&self, key: &str, entries: Vec<Entry>) {
        let mut slots = lock(&self.inner.slots);
        let slot = slots.entry(key.to_string()).or_default();
        slot.log.adopt(entries);
    }

    /// Resolve queued sends already in the log; decide the next step.
    fn next_step(&self, key: &str) -> Step {
        let mut slots = lock(&self.inner.slots);
        let Some(slot) = slots.get_mut(key) else {
            return Step::Done;
        };
        let log = &slot.log;
        let mut waiting = Vec::with_capacity(slot.pending.len());
        for p in slot.pending.drain(..) {
            match log.offset_of(&p.id) {
                Some(offset) => {
                    let _ = p.tx.send(offset);
                }
                None => waiting.push(p),
            }
        }
        slot.pending = waiting;
        if slot.pending.is_empty() {
            slot.running = false;
            return Step::Done;
        }
        if !slot.fresh {
            return Step::Read;
        }
        let batch: Vec<(Value, String)> = slot
            .pending
            .iter()
            .map(|p| (p.msg.clone(), p.id.clone()))
            .collect();
        Step::Cas(slot.log.entries().to_vec(), slot.log.extended(&batch))
    }

    fn set_fresh(&self, key: &str, fresh: bool) {
        if let Some(slot) = lock(&self.inner.slots).get_mut(key) {
            slot.fresh = fresh;
        }
    }

    /// A CaS found a value this node did not write: expect more writers for a while.
    fn mark_contended(&self, key: &str) {
        if let Some(slot) = lock(&self.inner.slots).get_mut(key) {
            slot.fresh = false;
            slot.contended_until = Some(Instant::now() + self.inner.contention_window);
        }
    }

    async fn run(&self, key: String) {
        let kv_key = kv_key(&key);
        let mut cas_loop = crate::telemetry::cas_loop(&self.inner.node, self.inner.kv.service());
        loop {
            match self.next_step(&key) {
                Step::Done => break,
                Step::Read => match self.read_log(&key).await {
                    Ok(entries) => {
                        self.adopt(&key, entries);
                        self.set_fresh(&key, true);
                    }
                    Err(e) => {
                        tracing::debug!(key, error = %e, "kafka log read failed; retrying");
                        tokio::time::sleep(self.inner.retry_pause).await;
                    }
                },
                Step::Cas(from, to) => {
                    cas_loop.attempt();
                    let result = self
                        .inner
                        .kv
                        .cas(&kv_key, &from, &to, from.is_empty())
                        .await;
                    match result {
                        Ok(()) => {
                            let len = to.len() as u64;
                            let owned = {
                                let mut slots = lock(&self.inner.slots);
                                let slot = slots.entry(key.clone()).or_default();
                                slot.log.adopt(to);
                                // With another writer about, the cache may be stale
                                // again by the next batch: read first then.
                                if slot.contended() {
                                    slot.fresh = false;
                                }
                                slot.owned
                            };
                            if !owned {
                                let mut fw = lock(&self.inner.foreign_writes);
                                let e = fw.entry(key.clone()).or_insert(0);
                                *e = (*e).max(len);
                            }
                        }
                        Err(KvError::PreconditionFailed(_)) | Err(KvError::KeyDoesNotExist) => {
                            self.mark_contended(&key);
                        }
                        Err(e) => {
                            // Unknown outcome: find out by reading (ids make it safe).
                            tracing::debug!(key, error = %e, "kafka log cas failed; re-reading");
                            self.set_fresh(&key, false);
                            tokio::time::sleep(self.inner.retry_pause).await;
                        }
                    }
                }
            }
        }
        cas_loop.finish("ok");
    }
}
