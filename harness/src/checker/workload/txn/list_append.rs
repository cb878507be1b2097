//! txn-list-append (MAELSTROM.md §6.9; Elle 0.2.2 `elle.list-append`).
//!
//! Reads return whole lists, so the version order of a key is read off the lists: the
//! distinct non-empty values read for a key, sorted by length, must each be a prefix of the
//! next (otherwise `:incompatible-order`); the longest one orders the key's appends. An
//! append never read is known only to follow the last element observed.
//!
//! Edges (over `:ok` and `:info` txns): **ww** from the txn that appended the previous
//! element to the appender; **wr** from the appender of a read's last element to the reader;
//! **rw** from every txn that read the state just before an append (the previous element, or
//! the empty initial state) to the appender.
//!
//! Non-cycle anomalies ([`super::list_anomalies`]): `:duplicate-elements` (a read with an element twice),
//! `:incompatible-order`, `:G1a` (an `:ok` read containing an element a `:fail` txn
//! appended), `:G1b` (an `:ok` read ending in another txn's non-final append), `:internal`
//! (a read disagreeing with the txn's own earlier reads and appends), `:future-read` (a txn
//! read an element it appends later), `:dirty-update` (in a key's version order, a committed
//! append directly after a failed one), `:lost-update`. Cycles, models and the result map
//! are shared; Maelstrom uses Elle's verdict unchanged (so `:empty-transaction-graph` alone
//! is `:unknown`).
//!
//! Malformed histories fail the checker as Elle's checks do: micro-ops other than `:r` and
//! `:append`, or the same element appended to a key twice.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use glomers_model::{Op, OpType, Value};

use super::cycles::Explain;
use super::elle_files;
use super::graph::{rel, GraphBuilder};
use super::list_anomalies::{
    dirty_update_cases, duplicate_cases, future_read_case, g1_cases, incompatible_orders,
    internal_case, lost_update_cases,
};
use super::mops::{raw_mops, Interner, MopF};
use super::report::{elle_result, Anomalies, Opts};
use super::search::Kind;
use super::{client_positions, cycle_stage, Dependencies};
use crate::checker::util::{compare_values, int, op_value, CheckResult};
use crate::checker::RunFacts;

/// A read's list; `None` is `nil`.
pub(super) type List = Option<Vec<u32>>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Mop {
    Read { key: u32, list: List },
    Append { key: u32, elem: u32 },
}

impl Mop {
    pub(super) fn key(&self) -> u32 {
        match self {
            Mop::Read { key, .. } | Mop::Append { key, .. } => *key,
        }
    }
}

pub(super) struct Txn<'a> {
    pub pos: usize,
    pub op: &'a Op,
    pub mops: Vec<Mop>,
    pub raw: Vec<&'a Value>,
}

impl Txn<'_> {
    pub(super) fn typ(&self) -> OpType {
        self.op.typ
    }

    fn possible(&self) -> bool {
        matches!(self.typ(), OpType::Ok | OpType::Info)
    }
}

