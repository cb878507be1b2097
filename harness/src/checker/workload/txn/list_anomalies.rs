//! txn-list-append's anomalies found without the dependency graph (Elle 0.2.2
//! `elle.list-append`): G1a, G1b, internal, future-read, duplicate-elements,
//! incompatible-order, dirty-update and lost-update. See [`super::list_append`].

use std::collections::{BTreeMap, HashMap};

use glomers_model::{Op, OpType, Value};

use super::list_append::{cmp_ids, sorted_values, AppendIndex, List, Mop, Txn};
use super::mops::Interner;
use crate::checker::util::op_value;

pub(super) fn list_value(interner: &Interner, l: &[u32]) -> Value {
    Value::Vector(l.iter().map(|&e| interner.value(e).clone()).collect())
}

/// G1a (reads of failed appends) and G1b (reads ending in another txn's non-final append).
pub(super) fn g1_cases(
    txns: &[Txn],
    history: &[Op],
    interner: &Interner,
) -> (Vec<Value>, Vec<Value>) {
    let mut failed: HashMap<(u32, u32), usize> = HashMap::new();
    let mut intermediate: HashMap<(u32, u32), usize> = HashMap::new();
    for t in txns {
        let mut last: HashMap<u32, u32> = HashMap::new();
        for m in &t.mops {
            if let Mop::Append { key, elem } = *m {
                if t.typ() == OpType::Fail {
                    failed.insert((key, elem), t.pos);
                }
                if let Some(prev) = last.insert(key, elem) {
                    if interner.value(prev) != &Value::Nil {
                        intermediate.insert((key, prev), t.pos);
                    }
                }
            }
        }
    }
    let case = |t: &Txn, raw: &Value, writer: usize, e: u32| {
        glomers_model::edn_map! {
            "op" => op_value(t.op),
            "mop" => raw.clone(),
            "writer" => op_value(&history[writer]),
            "element" => interner.value(e).clone(),
        }
    };
    let (mut g1a, mut g1b) = (Vec::new(), Vec::new());
    for t in txns.iter().filter(|t| t.typ() == OpType::Ok) {
        for (m, raw) in t.mops.iter().zip(&t.raw) {
            if let Mop::Read { key, list: Some(l) } = m {
                for &e in l {
                    if let Some(&w) = failed.get(&(*key, e)) {
                        g1a.push(case(t, raw, w, e));
                    }
                }
            }
        }
    }
    for t in txns.iter().filter(|t| t.typ() == OpType::Ok) {
        for (m, raw) in t.mops.iter().zip(&t.raw) {
            if let Mop::Read { key, list: Some(l) } = m {
                if let Some(&e) = l.last() {
                    match intermediate.get(&(*key, e)) {
                        Some(&w) if w != t.pos => g1b.push(case(t, raw, w, e)),
                        _ => {}
                    }
                }
            }
        }
    }
    (g1a, g1b)
}

/// What a txn expects a key to hold: a full list, or a known suffix after an unknown prefix.
#[derive(Debug, Clone)]
enum Expect {
    Full(Vec<u32>),
    Suffix(Vec<u32>),
}

fn expect_value(interner: &Interner, e: &Expect) -> Value {
    match e {
        Expect::Full(l) => list_value(interner, l),
        Expect::Suffix(l) => {
            let mut v = vec![Value::Symbol("...".into())];
            v.extend(l.iter().map(|&x| interner.value(x).clone()));
            Value::Vector(v)
        }
    }
}

/// Elle's `op-int-case`.
pub(super) fn internal_case(t: &Txn, interner: &Interner) -> Option<Value> {
    // Key → expected state; `None` after reading nil (an append then starts from []).
    let mut state: HashMap<u32, Option<Expect>> = HashMap::new();
    for (m, raw) in t.mops.iter().zip(&t.raw) {
        match m {
            Mop::Append { key, elem } => {
                let next = match state.get(key) {
                    None => Expect::Suffix(vec![*elem]),
                    Some(None) => Expect::Full(vec![*elem]),
                    Some(Some(Expect::Full(l))) => Expect::Full([l.as_slice(), &[*elem]].concat()),
                    Some(Some(Expect::Suffix(l))) => {
                        Expect::Suffix([l.as_slice(), &[*elem]].concat())
                    }
                };
                state.insert(*key, Some(next));
            }
            Mop::Read { key, list } => {
                let bad = match state.get(key) {
                    Some(Some(Expect::Suffix(s))) => {
                        let v = list.as_deref().unwrap_or(&[]);
                        v.len() < s.len() || v[v.len() - s.len()..] != s[..]
                    }
                    Some(Some(Expect::Full(s))) => list.as_deref() != Some(s.as_slice()),
                    _ => false,
                };
                if bad {
                    let expected = state.get(key).cloned().flatten();
                    return Some(glomers_model::edn_map! {
                        "op" => op_value(t.op),
                        "mop" => (*raw).clone(),
                        "expected" => expected.map_or(Value::Nil, |e| expect_value(interner, &e)),
                    });
                }
                state.insert(*key, list.clone().map(Expect::Full));
            }
        }
    }
    None
}

/// Elle's `op-future-read-case`: a read of an element the txn appends later.
pub(super) fn future_read_case(t: &Txn, interner: &Interner) -> Option<Value> {
    let mut seen: HashMap<(u32, u32), &Value> = HashMap::new();
    for (m, raw) in t.mops.iter().zip(&t.raw) {
        match m {
            Mop::Append { key, elem } => {
                if let Some(read) = seen.get(&(*key, *elem)) {
                    return Some(glomers_model::edn_map! {
                        "op" => op_value(t.op),
                        "mop" => (*read).clone(),
                        "element" => interner.value(*elem).clone(),
                    });
                }
            }
            Mop::Read { key, list: Some(l) } => {
                for &e in l {
                    seen.entry((*key, e)).or_insert(raw);
                }
            }
            Mop::Read { .. } => {}
        }
    }
    None
}

