//! kafka checker against real Maelstrom runs: for every kafka fixture run with a history.edn,
//! the `:workload` map must equal results.edn's exactly (key order included), and the
//! checker must run fast in release builds.

use std::path::{Path, PathBuf};
use std::time::Instant;

use glomers_harness::checker::workload::{self, kafka};
use glomers_harness::checker::{NetCounts, RunFacts};
use glomers_model::{parse, parse_history, Value};

const STORE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/maelstrom-store"
);

fn runs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(Path::new(STORE).join("kafka"))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    v.retain(|d| d.join("history.edn").is_file() && d.join("results.edn").is_file());
    v.sort();
    v
}

fn facts() -> RunFacts {
    RunFacts {
        workload: "kafka".into(),
        nodes: vec!["n0".into()],
        availability: None,
        consistency_models: Vec::new(),
        net: NetCounts::default(),
        dir: None,
    }
}

#[test]
fn kafka_fixtures_match_results_edn() {
    let dirs = runs();
    assert!(dirs.len() >= 2, "expected 2 kafka runs with history.edn");
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let mut history = parse_history(&std::fs::read_to_string(dir.join("history.edn")).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let fixed = values_from_history_txt(&dir, &mut history);
        if fixed > 0 {
            eprintln!("{name}: took {fixed} op values from history.txt");
        }
        let expected = parse(&std::fs::read_to_string(dir.join("results.edn")).unwrap())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = expected.get("workload").unwrap();
        let got = workload::check(&history, &facts());
        assert_eq!(&got, want, "{name}:\n  got  {got}\n  want {want}");
        eprintln!("matched {name}");
    }
}

/// Jepsen 0.3.1 (the 2023 runs) wrote the final phase's ops to history.edn as the generator
/// saw them (assign keys turned back into integers, polls without their results), while
/// history.txt and jepsen.log show what the client returned and the checker analysed. Takes
/// each op's value from history.txt where the two differ; returns how many were replaced.
fn values_from_history_txt(dir: &Path, history: &mut [glomers_model::Op]) -> usize {
    let Ok(txt) = std::fs::read_to_string(dir.join("history.txt")) else {
        return 0;
    };
    let lines: Vec<&str> = txt.lines().collect();
    assert_eq!(
        lines.len(),
        history.len(),
        "history.txt and history.edn differ in length"
    );
    let mut fixed = 0;
    for (op, line) in history.iter_mut().zip(lines) {
        let value = parse(line.split('\t').nth(3).unwrap()).unwrap();
        if value != op.value {
            op.value = value;
            fixed += 1;
        }
    }
    fixed
}

/// The crashed fixture run has no history.edn; its results.edn shows the Jepsen crash
/// this checker reproduces as an `Err` (see `checker_kafka_crashes.rs`).
#[test]
fn crashed_fixture_is_an_index_out_of_bounds_in_lost_write_cases() {
    let dir = Path::new(STORE)
        .join("kafka/Emmanuel32__distributed-systems-practice__20230514T214655.917-0400");
    let results = parse(&std::fs::read_to_string(dir.join("results.edn")).unwrap()).unwrap();
    let w = results.get("workload").unwrap();
    assert_eq!(w.get("valid?"), Some(&Value::kw("unknown")));
    let err = w.get("error").unwrap().as_str().unwrap();
    assert!(err.contains("IndexOutOfBoundsException") && err.contains("lost_write_cases"));
}

