//! Elle's cycle analysis of the dependency graph ([`super::graph`]), as jepsen's kafka checker
//! runs it (`elle.txn/cycles!` with `:consistency-models [:strict-serializable]`).
//!
//! The graph is cut into strongly connected components. In each nontrivial one:
//! 1. **cycle-exists** cases: for the consistency models whose subgraphs can differ here
//!    (no rw, predicate or process edges exist in this graph, so the others coincide with
//!    these and are skipped as implied), the smallest cycle-bearing component of the
//!    projected subgraph: `{:type :PL-1-cycle-exists, :not :read-uncommitted, :subgraph
//!    [:union :ww :wwp], :scc-size n, :scc #{op indices}}`, then PL-2 (`[:union :ww :wwp :wr
//!    :wrp]`), strong-PL-1 (`... :realtime`) and strong-PL-2. A model found impossible makes
//!    the stronger ones redundant.
//! 2. **cycles** of each type the impossible models allow, worst first: `:G0` (ww),
//!    `:G1c` (ww+wr, ≥1 wr), `:G0-realtime` (ww+realtime, ≥1 realtime), `:G1c-realtime`
//!    (≥1 wr and ≥1 realtime). A found type makes the types it implies redundant. A cycle
//!    `{:cycle [ops..., first op], :steps (...), :type t}` is typed by its explained steps:
//!    any wr step makes it G1c, else G0, plus `-realtime` with a realtime step.
//!
//! A graph without edges yields `:empty-transaction-graph true`. Each component's search
//! has one second, like Elle; when it runs out, a `:cycle-search-timeout` case and some
//! cycle of the component are reported instead, and after 10 s in all the remaining
//! components are reported that way at once.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use glomers_model::Value;

use super::graph::{self, Graph, RT, WR, WW};
use super::index::Index;
use super::parse::Parsed;
use super::version_order::VersionOrders;
use crate::checker::util::int;

/// Elle's per-component search budget.
const SCC_TIMEOUT: Duration = Duration::from_millis(1000);
/// Budget for the whole cycle analysis.
const TOTAL_TIMEOUT: Duration = Duration::from_secs(10);

/// Anomalies by type name, types in first-found order.
pub type Anomalies = Vec<(String, Vec<Value>)>;

struct ExistsSpec {
    model: usize,
    rels: u8,
    typ: &'static str,
    not: &'static str,
    subgraph: &'static [&'static str],
    /// Models made impossible (besides this one) when this one is.
    stronger: &'static [usize],
}

const PL1: usize = 0;
const PL2: usize = 1;
const SPL1: usize = 2;
const SPL2: usize = 3;

const EXISTS: [ExistsSpec; 4] = [
    ExistsSpec {
        model: PL1,
        rels: WW,
        typ: "PL-1-cycle-exists",
        not: "read-uncommitted",
        subgraph: &["ww", "wwp"],
        stronger: &[PL2, SPL1, SPL2],
    },
    ExistsSpec {
        model: PL2,
        rels: WW | WR,
        typ: "PL-2-cycle-exists",
        not: "read-committed",
        subgraph: &["ww", "wwp", "wr", "wrp"],
        stronger: &[SPL2],
    },
    ExistsSpec {
        model: SPL1,
        rels: WW | RT,
        typ: "strong-PL-1-cycle-exists",
        not: "strong-read-uncommitted",
        subgraph: &["ww", "wwp", "realtime"],
        stronger: &[SPL2],
    },
    ExistsSpec {
        model: SPL2,
        rels: WW | WR | RT,
        typ: "strong-PL-2-cycle-exists",
        not: "strong-read-committed",
        subgraph: &["ww", "wwp", "wr", "wrp", "realtime"],
        stronger: &[],
    },
];

struct CycleSpec {
    typ: &'static str,
    rels: u8,
    required: &'static [u8],
    /// Searched only when this model is impossible.
    needs: usize,
    /// Types this one implies (skipped once it is found).
    implies: &'static [&'static str],
}

