//! Linearizability of one compare-and-set register (Knossos's `cas-register` model, as
//! Maelstrom's lin-kv checker uses it per key), by Lowe's just-in-time linearization (the
//! algorithm of Knossos's `linear` analyzer, a Wing–Gong search run left to right).
//!
//! Model: the register starts as `nil`; `write v` sets it; `cas [from to]` needs the value to
//! equal `from` (Clojure equality) and sets `to`; a read of `v` needs the value to equal `v`,
//! except that a read of `nil` is consistent with anything (Knossos's quirk, kept so the
//! checker is never stricter or more lenient than Maelstrom's).
//!
//! History preprocessing (Knossos `history/preprocess`): an `:ok` completion fills in its
//! invocation's value (what a read returned); `:fail` ops are dropped (they never happened);
//! an `:info` op, or an invocation that never completes, stays pending forever: it may take
//! effect at any point after its invocation, or never.
//!
//! Search: a *configuration* is the register state plus, for the ops still open, which are
//! called but not linearized (`calls`) and which are linearized but not yet returned
//! (`rets`). Ops are walked in history order; an invocation adds a call to every
//! configuration; the `:ok` of op `o` turns each configuration into all configurations
//! reachable by linearizing any order of other pending calls and then `o` (or just returns
//! `o` if it is already linearized). Configurations are kept in a set, so the search is
//! memoized over (linearized set, state): since every returned op is linearized in every
//! configuration, only the open ops' bits (one slot each, at most 128 open at once) need
//! storing, and memory is bounded by concurrency, not history length. If no configuration
//! survives an `:ok`, the history is not linearizable.
//!
//! Two prunings that cannot change the verdict: a linearized `:info` op is dropped at once
//! (it never returns, so nothing will look for it), and a configuration whose pending calls
//! are a strict subset of another's with the same state and returns is dropped (the other
//! can do everything it can, by leaving the extra `:info` ops unapplied); linearizing an
//! `:info` op that leaves the state unchanged is skipped for the same reason.
//!
//! The result map follows Knossos: valid → `{:valid? true, :configs (...), :final-paths ()}`
//! with the final configurations; invalid → `{:valid? false, :configs (the configurations
//! before the op that could not be linearized), :final-paths (paths from them ending in an
//! inconsistent state), :previous-ok, :last-op, :op}`. At most 10 configurations and 10
//! final paths are listed (Jepsen truncates to 10 as well). A search that exceeds its budget
//! is `{:valid? :unknown, :error ...}`.

use std::collections::{HashMap, HashSet};

use glomers_model::{Op, OpType, Process, Value};

use crate::checker::util::{int, process_value, ValueKey};

/// At most this many configurations explored over the whole history before giving up.
pub const EXPLORE_BUDGET: u64 = 50_000_000;
/// At most this many configurations at once.
pub const CONFIG_BUDGET: usize = 2_000_000;
/// Configurations and final paths listed in the result.
pub const SHOWN: usize = 10;
/// Interned id of `nil`.
const NIL: u32 = 0;

/// What an op does to the register, with interned values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A read of `Some(v)`, or of `nil` (consistent with anything).
    Read(Option<u32>),
    Write(u32),
    Cas(u32, u32),
}

/// One op that is not a failure.
#[derive(Debug, Clone)]
struct LinOp {
    kind: Kind,
    /// Position of the invocation in the history slice.
    invoke: usize,
    /// Position of the `:ok` completion, if any (otherwise the op is pending forever).
    ok: Option<usize>,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Call(usize),
    Ret(usize),
}

/// Register state plus open-op bits (by slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Config {
    state: u32,
    calls: u128,
    rets: u128,
}

/// The op a configuration linearized last: `(op, as its :ok completion?)`.
type LastOp = Option<(usize, bool)>;

/// Interned register values (`0` is `nil`).
struct Values {
    ids: HashMap<ValueKey, u32>,
    values: Vec<Value>,
}

impl Values {
    fn new() -> Values {
        let mut ids = HashMap::new();
        ids.insert(ValueKey::of(&Value::Nil), NIL);
        Values {
            ids,
            values: vec![Value::Nil],
        }
    }

    fn id(&mut self, v: &Value) -> u32 {
        let next = self.values.len() as u32;
        let id = *self.ids.entry(ValueKey::of(v)).or_insert(next);
        if id == next {
            self.values.push(v.clone());
        }
        id
    }
}

