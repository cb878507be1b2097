//! Anomaly names and how they relate (Elle 0.2.2, `elle.consistency-model` and `elle.txn`).
//!
//! * The implication graph: `a → b` when seeing `a` means `b` happened too (G0 implies G1c,
//!   lost-update implies G2-item, an anomaly implies its `-process` variant, which implies
//!   its `-realtime` variant, ...).
//! * Severity edges that only order the search (G1c before G-single, G2 before the process
//!   variants, ...). An anomaly's *depth* is its longest distance from a root of both graphs
//!   together; cycle searches try anomalies by (depth, name).
//! * The cycle anomaly types Elle searches for: G0, G1c, G-single-item, G-single,
//!   G-nonadjacent-item, G-nonadjacent, G2-item, G2, each plus `-process` and `-realtime`.
//!   Without predicate reads the G-single, G-nonadjacent and G2 shapes can never be
//!   classified as such (their cycles read as the `-item` forms), so they are never found.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use super::dag::{Dag, Dir};

/// `a` implies every anomaly listed with it.
const IMPLIED: &[(&str, &[&str])] = &[
    ("G0", &["G1c", "G0-process"]),
    ("G0-process", &["G1c-process", "G0-realtime"]),
    ("G0-realtime", &["G1c-realtime"]),
    ("G1a", &["G1"]),
    ("G1b", &["G1"]),
    ("G1c", &["G1", "G1c-process"]),
    ("G1c-process", &["G1c-realtime", "G1-process"]),
    ("G1c-realtime", &["G1-realtime"]),
    ("G1", &["G1-process"]),
    ("G1-process", &["G1-realtime"]),
    (
        "G-single-item",
        &["G-single", "G-single-item-process", "G-nonadjacent-item"],
    ),
    (
        "G-single-item-process",
        &[
            "G-single-process",
            "G-single-item-realtime",
            "G-nonadjacent-item-process",
        ],
    ),
    (
        "G-single-item-realtime",
        &["G-single-realtime", "G-nonadjacent-item-realtime"],
    ),
    ("G-single", &["G-nonadjacent", "GSIb", "G-single-process"]),
    (
        "G-single-process",
        &["G-nonadjacent-process", "G-single-realtime"],
    ),
    ("G-single-realtime", &["G-nonadjacent-realtime"]),
    (
        "G-nonadjacent-item",
        &["G-nonadjacent", "G2-item", "G-nonadjacent-item-process"],
    ),
    (
        "G-nonadjacent-item-process",
        &[
            "G-nonadjacent-process",
            "G2-item-process",
            "G-nonadjacent-item-realtime",
        ],
    ),
    (
        "G-nonadjacent-item-realtime",
        &["G2-item-realtime", "G-nonadjacent-realtime"],
    ),
    ("G-nonadjacent", &["G2", "G-nonadjacent-process"]),
    (
        "G-nonadjacent-process",
        &["G2-process", "G-nonadjacent-realtime"],
    ),
    ("G-nonadjacent-realtime", &["G2-realtime"]),
    ("G2", &["G2-process"]),
    ("G2-item", &["G2", "G2-item-process"]),
    ("G2-item-process", &["G2-process", "G2-item-realtime"]),
    ("G2-item-realtime", &["G2-realtime"]),
    ("G2-process", &["G2-realtime"]),
    ("GSIa", &["GSI"]),
    ("GSIb", &["GSI"]),
    ("incompatible-order", &["G1a"]),
    ("future-read", &["G1c"]),
    ("dirty-update", &["G1a"]),
    ("lost-update", &["write-skew", "G2-item"]),
    ("write-skew", &["G2"]),
];

/// Extra ordering edges: "worse" anomalies are searched first.
const SEVERITY: &[(&str, &[&str])] = &[
    ("G0", &["G1c"]),
    ("G0-process", &["G1c-process"]),
    ("G0-realtime", &["G1c-realtime"]),
    ("G1c", &["G-single", "G2-item"]),
    ("G1c-process", &["G-single-process", "G2-item-process"]),
    ("G1c-realtime", &["G-single-realtime", "G2-item-realtime"]),
    ("G2", &["G0-process"]),
    ("G2-process", &["G0-realtime"]),
];

