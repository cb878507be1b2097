//! Sends handed to an unreachable key owner through lin-kv, so that the owner stays the
//! only writer of its keys' logs even during a partition (no racing compare-and-sets).
//!
//! A node that cannot reach the owner of a key puts the send (key, message, send id) in
//! its *relay box* for that owner: the lin-kv key `relay/<from>/<to>`, which only `<from>`
//! writes (a plain `write` of the whole box, so it never conflicts). Every owner reads the
//! boxes addressed to it, slowly when they were empty and fast while they carry sends,
//! and appends what it finds through its normal pipeline (the send id makes a send that
//! also arrived by a forward, or that is read twice, land once). The sender learns each
//! offset by reading the key's log from lin-kv until its send id shows up, then drops the
//! send from its box at the next write.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::appender::Appender;
use crate::{ErrorCode, Kv, KvError, NodeError};

/// One relayed send as stored in a relay box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Relayed {
    pub key: String,
    pub msg: Value,
    pub id: String,
}

/// The lin-kv key of the box `from` writes for `to`.
pub fn box_key(from: &str, to: &str) -> String {
    format!("relay/{from}/{to}")
}

#[derive(Default)]
struct Outgoing {
    /// Unresolved sends per owner, in order.
    boxes: HashMap<String, Vec<Relayed>>,
    /// Owners whose box changed since it was last written.
    dirty: HashSet<String>,
    waiters: HashMap<String, oneshot::Sender<u64>>,
}

#[derive(Default)]
struct Incoming {
    /// Send ids already handed to the appender.
    submitted: HashSet<String>,
    /// Per peer: when its box was last read, and whether it held anything.
    last_read: HashMap<String, (Instant, bool)>,
}

/// Both halves of the relay of one node.
pub struct Relay {
    me: String,
    kv: Kv,
    appender: Appender,
    out: Mutex<Outgoing>,
    inc: Mutex<Incoming>,
    /// How often to read a peer's box while it is empty.
    slow: Duration,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Relay {
    pub fn new(me: &str, kv: Kv, appender: Appender, slow: Duration) -> Relay {
        Relay {
            me: me.to_string(),
            kv,
            appender,
            out: Mutex::new(Outgoing::default()),
            inc: Mutex::new(Incoming::default()),
            slow,
        }
    }

    /// Queue a send for `owner`; resolves to its offset once the owner has logged it.
    pub fn send(
        &self,
        owner: &str,
        key: &str,
        msg: Value,
        id: String,
    ) -> impl std::future::Future<Output = Result<u64, NodeError>> + Send + 'static {
        let (tx, rx) = oneshot::channel();
        {
            let mut out = lock(&self.out);
            out.waiters.insert(id.clone(), tx);
            out.boxes
                .entry(owner.to_string())
                .or_default()
                .push(Relayed {
                    key: key.to_string(),
                    msg,
                    id,
                });
            out.dirty.insert(owner.to_string());
        }
        async move {
            rx.await
                .map_err(|_| NodeError::new(ErrorCode::Crash, "relay stopped"))
        }
    }

    /// Sends waiting for their offsets.
    pub fn pending(&self) -> usize {
        lock(&self.out).waiters.len()
    }

    /// Sender side, one round: write changed boxes, then read the logs of keys with
    /// unresolved sends and resolve the sends found there.
    pub async fn push(&self) {
        let writes: Vec<(String, Vec<Relayed>)> = {
            let mut out = lock(&self.out);
            let dirty: Vec<String> = out.dirty.drain().collect();
            dirty
                .into_iter()
                .map(|o| {
                    let b = out.boxes.get(&o).cloned().unwrap_or_default();
                    (o, b)
                })
                .collect()
        };
        for (owner, entries) in writes {
            if let Err(e) = self.kv.write(&box_key(&self.me, &owner), &entries).await {
                tracing::debug!(owner, error = %e, "relay box write failed; retrying");
                lock(&self.out).dirty.insert(owner);
            }
        }
        let keys: HashSet<String> = lock(&self.out)
            .boxes
            .values()
            .flatten()
            .map(|r| r.key.clone())
            .collect();
        for key in keys {
            let Ok(entries) = self.appender.read_log(&key).await else {
                continue;
            };
            let offsets: HashMap<&str, u64> = entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.1.as_str(), i as u64))
                .collect();
            let mut out = lock(&self.out);
            let Outgoing {
                boxes,
                dirty,
                waiters,
            } = &mut *out;
            for (owner, b) in boxes.iter_mut() {
                let before = b.len();
                b.retain(|r| match offsets.get(r.id.as_str()) {
                    Some(&offset) if r.key == key => {
                        if let Some(tx) = waiters.remove(&r.id) {
                            let _ = tx.send(offset);
                        }
                        false
                    }
                    _ => true,
                });
                // Shrink the box in lin-kv only when it empties (or grows again).
                if b.is_empty() && before > 0 {
                    dirty.insert(owner.clone());
                }
            }
            boxes.retain(|o, b| !b.is_empty() || dirty.contains(o));
        }
    }

    /// Owner side, one round: read the boxes of `peers` that are due (fast while they
    /// carry sends, `slow` otherwise) and append the sends this node owns.
    pub async fn pull(&self, peers: &[String], owns: impl Fn(&str) -> bool) {
        let now = Instant::now();
        let due: Vec<String> = {
            let inc = lock(&self.inc);
            peers
                .iter()
                .filter(|p| match inc.last_read.get(*p) {
                    Some((at, busy)) => *busy || now.duration_since(*at) >= self.slow,
                    None => true,
                })
                .cloned()
                .collect()
        };
        for peer in due {
            let entries: Vec<Relayed> = match self.kv.read(&box_key(&peer, &self.me)).await {
                Ok(v) => v,
                Err(KvError::KeyDoesNotExist) => Vec::new(),
                Err(e) => {
                    tracing::debug!(peer, error = %e, "relay box read failed");
                    continue;
                }
            };
            let fresh: Vec<Relayed> = {
                let mut inc = lock(&self.inc);
                inc.last_read
                    .insert(peer.clone(), (Instant::now(), !entries.is_empty()));
                entries
                    .into_iter()
                    .filter(|r| owns(&r.key) && inc.submitted.insert(r.id.clone()))
                    .collect()
            };
            for r in fresh {
                // The offset reaches the sender through the log; nobody waits here.
                drop(self.appender.append(&r.key, r.msg, r.id, true));
            }
        }
    }
}
