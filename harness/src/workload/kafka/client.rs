//! The kafka client (MAELSTROM.md §6.6, maelstrom `workload/kafka.clj`): RPC schemas and what
//! each op does. The client keeps key → next offset to poll:
//! * `:send [[:send k v]]` → `send {key, msg}` → `[[:send k [offset v]]]`;
//! * `:poll [[:poll]]` → `poll {offsets}` with the current map (maybe `{}`), then every
//!   returned key's next offset becomes `max(offsets)+1` (merged with max), and if any pairs
//!   came back, `commit_offsets` of the highest polled offset per key → `[[:poll msgs]]`;
//! * `:assign [k...]` → with `:seek-to-beginning?` every key starts at 0; otherwise
//!   `list_committed_offsets` and each key keeps its current offset, else the committed one,
//!   else 0; keys outside the assignment are forgotten.
//!
//! `:crash` never reaches the client (see `Workload::crashes_client`).

use std::collections::BTreeMap;
use std::time::Duration;

use glomers_model::Value;
use serde_json::{json, Map, Value as Json};

use crate::client::RpcError;
use crate::schema::{req, BodySchema, Ty};
use crate::workload::{simple_rpc, Invocation, Session};

pub const SEND_OK: BodySchema = BodySchema {
    typ: "send_ok",
    fields: &[req("offset", Ty::Int)],
};
pub const POLL_OK: BodySchema = BodySchema {
    typ: "poll_ok",
    fields: &[req(
        "msgs",
        Ty::MapOf(&Ty::Seq(&Ty::Tuple(&[Ty::Int, Ty::Any]))),
    )],
};
pub const COMMIT_OFFSETS_OK: BodySchema = BodySchema {
    typ: "commit_offsets_ok",
    fields: &[],
};
pub const LIST_COMMITTED_OFFSETS_OK: BodySchema = BodySchema {
    typ: "list_committed_offsets_ok",
    fields: &[req("offsets", Ty::MapOf(&Ty::Int))],
};

/// Per-client state: key → next offset to poll.
#[derive(Debug, Default)]
pub struct ClientState {
    pub next: BTreeMap<String, i64>,
}

fn state(session: &mut Session) -> &mut ClientState {
    let s = session
        .state
        .get_or_insert_with(|| Box::new(ClientState::default()));
    if !s.is::<ClientState>() {
        *s = Box::new(ClientState::default());
    }
    s.downcast_mut::<ClientState>().expect("kafka client state")
}

fn first_mop(op: &Invocation) -> &[Value] {
    op.value
        .as_seq()
        .and_then(|m| m.first())
        .and_then(Value::as_seq)
        .unwrap_or_default()
}

/// Run one `:send`, `:poll` or `:assign` op; `Ok` is the completion value.
pub async fn invoke(
    session: &mut Session,
    node: &str,
    op: &Invocation,
    timeout: Duration,
) -> Result<Value, RpcError> {
    match op.f {
        "send" => send(session, node, op, timeout).await,
        "poll" => poll(session, node, timeout).await,
        _ => assign(session, node, op, timeout).await,
    }
}

async fn send(
    session: &mut Session,
    node: &str,
    op: &Invocation,
    timeout: Duration,
) -> Result<Value, RpcError> {
    let mop = first_mop(op);
    let key = mop.get(1).cloned().unwrap_or(Value::Nil);
    let msg = mop.get(2).cloned().unwrap_or(Value::Nil);
    let body = json!({"type": "send", "key": key.to_json(), "msg": msg.to_json()});
    let reply = simple_rpc(session, node, body, &SEND_OK, timeout).await?;
    let offset = Value::from_json(&reply["offset"]);
    Ok(Value::Vector(vec![Value::Vector(vec![
        Value::kw("send"),
        key,
        Value::Vector(vec![offset, msg]),
    ])]))
}

async fn poll(session: &mut Session, node: &str, timeout: Duration) -> Result<Value, RpcError> {
    let offsets: Map<String, Json> = state(session)
        .next
        .iter()
        .map(|(k, &o)| (k.clone(), Json::from(o)))
        .collect();
    let body = json!({"type": "poll", "offsets": offsets});
    let reply = simple_rpc(session, node, body, &POLL_OK, timeout).await?;
    let msgs = reply["msgs"].as_object().cloned().unwrap_or_default();
    let mut commit = Map::new();
    let st = state(session);
    for (k, pairs) in &msgs {
        let polled: Vec<i64> = pairs
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.get(0).and_then(Json::as_i64))
            .collect();
        let next = polled.iter().copied().fold(-1, i64::max) + 1;
        let e = st.next.entry(k.clone()).or_insert(next);
        *e = (*e).max(next);
        if let Some(&hi) = polled.iter().max() {
            commit.insert(k.clone(), Json::from(hi.max(0)));
        }
    }
    if !commit.is_empty() {
        let body = json!({"type": "commit_offsets", "offsets": commit});
        simple_rpc(session, node, body, &COMMIT_OFFSETS_OK, timeout).await?;
    }
    Ok(Value::Vector(vec![Value::Vector(vec![
        Value::kw("poll"),
        Value::from_json(&Json::Object(msgs)),
    ])]))
}

async fn assign(
    session: &mut Session,
    node: &str,
    op: &Invocation,
    timeout: Duration,
) -> Result<Value, RpcError> {
    let keys: Vec<String> = op
        .value
        .as_seq()
        .unwrap_or_default()
        .iter()
        .filter_map(|k| k.as_str().map(str::to_string))
        .collect();
    let seek = op
        .extra
        .iter()
        .any(|(k, v)| k == "seek-to-beginning?" && v.as_bool() == Some(true));
    let next = if seek {
        keys.iter().map(|k| (k.clone(), 0)).collect()
    } else {
        let body = json!({"type": "list_committed_offsets", "keys": keys});
        let reply = simple_rpc(session, node, body, &LIST_COMMITTED_OFFSETS_OK, timeout).await?;
        let current = &state(session).next;
        keys.iter()
            .map(|k| {
                let o = current
                    .get(k)
                    .copied()
                    .or_else(|| reply["offsets"].get(k).and_then(Json::as_i64))
                    .unwrap_or(0);
                (k.clone(), o)
            })
            .collect()
    };
    state(session).next = next;
    Ok(op.value.clone())
}