/// The cycle shapes before variants, in Elle's spec table.
pub(crate) const BASE_CYCLE_TYPES: [&str; 8] = [
    "G0",
    "G1c",
    "G-single-item",
    "G-single",
    "G-nonadjacent-item",
    "G-nonadjacent",
    "G2-item",
    "G2",
];

/// Anomalies that make Elle's verdict `:unknown` rather than false.
pub(crate) const UNKNOWN_TYPES: [&str; 2] = ["empty-transaction-graph", "cycle-search-timeout"];

fn implied_graph() -> &'static Dag {
    static G: OnceLock<Dag> = OnceLock::new();
    G.get_or_init(|| Dag::from_rows(IMPLIED, |x| x))
}

fn depths() -> &'static HashMap<&'static str, usize> {
    static D: OnceLock<HashMap<&'static str, usize>> = OnceLock::new();
    D.get_or_init(|| {
        let mut g = Dag::from_rows(IMPLIED, |x| x);
        g.add_rows(SEVERITY);
        g.topo_depths()
    })
}

/// Elle's `anomaly-depth-compare`: by depth (unknown names first), then by name.
pub(crate) fn depth_compare(a: &str, b: &str) -> Ordering {
    let d = depths();
    let da = d.get(a).map(|&x| x as i64).unwrap_or(-1);
    let db = d.get(b).map(|&x| x as i64).unwrap_or(-1);
    da.cmp(&db).then_with(|| a.cmp(b))
}

/// The anomalies given plus every anomaly they imply.
pub(crate) fn all_implied<'a>(anomalies: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    implied_graph().closure(anomalies, Dir::Out)
}

/// The anomalies given plus every anomaly that implies one of them.
pub(crate) fn all_implying<'a>(anomalies: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    implied_graph().closure(anomalies, Dir::In)
}

/// Which extra edges a cycle type carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Variant {
    Plain,
    Process,
    Realtime,
}

/// One cycle type to search for: base shape and variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CycleType {
    pub name: String,
    pub base: &'static str,
    pub variant: Variant,
}

/// Every cycle type, ordered as Elle searches them (depth, then name).
pub(crate) fn cycle_types() -> &'static [CycleType] {
    static T: OnceLock<Vec<CycleType>> = OnceLock::new();
    T.get_or_init(|| {
        let mut v: Vec<CycleType> = BASE_CYCLE_TYPES
            .iter()
            .flat_map(|&base| {
                [
                    (Variant::Plain, ""),
                    (Variant::Process, "-process"),
                    (Variant::Realtime, "-realtime"),
                ]
                .into_iter()
                .map(move |(variant, suffix)| CycleType {
                    name: format!("{base}{suffix}"),
                    base,
                    variant,
                })
            })
            .collect();
        v.sort_by(|a, b| depth_compare(&a.name, &b.name));
        v
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implications_follow_elle() {
        let g0 = all_implied(["G0"]);
        assert!(g0.contains("G1c-realtime") && g0.contains("G1-realtime"));
        assert!(!g0.contains("G-single-item"));
        let g2 = all_implying(["G2"]);
        assert!(g2.contains("lost-update") && g2.contains("G-single-item"));
        assert!(!g2.contains("G2-process"));
    }

    #[test]
    fn search_order_starts_with_the_worst() {
        let names: Vec<&str> = cycle_types().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), 24);
        // Both roots (depth 0); keywords compare by name and '-' sorts before '0'.
        assert_eq!(&names[..2], ["G-single-item", "G0"]);
        let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
        assert!(pos("G0") < pos("G1c"));
        assert!(pos("G-single-item") < pos("G-nonadjacent-item"));
        assert!(pos("G-nonadjacent-item") < pos("G2-item"));
        assert!(pos("G2") < pos("G0-process"));
        assert!(pos("G2-process") < pos("G0-realtime"));
    }
}
