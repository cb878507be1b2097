//! The key/value map behind lin-kv, seq-kv and lww-kv, and the `read`/`write`/`cas` request
//! semantics they share (MAELSTROM.md §7). Keys and values are arbitrary JSON compared by
//! JSON equality (`1`, `"1"` and `1.0` are three different keys).

use std::collections::HashMap;

use serde_json::{json, Value as Json};

/// A KV state. Keys are indexed by their canonical JSON text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KvMap {
    entries: HashMap<String, Json>,
}

/// What a request does to a state.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Reply with this body; the state stays as it is.
    Reply(Json),
    /// Set `key` to `value`, then reply with the body.
    Set {
        key: String,
        value: Json,
        reply: Json,
    },
}

impl Plan {
    /// The reply body.
    pub fn reply(&self) -> &Json {
        match self {
            Plan::Reply(r) | Plan::Set { reply: r, .. } => r,
        }
    }
}

/// An error reply body.
pub fn error(code: i64, text: &str) -> Json {
    json!({"type": "error", "code": code, "text": text})
}

fn canonical(key: &Json) -> String {
    serde_json::to_string(key).unwrap_or_default()
}

fn show(v: &Json) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl KvMap {
    /// The value at `key`.
    pub fn get(&self, key: &Json) -> Option<&Json> {
        self.entries.get(&canonical(key))
    }

    /// Apply a planned change.
    pub fn apply(&mut self, plan: &Plan) {
        if let Plan::Set { key, value, .. } = plan {
            self.entries.insert(key.clone(), value.clone());
        }
    }

    /// Work out a request against this state. `Err` carries the unknown request type.
    /// `honour_create` is false for lww-kv, which ignores `create_if_not_exists`.
    pub fn plan(&self, body: &Json, honour_create: bool) -> Result<Plan, String> {
        let typ = body.get("type").and_then(Json::as_str).unwrap_or("");
        let key = body.get("key").cloned().unwrap_or(Json::Null);
        let ck = canonical(&key);
        let cur = self.entries.get(&ck);
        Ok(match typ {
            "read" => match cur {
                Some(v) => Plan::Reply(json!({"type": "read_ok", "value": v})),
                None => Plan::Reply(error(20, "key does not exist")),
            },
            "write" => {
                let value = body.get("value").cloned().unwrap_or(Json::Null);
                let reply = json!({"type": "write_ok"});
                if cur == Some(&value) {
                    Plan::Reply(reply)
                } else {
                    Plan::Set {
                        key: ck,
                        value,
                        reply,
                    }
                }
            }
            "cas" => {
                let from = body.get("from").cloned().unwrap_or(Json::Null);
                let to = body.get("to").cloned().unwrap_or(Json::Null);
                let create = honour_create
                    && body
                        .get("create_if_not_exists")
                        .is_some_and(|v| v != &Json::Null && v != &Json::Bool(false));
                let reply = json!({"type": "cas_ok"});
                match cur {
                    None if create => Plan::Set {
                        key: ck,
                        value: to,
                        reply,
                    },
                    None => Plan::Reply(error(20, "key does not exist")),
                    Some(v) if *v != from => Plan::Reply(error(
                        22,
                        &format!("current value {} is not {}", show(v), show(&from)),
                    )),
                    Some(v) if *v == to => Plan::Reply(reply),
                    Some(_) => Plan::Set {
                        key: ck,
                        value: to,
                        reply,
                    },
                }
            }
            other => return Err(other.to_string()),
        })
    }
}
