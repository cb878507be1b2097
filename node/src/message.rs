//! Maelstrom message envelopes: parsing what arrives on stdin and shaping what leaves.
//!
//! Inbound lines may carry extra top-level keys (Maelstrom adds `id`); they are ignored.
//! Outbound envelopes carry exactly `src`, `dest` and `body`, because Maelstrom's schema
//! for node output is closed.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A message as it travels: a JSON body between two ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    pub src: String,
    pub dest: String,
    pub body: Value,
}

impl Envelope {
    /// One JSON line (without the newline).
    pub fn to_line(&self) -> String {
        // Serializing a struct of strings and a JSON value cannot fail.
        serde_json::to_string(self).expect("envelope serializes")
    }

    pub fn msg_type(&self) -> Option<&str> {
        self.body.get("type").and_then(Value::as_str)
    }

    pub fn msg_id(&self) -> Option<u64> {
        self.body.get("msg_id").and_then(Value::as_u64)
    }

    pub fn in_reply_to(&self) -> Option<u64> {
        self.body.get("in_reply_to").and_then(Value::as_u64)
    }
}

/// Why an input line could not be taken as a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("line is not JSON: {0}")]
    NotJson(String),
    #[error("message has no string `src`/`dest` or no object `body`")]
    BadEnvelope,
    #[error("message body has no string `type`")]
    NoType,
}

/// A line parsed as far as it goes, so a bad one can still be answered when possible.
#[derive(Debug)]
pub struct Parsed {
    pub envelope: Option<Envelope>,
    pub error: Option<InputError>,
}

/// Parse one stdin line into an envelope, tolerating unknown top-level keys.
pub fn parse_line(line: &str) -> Result<Envelope, (InputError, Option<Envelope>)> {
    let value: Value =
        serde_json::from_str(line).map_err(|e| (InputError::NotJson(e.to_string()), None))?;
    let Value::Object(mut top) = value else {
        return Err((InputError::BadEnvelope, None));
    };
    let src = take_string(&mut top, "src");
    let dest = take_string(&mut top, "dest");
    let body = top.remove("body");
    match (src, dest, body) {
        (Some(src), Some(dest), Some(body @ Value::Object(_))) => {
            let env = Envelope { src, dest, body };
            if env.msg_type().is_none() {
                Err((InputError::NoType, Some(env)))
            } else {
                Ok(env)
            }
        }
        (Some(src), Some(dest), _) => Err((
            InputError::BadEnvelope,
            // Keep the sender so the node can still answer if a msg_id is present.
            Some(Envelope {
                src,
                dest,
                body: Value::Object(Map::new()),
            }),
        )),
        _ => Err((InputError::BadEnvelope, None)),
    }
}

fn take_string(map: &mut Map<String, Value>, key: &str) -> Option<String> {
    match map.remove(key) {
        Some(Value::String(s)) => Some(s),
        _ => None,
    }
}

/// A typed request as a handler sees it.
#[derive(Debug, Clone)]
pub struct Message<T> {
    pub src: String,
    pub dest: String,
    pub msg_id: Option<u64>,
    pub in_reply_to: Option<u64>,
    pub body: T,
}

impl<T> Message<T> {
    /// The address to answer: sender and request id.
    pub fn reply_to(&self) -> ReplyTo {
        ReplyTo {
            dest: self.src.clone(),
            msg_id: self.msg_id,
        }
    }
}

/// Where a reply goes: kept by handlers that answer later (after an RPC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTo {
    pub dest: String,
    pub msg_id: Option<u64>,
}

/// Serialize a typed body to a JSON object and set (or clear) the reserved keys.
pub fn body_to_object<B: Serialize>(body: &B) -> Map<String, Value> {
    match serde_json::to_value(body) {
        Ok(Value::Object(map)) => map,
        Ok(other) => {
            // A body must be a JSON object; wrap anything else so the bug is visible.
            let mut map = Map::new();
            map.insert("type".into(), Value::String("invalid_body".into()));
            map.insert("value".into(), other);
            map
        }
        Err(e) => {
            let mut map = Map::new();
            map.insert("type".into(), Value::String("invalid_body".into()));
            map.insert("error".into(), Value::String(e.to_string()));
            map
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ignores_extra_top_level_keys() {
        let env =
            parse_line(r#"{"id":7,"src":"c1","dest":"n1","body":{"type":"echo","msg_id":1}}"#)
                .unwrap();
        assert_eq!(env.src, "c1");
        assert_eq!(env.msg_type(), Some("echo"));
        assert_eq!(env.msg_id(), Some(1));
        assert_eq!(
            env.to_line(),
            r#"{"src":"c1","dest":"n1","body":{"msg_id":1,"type":"echo"}}"#
        );
    }

    #[test]
    fn reports_what_is_wrong() {
        assert!(matches!(
            parse_line("nope"),
            Err((InputError::NotJson(_), None))
        ));
        assert!(matches!(
            parse_line("[1]"),
            Err((InputError::BadEnvelope, None))
        ));
        let (err, env) = parse_line(r#"{"src":"c1","dest":"n1","body":{"msg_id":3}}"#).unwrap_err();
        assert_eq!(err, InputError::NoType);
        assert_eq!(env.unwrap().msg_id(), Some(3));
        let (err, env) = parse_line(r#"{"src":"c1","dest":"n1","body":5}"#).unwrap_err();
        assert_eq!(err, InputError::BadEnvelope);
        assert_eq!(env.unwrap().src, "c1");
    }

    #[test]
    fn body_objects() {
        #[derive(Serialize)]
        #[serde(tag = "type", rename_all = "snake_case")]
        enum B {
            EchoOk { echo: Value },
        }
        let m = body_to_object(&B::EchoOk { echo: json!("x") });
        assert_eq!(Value::Object(m), json!({"type":"echo_ok","echo":"x"}));
    }
}