fn parse<'a>(history: &'a [Op], interner: &mut Interner) -> Result<Vec<Txn<'a>>, String> {
    client_positions(history)
        .into_iter()
        .map(|pos| {
            let op = &history[pos];
            let raw = raw_mops(op).map_err(|_| {
                format!(
                    "{{:valid? :unknown, :type :unexpected-txn-micro-op-types, :message \
                     \"history contained operations other than appends or reads\", :examples [{}]}}",
                    op_value(op)
                )
            })?;
            let mut mops = Vec::with_capacity(raw.len());
            for m in &raw {
                let key = interner.id(m.key);
                mops.push(match m.f {
                    MopF::Append => Mop::Append {
                        key,
                        elem: interner.id(m.value),
                    },
                    MopF::Read => Mop::Read {
                        key,
                        list: match m.value {
                            Value::Nil => None,
                            v => Some(
                                v.as_seq()
                                    .ok_or_else(|| {
                                        format!(
                                            "java.lang.ClassCastException: read of key {} in op {} \
                                             is not a list: {v}",
                                            m.key, op.index
                                        )
                                    })?
                                    .iter()
                                    .map(|e| interner.id(e))
                                    .collect(),
                            ),
                        },
                    },
                    MopF::Write => {
                        return Err(format!(
                            "{{:valid? :unknown, :type :unexpected-txn-micro-op-types, :message \
                             \"history contained operations other than appends or reads\", \
                             :examples [{}]}}",
                            op_value(op)
                        ))
                    }
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

fn verify_unique_appends(txns: &[Txn], interner: &Interner) -> Result<(), String> {
    let mut seen: HashSet<(u32, u32)> = HashSet::new();
    for t in txns.iter().filter(|t| t.typ() == OpType::Invoke) {
        for m in &t.mops {
            if let Mop::Append { key, elem } = *m {
                if !seen.insert((key, elem)) {
                    return Err(format!(
                        "{{:valid? :unknown, :type :duplicate-appends, :op {}, :key {}, :value {}, \
                         :message \"value {} appended to key {} multiple times!\"}}",
                        op_value(t.op),
                        interner.value(key),
                        interner.value(elem),
                        interner.value(elem),
                        interner.value(key)
                    ));
                }
            }
        }
    }
    Ok(())
}

pub(super) fn cmp_ids(interner: &Interner, a: u32, b: u32) -> Ordering {
    compare_values(interner.value(a), interner.value(b)).unwrap_or(Ordering::Equal)
}

fn cmp_lists(interner: &Interner, a: &[u32], b: &[u32]) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| {
        a.iter()
            .zip(b)
            .map(|(x, y)| cmp_ids(interner, *x, *y))
            .find(|o| *o != Ordering::Equal)
            .unwrap_or(Ordering::Equal)
    })
}

/// Per key, the distinct non-empty lists read, by length (a key never read non-empty but
/// appended exactly once counts as having been read as `[x]`).
pub(super) fn sorted_values<'t>(
    txns: impl Iterator<Item = &'t Txn<'t>> + Clone,
    interner: &Interner,
) -> BTreeMap<u32, Vec<Vec<u32>>> {
    let mut sets: HashMap<u32, HashSet<Vec<u32>>> = HashMap::new();
    let mut single: HashMap<u32, Option<u32>> = HashMap::new();
    for t in txns {
        for m in &t.mops {
            match m {
                Mop::Read { key, list: Some(l) } if !l.is_empty() => {
                    sets.entry(*key).or_default().insert(l.clone());
                }
                Mop::Append { key, elem } => {
                    single
                        .entry(*key)
                        .and_modify(|e| *e = None)
                        .or_insert(Some(*elem));
                }
                _ => {}
            }
        }
    }
    // Values read take precedence over the single-append inference.
    for (k, e) in single {
        if let Some(e) = e {
            sets.entry(k).or_insert_with(|| HashSet::from([vec![e]]));
        }
    }
    sets.into_iter()
        .map(|(k, s)| {
            let mut v: Vec<Vec<u32>> = s.into_iter().collect();
            v.sort_by(|a, b| cmp_lists(interner, a, b));
            (k, v)
        })
        .collect()
}

/// Per key, the version order of appended elements and each element's place in it.
pub(super) struct AppendIndex {
    pub values: HashMap<u32, Vec<u32>>,
    indices: HashMap<(u32, u32), usize>,
}

impl AppendIndex {
    pub(super) fn new(sorted: &BTreeMap<u32, Vec<Vec<u32>>>) -> AppendIndex {
        let mut values = HashMap::new();
        let mut indices = HashMap::new();
        for (&k, lists) in sorted {
            let mut vs: Vec<u32> = Vec::new();
            for &e in lists.last().map(Vec::as_slice).unwrap_or(&[]) {
                if !vs.contains(&e) {
                    indices.insert((k, e), vs.len());
                    vs.push(e);
                }
            }
            values.insert(k, vs);
        }
        AppendIndex { values, indices }
    }

    /// The element appended just before `elem` (`None`: the initial empty state). An append
    /// never observed follows the last element observed.
    fn previous(&self, key: u32, elem: u32) -> Option<u32> {
        match self.indices.get(&(key, elem)) {
            Some(&0) => None,
            Some(&i) => Some(self.values[&key][i - 1]),
            None => self.values.get(&key).and_then(|v| v.last().copied()),
        }
    }
}

/// The graph's indices over `:ok`/`:info` txns.
struct Indices {
    appends: AppendIndex,
    /// (key, element) → position of the txn that appended it.
    writer: HashMap<(u32, u32), usize>,
    /// (key, last element or None for the empty state) → positions of readers.
    readers: HashMap<(u32, Option<u32>), Vec<usize>>,
}

impl Indices {
    fn new(possible: &[&Txn], interner: &Interner) -> Indices {
        let appends = AppendIndex::new(&sorted_values(possible.iter().copied(), interner));
        let mut writer = HashMap::new();
        let mut readers: HashMap<(u32, Option<u32>), Vec<usize>> = HashMap::new();
        for t in possible {
            for m in &t.mops {
                match m {
                    Mop::Append { key, elem } => {
                        writer.insert((*key, *elem), t.pos);
                    }
                    Mop::Read { key, list } => {
                        if t.typ() == OpType::Info && list.is_none() {
                            continue;
                        }
                        let last = list.as_ref().and_then(|l| l.last().copied());
                        let rs = readers.entry((*key, last)).or_default();
                        if !rs.contains(&t.pos) {
                            rs.push(t.pos);
                        }
                    }
                }
            }
        }
        Indices {
            appends,
            writer,
            readers,
        }
    }

    /// The other txn that appended the element before this append.
    fn ww_dep(&self, pos: usize, key: u32, elem: u32) -> Option<usize> {
        let prev = self.appends.previous(key, elem)?;
        self.writer.get(&(key, prev)).copied().filter(|&w| w != pos)
    }

    /// The other txn that appended a read's last element.
    fn wr_dep(&self, pos: usize, key: u32, list: &List) -> Option<usize> {
        let last = list.as_ref()?.last()?;
        self.writer
            .get(&(key, *last))
            .copied()
            .filter(|&w| w != pos)
    }

    /// Other txns that read the state just before this append.
    fn rw_deps(&self, pos: usize, key: u32, elem: u32) -> Vec<usize> {
        let prev = self.appends.previous(key, elem);
        self.readers
            .get(&(key, prev))
            .map(|rs| rs.iter().copied().filter(|&r| r != pos).collect())
            .unwrap_or_default()
    }
}

fn dependency_graph(possible: &[&Txn], idx: &Indices) -> GraphBuilder {
    let mut g = GraphBuilder::new();
    for t in possible {
        for m in &t.mops {
            match m {
                Mop::Append { key, elem } => {
                    if let Some(w) = idx.ww_dep(t.pos, *key, *elem) {
                        g.link(w, t.pos, rel::WW);
                    }
                    for r in idx.rw_deps(t.pos, *key, *elem) {
                        g.link(r, t.pos, rel::RW);
                    }
                }
                Mop::Read { key, list } => {
                    if let Some(w) = idx.wr_dep(t.pos, *key, list) {
                        g.link(w, t.pos, rel::WR);
                    }
                }
            }
        }
    }
    g
}

struct AppendExplain<'a> {
    txns: HashMap<usize, &'a Txn<'a>>,
    idx: &'a Indices,
    interner: &'a Interner,
}

impl AppendExplain<'_> {
    fn index_of(t: &Txn, mop: &Mop) -> Value {
        t.mops
            .iter()
            .position(|m| m == mop)
            .map_or(Value::Int(-1), int)
    }
}

