//! txn-rw-register (MAELSTROM.md §6.8; Elle 0.2.2 `elle.rw-register` with `:wfr-keys? true`).
//!
//! Per txn, the *external reads* are the first mop on each key when it is a read, and the
//! *external writes* the last write to each key. Inference:
//! * **wr**: the unique `:ok` txn that externally wrote k=v → every `:ok` txn that externally
//!   read k=v (two `:ok` external writers of one value make the checker fail);
//! * **version order** per key: `nil` precedes every value externally written (`:ok`/`:info`)
//!   or read (`:ok`); within an `:ok` txn an external read of v before an external write of
//!   v′ gives v < v′ (writes-follow-reads). If writes-follow-reads makes the version graph
//!   cyclic, those cycles are `:cyclic-versions` and only the `nil` rule is used;
//! * for every version edge v → v′: **ww** from external writers of v to external writers of
//!   v′, **rw** from external readers of v to external writers of v′ (so readers of `nil` get
//!   rw edges to every writer of the key).
//!
//! Non-cycle anomalies: `:G1a` (an `:ok` read of a value a `:fail` txn wrote), `:G1b` (an
//! `:ok` read of another txn's overwritten write), `:internal` (a read disagreeing with the
//! txn's own earlier read or write of the key), `:lost-update` (two `:ok` txns read the same
//! value of a key and both wrote it). Cycles, models and the result map are shared (see the
//! parent module); Maelstrom's wrapper then drops `:cycle-search-timeout` and sets `:valid?`
//! to "no anomaly types left".

use std::collections::{HashMap, HashSet};

use glomers_model::{Op, OpType, Value};

use super::cycles::Explain;
use super::elle_files;
use super::graph::{components, rel, Adj, GraphBuilder};
use super::mops::{raw_mops, Interner, MopF};
use super::report::{elle_result, maelstrom_rw_wrapper, Anomalies, Opts};
use super::search::Kind;
use super::{client_positions, cycle_stage, Dependencies};
use crate::checker::util::{compare_values, int, op_value, CheckResult};
use crate::checker::RunFacts;

/// A value; `None` is `nil`.
type Val = Option<u32>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mop {
    write: bool,
    key: u32,
    val: Val,
}

/// A parsed client op.
struct Txn<'a> {
    pos: usize,
    op: &'a Op,
    mops: Vec<Mop>,
    /// The mops as written, for printing.
    raw: Vec<&'a Value>,
}

impl Txn<'_> {
    fn ext_reads(&self) -> Vec<(u32, Val)> {
        let mut seen: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        for m in &self.mops {
            if !seen.contains(&m.key) {
                seen.push(m.key);
                if !m.write {
                    out.push((m.key, m.val));
                }
            }
        }
        out
    }

    fn ext_writes(&self) -> Vec<(u32, Val)> {
        let mut out: Vec<(u32, Val)> = Vec::new();
        for m in self.mops.iter().filter(|m| m.write) {
            match out.iter_mut().find(|(k, _)| *k == m.key) {
                Some(e) => e.1 = m.val,
                None => out.push((m.key, m.val)),
            }
        }
        out
    }

    fn index_of(&self, write: bool, key: u32, val: Val) -> Value {
        let i = self
            .mops
            .iter()
            .position(|m| m.write == write && m.key == key && m.val == val);
        i.map_or(Value::Int(-1), int)
    }
}

fn val_of(interner: &Interner, v: Val) -> Value {
    v.map_or(Value::Nil, |i| interner.value(i).clone())
}

fn parse<'a>(history: &'a [Op], interner: &mut Interner) -> Result<Vec<Txn<'a>>, String> {
    client_positions(history)
        .into_iter()
        .map(|pos| {
            let op = &history[pos];
            let raw = raw_mops(op)?;
            let mut mops = Vec::with_capacity(raw.len());
            for m in &raw {
                let write = match m.f {
                    MopF::Read => false,
                    MopF::Write => true,
                    MopF::Append => {
                        return Err(format!(
                        "java.lang.IllegalArgumentException: No matching clause: :append (op {})",
                        op.index
                    ))
                    }
                };
                let val = match m.value {
                    Value::Nil => None,
                    v => Some(interner.id(v)),
                };
                mops.push(Mop {
                    write,
                    key: interner.id(m.key),
                    val,
                });
            }
            Ok(Txn {
                pos,
                op,
                mops,
                raw: raw.iter().map(|m| m.mop).collect(),
            })
        })
        .collect()
}

/// Per key, the version graph's edges.
type Versions = HashMap<u32, HashSet<(Val, Val)>>;

