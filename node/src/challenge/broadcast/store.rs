//! `Store`: the values a node holds, by id, with their local arrival stamps, plus the
//! de-duplicated list a `read` returns.
//!
//! Values may be any JSON. Distinctness follows Maelstrom's (Clojure) equality closely
//! enough: non-negative integers, the workload's values, are keyed by the number itself
//! (cheap); anything else by its canonical JSON text (object keys sorted), so `1` and
//! `1.0` stay distinct and key order inside objects does not matter.

use std::collections::HashMap;

use serde_json::Value;

use super::idset::{Id, IdSet};

/// How a value is recognised as already held.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Uint(u64),
    Json(String),
}

impl Key {
    fn of(value: &Value) -> Key {
        match value.as_u64() {
            Some(n) if value.is_u64() => Key::Uint(n),
            _ => {
                let mut s = String::new();
                canonical(value, &mut s);
                Key::Json(s)
            }
        }
    }
}

/// JSON text with object keys in sorted order.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                canonical(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    /// Position of the value in `Store::values`.
    value: usize,
    /// Local stamp at which the id arrived (see `Engine`'s clock).
    arrival: u64,
    /// The value was pushed to every node by its origin (so peers most likely hold it
    /// already); otherwise it was relayed and may be news to everyone.
    wide: bool,
}

/// Everything a node holds.
#[derive(Debug, Default)]
pub struct Store {
    have: IdSet,
    entries: HashMap<Id, Entry>,
    values: Vec<Value>,
    index: HashMap<Key, usize>,
}

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    /// Ids held.
    pub fn have(&self) -> &IdSet {
        &self.have
    }

    /// Distinct values held, in arrival order: the body of `read_ok`.
    pub fn messages(&self) -> &[Value] {
        &self.values
    }

    pub fn arrival(&self, id: Id) -> Option<u64> {
        self.entries.get(&id).map(|e| e.arrival)
    }

    /// Whether the id came (or went) straight from its origin to every node.
    pub fn is_wide(&self, id: Id) -> bool {
        self.entries.get(&id).is_some_and(|e| e.wide)
    }

    pub fn value(&self, id: Id) -> Option<&Value> {
        self.entries.get(&id).map(|e| &self.values[e.value])
    }

    /// A value a client gave this node (`origin` is this node). Returns its new id,
    /// or `None` if an equal value is already held (it travels under its first id).
    /// `wide`: it is about to be pushed to every node.
    pub fn add_local(&mut self, origin: u32, value: Value, stamp: u64, wide: bool) -> Option<Id> {
        let key = Key::of(&value);
        if self.index.contains_key(&key) {
            return None;
        }
        let seq = self.have.origin(origin).map_or(0, |r| r.end());
        let id = Id::new(origin, seq);
        self.insert_keyed(id, key, value, stamp, wide);
        Some(id)
    }

    /// A value learnt from a peer (`wide`: sent by its origin to every node). True if
    /// the id was new.
    pub fn insert(&mut self, id: Id, value: Value, stamp: u64, wide: bool) -> bool {
        if let Some(e) = self.entries.get_mut(&id) {
            e.wide |= wide;
            return false;
        }
        let key = Key::of(&value);
        self.insert_keyed(id, key, value, stamp, wide);
        true
    }

    fn insert_keyed(&mut self, id: Id, key: Key, value: Value, stamp: u64, wide: bool) {
        let pos = match self.index.get(&key) {
            Some(&pos) => pos,
            None => {
                self.values.push(value);
                self.index.insert(key, self.values.len() - 1);
                self.values.len() - 1
            }
        };
        self.have.insert(id);
        self.entries.insert(
            id,
            Entry {
                value: pos,
                arrival: stamp,
                wide,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn local_values_get_dense_ids_and_duplicates_none() {
        let mut s = Store::new();
        assert_eq!(s.add_local(2, json!(7), 1, true), Some(Id::new(2, 0)));
        assert_eq!(s.add_local(2, json!("x"), 2, false), Some(Id::new(2, 1)));
        assert_eq!(s.add_local(2, json!(7), 3, false), None);
        assert_eq!(s.messages(), &[json!(7), json!("x")]);
        assert_eq!(s.arrival(Id::new(2, 1)), Some(2));
        assert!(s.is_wide(Id::new(2, 0)) && !s.is_wide(Id::new(2, 1)));
        // A relayed id becomes wide when its origin's own push turns up.
        assert!(!s.insert(Id::new(2, 1), json!("x"), 4, true));
        assert!(s.is_wide(Id::new(2, 1)));
    }

    #[test]
    fn equality_is_by_canonical_json() {
        let mut s = Store::new();
        assert!(s.insert(Id::new(0, 0), json!({"a": 1, "b": [1, 2]}), 1, false));
        // Same value under another id (two nodes accepted it): held once for reads.
        assert!(s.insert(Id::new(1, 0), json!({"b": [1, 2], "a": 1}), 2, false));
        assert!(!s.insert(Id::new(1, 0), json!(5), 3, false));
        assert!(s.insert(Id::new(1, 1), json!(1), 4, false));
        assert!(s.insert(Id::new(1, 2), json!(1.0), 5, false));
        assert!(s.insert(Id::new(1, 3), json!(-1), 6, false));
        assert!(s.insert(Id::new(1, 4), json!("1"), 7, false));
        assert_eq!(s.messages().len(), 5);
        assert_eq!(s.value(Id::new(1, 0)), Some(&json!({"a": 1, "b": [1, 2]})));
        assert_eq!(s.have().len(), 6);
    }
}
