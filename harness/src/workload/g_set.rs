//! g-set (MAELSTROM.md §6.4): a 50/50 mix of `add {element}` (values 0, 1, 2, ...) and
//! `read` → `read_ok {value: [...]}`; one final read per thread (no `:final?` flag). No
//! `with-errors`: every failure is an `:info` with an exception.

use std::time::Duration;

use glomers_model::Value;

use super::add_or_read::{AddOrRead, SequentialAdds};
use super::{BoxFut, Generator, Invocation, Session, Workload};
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

const RPCS: AddOrRead = AddOrRead {
    add: "add",
    add_field: "element",
    add_ok: &ADD_OK,
    read_ok: &READ_OK,
    read_field: "value",
};

impl Workload for GSet {
    fn name(&self) -> &'static str {
        "g-set"
    }

    fn with_errors(&self) -> bool {
        false
    }

    fn generator(&self, _opts: &TestOpts) -> Box<dyn Generator> {
        Box::new(SequentialAdds::new("add"))
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
        Box::pin(RPCS.invoke(session, node, op, timeout))
    }
}
