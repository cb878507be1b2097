//! Test identity read from every real `jepsen.log` of the shared fixtures: each names its
//! workload and binary with no unknown flag; runs of fly.io's commands get their challenge id;
//! equal tests written differently (flag order, spelled-out defaults, another path to the
//! same binary) are one test, and different rates, node counts or binaries are not.

mod common;

use std::collections::HashMap;

use glomers_dashboard::identity::test_id::{parse, TestIdentity};
use glomers_dashboard::rundir::jepsen_log::command_line;

/// `run id → (command line, test)` of every fixture with a command line.
fn fixture_tests() -> HashMap<String, (String, TestIdentity)> {
    let mut out = HashMap::new();
    for r in common::fixture_runs(&common::fixtures()) {
        let Ok(log) = std::fs::read_to_string(r.path.join("jepsen.log")) else {
            continue;
        };
        let cmd = command_line(&log).unwrap_or_else(|| panic!("{}: no command line", r.id));
        out.insert(r.id.clone(), (cmd.clone(), parse(&cmd)));
    }
    out
}

fn find<'a>(tests: &'a HashMap<String, (String, TestIdentity)>, part: &str) -> &'a TestIdentity {
    let hits: Vec<_> = tests.iter().filter(|(id, _)| id.contains(part)).collect();
    assert_eq!(
        hits.len(),
        1,
        "{part}: {:?}",
        hits.iter().map(|h| h.0).collect::<Vec<_>>()
    );
    &hits[0].1 .1
}

#[test]
fn every_fixture_log_names_its_test() {
    let tests = fixture_tests();
    assert!(tests.len() >= 20, "fixture logs read: {}", tests.len());
    for (id, (cmd, t)) in &tests {
        let workload = id.split('/').next().unwrap();
        assert_eq!(t.workload, workload, "{id}: {cmd}");
        assert!(t.unknown.is_empty(), "{id}: {:?}", t.unknown);
        let bin = t
            .bin
            .as_deref()
            .unwrap_or_else(|| panic!("{id}: no binary"));
        assert!(
            !bin.contains('/'),
            "{id}: binary by file name, not path: {bin}"
        );
        assert!(cmd.contains(bin));
    }
}

#[test]
fn fly_commands_get_their_challenge_ids() {
    let tests = fixture_tests();
    let name = |part: &str| find(&tests, part).name.clone();
    assert_eq!(
        name("Emmanuel32__distributed-systems-practice__20230510T011652"),
        "1"
    );
    assert_eq!(
        name("Shresth72__distributed_systems_jepsen__20240919T133742"),
        "1"
    );
    assert_eq!(
        name("Shresth72__distributed_systems_jepsen__20240518T142728"),
        "3a"
    );
    assert_eq!(name("pankajads__maelstrom_test__20240222T073144"), "3b");
    assert_eq!(name("20230511T014817.269"), "3c");
    // fly.io's 3d/3e command with partitions, without this project's word for the node.
    assert_eq!(name("20230511T033437.888"), "3d/3e-partition");
    assert_eq!(name("GooGrand__dist_systems"), "4");
    assert_eq!(name("punchanabu__glossim-glomers"), "4");
    assert_eq!(
        name("kafka/Emmanuel32__distributed-systems-practice__20230514T220346"),
        "5a"
    );
    assert_eq!(name("20240919T142314.276"), "6a");
    // Not fly.io's: a 10 s unique-ids run (fly.io's is 30 s) and a 1-node g-counter.
    assert_eq!(
        name("unique-ids/yjcsivsuk__goosip-glomers__20240313"),
        "unique-ids 3n 1000/s partition 10s"
    );
    assert!(find(&tests, "g-counter/Emmanuel32").challenge.is_none());
}

#[test]
fn equal_tests_are_one_and_different_ones_are_not() {
    let tests = fixture_tests();
    let key = |part: &str| find(&tests, part).key.clone();
    // One binary name at two paths on two machines: one test.
    assert_eq!(
        key("echo/Emmanuel32__distributed-systems-practice__20230510"),
        key("echo/Shresth72__distributed_systems_jepsen__20240919T133742")
    );
    // Same flags, binaries `txn` and `transactions`: two tests; the two `txn` runs: one.
    assert_eq!(key("20240919T142803.644"), key("20240919T143203.194"));
    assert_ne!(key("20240919T142314.276"), key("20240919T143203.194"));
    // Two g-counter runs of one binary that differ only in node count (1 vs 3) and nemesis.
    assert_ne!(key("g-counter/Emmanuel32"), key("GooGrand__dist_systems"));
    // 5 and 25 nodes, 10 and 100 ops/s: different broadcast tests.
    assert_ne!(key("20230511T014817.269"), key("20230511T033437.888"));

    // Every fixture command rewritten: flags reversed, defaults spelled out, `=` forms, other
    // paths. Still the same test each time.
    for (id, (cmd, t)) in &tests {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let at = words.iter().position(|w| *w == "test").unwrap() + 1;
        let mut pairs: Vec<String> = Vec::new();
        let mut i = at;
        while i < words.len() {
            let w = words[i];
            if w.starts_with('-') && i + 1 < words.len() && w != "--log-stderr" {
                let v = if w == "--bin" {
                    format!("/elsewhere/{}", t.bin.as_deref().unwrap())
                } else {
                    words[i + 1].to_string()
                };
                pairs.push(format!("{w}={v}").replace("-w=", "--workload="));
                i += 2;
            } else {
                pairs.push(w.to_string());
                i += 1;
            }
        }
        // Reversed, unless a flag is given twice (then the last one wins, so order matters).
        let names: Vec<&str> = pairs
            .iter()
            .filter_map(|p| p.split_once('='))
            .map(|p| p.0)
            .collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        if unique.len() == names.len() {
            pairs.reverse();
        }
        let mut extra = vec![
            "--latency-dist=constant".to_string(),
            "--nemesis-interval=10".into(),
        ];
        if !cmd.contains("--topology") {
            extra.push("--topology grid".into());
        }
        if !cmd.contains("--concurrency") {
            extra.push("--concurrency 1n".into());
        }
        let rewritten = format!("maelstrom test {} {}", extra.join(" "), pairs.join(" "));
        assert_eq!(parse(&rewritten).key, t.key, "{id}:\n{cmd}\n{rewritten}");
        // And a different rate never is.
        let faster = format!("{rewritten} --rate 12345");
        assert_ne!(parse(&faster).key, t.key, "{id}");
    }
}
