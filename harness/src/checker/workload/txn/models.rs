//! Consistency models (Elle 0.2.2 `elle.consistency-model`): names, the hierarchy, which
//! anomalies each model proscribes, and the `:not` / `:also-not` boundary of a set of
//! anomalies.
//!
//! Models have friendly names (`read-committed`, `serializable`) and canonical ones (`PL-2`,
//! `PL-3`); the tables are keyed by canonical names. A model `m` prohibits the anomalies
//! proscribed by `m` and by every model `m` implies, plus every anomaly implying one of
//! those. For example read-uncommitted (PL-1) prohibits G0, cyclic-versions,
//! duplicate-elements and PL-1-cycle-exists; read-committed (PL-2) adds G1, G1a, G1b, G1c,
//! dirty-update, future-read, incompatible-order and PL-2-cycle-exists; strict-serializable
//! (PL-SS) prohibits nearly everything, realtime variants included.

use std::collections::BTreeSet;
use std::sync::OnceLock;

use super::anomalies::all_implying;
use super::dag::{Dag, Dir};

/// Friendly name → canonical name.
const CANONICAL: &[(&str, &str)] = &[
    ("consistent-view", "PL-2+"),
    ("conflict-serializable", "PL-3"),
    ("cursor-stability", "PL-CS"),
    ("forward-consistent-view", "PL-FCV"),
    ("monotonic-snapshot-read", "PL-MSR"),
    ("monotonic-view", "PL-2L"),
    ("read-committed", "PL-2"),
    ("read-uncommitted", "PL-1"),
    ("repeatable-read", "PL-2.99"),
    ("serializable", "PL-3"),
    ("snapshot-isolation", "PL-SI"),
    ("strict-serializable", "PL-SS"),
    ("strong-serializable", "PL-SS"),
    ("update-serializable", "PL-3U"),
    ("strong-session-read-uncommitted", "strong-session-PL-1"),
    ("strong-session-read-committed", "strong-session-PL-2"),
    ("strong-read-uncommitted", "strong-PL-1"),
    ("strong-read-committed", "strong-PL-2"),
];

/// `a` implies each listed model (a history satisfying `a` satisfies them).
const MODELS: &[(&str, &[&str])] = &[
    ("causal-cerone", &["read-atomic"]),
    ("consistent-view", &["cursor-stability", "monotonic-view"]),
    ("conflict-serializable", &["view-serializable"]),
    ("cursor-stability", &["read-committed", "PL-2"]),
    ("forward-consistent-view", &["consistent-view"]),
    ("PL-2", &["PL-1"]),
    ("PL-3", &["repeatable-read", "update-serializable"]),
    ("update-serializable", &["forward-consistent-view"]),
    ("monotonic-atomic-view", &["read-committed"]),
    ("monotonic-view", &["PL-2"]),
    ("monotonic-snapshot-read", &["PL-2"]),
    (
        "parallel-snapshot-isolation",
        &["causal-cerone", "update-atomic"],
    ),
    ("prefix", &["causal-cerone"]),
    ("read-atomic", &["monotonic-atomic-view"]),
    ("read-committed", &["read-uncommitted"]),
    (
        "repeatable-read",
        &["cursor-stability", "monotonic-atomic-view"],
    ),
    ("update-atomic", &["read-atomic"]),
    (
        "serializable",
        &["repeatable-read", "snapshot-isolation", "view-serializable"],
    ),
    ("session-serializable", &["1SR"]),
    (
        "snapshot-isolation",
        &[
            "forward-consistent-view",
            "monotonic-atomic-view",
            "monotonic-snapshot-read",
            "parallel-snapshot-isolation",
            "prefix",
        ],
    ),
    (
        "strict-serializable",
        &[
            "PL-3",
            "serializable",
            "linearizable",
            "snapshot-isolation",
            "strong-snapshot-isolation",
            "strong-session-serializable",
        ],
    ),
    ("strong-session-PL-1", &["PL-1"]),
    ("strong-session-PL-2", &["PL-2", "strong-session-PL-1"]),
    ("strong-PL-1", &["strong-session-PL-1"]),
    ("strong-PL-2", &["strong-session-PL-2", "strong-PL-1"]),
    (
        "strong-session-serializable",
        &["serializable", "strong-session-snapshot-isolation"],
    ),
    (
        "strong-session-snapshot-isolation",
        &["snapshot-isolation", "strong-session-PL-2"],
    ),
    ("strong-serializable", &["session-serializable"]),
    (
        "strong-snapshot-isolation",
        &["strong-session-snapshot-isolation", "strong-PL-2"],
    ),
    ("linearizable", &["sequential"]),
    ("sequential", &["causal"]),
    ("causal", &["writes-follow-reads", "PRAM"]),
    (
        "PRAM",
        &["monotonic-reads", "monotonic-writes", "read-your-writes"],
    ),
];

