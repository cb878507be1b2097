//! Helpers for the checker tests: a history builder and run facts.
#![allow(dead_code)]

use glomers_harness::checker::{NetCounts, RunFacts};
use glomers_model::{Op, OpType, Process, Value};

/// Builds a history with consecutive indices; times are given in nanoseconds.
#[derive(Default)]
pub struct H {
    pub ops: Vec<Op>,
}

impl H {
    pub fn new() -> H {
        H::default()
    }

    fn push(&mut self, time: u64, typ: OpType, process: Process, f: &str, value: Value) -> usize {
        let index = self.ops.len() as u64;
        self.ops.push(Op {
            index,
            time,
            typ,
            process,
            f: f.to_string(),
            value,
            extra: Vec::new(),
        });
        index as usize
    }

    pub fn invoke(&mut self, t: u64, p: u64, f: &str, v: Value) -> usize {
        self.push(t, OpType::Invoke, Process::Client(p), f, v)
    }
    pub fn ok(&mut self, t: u64, p: u64, f: &str, v: Value) -> usize {
        self.push(t, OpType::Ok, Process::Client(p), f, v)
    }
    pub fn fail(&mut self, t: u64, p: u64, f: &str, v: Value) -> usize {
        self.push(t, OpType::Fail, Process::Client(p), f, v)
    }
    pub fn info(&mut self, t: u64, p: u64, f: &str, v: Value) -> usize {
        self.push(t, OpType::Info, Process::Client(p), f, v)
    }
    pub fn nemesis(&mut self, t: u64, f: &str, v: Value) -> usize {
        self.push(t, OpType::Info, Process::Nemesis, f, v)
    }
    /// Adds an extra key to the last op.
    pub fn with(&mut self, k: &str, v: Value) -> &mut H {
        self.ops.last_mut().unwrap().extra.push((k.to_string(), v));
        self
    }

    /// invoke + ok of `f` with the same value (an add) for process `p`.
    pub fn call(&mut self, t0: u64, t1: u64, p: u64, f: &str, v: Value) {
        self.invoke(t0, p, f, v.clone());
        self.ok(t1, p, f, v);
    }

    /// A read: invoke (nil) then ok with `elements`.
    pub fn read(&mut self, t0: u64, t1: u64, p: u64, elements: &[i64]) -> (usize, usize) {
        let i = self.invoke(t0, p, "read", Value::Nil);
        let c = self.ok(t1, p, "read", ints(elements));
        (i, c)
    }
}

pub const MS: u64 = 1_000_000;

pub fn ints(xs: &[i64]) -> Value {
    Value::Vector(xs.iter().map(|&x| Value::Int(x)).collect())
}

pub fn list_ints(xs: &[i64]) -> Value {
    Value::List(xs.iter().map(|&x| Value::Int(x)).collect())
}

pub fn facts(workload: &str) -> RunFacts {
    RunFacts {
        workload: workload.to_string(),
        nodes: vec!["n0".into()],
        availability: None,
        consistency_models: Vec::new(),
        net: NetCounts::default(),
        dir: None,
    }
}

pub fn kw(s: &str) -> Value {
    Value::kw(s)
}

pub fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}

/// Keys of a map, as names.
pub fn keys(v: &Value) -> Vec<String> {
    v.as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_keyword().unwrap().to_string())
        .collect()
}

/// The `#jepsen.history.Op` map inside a tagged value.
pub fn op_map(v: &Value) -> &Value {
    match v {
        Value::Tagged(tag, inner) => {
            assert_eq!(tag, "jepsen.history.Op");
            inner
        }
        other => panic!("expected a tagged op, got {other:?}"),
    }
}
