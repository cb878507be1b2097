//! End-to-end kafka runs against the toy Python node (`tests/nodes/toy.py`): history shapes
//! as in real Maelstrom's kafka runs, the generator's statistics (key retirement, assigns,
//! crashes), the final phase polling up to the highest offsets, and the broken toy modes the
//! checker must flag.

mod e2e_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use e2e_support::{assert_shapes_within_fixtures, history, kinds, log, of_type, results, run, toy};
use glomers_model::{Op, OpType, Process, Value};

fn kafka_args<'a>(bin: &'a str, mode: &'a str, rate: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "-w",
        "kafka",
        "--bin",
        bin,
        mode,
        "--node-count",
        "1",
        "--time-limit",
        "4",
        "--rate",
        rate,
        "--recovery-time",
        "0.3",
    ];
    a.extend_from_slice(extra);
    a
}

/// The first op of the final phase: the first `:assign` with `:seek-to-beginning?`, minus the
/// crashes right before it.
fn final_start(ops: &[Op]) -> usize {
    let first_seek = ops
        .iter()
        .position(|op| op.extra("seek-to-beginning?").is_some())
        .expect("final assigns");
    let mut i = first_seek;
    while i > 0 && ops[i - 1].f == "crash" {
        i -= 1;
    }
    i
}

/// Highest offset per key over ok sends and polls of `ops`.
fn max_offsets(ops: &[&Op]) -> BTreeMap<String, i64> {
    let mut out = BTreeMap::new();
    let mut bump = |k: &Value, o: i64| {
        let e = out.entry(k.as_str().unwrap().to_string()).or_insert(o);
        *e = (*e).max(o);
    };
    for op in ops
        .iter()
        .filter(|op| op.typ == OpType::Ok && matches!(op.f.as_str(), "send" | "poll"))
    {
        let mop = &op.value.as_seq().unwrap()[0];
        let parts = mop.as_seq().unwrap();
        match op.f.as_str() {
            "send" => bump(&parts[1], parts[2].as_seq().unwrap()[0].as_i64().unwrap()),
            "poll" => {
                for (k, pairs) in parts[1].as_map().unwrap() {
                    let hi = pairs
                        .as_seq()
                        .unwrap()
                        .iter()
                        .map(|p| p.as_seq().unwrap()[0].as_i64().unwrap())
                        .fold(-1, i64::max);
                    bump(k, hi);
                }
            }
            _ => {}
        }
    }
    out
}

