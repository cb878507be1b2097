//! A tiny named directed graph for Elle's lookup tables (anomaly implications, consistency
//! model hierarchy, models → proscribed anomalies): build it once from `(from, [to...])`
//! rows and ask for breadth-first closures along out- or in-edges.

use std::collections::{BTreeSet, HashMap, VecDeque};

/// A directed graph over static names.
#[derive(Debug, Default)]
pub(crate) struct Dag {
    ids: HashMap<&'static str, usize>,
    names: Vec<&'static str>,
    out: Vec<Vec<usize>>,
    inn: Vec<Vec<usize>>,
}

/// Which way a closure walks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dir {
    Out,
    In,
}

impl Dag {
    /// A graph with an edge `from → to` for every row entry, names mapped through `canon`.
    pub(crate) fn from_rows(
        rows: &[(&'static str, &[&'static str])],
        canon: impl Fn(&'static str) -> &'static str,
    ) -> Dag {
        let mut g = Dag::default();
        for &(from, tos) in rows {
            for &to in tos {
                let (a, b) = (g.id(canon(from)), g.id(canon(to)));
                if !g.out[a].contains(&b) {
                    g.out[a].push(b);
                    g.inn[b].push(a);
                }
            }
        }
        g
    }

    /// Adds the edges of another row table (used to merge the severity graph in).
    pub(crate) fn add_rows(&mut self, rows: &[(&'static str, &[&'static str])]) {
        for &(from, tos) in rows {
            for &to in tos {
                let (a, b) = (self.id(from), self.id(to));
                if !self.out[a].contains(&b) {
                    self.out[a].push(b);
                    self.inn[b].push(a);
                }
            }
        }
    }

    fn id(&mut self, name: &'static str) -> usize {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = self.names.len();
        self.ids.insert(name, i);
        self.names.push(name);
        self.out.push(Vec::new());
        self.inn.push(Vec::new());
        i
    }

    /// Every vertex name.
    pub(crate) fn vertices(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.names.iter().copied()
    }

    /// Whether the graph has this vertex.
    pub(crate) fn contains(&self, name: &str) -> bool {
        self.ids.contains_key(name)
    }

    /// Direct neighbours of `name` in direction `dir` (empty for unknown names).
    pub(crate) fn neighbours(&self, name: &str, dir: Dir) -> Vec<&'static str> {
        match self.ids.get(name) {
            None => Vec::new(),
            Some(&i) => {
                let adj = if dir == Dir::Out {
                    &self.out[i]
                } else {
                    &self.inn[i]
                };
                adj.iter().map(|&j| self.names[j]).collect()
            }
        }
    }

    /// The start names plus everything reachable from them along `dir` (a start name that
    /// is not a vertex is still part of the result, as in Bifurcan's `bfsVertices`).
    pub(crate) fn closure<'a>(
        &self,
        start: impl IntoIterator<Item = &'a str>,
        dir: Dir,
    ) -> BTreeSet<String> {
        let mut seen: BTreeSet<String> = BTreeSet::new();
        let mut queue: VecDeque<String> = VecDeque::new();
        for s in start {
            if seen.insert(s.to_string()) {
                queue.push_back(s.to_string());
            }
        }
        while let Some(v) = queue.pop_front() {
            for n in self.neighbours(&v, dir) {
                if seen.insert(n.to_string()) {
                    queue.push_back(n.to_string());
                }
            }
        }
        seen
    }

    /// Longest-path depth of every vertex from the roots (vertices without in-edges have
    /// depth 0), i.e. the layer in which repeated removal of top vertices removes it.
    pub(crate) fn topo_depths(&self) -> HashMap<&'static str, usize> {
        let n = self.names.len();
        let mut indeg: Vec<usize> = self.inn.iter().map(Vec::len).collect();
        let mut depth = vec![0usize; n];
        let mut queue: VecDeque<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
        while let Some(v) = queue.pop_front() {
            for &w in &self.out[v] {
                depth[w] = depth[w].max(depth[v] + 1);
                indeg[w] -= 1;
                if indeg[w] == 0 {
                    queue.push_back(w);
                }
            }
        }
        self.names.iter().copied().zip(depth).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closures_and_depths() {
        let g = Dag::from_rows(&[("a", &["b", "c"]), ("b", &["d"]), ("c", &["d"])], |x| x);
        assert_eq!(
            g.closure(["b"], Dir::Out).into_iter().collect::<Vec<_>>(),
            ["b", "d"]
        );
        assert_eq!(
            g.closure(["d"], Dir::In).into_iter().collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
        assert_eq!(g.closure(["zz"], Dir::Out).len(), 1);
        let d = g.topo_depths();
        assert_eq!((d["a"], d["b"], d["d"]), (0, 1, 2));
    }
}