pub(super) fn duplicate_cases(possible: &[&Txn], interner: &Interner) -> Vec<Value> {
    let mut out = Vec::new();
    for t in possible {
        for (m, raw) in t.mops.iter().zip(&t.raw) {
            let Mop::Read { list: Some(l), .. } = m else {
                continue;
            };
            let mut counts: HashMap<u32, i64> = HashMap::new();
            for &e in l {
                *counts.entry(e).or_default() += 1;
            }
            let mut dups: Vec<(u32, i64)> = counts.into_iter().filter(|&(_, c)| c > 1).collect();
            if dups.is_empty() {
                continue;
            }
            dups.sort_by(|a, b| cmp_ids(interner, a.0, b.0));
            out.push(glomers_model::edn_map! {
                "op" => op_value(t.op),
                "mop" => (*raw).clone(),
                "duplicates" => Value::Map(dups.into_iter().map(|(e, c)| (interner.value(e).clone(), Value::Int(c))).collect()),
            });
        }
    }
    out
}

pub(super) fn incompatible_orders(
    sorted: &BTreeMap<u32, Vec<Vec<u32>>>,
    interner: &Interner,
) -> Vec<Value> {
    let mut keys: Vec<&u32> = sorted.keys().collect();
    keys.sort_by(|a, b| cmp_ids(interner, **a, **b));
    keys.into_iter()
        .filter_map(|k| {
            sorted[k].windows(2).find(|w| !w[1].starts_with(&w[0])).map(|w| {
                glomers_model::edn_map! {
                    "key" => interner.value(*k).clone(),
                    "values" => Value::Vector(vec![list_value(interner, &w[0]), list_value(interner, &w[1])]),
                }
            })
        })
        .collect()
}

/// Elle's `dirty-update-cases`: walking each key's version order, a committed append right
/// after (a run of) failed ones.
pub(super) fn dirty_update_cases(txns: &[Txn], interner: &Interner) -> Result<Vec<Value>, String> {
    let appends = AppendIndex::new(&sorted_values(txns.iter(), interner));
    let mut writer: HashMap<(u32, u32), &Txn> = HashMap::new();
    for t in txns.iter().filter(|t| t.typ() != OpType::Invoke) {
        for m in &t.mops {
            if let Mop::Append { key, elem } = *m {
                writer.insert((key, elem), t);
            }
        }
    }
    let mut keys: Vec<&u32> = appends.values.keys().collect();
    keys.sort_by(|a, b| cmp_ids(interner, **a, **b));
    let mut out = Vec::new();
    for &k in keys {
        let mut t1: Option<&Txn> = None; // None: the committed initial state
        let mut vs: Vec<u32> = Vec::new();
        for &v in &appends.values[&k] {
            vs.push(v);
            let t2 = *writer.get(&(k, v)).ok_or_else(|| {
                format!(
                    "java.lang.AssertionError: Assert failed: No transaction wrote {} {}",
                    interner.value(k),
                    interner.value(v)
                )
            })?;
            let ty1 = t1.map_or(OpType::Ok, Txn::typ);
            match (ty1, t2.typ()) {
                (OpType::Fail, OpType::Ok) => {
                    out.push(glomers_model::edn_map! {
                        "key" => interner.value(k).clone(),
                        "values" => list_value(interner, &vs),
                        "txns" => Value::Vector(vec![
                            t1.map_or(Value::Nil, |t| op_value(t.op)),
                            Value::Symbol("...".into()),
                            op_value(t2.op),
                        ]),
                    });
                    t1 = Some(t2);
                    vs = vec![v];
                }
                (_, OpType::Info) | (OpType::Fail, OpType::Fail) => {}
                _ => {
                    t1 = Some(t2);
                    vs = vec![v];
                }
            }
        }
    }
    Ok(out)
}

pub(super) fn lost_update_cases(possible: &[&Txn], interner: &Interner) -> Vec<Value> {
    let mut groups: Vec<((u32, List), Vec<&Op>)> = Vec::new();
    let mut index: HashMap<(u32, List), usize> = HashMap::new();
    for t in possible.iter().filter(|t| t.typ() == OpType::Ok) {
        let mut reads: Vec<(u32, List)> = Vec::new();
        let mut written: Vec<u32> = Vec::new();
        for m in &t.mops {
            let k = m.key();
            let read = reads
                .iter()
                .find(|(rk, _)| *rk == k)
                .map(|(_, v)| v.clone());
            let is_write = matches!(m, Mop::Append { .. });
            if is_write && !written.contains(&k) {
                if let Some(v) = read {
                    written.push(k);
                    let i = *index.entry((k, v.clone())).or_insert_with(|| {
                        groups.push(((k, v), Vec::new()));
                        groups.len() - 1
                    });
                    groups[i].1.push(t.op);
                }
            } else if read.is_none() {
                let v = match m {
                    Mop::Read { list, .. } => list.clone(),
                    Mop::Append { elem, .. } => Some(vec![*elem]),
                };
                reads.push((k, v));
            }
        }
    }
    groups
        .into_iter()
        .filter(|(_, ops)| ops.len() >= 2)
        .map(|((k, v), ops)| {
            glomers_model::edn_map! {
                "key" => interner.value(k).clone(),
                "value" => v.map_or(Value::Nil, |l| list_value(interner, &l)),
                "txns" => Value::Vector(ops.into_iter().map(op_value).collect()),
            }
        })
        .collect()
}
