//! Shared helpers for the kafka and txn end-to-end tests: running the `harness` binary on
//! the toy Python nodes, reading a run's files, and comparing history shapes with the real
//! Maelstrom runs under `shared/fixtures/maelstrom-store/`.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use glomers_model::history::parse_history;
use glomers_model::{edn, Op, OpType, Process, Value};

pub fn harness() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_harness"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/maelstrom-store")
}

/// The toy Python node. python3 is required (CI installs it): a missing interpreter fails
/// the test rather than skipping it.
pub fn python_node(file: &str) -> PathBuf {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "python3 is required for the harness's end-to-end tests (apt-get install python3)"
    );
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/nodes")
        .join(file)
}

/// `tests/nodes/toy.py`.
pub fn toy() -> PathBuf {
    python_node("toy.py")
}

#[path = "../../../test-support/workspace_bins.rs"]
mod workspace_bins;

/// A node binary of the workspace (see `test-support/workspace_bins.rs`): built in the same
/// profile and target folder as the test, so a clean clone works and no stale node code runs.
pub fn node_bin(name: &str) -> PathBuf {
    workspace_bins::workspace_bin(name)
}

pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The run folder (store/latest resolved).
    pub dir: PathBuf,
    pub wall: Duration,
    store: PathBuf,
}

impl Drop for Outcome {
    /// Remove the temporary store of a passing test; keep it when the test fails.
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.store);
        }
    }
}

impl Outcome {
    pub fn context(&self) -> String {
        format!(
            "exit {}\nstdout: {}\nstderr: {}\ndir: {}",
            self.code,
            self.stdout,
            self.stderr,
            self.dir.display()
        )
    }
}

/// `harness test <args> --store <temp>`.
pub fn run(tag: &str, args: &[&str]) -> Outcome {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let store =
        std::env::temp_dir().join(format!("glomers-e2e-{tag}-{}-{nanos}", std::process::id()));
    let start = Instant::now();
    let out = Command::new(harness())
        .arg("test")
        .args(args)
        .arg("--store")
        .arg(&store)
        .output()
        .expect("harness runs");
    let wall = start.elapsed();
    let dir = std::fs::canonicalize(store.join("latest")).unwrap_or_else(|_| store.join("latest"));
    Outcome {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        dir,
        wall,
        store,
    }
}

/// The fixture run folders of a workload that have a file `name`.
pub fn fixture_files(workload: &str, name: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fixtures().join(workload)) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path().join(name))
        .filter(|p| p.exists())
        .collect();
    files.sort();
    files
}

