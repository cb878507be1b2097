//! Temporary stress check.
use glomers_harness::checker::workload::txn::{check_list_append, check_rw_register};
use glomers_harness::checker::{NetCounts, RunFacts};
use glomers_model::{Op, OpType, Process, Value};
fn op(i: usize, typ: OpType, p: u64, v: Value) -> Op {
    Op {
        index: i as u64,
        time: i as u64 * 1000,
        typ,
        process: Process::Client(p),
        f: "txn".into(),
        value: v,
        extra: vec![],
    }
}
fn mop(f: &str, k: i64, v: Value) -> Value {
    Value::Vector(vec![Value::kw(f), Value::Int(k), v])
}
#[test]
fn stress() {
    // 5 concurrent processes, each txn reads a random key (stale or fresh) and writes another.
    let mut seed: u64 = 42;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let mut h = Vec::new();
    let mut last: Vec<i64> = vec![0; 50];
    let mut hist_vals: Vec<Vec<i64>> = vec![vec![]; 50];
    let mut appended: Vec<Vec<i64>> = vec![vec![]; 50];
    let list = std::env::var("LIST").is_ok();
    for t in 0..15000usize {
        let p = (t % 5) as u64;
        let k1 = rnd(50) as i64;
        let k2 = rnd(50) as i64;
        let (rv, rinv) = if list {
            let a = &appended[k1 as usize];
            let n = if a.is_empty() {
                0
            } else {
                rnd(a.len() as u64 + 1) as usize
            };
            (
                Value::Vector(a[..n].iter().map(|&x| Value::Int(x)).collect()),
                Value::Nil,
            )
        } else {
            let hv = &hist_vals[k1 as usize];
            let v = if hv.is_empty() || rnd(4) == 0 {
                Value::Nil
            } else {
                Value::Int(hv[rnd(hv.len() as u64) as usize])
            };
            (v, Value::Nil)
        };
        last[k2 as usize] += 1;
        let w = last[k2 as usize];
        let wf = if list { "append" } else { "w" };
        let inv = Value::Vector(vec![mop("r", k1, rinv), mop(wf, k2, Value::Int(w))]);
        let ok = Value::Vector(vec![mop("r", k1, rv), mop(wf, k2, Value::Int(w))]);
        let i = h.len();
        h.push(op(i, OpType::Invoke, p, inv));
        let i = h.len();
        h.push(op(i, OpType::Ok, p, ok));
        hist_vals[k2 as usize].push(w);
        appended[k2 as usize].push(w);
    }
    let f = RunFacts {
        workload: "x".into(),
        nodes: vec![],
        availability: None,
        consistency_models: std::env::var("MODELS").map(|m| vec![m]).unwrap_or_default(),
        net: NetCounts::default(),
        dir: None,
    };
    let t = std::time::Instant::now();
    let r = if list {
        check_list_append(&h, &f)
    } else {
        check_rw_register(&h, &f)
    }
    .unwrap();
    eprintln!("took {:?}", t.elapsed());
    let types = r.get("anomaly-types").map(|v| v.to_string());
    eprintln!("valid {:?} types {:?}", r.get("valid?"), types);
    if let Some(a) = r.get("anomalies").and_then(|a| a.as_map()) {
        for (k, v) in a {
            eprintln!("  {k}: {}", v.as_seq().map_or(0, |s| s.len()));
        }
    }
}
