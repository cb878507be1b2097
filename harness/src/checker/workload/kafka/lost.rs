//! Messages that should have been seen and were not: `:lost-write` and `:unseen`.
//!
//! **Lost write** (jepsen `lost-write-cases`), per key polled by some `:ok` poll: the bound
//! is the highest *first* dense index of any message `:ok` polls returned from it; every
//! message whose *last* dense index is at or below the bound should have been polled. Those
//! no `:ok` poll returned, and whose writer must have committed, are lost writes:
//! `{:key :value :index :max-read-index :writer :max-read}`.
//! Two Jepsen crashes are reproduced as checker errors (the result becomes
//! `{:valid? :unknown, :error ...}`): a key that `:ok` polls returned but none of whose
//! polled messages has a known offset (typically a key always polled as an empty list; the
//! bound is then −1 and Jepsen's `(nth v -1)` throws, as in the crashed fixture run), and a
//! lost message with no writer at all.
//!
//! **Unseen** (jepsen `unseen`): walking `:ok` sends and polls in order, the messages sent
//! and not yet polled. Only the final state is reported, in its own shape
//! `{:time t, :unseen {k count}, :messages {k (up to 32 messages, sorted)}}`. A key that an
//! op polled without any earlier `:ok` send counts its polled messages as unseen for that one
//! step (Bifurcan's `merge` keeps a key found on one side only), a quirk that only shows
//! when that op is the last.

use std::collections::{HashMap, HashSet};

use glomers_model::{OpType, Value};

use super::clj;
use super::index::Index;
use super::parse::{Fun, KeyId, Parsed, ValId};
use super::version_order::VersionOrders;
use crate::checker::util::{int, op_value, sort_values};

/// Messages of `k` at each dense index.
fn dense_log(vo: &VersionOrders, k: KeyId) -> Vec<&[ValId]> {
    vo.get(k)
        .map(|o| o.log.iter().map(|(_, vs)| vs.as_slice()).collect())
        .unwrap_or_default()
}

/// The `:lost-write` cases.
pub fn lost_writes(p: &Parsed, ix: &Index, vo: &VersionOrders) -> Result<Vec<Value>, String> {
    let mut keys = ix.ok_read_keys.clone();
    clj::map_order(&mut keys, |k| p.key(*k).clone());
    let mut errs = Vec::new();
    for k in keys {
        let read = &ix.ok_reads[&k];
        let log = dense_log(vo, k);
        let mut first_index: HashMap<ValId, usize> = HashMap::new();
        let mut last_index: HashMap<ValId, usize> = HashMap::new();
        let mut order: Vec<ValId> = Vec::new();
        for (i, vs) in log.iter().enumerate() {
            for &v in *vs {
                first_index.entry(v).or_insert_with(|| {
                    order.push(v);
                    i
                });
                last_index.insert(v, i);
            }
        }
        let Some(bound) = read
            .iter()
            .filter_map(|v| first_index.get(v))
            .max()
            .copied()
        else {
            return Err(format!(
                "java.lang.IndexOutOfBoundsException in jepsen.tests.kafka/lost-write-cases: \
                 :ok polls returned key {} but none of the messages they returned from it has \
                 a known offset (max-read-index is -1)",
                p.key(k)
            ));
        };
        let mut at_last: Vec<Vec<ValId>> = vec![Vec::new(); bound + 1];
        for &v in &order {
            if let Some(slot) = at_last.get_mut(last_index[&v]) {
                slot.push(v);
            }
        }
        for slot in &mut at_last {
            clj::hash_order(slot, |v| p.val(*v).clone());
        }
        let max_read = at_last[bound]
            .first()
            .and_then(|&v| ix.readers_of.get(&(k, v)))
            .and_then(|rs| rs.first())
            .map_or(Value::Nil, |&r| op_value(p.op(&p.ops[r])));
        for &v in at_last.iter().flatten() {
            if read.contains(&v) {
                continue;
            }
            let Some(&w) = ix.writer_of.get(&(k, v)) else {
                return Err(format!(
                    "clojure.lang.ExceptionInfo: throw+: {{:type :no-writer-of, :key {}, :value {}}}",
                    p.key(k),
                    p.val(v)
                ));
            };
            if !ix.must_have_committed(&p.ops[w]) {
                continue;
            }
            errs.push(glomers_model::edn_map! {
                "key" => p.key(k).clone(),
                "value" => p.val(v).clone(),
                "index" => int(first_index[&v]),
                "max-read-index" => int(bound),
                "writer" => op_value(p.op(&p.ops[w])),
                "max-read" => max_read.clone(),
            });
        }
    }
    Ok(errs)
}

/// The condensed `:unseen` error, or `None` when every acknowledged message was polled.
pub fn unseen(p: &Parsed) -> Result<Option<Value>, String> {
    // `sent` holds the previous step's unseen sets: keys ever sent stay, possibly empty.
    let mut sent: HashMap<KeyId, HashSet<ValId>> = HashMap::new();
    let mut polled: HashMap<KeyId, HashSet<ValId>> = HashMap::new();
    let mut polled_only: Vec<KeyId> = Vec::new();
    let mut last_time = None;
    for op in &p.ops {
        if op.typ != OpType::Ok || !matches!(op.f, Fun::Send | Fun::Poll | Fun::Txn) {
            continue;
        }
        last_time = Some(p.op(op).time);
        let mut touched: Vec<KeyId> = std::mem::take(&mut polled_only);
        for (k, pairs) in &op.writes {
            sent.entry(*k)
                .or_default()
                .extend(pairs.iter().map(|&(_, v)| v));
            touched.push(*k);
        }
        for (k, pairs) in &op.reads {
            polled
                .entry(*k)
                .or_default()
                .extend(pairs.iter().map(|&(_, v)| v));
            touched.push(*k);
        }
        touched.sort_unstable();
        touched.dedup();
        for k in touched {
            let Some(pol) = polled.get(&k) else { continue };
            match sent.get_mut(&k) {
                Some(s) => s.retain(|v| !pol.contains(v)),
                None => {
                    sent.insert(k, pol.clone());
                    polled_only.push(k);
                }
            }
        }
    }
    let Some(time) = last_time else {
        return Ok(None);
    };
    let mut keys: Vec<KeyId> = sent
        .iter()
        .filter(|(_, s)| !s.is_empty())
        .map(|(k, _)| *k)
        .collect();
    if keys.is_empty() {
        return Ok(None);
    }
    let mut key_values: Vec<Value> = keys.iter().map(|k| p.key(*k).clone()).collect();
    sort_values(&mut key_values)?;
    keys.sort_by_key(|k| key_values.iter().position(|kv| kv == p.key(*k)));
    let counts = keys
        .iter()
        .map(|k| (p.key(*k).clone(), int(sent[k].len())))
        .collect();
    let mut messages = Vec::new();
    for k in &keys {
        let mut vs: Vec<Value> = sent[k].iter().map(|v| p.val(*v).clone()).collect();
        sort_values(&mut vs)?;
        vs.truncate(32);
        messages.push((p.key(*k).clone(), Value::List(vs)));
    }
    clj::map_order(&mut messages, |(k, _)| k.clone());
    Ok(Some(glomers_model::edn_map! {
        "time" => int(time),
        "unseen" => Value::Map(counts),
        "messages" => Value::Map(messages),
    }))
}