impl AppendExplain<'_> {
    fn ww(&self, (a, ta): (usize, &Txn), (b, tb): (usize, &Txn), m: &Mop) -> Option<Value> {
        let Mop::Append { key, elem } = *m else {
            return None;
        };
        if self.idx.ww_dep(b, key, elem) != Some(a) {
            return None;
        }
        let prev = self.idx.appends.previous(key, elem)?;
        let v = |id: u32| self.interner.value(id).clone();
        Some(glomers_model::edn_map! {
            "type" => Value::kw("ww"),
            "key" => v(key),
            "value" => v(prev),
            "value'" => v(elem),
            "a-mop-index" => Self::index_of(ta, &Mop::Append { key, elem: prev }),
            "b-mop-index" => Self::index_of(tb, m),
        })
    }

    fn wr(&self, (a, ta): (usize, &Txn), (b, tb): (usize, &Txn), m: &Mop) -> Option<Value> {
        let Mop::Read { key, list } = m else {
            return None;
        };
        if self.idx.wr_dep(b, *key, list) != Some(a) {
            return None;
        }
        let last = *list.as_ref()?.last()?;
        let v = |id: u32| self.interner.value(id).clone();
        Some(glomers_model::edn_map! {
            "type" => Value::kw("wr"),
            "key" => v(*key),
            "value" => v(last),
            "a-mop-index" => Self::index_of(ta, &Mop::Append { key: *key, elem: last }),
            "b-mop-index" => Self::index_of(tb, m),
        })
    }

    fn rw(&self, (a, ta): (usize, &Txn), b: usize, i: usize, m: &Mop) -> Option<Value> {
        let Mop::Append { key, elem } = *m else {
            return None;
        };
        if !self.idx.rw_deps(b, key, elem).contains(&a) {
            return None;
        }
        let prev = self.idx.appends.previous(key, elem);
        // The read in `a` that saw the state just before the append.
        let a_index = ta.mops.iter().position(|am| match am {
            Mop::Read { key: k, list } if *k == key => match prev {
                None => list.as_ref().is_none_or(Vec::is_empty),
                Some(p) => list.as_ref().and_then(|l| l.last()) == Some(&p),
            },
            _ => false,
        });
        let v = |id: u32| self.interner.value(id).clone();
        Some(glomers_model::edn_map! {
            "type" => Value::kw("rw"),
            "key" => v(key),
            "value" => prev.map_or(Value::kw("elle.list-append/init"), v),
            "value'" => v(elem),
            "a-mop-index" => a_index.map_or(Value::Nil, int),
            "b-mop-index" => int(i),
        })
    }
}

