//! `:net` (MAELSTROM.md §5.4): message counts from the network journal.
//!
//! The counts themselves come from the harness's network (`RunFacts::net`); this checker adds
//! `:msgs-per-op = float(msg-count / op-count)` to `:all` and `:servers` only, where op-count is
//! the number of `:invoke` entries whose process is not the nemesis (every client op, final
//! reads included). With no such invokes the key is omitted. Always `:valid? true`.

use glomers_model::{Op, OpType, Value};

use super::util::{float32, int, is_client};
use super::{ClassCounts, RunFacts};

fn class_value(c: &ClassCounts, op_count: usize, per_op: bool) -> Value {
    let mut m = vec![
        (Value::kw("send-count"), int(c.send_count)),
        (Value::kw("recv-count"), int(c.recv_count)),
        (Value::kw("msg-count"), int(c.msg_count)),
    ];
    if per_op && op_count > 0 {
        m.push((
            Value::kw("msgs-per-op"),
            float32(c.msg_count as f64 / op_count as f64),
        ));
    }
    Value::Map(m)
}

/// Number of client (non-nemesis) invocations: the denominator of `:msgs-per-op`.
pub fn op_count(history: &[Op]) -> usize {
    history
        .iter()
        .filter(|op| op.typ == OpType::Invoke && is_client(op))
        .count()
}

/// The `:net` result map.
pub fn check(history: &[Op], facts: &RunFacts) -> Value {
    let n = op_count(history);
    glomers_model::edn_map! {
        "all" => class_value(&facts.net.all, n, true),
        "clients" => class_value(&facts.net.clients, n, false),
        "servers" => class_value(&facts.net.servers, n, true),
        "valid?" => Value::Bool(true),
    }
}