/// Model → the anomalies it directly proscribes (on top of those of the models it implies).
const PROSCRIBED: &[(&str, &[&str])] = &[
    ("causal-cerone", &["internal", "G1a"]),
    ("cursor-stability", &["G1", "G-cursor", "lost-update"]),
    ("monotonic-view", &["G1", "G-monotonic"]),
    ("monotonic-snapshot-read", &["G1", "G-MSR"]),
    ("consistent-view", &["G1", "G-single"]),
    ("forward-consistent-view", &["G1", "G-SIb"]),
    ("parallel-snapshot-isolation", &["internal", "G1a"]),
    (
        "PL-3",
        &["G1", "G2", "predicate-read-miss", "PL-3-cycle-exists"],
    ),
    ("PL-2", &["G1", "PL-2-cycle-exists"]),
    (
        "PL-1",
        &[
            "G0",
            "duplicate-elements",
            "cyclic-versions",
            "PL-1-cycle-exists",
        ],
    ),
    ("prefix", &["internal", "G1a"]),
    ("serializable", &["internal"]),
    (
        "snapshot-isolation",
        &[
            "internal",
            "G1",
            "G-SI",
            "G-nonadjacent",
            "PL-SI-cycle-exists",
        ],
    ),
    ("read-atomic", &["internal", "G1a", "future-read"]),
    (
        "repeatable-read",
        &["G1", "G2-item", "PL-2.99-cycle-exists", "lost-update"],
    ),
    ("update-atomic", &["lost-update"]),
    (
        "strict-serializable",
        &["G1", "G1c-realtime", "G2-realtime", "PL-SS-cycle-exists"],
    ),
    (
        "strong-session-PL-1",
        &["strong-session-PL-1-cycle-exists", "G0-process"],
    ),
    (
        "strong-session-PL-2",
        &["strong-session-PL-2-cycle-exists", "G1c-process"],
    ),
    ("strong-PL-1", &["strong-PL-1-cycle-exists", "G0-realtime"]),
    ("strong-PL-2", &["strong-PL-2-cycle-exists", "G1c-realtime"]),
    (
        "strong-session-snapshot-isolation",
        &[
            "internal",
            "G1-process",
            "G-nonadjacent-process",
            "strong-session-snapshot-isolation-cycle-exists",
        ],
    ),
    (
        "strong-snapshot-isolation",
        &[
            "internal",
            "G1-realtime",
            "G-nonadjacent-realtime",
            "strong-snapshot-isolation-cycle-exists",
        ],
    ),
    (
        "strong-session-serializable",
        &[
            "G1-process",
            "G2-process",
            "strong-session-serializable-cycle-exists",
        ],
    ),
    ("update-serializable", &["G1", "G-update"]),
];

/// The canonical name of a model.
pub(crate) fn canonical(model: &str) -> &str {
    CANONICAL
        .iter()
        .find(|(f, _)| *f == model)
        .map_or(model, |(_, c)| c)
}

fn canonical_static(model: &'static str) -> &'static str {
    CANONICAL
        .iter()
        .find(|(f, _)| *f == model)
        .map_or(model, |(_, c)| c)
}

/// The friendly name of a canonical model (PL-3 is `serializable`, PL-SS is
/// `strong-serializable`, as Elle's reversed lookup ends up choosing).
pub(crate) fn friendly(model: &str) -> &str {
    match model {
        "PL-3" => "serializable",
        "PL-SS" => "strong-serializable",
        _ => CANONICAL
            .iter()
            .find(|(_, c)| *c == model)
            .map_or(model, |(f, _)| f),
    }
}

fn model_graph() -> &'static Dag {
    static G: OnceLock<Dag> = OnceLock::new();
    G.get_or_init(|| Dag::from_rows(MODELS, canonical_static))
}

fn proscribed_graph() -> &'static Dag {
    static G: OnceLock<Dag> = OnceLock::new();
    G.get_or_init(|| Dag::from_rows(PROSCRIBED, canonical_static))
}

/// Checks model names as Elle's `validate-models` does.
pub(crate) fn validate(models: &[String]) -> Result<(), String> {
    let known =
        |m: &str| model_graph().contains(m) || CANONICAL.iter().any(|(f, c)| *f == m || *c == m);
    let unknown: Vec<&String> = models.iter().filter(|m| !known(m)).collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        let all: BTreeSet<&str> = model_graph()
            .vertices()
            .chain(CANONICAL.iter().flat_map(|(f, c)| [*f, *c]))
            .collect();
        Err(format!(
            "Unknown consistency model {:?}; known models are:\n{:?}",
            unknown, all
        ))
    }
}