#[test]
fn kafka_toy_matches_maelstrom_shapes_and_final_polls_catch_up() {
    let bin = toy();
    let bin = bin.to_str().unwrap().to_string();
    let o = run(
        "kafka",
        &kafka_args(
            &bin,
            "kafka",
            "100",
            &[
                "--concurrency",
                "2n",
                "--availability",
                "0.9",
                "--seed",
                "11",
            ],
        ),
    );
    assert_eq!(o.code, 0, "{}", o.context());
    let r = results(&o, "kafka");
    assert_eq!(r.get_in(&["workload", "valid?"]), Some(&Value::Bool(true)));
    assert_eq!(r.get_in(&["stats", "valid?"]), Some(&Value::Bool(true)));
    // `:crash` ops are invoked and never ok, so availability is below 1 but above the goal.
    assert_eq!(
        r.get_in(&["availability", "valid?"]),
        Some(&Value::Bool(true))
    );
    let frac = r
        .get_in(&["availability", "ok-fraction"])
        .and_then(Value::as_f64)
        .unwrap();
    assert!((0.9..1.0).contains(&frac), "{frac}");
    for f in ["send", "poll", "assign", "crash"] {
        assert!(
            r.get_in(&["stats", "by-f", f]).is_some(),
            "stats by f has {f}"
        );
    }

    let ops = history(&o);
    let theirs = assert_shapes_within_fixtures(
        &ops,
        "kafka",
        &["send", "poll", "assign", "crash"],
        &[
            ("send", "invoke"),
            ("send", "ok"),
            ("poll", "invoke"),
            ("poll", "ok"),
            ("assign", "invoke"),
            ("assign", "ok"),
            ("crash", "invoke"),
            ("crash", "info"),
        ],
    );
    // And the main shapes are all there.
    let ours = e2e_support::shapes(&ops);
    for key in [
        ("send", "invoke"),
        ("send", "ok"),
        ("poll", "ok"),
        ("crash", "info"),
    ] {
        let k = (key.0.to_string(), key.1);
        assert_eq!(
            ours.get(&k).map(|s| &s.0),
            theirs.get(&k).map(|s| &s.0),
            "{key:?}"
        );
    }
    let crash_done: Vec<_> = ops.iter().filter(|op| op.f == "crash").collect();
    assert!(crash_done
        .iter()
        .all(|op| op.value == Value::Nil && matches!(op.typ, OpType::Invoke | OpType::Info)));

    // Final phase: each of the 2 threads crashes, assigns every known key from offset 0,
    // then polls until it has seen the main phase's highest offsets.
    let start = final_start(&ops);
    let main: Vec<&Op> = ops[..start].iter().collect();
    let fin = &ops[start..];
    let targets = max_offsets(&main);
    assert!(!targets.is_empty());
    assert_eq!(
        of_type(fin, OpType::Invoke)
            .filter(|op| op.f == "crash")
            .count(),
        2
    );
    let assigns: Vec<_> = of_type(fin, OpType::Ok)
        .filter(|op| op.f == "assign")
        .collect();
    assert_eq!(assigns.len(), 2);
    let mut keys: Vec<i64> = targets.keys().map(|k| k.parse().unwrap()).collect();
    keys.sort();
    let expect = Value::Vector(keys.iter().map(|k| Value::Str(k.to_string())).collect());
    assert!(assigns.iter().all(|op| op.value == expect), "{expect}");
    let mut procs = BTreeSet::new();
    for op in fin {
        if op.f == "poll" {
            assert_eq!(op.extra("poll-ms"), Some(&Value::Int(1000)));
        }
        if op.f == "assign" {
            assert_eq!(op.extra("seek-to-beginning?"), Some(&Value::Bool(true)));
        }
        if let (Process::Client(p), "poll") = (op.process, op.f.as_str()) {
            procs.insert(p);
        }
    }
    assert_eq!(procs.len(), 2, "one polling process per thread");
    for p in procs {
        let polls: Vec<&Op> = fin
            .iter()
            .filter(|op| op.process == Process::Client(p) && op.f == "poll")
            .collect();
        let seen = max_offsets(&polls);
        for (k, t) in &targets {
            assert!(
                seen.get(k).is_some_and(|s| s >= t),
                "process {p} polled {k} up to {:?}, target {t}",
                seen.get(k)
            );
        }
        // It stopped as soon as it caught up: without its last poll it had not.
        let before = max_offsets(&polls[..polls.len() - 2]);
        assert!(targets
            .iter()
            .any(|(k, t)| before.get(k).is_none_or(|s| s < t)));
    }
    let l = log(&o);
    assert!(l.contains("Waiting for recovery..."));
    // 4 s + 0.3 s recovery + a few final polls + setup/teardown; the 10 s cap would make
    // it at least 14.3 s.
    assert!(o.wall < Duration::from_secs(12), "wall {:?}", o.wall);
}

