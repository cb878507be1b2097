//! Cycle anomalies of a whole dependency graph (Elle's `elle.txn/cycles`): split the graph
//! into strongly connected components and, in each, run the cycle-exists checks, then look
//! for one cycle of every cycle type in Elle's order ([`super::bfs`]), skipping types that
//! are implied by a type already found or ruled out by the cycle-exists results. A cycle
//! found for a type is explained step by step, and kept (under the type its explanation
//! gives) unless the type demands a different explanation, exactly as Elle does.
//!
//! Each SCC has a work budget (and the whole history a total one); running out yields
//! `:cycle-search-timeout` (with the type being searched and the types already ruled out)
//! plus some cycle of that SCC, classified, as Elle's fallback does.
//!
//! Results are EDN maps as Elle prints them: cycles as `{:cycle [ops] :steps (...) :type t}`,
//! cycle-exists findings as `{:type :not :subgraph :scc-size :scc}`.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use glomers_model::{Op, Value};

use super::anomalies::{all_implied, cycle_types, CycleType};
use super::bfs::{search, spec, Proj};
use super::champ::op_hash;
use super::graph::DepGraph;
use super::models::{all_impossible_models, prohibited_by};
use super::search::{
    classify, cycle_exists, cycle_kinds, fallback_cycle, kind_adj, Budget, ExistsCase, Kind,
    KindAdj, Subgraph, Timeout, EXISTS_SPECS,
};
use crate::checker::util::{int, op_value, process_value, Pairs};

/// Explains data dependencies between two ops for the steps of a cycle.
pub(crate) trait Explain {
    /// Why `b` depends on `a` through `kind` (ww, wr or rw): Elle's step map.
    fn data_step(&self, a: usize, b: usize, kind: Kind) -> Value;
}

/// Everything the cycle analysis needs.
pub(crate) struct CycleInput<'a> {
    pub history: &'a [Op],
    pub pairs: &'a Pairs,
    pub graph: &'a DepGraph,
    pub explain: &'a dyn Explain,
    /// The order in which the workload's explainer names data relationships.
    pub priority: [Kind; 3],
    /// Work budget per SCC.
    pub budget: u64,
    /// Work budget for all SCCs together; once spent, every further SCC times out at once.
    pub total_budget: u64,
}

/// Anomaly name → cases, from every SCC.
pub(crate) fn cycle_anomalies(input: &CycleInput) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    let mut left = input.total_budget;
    for scc in input.graph.sccs() {
        let mut budget = Budget(input.budget.min(left));
        let start = budget.0;
        for (name, case) in scc_anomalies(input, &scc, &mut budget) {
            out.entry(name).or_default().push(case);
        }
        left -= start - budget.0;
    }
    out
}

fn scc_anomalies(input: &CycleInput, scc: &[u32], budget: &mut Budget) -> Vec<(String, Value)> {
    let local = input.graph.local(scc);
    let kinds = kind_adj(&local, &input.priority);
    let exists = cycle_exists(&local);
    let to_pos = |v: u32| input.graph.pos[local.nodes[v as usize] as usize];
    let exists_values: Vec<(String, Value)> = exists
        .iter()
        .map(|c| (c.spec.anomaly(), exists_value(input.history, c, &to_pos)))
        .collect();

    let mut redundant: HashSet<String> = impossible_cycle_types(&exists);
    let hash: Vec<u32> = (0..local.nodes.len() as u32)
        .map(|v| op_hash(input.history[to_pos(v)].index))
        .collect();
    let mut projections: Vec<(u8, Proj)> = Vec::new();
    let mut searched: Vec<&CycleType> = Vec::new();
    let mut found: Vec<(String, Value)> = Vec::new();
    for ty in cycle_types() {
        if redundant.contains(&ty.name) {
            continue;
        }
        searched.push(ty);
        let Some(spec) = spec(ty) else {
            continue;
        };
        // Projections are shared between types over the same relationships.
        let at = match projections.iter().position(|(m, _)| *m == spec.mask) {
            Some(i) => i,
            None => {
                projections.push((spec.mask, Proj::new(&local.adj, &hash, spec.mask)));
                projections.len() - 1
            }
        };
        match search(&projections[at].1, &hash, &spec, budget) {
            Ok(Some(cycle)) => {
                let Some(name) = classify(&cycle_kinds(&kinds, &cycle)) else {
                    continue;
                };
                if spec.typed.as_ref().is_some_and(|t| *t != name) {
                    continue;
                }
                let value = cycle_value(input, &kinds, &cycle, &to_pos, &name);
                found.push((name, value));
                redundant.extend(all_implied([ty.name.as_str()]));
            }
            Ok(None) => {}
            Err(Timeout) => {
                let mut v = vec![timeout_value(&searched, &found, scc.len())];
                if let Some(c) = fallback_cycle(&kinds) {
                    if let Some(name) = classify(&cycle_kinds(&kinds, &c)) {
                        v.push((name.clone(), cycle_value(input, &kinds, &c, &to_pos, &name)));
                    }
                }
                v.extend(exists_values);
                v.extend(found);
                return v;
            }
        }
    }
    let mut v = exists_values;
    v.extend(found);
    v
}

