//! `:worst-realtime-lag` (jepsen `realtime-lag`, `worst-realtime-lag`).
//!
//! First, per key, the time each offset became known to exist: an `:ok` or `:info` op that
//! shows offset `o` of key `k` (the highest offset it sent or polled there) marks offsets
//! `o, o−1, ...` as existing since its completion time, down to the first one already marked.
//! Then, walking the `:ok` ops: an assign sets the process's offset map to its keys at −1,
//! keeping the offsets of keys it already had; a subscribe empties it; a poll merges (max)
//! the offsets it returned into the map and yields, for every key in the map, a lag: the
//! poll's invocation time minus the time offset+1 of that key became known (0 when that is
//! unknown or later). The worst lag is the first maximal one, in map iteration order (see
//! [`super::clj`]); times are reported in seconds, `{:time 0.0, :lag 0.0}` without any lag.

use std::collections::HashMap;

use glomers_model::{OpType, Value};

use super::clj;
use super::parse::{Fun, KOp, KeyId, Parsed};
use crate::checker::util::int;

/// Highest offset per key that an `:ok`/`:info` op sent or polled (jepsen `op->max-offsets`):
/// polled keys first (−1 for an empty list), then sent keys (at least 0).
fn max_offsets(op: &KOp) -> Vec<(KeyId, i64)> {
    if !matches!(op.typ, OpType::Ok | OpType::Info) {
        return Vec::new();
    }
    let mut out: Vec<(KeyId, i64)> = Vec::new();
    let mut merge = |k: KeyId, o: i64| match out.iter_mut().find(|(key, _)| *key == k) {
        Some((_, cur)) => *cur = (*cur).max(o),
        None => out.push((k, o)),
    };
    if matches!(op.f, Fun::Poll | Fun::Txn) {
        for (k, pairs) in &op.reads {
            merge(*k, pairs.iter().filter_map(|(o, _)| *o).fold(-1, i64::max));
        }
    }
    if matches!(op.f, Fun::Send | Fun::Txn) {
        for (k, pairs) in &op.writes {
            if let Some(o) = pairs.iter().filter_map(|(o, _)| *o).max() {
                merge(*k, o.max(0));
            }
        }
    }
    out
}

/// When each offset of a key became known: runs `(end, time)` meaning offsets below `end`
/// and from the previous run's end on were known at `time`.
#[derive(Debug, Default)]
struct Expired {
    runs: Vec<(i64, u64)>,
}

impl Expired {
    fn len(&self) -> i64 {
        self.runs.last().map_or(0, |r| r.0)
    }

    fn mark(&mut self, offset: i64, time: u64) {
        if offset >= self.len() {
            self.runs.push((offset + 1, time));
        }
    }

    fn at(&self, offset: i64) -> Option<u64> {
        let i = self.runs.partition_point(|r| r.0 <= offset);
        self.runs.get(i).map(|r| r.1)
    }
}

struct Lag {
    time: u64,
    process: u64,
    key: KeyId,
    lag: i64,
}

/// The `:worst-realtime-lag` map.
pub fn worst_realtime_lag(p: &Parsed) -> Value {
    let mut expired: HashMap<KeyId, Expired> = HashMap::new();
    for op in &p.ops {
        for (k, o) in max_offsets(op) {
            if o >= 0 {
                expired.entry(k).or_default().mark(o, p.op(op).time);
            }
        }
    }
    let mut offsets: HashMap<u64, Vec<(KeyId, i64)>> = HashMap::new();
    let mut worst: Option<Lag> = None;
    for op in p.ops.iter().filter(|op| op.typ == OpType::Ok) {
        match op.f {
            Fun::Assign => {
                let old = offsets.remove(&op.process).unwrap_or_default();
                let new = op
                    .assigned
                    .iter()
                    .map(|k| {
                        let o = old.iter().find(|(ok, _)| ok == k).map_or(-1, |e| e.1);
                        (*k, o)
                    })
                    .collect();
                offsets.insert(op.process, new);
            }
            Fun::Subscribe => {
                offsets.insert(op.process, Vec::new());
            }
            Fun::Poll | Fun::Txn => {
                let invoke_time = p.invoke_time(op);
                let cur = offsets.entry(op.process).or_default();
                for (k, o) in max_offsets(op) {
                    match cur.iter_mut().find(|(key, _)| *key == k) {
                        Some((_, c)) => *c = (*c).max(o),
                        None => cur.push((k, o)),
                    }
                }
                let mut ordered = cur.clone();
                clj::map_order(&mut ordered, |(k, _)| p.key(*k).clone());
                for (k, o) in ordered {
                    let known = expired.get(&k).and_then(|e| e.at(o + 1));
                    let lag = known.map_or(0, |t| (invoke_time as i64 - t as i64).max(0));
                    if worst.as_ref().is_none_or(|w| lag > w.lag) {
                        worst = Some(Lag {
                            time: invoke_time,
                            process: op.process,
                            key: k,
                            lag,
                        });
                    }
                }
            }
            _ => {}
        }
    }
    let secs = |ns: i64| Value::Float(ns as f64 / 1e9);
    match worst {
        Some(w) => glomers_model::edn_map! {
            "time" => secs(w.time as i64),
            "process" => int(w.process),
            "key" => p.key(w.key).clone(),
            "lag" => secs(w.lag),
        },
        None => glomers_model::edn_map! { "time" => secs(0), "lag" => secs(0) },
    }
}
