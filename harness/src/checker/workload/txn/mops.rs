//! Micro-ops: parsing a txn op's `:value` (`[[:r k v] [:w k v] [:append k v] ...]`) and
//! interning keys and values as small integers (equal under Clojure `=`).

use std::collections::HashMap;

use glomers_model::{Op, Value};

use crate::checker::util::ValueKey;

/// Interns values: equal values (Clojure `=`) get the same id.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    ids: HashMap<ValueKey, u32>,
    values: Vec<Value>,
}

impl Interner {
    pub(crate) fn id(&mut self, v: &Value) -> u32 {
        let key = ValueKey::of(v);
        if let Some(&i) = self.ids.get(&key) {
            return i;
        }
        let i = self.values.len() as u32;
        self.ids.insert(key, i);
        self.values.push(v.clone());
        i
    }

    pub(crate) fn value(&self, id: u32) -> &Value {
        &self.values[id as usize]
    }
}

/// A micro-op's function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum MopF {
    Read,
    Write,
    Append,
}

/// One micro-op as written in the op.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawMop<'a> {
    pub f: MopF,
    pub key: &'a Value,
    pub value: &'a Value,
    /// The whole `[f k v]` value, for printing.
    pub mop: &'a Value,
}

static NIL: Value = Value::Nil;

/// The micro-ops of a txn op (`nil` is the empty txn). Anything else is an error, as
/// destructuring it in Clojure would be.
pub(crate) fn raw_mops(op: &Op) -> Result<Vec<RawMop<'_>>, String> {
    let mops = match &op.value {
        Value::Nil => return Ok(Vec::new()),
        v => v.as_seq().ok_or_else(|| {
            format!(
                "java.lang.IllegalArgumentException: txn value of op {} is not a sequence: {}",
                op.index, op.value
            )
        })?,
    };
    mops.iter()
        .map(|m| {
            let parts = m.as_seq().ok_or_else(|| {
                format!(
                    "java.lang.UnsupportedOperationException: nth not supported on micro-op {m} of op {}",
                    op.index
                )
            })?;
            let f = match parts.first().and_then(Value::as_keyword) {
                Some("r") => MopF::Read,
                Some("w") => MopF::Write,
                Some("append") => MopF::Append,
                _ => {
                    return Err(format!(
                        "java.lang.IllegalArgumentException: No matching clause: {} (op {})",
                        parts.first().unwrap_or(&NIL),
                        op.index
                    ))
                }
            };
            Ok(RawMop {
                f,
                key: parts.get(1).unwrap_or(&NIL),
                value: parts.get(2).unwrap_or(&NIL),
                mop: m,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use glomers_model::{OpType, Process};

    fn op(v: Value) -> Op {
        Op {
            index: 0,
            time: 0,
            typ: OpType::Ok,
            process: Process::Client(0),
            f: "txn".into(),
            value: v,
            extra: vec![],
        }
    }

    #[test]
    fn parses_and_interns() {
        let v = glomers_model::parse("[[:r 1 nil] [:w 1 2] [:append 3 [1]]]").unwrap();
        let o = op(v);
        let m = raw_mops(&o).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[1].f, MopF::Write);
        assert_eq!(m[2].f, MopF::Append);
        let mut i = Interner::default();
        assert_eq!(i.id(&Value::Int(5)), i.id(&Value::Int(5)));
        assert_ne!(i.id(&Value::Int(5)), i.id(&Value::Str("5".into())));
        assert!(raw_mops(&op(Value::Int(3))).is_err());
        assert!(raw_mops(&op(glomers_model::parse("[[:cas 1 2]]").unwrap())).is_err());
        assert!(raw_mops(&op(Value::Nil)).unwrap().is_empty());
    }
}
