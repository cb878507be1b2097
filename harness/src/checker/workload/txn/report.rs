//! From an anomaly map to the result map: which anomalies matter for the requested
//! consistency models (Elle's `prohibited-anomaly-types` / `reportable-anomaly-types` /
//! `result-map`), and Maelstrom's txn-rw-register wrapper.
//!
//! Elle: anomalies prohibited by the models make the result false; the "unknown" kinds
//! (`:empty-transaction-graph`, `:cycle-search-timeout`) alone make it `:unknown`; with
//! nothing reportable it is just `{:valid? true}`. Otherwise `{:valid? :anomaly-types
//! (sorted) :anomalies {..} :not #{..} :also-not #{..}}`, where the boundary is computed from
//! *every* anomaly found, reportable or not, and cycle-exists findings are dropped when other
//! anomalies already rule their model out.
//!
//! Maelstrom (txn-rw-register only) removes `:cycle-search-timeout` and sets `:valid?` to
//! "no anomaly types left", so `:empty-transaction-graph` is invalid there; list-append uses
//! Elle's map unchanged.

use std::collections::{BTreeMap, BTreeSet};

use glomers_model::Value;

use super::anomalies::{cycle_types, Variant, UNKNOWN_TYPES};
use super::models::{boundary, impossible_for_anomalies, prohibited_by, validate};
use super::search::EXISTS_SPECS;
use crate::checker::RunFacts;

/// Anomaly name → its cases (a vector or list of maps, or `true`).
pub(crate) type Anomalies = BTreeMap<String, Value>;

/// Which order graph joins the data dependencies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Extra {
    None,
    Process,
    Realtime,
}

/// The checker options derived from `--consistency-models`.
#[derive(Debug, Clone)]
pub(crate) struct Opts {
    pub prohibited: BTreeSet<String>,
    pub reportable: BTreeSet<String>,
    pub extra: Extra,
}

impl Opts {
    /// Options for the given friendly model names (strict-serializable when empty).
    pub(crate) fn new(models: &[String]) -> Result<Opts, String> {
        let models: Vec<String> = if models.is_empty() {
            vec!["strict-serializable".to_string()]
        } else {
            models.to_vec()
        };
        validate(&models)?;
        // Maelstrom passes no `:anomalies` option, so only the models count.
        let prohibited = prohibited_by(models.iter().map(String::as_str));
        let mut reportable = prohibited.clone();
        reportable.extend(UNKNOWN_TYPES.iter().map(|s| s.to_string()));
        let wants = |v: Variant| {
            cycle_types()
                .iter()
                .any(|t| t.variant == v && reportable.contains(&t.name))
        };
        let extra = if wants(Variant::Realtime) {
            Extra::Realtime
        } else if wants(Variant::Process) {
            Extra::Process
        } else {
            Extra::None
        };
        Ok(Opts {
            prohibited,
            reportable,
            extra,
        })
    }

    /// Options from the run facts.
    pub(crate) fn from_facts(facts: &RunFacts) -> Result<Opts, String> {
        Opts::new(&facts.consistency_models)
    }
}

/// Drops cycle-exists findings whose model other anomalies already rule out.
fn remove_redundant_cycle_exists(reportable: &mut Anomalies) {
    let others: Vec<&str> = reportable
        .keys()
        .filter(|k| !k.ends_with("-cycle-exists"))
        .map(String::as_str)
        .collect();
    let impossible = impossible_for_anomalies(others);
    for spec in EXISTS_SPECS {
        if impossible.contains(spec.model) {
            reportable.remove(&spec.anomaly());
        }
    }
}

fn kw_set(names: BTreeSet<String>) -> Value {
    Value::Set(names.iter().map(|n| Value::kw(n)).collect())
}

