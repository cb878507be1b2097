//! txn-rw-register and txn-list-append (MAELSTROM.md §6.8, §6.9): one `txn` RPC,
//! `{type:"txn", txn:[[f,k,v]...]}` → `{type:"txn_ok", txn:[...]}`, with micro-ops
//! `["r",k,null]` and `["w",k,v]` (or `["append",k,v]`); reads come back filled in (a
//! list-append read is a list or `null`). Ops are `{:f :txn, :value [[:w 8 1] [:r 6 nil]]}`
//! from Elle's `wr-txns` ([`super::elle_txns`]) over `--key-count` (default 10) integer keys,
//! `--max-txn-length` and `--max-writes-per-key`. Reusable client, empty idempotent set
//! (a definite error such as 30 txn-conflict is `:fail`, a timeout `:info`), no final phase.

use std::time::Duration;

use glomers_model::Value;
use rand::rngs::StdRng;
use serde_json::{json, Value as Json};

use super::elle_txns::{Mop, WrTxns, DEFAULT_KEY_COUNT};
use super::{simple_rpc, BoxFut, GenCtx, Generator, Invocation, Session, Workload};
use crate::cli::TestOpts;
use crate::client::RpcError;
use crate::schema::{req, BodySchema, Ty};

/// A read micro-op in a response: `["r", k, v]`.
const READ_RES: Ty = Ty::Tuple(&[Ty::Lit("r"), Ty::Any, Ty::Any]);
/// A list-append read: `["r", k, [elements] | null]`.
const READ_LIST_RES: Ty = Ty::Tuple(&[
    Ty::Lit("r"),
    Ty::Any,
    Ty::Either(&[Ty::Null, Ty::Seq(&Ty::Any)]),
]);
const WRITE: Ty = Ty::Tuple(&[Ty::Lit("w"), Ty::Any, Ty::Any]);
const APPEND: Ty = Ty::Tuple(&[Ty::Lit("append"), Ty::Any, Ty::Any]);

pub const TXN_OK_RW: BodySchema = BodySchema {
    typ: "txn_ok",
    fields: &[req("txn", Ty::Seq(&Ty::Either(&[READ_RES, WRITE])))],
};
pub const TXN_OK_APPEND: BodySchema = BodySchema {
    typ: "txn_ok",
    fields: &[req("txn", Ty::Seq(&Ty::Either(&[READ_LIST_RES, APPEND])))],
};

/// `append`: txn-list-append; otherwise txn-rw-register.
pub struct Txn {
    pub append: bool,
}

struct Gen {
    txns: WrTxns,
    write_f: &'static str,
}

impl Generator for Gen {
    fn next(&mut self, _ctx: &GenCtx<'_>, rng: &mut StdRng) -> Option<Invocation> {
        let txn = self.txns.next_txn(rng);
        let mops = txn
            .into_iter()
            .map(|m| match m {
                Mop::Read(k) => Value::Vector(vec![Value::kw("r"), int(k), Value::Nil]),
                Mop::Write(k, v) => Value::Vector(vec![Value::kw(self.write_f), int(k), int(v)]),
            })
            .collect();
        Some(Invocation::new("txn", Value::Vector(mops)))
    }
}

fn int(x: u64) -> Value {
    Value::Int(x as i64)
}

/// `[[:w 8 1] [:r 6 nil]]` → `[["w",8,1],["r",6,null]]`.
pub fn txn_to_json(txn: &Value) -> Json {
    let mops = txn.as_seq().unwrap_or_default();
    Json::Array(
        mops.iter()
            .map(|m| {
                let parts = m.as_seq().unwrap_or_default();
                let f = parts.first().and_then(Value::as_keyword).unwrap_or("r");
                let k = parts.get(1).map_or(Json::Null, Value::to_json);
                let v = parts.get(2).map_or(Json::Null, Value::to_json);
                json!([f, k, v])
            })
            .collect(),
    )
}

/// A (schema-checked) response `txn` back to EDN: `[[:r 6 3] [:w 8 1]]`.
pub fn txn_from_json(txn: &Json) -> Value {
    let mops = txn.as_array().map(Vec::as_slice).unwrap_or_default();
    Value::Vector(
        mops.iter()
            .map(|m| {
                let parts = m.as_array().map(Vec::as_slice).unwrap_or_default();
                let f = parts.first().and_then(Json::as_str).unwrap_or_default();
                let mut out = vec![Value::kw(f)];
                out.extend(parts.iter().skip(1).map(Value::from_json));
                Value::Vector(out)
            })
            .collect(),
    )
}

impl Workload for Txn {
    fn name(&self) -> &'static str {
        if self.append {
            "txn-list-append"
        } else {
            "txn-rw-register"
        }
    }

    fn reusable_client(&self) -> bool {
        true
    }

    fn generator(&self, opts: &TestOpts) -> Box<dyn Generator> {
        Box::new(Gen {
            txns: WrTxns::new(
                opts.key_count.unwrap_or(DEFAULT_KEY_COUNT),
                opts.max_txn_length,
                opts.max_writes_per_key,
            ),
            write_f: if self.append { "append" } else { "w" },
        })
    }

    fn invoke<'a>(
        &'a self,
        session: &'a mut Session,
        node: &'a str,
        op: &'a Invocation,
        timeout: Duration,
    ) -> BoxFut<'a, Result<Value, RpcError>> {
        Box::pin(async move {
            let body = json!({"type": "txn", "txn": txn_to_json(&op.value)});
            let schema = if self.append {
                &TXN_OK_APPEND
            } else {
                &TXN_OK_RW
            };
            let reply = simple_rpc(session, node, body, schema, timeout).await?;
            Ok(txn_from_json(&reply["txn"]))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txns_round_trip_through_json() {
        let v = glomers_model::edn::parse("[[:w 8 1] [:r 6 nil] [:append 3 2]]").unwrap();
        let j = txn_to_json(&v);
        assert_eq!(j, json!([["w", 8, 1], ["r", 6, null], ["append", 3, 2]]));
        let back = txn_from_json(&json!([["w", 8, 1], ["r", 6, [1, 2]]]));
        assert_eq!(back.to_string(), "[[:w 8 1] [:r 6 [1 2]]]");
    }

    #[test]
    fn schemas_accept_reads_and_writes_only() {
        let ok = |s: &BodySchema, txn: Json| {
            s.check(&json!({"type": "txn_ok", "in_reply_to": 1, "txn": txn}))
                .is_ok()
        };
        assert!(ok(
            &TXN_OK_RW,
            json!([["r", 1, 5], ["w", 2, 3], ["r", 3, null]])
        ));
        assert!(!ok(&TXN_OK_RW, json!([["append", 1, 5]])));
        assert!(!ok(&TXN_OK_RW, json!([["r", 1]])));
        assert!(ok(
            &TXN_OK_APPEND,
            json!([["r", 1, [1, 2]], ["r", 2, null], ["append", 1, 3]])
        ));
        assert!(!ok(&TXN_OK_APPEND, json!([["r", 1, 5]])));
        assert!(!ok(&TXN_OK_APPEND, json!([["w", 1, 5]])));
    }
}
