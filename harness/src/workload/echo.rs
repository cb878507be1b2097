//! echo (MAELSTROM.md §6.1): `echo {echo}` → `echo_ok {echo}`; ops are `"Please echo N"`,
//! N uniform in 0..=127; the ok value is the whole response body.

use std::time::Duration;

use glomers_model::Value;
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

use super::{simple_rpc, BoxFut, GenCtx, Generator, Invocation, Session, Workload};
use crate::cli::TestOpts;
use crate::client::RpcError;
use crate::edn_util::body_to_edn;
use crate::schema::{req, BodySchema, Ty};

pub const ECHO_OK: BodySchema = BodySchema {
    typ: "echo_ok",
    fields: &[req("echo", Ty::Any)],
};

pub struct Echo;

struct Gen;

impl Generator for Gen {
    fn next(&mut self, _ctx: &GenCtx<'_>, rng: &mut StdRng) -> Option<Invocation> {
        let n: u32 = rng.random_range(0..128);
        Some(Invocation::new(
            "echo",
            Value::Str(format!("Please echo {n}")),
        ))
    }
}

impl Workload for Echo {
    fn name(&self) -> &'static str {
        "echo"
    }

    fn generator(&self, _opts: &TestOpts) -> Box<dyn Generator> {
        Box::new(Gen)
    }

    fn invoke<'a>(
        &'a self,
        session: &'a mut Session,
        node: &'a str,
        op: &'a Invocation,
        timeout: Duration,
    ) -> BoxFut<'a, Result<Value, RpcError>> {
        Box::pin(async move {
            let echo = op.value.as_str().unwrap_or_default().to_string();
            let reply = simple_rpc(
                session,
                node,
                json!({"type": "echo", "echo": echo}),
                &ECHO_OK,
                timeout,
            )
            .await?;
            Ok(body_to_edn(&reply))
        })
    }
}