/// Elle's result map.
pub(crate) fn elle_result(opts: &Opts, anomalies: &Anomalies) -> Value {
    let bad = anomalies.keys().any(|k| opts.prohibited.contains(k));
    let mut reportable: Anomalies = anomalies
        .iter()
        .filter(|(k, _)| opts.reportable.contains(*k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    remove_redundant_cycle_exists(&mut reportable);
    if reportable.is_empty() {
        return glomers_model::edn_map! { "valid?" => Value::Bool(true) };
    }
    let (not, also_not) = boundary(anomalies.keys().map(String::as_str));
    glomers_model::edn_map! {
        "valid?" => if bad { Value::Bool(false) } else { Value::kw("unknown") },
        "anomaly-types" => Value::List(reportable.keys().map(|k| Value::kw(k)).collect()),
        "anomalies" => Value::Map(reportable.into_iter().map(|(k, v)| (Value::kw(&k), v)).collect()),
        "not" => kw_set(not),
        "also-not" => kw_set(also_not),
    }
}

fn assoc(map: &mut Vec<(Value, Value)>, key: &str, value: Value) {
    match map.iter_mut().find(|(k, _)| k.as_keyword() == Some(key)) {
        Some(entry) => entry.1 = value,
        None => map.push((Value::kw(key), value)),
    }
}

/// Maelstrom's txn-rw-register wrapper around Elle's result.
pub(crate) fn maelstrom_rw_wrapper(elle: Value) -> Value {
    let Value::Map(mut map) = elle else {
        return elle;
    };
    let find = |k: &str| {
        map.iter()
            .find(|(key, _)| key.as_keyword() == Some(k))
            .map(|(_, v)| v.clone())
    };
    let types: Vec<Value> = find("anomaly-types")
        .and_then(|v| v.as_seq().map(<[Value]>::to_vec))
        .unwrap_or_default()
        .into_iter()
        .filter(|t| t.as_keyword() != Some("cycle-search-timeout"))
        .collect();
    let anomalies = match find("anomalies") {
        Some(Value::Map(m)) => Value::Map(
            m.into_iter()
                .filter(|(k, _)| k.as_keyword() != Some("cycle-search-timeout"))
                .collect(),
        ),
        _ => Value::Nil,
    };
    let valid = types.is_empty();
    assoc(&mut map, "anomaly-types", Value::List(types));
    assoc(&mut map, "anomalies", anomalies);
    assoc(&mut map, "valid?", Value::Bool(valid));
    Value::Map(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opts_pick_the_order_graph() {
        assert_eq!(Opts::new(&[]).unwrap().extra, Extra::Realtime);
        assert_eq!(
            Opts::new(&["serializable".into()]).unwrap().extra,
            Extra::None
        );
        assert_eq!(
            Opts::new(&["strong-session-serializable".into()])
                .unwrap()
                .extra,
            Extra::Process
        );
    }

    #[test]
    fn wrapper_shapes() {
        let opts = Opts::new(&["read-uncommitted".into()]).unwrap();
        let valid = maelstrom_rw_wrapper(elle_result(&opts, &Anomalies::new()));
        assert_eq!(
            valid.to_string(),
            "{:valid? true, :anomaly-types (), :anomalies nil}"
        );
        let mut a = Anomalies::new();
        a.insert("empty-transaction-graph".into(), Value::Bool(true));
        let r = maelstrom_rw_wrapper(elle_result(&opts, &a));
        assert_eq!(
            r.to_string(),
            "{:valid? false, :anomaly-types (:empty-transaction-graph), \
             :anomalies {:empty-transaction-graph true}, :not #{}, :also-not #{}}"
        );
        let mut t = Anomalies::new();
        t.insert("cycle-search-timeout".into(), Value::Vector(vec![]));
        t.insert("G2-item".into(), Value::Vector(vec![]));
        let r = maelstrom_rw_wrapper(elle_result(&opts, &t));
        assert_eq!(r.get("valid?"), Some(&Value::Bool(true)));
        assert_eq!(r.get("anomalies"), Some(&Value::Map(vec![])));
    }
}
