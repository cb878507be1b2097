//! Transaction dependency graphs: vertices are completion ops (positions in the history
//! slice), edges carry a bit set of relationships (ww, wr, rw, process, realtime). Also
//! Tarjan's strongly connected components, SCC-local subgraphs, and Elle's realtime and
//! process orders.
//!
//! As in Elle, linking an op to itself records the vertex but no edge, so a graph can have
//! vertices and no edges; it is "empty" only without vertices.

use std::collections::HashMap;

use glomers_model::{Op, OpType};

use crate::checker::util::Pairs;

/// Relationship bits on an edge.
pub(crate) mod rel {
    pub const WW: u8 = 1;
    pub const WR: u8 = 2;
    pub const RW: u8 = 4;
    pub const PROCESS: u8 = 8;
    pub const REALTIME: u8 = 16;
    /// The three data dependencies.
    pub const DATA: u8 = WW | WR | RW;
    /// Every relationship.
    pub const ALL: u8 = DATA | PROCESS | REALTIME;
}

/// Adjacency lists: for each vertex, `(target, relationship bits)`, targets ascending.
pub(crate) type Adj = Vec<Vec<(u32, u8)>>;

/// Accumulates vertices and edges before freezing them into a [`DepGraph`].
#[derive(Debug, Default)]
pub(crate) struct GraphBuilder {
    /// Vertices recorded by self-links.
    vertices: Vec<usize>,
    /// `(from, to, rel)`, possibly repeated.
    edges: Vec<(usize, usize, u8)>,
}

impl GraphBuilder {
    pub(crate) fn new() -> GraphBuilder {
        GraphBuilder::default()
    }

    /// Adds `rel` to the edge `a → b` (a self-link only records the vertex).
    pub(crate) fn link(&mut self, a: usize, b: usize, rel: u8) {
        if a == b {
            self.vertices.push(a);
        } else {
            self.edges.push((a, b, rel));
        }
    }

    /// Freezes the graph; vertex ids follow history order.
    pub(crate) fn build(mut self) -> DepGraph {
        let mut pos = self.vertices;
        pos.extend(self.edges.iter().flat_map(|&(a, b, _)| [a, b]));
        pos.sort_unstable();
        pos.dedup();
        let mut id = vec![u32::MAX; pos.last().map_or(0, |&p| p + 1)];
        for (i, &p) in pos.iter().enumerate() {
            id[p] = i as u32;
        }
        self.edges.sort_unstable_by_key(|&(a, b, _)| (a, b));
        let mut out: Adj = vec![Vec::new(); pos.len()];
        for (a, b, r) in self.edges {
            let list = &mut out[id[a] as usize];
            match list.last_mut() {
                Some(last) if last.0 == id[b] => last.1 |= r,
                _ => list.push((id[b], r)),
            }
        }
        DepGraph { pos, out }
    }
}

/// A frozen dependency graph.
#[derive(Debug, Clone)]
pub(crate) struct DepGraph {
    /// History-slice position of each vertex id.
    pub pos: Vec<usize>,
    pub out: Adj,
}