/// Cycle types that cannot occur given which cycle-exists checks came out clean.
fn impossible_cycle_types(cases: &[ExistsCase]) -> HashSet<String> {
    let impossible = all_impossible_models(cases.iter().map(|c| c.spec.not()));
    let possible: Vec<&str> = EXISTS_SPECS
        .iter()
        .map(|s| s.model)
        .filter(|m| !impossible.contains(*m))
        .collect();
    let prohibited = prohibited_by(possible);
    cycle_types()
        .iter()
        .filter(|t| prohibited.contains(&t.name))
        .map(|t| t.name.clone())
        .collect()
}

fn kw_list(names: &[&str]) -> Value {
    let mut v = vec![Value::kw("union")];
    v.extend(names.iter().map(|n| Value::kw(n)));
    Value::Vector(v)
}

fn subgraph_value(s: Subgraph) -> Value {
    match s {
        Subgraph::Union(names) => kw_list(names),
        Subgraph::Extension(a, b) => {
            Value::Vector(vec![Value::kw("extension"), kw_list(a), kw_list(b)])
        }
    }
}

fn exists_value(history: &[Op], case: &ExistsCase, to_pos: &dyn Fn(u32) -> usize) -> Value {
    let indices: BTreeSet<u64> = case.scc.iter().map(|&v| history[to_pos(v)].index).collect();
    glomers_model::edn_map! {
        "type" => Value::kw(&case.spec.anomaly()),
        "not" => Value::kw(case.spec.not()),
        "subgraph" => subgraph_value(case.spec.subgraph),
        "scc-size" => int(case.scc.len()),
        "scc" => Value::Set(indices.into_iter().map(int).collect()),
    }
}

fn timeout_value(
    searched: &[&CycleType],
    found: &[(String, Value)],
    size: usize,
) -> (String, Value) {
    let last = searched.last().map(|t| t.name.as_str());
    let found_names: HashSet<&str> = found.iter().map(|(n, _)| n.as_str()).collect();
    let not_contained: Vec<Value> = searched
        .iter()
        .take(searched.len().saturating_sub(1))
        .filter(|t| !found_names.contains(t.name.as_str()))
        .map(|t| Value::kw(&t.name))
        .collect();
    (
        "cycle-search-timeout".to_string(),
        glomers_model::edn_map! {
            "type" => Value::kw("cycle-search-timeout"),
            "anomaly-spec-type" => last.map_or(Value::Nil, Value::kw),
            "does-not-contain" => Value::List(not_contained),
            "scc-size" => int(size),
        },
    )
}

fn cycle_value(
    input: &CycleInput,
    kinds: &KindAdj,
    cycle: &[u32],
    to_pos: &dyn Fn(u32) -> usize,
    name: &str,
) -> Value {
    let positions: Vec<usize> = cycle.iter().map(|&v| to_pos(v)).collect();
    let steps = cycle_kinds(kinds, cycle)
        .into_iter()
        .zip(positions.windows(2))
        .map(|(k, w)| step_value(input, w[0], w[1], k))
        .collect();
    glomers_model::edn_map! {
        "cycle" => Value::Vector(positions.iter().map(|&p| op_value(&input.history[p])).collect()),
        "steps" => Value::List(steps),
        "type" => Value::kw(name),
    }
}

fn step_value(input: &CycleInput, a: usize, b: usize, kind: Kind) -> Value {
    match kind {
        Kind::Realtime => {
            let invoke = input.pairs.partner(b).unwrap_or(b);
            glomers_model::edn_map! {
                "type" => Value::kw("realtime"),
                "a'" => op_value(&input.history[a]),
                "b" => op_value(&input.history[invoke]),
            }
        }
        Kind::Process => glomers_model::edn_map! {
            "type" => Value::kw("process"),
            "process" => process_value(input.history[a].process),
        },
        _ => input.explain.data_step(a, b, kind),
    }
}
