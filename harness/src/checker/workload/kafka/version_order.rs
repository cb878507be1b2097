//! Version orders per key (jepsen `version-orders`), and the two anomalies read straight off
//! them: `:inconsistent-offsets` and `:duplicate`.
//!
//! The *log* of a key maps each offset to the set of messages seen there: from the sends of
//! ops that must have committed (an offset is needed, so in practice `:ok` sends) and from
//! **every** poll, whatever its type. Offsets below 0 are dropped (Jepsen's log vector
//! starts at 0). The *dense index* of an occupied offset is its rank among occupied offsets.
//! `by-index` maps a dense index to the first message of that offset's set, in hash-set
//! order; `by-value` maps a message to the **last** dense index where it is that first
//! message. Values that share an offset with another and are not its first message have no
//! index at all, as in Jepsen.

use std::collections::{BTreeMap, HashMap};

use glomers_model::Value;

use super::clj;
use super::index::Index;
use super::parse::{Fun, KeyId, Parsed, ValId};
use crate::checker::util::{int, sort_values};

/// The version order of one key.
#[derive(Debug, Default, Clone)]
pub struct Order {
    /// Occupied offsets in ascending order, each with its distinct messages (hash-set order).
    pub log: Vec<(i64, Vec<ValId>)>,
    pub by_index: Vec<ValId>,
    pub by_value: HashMap<ValId, usize>,
}

impl Order {
    /// Dense index of a message (`by-value`).
    pub fn index_of(&self, v: ValId) -> Option<usize> {
        self.by_value.get(&v).copied()
    }

    /// The message just before `v` in the version order (jepsen `previous-value`).
    pub fn previous_value(&self, v: ValId) -> Option<ValId> {
        let i = self.index_of(v)?;
        (i > 0).then(|| self.by_index[i - 1])
    }
}

/// All keys' version orders.
#[derive(Debug, Default)]
pub struct VersionOrders {
    pub orders: HashMap<KeyId, Order>,
    /// Keys with a log, in first-seen order.
    pub keys: Vec<KeyId>,
}

impl VersionOrders {
    pub fn get(&self, k: KeyId) -> Option<&Order> {
        self.orders.get(&k)
    }

    /// Dense index of `v` in `k`'s order.
    pub fn index_of(&self, k: KeyId, v: ValId) -> Option<usize> {
        self.get(k).and_then(|o| o.index_of(v))
    }

    pub fn build(p: &Parsed, ix: &Index) -> VersionOrders {
        let mut logs: HashMap<KeyId, BTreeMap<i64, Vec<ValId>>> = HashMap::new();
        let mut keys = Vec::new();
        let mut add = |k: KeyId, o: Option<i64>, v: ValId| {
            let Some(o) = o else { return };
            let log = logs.entry(k).or_insert_with(|| {
                keys.push(k);
                BTreeMap::new()
            });
            if o < 0 {
                return;
            }
            let vs = log.entry(o).or_default();
            if !vs.contains(&v) {
                vs.push(v);
            }
        };
        for op in &p.ops {
            if !matches!(op.f, Fun::Send | Fun::Poll | Fun::Txn) {
                continue;
            }
            if ix.must_have_committed(op) {
                for (k, pairs) in &op.writes {
                    pairs.iter().for_each(|&(o, v)| add(*k, o, v));
                }
            }
            for (k, pairs) in &op.reads {
                pairs.iter().for_each(|&(o, v)| add(*k, o, v));
            }
        }
        let orders = logs
            .into_iter()
            .map(|(k, log)| {
                let log: Vec<(i64, Vec<ValId>)> = log
                    .into_iter()
                    .map(|(o, mut vs)| {
                        clj::hash_order(&mut vs, |v| p.val(*v).clone());
                        (o, vs)
                    })
                    .collect();
                let by_index: Vec<ValId> = log.iter().map(|(_, vs)| vs[0]).collect();
                let by_value = by_index.iter().enumerate().map(|(i, &v)| (v, i)).collect();
                let order = Order {
                    log,
                    by_index,
                    by_value,
                };
                (k, order)
            })
            .collect();
        VersionOrders { orders, keys }
    }
}

/// `:inconsistent-offsets`: `{:key :offset :index :values #{...}}` for every offset holding
/// more than one message. Fails like Clojure's `sorted-set` on incomparable messages.
pub fn inconsistent_offsets(p: &Parsed, vo: &VersionOrders) -> Result<Vec<Value>, String> {
    let mut errs = Vec::new();
    for &k in &vo.keys {
        for (index, (offset, vs)) in vo.orders[&k].log.iter().enumerate() {
            if vs.len() < 2 {
                continue;
            }
            let mut values: Vec<Value> = vs.iter().map(|v| p.val(*v).clone()).collect();
            sort_values(&mut values)?;
            errs.push(glomers_model::edn_map! {
                "key" => p.key(k).clone(),
                "offset" => int(*offset),
                "index" => int(index),
                "values" => Value::Set(values),
            });
        }
    }
    Ok(errs)
}

/// `:duplicate`: `{:key :value :count :offsets [...]}` for every message found at more than
/// one offset of a key.
pub fn duplicates(p: &Parsed, vo: &VersionOrders) -> Vec<Value> {
    let mut errs = Vec::new();
    for &k in &vo.keys {
        let log = &vo.orders[&k].log;
        let mut counts: HashMap<ValId, usize> = HashMap::new();
        let mut seen: Vec<ValId> = Vec::new();
        for (_, vs) in log {
            for &v in vs {
                let c = counts.entry(v).or_insert(0);
                if *c == 0 {
                    seen.push(v);
                }
                *c += 1;
            }
        }
        clj::map_order(&mut seen, |v| p.val(*v).clone());
        for v in seen {
            let n = counts[&v];
            if n < 2 {
                continue;
            }
            let offsets = log
                .iter()
                .filter(|(_, vs)| vs.contains(&v))
                .map(|(o, _)| int(*o))
                .collect();
            errs.push(glomers_model::edn_map! {
                "key" => p.key(k).clone(),
                "value" => p.val(v).clone(),
                "count" => int(n),
                "offsets" => Value::Vector(offsets),
            });
        }
    }
    errs
}