impl Explain for AppendExplain<'_> {
    fn data_step(&self, a: usize, b: usize, kind: Kind) -> Value {
        let found = match (self.txns.get(&a), self.txns.get(&b)) {
            (Some(ta), Some(tb)) => tb.mops.iter().enumerate().find_map(|(i, m)| match kind {
                Kind::Ww => self.ww((a, ta), (b, tb), m),
                Kind::Wr => self.wr((a, ta), (b, tb), m),
                Kind::Rw => self.rw((a, ta), b, i, m),
                _ => None,
            }),
            _ => None,
        };
        found.unwrap_or_else(|| glomers_model::edn_map! { "type" => Value::kw("unexplained") })
    }
}

/// Elle's list-append analysis: the anomaly map (reportable or not).
pub(crate) fn analyze(history: &[Op], opts: &Opts, budget: u64) -> Result<Anomalies, String> {
    let mut interner = Interner::default();
    let txns = parse(history, &mut interner)?;
    verify_unique_appends(&txns, &interner)?;
    let possible: Vec<&Txn> = txns.iter().filter(|t| t.possible()).collect();
    let mut anomalies = Anomalies::new();

    let (g1a, g1b) = g1_cases(&txns, history, &interner);
    let oks = || txns.iter().filter(|t| t.typ() == OpType::Ok);
    let internal: Vec<Value> = oks().filter_map(|t| internal_case(t, &interner)).collect();
    let future: Vec<Value> = oks()
        .filter_map(|t| future_read_case(t, &interner))
        .collect();
    let dirty = dirty_update_cases(&txns, &interner)?;
    let dups = duplicate_cases(&possible, &interner);
    let sorted = sorted_values(possible.iter().copied(), &interner);
    let incompatible = incompatible_orders(&sorted, &interner);
    let lost = lost_update_cases(&possible, &interner);

    let idx = Indices::new(&possible, &interner);
    let explain = AppendExplain {
        txns: txns.iter().map(|t| (t.pos, t)).collect(),
        idx: &idx,
        interner: &interner,
    };
    let deps = Dependencies {
        graph: dependency_graph(&possible, &idx),
        explain: &explain,
        priority: [Kind::Ww, Kind::Wr, Kind::Rw],
    };
    let positions: Vec<usize> = txns.iter().map(|t| t.pos).collect();
    cycle_stage(history, &positions, opts, deps, budget, &mut anomalies);

    let mut put = |name: &str, v: Vec<Value>, as_list: bool| {
        if !v.is_empty() {
            let value = if as_list {
                Value::List(v)
            } else {
                Value::Vector(v)
            };
            anomalies.insert(name.to_string(), value);
        }
    };
    put("duplicate-elements", dups, false);
    put("incompatible-order", incompatible, true);
    put("internal", internal, false);
    put("future-read", future, false);
    put("dirty-update", dirty, true);
    put("G1a", g1a, false);
    put("G1b", g1b, false);
    put("lost-update", lost, false);
    Ok(anomalies)
}

/// The `:workload` map of txn-list-append with a given cycle-search budget per SCC.
pub fn check(history: &[Op], facts: &RunFacts, budget: u64) -> CheckResult {
    let opts = Opts::from_facts(facts)?;
    let anomalies = analyze(history, &opts, budget)?;
    if let Some(dir) = &facts.dir {
        elle_files::write(dir, &opts, &anomalies, elle_files::Flavor::ListAppend)
            .map_err(|e| format!("writing {}: {e}", dir.join("elle").display()))?;
    }
    Ok(elle_result(&opts, &anomalies))
}
