//! `messages.svg` from real harness runs, held against the ones real Maelstrom wrote (the
//! shared fixtures): the same XML skeleton (root attributes, the root's parts, the elements
//! and attributes of every arrow), one arrow per delivered message that is not `init`
//! traffic, and titles whose bodies read back as EDN maps with a `:type`.

use std::collections::BTreeSet;

use glomers_model::{edn, Value};

mod e2e_support;
use e2e_support::{fixture_files, node_bin, results, run};

/// What a messages.svg is made of, without its numbers and texts.
#[derive(Debug)]
struct Shape {
    root_attrs: BTreeSet<String>,
    /// Tag names of the root's children, in order.
    parts: Vec<String>,
    /// Each distinct arrow skeleton: `tag[attrs](children)` of the arrow group and below.
    arrows: BTreeSet<String>,
    titles: Vec<String>,
}

fn attr_names(n: roxmltree::Node) -> String {
    let mut names: Vec<String> = n
        .attributes()
        .map(|a| match a.namespace() {
            Some(ns) if ns.contains("xlink") => format!("xlink:{}", a.name()),
            _ => a.name().to_string(),
        })
        .collect();
    names.sort();
    names.join(",")
}

fn skeleton(n: roxmltree::Node) -> String {
    let kids: Vec<String> = n
        .children()
        .filter(|c| c.is_element())
        .map(skeleton)
        .collect();
    format!(
        "{}[{}]({})",
        n.tag_name().name(),
        attr_names(n),
        kids.join(" ")
    )
}

fn shape(text: &str) -> Shape {
    let doc = roxmltree::Document::parse(text).expect("messages.svg is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let parts: Vec<roxmltree::Node> = root.children().filter(|c| c.is_element()).collect();
    let arrows_group = parts.get(4).expect("the arrows' group");
    Shape {
        root_attrs: root
            .attributes()
            .map(|a| a.name().to_string())
            .chain(
                root.namespaces()
                    .map(|n| format!("xmlns:{}", n.name().unwrap_or(""))),
            )
            .collect(),
        parts: parts
            .iter()
            .map(|p| p.tag_name().name().to_string())
            .collect(),
        arrows: arrows_group
            .children()
            .filter(|c| c.is_element())
            .map(skeleton)
            .collect(),
        titles: doc
            .descendants()
            .filter(|n| n.has_tag_name("title"))
            .map(|n| n.text().unwrap_or("").to_string())
            .collect(),
    }
}

fn int_at(v: &Value, path: &[&str]) -> i64 {
    v.get_in(path).and_then(Value::as_i64).unwrap()
}

#[test]
fn a_harness_run_draws_messages_as_maelstrom_does() {
    let bin = node_bin("broadcast");
    let o = run(
        "svg",
        &[
            "-w",
            "broadcast",
            "--bin",
            bin.to_str().unwrap(),
            "--node-count",
            "5",
            "--time-limit",
            "3",
            "--rate",
            "20",
            "--latency",
            "5",
            "--nemesis",
            "partition",
            "--nemesis-interval",
            "1",
            "--recovery-time",
            "1",
            "--seed",
            "4",
        ],
    );
    assert_eq!(o.code, 0, "stdout: {}\nstderr: {}", o.stdout, o.stderr);
    let r = results(&o, "broadcast");
    let ours = shape(&std::fs::read_to_string(o.dir.join("messages.svg")).unwrap());

    // Against every messages.svg real Maelstrom wrote.
    let fixtures: Vec<_> = ["broadcast", "echo", "g-counter", "kafka", "txn-rw-register"]
        .iter()
        .flat_map(|w| fixture_files(w, "messages.svg"))
        .collect();
    assert!(fixtures.len() >= 8, "fixtures: {fixtures:?}");
    let mut their_arrows = BTreeSet::new();
    for f in &fixtures {
        let theirs = shape(&std::fs::read_to_string(f).unwrap());
        assert_eq!(ours.root_attrs, theirs.root_attrs, "{}", f.display());
        assert_eq!(ours.parts, theirs.parts, "{}", f.display());
        their_arrows.extend(theirs.arrows);
    }
    assert_eq!(ours.parts, ["style", "defs", "g", "g", "g"]);
    assert_eq!(
        ours.arrows, their_arrows,
        "every arrow has Maelstrom's elements and attributes"
    );

    // One arrow per delivered message but init/init_ok (5 of each); the run is far below
    // the 10 000 events drawn at most, and partitions dropped some sends (no arrow).
    let delivered = int_at(&r, &["net", "all", "recv-count"]);
    assert_eq!(ours.titles.len() as i64, delivered - 10);
    assert!(
        int_at(&r, &["net", "all", "send-count"]) > delivered,
        "some drops"
    );
    let mut server_hops = 0;
    for t in &ours.titles {
        let (ends, body) = t.split_at(t.find(" {").unwrap_or_else(|| panic!("{t}")));
        let (src, dest) = ends.split_once(" → ").unwrap_or_else(|| panic!("{t}"));
        let body = edn::parse(body.trim()).unwrap_or_else(|e| panic!("{t}: {e:?}"));
        assert!(matches!(body.get("type"), Some(Value::Str(_))), "{t}");
        assert!(!matches!(body.get("type"), Some(Value::Str(s)) if s.starts_with("init")));
        if src.starts_with('n') && dest.starts_with('n') {
            server_hops += 1;
        }
    }
    assert_eq!(
        server_hops,
        int_at(&r, &["net", "servers", "recv-count"]),
        "node-to-node arrows are :servers' deliveries"
    );
}
