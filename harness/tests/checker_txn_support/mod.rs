//! Helpers for the txn checker tests: a history builder that takes transactions as EDN
//! (`"[[:r 1 2] [:w 2 3]]"`), run facts, and result accessors.
#![allow(dead_code)]

use glomers_harness::checker::workload::txn::{list_append, rw_register};
use glomers_harness::checker::{NetCounts, RunFacts};
use glomers_model::{parse, Op, OpType, Process, Value};

/// Builds a history; each call takes the next index and a time 1 ms later.
#[derive(Default)]
pub struct Txns {
    pub ops: Vec<Op>,
}

/// The invocation form of a txn: reads carry `nil`.
fn invocation(txn: &Value) -> Value {
    let mops = txn.as_seq().unwrap_or(&[]);
    Value::Vector(
        mops.iter()
            .map(|m| {
                let p = m.as_seq().unwrap();
                if p[0] == Value::kw("r") {
                    Value::Vector(vec![p[0].clone(), p[1].clone(), Value::Nil])
                } else {
                    m.clone()
                }
            })
            .collect(),
    )
}

impl Txns {
    pub fn new() -> Txns {
        Txns::default()
    }

    fn push(&mut self, typ: OpType, p: u64, value: Value) -> &mut Txns {
        let index = self.ops.len() as u64;
        self.ops.push(Op {
            index,
            time: 1_000_000 * (index + 1),
            typ,
            process: Process::Client(p),
            f: "txn".into(),
            value,
            extra: Vec::new(),
        });
        self
    }

    /// Invokes `txn` (reads as nil) on process `p`.
    pub fn invoke(&mut self, p: u64, txn: &str) -> &mut Txns {
        let v = invocation(&parse(txn).unwrap());
        self.push(OpType::Invoke, p, v)
    }

    /// Completes process `p`'s txn as `typ` with value `txn` (fail/info keep the invocation).
    pub fn complete(&mut self, p: u64, typ: OpType, txn: &str) -> &mut Txns {
        let v = parse(txn).unwrap();
        let v = if typ == OpType::Ok { v } else { invocation(&v) };
        self.push(typ, p, v)
    }

    /// Invoke then `:ok`.
    pub fn ok(&mut self, p: u64, txn: &str) -> &mut Txns {
        self.invoke(p, txn).complete(p, OpType::Ok, txn)
    }

    /// Invoke then `:fail` (with a definite error).
    pub fn fail(&mut self, p: u64, txn: &str) -> &mut Txns {
        self.invoke(p, txn).complete(p, OpType::Fail, txn);
        let last = self.ops.last_mut().unwrap();
        last.extra.push((
            "error".into(),
            Value::Vector(vec![Value::kw("txn-conflict"), Value::Str("no".into())]),
        ));
        self
    }

    /// Invoke then `:info` (timeout).
    pub fn info(&mut self, p: u64, txn: &str) -> &mut Txns {
        self.invoke(p, txn).complete(p, OpType::Info, txn);
        let last = self.ops.last_mut().unwrap();
        last.extra.push(("error".into(), Value::kw("net-timeout")));
        self
    }

    /// One op exactly as given (no invocation added): `bare(0, OpType::Ok, "[[:r :x [1]]]")`.
    pub fn bare(&mut self, p: u64, typ: OpType, txn: &str) -> &mut Txns {
        self.push(typ, p, parse(txn).unwrap())
    }

    /// Two txns run concurrently: both invoked, then both complete `:ok` (so no realtime
    /// order between them).
    pub fn concurrent(&mut self, p1: u64, t1: &str, p2: u64, t2: &str) -> &mut Txns {
        self.invoke(p1, t1)
            .invoke(p2, t2)
            .complete(p1, OpType::Ok, t1)
            .complete(p2, OpType::Ok, t2)
    }
}

pub fn facts(workload: &str, models: &[&str]) -> RunFacts {
    RunFacts {
        workload: workload.into(),
        nodes: vec!["n0".into()],
        availability: None,
        consistency_models: models.iter().map(|s| s.to_string()).collect(),
        net: NetCounts::default(),
        dir: None,
    }
}

/// The txn-rw-register `:workload` map under `models` (strict-serializable when empty).
pub fn rw(h: &Txns, models: &[&str]) -> Value {
    rw_register::check(&h.ops, &facts("txn-rw-register", models), 2_000_000)
        .unwrap_or_else(|e| panic!("rw-register checker failed: {e}"))
}

/// The txn-list-append `:workload` map under `models`.
pub fn la(h: &Txns, models: &[&str]) -> Value {
    list_append::check(&h.ops, &facts("txn-list-append", models), 2_000_000)
        .unwrap_or_else(|e| panic!("list-append checker failed: {e}"))
}

/// `:anomaly-types` as names.
pub fn types(r: &Value) -> Vec<String> {
    r.get("anomaly-types")
        .and_then(Value::as_seq)
        .map(|ts| {
            ts.iter()
                .map(|t| t.as_keyword().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// The cases of one anomaly type.
pub fn cases<'a>(r: &'a Value, name: &str) -> &'a [Value] {
    r.get("anomalies")
        .and_then(|a| a.get(name))
        .and_then(Value::as_seq)
        .unwrap_or(&[])
}

/// `:index` values of a cycle case's ops.
pub fn cycle_indices(case: &Value) -> Vec<i64> {
    case.get("cycle")
        .and_then(Value::as_seq)
        .unwrap()
        .iter()
        .map(|op| op.get("index").and_then(Value::as_i64).unwrap())
        .collect()
}

/// The `:type`s of a cycle case's steps.
pub fn step_types(case: &Value) -> Vec<String> {
    case.get("steps")
        .and_then(Value::as_seq)
        .unwrap()
        .iter()
        .map(|s| {
            s.get("type")
                .and_then(Value::as_keyword)
                .unwrap()
                .to_string()
        })
        .collect()
}

pub fn valid(r: &Value) -> Value {
    r.get("valid?").cloned().unwrap_or(Value::Nil)
}

/// Elle's test shorthand for list-append txns: `ax1` appends 1 to :x, `ry12` reads :y as
/// [1 2], `rx` reads :x as nil. Returns the txn as EDN.
pub fn short(s: &str) -> String {
    let mut mops: Vec<(char, char, Vec<char>)> = Vec::new();
    for c in s.chars() {
        match c {
            'a' | 'r' => mops.push((c, ' ', Vec::new())),
            'x' | 'y' | 'z' | 't' | 'u' => mops.last_mut().unwrap().1 = c,
            d => mops.last_mut().unwrap().2.push(d),
        }
    }
    let parts: Vec<String> = mops
        .into_iter()
        .map(|(f, k, vs)| {
            let vs: Vec<String> = vs.iter().map(char::to_string).collect();
            if f == 'a' {
                format!("[:append :{k} {}]", vs.join(""))
            } else if vs.is_empty() {
                format!("[:r :{k} nil]")
            } else {
                format!("[:r :{k} [{}]]", vs.join(" "))
            }
        })
        .collect();
    format!("[{}]", parts.join(" "))
}
