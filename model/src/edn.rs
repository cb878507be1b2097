//! EDN values: the in-memory type and its accessors.
//!
//! Maps keep insertion order (Clojure prints small maps in insertion order and the
//! harness must print keys in Maelstrom's order). The reader, the printers and the
//! JSON bridge live in submodules and are re-exported here.

mod json;
mod pretty;
mod printer;
mod reader;

pub use pretty::{pretty, pretty_pprint, pretty_width, PPRINT_WIDTH, PRETTY_WIDTH};
pub use printer::{format_float, Printed};
pub(crate) use reader::parse_prefix_from;
pub use reader::{parse, parse_many, EdnError, Reader, MAX_DEPTH};

/// One EDN value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Nil,
    Bool(bool),
    Int(i64),
    /// An integer outside i64 (printed with an `N` suffix by Clojure); holds the digits, with sign.
    BigInt(String),
    Float(f64),
    Str(String),
    Char(char),
    /// A keyword without its leading colon: `valid?`, `maelstrom.client/timeout`.
    Keyword(String),
    Symbol(String),
    List(Vec<Value>),
    Vector(Vec<Value>),
    /// Key/value pairs in insertion order.
    Map(Vec<(Value, Value)>),
    Set(Vec<Value>),
    /// `#tag value`, e.g. `#jepsen.history.Op{...}`.
    Tagged(String, Box<Value>),
}

impl Value {
    /// A keyword value from its name (no colon).
    pub fn kw(name: &str) -> Value {
        Value::Keyword(name.to_string())
    }

    /// Look up a map entry by keyword name; sees through a tagged map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find_map(|(k, v)| match k {
                Value::Keyword(name) if name == key => Some(v),
                _ => None,
            }),
            Value::Tagged(_, inner) => inner.get(key),
            _ => None,
        }
    }

    /// Look up a map entry by any key value.
    pub fn get_value(&self, key: &Value) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find_map(|(k, v)| (k == key).then_some(v)),
            Value::Tagged(_, inner) => inner.get_value(key),
            _ => None,
        }
    }

    /// Follow a path of keyword names: `v.get_in(&["net", "servers", "msgs-per-op"])`.
    pub fn get_in(&self, path: &[&str]) -> Option<&Value> {
        path.iter().try_fold(self, |v, k| v.get(k))
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::BigInt(s) => s.parse().ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_keyword(&self) -> Option<&str> {
        match self {
            Value::Keyword(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// Elements of a list, vector or set.
    pub fn as_seq(&self) -> Option<&[Value]> {
        match self {
            Value::List(v) | Value::Vector(v) | Value::Set(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Value, Value)]> {
        match self {
            Value::Map(m) => Some(m),
            Value::Tagged(_, inner) => inner.as_map(),
            _ => None,
        }
    }
}

/// Build an EDN map with keyword keys: `edn_map! { "valid?" => Value::Bool(true) }`.
#[macro_export]
macro_rules! edn_map {
    ($($k:expr => $v:expr),* $(,)?) => {
        $crate::edn::Value::Map(vec![$(($crate::edn::Value::Keyword(($k).to_string()), $v)),*])
    };
}