impl DepGraph {
    pub(crate) fn is_empty(&self) -> bool {
        self.pos.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn edge_count(&self) -> usize {
        self.out.iter().map(Vec::len).sum()
    }

    /// Strongly connected components with more than one vertex, each sorted, ordered by
    /// their first vertex.
    pub(crate) fn sccs(&self) -> Vec<Vec<u32>> {
        let mut comps = components(&self.out, rel::ALL, true);
        comps.sort_by_key(|c| c[0]);
        comps
    }

    /// The subgraph induced by `nodes` (sorted vertex ids).
    pub(crate) fn local(&self, nodes: &[u32]) -> Local {
        let index: HashMap<u32, u32> = nodes
            .iter()
            .enumerate()
            .map(|(i, &v)| (v, i as u32))
            .collect();
        let adj = nodes
            .iter()
            .map(|&v| {
                self.out[v as usize]
                    .iter()
                    .filter_map(|&(w, r)| index.get(&w).map(|&lw| (lw, r)))
                    .collect()
            })
            .collect();
        Local {
            nodes: nodes.to_vec(),
            adj,
        }
    }
}

/// An SCC's own graph: local vertex `i` is global vertex `nodes[i]`.
#[derive(Debug, Clone)]
pub(crate) struct Local {
    pub nodes: Vec<u32>,
    pub adj: Adj,
}

/// Tarjan's algorithm over edges whose bits meet `mask`: the component id of each vertex.
pub(crate) fn component_ids(adj: &Adj, mask: u8) -> Vec<u32> {
    const UNSEEN: u32 = u32::MAX;
    let n = adj.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut comp = vec![UNSEEN; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut calls: Vec<(u32, usize)> = Vec::new();
    let mut counter = 0u32;
    let mut comps = 0u32;
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = counter;
        low[root] = counter;
        counter += 1;
        stack.push(root as u32);
        on_stack[root] = true;
        calls.push((root as u32, 0));
        while let Some(&mut (v, ref mut i)) = calls.last_mut() {
            let v = v as usize;
            if let Some(&(w, r)) = adj[v].get(*i) {
                *i += 1;
                if r & mask == 0 {
                    continue;
                }
                let w = w as usize;
                if index[w] == UNSEEN {
                    index[w] = counter;
                    low[w] = counter;
                    counter += 1;
                    stack.push(w as u32);
                    on_stack[w] = true;
                    calls.push((w as u32, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
            } else {
                calls.pop();
                if let Some(&(u, _)) = calls.last() {
                    low[u as usize] = low[u as usize].min(low[v]);
                }
                if low[v] == index[v] {
                    while let Some(x) = stack.pop() {
                        on_stack[x as usize] = false;
                        comp[x as usize] = comps;
                        if x as usize == v {
                            break;
                        }
                    }
                    comps += 1;
                }
            }
        }
    }
    comp
}

/// Components (sorted vertex lists) over edges meeting `mask`; with `nontrivial`, only
/// those with more than one vertex.
pub(crate) fn components(adj: &Adj, mask: u8, nontrivial: bool) -> Vec<Vec<u32>> {
    let ids = component_ids(adj, mask);
    let mut by_id: HashMap<u32, Vec<u32>> = HashMap::new();
    for (v, &c) in ids.iter().enumerate() {
        by_id.entry(c).or_default().push(v as u32);
    }
    by_id
        .into_values()
        .filter(|c| !nontrivial || c.len() > 1)
        .collect()
}

/// Elle's realtime order over the client ops at `positions` (history order): each `:ok`
/// completion precedes the completion (ok, info or fail) of every later invocation, kept to a
/// transitive reduction: a completed op leaves the frontier once an op that started after it
/// completes.
pub(crate) fn realtime_edges(
    history: &[Op],
    positions: &[usize],
    pairs: &Pairs,
    g: &mut GraphBuilder,
) {
    let mut frontier: Vec<usize> = Vec::new();
    // For each ok completion: the frontier when it was invoked.
    let mut preds: HashMap<usize, Vec<usize>> = HashMap::new();
    for &p in positions {
        match history[p].typ {
            OpType::Invoke => {
                if let Some(c) = pairs.partner(p) {
                    for &o in &frontier {
                        g.link(o, c, rel::REALTIME);
                    }
                    if history[c].typ == OpType::Ok && !frontier.is_empty() {
                        preds.insert(c, frontier.clone());
                    }
                }
            }
            OpType::Ok => {
                if let Some(before) = preds.remove(&p) {
                    frontier.retain(|o| !before.contains(o));
                }
                frontier.push(p);
            }
            OpType::Fail | OpType::Info => {}
        }
    }
}

/// Elle's process order: each process's successive `:ok` ops.
pub(crate) fn process_edges(history: &[Op], positions: &[usize], g: &mut GraphBuilder) {
    let mut last: HashMap<glomers_model::Process, usize> = HashMap::new();
    for &p in positions {
        let op = &history[p];
        if op.typ == OpType::Ok {
            if let Some(prev) = last.insert(op.process, p) {
                g.link(prev, p, rel::PROCESS);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarjan_finds_cycles_only_along_masked_edges() {
        let adj: Adj = vec![
            vec![(1, rel::WW)],
            vec![(2, rel::RW)],
            vec![(0, rel::WR)],
            vec![(0, rel::WW)],
        ];
        let all = components(&adj, rel::ALL, true);
        assert_eq!(all, vec![vec![0, 1, 2]]);
        assert!(components(&adj, rel::WW | rel::WR, true).is_empty());
    }

    #[test]
    fn self_links_keep_the_vertex() {
        let mut b = GraphBuilder::new();
        b.link(3, 3, rel::RW);
        let g = b.build();
        assert!(!g.is_empty());
        assert_eq!(g.edge_count(), 0);
    }
}
