//! The `Node` handle a challenge holds: its identity, sending, replying, awaitable RPCs
//! with timeouts, spawned tasks and periodic timers. Cheap to clone.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

use crate::error::{ErrorCode, NodeError, RpcError};
use crate::message::{body_to_object, Envelope, ReplyTo};

/// Where a node's outgoing envelopes go (stdout writer, or the in-memory network).
pub type Outbox = mpsc::UnboundedSender<Envelope>;

struct Inner {
    id: String,
    node_ids: Vec<String>,
    /// The same ids, for [`Node::is_node_id`] (asked for every message when telemetry is on).
    node_set: HashSet<String>,
    out: Outbox,
    next_msg_id: AtomicU64,
    pending: Mutex<HashMap<u64, oneshot::Sender<Envelope>>>,
}

/// A running node's handle.
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

impl Node {
    pub(crate) fn new(id: String, node_ids: Vec<String>, out: Outbox) -> Node {
        Node {
            inner: Arc::new(Inner {
                id,
                node_set: node_ids.iter().cloned().collect(),
                node_ids,
                out,
                next_msg_id: AtomicU64::new(1),
                pending: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// This node's id (`n0`).
    pub fn id(&self) -> &str {
        &self.inner.id
    }

    /// All node ids of the cluster, in Maelstrom's order (this node included).
    pub fn node_ids(&self) -> &[String] {
        &self.inner.node_ids
    }

    /// Whether `id` names a node of the cluster (this one included).
    pub fn is_node_id(&self, id: &str) -> bool {
        self.inner.node_set.contains(id)
    }

    /// Every node id except this one.
    pub fn peers(&self) -> impl Iterator<Item = &String> {
        self.inner
            .node_ids
            .iter()
            .filter(move |n| **n != self.inner.id)
    }

    /// This node's position in `node_ids` (0 if absent).
    pub fn index(&self) -> usize {
        self.inner
            .node_ids
            .iter()
            .position(|n| *n == self.inner.id)
            .unwrap_or(0)
    }

    /// A fresh message id for a request this node sends.
    pub fn next_msg_id(&self) -> u64 {
        self.inner.next_msg_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Send a JSON object body as is.
    pub fn send_object(&self, dest: &str, mut body: Map<String, Value>) {
        crate::telemetry::on_send(self, dest, &mut body);
        let env = Envelope {
            src: self.inner.id.clone(),
            dest: dest.to_string(),
            body: Value::Object(body),
        };
        if self.inner.out.send(env).is_err() {
            tracing::debug!(dest, "outbox closed; message dropped");
        }
    }

    /// Fire-and-forget: send a typed body with no `msg_id`.
    pub fn send<B: Serialize>(&self, dest: &str, body: &B) {
        self.send_object(dest, body_to_object(body));
    }

    /// Answer a request with a typed body; `in_reply_to` is added.
    pub fn reply<B: Serialize>(&self, to: &ReplyTo, body: &B) {
        let mut obj = body_to_object(body);
        match to.msg_id {
            Some(id) => {
                obj.insert("in_reply_to".into(), Value::from(id));
                self.send_object(&to.dest, obj);
            }
            None => tracing::debug!(dest = %to.dest, "request had no msg_id; reply not sent"),
        }
    }

    /// Answer a request with an `error` body.
    pub fn reply_error(&self, to: &ReplyTo, err: &NodeError) {
        let mut obj = Map::new();
        obj.insert("type".into(), Value::from("error"));
        obj.insert("code".into(), Value::from(err.code.code()));
        obj.insert("text".into(), Value::from(err.text.clone()));
        match to.msg_id {
            Some(id) => {
                obj.insert("in_reply_to".into(), Value::from(id));
                self.send_object(&to.dest, obj);
            }
            None => {
                tracing::warn!(dest = %to.dest, error = %err, "error for a request without msg_id")
            }
        }
    }

    /// Send a request and await the reply body (an `error` reply becomes `RpcError::Remote`).
    pub async fn rpc_value(
        &self,
        dest: &str,
        mut body: Map<String, Value>,
        timeout: Duration,
    ) -> Result<Value, RpcError> {
        let msg_id = self.next_msg_id();
        body.insert("msg_id".into(), Value::from(msg_id));
        let (tx, rx) = oneshot::channel();
        self.pending().insert(msg_id, tx);
        let telemetry = crate::telemetry::rpc_start(self, dest, &body, msg_id);
        match &telemetry {
            Some(t) => t.span().in_scope(|| self.send_object(dest, body)),
            None => self.send_object(dest, body),
        }
        let outcome = tokio::time::timeout(timeout, rx).await;
        let result = match outcome {
            Ok(Ok(env)) => decode_reply(env.body),
            Ok(Err(_)) => Err(RpcError::Closed),
            Err(_) => {
                self.pending().remove(&msg_id);
                Err(RpcError::Timeout)
            }
        };
        if let Some(t) = telemetry {
            t.finish(match &result {
                Ok(_) => "ok",
                Err(RpcError::Timeout) => "timeout",
                Err(RpcError::Closed) => "closed",
                Err(_) => "error",
            });
        }
        result
    }

    /// Send a typed request and decode the typed reply.
    pub async fn rpc<B: Serialize, R: DeserializeOwned>(
        &self,
        dest: &str,
        body: &B,
        timeout: Duration,
    ) -> Result<R, RpcError> {
        let value = self.rpc_value(dest, body_to_object(body), timeout).await?;
        serde_json::from_value(value).map_err(|e| RpcError::Malformed(e.to_string()))
    }

    /// Hand a reply to the RPC waiting for it. Returns the envelope back if none waits.
    pub(crate) fn complete_rpc(&self, env: Envelope) -> Option<Envelope> {
        let Some(id) = env.in_reply_to() else {
            return Some(env);
        };
        let waiter = self.pending().remove(&id);
        match waiter {
            Some(tx) => {
                // The waiter may have timed out just now; then the reply is simply late.
                let _ = tx.send(env);
                None
            }
            None => Some(env),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, HashMap<u64, oneshot::Sender<Envelope>>> {
        // A poisoned map only means a panic elsewhere; the map itself stays usable.
        self.inner
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Run a future on the node's runtime.
    pub fn spawn<F>(&self, fut: F) -> tokio::task::JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        tokio::spawn(fut)
    }

    /// Run an async handler and answer `to` with its result (a body or an error).
    pub fn spawn_reply<B, F>(&self, to: ReplyTo, fut: F)
    where
        B: Serialize + Send + 'static,
        F: Future<Output = Result<B, NodeError>> + Send + 'static,
    {
        let node = self.clone();
        let task = async move {
            match fut.await {
                Ok(body) => node.reply(&to, &body),
                Err(err) => node.reply_error(&to, &err),
            }
        };
        if crate::telemetry::enabled() {
            // The request's `handle` span stays the parent of the work done to answer it.
            tokio::spawn(tracing::Instrument::in_current_span(task));
        } else {
            tokio::spawn(task);
        }
    }

    /// Call `tick` every `period` (first call after one period) until the process ends.
    pub fn every<F>(&self, period: Duration, mut tick: F) -> tokio::task::JoinHandle<()>
    where
        F: FnMut() + Send + 'static,
    {
        tokio::spawn(async move {
            let mut interval =
                tokio::time::interval_at(tokio::time::Instant::now() + period, period);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                tick();
            }
        })
    }
}

fn decode_reply(body: Value) -> Result<Value, RpcError> {
    if body.get("type").and_then(Value::as_str) == Some("error") {
        let code = body
            .get("code")
            .and_then(Value::as_u64)
            .map(|c| ErrorCode::from_code(c as u32))
            .unwrap_or(ErrorCode::Other(u32::MAX));
        let text = body
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        return Err(RpcError::Remote { code, text });
    }
    Ok(body)
}
