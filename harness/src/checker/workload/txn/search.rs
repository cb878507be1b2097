//! Cycle search inside one strongly connected component.
//!
//! Two kinds of question, as in Elle's `elle.txn`:
//!
//! * **Does a cycle exist** in the subgraph of some relationships (Elle's
//!   `cycle-exists-specs`: PL-1 = ww, PL-2 = ww+wr, PL-SI = ww+wr extended by single rw hops,
//!   ... PL-SS = everything)? Answered exactly with Tarjan on the projected subgraph; the
//!   snapshot-isolation "extension" `A ∪ (A;B)` is searched as a doubled graph whose second
//!   copy of each vertex means "just arrived over an rw edge".
//! * **What type is a cycle**: each step counts as the one relationship Elle's explainer
//!   names for it (rw-register prefers wr, then ww, then rw; list-append ww, then wr, then rw;
//!   process/realtime last), and the cycle's type is Elle's classification of those steps
//!   (one rw: G-single-item; several: G2-item if two are adjacent, else G-nonadjacent-item;
//!   else G1c with a wr, else G0; `-realtime`/`-process` when such a step occurs).
//!
//! Finding a cycle of a given type is [`super::bfs`]; its work budget lives here.

use std::collections::{HashSet, VecDeque};

use super::graph::{components, rel, Adj, Local};
use super::models::{all_impossible_models, friendly};

/// The relationship a step counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    Ww,
    Wr,
    Rw,
    Process,
    Realtime,
}

impl Kind {
    fn bit(self) -> u8 {
        match self {
            Kind::Ww => rel::WW,
            Kind::Wr => rel::WR,
            Kind::Rw => rel::RW,
            Kind::Process => rel::PROCESS,
            Kind::Realtime => rel::REALTIME,
        }
    }
}

/// The kind an edge with `rels` is explained as, data kinds tried in `priority` order.
pub(crate) fn effective(rels: u8, priority: &[Kind; 3]) -> Option<Kind> {
    priority
        .iter()
        .chain(&[Kind::Realtime, Kind::Process])
        .copied()
        .find(|k| rels & k.bit() != 0)
}

/// Elle's name for a cycle whose steps are `kinds` (`None` if it has no data step).
pub(crate) fn classify(kinds: &[Kind]) -> Option<String> {
    let count = |k: Kind| kinds.iter().filter(|&&x| x == k).count();
    let (rw, wr, ww) = (count(Kind::Rw), count(Kind::Wr), count(Kind::Ww));
    let n = kinds.len();
    let adjacent = (0..n).any(|i| kinds[i] == Kind::Rw && kinds[(i + 1) % n] == Kind::Rw);
    let data = if rw == 1 {
        "G-single-item"
    } else if rw > 1 {
        if adjacent {
            "G2-item"
        } else {
            "G-nonadjacent-item"
        }
    } else if wr > 0 {
        "G1c"
    } else if ww > 0 {
        "G0"
    } else {
        return None;
    };
    let suffix = if count(Kind::Realtime) > 0 {
        "-realtime"
    } else if count(Kind::Process) > 0 {
        "-process"
    } else {
        ""
    };
    Some(format!("{data}{suffix}"))
}

/// Ran out of search budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeout;

/// Remaining work (edge visits) for one SCC.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget(pub u64);

impl Budget {
    pub(crate) fn spend(&mut self, n: u64) -> Result<(), Timeout> {
        if self.0 < n {
            self.0 = 0;
            Err(Timeout)
        } else {
            self.0 -= n;
            Ok(())
        }
    }
}

/// The subgraph of one cycle-exists check.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subgraph {
    /// Edges carrying any of these relationship names.
    Union(&'static [&'static str]),
    /// `A ∪ (A;B)`.
    Extension(&'static [&'static str], &'static [&'static str]),
}

/// One of Elle's cycle-exists checks: a canonical model and its subgraph.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ExistsSpec {
    pub model: &'static str,
    pub subgraph: Subgraph,
}

const U1: &[&str] = &["ww", "wwp"];
const U2: &[&str] = &["ww", "wwp", "wr", "wrp"];
const URW: &[&str] = &["rw", "rwp"];

