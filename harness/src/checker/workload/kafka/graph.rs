//! The transaction dependency graph Elle searches for cycles, over completed send/poll ops,
//! and the explainer that justifies each edge (jepsen `ww-graph`, `wr-graph`; Elle
//! `realtime-graph`, `explain-pair-data`).
//!
//! * **wr**: the writer of each polled message → every other op that polled it. A polled
//!   message with no writer makes Jepsen throw `:no-writer-of-value`; so does this.
//! * **ww** (only with `ww-deps`, which Maelstrom never sets): the writer of the message just
//!   before each sent message in the version order → that send's writer.
//! * **realtime**: Elle's transitive reduction of "completed before invoked": every `:ok`
//!   completion still in the frontier → the completion of each later invocation (edges go to
//!   `:fail` and `:info` completions too; only `:ok` ops join the frontier).
//!
//! Process edges are never built: for strict-serializable, Elle adds only the realtime graph.
//! Explanations try ww, then wr, then realtime, like Elle's combined explainer.

use std::collections::HashMap;

use glomers_model::{Op, OpType, Value};

use super::index::Index;
use super::parse::{Fun, KOp, Parsed};
use super::version_order::VersionOrders;
use crate::checker::util::{int, op_value, ValueKey};

pub const WW: u8 = 1;
pub const WR: u8 = 2;
pub const RT: u8 = 4;

/// Adjacency over parsed-op indices; each edge carries its relationship bits.
#[derive(Debug, Default)]
pub struct Graph {
    pub out: HashMap<u32, Vec<(u32, u8)>>,
}

impl Graph {
    pub fn is_empty(&self) -> bool {
        self.out.is_empty()
    }

    pub fn edges(&self, v: u32) -> &[(u32, u8)] {
        self.out.get(&v).map_or(&[], Vec::as_slice)
    }

    /// All vertices with an edge, ascending.
    pub fn vertices(&self) -> Vec<u32> {
        let mut vs: Vec<u32> = self
            .out
            .iter()
            .flat_map(|(a, es)| std::iter::once(*a).chain(es.iter().map(|e| e.0)))
            .collect();
        vs.sort_unstable();
        vs.dedup();
        vs
    }
}

/// `throw+ {:type :no-writer-of-value ...}` as a checker error.
pub fn no_writer(p: &Parsed, k: u32, v: u32) -> String {
    format!(
        "clojure.lang.ExceptionInfo: throw+: {{:type :no-writer-of-value, :key {}, :value {}}}",
        p.key(k),
        p.val(v)
    )
}

/// Builds the graph.
pub fn build(p: &Parsed, ix: &Index, vo: &VersionOrders, ww_deps: bool) -> Result<Graph, String> {
    let mut edges: HashMap<(u32, u32), u8> = HashMap::new();
    let mut link = |a: usize, b: usize, rel: u8| {
        if a != b {
            *edges.entry((a as u32, b as u32)).or_insert(0) |= rel;
        }
    };
    if ww_deps {
        let mut writes: Vec<(&(u32, u32), &usize)> = ix.writer_of.iter().collect();
        writes.sort_unstable();
        for (&(k, v2), &op2) in writes {
            let Some(v1) = vo.get(k).and_then(|o| o.previous_value(v2)) else {
                continue;
            };
            let &op1 = ix
                .writer_of
                .get(&(k, v1))
                .ok_or_else(|| no_writer(p, k, v1))?;
            link(op1, op2, WW);
        }
    }
    for kv in &ix.read_pairs {
        let &w = ix
            .writer_of
            .get(kv)
            .ok_or_else(|| no_writer(p, kv.0, kv.1))?;
        for &r in &ix.readers_of[kv] {
            link(w, r, WR);
        }
    }
    // Realtime: frontier of :ok completions, and what each completion was linked from.
    let mut parsed_at: HashMap<usize, usize> = HashMap::new();
    for (i, op) in p.ops.iter().enumerate() {
        parsed_at.insert(op.pos, i);
    }
    let mut frontier: Vec<usize> = Vec::new();
    let mut linked: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, op) in p.ops.iter().enumerate() {
        if !matches!(op.f, Fun::Send | Fun::Poll | Fun::Txn) {
            continue;
        }
        match op.typ {
            OpType::Invoke => {
                let Some(&c) = p.pairs.partner(op.pos).and_then(|pos| parsed_at.get(&pos)) else {
                    continue;
                };
                for &f in &frontier {
                    link(f, c, RT);
                }
                linked.insert(c, frontier.clone());
            }
            OpType::Ok => {
                if let Some(implied) = linked.remove(&i) {
                    frontier.retain(|f| !implied.contains(f));
                }
                frontier.push(i);
            }
            OpType::Fail | OpType::Info => {}
        }
    }
    let mut g = Graph::default();
    for ((a, b), rel) in edges {
        g.out.entry(a).or_default().push((b, rel));
    }
    for es in g.out.values_mut() {
        es.sort_unstable();
    }
    Ok(g)
}