fn initial_state_versions(txns: &[Txn]) -> Versions {
    let mut g: Versions = HashMap::new();
    for t in txns {
        let reads = match t.op.typ {
            OpType::Invoke | OpType::Fail => continue,
            OpType::Ok => t.ext_reads(),
            OpType::Info => Vec::new(),
        };
        for (k, v) in t.ext_writes().into_iter().chain(reads) {
            if v.is_some() {
                g.entry(k).or_default().insert((None, v));
            }
        }
    }
    g
}

fn wfr_versions(txns: &[Txn]) -> Versions {
    let mut g: Versions = HashMap::new();
    for t in txns.iter().filter(|t| t.op.typ == OpType::Ok) {
        let writes = t.ext_writes();
        for (k, v) in t.ext_reads() {
            if v.is_none() {
                continue;
            }
            if let Some(&(_, Some(v2))) = writes.iter().find(|(wk, _)| *wk == k) {
                g.entry(k).or_default().insert((v, Some(v2)));
            }
        }
    }
    g
}

/// Cyclic components of each key's version graph, as (key, values).
fn version_cycles(g: &Versions) -> Vec<(u32, Vec<Val>)> {
    let mut out = Vec::new();
    for (&k, edges) in g {
        let mut ids: HashMap<Val, u32> = HashMap::new();
        let mut vals: Vec<Val> = Vec::new();
        let mut id = |v: Val, vals: &mut Vec<Val>| {
            *ids.entry(v).or_insert_with(|| {
                vals.push(v);
                vals.len() as u32 - 1
            })
        };
        let mut adj: Adj = Vec::new();
        for &(a, b) in edges {
            let (ia, ib) = (id(a, &mut vals), id(b, &mut vals));
            adj.resize(vals.len(), Vec::new());
            adj[ia as usize].push((ib, rel::WW));
        }
        for c in components(&adj, rel::WW, true) {
            out.push((k, c.into_iter().map(|i| vals[i as usize]).collect()));
        }
    }
    out
}

fn sort_vals(interner: &Interner, vals: &mut [Val]) {
    vals.sort_by(|a, b| match (a, b) {
        (None, None) => std::cmp::Ordering::Equal,
        (None, _) => std::cmp::Ordering::Less,
        (_, None) => std::cmp::Ordering::Greater,
        (Some(x), Some(y)) => compare_values(interner.value(*x), interner.value(*y))
            .unwrap_or(std::cmp::Ordering::Equal),
    });
}

/// Elle's `version-graphs`: the nil rule, then writes-follow-reads unless it creates cycles.
fn version_graphs(txns: &[Txn], interner: &Interner) -> (Versions, Option<Value>) {
    let initial = initial_state_versions(txns);
    let mut merged = initial.clone();
    for (k, edges) in wfr_versions(txns) {
        merged.entry(k).or_default().extend(edges);
    }
    let mut cycles = version_cycles(&merged);
    if cycles.is_empty() {
        return (merged, None);
    }
    for (_, vals) in &mut cycles {
        sort_vals(interner, vals);
    }
    cycles.sort_by(|(ka, va), (kb, vb)| {
        compare_values(interner.value(*ka), interner.value(*kb))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| {
                let (x, y) = (val_of(interner, va[0]), val_of(interner, vb[0]));
                compare_values(&x, &y).unwrap_or(std::cmp::Ordering::Equal)
            })
    });
    let cases = cycles
        .into_iter()
        .map(|(k, vals)| {
            glomers_model::edn_map! {
                "key" => interner.value(k).clone(),
                "scc" => Value::Set(vals.into_iter().map(|v| val_of(interner, v)).collect()),
                "sources" => Value::Vector(vec![Value::kw("initial-state"), Value::kw("wfr-keys")]),
            }
        })
        .collect();
    (initial, Some(Value::List(cases)))
}

/// `k=v` → positions of `:ok` txns that externally read (or wrote) it.
type ExtIndex = HashMap<(u32, Val), Vec<usize>>;

fn ext_index(txns: &[Txn], writes: bool) -> ExtIndex {
    let mut idx: ExtIndex = HashMap::new();
    for t in txns.iter().filter(|t| t.op.typ == OpType::Ok) {
        let kvs = if writes {
            t.ext_writes()
        } else {
            t.ext_reads()
        };
        for kv in kvs {
            idx.entry(kv).or_default().push(t.pos);
        }
    }
    idx
}