/// Elle's cycle-exists checks, in order.
pub(crate) const EXISTS_SPECS: [ExistsSpec; 13] = [
    ExistsSpec {
        model: "PL-1",
        subgraph: Subgraph::Union(U1),
    },
    ExistsSpec {
        model: "PL-2",
        subgraph: Subgraph::Union(U2),
    },
    ExistsSpec {
        model: "PL-SI",
        subgraph: Subgraph::Extension(U2, URW),
    },
    ExistsSpec {
        model: "PL-2.99",
        subgraph: Subgraph::Union(&["ww", "wwp", "wr", "wrp", "rw"]),
    },
    ExistsSpec {
        model: "PL-3",
        subgraph: Subgraph::Union(&["ww", "wwp", "wr", "wrp", "rw", "rwp"]),
    },
    ExistsSpec {
        model: "strong-session-PL-1",
        subgraph: Subgraph::Union(&["ww", "wwp", "process"]),
    },
    ExistsSpec {
        model: "strong-session-PL-2",
        subgraph: Subgraph::Union(&["ww", "wwp", "wr", "wrp", "process"]),
    },
    ExistsSpec {
        model: "strong-session-snapshot-isolation",
        subgraph: Subgraph::Extension(&["ww", "wwp", "wr", "wrp", "process"], URW),
    },
    ExistsSpec {
        model: "strong-session-serializable",
        subgraph: Subgraph::Union(&["ww", "wwp", "wr", "wrp", "rw", "rwp", "process"]),
    },
    ExistsSpec {
        model: "strong-PL-1",
        subgraph: Subgraph::Union(&["ww", "wwp", "realtime"]),
    },
    ExistsSpec {
        model: "strong-PL-2",
        subgraph: Subgraph::Union(&["ww", "wwp", "wr", "wrp", "realtime"]),
    },
    ExistsSpec {
        model: "strong-snapshot-isolation",
        subgraph: Subgraph::Extension(&["ww", "wwp", "wr", "wrp", "realtime"], URW),
    },
    ExistsSpec {
        model: "PL-SS",
        subgraph: Subgraph::Union(&["ww", "wwp", "wr", "wrp", "rw", "rwp", "realtime"]),
    },
];

fn mask_of(names: &[&str]) -> u8 {
    names
        .iter()
        .map(|n| match *n {
            "ww" => rel::WW,
            "wr" => rel::WR,
            "rw" => rel::RW,
            "process" => rel::PROCESS,
            "realtime" => rel::REALTIME,
            _ => 0, // predicate relationships never occur here
        })
        .fold(0, |a, b| a | b)
}

impl ExistsSpec {
    /// `PL-2-cycle-exists` and so on.
    pub(crate) fn anomaly(&self) -> String {
        format!("{}-cycle-exists", self.model)
    }

    /// The friendly name of the model ruled out.
    pub(crate) fn not(&self) -> &'static str {
        friendly(self.model)
    }
}

/// A cycle-exists finding: the smallest cyclic component (local vertices, sorted).
#[derive(Debug, Clone)]
pub(crate) struct ExistsCase {
    pub spec: ExistsSpec,
    pub scc: Vec<u32>,
}

/// Elle's `cycle-exists-cases` for one SCC: each check in order, skipping models already
/// known impossible because a weaker one has a cycle.
pub(crate) fn cycle_exists(local: &Local) -> Vec<ExistsCase> {
    let mut out = Vec::new();
    let mut redundant: HashSet<String> = HashSet::new();
    for spec in EXISTS_SPECS {
        if redundant.contains(spec.model) {
            continue;
        }
        let comps = match spec.subgraph {
            Subgraph::Union(names) => components(&local.adj, mask_of(names), true),
            Subgraph::Extension(a, b) => extension_components(&local.adj, mask_of(a), mask_of(b)),
        };
        if let Some(smallest) = comps.into_iter().min_by_key(|c| (c.len(), c[0])) {
            out.push(ExistsCase {
                spec,
                scc: smallest,
            });
            redundant.extend(all_impossible_models([spec.model]));
        }
    }
    out
}

