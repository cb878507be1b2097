//! broadcast (MAELSTROM.md §6.3): `topology` in client setup (5 s, failure crashes the run),
//! then a 50/50 mix of `broadcast` (values 0, 1, 2, ...) and `read`; one final read per
//! thread marked `:final? true`. `read` is idempotent.

use std::time::Duration;

use glomers_model::Value;
use serde_json::json;

use super::add_or_read::{AddOrRead, SequentialAdds};
use super::{BoxFut, Generator, Invocation, Session, Workload};
use crate::cli::TestOpts;
use crate::client::{Client, RpcError, DEFAULT_TIMEOUT};
use crate::schema::{req, BodySchema, Ty};
use crate::topology;

pub const TOPOLOGY_OK: BodySchema = BodySchema {
    typ: "topology_ok",
    fields: &[],
};
pub const BROADCAST_OK: BodySchema = BodySchema {
    typ: "broadcast_ok",
    fields: &[],
};
pub const READ_OK: BodySchema = BodySchema {
    typ: "read_ok",
    fields: &[req("messages", Ty::Seq(&Ty::Any))],
};

pub struct Broadcast;

const RPCS: AddOrRead = AddOrRead {
    add: "broadcast",
    add_field: "message",
    add_ok: &BROADCAST_OK,
    read_ok: &READ_OK,
    read_field: "messages",
};

impl Workload for Broadcast {
    fn name(&self) -> &'static str {
        "broadcast"
    }

    fn idempotent(&self, f: &str) -> bool {
        f == "read"
    }

    fn generator(&self, _opts: &TestOpts) -> Box<dyn Generator> {
        Box::new(SequentialAdds::new("broadcast"))
    }

    fn final_op(&self) -> Option<Invocation> {
        Some(Invocation::new("read", Value::Nil).final_())
    }

    fn setup<'a>(
        &'a self,
        client: &'a mut Client,
        node: &'a str,
        opts: &'a TestOpts,
    ) -> BoxFut<'a, Result<(), String>> {
        Box::pin(async move {
            let topo = topology::to_json(&topology::compute(opts.topology, &opts.nodes));
            client
                .rpc(
                    node,
                    json!({"type": "topology", "topology": topo}),
                    &TOPOLOGY_OK,
                    DEFAULT_TIMEOUT,
                )
                .await
                .map(|_| ())
                .map_err(|e| format!("topology RPC to {node} failed: {}", e.message()))
        })
    }

    fn invoke<'a>(
        &'a self,
        session: &'a mut Session,
        node: &'a str,
        op: &'a Invocation,
        timeout: Duration,
    ) -> BoxFut<'a, Result<Value, RpcError>> {
        Box::pin(RPCS.invoke(session, node, op, timeout))
    }
}
