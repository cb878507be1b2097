//! Cross-check of the lin-kv checker against real Maelstrom lin-kv runs
//! (`shared/fixtures/maelstrom-store/lin-kv/`): for each run, the checker on its history.edn
//! must reproduce results.edn's `:workload` verdict (one run valid, one invalid), the same
//! `:failures`, the same keys at every level of `:results`, and, key by key, the same
//! Knossos output: final configurations when valid; when invalid, the failing op,
//! `:previous-ok`, `:last-op`, the configurations before it and the set of final paths.
//! The files written per key (`independent/<k>/results.edn`, `history.edn`, `linear.svg`)
//! are compared with the run's `independent/` folder.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use glomers_harness::checker::workload::lin_kv;
use glomers_harness::checker::{NetCounts, RunFacts};
use glomers_model::{parse, parse_history, Value};

const STORE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/maelstrom-store/lin-kv"
);

fn runs() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(STORE)
        .expect("lin-kv fixtures")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|d| d.join("history.edn").is_file() && d.join("results.edn").is_file())
        .collect();
    v.sort();
    v
}

fn facts(dir: Option<PathBuf>) -> RunFacts {
    RunFacts {
        workload: "lin-kv".into(),
        nodes: vec!["n0".into()],
        availability: None,
        consistency_models: Vec::new(),
        net: NetCounts::default(),
        dir,
    }
}

/// Keyword keys of a map.
fn keys(v: &Value) -> BTreeSet<String> {
    v.as_map()
        .unwrap_or_default()
        .iter()
        .map(|(k, _)| k.to_string())
        .collect()
}

/// Drops record tags so `#knossos.model.CASRegister{:value 0}` compares as `{:value 0}`.
fn plain(v: &Value) -> Value {
    lin_kv::untag_records(v)
}

fn as_set(v: Option<&Value>) -> BTreeSet<String> {
    v.and_then(Value::as_seq)
        .unwrap_or_default()
        .iter()
        .map(|x| plain(x).to_string())
        .collect()
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("glomers-linkv-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn check_run(run: &Path, out: &Path) -> (Value, Value) {
    let history = parse_history(&std::fs::read_to_string(run.join("history.edn")).unwrap())
        .expect("fixture history parses");
    let expected = parse(&std::fs::read_to_string(run.join("results.edn")).unwrap()).unwrap();
    let expected = expected.get("workload").cloned().unwrap();
    let ours = lin_kv::check(&history, &facts(Some(out.to_path_buf()))).expect("checker runs");
    (ours, expected)
}

#[test]
fn reproduces_fixture_verdicts_and_knossos_output() {
    let runs = runs();
    assert_eq!(runs.len(), 2, "{runs:?}");
    let mut verdicts = Vec::new();
    for run in &runs {
        let out = temp_dir("fixture");
        let (ours, expected) = check_run(run, &out);
        let name = run.file_name().unwrap().to_string_lossy().to_string();
        assert_eq!(ours.get("valid?"), expected.get("valid?"), "{name}: {ours}");
        assert_eq!(ours.get("failures"), expected.get("failures"), "{name}");
        assert_eq!(keys(&ours), keys(&expected), "{name}");
        let (ours_r, exp_r) = (
            ours.get("results").unwrap(),
            expected.get("results").unwrap(),
        );
        assert_eq!(
            keys(ours_r),
            keys(exp_r),
            "{name}: same keys under :results"
        );
        for (k, exp_k) in exp_r.as_map().unwrap() {
            let ours_k = ours_r.get_value(k).unwrap();
            assert_eq!(keys(ours_k), keys(exp_k), "{name} key {k}");
            let (ol, el) = (
                ours_k.get("linearizable").unwrap(),
                exp_k.get("linearizable").unwrap(),
            );
            assert_eq!(keys(ol), keys(el), "{name} key {k} :linearizable keys");
            assert_eq!(ours_k.get("timeline"), exp_k.get("timeline"));
            for field in ["valid?", "op", "previous-ok", "last-op"] {
                assert_eq!(
                    ol.get(field).map(plain),
                    el.get(field).map(plain),
                    "{name} key {k} :{field}"
                );
            }
            for field in ["configs", "final-paths"] {
                assert_eq!(
                    as_set(ol.get(field)),
                    as_set(el.get(field)),
                    "{name} key {k} :{field}"
                );
            }
            // Files under independent/<k>/.
            let kdir = out.join("independent").join(k.to_string());
            let fixture_kdir = run.join("independent").join(k.to_string());
            let ours_file = parse(&std::fs::read_to_string(kdir.join("results.edn")).unwrap())
                .expect("our per-key results.edn parses");
            let their_file =
                parse(&std::fs::read_to_string(fixture_kdir.join("results.edn")).unwrap()).unwrap();
            assert_eq!(keys(&ours_file), keys(&their_file));
            assert_eq!(
                ours_file.get_in(&["linearizable", "valid?"]),
                their_file.get_in(&["linearizable", "valid?"])
            );
            assert!(
                !ours_file.to_string().contains("#knossos"),
                "per-key results.edn prints records as plain maps"
            );
            let our_hist =
                parse_history(&std::fs::read_to_string(kdir.join("history.edn")).unwrap()).unwrap();
            let their_hist =
                parse_history(&std::fs::read_to_string(fixture_kdir.join("history.edn")).unwrap())
                    .unwrap();
            assert_eq!(our_hist, their_hist, "{name}: independent/{k}/history.edn");
            assert!(kdir.join("timeline.html").is_file());
            assert_eq!(
                kdir.join("linear.svg").is_file(),
                el.get("valid?") == Some(&Value::Bool(false)),
                "linear.svg only for a non-linearizable key"
            );
        }
        verdicts.push(expected.get("valid?").cloned().unwrap());
        let _ = std::fs::remove_dir_all(&out);
    }
    verdicts.sort_by_key(|v| v.to_string());
    assert_eq!(verdicts, vec![Value::Bool(false), Value::Bool(true)]);
}