/// Cyclic components of `A ∪ (A;B)`, as sets of original vertices: the doubled graph has
/// `v` (arrived over A) and `v'` (arrived over B); A edges leave both copies into `w`, B edges
/// leave only `v` into `w'`.
fn extension_components(adj: &Adj, a: u8, b: u8) -> Vec<Vec<u32>> {
    let n = adj.len() as u32;
    let mut doubled: Adj = vec![Vec::new(); 2 * adj.len()];
    for (v, list) in adj.iter().enumerate() {
        for &(w, r) in list {
            if r & a != 0 {
                doubled[v].push((w, rel::WW));
                doubled[v + adj.len()].push((w, rel::WW));
            }
            if r & b != 0 {
                doubled[v].push((w + n, rel::WW));
            }
        }
    }
    components(&doubled, rel::WW, true)
        .into_iter()
        .map(|c| {
            let mut vs: Vec<u32> = c.into_iter().map(|x| x % n).collect();
            vs.sort_unstable();
            vs.dedup();
            vs
        })
        .collect()
}

/// Effective-kind adjacency of an SCC.
pub(crate) type KindAdj = Vec<Vec<(u32, Kind)>>;

/// Each edge's effective kind.
pub(crate) fn kind_adj(local: &Local, priority: &[Kind; 3]) -> KindAdj {
    local
        .adj
        .iter()
        .map(|list| {
            list.iter()
                .filter_map(|&(w, r)| effective(r, priority).map(|k| (w, k)))
                .collect()
        })
        .collect()
}

/// Some cycle through the SCC's first vertex along any edges (Elle's fallback after a
/// timeout), as `[v, ..., v]`.
pub(crate) fn fallback_cycle(kinds: &KindAdj) -> Option<Vec<u32>> {
    const NONE: u32 = u32::MAX;
    const ROOT: u32 = u32::MAX - 1;
    let n = kinds.len();
    if n == 0 {
        return None;
    }
    let mut parent = vec![NONE; n];
    let mut queue = VecDeque::from([0usize]);
    parent[0] = ROOT;
    while let Some(v) = queue.pop_front() {
        for &(w, _) in &kinds[v] {
            if w == 0 {
                let mut rev = vec![0u32];
                let mut cur = v;
                while cur != 0 {
                    rev.push(cur as u32);
                    cur = parent[cur] as usize;
                }
                rev.push(0);
                rev.reverse();
                return Some(rev);
            }
            if parent[w as usize] == NONE {
                parent[w as usize] = v as u32;
                queue.push_back(w as usize);
            }
        }
    }
    None
}

/// The kinds of the steps of a cycle `[v0, v1, ..., v0]`.
pub(crate) fn cycle_kinds(kinds: &KindAdj, cycle: &[u32]) -> Vec<Kind> {
    cycle
        .windows(2)
        .filter_map(|w| {
            kinds[w[0] as usize]
                .iter()
                .find(|(x, _)| *x == w[1])
                .map(|&(_, k)| k)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        use Kind::*;
        assert_eq!(classify(&[Ww, Ww]).unwrap(), "G0");
        assert_eq!(classify(&[Ww, Wr]).unwrap(), "G1c");
        assert_eq!(
            classify(&[Rw, Wr, Realtime]).unwrap(),
            "G-single-item-realtime"
        );
        assert_eq!(classify(&[Rw, Wr, Rw, Wr]).unwrap(), "G-nonadjacent-item");
        assert_eq!(classify(&[Rw, Wr, Rw]).unwrap(), "G2-item");
        assert_eq!(classify(&[Rw, Rw, Process]).unwrap(), "G2-item-process");
        assert_eq!(classify(&[Realtime]), None);
    }

    #[test]
    fn exists_checks() {
        let local = Local {
            nodes: vec![10, 11],
            adj: vec![vec![(1, rel::WR)], vec![(0, rel::RW)]],
        };
        let cases = cycle_exists(&local);
        let names: Vec<String> = cases.iter().map(|c| c.spec.anomaly()).collect();
        // An SI extension hop (wr then rw) closes the loop; repeatable read does not imply
        // snapshot isolation, so it is checked (and fails) too.
        assert_eq!(names, ["PL-SI-cycle-exists", "PL-2.99-cycle-exists"]);
    }
}
