//! End-to-end lin-kv runs against the Python test node `tests/nodes/lin_kv.py`: the correct
//! mode (a proxy to the `lin-kv` service) is linearizable, the broken mode (one map per node)
//! is caught with its key listed under `:failures`; results.edn holds every key the real
//! Maelstrom lin-kv runs' results.edn hold (top level, `:workload`, per key and
//! `:linearizable`); histories have the fixtures' shapes; `independent/<k>/` files are
//! written; a concurrency that is not a multiple of 2 × nodes crashes the run as Jepsen's
//! assertion does.

mod e2e_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use e2e_support::{assert_shapes_within_fixtures, history, python_node, results, run, Outcome};
use glomers_model::{edn, OpType, Value};

const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/maelstrom-store/lin-kv"
);

/// The lin-kv test node (python3 required).
fn node() -> PathBuf {
    python_node("lin_kv.py")
}

fn lin_kv(tag: &str, bin: &Path, mode: &str, extra: &[&str]) -> Outcome {
    let bin = bin.to_str().unwrap();
    let mut args = vec![
        "-w",
        "lin-kv",
        "--bin",
        bin,
        mode,
        "--node-count",
        "2",
        "--time-limit",
        "3",
        "--rate",
        "100",
    ];
    args.extend_from_slice(extra);
    run(tag, &args)
}

fn key_set(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_map)
        .unwrap_or_default()
        .iter()
        .map(|(k, _)| k.to_string())
        .collect()
}

/// Every key the fixtures' results.edn have under `:workload`, under each key's result and
/// under `:linearizable` (valid and invalid runs merged).
fn fixture_workload_keys() -> [BTreeSet<String>; 3] {
    let mut out: [BTreeSet<String>; 3] = Default::default();
    for e in std::fs::read_dir(FIXTURES).expect("lin-kv fixtures") {
        let p = e.unwrap().path().join("results.edn");
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let r = edn::parse(&text).unwrap();
        let w = r.get("workload").unwrap();
        out[0].extend(key_set(Some(w)));
        for (_, per_key) in w.get("results").and_then(Value::as_map).unwrap_or_default() {
            out[1].extend(key_set(Some(per_key)));
            out[2].extend(key_set(per_key.get("linearizable")));
        }
    }
    assert!(!out[2].is_empty(), "no lin-kv fixture results");
    out
}

/// Our `:linearizable` keys must include the fixture run's of the same verdict.
fn fixture_linearizable_keys(valid: bool) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for e in std::fs::read_dir(FIXTURES).unwrap() {
        let Ok(text) = std::fs::read_to_string(e.unwrap().path().join("results.edn")) else {
            continue;
        };
        let r = edn::parse(&text).unwrap();
        for (_, per_key) in r
            .get_in(&["workload", "results"])
            .and_then(Value::as_map)
            .unwrap_or_default()
        {
            let l = per_key.get("linearizable").unwrap();
            if l.get("valid?") == Some(&Value::Bool(valid)) {
                keys.extend(key_set(Some(l)));
            }
        }
    }
    keys
}

fn assert_has(ours: &BTreeSet<String>, theirs: &BTreeSet<String>, what: &str) {
    let missing: Vec<_> = theirs.difference(ours).collect();
    assert!(
        missing.is_empty(),
        "{what}: missing {missing:?} (ours {ours:?})"
    );
}

