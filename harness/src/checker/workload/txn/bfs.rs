//! Elle's typed cycle search (`elle.bfs` and `BFSPath`), step for step.
//!
//! A cycle type is a path automaton: *legal* relationships that may always be taken, *wanted*
//! ones that must each be taken at least once (wr for G1c, realtime/process for the variants),
//! a number of rw edges still wanted (1 for G-single, 2 for G2/G-nonadjacent) and an rw mode
//! (none, exactly one, or non-adjacent). The graph is the SCC projected to the type's
//! relationships. For each start vertex in Elle's order ([`super::champ`]), a breadth-first
//! expansion of simple paths (no de-duplication) runs until some path closes a loop: a valid
//! loop back to the start is the answer; a valid loop closing elsewhere is searched again
//! inside its own vertices; invalid loops are dropped. The first cycle found is the only
//! candidate: Elle then explains it and keeps it only if the explanation has the wanted type.
//!
//! Expansion order follows Elle: neighbours in hash order, and per edge the rw relationship
//! first, then wanted ones, then at most one other legal one. Work is counted in path steps.

use super::anomalies::{CycleType, Variant};
use super::champ::champ_order;
use super::graph::rel;
use super::search::{Budget, Timeout};

/// How rw edges may be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    None,
    Single,
    NonadjFree,
    NonadjTaken,
}

/// A cycle type's path automaton.
#[derive(Debug, Clone)]
pub(crate) struct Spec {
    legal: u8,
    want: u8,
    want_rw: u8,
    mode: Mode,
    /// Relationships of the projected graph searched.
    pub mask: u8,
    /// The type the explanation must have, if any.
    pub typed: Option<String>,
}

/// Elle's spec for a cycle type; `None` for the predicate shapes (G-single, G-nonadjacent,
/// G2 and variants), which need predicate relationships to ever be explained as such.
pub(crate) fn spec(ty: &CycleType) -> Option<Spec> {
    let (mut legal, mut want, want_rw, mode, typed) = match ty.base {
        "G0" => (rel::WW, 0, 0, Mode::None, false),
        "G1c" => (rel::WW | rel::WR, rel::WR, 0, Mode::None, false),
        "G-single-item" => (rel::WW | rel::WR, 0, 1, Mode::Single, true),
        "G-nonadjacent-item" => (rel::WW | rel::WR, 0, 2, Mode::NonadjFree, true),
        "G2-item" => (rel::WW | rel::WR | rel::RW, 0, 2, Mode::None, true),
        _ => return None,
    };
    let variant = match ty.variant {
        Variant::Plain => 0,
        Variant::Process => rel::PROCESS,
        Variant::Realtime => rel::REALTIME,
    };
    legal |= variant;
    want |= variant;
    let rw = if want_rw > 0 { rel::RW } else { 0 };
    Some(Spec {
        legal,
        want,
        want_rw,
        mode,
        mask: legal | want | rw,
        typed: typed.then(|| ty.name.clone()),
    })
}

/// The projected SCC graph in Elle's order: `verts` in hash order, each vertex's neighbours
/// (with the relationship bits kept) in hash order.
#[derive(Debug, Clone)]
pub(crate) struct Proj {
    pub verts: Vec<u32>,
    pub out: Vec<Vec<(u32, u8)>>,
}

impl Proj {
    /// Projects `adj` (local vertices with trie hashes `hash`) to edges meeting `mask`.
    pub(crate) fn new(adj: &[Vec<(u32, u8)>], hash: &[u32], mask: u8) -> Proj {
        let mut out: Vec<Vec<(u32, u8)>> = vec![Vec::new(); adj.len()];
        let mut present = vec![false; adj.len()];
        for (v, list) in adj.iter().enumerate() {
            for &(w, r) in list {
                if r & mask != 0 {
                    out[v].push((w, r & mask));
                    present[v] = true;
                    present[w as usize] = true;
                }
            }
        }
        for list in &mut out {
            order_by_hash(list, hash);
        }
        let mut verts: Vec<(u32, u32)> = (0..adj.len())
            .filter(|&v| present[v])
            .map(|v| (hash[v], v as u32))
            .collect();
        champ_order(&mut verts);
        Proj {
            verts: verts.into_iter().map(|(_, v)| v).collect(),
            out,
        }
    }