/// Index of the first mop of `op` that sends `v` to `k` (`send`) or polls it from `k`.
fn mop_index(op: &Op, send: bool, k: &Value, v: &Value) -> Value {
    let (k, v) = (ValueKey::of(k), ValueKey::of(v));
    let mops = op.value.as_seq().unwrap_or(&[]);
    let hit = mops.iter().position(|m| {
        let m = m.as_seq().unwrap_or(&[]);
        let f = m.first().and_then(Value::as_keyword);
        if send {
            let sent = match m.get(2) {
                Some(Value::Vector(ov)) => ov.get(1),
                other => other,
            };
            f == Some("send")
                && m.get(1).map(ValueKey::of) == Some(k.clone())
                && sent.map(ValueKey::of) == Some(v.clone())
        } else {
            f == Some("poll")
                && m.get(1)
                    .and_then(Value::as_map)
                    .and_then(|pm| pm.iter().find(|(pk, _)| ValueKey::of(pk) == k))
                    .and_then(|(_, ps)| ps.as_seq())
                    .is_some_and(|ps| {
                        ps.iter().any(|pr| {
                            pr.as_seq().and_then(|pr| pr.get(1)).map(ValueKey::of)
                                == Some(v.clone())
                        })
                    })
        }
    });
    hit.map_or(Value::Nil, int)
}

/// A step's relationship and its explanation map.
pub struct Step {
    pub rel: u8,
    pub data: Value,
}

/// Why `b` depends on `a` (Elle's combined explainer), or `None`.
pub fn explain(
    p: &Parsed,
    ix: &Index,
    vo: &VersionOrders,
    ww_deps: bool,
    a: usize,
    b: usize,
) -> Option<Step> {
    let (oa, ob): (&KOp, &KOp) = (&p.ops[a], &p.ops[b]);
    let (ra, rb) = (p.op(oa), p.op(ob));
    if ww_deps {
        for (k, vs) in &ob.writes {
            for &(_, v2) in vs {
                let Some(v1) = vo.get(*k).and_then(|o| o.previous_value(v2)) else {
                    continue;
                };
                if ix.writer_of.get(&(*k, v1)) == Some(&a) {
                    let (key, val1, val2) = (p.key(*k), p.val(v1), p.val(v2));
                    return Some(Step {
                        rel: WW,
                        data: glomers_model::edn_map! {
                            "type" => Value::kw("ww"),
                            "key" => key.clone(),
                            "value" => val1.clone(),
                            "value'" => val2.clone(),
                            "a-mop-index" => mop_index(ra, true, key, val1),
                            "b-mop-index" => mop_index(rb, true, key, val2),
                        },
                    });
                }
            }
        }
    }
    for (k, vs) in &ob.reads {
        for &(_, v) in vs {
            if ix.writer_of.get(&(*k, v)) == Some(&a) {
                let (key, val) = (p.key(*k), p.val(v));
                return Some(Step {
                    rel: WR,
                    data: glomers_model::edn_map! {
                        "type" => Value::kw("wr"),
                        "key" => key.clone(),
                        "value" => val.clone(),
                        "a-mop-index" => mop_index(ra, true, key, val),
                        "b-mop-index" => mop_index(rb, false, key, val),
                    },
                });
            }
        }
    }
    let inv = p.pairs.partner(ob.pos).map(|i| &p.history[i])?;
    (ra.index < inv.index).then(|| Step {
        rel: RT,
        data: glomers_model::edn_map! {
            "type" => Value::kw("realtime"),
            "a'" => op_value(ra),
            "b" => op_value(inv),
        },
    })
}
