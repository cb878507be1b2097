//! g-set (MAELSTROM.md §6.4): a 50/50 mix of `add {element}` (values 0, 1, 2, ...) and
//! `read` → `read_ok {value: [...]}`; one final read per thread (no `:final?` flag). No
//! `with-errors`: every failure is an `:info` with an exception.

use std::time::Duration;

use glomers_model::Value;
use rand::rngs::StdRng;
use serde_json::json;

use super::{coin, simple_rpc, BoxFut, GenCtx, Generator, Invocation, Session, Workload};
use crate::cli::TestOpts;
use crate::client::RpcError;
use crate::schema::{req, BodySchema, Ty};

pub const ADD_OK: BodySchema = BodySchema {
    typ: "add_ok",
    fields: &[],
};
pub const READ_OK: BodySchema = BodySchema {
    typ: "read_ok",
    fields: &[req("value", Ty::Seq(&Ty::Any))],
};

pub struct GSet;

struct Gen {
    next: i64,
}

impl Generator for Gen {
    fn next(&mut self, _ctx: &GenCtx<'_>, rng: &mut StdRng) -> Option<Invocation> {
        Some(if coin(rng) {
            let v = self.next;
            self.next += 1;
            Invocation::new("add", Value::Int(v))
        } else {
            Invocation::new("read", Value::Nil)
        })
    }
}

impl Workload for GSet {
    fn name(&self) -> &'static str {
        "g-set"
    }

    fn with_errors(&self) -> bool {
        false
    }

    fn generator(&self, _opts: &TestOpts) -> Box<dyn Generator> {
        Box::new(Gen { next: 0 })
    }

    fn final_op(&self) -> Option<Invocation> {
        Some(Invocation::new("read", Value::Nil))
    }

    fn invoke<'a>(
        &'a self,
        session: &'a mut Session,
        node: &'a str,
        op: &'a Invocation,
        timeout: Duration,
    ) -> BoxFut<'a, Result<Value, RpcError>> {
        Box::pin(async move {
            if op.f == "add" {
                let body = json!({"type": "add", "element": op.value.to_json()});
                simple_rpc(session, node, body, &ADD_OK, timeout).await?;
                Ok(op.value.clone())
            } else {
                let reply =
                    simple_rpc(session, node, json!({"type": "read"}), &READ_OK, timeout).await?;
                Ok(Value::from_json(&reply["value"]))
            }
        })
    }
}
