//! Clients for Maelstrom's key-value services (`seq-kv`, `lin-kv`, `lww-kv`):
//! read, write and compare-and-set with typed errors, plus counters of CaS outcomes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{ErrorCode, RpcError};
use crate::node::Node;

/// Which service a client talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    SeqKv,
    LinKv,
    LwwKv,
}

impl Service {
    /// The service's node id.
    pub fn id(self) -> &'static str {
        match self {
            Service::SeqKv => "seq-kv",
            Service::LinKv => "lin-kv",
            Service::LwwKv => "lww-kv",
        }
    }
}

/// How a KV request can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KvError {
    #[error("key does not exist")]
    KeyDoesNotExist,
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    #[error("kv request timed out")]
    Timeout,
    #[error("kv error {code}: {text}")]
    Other { code: ErrorCode, text: String },
    #[error("malformed kv reply: {0}")]
    Malformed(String),
}

impl From<RpcError> for KvError {
    fn from(e: RpcError) -> Self {
        match e {
            RpcError::Timeout => KvError::Timeout,
            RpcError::Remote {
                code: ErrorCode::KeyDoesNotExist,
                ..
            } => KvError::KeyDoesNotExist,
            RpcError::Remote {
                code: ErrorCode::PreconditionFailed,
                text,
            } => KvError::PreconditionFailed(text),
            RpcError::Remote { code, text } => KvError::Other { code, text },
            RpcError::Malformed(t) => KvError::Malformed(t),
            RpcError::Closed => KvError::Other {
                code: ErrorCode::Crash,
                text: "transport closed".into(),
            },
        }
    }
}

/// Counts of CaS requests by outcome, shared by clones of a client.
#[derive(Debug, Default)]
pub struct CasCounters {
    pub ok: AtomicU64,
    pub precondition_failed: AtomicU64,
    pub key_missing: AtomicU64,
    pub other: AtomicU64,
}

impl CasCounters {
    pub fn attempts(&self) -> u64 {
        self.ok.load(Ordering::Relaxed)
            + self.precondition_failed.load(Ordering::Relaxed)
            + self.key_missing.load(Ordering::Relaxed)
            + self.other.load(Ordering::Relaxed)
    }
}

/// A KV service client bound to a node.
#[derive(Clone)]
pub struct Kv {
    node: Node,
    service: Service,
    timeout: Duration,
    cas: Arc<CasCounters>,
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Request<'a, K: Serialize, V: Serialize> {
    Read {
        key: &'a K,
    },
    Write {
        key: &'a K,
        value: &'a V,
    },
    Cas {
        key: &'a K,
        from: &'a V,
        to: &'a V,
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        create_if_not_exists: bool,
    },
}

#[derive(Deserialize)]
struct ReadOk<V> {
    value: V,
}

impl Kv {
    pub fn new(node: &Node, service: Service) -> Kv {
        Kv {
            node: node.clone(),
            service,
            timeout: Duration::from_secs(1),
            cas: Arc::new(CasCounters::default()),
        }
    }

    pub fn seq(node: &Node) -> Kv {
        Kv::new(node, Service::SeqKv)
    }

    pub fn lin(node: &Node) -> Kv {
        Kv::new(node, Service::LinKv)
    }

    pub fn lww(node: &Node) -> Kv {
        Kv::new(node, Service::LwwKv)
    }

    /// Per-request timeout (default 1 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Kv {
        self.timeout = timeout;
        self
    }

    pub fn service(&self) -> Service {
        self.service
    }

    pub fn cas_counters(&self) -> &CasCounters {
        &self.cas
    }

    pub async fn read<K: Serialize, V: DeserializeOwned>(&self, key: &K) -> Result<V, KvError> {
        let req: Request<'_, K, Value> = Request::Read { key };
        let ok: ReadOk<V> = self.node.rpc(self.service.id(), &req, self.timeout).await?;
        Ok(ok.value)
    }

    pub async fn write<K: Serialize, V: Serialize>(
        &self,
        key: &K,
        value: &V,
    ) -> Result<(), KvError> {
        let req = Request::Write { key, value };
        self.node
            .rpc::<_, Value>(self.service.id(), &req, self.timeout)
            .await?;
        Ok(())
    }

    /// Compare-and-set `key` from `from` to `to`; with `create`, a missing key is set to `to`.
    pub async fn cas<K: Serialize, V: Serialize>(
        &self,
        key: &K,
        from: &V,
        to: &V,
        create: bool,
    ) -> Result<(), KvError> {
        let req = Request::Cas {
            key,
            from,
            to,
            create_if_not_exists: create,
        };
        let result: Result<Value, KvError> = self
            .node
            .rpc::<_, Value>(self.service.id(), &req, self.timeout)
            .await
            .map_err(KvError::from);
        let (counter, outcome) = match &result {
            Ok(_) => (&self.cas.ok, "ok"),
            Err(KvError::PreconditionFailed(_)) => {
                (&self.cas.precondition_failed, "precondition_failed")
            }
            Err(KvError::KeyDoesNotExist) => (&self.cas.key_missing, "key_does_not_exist"),
            Err(KvError::Timeout) => (&self.cas.other, "timeout"),
            Err(_) => (&self.cas.other, "error"),
        };
        counter.fetch_add(1, Ordering::Relaxed);
        crate::telemetry::kv_cas(&self.node, self.service.id(), outcome);
        result.map(|_| ())
    }
}