    /// The subgraph on `keep` (Elle's `select`), neighbour order recomputed for the subsets.
    fn select(&self, keep: &[u32], hash: &[u32]) -> Proj {
        let mut inside = vec![false; self.out.len()];
        for &v in keep {
            inside[v as usize] = true;
        }
        let out = self
            .out
            .iter()
            .enumerate()
            .map(|(v, list)| {
                if !inside[v] {
                    return Vec::new();
                }
                let mut l: Vec<(u32, u8)> = list
                    .iter()
                    .copied()
                    .filter(|(w, _)| inside[*w as usize])
                    .collect();
                order_by_hash(&mut l, hash);
                l
            })
            .collect();
        Proj {
            verts: keep.to_vec(),
            out,
        }
    }
}

fn order_by_hash(list: &mut Vec<(u32, u8)>, hash: &[u32]) {
    let mut keyed: Vec<(u32, (u32, u8))> = list.iter().map(|&e| (hash[e.0 as usize], e)).collect();
    champ_order(&mut keyed);
    *list = keyed.into_iter().map(|(_, e)| e).collect();
}

#[derive(Debug, Clone)]
struct Path {
    want: u8,
    want_rw: u8,
    mode: Mode,
    ops: Vec<u32>,
}

impl Path {
    fn start(spec: &Spec, v: u32) -> Path {
        Path {
            want: spec.want,
            want_rw: spec.want_rw,
            mode: spec.mode,
            ops: vec![v],
        }
    }

    fn last(&self) -> u32 {
        self.ops[self.ops.len() - 1]
    }

    fn is_loop(&self) -> bool {
        self.ops[..self.ops.len() - 1].contains(&self.last())
    }

    fn has_tail(&self) -> bool {
        self.ops[0] != self.last()
    }

    fn is_valid(&self) -> bool {
        self.want == 0 && self.want_rw == 0 && self.mode != Mode::NonadjTaken
    }

    fn extend(&self, want: u8, want_rw: u8, mode: Mode, v: u32) -> Path {
        let mut ops = Vec::with_capacity(self.ops.len() + 1);
        ops.extend_from_slice(&self.ops);
        ops.push(v);
        Path {
            want,
            want_rw,
            mode,
            ops,
        }
    }

    fn step_rel(&self, spec: &Spec, r: u8, v: u32) -> Option<Path> {
        let is_rw = r & rel::RW != 0;
        let want = self.want & !r;
        if r & spec.legal != 0 {
            let want_rw = if is_rw {
                self.want_rw.saturating_sub(1)
            } else {
                self.want_rw
            };
            let mode = match self.mode {
                Mode::NonadjTaken => Mode::NonadjFree,
                m => m,
            };
            return Some(self.extend(want, want_rw, mode, v));
        }
        if !is_rw {
            return None;
        }
        match self.mode {
            Mode::None | Mode::NonadjTaken => None,
            Mode::Single => Some(self.extend(want, 0, Mode::None, v)),
            Mode::NonadjFree => {
                Some(self.extend(want, self.want_rw.saturating_sub(1), Mode::NonadjTaken, v))
            }
        }
    }

    /// The paths one edge (with relationships `rels`) to `v` leads to.
    fn step(&self, spec: &Spec, rels: u8, v: u32, out: &mut Vec<Path>) {
        let rw_mask = if self.want_rw > 0 || matches!(self.mode, Mode::Single | Mode::NonadjFree) {
            rel::RW
        } else {
            0
        };
        let want_mask = self.want & !rw_mask;
        let legal_mask = spec.legal & !rw_mask & !want_mask;
        let first = self.ops.len() == 1;
        for r in bits(rels & rw_mask) {
            out.extend(self.step_rel(spec, r, v));
        }
        if self.want_rw > 0 && first {
            return;
        }
        for r in bits(rels & want_mask) {
            out.extend(self.step_rel(spec, r, v));
        }
        if self.want != 0 && first {
            return;
        }
        for r in bits(rels & legal_mask) {
            if let Some(p) = self.step_rel(spec, r, v) {
                out.push(p);
                return;
            }
        }
    }
}

