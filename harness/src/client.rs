//! Maelstrom-style RPC clients (MAELSTROM.md §2.3–2.5): an in-process endpoint `cN` that
//! numbers its requests from 1, keeps one request outstanding, silently drops any message
//! whose `in_reply_to` differs, decodes `error` replies before any schema check, and times out.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value as Json;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

use crate::net::{Message, Net, SendError};
use crate::schema::BodySchema;

/// Default RPC timeout for workload RPCs and `topology`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(5000);

/// Error code → (name, definite?) from Maelstrom's error table; unknown codes are indefinite
/// and named `unknown`.
pub fn error_name(code: Option<i64>) -> (&'static str, bool) {
    match code {
        Some(0) => ("timeout", false),
        Some(1) => ("node-not-found", true),
        Some(10) => ("not-supported", true),
        Some(11) => ("temporarily-unavailable", true),
        Some(12) => ("malformed-request", true),
        Some(13) => ("crash", false),
        Some(14) => ("abort", true),
        Some(20) => ("key-does-not-exist", true),
        Some(21) => ("key-already-exists", true),
        Some(22) => ("precondition-failed", true),
        Some(30) => ("txn-conflict", true),
        _ => ("unknown", false),
    }
}

/// How an RPC went wrong.
#[derive(Debug, Clone)]
pub enum RpcError {
    /// No matching reply before the deadline.
    Timeout,
    /// An `error` reply.
    Error {
        code: Option<i64>,
        text: Option<String>,
        body: Json,
    },
    /// A reply that fails the response schema.
    Malformed {
        node: String,
        request: Json,
        expected: String,
        received: Json,
        problems: String,
    },
    /// The network refused the request (the destination does not exist).
    Send(SendError),
}

impl RpcError {
    /// The exception message Maelstrom would show.
    pub fn message(&self) -> String {
        match self {
            RpcError::Timeout => "Client read timeout".into(),
            RpcError::Error { code, text, .. } => match text {
                Some(t) => t.clone(),
                None => format!("error code {}", code.map_or("nil".into(), |c| c.to_string())),
            },
            RpcError::Malformed { node, request, expected, received, problems } => format!(
                "Malformed RPC response. Maelstrom sent node {node} the following request:\n\n{request}\n\n\
                 And expected a response of the form:\n\n{expected}\n\n... but instead received\n\n{received}\n\n\
                 This is malformed because:\n\n{problems}\n\nSee doc/protocol.md for more guidance."
            ),
            RpcError::Send(e) => e.to_string(),
        }
    }
}

/// One client endpoint. Dropping it closes the endpoint: later messages naming it are refused.
pub struct Client {
    pub id: Arc<str>,
    net: Arc<Net>,
    inbox: UnboundedReceiver<Message>,
    next_msg_id: u64,
}

impl Client {
    /// Open a fresh client with a new `cN` id.
    pub fn open(net: &Arc<Net>) -> Client {
        let (id, inbox) = net.open_client();
        Client {
            id,
            net: net.clone(),
            inbox,
            next_msg_id: 0,
        }
    }

    /// Send `body` (a JSON object; `msg_id` is added) to `dest` and wait for the reply with the
    /// matching `in_reply_to`. Error replies become [`RpcError::Error`]; no schema check.
    pub async fn call(
        &mut self,
        dest: &str,
        mut body: Json,
        timeout: Duration,
    ) -> Result<Json, RpcError> {
        self.next_msg_id += 1;
        let msg_id = self.next_msg_id;
        if let Json::Object(m) = &mut body {
            m.insert("msg_id".into(), Json::from(msg_id));
        }
        self.net
            .send_json(&self.id, dest, &body)
            .map_err(RpcError::Send)?;
        let deadline = Instant::now() + timeout;
        loop {
            let msg = match tokio::time::timeout_at(deadline, self.inbox.recv()).await {
                Ok(Some(m)) => m,
                Ok(None) | Err(_) => return Err(RpcError::Timeout),
            };
            let reply = msg.body_json();
            let matches = reply.get("in_reply_to").and_then(Json::as_u64) == Some(msg_id)
                && reply
                    .get("in_reply_to")
                    .is_some_and(|v| v.is_u64() || v.is_i64());
            if !matches {
                continue;
            }
            if reply.get("type").and_then(Json::as_str) == Some("error") {
                let code = reply.get("code").and_then(Json::as_i64);
                let text = reply.get("text").and_then(Json::as_str).map(str::to_string);
                return Err(RpcError::Error {
                    code,
                    text,
                    body: reply,
                });
            }
            return Ok(reply);
        }
    }

    /// [`Client::call`], then check the reply against `schema`.
    pub async fn rpc(
        &mut self,
        dest: &str,
        body: Json,
        schema: &BodySchema,
        timeout: Duration,
    ) -> Result<Json, RpcError> {
        let request = body.clone();
        let reply = self.call(dest, body, timeout).await?;
        match schema.check(&reply) {
            Ok(()) => Ok(reply),
            Err(problems) => Err(RpcError::Malformed {
                node: dest.to_string(),
                request,
                expected: schema.describe(),
                received: reply,
                problems,
            }),
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.net.remove(&self.id);
    }
}
