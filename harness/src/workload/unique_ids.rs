//! unique-ids (MAELSTROM.md §6.2): `generate` → `generate_ok {id}` (any JSON); the ok value is
//! the id. Reusable client.

use std::time::Duration;

use glomers_model::Value;
use rand::rngs::StdRng;
use serde_json::json;

use super::{simple_rpc, BoxFut, GenCtx, Generator, Invocation, Session, Workload};
use crate::cli::TestOpts;
use crate::client::RpcError;
use crate::schema::{req, BodySchema, Ty};

pub const GENERATE_OK: BodySchema = BodySchema {
    typ: "generate_ok",
    fields: &[req("id", Ty::Any)],
};

pub struct UniqueIds;

struct Gen;

impl Generator for Gen {
    fn next(&mut self, _ctx: &GenCtx<'_>, _rng: &mut StdRng) -> Option<Invocation> {
        Some(Invocation::new("generate", Value::Nil))
    }
}

impl Workload for UniqueIds {
    fn name(&self) -> &'static str {
        "unique-ids"
    }

    fn reusable_client(&self) -> bool {
        true
    }

    fn generator(&self, _opts: &TestOpts) -> Box<dyn Generator> {
        Box::new(Gen)
    }

    fn invoke<'a>(
        &'a self,
        session: &'a mut Session,
        node: &'a str,
        _op: &'a Invocation,
        timeout: Duration,
    ) -> BoxFut<'a, Result<Value, RpcError>> {
        Box::pin(async move {
            let reply = simple_rpc(
                session,
                node,
                json!({"type": "generate"}),
                &GENERATE_OK,
                timeout,
            )
            .await?;
            Ok(Value::from_json(&reply["id"]))
        })
    }
}