/// The given models (canonicalised) and every model they imply.
pub(crate) fn all_implied_models<'a>(
    models: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<String> {
    let start: Vec<&str> = models.into_iter().map(canonical).collect();
    model_graph().closure(start, Dir::Out)
}

/// The given (impossible) models and every model implying one of them.
pub(crate) fn all_impossible_models<'a>(
    models: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<String> {
    let start: Vec<&str> = models.into_iter().map(canonical).collect();
    model_graph().closure(start, Dir::In)
}

/// Anomalies that must be absent for all of `models` to hold.
pub(crate) fn prohibited_by<'a>(models: impl IntoIterator<Item = &'a str>) -> BTreeSet<String> {
    let implied = all_implied_models(models);
    let direct: BTreeSet<&str> = implied
        .iter()
        .flat_map(|m| proscribed_graph().neighbours(m, Dir::Out))
        .collect();
    all_implying(direct)
}

/// Canonical models ruled out by the presence of `anomalies`.
pub(crate) fn impossible_for_anomalies<'a>(
    anomalies: impl IntoIterator<Item = &'a str>,
) -> BTreeSet<String> {
    let implied = super::anomalies::all_implied(anomalies);
    let direct: BTreeSet<&str> = implied
        .iter()
        .flat_map(|a| proscribed_graph().neighbours(a, Dir::In))
        .collect();
    all_impossible_models(direct)
}

/// `{:not ..., :also-not ...}` as friendly names: `:not` holds the weakest models the
/// anomalies rule out, `:also-not` the other (stronger) ones.
pub(crate) fn boundary<'a>(
    anomalies: impl IntoIterator<Item = &'a str>,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let impossible = impossible_for_anomalies(anomalies);
    // Weakest: those that imply no other impossible model.
    let weakest: BTreeSet<&String> = impossible
        .iter()
        .filter(|m| {
            model_graph()
                .closure([m.as_str()], Dir::Out)
                .iter()
                .all(|x| x == *m || !impossible.contains(x))
        })
        .collect();
    let not = weakest.iter().map(|m| friendly(m).to_string()).collect();
    let also_not = impossible
        .iter()
        .filter(|m| !weakest.contains(m))
        .map(|m| friendly(m).to_string())
        .collect();
    (not, also_not)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(xs: &[&str]) -> BTreeSet<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn read_uncommitted_and_committed_prohibitions() {
        assert_eq!(
            prohibited_by(["read-uncommitted"]),
            set(&[
                "G0",
                "PL-1-cycle-exists",
                "cyclic-versions",
                "duplicate-elements"
            ])
        );
        let rc = prohibited_by(["read-committed"]);
        for a in [
            "G1",
            "G1a",
            "G1b",
            "G1c",
            "dirty-update",
            "future-read",
            "incompatible-order",
            "PL-2-cycle-exists",
            "G0",
        ] {
            assert!(rc.contains(a), "{a}");
        }
        assert!(!rc.contains("internal") && !rc.contains("lost-update"));
        let ss = prohibited_by(["strict-serializable"]);
        assert!(ss.contains("G-single-item-realtime") && ss.contains("internal"));
        assert!(!prohibited_by(["serializable"]).contains("G2-item-realtime"));
    }

    #[test]
    fn boundary_matches_the_real_invalid_run() {
        let (not, also_not) = boundary([
            "G-single-item-realtime",
            "G2-item",
            "G2-item-realtime",
            "internal",
            "lost-update",
        ]);
        assert_eq!(not, set(&["cursor-stability", "read-atomic"]));
        assert_eq!(
            also_not,
            set(&[
                "causal-cerone",
                "consistent-view",
                "forward-consistent-view",
                "parallel-snapshot-isolation",
                "prefix",
                "repeatable-read",
                "serializable",
                "snapshot-isolation",
                "strong-serializable",
                "strong-session-serializable",
                "strong-session-snapshot-isolation",
                "strong-snapshot-isolation",
                "update-atomic",
                "update-serializable",
            ])
        );
        let (n, a) = boundary(["empty-transaction-graph"]);
        assert!(n.is_empty() && a.is_empty());
    }

    #[test]
    fn validation() {
        assert!(validate(&["strict-serializable".into(), "PL-2".into()]).is_ok());
        assert!(validate(&["bogus".into()]).is_err());
    }
}
