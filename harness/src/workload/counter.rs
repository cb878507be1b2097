//! pn-counter and g-counter (MAELSTROM.md §6.5): a 50/50 mix of `add {delta}` (delta uniform
//! in -5..=4) and `read` → `read_ok {value: Int}`; g-counter drops negative deltas (so about
//! 1/3 adds with delta 0..=4). One final read per thread marked `:final? true`. No
//! `with-errors`: every failure is an `:info` with an exception.

use std::time::Duration;

use glomers_model::Value;
use rand::rngs::StdRng;
use rand::Rng;

use super::add_or_read::AddOrRead;
use super::{coin, BoxFut, GenCtx, Generator, Invocation, Session, Workload};
use crate::cli::TestOpts;
use crate::client::RpcError;
use crate::schema::{req, BodySchema, Ty};

pub const ADD_OK: BodySchema = BodySchema {
    typ: "add_ok",
    fields: &[],
};
pub const READ_OK: BodySchema = BodySchema {
    typ: "read_ok",
    fields: &[req("value", Ty::Int)],
};

const RPCS: AddOrRead = AddOrRead {
    add: "add",
    add_field: "delta",
    add_ok: &ADD_OK,
    read_ok: &READ_OK,
    read_field: "value",
};

/// `grow_only`: g-counter; otherwise pn-counter.
pub struct Counter {
    pub grow_only: bool,
}

struct Gen {
    grow_only: bool,
}

impl Generator for Gen {
    fn next(&mut self, _ctx: &GenCtx<'_>, rng: &mut StdRng) -> Option<Invocation> {
        loop {
            if coin(rng) {
                let delta: i64 = rng.random_range(-5..5);
                if self.grow_only && delta < 0 {
                    continue;
                }
                return Some(Invocation::new("add", Value::Int(delta)));
            }
            return Some(Invocation::new("read", Value::Nil));
        }
    }
}

impl Workload for Counter {
    fn name(&self) -> &'static str {
        if self.grow_only {
            "g-counter"
        } else {
            "pn-counter"
        }
    }

    fn with_errors(&self) -> bool {
        false
    }

    fn generator(&self, _opts: &TestOpts) -> Box<dyn Generator> {
        Box::new(Gen {
            grow_only: self.grow_only,
        })
    }

    fn final_op(&self) -> Option<Invocation> {
        Some(Invocation::new("read", Value::Nil).final_())
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
