//! `:stats` (MAELSTROM.md §8.1): counts of client completions, overall and by `:f`.
//!
//! Over every completion (`:ok`, `:fail`, `:info`) of a client process:
//! `{:valid? :count :ok-count :fail-count :info-count :by-f {f {:valid? :count :ok-count
//! :fail-count :info-count}}}`, with `:by-f` sorted by `f`. An `f` is valid when it has at
//! least one ok. The overall `:valid?` merges the `:by-f` results, so one `f` with zero oks
//! makes the run invalid; the kafka wrapper Maelstrom applies to every workload ignores
//! `:crash` and `:debug-topic-partitions` in that merge (they still appear in `:by-f`).

use std::collections::BTreeMap;

use glomers_model::{Op, OpType, Value};

use super::util::{int, is_client};
use super::RunFacts;

/// `f`s whose validity the overall `:valid?` ignores.
const IGNORED_FS: [&str; 2] = ["crash", "debug-topic-partitions"];

#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    ok: u64,
    fail: u64,
    info: u64,
}

impl Counts {
    fn add(&mut self, typ: OpType) {
        match typ {
            OpType::Ok => self.ok += 1,
            OpType::Fail => self.fail += 1,
            OpType::Info => self.info += 1,
            OpType::Invoke => {}
        }
    }

    fn valid(&self) -> bool {
        self.ok > 0
    }

    fn to_value(self, valid: bool) -> Value {
        glomers_model::edn_map! {
            "valid?" => Value::Bool(valid),
            "count" => int(self.ok + self.fail + self.info),
            "ok-count" => int(self.ok),
            "fail-count" => int(self.fail),
            "info-count" => int(self.info),
        }
    }
}

/// The `:stats` result map.
pub fn check(history: &[Op], _facts: &RunFacts) -> Value {
    let mut all = Counts::default();
    let mut by_f: BTreeMap<&str, Counts> = BTreeMap::new();
    for op in history
        .iter()
        .filter(|op| op.typ != OpType::Invoke && is_client(op))
    {
        all.add(op.typ);
        by_f.entry(op.f.as_str()).or_default().add(op.typ);
    }
    let valid = by_f
        .iter()
        .filter(|(f, _)| !IGNORED_FS.contains(f))
        .all(|(_, c)| c.valid());
    let by_f_value = Value::Map(
        by_f.iter()
            .map(|(f, c)| (Value::kw(f), c.to_value(c.valid())))
            .collect(),
    );
    let Value::Map(mut m) = all.to_value(valid) else {
        unreachable!("to_value builds a map")
    };
    m.push((Value::kw("by-f"), by_f_value));
    Value::Map(m)
}