const CYCLES: [CycleSpec; 4] = [
    CycleSpec {
        typ: "G0",
        rels: WW,
        required: &[],
        needs: PL1,
        implies: &["G1c", "G0-realtime", "G1c-realtime"],
    },
    CycleSpec {
        typ: "G1c",
        rels: WW | WR,
        required: &[WR],
        needs: PL2,
        implies: &["G1c-realtime"],
    },
    CycleSpec {
        typ: "G0-realtime",
        rels: WW | RT,
        required: &[RT],
        needs: SPL1,
        implies: &["G1c-realtime"],
    },
    CycleSpec {
        typ: "G1c-realtime",
        rels: WW | WR | RT,
        required: &[WR, RT],
        needs: SPL2,
        implies: &[],
    },
];

/// Tarjan's strongly connected components of `verts` over edges sharing a bit with `rels`;
/// only components with more than one vertex (the graph has no self-edges).
fn sccs(g: &Graph, verts: &[u32], rels: u8) -> Vec<Vec<u32>> {
    let local: HashMap<u32, usize> = verts.iter().enumerate().map(|(i, v)| (*v, i)).collect();
    let n = verts.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut out = Vec::new();
    let mut next = 0usize;
    let succ = |v: usize| -> Vec<usize> {
        g.edges(verts[v])
            .iter()
            .filter(|(_, r)| r & rels != 0)
            .filter_map(|(w, _)| local.get(w).copied())
            .collect()
    };
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut call: Vec<(usize, Vec<usize>, usize)> = vec![(root, succ(root), 0)];
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some((v, ws, i)) = call.last_mut() {
            let v = *v;
            if let Some(&w) = ws.get(*i) {
                *i += 1;
                if index[w] == usize::MAX {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    call.push((w, succ(w), 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            call.pop();
            if let Some((parent, _, _)) = call.last() {
                low[*parent] = low[*parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut comp = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    comp.push(verts[w]);
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 1 {
                    comp.sort_unstable();
                    out.push(comp);
                }
            }
        }
    }
    out.sort_by_key(|c| c[0]);
    out
}

/// Bits of `required` that stepping along `rel` checks off (the first one still wanted).
fn check_off(required: &[u8], mask: u8, rel: u8) -> u8 {
    for (j, q) in required.iter().enumerate() {
        if mask & (1 << j) == 0 && q & rel != 0 {
            return mask | (1 << j);
        }
    }
    mask
}

/// Shortest path from `from` back to `to` inside `comp` over `rels` edges that completes
/// the `required` set, starting with `mask0` already checked off. Returns the vertices
/// after `from` up to and including `to`.
fn bfs(
    g: &Graph,
    comp: &HashMap<u32, ()>,
    rels: u8,
    required: &[u8],
    from: u32,
    to: u32,
    mask0: u8,
) -> Option<Vec<u32>> {
    let full = ((1u16 << required.len()) - 1) as u8;
    let mut prev: HashMap<(u32, u8), (u32, u8)> = HashMap::new();
    let mut queue = VecDeque::from([(from, mask0)]);
    prev.insert((from, mask0), (from, mask0));
    while let Some((v, m)) = queue.pop_front() {
        for &(w, r) in g.edges(v) {
            if !comp.contains_key(&w) || r & rels == 0 {
                continue;
            }
            for bit in [WW, WR, RT] {
                if r & rels & bit == 0 {
                    continue;
                }
                let m2 = check_off(required, m, bit);
                if prev.contains_key(&(w, m2)) {
                    continue;
                }
                prev.insert((w, m2), (v, m));
                if w == to && m2 == full {
                    let mut path = vec![w];
                    let mut cur = (v, m);
                    while cur != (from, mask0) {
                        path.push(cur.0);
                        cur = prev[&cur];
                    }
                    path.reverse();
                    return Some(path);
                }
                if w != to {
                    queue.push_back((w, m2));
                }
            }
        }
    }
    None
}

/// A simple cycle `[a, b, ..., a]` in `comp` matching the spec, or `None`.
fn find_cycle(
    g: &Graph,
    comp: &[u32],
    rels: u8,
    required: &[u8],
    deadline: Instant,
) -> Result<Option<Vec<u32>>, ()> {
    for sub in sccs(g, comp, rels) {
        let members: HashMap<u32, ()> = sub.iter().map(|v| (*v, ())).collect();
        let internal = |want: u8| {
            sub.iter().any(|&a| {
                g.edges(a)
                    .iter()
                    .any(|&(b, r)| members.contains_key(&b) && r & rels & want != 0)
            })
        };
        if !required.iter().all(|&q| internal(q)) {
            continue;
        }
        let first = required.first().copied().unwrap_or(rels);
        for &a in &sub {
            for &(b, r) in g.edges(a) {
                if !members.contains_key(&b) || r & rels & first == 0 {
                    continue;
                }
                if Instant::now() > deadline {
                    return Err(());
                }
                let bit = [WW, WR, RT]
                    .into_iter()
                    .find(|bit| r & rels & first & bit != 0)
                    .unwrap_or(0);
                let mask0 = check_off(required, 0, bit);
                let Some(path) = bfs(g, &members, rels, required, b, a, mask0) else {
                    continue;
                };
                let mut cycle = vec![a, b];
                cycle.extend(path);
                let mut inner = cycle[..cycle.len() - 1].to_vec();
                inner.sort_unstable();
                inner.dedup();
                if inner.len() == cycle.len() - 1 {
                    return Ok(Some(cycle));
                }
            }
        }
    }
    Ok(None)
}

/// Context for explaining cycles.
struct Ctx<'a, 'p> {
    p: &'a Parsed<'p>,
    ix: &'a Index,
    vo: &'a VersionOrders,
    ww_deps: bool,
}

impl Ctx<'_, '_> {
    /// `{:cycle [...] :steps (...) :type t}` (Elle's txn cycle explainer).
    fn explain(&self, cycle: &[u32]) -> Result<(String, Value), String> {
        let mut steps = Vec::new();
        let (mut ww, mut wr, mut rt) = (0, 0, 0);
        for w in cycle.windows(2) {
            let step = graph::explain(
                self.p,
                self.ix,
                self.vo,
                self.ww_deps,
                w[0] as usize,
                w[1] as usize,
            )
            .ok_or("java.lang.IllegalStateException: unable to explain a cycle step")?;
            match step.rel {
                WW => ww += 1,
                WR => wr += 1,
                _ => rt += 1,
            }
            steps.push(step.data);
        }
        let base = if wr > 0 {
            "G1c"
        } else if ww > 0 {
            "G0"
        } else {
            return Err("java.lang.IllegalStateException: Don't know how to classify".into());
        };
        let typ = format!("{base}{}", if rt > 0 { "-realtime" } else { "" });
        let ops = cycle
            .iter()
            .map(|&i| crate::checker::util::op_value(self.p.op(&self.p.ops[i as usize])))
            .collect();
        let v = glomers_model::edn_map! {
            "cycle" => Value::Vector(ops),
            "steps" => Value::List(steps),
            "type" => Value::kw(&typ),
        };
        Ok((typ, v))
    }

    fn exists_case(&self, spec: &ExistsSpec, comp: &[u32]) -> Value {
        let mut idx: Vec<u64> = comp
            .iter()
            .map(|&i| self.p.op(&self.p.ops[i as usize]).index)
            .collect();
        idx.sort_unstable();
        glomers_model::edn_map! {
            "type" => Value::kw(spec.typ),
            "not" => Value::kw(spec.not),
            "subgraph" => Value::Vector(
                std::iter::once(Value::kw("union"))
                    .chain(spec.subgraph.iter().map(|s| Value::kw(s)))
                    .collect(),
            ),
            "scc-size" => int(comp.len()),
            "scc" => Value::Set(idx.into_iter().map(int).collect()),
        }
    }

    /// Cases of one component, in Elle's order: cycle-exists cases, then cycles.
    fn component(
        &self,
        g: &Graph,
        comp: &[u32],
        deadline: Instant,
    ) -> Result<Vec<(String, Value)>, String> {
        let mut out: Vec<(String, Value)> = Vec::new();
        let mut impossible = [false; 4];
        for spec in &EXISTS {
            if impossible[spec.model] {
                continue;
            }
            let mut subs = sccs(g, comp, spec.rels);
            subs.sort_by_key(Vec::len);
            if let Some(smallest) = subs.first() {
                out.push((spec.typ.to_string(), self.exists_case(spec, smallest)));
                impossible[spec.model] = true;
                spec.stronger.iter().for_each(|&m| impossible[m] = true);
            }
        }
        let mut redundant: Vec<&str> = Vec::new();
        let mut searched: Vec<&str> = Vec::new();
        let mut found: Vec<(String, Value)> = Vec::new();
        for spec in &CYCLES {
            if !impossible[spec.needs] || redundant.contains(&spec.typ) {
                continue;
            }
            searched.push(spec.typ);
            match find_cycle(g, comp, spec.rels, spec.required, deadline) {
                Ok(Some(cycle)) => {
                    found.push(self.explain(&cycle)?);
                    redundant.extend(spec.implies);
                }
                Ok(None) => {}
                Err(()) => return self.timed_out(g, comp, &searched, &found, out),
            }
        }
        out.extend(found);
        Ok(out)
    }

    /// Elle's timeout result: a `:cycle-search-timeout` case, some cycle of the component,
    /// then the cycle-exists cases and the cycles found so far.
    fn timed_out(
        &self,
        g: &Graph,
        comp: &[u32],
        searched: &[&str],
        found: &[(String, Value)],
        exists: Vec<(String, Value)>,
    ) -> Result<Vec<(String, Value)>, String> {
        let (current, before) = searched
            .split_last()
            .map_or(("", &[][..]), |(c, b)| (*c, b));
        let not_found: Vec<Value> = before
            .iter()
            .filter(|t| !found.iter().any(|(ft, _)| ft == *t))
            .map(|t| Value::kw(t))
            .collect();
        let mut out = vec![(
            "cycle-search-timeout".to_string(),
            glomers_model::edn_map! {
                "type" => Value::kw("cycle-search-timeout"),
                "anomaly-spec-type" => if current.is_empty() { Value::Nil } else { Value::kw(current) },
                "does-not-contain" => Value::List(not_found),
                "scc-size" => int(comp.len()),
            },
        )];
        let far = Instant::now() + Duration::from_secs(3600);
        if let Ok(Some(cycle)) = find_cycle(g, comp, WW | WR | RT, &[], far) {
            out.push(self.explain(&cycle)?);
        }
        out.extend(exists);
        out.extend(found.iter().cloned());
        Ok(out)
    }
}

/// The cycle anomalies of the history. `Err` is a Jepsen crash (a polled message nobody
/// sent, an unexplainable step).
pub fn cycles(
    p: &Parsed,
    ix: &Index,
    vo: &VersionOrders,
    ww_deps: bool,
) -> Result<Anomalies, String> {
    if p.ops.is_empty() {
        return Ok(Vec::new());
    }
    let g = graph::build(p, ix, vo, ww_deps)?;
    if g.is_empty() {
        return Ok(vec![(
            "empty-transaction-graph".into(),
            vec![Value::Bool(true)],
        )]);
    }
    let ctx = Ctx { p, ix, vo, ww_deps };
    let start = Instant::now();
    let mut anomalies: Anomalies = Vec::new();
    for comp in sccs(&g, &g.vertices(), WW | WR | RT) {
        let now = Instant::now();
        let deadline = (now + SCC_TIMEOUT).min(start + TOTAL_TIMEOUT);
        for (typ, case) in ctx.component(&g, &comp, deadline)? {
            match anomalies.iter_mut().find(|(t, _)| *t == typ) {
                Some((_, cases)) => cases.push(case),
                None => anomalies.push((typ, vec![case])),
            }
        }
    }
    Ok(anomalies)
}