/// Clojure's `str` of a value (`nil` → empty).
fn clj_str(v: &Value) -> String {
    match v {
        Value::Nil => String::new(),
        Value::Str(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Checker<'a> {
    history: &'a [Op],
    values: Values,
    ops: Vec<LinOp>,
    events: Vec<Event>,
}

/// The outcome of stepping the model.
enum Step {
    To(u32),
    Inconsistent(String),
}

impl<'a> Checker<'a> {
    /// Pairs invocations with completions and interns values. `history` holds one key's
    /// client ops (values without the key) and possibly other ops, which are ignored.
    fn new(history: &'a [Op]) -> Result<Checker<'a>, String> {
        let mut c = Checker {
            history,
            values: Values::new(),
            ops: Vec::new(),
            events: Vec::new(),
        };
        // invocation position → (completion position, type)
        let mut open: HashMap<u64, usize> = HashMap::new();
        let mut completion: HashMap<usize, (usize, OpType)> = HashMap::new();
        for (i, op) in history.iter().enumerate() {
            let Process::Client(p) = op.process else {
                continue;
            };
            match op.typ {
                OpType::Invoke => {
                    if let Some(prior) = open.insert(p, i) {
                        return Err(format!(
                            "Process {p} already running {}, yet attempted to invoke {} concurrently",
                            history[prior].to_edn_line(),
                            op.to_edn_line()
                        ));
                    }
                }
                typ => match open.remove(&p) {
                    Some(inv) => {
                        completion.insert(inv, (i, typ));
                    }
                    None if typ == OpType::Info => {}
                    None => {
                        return Err(format!(
                            "Process completed an operation without a prior invocation: {}",
                            op.to_edn_line()
                        ))
                    }
                },
            }
        }
        let mut events: Vec<(usize, Event)> = Vec::new();
        for (i, op) in history.iter().enumerate() {
            if op.typ != OpType::Invoke || !matches!(op.process, Process::Client(_)) {
                continue;
            }
            let (ok, value) = match completion.get(&i).copied() {
                Some((_, OpType::Fail)) => continue,
                Some((j, OpType::Ok)) => (Some(j), &history[j].value),
                _ => (None, &op.value),
            };
            let kind = c.kind(op, value)?;
            let id = c.ops.len();
            c.ops.push(LinOp {
                kind,
                invoke: i,
                ok,
            });
            events.push((i, Event::Call(id)));
            if let Some(j) = ok {
                events.push((j, Event::Ret(id)));
            }
        }
        events.sort_by_key(|&(pos, _)| pos);
        c.events = events.into_iter().map(|(_, e)| e).collect();
        Ok(c)
    }

    fn kind(&mut self, op: &Op, value: &Value) -> Result<Kind, String> {
        Ok(match op.f.as_str() {
            "read" => match value {
                Value::Nil => Kind::Read(None),
                v => Kind::Read(Some(self.values.id(v))),
            },
            "write" => Kind::Write(self.values.id(value)),
            "cas" => match value.as_seq() {
                Some([from, to]) => Kind::Cas(self.values.id(from), self.values.id(to)),
                _ => {
                    return Err(format!(
                        "java.lang.UnsupportedOperationException: cas value {value} is not [from to] in {}",
                        op.to_edn_line()
                    ))
                }
            },
            f => {
                return Err(format!(
                    "java.lang.IllegalArgumentException: No matching clause: :{f} (op {})",
                    op.to_edn_line()
                ))
            }
        })
    }

    fn step(&self, state: u32, op: usize) -> Step {
        let v = |id: u32| clj_str(&self.values.values[id as usize]);
        match self.ops[op].kind {
            Kind::Write(x) => Step::To(x),
            Kind::Cas(from, to) if from == state => Step::To(to),
            Kind::Cas(from, to) => Step::Inconsistent(format!(
                "can't CAS {} from {} to {}",
                v(state),
                v(from),
                v(to)
            )),
            Kind::Read(None) => Step::To(state),
            Kind::Read(Some(x)) if x == state => Step::To(state),
            Kind::Read(Some(x)) => {
                Step::Inconsistent(format!("can't read {} from register {}", v(x), v(state)))
            }
        }
    }

    fn is_info(&self, op: usize) -> bool {
        self.ops[op].ok.is_none()
    }
}

/// Slot bookkeeping: which op occupies which bit.
struct Slots {
    op_of: Vec<usize>,
    slot_of: HashMap<usize, u32>,
    used: u128,
    /// Slots holding `:info` ops (pending forever).
    info: u128,
}

impl Slots {
    fn take(&mut self, op: usize, info: bool) -> Result<u32, String> {
        let free = !self.used;
        if free == 0 {
            return Err("more than 128 operations open at once on one key".into());
        }
        let s = free.trailing_zeros();
        self.used |= 1 << s;
        if info {
            self.info |= 1 << s;
        } else {
            self.info &= !(1 << s);
        }
        self.op_of[s as usize] = op;
        self.slot_of.insert(op, s);
        Ok(s)
    }

    fn release_unused(&mut self, live: u128) {
        let dead = self.used & !live;
        let mut bits = dead;
        while bits != 0 {
            let s = bits.trailing_zeros();
            bits &= bits - 1;
            self.slot_of.remove(&self.op_of[s as usize]);
        }
        self.used &= live;
        self.info &= live;
    }
}

/// A set of configurations in insertion order, each with the op it linearized last.
#[derive(Default)]
struct ConfigSet {
    order: Vec<(Config, LastOp)>,
    seen: HashSet<Config>,
}

impl ConfigSet {
    fn add(&mut self, c: Config, last: LastOp) {
        if self.seen.insert(c) {
            self.order.push((c, last));
        }
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    /// Drops configurations dominated by another with the same state and returns and a
    /// strict superset of pending calls.
    fn prune(self) -> ConfigSet {
        if self.order.len() < 2 {
            return self;
        }
        let mut groups: HashMap<(u32, u128), Vec<u128>> = HashMap::new();
        for (c, _) in &self.order {
            groups.entry((c.state, c.rets)).or_default().push(c.calls);
        }
        let mut out = ConfigSet::default();
        for (c, last) in self.order {
            let group = &groups[&(c.state, c.rets)];
            let dominated = group.len() <= 4096
                && group
                    .iter()
                    .any(|&other| other != c.calls && other & c.calls == c.calls);
            if !dominated {
                out.add(c, last);
            }
        }
        out
    }
}

/// Configurations explored during one return, minus dominated ones: a configuration is
/// skipped if one with the same state and returns and a superset of its pending calls has
/// been seen (the extra calls can only be `:info` ops the other left unapplied).
#[derive(Default)]
struct Explored {
    by_state: HashMap<(u32, u128), Vec<u128>>,
}

impl Explored {
    /// Records `c`; false if it (or a configuration dominating it) was seen.
    fn admit(&mut self, c: Config) -> bool {
        let group = self.by_state.entry((c.state, c.rets)).or_default();
        if group.iter().any(|&calls| calls & c.calls == c.calls) {
            return false;
        }
        group.push(c.calls);
        true
    }
}

fn bits(mut x: u128) -> impl Iterator<Item = u32> {
    std::iter::from_fn(move || {
        if x == 0 {
            return None;
        }
        let s = x.trailing_zeros();
        x &= x - 1;
        Some(s)
    })
}

/// Why the search stopped early.
enum Stop {
    NotLinearizable {
        before: ConfigSet,
        op: usize,
        ret_index: usize,
    },
    Budget(String),
}

impl<'a> Checker<'a> {
    /// Runs the search: the final slots, and `Ok(configs)` when linearizable.
    fn search(&self, explored: &mut u64) -> (Slots, Result<ConfigSet, Stop>) {
        let mut slots = Slots {
            op_of: vec![usize::MAX; 128],
            slot_of: HashMap::new(),
            used: 0,
            info: 0,
        };
        let mut configs = ConfigSet::default();
        configs.add(
            Config {
                state: NIL,
                calls: 0,
                rets: 0,
            },
            None,
        );
        for &event in &self.events {
            match event {
                Event::Call(op) => {
                    let s = match slots.take(op, self.is_info(op)) {
                        Ok(s) => s,
                        Err(e) => return (slots, Err(Stop::Budget(e))),
                    };
                    let mut next = ConfigSet::default();
                    for &(c, last) in &configs.order {
                        next.add(
                            Config {
                                calls: c.calls | (1 << s),
                                ..c
                            },
                            last,
                        );
                    }
                    configs = next;
                }
                Event::Ret(op) => {
                    let s = slots.slot_of[&op];
                    let bit = 1u128 << s;
                    let mut next = ConfigSet::default();
                    let mut cache = Explored::default();
                    for &(c, last) in &configs.order {
                        if c.rets & bit != 0 {
                            next.add(
                                Config {
                                    rets: c.rets & !bit,
                                    ..c
                                },
                                last,
                            );
                        } else if c.calls & bit != 0 {
                            if let Err(e) =
                                self.jit(&slots, c, op, bit, &mut cache, &mut next, explored)
                            {
                                return (slots, Err(Stop::Budget(e)));
                            }
                        }
                    }
                    if next.len() == 0 {
                        let stop = Stop::NotLinearizable {
                            before: configs,
                            op,
                            ret_index: self.ops[op].ok.unwrap_or(0),
                        };
                        return (slots, Err(stop));
                    }
                    configs = next.prune();
                    let live = configs
                        .order
                        .iter()
                        .fold(0u128, |m, (c, _)| m | c.calls | c.rets);
                    slots.release_unused(live);
                }
            }
        }
        (slots, Ok(configs))
    }

    /// All configurations reachable from `start` by linearizing other pending calls in any
    /// order, each followed by linearizing and returning `op`; added to `out`.
    #[allow(clippy::too_many_arguments)]
    fn jit(
        &self,
        slots: &Slots,
        start: Config,
        op: usize,
        bit: u128,
        cache: &mut Explored,
        out: &mut ConfigSet,
        explored: &mut u64,
    ) -> Result<(), String> {
        if !cache.admit(start) {
            return Ok(());
        }
        // Breadth first: configurations with more pending calls come first and dominate.
        let mut queue = std::collections::VecDeque::from([start]);
        while let Some(x) = queue.pop_front() {
            *explored += 1;
            if *explored > EXPLORE_BUDGET {
                return Err(format!(
                    "search budget exhausted: more than {EXPLORE_BUDGET} configurations explored"
                ));
            }
            if let Step::To(state) = self.step(x.state, op) {
                out.add(
                    Config {
                        state,
                        calls: x.calls & !bit,
                        rets: x.rets,
                    },
                    Some((op, true)),
                );
                if out.len() > CONFIG_BUDGET {
                    return Err(format!(
                        "search budget exhausted: more than {CONFIG_BUDGET} configurations at once"
                    ));
                }
            }
            // Pending :info ops of the same kind are interchangeable: try only the first.
            let mut info_kinds: Vec<Kind> = Vec::new();
            for s in bits(x.calls & !bit) {
                let q = slots.op_of[s as usize];
                let info = slots.info & (1 << s) != 0;
                if info {
                    let k = self.ops[q].kind;
                    if info_kinds.contains(&k) {
                        continue;
                    }
                    info_kinds.push(k);
                }
                let Step::To(state) = self.step(x.state, q) else {
                    continue;
                };
                if info && state == x.state {
                    // Dominated by `x` itself.
                    continue;
                }
                let y = Config {
                    state,
                    calls: x.calls & !(1 << s),
                    rets: if info { x.rets } else { x.rets | (1 << s) },
                };
                if cache.admit(y) {
                    queue.push_back(y);
                }
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------
// Rendering

impl<'a> Checker<'a> {
    /// Knossos's `render-op`: `{:process :type :f :value :index :time}`; an invocation shows
    /// its completed value.
    fn render_op(&self, op: usize, completion: bool) -> Value {
        let o = &self.ops[op];
        let pos = if completion {
            o.ok.unwrap_or(o.invoke)
        } else {
            o.invoke
        };
        let h = &self.history[pos];
        let value = match o.ok {
            Some(j) => self.history[j].value.clone(),
            None => h.value.clone(),
        };
        glomers_model::edn_map! {
            "process" => process_value(h.process),
            "type" => Value::kw(h.typ.as_str()),
            "f" => Value::kw(&h.f),
            "value" => value,
            "index" => int(h.index),
            "time" => int(h.time),
        }
    }

    fn render_last(&self, last: LastOp) -> Value {
        last.map_or(Value::Nil, |(op, c)| self.render_op(op, c))
    }

    fn model(&self, state: u32) -> Value {
        Value::Tagged(
            "knossos.model.CASRegister".into(),
            Box::new(glomers_model::edn_map! {
                "value" => self.values.values[state as usize].clone(),
            }),
        )
    }

    fn inconsistent(msg: String) -> Value {
        Value::Tagged(
            "knossos.model.Inconsistent".into(),
            Box::new(glomers_model::edn_map! { "msg" => Value::Str(msg) }),
        )
    }

    /// Pending calls of a configuration, in invocation order.
    fn pending(&self, slots: &Slots, calls: u128) -> Vec<usize> {
        let mut ops: Vec<usize> = bits(calls).map(|s| slots.op_of[s as usize]).collect();
        ops.sort_unstable();
        ops
    }

    fn render_configs(&self, slots: &Slots, configs: &ConfigSet) -> Value {
        Value::List(
            configs
                .order
                .iter()
                .take(SHOWN)
                .map(|&(c, last)| {
                    glomers_model::edn_map! {
                        "model" => self.model(c.state),
                        "last-op" => self.render_last(last),
                        "pending" => Value::Vector(
                            self.pending(slots, c.calls)
                                .into_iter()
                                .map(|op| self.render_op(op, false))
                                .collect(),
                        ),
                    }
                })
                .collect(),
        )
    }

    /// Up to [`SHOWN`] paths from the configurations through orders of their other pending
    /// calls and then `op`, each ending in an inconsistent state (Knossos `final-paths`).
    fn final_paths(&self, slots: &Slots, configs: &ConfigSet, op: usize) -> Value {
        let mut paths: Vec<Value> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut budget = 100_000u32;
        for &(c, last) in &configs.order {
            let others: Vec<usize> = self
                .pending(slots, c.calls)
                .into_iter()
                .filter(|&q| {
                    q != op
                        && self.history[self.ops[q].invoke].process
                            != self.history[self.ops[op].invoke].process
                })
                .collect();
            let prefix = vec![glomers_model::edn_map! {
                "op" => self.render_last(last),
                "model" => self.model(c.state),
            }];
            self.extend_paths(
                c.state,
                prefix,
                &others,
                0,
                op,
                &mut paths,
                &mut seen,
                &mut budget,
            );
            if paths.len() >= SHOWN || budget == 0 {
                break;
            }
        }
        Value::List(paths)
    }

    #[allow(clippy::too_many_arguments)]
    fn extend_paths(
        &self,
        state: u32,
        path: Vec<Value>,
        others: &[usize],
        used: u64,
        op: usize,
        out: &mut Vec<Value>,
        seen: &mut HashSet<String>,
        budget: &mut u32,
    ) {
        if out.len() >= SHOWN || *budget == 0 {
            return;
        }
        *budget -= 1;
        fn push(path: Vec<Value>, out: &mut Vec<Value>, seen: &mut HashSet<String>) {
            let v = Value::Vector(path);
            if out.len() < SHOWN && seen.insert(v.to_string()) {
                out.push(v);
            }
        }
        // The final op now.
        let mut end = path.clone();
        end.push(self.transition(state, op, true).1);
        push(end, out, seen);
        for (i, &q) in others.iter().enumerate().take(64) {
            if used & (1 << i) != 0 {
                continue;
            }
            let (next, t) = self.transition(state, q, false);
            let mut p = path.clone();
            p.push(t);
            match next {
                Some(s) => self.extend_paths(s, p, others, used | (1 << i), op, out, seen, budget),
                None => push(p, out, seen),
            }
        }
    }

    /// One `{:op :model}` transition; the new state if consistent.
    fn transition(&self, state: u32, op: usize, completion: bool) -> (Option<u32>, Value) {
        let (next, model) = match self.step(state, op) {
            Step::To(s) => (Some(s), self.model(s)),
            Step::Inconsistent(msg) => (None, Self::inconsistent(msg)),
        };
        (
            next,
            glomers_model::edn_map! {
                "op" => self.render_op(op, completion),
                "model" => model,
            },
        )
    }
}

/// Knossos-style linearizability analysis of one key's history (values without the key).
/// `Err` for a malformed history (the checker would throw: `:unknown`).
pub fn analyze(history: &[Op]) -> Result<Value, String> {
    let c = Checker::new(history)?;
    let mut explored = 0u64;
    let (slots, outcome) = c.search(&mut explored);
    match outcome {
        Ok(configs) => Ok(glomers_model::edn_map! {
            "valid?" => Value::Bool(true),
            "configs" => c.render_configs(&slots, &configs),
            "final-paths" => Value::List(Vec::new()),
        }),
        Err(Stop::Budget(msg)) => Ok(glomers_model::edn_map! {
            "valid?" => Value::kw("unknown"),
            "error" => Value::Str(msg),
        }),
        Err(Stop::NotLinearizable {
            before,
            op,
            ret_index,
        }) => {
            let previous_ok = c.history[..ret_index]
                .iter()
                .enumerate()
                .rev()
                .find(|(j, o)| o.typ == OpType::Ok && c.ops.iter().any(|l| l.ok == Some(*j)))
                .and_then(|(j, _)| c.ops.iter().position(|l| l.ok == Some(j)))
                .map_or(Value::Nil, |q| c.render_op(q, true));
            let last_op = before
                .order
                .iter()
                .filter_map(|&(_, last)| last)
                .max_by_key(|&(q, completion)| {
                    let o = &c.ops[q];
                    if completion {
                        o.ok.unwrap_or(o.invoke)
                    } else {
                        o.invoke
                    }
                })
                .map_or(Value::Nil, |(q, completion)| c.render_op(q, completion));
            Ok(glomers_model::edn_map! {
                "valid?" => Value::Bool(false),
                "configs" => c.render_configs(&slots, &before),
                "final-paths" => c.final_paths(&slots, &before, op),
                "previous-ok" => previous_ok,
                "last-op" => last_op,
                "op" => c.render_op(op, true),
            })
        }
    }
}

/// Just the verdict: `Some(true/false)`, or `None` when the search gave up.
pub fn is_linearizable(history: &[Op]) -> Result<Option<bool>, String> {
    Ok(analyze(history)?.get("valid?").and_then(Value::as_bool))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny history builder: times in ms, indices consecutive.
    #[derive(Default)]
    struct H(Vec<Op>);

    impl H {
        fn push(&mut self, typ: OpType, p: u64, f: &str, v: Value) -> &mut H {
            let index = self.0.len() as u64;
            self.0.push(Op {
                index,
                time: index * 1_000_000,
                typ,
                process: Process::Client(p),
                f: f.into(),
                value: v,
                extra: Vec::new(),
            });
            self
        }
        fn inv(&mut self, p: u64, f: &str, v: Value) -> &mut H {
            self.push(OpType::Invoke, p, f, v)
        }
        fn ok(&mut self, p: u64, f: &str, v: Value) -> &mut H {
            self.push(OpType::Ok, p, f, v)
        }
        fn fail(&mut self, p: u64, f: &str, v: Value) -> &mut H {
            self.push(OpType::Fail, p, f, v)
        }
        fn info(&mut self, p: u64, f: &str, v: Value) -> &mut H {
            self.push(OpType::Info, p, f, v)
        }
        fn write(&mut self, p: u64, v: i64) -> &mut H {
            self.inv(p, "write", i(v)).ok(p, "write", i(v))
        }
        fn read(&mut self, p: u64, v: Value) -> &mut H {
            self.inv(p, "read", Value::Nil).ok(p, "read", v)
        }
        fn cas(&mut self, p: u64, from: i64, to: i64) -> &mut H {
            self.inv(p, "cas", pair(from, to))
                .ok(p, "cas", pair(from, to))
        }
        fn check(&self) -> Option<bool> {
            is_linearizable(&self.0).unwrap()
        }
    }

    fn i(v: i64) -> Value {
        Value::Int(v)
    }
    fn pair(a: i64, b: i64) -> Value {
        Value::Vector(vec![i(a), i(b)])
    }

    #[test]
    fn sequential_history_is_valid() {
        let mut h = H::default();
        h.write(0, 1)
            .read(1, i(1))
            .cas(0, 1, 2)
            .read(1, i(2))
            .write(0, 3)
            .read(1, i(3));
        assert_eq!(h.check(), Some(true));
        let r = analyze(&h.0).unwrap();
        let configs = r.get("configs").unwrap().as_seq().unwrap();
        assert_eq!(configs.len(), 1);
        assert_eq!(
            configs[0].get("model").unwrap().to_string(),
            "#knossos.model.CASRegister{:value 3}"
        );
        assert_eq!(r.get("final-paths"), Some(&Value::List(vec![])));
    }

    #[test]
    fn overlapping_ops_may_linearize_in_either_order() {
        // write 1 and write 2 overlap; reads after both see 2, a read overlapping them sees 1.
        let mut h = H::default();
        h.inv(0, "write", i(1))
            .inv(1, "write", i(2))
            .inv(2, "read", Value::Nil)
            .ok(2, "read", i(1))
            .ok(1, "write", i(2))
            .ok(0, "write", i(1))
            .read(2, i(1));
        assert_eq!(h.check(), Some(true));
        // ... but not 2 then 1 then 2 again.
        h.read(3, i(2));
        assert_eq!(h.check(), Some(false));
    }

    #[test]
    fn stale_read_is_invalid() {
        let mut h = H::default();
        h.write(0, 1).write(0, 2).read(1, i(1));
        assert_eq!(h.check(), Some(false));
        let r = analyze(&h.0).unwrap();
        assert_eq!(r.get("op").unwrap().get("index"), Some(&i(5)));
        assert_eq!(r.get("previous-ok").unwrap().get("index"), Some(&i(3)));
        let paths = r.get("final-paths").unwrap().as_seq().unwrap();
        assert_eq!(paths.len(), 1);
        assert!(
            paths[0]
                .to_string()
                .contains("can't read 1 from register 2"),
            "{}",
            paths[0]
        );
    }

    #[test]
    fn lost_write_is_invalid() {
        // write 3 acknowledged, then a read that never saw it.
        let mut h = H::default();
        h.write(0, 1).write(1, 3).read(2, i(1));
        assert_eq!(h.check(), Some(false));
    }

    #[test]
    fn cas_from_a_wrong_value_cannot_succeed() {
        let mut h = H::default();
        h.write(0, 1).cas(1, 2, 3);
        assert_eq!(h.check(), Some(false));
        let r = analyze(&h.0).unwrap();
        let paths = r.get("final-paths").unwrap().to_string();
        assert!(paths.contains("can't CAS 1 from 2 to 3"), "{paths}");
        // From nil (an unwritten register) too.
        let mut h = H::default();
        h.cas(1, 0, 3);
        assert_eq!(h.check(), Some(false));
        let mut h = H::default();
        h.write(0, 1).cas(1, 1, 3).read(0, i(3));
        assert_eq!(h.check(), Some(true));
    }

    #[test]
    fn info_write_may_or_may_not_have_happened() {
        let base = || {
            let mut h = H::default();
            h.write(0, 1).inv(1, "write", i(2)).info(1, "write", i(2));
            h
        };
        let mut took = base();
        took.read(2, i(2)).read(2, i(2));
        assert_eq!(took.check(), Some(true));
        let mut never = base();
        never.read(2, i(1)).read(2, i(1));
        assert_eq!(never.check(), Some(true));
        // ... but it cannot happen, then un-happen.
        let mut flip = base();
        flip.read(2, i(2)).read(2, i(1));
        assert_eq!(flip.check(), Some(false));
        // ... nor take effect before it was invoked.
        let mut early = H::default();
        early
            .write(0, 1)
            .read(2, i(2))
            .inv(1, "write", i(2))
            .info(1, "write", i(2));
        assert_eq!(early.check(), Some(false));
        // An invocation that never completes counts as :info.
        let mut open = H::default();
        open.write(0, 1).inv(1, "write", i(2)).read(2, i(2));
        assert_eq!(open.check(), Some(true));
    }

    #[test]
    fn failed_ops_never_happened() {
        let mut h = H::default();
        h.write(0, 1)
            .inv(1, "write", i(4))
            .fail(1, "write", i(4))
            .inv(1, "cas", pair(1, 4))
            .fail(1, "cas", pair(1, 4))
            .inv(2, "read", Value::Nil)
            .fail(2, "read", Value::Nil)
            .read(2, i(1));
        assert_eq!(h.check(), Some(true));
        // A read of the failed write's value is not explained by it.
        h.read(2, i(4));
        assert_eq!(h.check(), Some(false));
    }

    #[test]
    fn nil_reads_match_anything_as_in_knossos() {
        let mut h = H::default();
        h.write(0, 1).read(1, Value::Nil).read(1, i(1));
        assert_eq!(h.check(), Some(true));
        // A read of a value before any write is invalid (the register starts nil).
        let mut h = H::default();
        h.read(1, i(0));
        assert_eq!(h.check(), Some(false));
        let r = analyze(&h.0).unwrap().to_string();
        assert!(r.contains("can't read 0 from register \""), "{r}");
    }

    #[test]
    fn many_info_ops_stay_tractable() {
        // 18 timed-out writes (values p % 5: four each of 0..=2, three each of 3 and 4) and 6
        // timed-out cas 1 → 3, all pending at once; then reads whose values need some of them.
        let infos = || {
            let mut h = H::default();
            for p in 0..18u64 {
                let v = i((p % 5) as i64);
                h.inv(p, "write", v.clone()).info(p, "write", v);
            }
            for p in 18..24u64 {
                h.inv(p, "cas", pair(1, 3)).info(p, "cas", pair(1, 3));
            }
            h
        };
        let t = std::time::Instant::now();
        let mut valid = infos();
        for v in [0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 0, 1, 2] {
            for _ in 0..10 {
                valid.read(100, i(v));
            }
        }
        assert_eq!(valid.check(), Some(true));
        // Four separate phases of 4 need four writes of 4; there are three.
        let mut invalid = infos();
        for v in [4, 0, 4, 0, 4, 0, 4] {
            for _ in 0..10 {
                invalid.read(100, i(v));
            }
        }
        assert_eq!(invalid.check(), Some(false));
        assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
    }

    #[test]
    fn long_concurrent_history_is_fast() {
        // 4 writers and 3 readers in lockstep rounds over 20 000 ops: a valid history where
        // every round's ops overlap.
        let mut h = H::default();
        let mut current = 0i64;
        for round in 0..1500i64 {
            for p in 0..4u64 {
                h.inv(p, "write", i((round + p as i64) % 5));
            }
            for p in 4..7u64 {
                h.inv(p, "read", Value::Nil);
            }
            for p in 4..7u64 {
                h.ok(p, "read", i(current));
            }
            for p in 0..4u64 {
                h.ok(p, "write", i((round + p as i64) % 5));
            }
            current = (round + 3) % 5;
            h.read(7, i(current));
        }
        let t = std::time::Instant::now();
        assert_eq!(h.check(), Some(true));
        assert!(t.elapsed().as_secs() < 10, "{:?}", t.elapsed());
    }

    /// Exhaustive reference: some subset of the pending-forever ops plus every ok op, in an
    /// order that respects real time, must run through the model.
    fn brute_force(h: &[Op]) -> bool {
        struct B {
            kind: Kind,
            start: usize,
            end: usize,
            must: bool,
        }
        let c = Checker::new(h).unwrap();
        let ops: Vec<B> = c
            .ops
            .iter()
            .map(|o| B {
                kind: o.kind,
                start: o.invoke,
                end: o.ok.unwrap_or(usize::MAX),
                must: o.ok.is_some(),
            })
            .collect();
        fn go(ops: &[B], done: &mut Vec<bool>, state: u32) -> bool {
            if ops.iter().zip(done.iter()).all(|(o, d)| *d || !o.must) {
                return true;
            }
            for i in 0..ops.len() {
                if done[i] {
                    continue;
                }
                // i can go next only if no other undone op ended before i started.
                let blocked =
                    (0..ops.len()).any(|j| j != i && !done[j] && ops[j].end < ops[i].start);
                if blocked {
                    continue;
                }
                let next = match ops[i].kind {
                    Kind::Write(x) => Some(x),
                    Kind::Cas(f, t) => (f == state).then_some(t),
                    Kind::Read(None) => Some(state),
                    Kind::Read(Some(x)) => (x == state).then_some(state),
                };
                if let Some(n) = next {
                    done[i] = true;
                    let ok = go(ops, done, n);
                    done[i] = false;
                    if ok {
                        return true;
                    }
                }
                // An optional op may also be skipped for good: handled by it never being
                // required (the success test ignores undone optional ops), but an undone
                // optional op that "ended" at infinity never blocks anyone.
            }
            false
        }
        let mut done = vec![false; ops.len()];
        go(&ops, &mut done, NIL)
    }

    #[test]
    fn agrees_with_brute_force_on_random_histories() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        let (mut valid, mut invalid) = (0, 0);
        for round in 0..4000 {
            // Every other history has many timed-out ops, so identical pending :info ops
            // (which the search treats as interchangeable) are common.
            let info_odds = if round % 2 == 0 { 1 } else { 4 };
            let mut h = H::default();
            let mut open: Vec<Option<(String, Value)>> = vec![None; 4];
            let mut next_process: Vec<u64> = (0..4).collect();
            let n_ops = rng.random_range(2..9);
            let mut started = 0;
            while started < n_ops || open.iter().any(Option::is_some) {
                let t = rng.random_range(0..4);
                match open[t].take() {
                    None if started < n_ops => {
                        started += 1;
                        let (f, v) = match rng.random_range(0..3) {
                            0 => ("read", Value::Nil),
                            1 => ("write", i(rng.random_range(0..3))),
                            _ => ("cas", pair(rng.random_range(0..3), rng.random_range(0..3))),
                        };
                        h.inv(next_process[t], f, v.clone());
                        open[t] = Some((f.to_string(), v));
                    }
                    None => {}
                    Some((f, v)) => {
                        let p = next_process[t];
                        match rng.random_range(0..10) {
                            0 => {
                                h.fail(p, &f, v);
                            }
                            x if x <= info_odds => {
                                h.info(p, &f, v);
                                next_process[t] += 4;
                            }
                            _ if f == "read" => {
                                let r = if rng.random_range(0..8) == 0 {
                                    Value::Nil
                                } else {
                                    i(rng.random_range(0..3))
                                };
                                h.ok(p, &f, r);
                            }
                            _ => {
                                h.ok(p, &f, v);
                            }
                        }
                    }
                }
            }
            let expected = brute_force(&h.0);
            let got = h.check();
            assert_eq!(
                got,
                Some(expected),
                "{}",
                h.0.iter()
                    .map(Op::to_edn_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            );
            if expected {
                valid += 1;
            } else {
                invalid += 1;
            }
        }
        assert!(
            valid > 300 && invalid > 300,
            "{valid} valid, {invalid} invalid"
        );
    }

    #[test]
    fn malformed_histories_are_errors() {
        let mut h = H::default();
        h.inv(0, "write", i(1)).inv(0, "write", i(2));
        assert!(analyze(&h.0).is_err());
        let mut h = H::default();
        h.inv(0, "cas", i(1)).ok(0, "cas", i(1));
        assert!(analyze(&h.0).is_err());
        let mut h = H::default();
        h.ok(0, "read", i(1));
        assert!(analyze(&h.0).is_err());
    }
}
