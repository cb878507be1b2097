//! Broadcast topologies (`--topology`), computed over the node list in order exactly as
//! MAELSTROM.md §6.3 describes: grid, line, total and trees of fan-out 2, 3 and 4.

/// A `--topology` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopologyKind {
    Line,
    Grid,
    Total,
    /// A tree with this fan-out (2, 3 or 4); `tree` means 2.
    Tree(usize),
}

impl TopologyKind {
    /// Parse a CLI name: line, grid, total, tree, tree2, tree3, tree4.
    pub fn parse(s: &str) -> Option<TopologyKind> {
        Some(match s {
            "line" => TopologyKind::Line,
            "grid" => TopologyKind::Grid,
            "total" => TopologyKind::Total,
            "tree" | "tree2" => TopologyKind::Tree(2),
            "tree3" => TopologyKind::Tree(3),
            "tree4" => TopologyKind::Tree(4),
            _ => return None,
        })
    }

    /// The CLI name (`tree2` for a fan-out of 2).
    pub fn name(self) -> String {
        match self {
            TopologyKind::Line => "line".into(),
            TopologyKind::Grid => "grid".into(),
            TopologyKind::Total => "total".into(),
            TopologyKind::Tree(b) => format!("tree{b}"),
        }
    }
}

/// Node → neighbours, in node order. Nodes that a topology leaves out are absent.
pub type Topology = Vec<(String, Vec<String>)>;

/// Compute a topology over `nodes`.
pub fn compute(kind: TopologyKind, nodes: &[String]) -> Topology {
    match kind {
        TopologyKind::Line => line(nodes),
        TopologyKind::Grid => grid(nodes),
        TopologyKind::Total => total(nodes),
        TopologyKind::Tree(b) => tree(nodes, b),
    }
}

fn line(nodes: &[String]) -> Topology {
    let n = nodes.len();
    if n < 2 {
        return Vec::new();
    }
    (0..n)
        .map(|i| {
            let mut nb = Vec::new();
            if i > 0 {
                nb.push(nodes[i - 1].clone());
            }
            if i + 1 < n {
                nb.push(nodes[i + 1].clone());
            }
            (nodes[i].clone(), nb)
        })
        .collect()
}

fn grid(nodes: &[String]) -> Topology {
    let n = nodes.len();
    let side = (n as f64).sqrt().ceil() as i64;
    let at = |i: i64, j: i64| -> Option<&String> {
        if i < 0 || j < 0 || j >= side {
            return None;
        }
        nodes.get((i * side + j) as usize)
    };
    (0..n)
        .map(|idx| {
            let (i, j) = (idx as i64 / side, idx as i64 % side);
            let nb = [(i + 1, j), (i - 1, j), (i, j + 1), (i, j - 1)]
                .into_iter()
                .filter_map(|(a, b)| at(a, b).cloned())
                .collect();
            (nodes[idx].clone(), nb)
        })
        .collect()
}

fn total(nodes: &[String]) -> Topology {
    nodes
        .iter()
        .map(|me| {
            (
                me.clone(),
                nodes.iter().filter(|n| *n != me).cloned().collect(),
            )
        })
        .collect()
}

/// Tiers of size 1, b, b², ...: each parent takes the next `b` nodes of the tier below.
fn tree(nodes: &[String], b: usize) -> Topology {
    let n = nodes.len();
    (0..n)
        .map(|i| {
            let mut nb = Vec::new();
            if i > 0 {
                nb.push(nodes[(i - 1) / b].clone());
            }
            nb.extend(
                (b * i + 1..=b * i + b)
                    .filter(|&c| c < n)
                    .map(|c| nodes[c].clone()),
            );
            (nodes[i].clone(), nb)
        })
        .collect()
}

/// The `topology` field of the request body: `{node: [neighbours...]}`.
pub fn to_json(t: &Topology) -> serde_json::Value {
    let map = t
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone())))
        .collect::<serde_json::Map<_, _>>();
    serde_json::Value::Object(map)
}