fn bits(x: u8) -> impl Iterator<Item = u8> {
    (0..8).map(|i| 1u8 << i).filter(move |b| x & b != 0)
}

/// The first cycle Elle's search finds in `g` for `spec`, as `[v, ..., v]`.
pub(crate) fn search(
    g: &Proj,
    hash: &[u32],
    spec: &Spec,
    budget: &mut Budget,
) -> Result<Option<Vec<u32>>, Timeout> {
    for &v in &g.verts {
        if let Some(c) = search_from(g, hash, spec, v, budget)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

fn search_from(
    g: &Proj,
    hash: &[u32],
    spec: &Spec,
    start: u32,
    budget: &mut Budget,
) -> Result<Option<Vec<u32>>, Timeout> {
    let mut paths = vec![Path::start(spec, start)];
    while !paths.is_empty() {
        let mut open = Vec::with_capacity(paths.len());
        for p in paths {
            if !p.is_loop() {
                open.push(p);
            } else if p.is_valid() {
                if !p.has_tail() {
                    return Ok(Some(p.ops));
                }
                if let Some(c) = trim_loop(g, hash, spec, &p, budget)? {
                    return Ok(Some(c));
                }
            }
        }
        let mut next = Vec::new();
        for p in &open {
            let list = &g.out[p.last() as usize];
            budget.spend(list.len() as u64 + 1)?;
            for &(w, rels) in list {
                p.step(spec, rels, w, &mut next);
            }
        }
        paths = next;
    }
    Ok(None)
}

/// A valid loop that closed away from its start: search again inside just its vertices.
fn trim_loop(
    g: &Proj,
    hash: &[u32],
    spec: &Spec,
    p: &Path,
    budget: &mut Budget,
) -> Result<Option<Vec<u32>>, Timeout> {
    let pin = p.last();
    let from = p.ops.iter().position(|&v| v == pin).unwrap_or(0);
    let trimmed = &p.ops[from..];
    let mut keep: Vec<u32> = trimmed.to_vec();
    keep.sort_unstable();
    keep.dedup();
    let sub = g.select(&keep, hash);
    for &v in trimmed {
        if let Some(c) = search_from(&sub, hash, spec, v, budget)? {
            return Ok(Some(c));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checker::workload::txn::anomalies::cycle_types;

    fn ty(name: &str) -> CycleType {
        cycle_types()
            .iter()
            .find(|t| t.name == name)
            .unwrap()
            .clone()
    }

    #[test]
    fn single_rw_then_realtime() {
        // 0 -rw-> 1 -realtime-> 0
        let adj = vec![vec![(1, rel::RW)], vec![(0, rel::REALTIME)]];
        let hash = [0u32, 1];
        let s = spec(&ty("G-single-item-realtime")).unwrap();
        let g = Proj::new(&adj, &hash, s.mask);
        let mut b = Budget(1000);
        assert_eq!(search(&g, &hash, &s, &mut b).unwrap(), Some(vec![0, 1, 0]));
        let s = spec(&ty("G-single-item")).unwrap();
        let g = Proj::new(&adj, &hash, s.mask);
        assert_eq!(search(&g, &hash, &s, &mut b).unwrap(), None);
        assert!(spec(&ty("G2")).is_none());
    }

    #[test]
    fn loops_closing_elsewhere_are_trimmed() {
        // 0 -ww-> 1 -ww-> 2 -ww-> 1: the cycle is 1 <-> 2; from 0 the loop has a tail.
        let adj = vec![vec![(1, rel::WW)], vec![(2, rel::WW)], vec![(1, rel::WW)]];
        let hash = [0u32, 1, 2];
        let s = spec(&ty("G0")).unwrap();
        let g = Proj::new(&adj, &hash, s.mask);
        let mut b = Budget(1000);
        assert_eq!(search(&g, &hash, &s, &mut b).unwrap(), Some(vec![1, 2, 1]));
    }

    #[test]
    fn budget_runs_out() {
        let adj = vec![vec![(1, rel::WW)], vec![(0, rel::WW)]];
        let hash = [0u32, 1];
        let s = spec(&ty("G0")).unwrap();
        let g = Proj::new(&adj, &hash, s.mask);
        assert_eq!(search(&g, &hash, &s, &mut Budget(1)), Err(Timeout));
    }
}