fn dependency_graph(
    txns: &[Txn],
    versions: &Versions,
    interner: &Interner,
    history: &[Op],
) -> Result<GraphBuilder, String> {
    let reads = ext_index(txns, false);
    let writes = ext_index(txns, true);
    let mut g = GraphBuilder::new();
    for (kv, readers) in &reads {
        match writes.get(kv).map(Vec::as_slice) {
            None | Some([]) => {}
            Some([w]) => readers.iter().for_each(|&r| g.link(*w, r, rel::WR)),
            Some(ws) => {
                let ops: Vec<String> = ws
                    .iter()
                    .map(|&p| op_value(&history[p]).to_string())
                    .collect();
                return Err(format!(
                    "java.lang.IllegalArgumentException: Key {} had value {} written by more than one op: ({})",
                    interner.value(kv.0),
                    val_of(interner, kv.1),
                    ops.join(" ")
                ));
            }
        }
    }
    let none: Vec<usize> = Vec::new();
    for (&k, edges) in versions {
        for &(v1, v2) in edges {
            let w1 = writes.get(&(k, v1)).unwrap_or(&none);
            let r1 = reads.get(&(k, v1)).unwrap_or(&none);
            let w2 = writes.get(&(k, v2)).unwrap_or(&none);
            for &b in w2 {
                w1.iter().for_each(|&a| g.link(a, b, rel::WW));
                r1.iter().for_each(|&a| g.link(a, b, rel::RW));
            }
        }
    }
    Ok(g)
}

/// Explains wr, ww and rw steps the way Elle's rw-register explainers do.
struct RwExplain<'a> {
    txns: HashMap<usize, &'a Txn<'a>>,
    versions: &'a Versions,
    interner: &'a Interner,
}

impl Explain for RwExplain<'_> {
    fn data_step(&self, a: usize, b: usize, kind: Kind) -> Value {
        let (Some(ta), Some(tb)) = (self.txns.get(&a), self.txns.get(&b)) else {
            return glomers_model::edn_map! { "type" => Value::kw("unexplained") };
        };
        let key = |k: u32| self.interner.value(k).clone();
        let val = |v: Val| val_of(self.interner, v);
        if kind == Kind::Wr {
            let reads = tb.ext_reads();
            for (k, v) in ta.ext_writes() {
                if reads.contains(&(k, v)) {
                    return glomers_model::edn_map! {
                        "type" => Value::kw("wr"),
                        "key" => key(k),
                        "value" => val(v),
                        "a-mop-index" => ta.index_of(true, k, v),
                        "b-mop-index" => tb.index_of(false, k, v),
                    };
                }
            }
        }
        let a_kvs = if kind == Kind::Rw {
            ta.ext_reads()
        } else {
            ta.ext_writes()
        };
        let b_writes = tb.ext_writes();
        for (k, va) in a_kvs {
            let Some(&(_, vb)) = b_writes.iter().find(|(bk, _)| *bk == k) else {
                continue;
            };
            if vb.is_some() && self.versions.get(&k).is_some_and(|e| e.contains(&(va, vb))) {
                return glomers_model::edn_map! {
                    "key" => key(k),
                    "value" => val(va),
                    "value'" => val(vb),
                    "type" => Value::kw(if kind == Kind::Rw { "rw" } else { "ww" }),
                    "a-mop-index" => ta.index_of(kind == Kind::Ww, k, va),
                    "b-mop-index" => tb.index_of(true, k, vb),
                };
            }
        }
        glomers_model::edn_map! { "type" => Value::kw("unexplained") }
    }
}

fn internal_cases(txns: &[Txn], interner: &Interner) -> Vec<Value> {
    let mut out = Vec::new();
    for t in txns.iter().filter(|t| t.op.typ == OpType::Ok) {
        // Key → expected value; None = unknown.
        let mut state: HashMap<u32, Val> = HashMap::new();
        for (m, raw) in t.mops.iter().zip(&t.raw) {
            if m.write {
                state.insert(m.key, m.val);
                continue;
            }
            match state.get(&m.key).copied().flatten() {
                Some(expected) if Some(expected) != m.val => {
                    out.push(glomers_model::edn_map! {
                        "op" => op_value(t.op),
                        "mop" => (*raw).clone(),
                        "expected" => interner.value(expected).clone(),
                    });
                    break;
                }
                _ => {
                    state.insert(m.key, m.val);
                }
            }
        }
    }
    out
}

