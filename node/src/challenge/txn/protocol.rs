//! The txn workloads' messages: the client's `txn` RPC (micro-ops as JSON triples
//! `[op, key, value]`, for txn-rw-register and txn-list-append alike) and the
//! replication messages between nodes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clock::Ts;
use crate::{ErrorCode, NodeError};

/// A micro-op as it travels: `["r", k, null]`, `["w", k, v]` or `["append", k, v]`.
pub type RawMop = (String, Value, Value);

/// A parsed micro-op.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    Read(Value),
    Write(Value, Value),
    Append(Value, Value),
}

impl Op {
    pub fn parse(raw: &RawMop) -> Result<Op, NodeError> {
        let (f, k, v) = raw;
        match f.as_str() {
            "r" => Ok(Op::Read(k.clone())),
            "w" => Ok(Op::Write(k.clone(), v.clone())),
            "append" => Ok(Op::Append(k.clone(), v.clone())),
            other => Err(NodeError::new(
                ErrorCode::MalformedRequest,
                format!("unknown micro-op {other:?} (expected r, w or append)"),
            )),
        }
    }

    pub fn key(&self) -> &Value {
        match self {
            Op::Read(k) | Op::Write(k, _) | Op::Append(k, _) => k,
        }
    }
}

/// A register write as replicated: the txn's final value for the key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegWrite(pub Value, pub Value, pub Ts);

/// A list append as replicated: key, element, txn timestamp, position in the txn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListAppend(pub Value, pub Value, pub Ts, pub u32);

/// Everything a txn node is sent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Txn {
        txn: Vec<RawMop>,
    },
    /// Every write the sender has not had acknowledged yet, and its clock: the sender
    /// will never again create a write with a lamport time at or below `clock`.
    TxnRepl {
        upto: u64,
        clock: u64,
        writes: Vec<RegWrite>,
        appends: Vec<ListAppend>,
    },
    /// "I have applied your batch up to sequence number `upto`."
    TxnReplAck {
        upto: u64,
    },
}

/// The client reply.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    TxnOk { txn: Vec<RawMop> },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn mops_are_triples_and_replies_closed() {
        let r: Request = serde_json::from_value(json!({
            "type": "txn", "msg_id": 3,
            "txn": [["r", 1, null], ["w", 1, 5], ["append", 2, 7]]
        }))
        .unwrap();
        let Request::Txn { txn } = r else { panic!() };
        let ops: Vec<Op> = txn.iter().map(|m| Op::parse(m).unwrap()).collect();
        assert_eq!(ops[2], Op::Append(json!(2), json!(7)));
        assert!(Op::parse(&("cas".into(), json!(1), json!(2))).is_err());
        let out = serde_json::to_value(Reply::TxnOk { txn }).unwrap();
        assert_eq!(
            out,
            json!({"type": "txn_ok", "txn": [["r", 1, null], ["w", 1, 5], ["append", 2, 7]]})
        );
    }
}
