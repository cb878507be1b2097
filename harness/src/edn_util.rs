//! JSON → EDN as Maelstrom sees message bodies: keys become keywords at the first level of a
//! body only; nested maps keep string keys (MAELSTROM.md §2.1).

use glomers_model::Value;

/// A message body as the EDN map Maelstrom records (e.g. an echo op's ok value).
pub fn body_to_edn(body: &serde_json::Value) -> Value {
    Value::from_json(body).keywordize_keys()
}
