//! The g-counter workload's client RPCs: `add {delta}` → `add_ok`, `read` → `read_ok {value}`.
//!
//! Reply schemas are closed in Maelstrom: `add_ok` carries nothing but its type (plus
//! the `in_reply_to` the runtime adds) and `read_ok` exactly one integer `value`.

use serde::{Deserialize, Serialize};

/// A client request. Deltas are unsigned: a grow-only counter rejects negative ones
/// (the runtime answers them with error 12, malformed-request).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Add { delta: u64 },
    Read {},
}

/// A reply to a client.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    AddOk {},
    ReadOk { value: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wire_format() {
        let add: Request =
            serde_json::from_value(json!({"type":"add","delta":3,"msg_id":1})).unwrap();
        assert!(matches!(add, Request::Add { delta: 3 }));
        let read: Request = serde_json::from_value(json!({"type":"read","msg_id":2})).unwrap();
        assert!(matches!(read, Request::Read {}));
        assert!(serde_json::from_value::<Request>(json!({"type":"add","delta":-1})).is_err());
        assert_eq!(
            serde_json::to_value(Reply::AddOk {}).unwrap(),
            json!({"type":"add_ok"})
        );
        assert_eq!(
            serde_json::to_value(Reply::ReadOk { value: 7 }).unwrap(),
            json!({"type":"read_ok","value":7})
        );
    }
}
