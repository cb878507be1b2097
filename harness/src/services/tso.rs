//! lin-tso: a linearizable timestamp oracle. `ts` → `ts_ok {ts}`, integers from 0.

use serde_json::{json, Value as Json};

/// The lin-tso service state.
#[derive(Default)]
pub struct Tso {
    next: u64,
}

impl Tso {
    /// Handle one request; `Err` carries an unknown request type.
    pub fn handle(&mut self, body: &Json) -> Result<Json, String> {
        match body.get("type").and_then(Json::as_str).unwrap_or("") {
            "ts" => {
                let ts = self.next;
                self.next += 1;
                Ok(json!({"type": "ts_ok", "ts": ts}))
            }
            other => Err(other.to_string()),
        }
    }
}
