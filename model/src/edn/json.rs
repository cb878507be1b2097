//! Bridge between JSON (`serde_json::Value`) and EDN, for message bodies the harness
//! records in histories.
//!
//! `from_json` keeps object keys as strings; Maelstrom turns keys into keywords only at
//! the top level of a message and the first level of its body, so callers keywordize
//! where they need to with [`Value::keywordize_keys`].

use serde_json::Value as Json;

use super::Value;

impl Value {
    /// JSON to EDN: `null` → `nil`, integers → `Int` (or `BigInt` beyond i64), other
    /// numbers → `Float`, arrays → vectors, objects → maps with **string** keys in the
    /// order `serde_json` holds them.
    pub fn from_json(j: &Json) -> Value {
        match j {
            Json::Null => Value::Nil,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Value::BigInt(u.to_string())
                } else {
                    Value::Float(n.as_f64().unwrap_or(f64::NAN))
                }
            }
            Json::String(s) => Value::Str(s.clone()),
            Json::Array(items) => Value::Vector(items.iter().map(Value::from_json).collect()),
            Json::Object(map) => Value::Map(
                map.iter()
                    .map(|(k, v)| (Value::Str(k.clone()), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// EDN to JSON, as Maelstrom's JSON encoder writes EDN data: keywords and symbols
    /// become their name (`:ns/k` → `"ns/k"`), characters one-character strings, lists
    /// and sets arrays, map keys strings (non-string keys printed with `pr-str`), tagged
    /// values their inner value. `BigInt` becomes a number when it fits in u64 and a float
    /// otherwise (lossy); non-finite floats become `null`.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Nil => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::BigInt(digits) => match digits.parse::<u64>() {
                Ok(u) => Json::from(u),
                Err(_) => float_json(digits.parse().unwrap_or(f64::NAN)),
            },
            Value::Float(x) => float_json(*x),
            Value::Str(s) => Json::String(s.clone()),
            Value::Char(c) => Json::String(c.to_string()),
            Value::Keyword(k) | Value::Symbol(k) => Json::String(k.clone()),
            Value::List(items) | Value::Vector(items) | Value::Set(items) => {
                Json::Array(items.iter().map(Value::to_json).collect())
            }
            Value::Map(entries) => Json::Object(
                entries
                    .iter()
                    .map(|(k, v)| (json_key(k), v.to_json()))
                    .collect(),
            ),
            Value::Tagged(_, inner) => inner.to_json(),
        }
    }

    /// Turns the string keys of this map (one level only) into keywords, as Maelstrom
    /// does for a message's top level and its body's first level. Other values are
    /// returned unchanged.
    pub fn keywordize_keys(self) -> Value {
        match self {
            Value::Map(entries) => Value::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| match k {
                        Value::Str(s) => (Value::Keyword(s), v),
                        other => (other, v),
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

fn float_json(x: f64) -> Json {
    serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number)
}

fn json_key(k: &Value) -> String {
    match k {
        Value::Str(s) | Value::Keyword(s) | Value::Symbol(s) => s.clone(),
        other => other.to_string(),
    }
}
