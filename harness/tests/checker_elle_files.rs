//! The `elle/<type>.txt` files against real Maelstrom's: the invalid local__maelstrom-0.2.5
//! txn-rw-register fixture run has `elle/G-single-item-realtime.txt`, `G2-item.txt` and
//! `G2-item-realtime.txt`.
//! * Rendering the cases of the fixture's own results.edn must give those files byte for byte.
//! * Checking the fixture's history with a run folder must write the same set of `.txt` files,
//!   each with the same cases (Elle's case order within a type is not reproduced, so cases are
//!   compared as a multiset with their `#i` headers dropped), and no other files.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use glomers_harness::checker::workload::txn::check_rw_register;
use glomers_harness::checker::workload::txn::elle_files::{is_cycle_type, render, Flavor};
use glomers_harness::checker::{NetCounts, RunFacts};
use glomers_model::{parse, parse_history, Value};

const RUN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shared/fixtures/maelstrom-store/txn-rw-register/local__maelstrom-0.2.5__20261122T034357.723Z"
);

fn txt_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".txt"))
        .collect()
}

/// A file's cases with their `<type> #i` header lines removed, sorted.
fn cases(text: &str) -> Vec<String> {
    let mut v: Vec<String> = text
        .split("\n\n\n")
        .map(|c| c.split_once('\n').map_or("", |(_, rest)| rest).to_string())
        .collect();
    v.sort();
    v
}

#[test]
fn rendering_the_fixture_results_gives_its_elle_files() {
    let results = parse(&std::fs::read_to_string(Path::new(RUN).join("results.edn")).unwrap())
        .expect("results.edn parses");
    let anomalies = results
        .get_in(&["workload", "anomalies"])
        .and_then(Value::as_map)
        .expect(":anomalies");
    let mut rendered = BTreeSet::new();
    for (k, cases) in anomalies {
        let name = k.as_keyword().unwrap();
        if !is_cycle_type(name) {
            continue;
        }
        let file = format!("{name}.txt");
        let expected = std::fs::read_to_string(Path::new(RUN).join("elle").join(&file)).unwrap();
        let got = render(cases.as_seq().unwrap(), Flavor::RwRegister);
        assert!(got == expected, "{file} differs:\n{got}\n---\n{expected}");
        rendered.insert(file);
    }
    assert_eq!(rendered, txt_files(&Path::new(RUN).join("elle")));
    assert_eq!(rendered.len(), 3);
}

#[test]
fn checking_the_fixture_history_writes_the_same_elle_files() {
    let history =
        parse_history(&std::fs::read_to_string(Path::new(RUN).join("history.edn")).unwrap())
            .expect("history parses");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let out: PathBuf =
        std::env::temp_dir().join(format!("glomers-elle-{}-{nanos}", std::process::id()));
    let facts = RunFacts {
        workload: "txn-rw-register".into(),
        nodes: vec!["n0".into()],
        availability: None,
        consistency_models: Vec::new(), // the run used Maelstrom's default, strict-serializable
        net: NetCounts::default(),
        dir: Some(out.clone()),
    };
    let r = check_rw_register(&history, &facts).expect("checker runs");
    assert_eq!(r.get("valid?"), Some(&Value::Bool(false)));
    let fixture = Path::new(RUN).join("elle");
    let names = txt_files(&out.join("elle"));
    assert_eq!(names, txt_files(&fixture));
    for name in &names {
        let got = std::fs::read_to_string(out.join("elle").join(name)).unwrap();
        let expected = std::fs::read_to_string(fixture.join(name)).unwrap();
        assert_eq!(cases(&got), cases(&expected), "{name}");
        let ty = name.trim_end_matches(".txt");
        assert!(
            got.starts_with(&format!("{ty} #0\nLet:\n  T1 = {{:index ")),
            "{name}"
        );
        assert!(got.ends_with(": a contradiction!"), "{name}");
    }
    // Only the text files: no plots without Graphviz.
    let all: Vec<_> = std::fs::read_dir(out.join("elle")).unwrap().collect();
    assert_eq!(all.len(), names.len());
    let _ = std::fs::remove_dir_all(&out);
}