/// The crashed run kept only history.txt (process, type, f, value). Rebuilt from it (with
/// made-up times), the history makes this checker fail the way Jepsen did: an
/// IndexOutOfBoundsException in lost-write-cases.
#[test]
fn crashed_fixture_history_txt_crashes_the_same_way() {
    let dir = Path::new(STORE)
        .join("kafka/Emmanuel32__distributed-systems-practice__20230514T214655.917-0400");
    let txt = std::fs::read_to_string(dir.join("history.txt")).unwrap();
    let history: Vec<glomers_model::Op> = txt
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let cols: Vec<&str> = line.split('\t').collect();
            let kw = |c: &str| c.trim_start_matches(':').to_string();
            glomers_model::Op {
                index: i as u64,
                time: i as u64 * 1_000_000,
                typ: glomers_model::OpType::from_name(&kw(cols[1])).unwrap(),
                process: glomers_model::Process::Client(cols[0].parse().unwrap()),
                f: kw(cols[2]),
                value: parse(cols[3]).unwrap(),
                extra: Vec::new(),
            }
        })
        .collect();
    let err = kafka::check(&history, &facts()).expect_err("Jepsen crashed on this run");
    assert!(err.contains("IndexOutOfBoundsException"), "{err}");
    eprintln!("{err}");
}

/// A synthetic 20 000-op history (4 processes sending and polling 30 keys, an assign now
/// and then) must be checked in well under 2 s in release builds.
#[test]
fn twenty_thousand_ops_are_fast() {
    let history = synthetic(20_000);
    let t0 = Instant::now();
    let r = kafka::check(&history, &facts()).unwrap();
    let took = t0.elapsed();
    eprintln!("20000 ops checked in {took:?}");
    assert_eq!(r.get("valid?"), Some(&Value::Bool(true)), "{r}");
    if !cfg!(debug_assertions) {
        assert!(took.as_secs_f64() < 2.0, "took {took:?}");
    }
}

/// Sends and polls of a correct single log per key; every process polls everything at the end.
struct Synth {
    ops: Vec<glomers_model::Op>,
    logs: Vec<Vec<i64>>,
    next_poll: Vec<Vec<usize>>,
}

impl Synth {
    fn push(&mut self, typ: glomers_model::OpType, p: u64, f: &str, value: Value) {
        let index = self.ops.len() as u64;
        self.ops.push(glomers_model::Op {
            index,
            time: (index + 1) * 1_000_000,
            typ,
            process: glomers_model::Process::Client(p),
            f: f.into(),
            value,
            extra: Vec::new(),
        });
    }

    fn send(&mut self, p: u64, k: usize) {
        use glomers_model::OpType;
        let key = Value::Str(k.to_string());
        let msg = self.logs[k].len() as i64 + 1;
        let offset = msg - 1;
        self.logs[k].push(msg);
        let mop =
            |v: Value| Value::Vector(vec![Value::Vector(vec![Value::kw("send"), key.clone(), v])]);
        self.push(OpType::Invoke, p, "send", mop(Value::Int(msg)));
        let done = mop(Value::Vector(vec![Value::Int(offset), Value::Int(msg)]));
        self.push(OpType::Ok, p, "send", done);
    }

    fn poll(&mut self, p: u64) {
        use glomers_model::OpType;
        let inv = Value::Vector(vec![Value::Vector(vec![Value::kw("poll")])]);
        self.push(OpType::Invoke, p, "poll", inv);
        let mut m = Vec::new();
        for (k, log) in self.logs.iter().enumerate() {
            let from = self.next_poll[p as usize][k];
            if from >= log.len() {
                continue;
            }
            let pairs = (from..log.len())
                .map(|o| Value::Vector(vec![Value::Int(o as i64), Value::Int(log[o])]))
                .collect();
            self.next_poll[p as usize][k] = log.len();
            m.push((Value::Str(k.to_string()), Value::Vector(pairs)));
        }
        let done = Value::Vector(vec![Value::Vector(vec![Value::kw("poll"), Value::Map(m)])]);
        self.push(OpType::Ok, p, "poll", done);
    }
}

fn synthetic(n: usize) -> Vec<glomers_model::Op> {
    let mut s = Synth {
        ops: Vec::new(),
        logs: vec![Vec::new(); 30],
        next_poll: vec![vec![0; 30]; 4],
    };
    let mut i = 0usize;
    while s.ops.len() + 8 < n {
        let p = (i % 4) as u64;
        match i % 2 {
            0 => s.send(p, (i * 7 + i / 13) % 30),
            _ => s.poll(p),
        }
        i += 1;
    }
    for p in 0..4 {
        s.poll(p);
    }
    s.ops
}
