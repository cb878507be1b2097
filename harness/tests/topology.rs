//! Broadcast topologies, checked against MAELSTROM.md §6.3.

use glomers_harness::topology::{compute, to_json, TopologyKind};

fn nodes(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn n(count: usize, from: usize) -> Vec<String> {
    (from..from + count).map(|i| format!("n{i}")).collect()
}

fn show(t: &[(String, Vec<String>)]) -> Vec<(&str, Vec<&str>)> {
    t.iter()
        .map(|(k, v)| (k.as_str(), v.iter().map(String::as_str).collect()))
        .collect()
}

#[test]
fn grid_five_nodes_matches_the_spec_example() {
    let t = compute(TopologyKind::Grid, &n(5, 1));
    assert_eq!(
        show(&t),
        vec![
            ("n1", vec!["n4", "n2"]),
            ("n2", vec!["n5", "n3", "n1"]),
            ("n3", vec!["n2"]),
            ("n4", vec!["n1", "n5"]),
            ("n5", vec!["n2", "n4"]),
        ]
    );
}

#[test]
fn grid_one_node_and_square() {
    assert_eq!(
        show(&compute(TopologyKind::Grid, &n(1, 0))),
        vec![("n0", vec![])]
    );
    let t = compute(TopologyKind::Grid, &n(25, 0));
    // 5x5: corner n0 has 2 neighbours, centre n12 has 4, in the order down, up, right, left.
    assert_eq!(show(&t)[0], ("n0", vec!["n5", "n1"]));
    assert_eq!(show(&t)[12], ("n12", vec!["n17", "n7", "n13", "n11"]));
    assert!(t.iter().all(|(_, nb)| (2..=4).contains(&nb.len())));
}

#[test]
fn line_topology() {
    assert!(compute(TopologyKind::Line, &n(1, 0)).is_empty());
    assert!(compute(TopologyKind::Line, &[]).is_empty());
    assert_eq!(
        show(&compute(TopologyKind::Line, &n(3, 0))),
        vec![
            ("n0", vec!["n1"]),
            ("n1", vec!["n0", "n2"]),
            ("n2", vec!["n1"])
        ]
    );
}

#[test]
fn total_topology() {
    assert_eq!(
        show(&compute(TopologyKind::Total, &nodes(&["a", "b", "c"]))),
        vec![
            ("a", vec!["b", "c"]),
            ("b", vec!["a", "c"]),
            ("c", vec!["a", "b"])
        ]
    );
}

#[test]
fn trees() {
    assert_eq!(
        show(&compute(TopologyKind::Tree(2), &n(6, 0))),
        vec![
            ("n0", vec!["n1", "n2"]),
            ("n1", vec!["n0", "n3", "n4"]),
            ("n2", vec!["n0", "n5"]),
            ("n3", vec!["n1"]),
            ("n4", vec!["n1"]),
            ("n5", vec!["n2"]),
        ]
    );
    let t3 = compute(TopologyKind::Tree(3), &n(13, 0));
    assert_eq!(show(&t3)[0], ("n0", vec!["n1", "n2", "n3"]));
    assert_eq!(show(&t3)[1], ("n1", vec!["n0", "n4", "n5", "n6"]));
    assert_eq!(show(&t3)[3], ("n3", vec!["n0", "n10", "n11", "n12"]));
    let t4 = compute(TopologyKind::Tree(4), &n(6, 0));
    assert_eq!(show(&t4)[0], ("n0", vec!["n1", "n2", "n3", "n4"]));
    assert_eq!(show(&t4)[1], ("n1", vec!["n0", "n5"]));
    assert_eq!(TopologyKind::parse("tree"), Some(TopologyKind::Tree(2)));
}

#[test]
fn json_form() {
    let j = to_json(&compute(TopologyKind::Line, &n(2, 0)));
    assert_eq!(j, serde_json::json!({"n0": ["n1"], "n1": ["n0"]}));
}
