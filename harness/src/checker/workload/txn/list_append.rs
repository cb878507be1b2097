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
//! Non-cycle anomalies: `:duplicate-elements` (a read with an element twice),
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
#![allow(clippy::collapsible_match)] // the match arms read as the anomaly rules

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};

use glomers_model::{Op, OpType, Value};

use super::cycles::Explain;
use super::graph::{rel, GraphBuilder};
use super::mops::{raw_mops, Interner, MopF};
use super::report::{elle_result, Anomalies, Opts};
use super::search::Kind;
use super::{client_positions, cycle_stage, Dependencies};
use crate::checker::util::{compare_values, int, op_value, CheckResult};
use crate::checker::RunFacts;

/// A read's list; `None` is `nil`.
type List = Option<Vec<u32>>;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Mop {
    Read { key: u32, list: List },
    Append { key: u32, elem: u32 },
}

impl Mop {
    fn key(&self) -> u32 {
        match self {
            Mop::Read { key, .. } | Mop::Append { key, .. } => *key,
        }
    }
}

struct Txn<'a> {
    pos: usize,
    op: &'a Op,
    mops: Vec<Mop>,
    raw: Vec<&'a Value>,
}

impl Txn<'_> {
    fn typ(&self) -> OpType {
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

fn cmp_ids(interner: &Interner, a: u32, b: u32) -> Ordering {
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
fn sorted_values<'t>(
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
struct AppendIndex {
    values: HashMap<u32, Vec<u32>>,
    indices: HashMap<(u32, u32), usize>,
}

impl AppendIndex {
    fn new(sorted: &BTreeMap<u32, Vec<Vec<u32>>>) -> AppendIndex {
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

impl Explain for AppendExplain<'_> {
    fn data_step(&self, a: usize, b: usize, kind: Kind) -> Value {
        let unexplained = || glomers_model::edn_map! { "type" => Value::kw("unexplained") };
        let (Some(ta), Some(tb)) = (self.txns.get(&a), self.txns.get(&b)) else {
            return unexplained();
        };
        let v = |id: u32| self.interner.value(id).clone();
        for (i, m) in tb.mops.iter().enumerate() {
            match (kind, m) {
                (Kind::Ww, Mop::Append { key, elem }) => {
                    if self.idx.ww_dep(b, *key, *elem) == Some(a) {
                        let Some(prev) = self.idx.appends.previous(*key, *elem) else {
                            continue;
                        };
                        let a_mop = Mop::Append {
                            key: *key,
                            elem: prev,
                        };
                        return glomers_model::edn_map! {
                            "type" => Value::kw("ww"),
                            "key" => v(*key),
                            "value" => v(prev),
                            "value'" => v(*elem),
                            "a-mop-index" => Self::index_of(ta, &a_mop),
                            "b-mop-index" => Self::index_of(tb, m),
                        };
                    }
                }
                (Kind::Wr, Mop::Read { key, list }) => {
                    if self.idx.wr_dep(b, *key, list) == Some(a) {
                        let last = list.as_ref().and_then(|l| l.last().copied());
                        let a_mop = last.map(|e| Mop::Append { key: *key, elem: e });
                        return glomers_model::edn_map! {
                            "type" => Value::kw("wr"),
                            "key" => v(*key),
                            "value" => last.map_or(Value::Nil, v),
                            "a-mop-index" => a_mop.map_or(Value::Int(-1), |am| Self::index_of(ta, &am)),
                            "b-mop-index" => Self::index_of(tb, m),
                        };
                    }
                }
                (Kind::Rw, Mop::Append { key, elem }) => {
                    if self.idx.rw_deps(b, *key, *elem).contains(&a) {
                        let prev = self.idx.appends.previous(*key, *elem);
                        let a_index = ta.mops.iter().position(|am| match am {
                            Mop::Read { key: k, list } if k == key => match prev {
                                None => list.as_ref().is_none_or(Vec::is_empty),
                                Some(p) => list.as_ref().and_then(|l| l.last()) == Some(&p),
                            },
                            _ => false,
                        });
                        return glomers_model::edn_map! {
                            "type" => Value::kw("rw"),
                            "key" => v(*key),
                            "value" => prev.map_or(Value::kw("elle.list-append/init"), v),
                            "value'" => v(*elem),
                            "a-mop-index" => a_index.map_or(Value::Nil, int),
                            "b-mop-index" => int(i),
                        };
                    }
                }
                _ => {}
            }
        }
        unexplained()
    }
}

fn list_value(interner: &Interner, l: &[u32]) -> Value {
    Value::Vector(l.iter().map(|&e| interner.value(e).clone()).collect())
}

/// G1a (reads of failed appends) and G1b (reads ending in another txn's non-final append).
fn g1_cases(txns: &[Txn], history: &[Op], interner: &Interner) -> (Vec<Value>, Vec<Value>) {
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
fn internal_case(t: &Txn, interner: &Interner) -> Option<Value> {
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
fn future_read_case(t: &Txn, interner: &Interner) -> Option<Value> {
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

fn duplicate_cases(possible: &[&Txn], interner: &Interner) -> Vec<Value> {
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

fn incompatible_orders(sorted: &BTreeMap<u32, Vec<Vec<u32>>>, interner: &Interner) -> Vec<Value> {
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
fn dirty_update_cases(txns: &[Txn], interner: &Interner) -> Result<Vec<Value>, String> {
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

fn lost_update_cases(possible: &[&Txn], interner: &Interner) -> Vec<Value> {
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
    Ok(elle_result(&opts, &anomalies))
}
