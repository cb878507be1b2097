//! A kafka history builder for the checker tests: sends, polls and assigns with Maelstrom's
//! value shapes (`[[:send k v]]` → `[[:send k [offset v]]]`, `[[:poll]]` →
//! `[[:poll {k [[offset v] ...]}]]`). Every call advances time by 1 ms per op.
#![allow(dead_code)]

use glomers_harness::checker::workload::kafka;
use glomers_harness::checker::{NetCounts, RunFacts};
use glomers_model::{Op, OpType, Process, Value};

pub const MS: u64 = 1_000_000;

#[derive(Default)]
pub struct K {
    pub ops: Vec<Op>,
    pub t: u64,
}

pub fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

pub fn kw(x: &str) -> Value {
    Value::kw(x)
}

pub fn v(items: Vec<Value>) -> Value {
    Value::Vector(items)
}

/// `[[:send k msg]]`.
pub fn send_value(k: &str, msg: i64) -> Value {
    v(vec![v(vec![kw("send"), s(k), Value::Int(msg)])])
}

/// `[[:send k [offset msg]]]`.
pub fn sent_value(k: &str, offset: i64, msg: i64) -> Value {
    v(vec![v(vec![
        kw("send"),
        s(k),
        v(vec![Value::Int(offset), Value::Int(msg)]),
    ])])
}

/// `[[:poll {k [[o m] ...]}]]`.
pub fn polled_value(reads: &[(&str, &[(i64, i64)])]) -> Value {
    let m = reads
        .iter()
        .map(|(k, pairs)| {
            let pairs = pairs
                .iter()
                .map(|(o, m)| v(vec![Value::Int(*o), Value::Int(*m)]))
                .collect();
            (s(k), v(pairs))
        })
        .collect();
    v(vec![v(vec![kw("poll"), Value::Map(m)])])
}

impl K {
    pub fn new() -> K {
        K::default()
    }

    pub fn op(&mut self, typ: OpType, p: u64, f: &str, value: Value) -> usize {
        self.t += MS;
        let index = self.ops.len();
        self.ops.push(Op {
            index: index as u64,
            time: self.t,
            typ,
            process: Process::Client(p),
            f: f.to_string(),
            value,
            extra: Vec::new(),
        });
        index
    }

    /// An acknowledged send of `msg` to `k`, given `offset`. Returns the completion's index.
    pub fn send(&mut self, p: u64, k: &str, offset: i64, msg: i64) -> usize {
        self.op(OpType::Invoke, p, "send", send_value(k, msg));
        self.op(OpType::Ok, p, "send", sent_value(k, offset, msg))
    }

    /// A send that completes with `typ` (`:info` or `:fail`), keeping the invocation value.
    pub fn send_unsure(&mut self, p: u64, k: &str, msg: i64, typ: OpType) -> usize {
        self.op(OpType::Invoke, p, "send", send_value(k, msg));
        self.op(typ, p, "send", send_value(k, msg))
    }

    /// An ok poll returning `reads`. Returns the completion's index.
    pub fn poll(&mut self, p: u64, reads: &[(&str, &[(i64, i64)])]) -> usize {
        self.op(OpType::Invoke, p, "poll", poll_value());
        self.op(OpType::Ok, p, "poll", polled_value(reads))
    }

    /// An ok assign of `keys`.
    pub fn assign(&mut self, p: u64, keys: &[&str]) -> usize {
        let value = v(keys.iter().map(|k| s(k)).collect());
        self.op(OpType::Invoke, p, "assign", value.clone());
        self.op(OpType::Ok, p, "assign", value)
    }

    /// Adds an extra key to the last op.
    pub fn with(&mut self, k: &str, value: Value) {
        self.ops
            .last_mut()
            .unwrap()
            .extra
            .push((k.to_string(), value));
    }

    pub fn check(&self) -> Value {
        kafka::check(&self.ops, &facts()).unwrap_or_else(|e| panic!("checker error: {e}"))
    }

    pub fn check_err(&self) -> String {
        kafka::check(&self.ops, &facts()).expect_err("expected a checker error")
    }
}

/// `[[:poll]]`.
pub fn poll_value() -> Value {
    v(vec![v(vec![kw("poll")])])
}

pub fn facts() -> RunFacts {
    RunFacts {
        workload: "kafka".into(),
        nodes: vec!["n0".into()],
        availability: None,
        consistency_models: Vec::new(),
        net: NetCounts::default(),
        dir: None,
    }
}

/// Keyword names of a list value.
pub fn names(v: &Value) -> Vec<String> {
    v.as_seq()
        .unwrap()
        .iter()
        .map(|x| x.as_keyword().unwrap().to_string())
        .collect()
}

/// `:error-types` of a result, as names.
pub fn error_types(r: &Value) -> Vec<String> {
    names(r.get("error-types").unwrap())
}

/// `:bad-error-types` of a result, as names.
pub fn bad_types(r: &Value) -> Vec<String> {
    names(r.get("bad-error-types").unwrap())
}

/// The `:errs` of an error type.
pub fn errs<'a>(r: &'a Value, typ: &str) -> &'a [Value] {
    r.get(typ)
        .unwrap_or_else(|| panic!("no {typ} in {r}"))
        .get("errs")
        .unwrap()
        .as_seq()
        .unwrap()
}

/// Keys of a map value, as names.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_keyword().unwrap().to_string())
        .collect()
}

/// `:index` of a rendered `#jepsen.history.Op`.
pub fn op_index(v: &Value) -> i64 {
    match v {
        Value::Tagged(tag, m) if tag == "jepsen.history.Op" => {
            m.get("index").unwrap().as_i64().unwrap()
        }
        other => panic!("expected an op, got {other}"),
    }
}