#[test]
fn proxy_to_lin_kv_service_is_linearizable() {
    let bin = node();
    let o = lin_kv("linkv-proxy", &bin, "proxy", &["--concurrency", "2n"]);
    assert_eq!(o.code, 0, "{}", o.context());
    let r = results(&o, "lin-kv");
    let w = r.get("workload").unwrap();
    assert_eq!(w.get("valid?"), Some(&Value::Bool(true)), "{w}");
    assert_eq!(w.get("failures"), Some(&Value::Vector(vec![])));

    // Every key the real runs' results.edn hold.
    let [wk, per_key, lin] = fixture_workload_keys();
    assert_has(&key_set(Some(w)), &wk, ":workload");
    let res = w.get("results").and_then(Value::as_map).unwrap();
    assert!(!res.is_empty());
    for (k, v) in res {
        assert_has(&key_set(Some(v)), &per_key, &format!("key {k}"));
        let l = key_set(v.get("linearizable"));
        assert_has(
            &l,
            &fixture_linearizable_keys(true),
            ":linearizable (valid)",
        );
        assert!(lin.is_superset(&l), "unexpected :linearizable keys {l:?}");
        let dir = o.dir.join("independent").join(k.to_string());
        for f in ["results.edn", "history.edn", "timeline.html"] {
            assert!(dir.join(f).is_file(), "{} lacks {f}", dir.display());
        }
        assert!(!dir.join("linear.svg").exists());
    }

    // Histories look like Maelstrom's: [k v] tuples, cas [k [from to]], errors on :fail.
    let ops = history(&o);
    assert_shapes_within_fixtures(
        &ops,
        "lin-kv",
        &["read", "write", "cas"],
        &[
            ("read", "invoke"),
            ("read", "ok"),
            ("write", "ok"),
            ("cas", "ok"),
            ("cas", "fail"),
        ],
    );
    // 2 nodes, 4 threads: threads 0 and 1 only read; 2 and 3 write and cas.
    for op in ops.iter().filter(|op| op.typ == OpType::Invoke) {
        let glomers_model::Process::Client(p) = op.process else {
            continue;
        };
        assert_eq!(op.f == "read", p % 4 < 2, "{}", op.to_edn_line());
    }
    let writes = ops.iter().filter(|op| op.f == "write").count();
    let cas = ops.iter().filter(|op| op.f == "cas").count();
    assert!(
        cas > writes,
        "write:cas is 1:2 ({writes} writes, {cas} cas)"
    );
}

#[test]
fn timed_out_writes_that_may_or_may_not_have_happened_are_linearizable() {
    let bin = node();
    let o = lin_kv("linkv-lossy", &bin, "lossy", &["--concurrency", "2n"]);
    let r = results(&o, "lin-kv");
    assert_eq!(
        r.get_in(&["workload", "valid?"]),
        Some(&Value::Bool(true)),
        "{}",
        o.context()
    );
    let ops = history(&o);
    let infos: Vec<_> = ops.iter().filter(|op| op.typ == OpType::Info).collect();
    assert!(infos.len() >= 2, "{} :info ops", infos.len());
    for op in &infos {
        assert!(
            op.f == "write" || op.f == "cas",
            "only writes and cas time out as :info"
        );
        assert_eq!(op.extra("error"), Some(&Value::kw("net-timeout")));
    }
    // The process that timed out is retired (process + concurrency).
    let p = match infos[0].process {
        glomers_model::Process::Client(p) => p,
        glomers_model::Process::Nemesis => unreachable!(),
    };
    assert!(ops
        .iter()
        .any(|op| op.process == glomers_model::Process::Client(p + 4)));
}

#[test]
fn one_map_per_node_is_caught() {
    let bin = node();
    let o = lin_kv("linkv-local", &bin, "local", &["--concurrency", "2n"]);
    assert_eq!(o.code, 1, "{}", o.context());
    let r = results(&o, "lin-kv");
    let w = r.get("workload").unwrap();
    assert_eq!(w.get("valid?"), Some(&Value::Bool(false)), "{w}");
    let failures = w.get("failures").and_then(Value::as_seq).unwrap();
    assert!(!failures.is_empty(), "{w}");
    for k in failures {
        let per_key = w.get("results").unwrap().get_value(k).unwrap();
        let l = per_key.get("linearizable").unwrap();
        assert_eq!(l.get("valid?"), Some(&Value::Bool(false)));
        assert_has(
            &key_set(Some(l)),
            &fixture_linearizable_keys(false),
            ":linearizable (invalid)",
        );
        let paths = l.get("final-paths").and_then(Value::as_seq).unwrap();
        assert!(
            paths
                .iter()
                .any(|p| p.to_string().contains("knossos.model.Inconsistent")),
            "{l}"
        );
        let dir = o.dir.join("independent").join(k.to_string());
        assert!(dir.join("linear.svg").is_file());
        let file = edn::parse(&std::fs::read_to_string(dir.join("results.edn")).unwrap()).unwrap();
        assert_eq!(file.get("valid?"), Some(&Value::Bool(false)));
    }
}

#[test]
fn concurrency_not_a_multiple_of_two_n_crashes() {
    let bin = node();
    // The default concurrency (1n) gives 2 threads; a key needs 4.
    let o = lin_kv("linkv-1n", &bin, "proxy", &[]);
    assert_eq!(o.code, 2, "{}", o.context());
    assert!(!o.dir.join("results.edn").exists());
    let log = std::fs::read_to_string(o.dir.join("jepsen.log")).unwrap();
    assert!(log.contains("at least 4"), "{log}");
}
