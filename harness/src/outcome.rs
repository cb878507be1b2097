//! Turning an RPC outcome into a history completion (MAELSTROM.md §2.4): `with-errors`
//! semantics (timeouts and error codes → `:fail` or `:info` by definiteness and the
//! workload's idempotent set), and uncaught exceptions (malformed responses, failures in
//! workloads without `with-errors`) → `:info` with `:exception` and `"indeterminate: ..."`;
//! and ops a client completes by crashing itself → a bare `:info`.

use glomers_model::{OpType, Value};

use crate::client::{error_name, RpcError};
use crate::edn_util::body_to_edn;
use crate::workload::{Invocation, Workload};

/// A completion's `:type`, `:value` and extra keys.
#[derive(Debug, Clone)]
pub struct Completion {
    pub typ: OpType,
    pub value: Value,
    pub extra: Vec<(String, Value)>,
    /// The exception message, when the op crashed its process.
    pub crash: Option<String>,
}

/// The completion of `inv` given what its RPC(s) returned.
pub fn complete(w: &dyn Workload, inv: &Invocation, res: Result<Value, RpcError>) -> Completion {
    let mut extra = inv.extra.clone();
    let err = match res {
        Ok(v) => {
            return Completion {
                typ: OpType::Ok,
                value: v,
                extra,
                crash: None,
            }
        }
        Err(e) => e,
    };
    let idempotent = w.idempotent(inv.f);
    if w.with_errors() {
        match &err {
            RpcError::Timeout => {
                extra.push(("error".into(), Value::kw("net-timeout")));
                let typ = if idempotent {
                    OpType::Fail
                } else {
                    OpType::Info
                };
                return Completion {
                    typ,
                    value: inv.value.clone(),
                    extra,
                    crash: None,
                };
            }
            RpcError::Error { code, text, .. } => {
                let (name, definite) = error_name(*code);
                let text = text.clone().map_or(Value::Nil, Value::Str);
                extra.push(("error".into(), Value::Vector(vec![Value::kw(name), text])));
                let typ = if definite || idempotent {
                    OpType::Fail
                } else {
                    OpType::Info
                };
                return Completion {
                    typ,
                    value: inv.value.clone(),
                    extra,
                    crash: None,
                };
            }
            RpcError::Malformed { .. } | RpcError::Send(_) => {}
        }
    }
    let message = err.message();
    extra.push(("exception".into(), exception(&err)));
    extra.push((
        "error".into(),
        Value::Str(format!("indeterminate: {message}")),
    ));
    Completion {
        typ: OpType::Info,
        value: inv.value.clone(),
        extra,
        crash: Some(message),
    }
}

/// The completion of an op the client ends by crashing itself (kafka's `:crash`): `:info`
/// with the invocation's value and no error, which retires the process.
pub fn crashed(inv: &Invocation) -> Completion {
    Completion {
        typ: OpType::Info,
        value: inv.value.clone(),
        extra: inv.extra.clone(),
        crash: None,
    }
}

/// The `ex-info` data Maelstrom attaches to an RPC failure.
fn ex_data(err: &RpcError) -> Value {
    use glomers_model::edn_map;
    match err {
        RpcError::Timeout => edn_map! {
            "type" => Value::kw("maelstrom.client/timeout"),
            "name" => Value::kw("timeout"),
            "definite?" => Value::Bool(false),
            "code" => Value::Int(0),
        },
        RpcError::Error { code, body, .. } => {
            let (name, definite) = error_name(*code);
            let mut entries = vec![
                (Value::kw("type"), Value::kw("maelstrom.client/error")),
                (Value::kw("name"), Value::kw(name)),
                (Value::kw("definite?"), Value::Bool(definite)),
            ];
            if let Value::Map(body) = body_to_edn(body) {
                entries.extend(
                    body.into_iter()
                        .filter(|(k, _)| k.as_keyword() != Some("type")),
                );
            }
            Value::Map(entries)
        }
        RpcError::Malformed { node, received, .. } => edn_map! {
            "type" => Value::kw("maelstrom.client/malformed-rpc-response"),
            "node" => Value::Str(node.clone()),
            "body" => body_to_edn(received),
        },
        RpcError::Send(e) => edn_map! {
            "type" => Value::kw("maelstrom.net/invalid-dest"),
            "message" => Value::Str(e.to_string()),
        },
    }
}

/// A datafied throwable, shaped like Clojure's `Throwable->map` (without a JVM stack trace).
pub fn exception(err: &RpcError) -> Value {
    use glomers_model::edn_map;
    let message = err.message();
    let data = ex_data(err);
    edn_map! {
        "via" => Value::Vector(vec![edn_map! {
            "type" => Value::Symbol("clojure.lang.ExceptionInfo".into()),
            "message" => Value::Str(message.clone()),
            "data" => data.clone(),
        }]),
        "trace" => Value::Vector(Vec::new()),
        "cause" => Value::Str(message),
        "data" => data,
    }
}