#[test]
fn kafka_generator_retires_keys_assigns_and_crashes() {
    let bin = toy();
    let bin = bin.to_str().unwrap().to_string();
    let o = run(
        "kafka-gen",
        &kafka_args(
            &bin,
            "kafka",
            "150",
            &[
                "--concurrency",
                "8",
                "--key-count",
                "3",
                "--max-writes-per-key",
                "5",
                "--seed",
                "5",
            ],
        ),
    );
    assert_eq!(o.code, 0, "{}", o.context());
    results(&o, "kafka");
    let ops = history(&o);
    let start = final_start(&ops);
    let main = &ops[..start];
    let invokes: Vec<&Op> = of_type(main, OpType::Invoke).collect();

    // Sends: values 1, 2, ... per key, at most 5 each; keys beyond the first 3 show up in
    // increasing order as keys retire.
    let mut values: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    let mut first_seen = Vec::new();
    for op in invokes.iter().filter(|op| op.f == "send") {
        let mop = op.value.as_seq().unwrap()[0].as_seq().unwrap();
        assert_eq!(mop[0], Value::kw("send"));
        let k: i64 = mop[1].as_str().expect("string keys").parse().unwrap();
        if !values.contains_key(&k) {
            first_seen.push(k);
        }
        values.entry(k).or_default().push(mop[2].as_i64().unwrap());
    }
    for (k, vs) in &values {
        let expect: Vec<i64> = (1..=vs.len() as i64).collect();
        assert_eq!(vs, &expect, "key {k}");
        assert!(vs.len() <= 5);
    }
    let full = values.values().filter(|vs| vs.len() == 5).count();
    assert!(full >= 3, "several keys reached 5 writes: {values:?}");
    assert!(values.keys().any(|&k| k >= 3), "retired keys were replaced");
    // A key joins the pool (as max + 1) only when one with 5 writes retires.
    let max_key = *values.keys().max().unwrap() as usize;
    assert!(max_key < 3 + full, "max key {max_key}, {full} full keys");
    assert!(first_seen.len() <= 3 + full);

    // Assigns: about 1 op in 64 (about 9 expected here).
    let assigns = invokes.iter().filter(|op| op.f == "assign").count();
    let n = invokes.len();
    assert!(n > 400, "{n} ops");
    assert!((1..=30).contains(&assigns), "{assigns} assigns in {n} ops");
    // Crashes: one due at once, then every 30/8 s on average; 8 more in the final phase.
    let crashes = invokes.iter().filter(|op| op.f == "crash").count();
    assert!((1..=8).contains(&crashes), "{crashes} main-phase crashes");
    let final_crashes = of_type(&ops[start..], OpType::Invoke)
        .filter(|op| op.f == "crash")
        .count();
    assert_eq!(final_crashes, 8);
    // Each crash retires its process: the thread's next op runs as process + 8.
    for op in main
        .iter()
        .filter(|op| op.f == "crash" && op.typ == OpType::Info)
    {
        let Process::Client(p) = op.process else {
            unreachable!()
        };
        assert!(
            !ops[op.index as usize + 1..]
                .iter()
                .any(|later| later.process == Process::Client(p)),
            "process {p} is gone after its crash"
        );
    }
}

fn broken(mode: &str, anomaly: &str) {
    let bin = toy();
    let bin = bin.to_str().unwrap().to_string();
    let o = run(
        mode,
        &kafka_args(&bin, mode, "100", &["--concurrency", "2n", "--seed", "2"]),
    );
    assert_eq!(o.code, 1, "{}", o.context());
    let r = results(&o, "kafka");
    assert_eq!(r.get_in(&["workload", "valid?"]), Some(&Value::Bool(false)));
    let bad = kinds(&r, "bad-error-types");
    assert!(bad.iter().any(|k| k == anomaly), "{mode}: {bad:?}");
    assert!(
        r.get_in(&["workload", anomaly]).is_some(),
        "{mode}: details of {anomaly}"
    );
}

#[test]
fn kafka_lose_is_a_lost_write() {
    broken("kafka-lose", "lost-write");
}

#[test]
fn kafka_dup_offset_is_inconsistent_offsets() {
    broken("kafka-dup-offset", "inconsistent-offsets");
}

#[test]
fn kafka_skip_is_a_poll_skip() {
    broken("kafka-skip", "poll-skip");
}