/// results.edn parsed, after checking it has every top-level key of the workload's fixture
/// results (all of Maelstrom's keys when the fixtures are absent).
pub fn results(o: &Outcome, workload: &str) -> Value {
    let text = std::fs::read_to_string(o.dir.join("results.edn"))
        .unwrap_or_else(|e| panic!("no results.edn: {e}\n{}", o.context()));
    let v = edn::parse(&text).expect("results.edn parses");
    let mut keys: BTreeSet<String> = fixture_files(workload, "results.edn")
        .iter()
        .filter_map(|p| edn::parse(&std::fs::read_to_string(p).ok()?).ok())
        .flat_map(|r| {
            r.as_map()
                .unwrap_or_default()
                .iter()
                .filter_map(|(k, _)| k.as_keyword().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .collect();
    if keys.is_empty() {
        keys = [
            "perf",
            "timeline",
            "exceptions",
            "stats",
            "availability",
            "net",
            "workload",
            "valid?",
        ]
        .map(String::from)
        .into();
    }
    for k in keys {
        assert!(v.get(&k).is_some(), "results.edn lacks :{k}: {text}");
    }
    v
}

pub fn history(o: &Outcome) -> Vec<Op> {
    let text = std::fs::read_to_string(o.dir.join("history.edn")).expect("history.edn");
    parse_history(&text).expect("history.edn parses")
}

pub fn log(o: &Outcome) -> String {
    std::fs::read_to_string(o.dir.join("jepsen.log")).expect("jepsen.log")
}

/// The client ops of every fixture history of a workload.
pub fn fixture_history(workload: &str) -> Vec<Op> {
    fixture_files(workload, "history.edn")
        .iter()
        .flat_map(|p| parse_history(&std::fs::read_to_string(p).unwrap()).expect("fixture parses"))
        .collect()
}

/// Structural paths of a value: collections as `=vec`/`=map`, leaves by type, keywords by
/// name; a micro-op (a vector of ≤ 3 starting with a keyword) by position, other vectors'
/// elements as `*`, map keys as `k` and values as `v`.
pub fn paths(v: &Value, at: &str, out: &mut BTreeSet<String>) {
    match v {
        Value::Vector(xs) | Value::List(xs) => {
            out.insert(format!("{at}=vec"));
            let mop = xs.len() <= 3 && matches!(xs.first(), Some(Value::Keyword(_)));
            for (i, x) in xs.iter().enumerate() {
                let seg = if mop { i.to_string() } else { "*".into() };
                paths(x, &format!("{at}.{seg}"), out);
            }
        }
        Value::Map(m) => {
            out.insert(format!("{at}=map"));
            for (k, x) in m {
                paths(k, &format!("{at}.k"), out);
                paths(x, &format!("{at}.v"), out);
            }
        }
        Value::Keyword(k) => {
            out.insert(format!("{at}=:{k}"));
        }
        Value::Int(_) => {
            out.insert(format!("{at}=int"));
        }
        Value::Str(_) => {
            out.insert(format!("{at}=str"));
        }
        Value::Nil => {
            out.insert(format!("{at}=nil"));
        }
        Value::Bool(_) => {
            out.insert(format!("{at}=bool"));
        }
        other => {
            out.insert(format!("{at}={other:?}"));
        }
    }
}

/// Per `(f, type)` of client ops: the union of value paths and the set of extra keys.
pub type Shapes = BTreeMap<(String, &'static str), (BTreeSet<String>, BTreeSet<String>)>;

pub fn shapes(ops: &[Op]) -> Shapes {
    let mut out = Shapes::new();
    for op in ops.iter().filter(|op| op.process != Process::Nemesis) {
        let e = out.entry((op.f.clone(), op.typ.as_str())).or_default();
        paths(&op.value, "", &mut e.0);
        e.1.extend(op.extra.iter().map(|(k, _)| k.clone()));
    }
    out
}

/// For every `(f, type)` (of the listed fs) that both our history and the fixtures have, our
/// value paths and extra keys must be ones the fixtures show; `required` combos must be among
/// those compared. Returns the fixture shapes.
pub fn assert_shapes_within_fixtures(
    ours: &[Op],
    workload: &str,
    fs: &[&str],
    required: &[(&str, &str)],
) -> Shapes {
    let theirs = shapes(&fixture_history(workload));
    assert!(!theirs.is_empty(), "no {workload} fixture histories");
    let mut compared = BTreeSet::new();
    for ((f, typ), (p, extra)) in shapes(ours) {
        if !fs.contains(&f.as_str()) {
            continue;
        }
        let Some((tp, textra)) = theirs.get(&(f.clone(), typ)) else {
            continue;
        };
        compared.insert((f.clone(), typ.to_string()));
        let missing: Vec<_> = p.difference(tp).collect();
        assert!(
            missing.is_empty(),
            "{f} {typ}: paths {missing:?} not in the fixtures ({tp:?})"
        );
        let missing: Vec<_> = extra.difference(textra).collect();
        assert!(
            missing.is_empty(),
            "{f} {typ}: extra keys {missing:?} not in the fixtures"
        );
    }
    for (f, typ) in required {
        assert!(
            compared.contains(&(f.to_string(), typ.to_string())),
            "{f} {typ} not compared (ours: {:?})",
            compared
        );
    }
    theirs
}

/// Ops of one type.
pub fn of_type(ops: &[Op], typ: OpType) -> impl Iterator<Item = &Op> {
    ops.iter().filter(move |op| op.typ == typ)
}

/// The workload's `:anomaly-types` / `:error-types` as keyword names.
pub fn kinds(r: &Value, key: &str) -> Vec<String> {
    r.get_in(&["workload", key])
        .and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .filter_map(|k| k.as_keyword().map(str::to_string))
        .collect()
}