/// `:ok` reads of values that `:fail` txns wrote (G1a), or that another txn overwrote
/// within itself (G1b).
fn g1_cases(txns: &[Txn], history: &[Op]) -> (Vec<Value>, Vec<Value>) {
    let mut failed: HashMap<(u32, Val), usize> = HashMap::new();
    let mut intermediate: HashMap<(u32, Val), usize> = HashMap::new();
    for t in txns {
        let mut last: HashMap<u32, Val> = HashMap::new();
        for m in t.mops.iter().filter(|m| m.write) {
            if t.op.typ == OpType::Fail {
                failed.insert((m.key, m.val), t.pos);
            }
            if let Some(Some(prev)) = last.insert(m.key, m.val) {
                intermediate.insert((m.key, Some(prev)), t.pos);
            }
        }
    }
    let case = |t: &Txn, raw: &Value, writer: usize| {
        glomers_model::edn_map! {
            "op" => op_value(t.op),
            "mop" => raw.clone(),
            "writer" => op_value(&history[writer]),
        }
    };
    let (mut g1a, mut g1b) = (Vec::new(), Vec::new());
    for t in txns.iter().filter(|t| t.op.typ == OpType::Ok) {
        for (m, raw) in t.mops.iter().zip(&t.raw).filter(|(m, _)| !m.write) {
            if let Some(&w) = failed.get(&(m.key, m.val)) {
                g1a.push(case(t, raw, w));
            }
        }
    }
    for t in txns.iter().filter(|t| t.op.typ == OpType::Ok) {
        for (m, raw) in t.mops.iter().zip(&t.raw).filter(|(m, _)| !m.write) {
            match intermediate.get(&(m.key, m.val)) {
                Some(&w) if w != t.pos => g1b.push(case(t, raw, w)),
                _ => {}
            }
        }
    }
    (g1a, g1b)
}

/// Elle's `lost-update-cases`: `:ok` txns that read the same value of a key (their first read
/// of it) and then wrote that key.
fn lost_update_cases(txns: &[Txn], interner: &Interner) -> Vec<Value> {
    let mut groups: Vec<((u32, Val), Vec<&Op>)> = Vec::new();
    let mut index: HashMap<(u32, Val), usize> = HashMap::new();
    for t in txns.iter().filter(|t| t.op.typ == OpType::Ok) {
        let mut reads: Vec<(u32, Val)> = Vec::new();
        let mut written: Vec<u32> = Vec::new();
        for m in &t.mops {
            let read = reads.iter().find(|(k, _)| *k == m.key).map(|&(_, v)| v);
            if m.write && !written.contains(&m.key) {
                if let Some(v) = read {
                    written.push(m.key);
                    let i = *index.entry((m.key, v)).or_insert_with(|| {
                        groups.push(((m.key, v), Vec::new()));
                        groups.len() - 1
                    });
                    groups[i].1.push(t.op);
                }
            } else if read.is_none() {
                reads.push((m.key, m.val));
            }
        }
    }
    groups
        .into_iter()
        .filter(|(_, ops)| ops.len() >= 2)
        .map(|((k, v), ops)| {
            glomers_model::edn_map! {
                "key" => interner.value(k).clone(),
                "value" => val_of(interner, v),
                "txns" => Value::Vector(ops.into_iter().map(op_value).collect()),
            }
        })
        .collect()
}

/// Elle's rw-register analysis: the anomaly map (reportable or not).
pub(crate) fn analyze(history: &[Op], opts: &Opts, budget: u64) -> Result<Anomalies, String> {
    let mut interner = Interner::default();
    let txns = parse(history, &mut interner)?;
    let (versions, cyclic) = version_graphs(&txns, &interner);
    let graph = dependency_graph(&txns, &versions, &interner, history)?;
    let explain = RwExplain {
        txns: txns.iter().map(|t| (t.pos, t)).collect(),
        versions: &versions,
        interner: &interner,
    };
    let mut anomalies = Anomalies::new();
    if let Some(c) = cyclic {
        anomalies.insert("cyclic-versions".into(), c);
    }
    let positions: Vec<usize> = txns.iter().map(|t| t.pos).collect();
    let deps = Dependencies {
        graph,
        explain: &explain,
        priority: [Kind::Wr, Kind::Ww, Kind::Rw],
    };
    cycle_stage(history, &positions, opts, deps, budget, &mut anomalies);
    let internal = internal_cases(&txns, &interner);
    if !internal.is_empty() {
        anomalies.insert("internal".into(), Value::List(internal));
    }
    let (g1a, g1b) = g1_cases(&txns, history);
    if !g1a.is_empty() {
        anomalies.insert("G1a".into(), Value::List(g1a));
    }
    if !g1b.is_empty() {
        anomalies.insert("G1b".into(), Value::List(g1b));
    }
    let lost = lost_update_cases(&txns, &interner);
    if !lost.is_empty() {
        anomalies.insert("lost-update".into(), Value::Vector(lost));
    }
    Ok(anomalies)
}

/// The `:workload` map of txn-rw-register with a given cycle-search budget per SCC.
pub fn check(history: &[Op], facts: &RunFacts, budget: u64) -> CheckResult {
    let opts = Opts::from_facts(facts)?;
    let anomalies = analyze(history, &opts, budget)?;
    if let Some(dir) = &facts.dir {
        elle_files::write(dir, &opts, &anomalies, elle_files::Flavor::RwRegister)
            .map_err(|e| format!("writing {}: {e}", dir.join("elle").display()))?;
    }
    Ok(maelstrom_rw_wrapper(elle_result(&opts, &anomalies)))
}
