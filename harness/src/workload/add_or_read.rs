//! The client shape shared by broadcast, g-set and the counters: an "add" op that sends one
//! field and expects an empty `*_ok`, and a `read` whose reply carries one field; plus the
//! 50/50 generator of sequential values (0, 1, 2, ...) and reads used by broadcast and g-set.

use std::time::Duration;

use glomers_model::Value;
use rand::rngs::StdRng;
use serde_json::{json, Map, Value as Json};

use super::{coin, simple_rpc, GenCtx, Generator, Invocation, Session};
use crate::client::RpcError;
use crate::schema::BodySchema;

/// How one workload spells its two RPCs.
pub struct AddOrRead {
    /// The add-like op's `f` and request `type` (`broadcast`, `add`).
    pub add: &'static str,
    /// The request field carrying the op's value (`message`, `element`, `delta`).
    pub add_field: &'static str,
    pub add_ok: &'static BodySchema,
    pub read_ok: &'static BodySchema,
    /// The `read_ok` field holding what was read (`messages`, `value`).
    pub read_field: &'static str,
}

impl AddOrRead {
    /// Run `op`: the add-like op completes with its own value, a read with what was read.
    pub async fn invoke(
        &self,
        session: &mut Session,
        node: &str,
        op: &Invocation,
        timeout: Duration,
    ) -> Result<Value, RpcError> {
        if op.f == self.add {
            let mut body = Map::new();
            body.insert("type".into(), Json::from(self.add));
            body.insert(self.add_field.into(), op.value.to_json());
            simple_rpc(session, node, Json::Object(body), self.add_ok, timeout).await?;
            Ok(op.value.clone())
        } else {
            let reply = simple_rpc(
                session,
                node,
                json!({"type": "read"}),
                self.read_ok,
                timeout,
            )
            .await?;
            Ok(Value::from_json(&reply[self.read_field]))
        }
    }
}

/// A 50/50 mix of `f` with the values 0, 1, 2, ... and `read`.
pub struct SequentialAdds {
    f: &'static str,
    next: i64,
}

impl SequentialAdds {
    pub fn new(f: &'static str) -> SequentialAdds {
        SequentialAdds { f, next: 0 }
    }
}

impl Generator for SequentialAdds {
    fn next(&mut self, _ctx: &GenCtx<'_>, rng: &mut StdRng) -> Option<Invocation> {
        Some(if coin(rng) {
            let v = self.next;
            self.next += 1;
            Invocation::new(self.f, Value::Int(v))
        } else {
            Invocation::new("read", Value::Nil)
        })
    }
}
