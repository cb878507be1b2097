//! lin-kv's `:workload` checker (MAELSTROM.md §6.7): Jepsen's `independent/checker` around
//! `(compose {:linearizable (linearizable cas-register), :timeline (timeline/html)})`.
//!
//! The history is split per key: a client `:read`/`:write`/`:cas` op whose value is a `[k v]`
//! tuple goes to key `k`'s subhistory with its value replaced by `v`; every other op (the
//! nemesis's) goes to every subhistory. Indices and times are kept. Each subhistory is
//! checked by [`linearizable::analyze`] (a CAS register per key) and drawn as
//! `independent/<k>/timeline.html`; its result, `{:linearizable {...}, :timeline {...},
//! :valid? ...}`, is written to `independent/<k>/results.edn` (pretty-printed as
//! `clojure.pprint` does, records as plain maps) next to the subhistory's `history.edn`, and
//! to `independent/<k>/linear.svg` ([`svg`]) when the key is not linearizable.
//!
//! Result: `{:valid? (merge of the keys' :valid?), :results {k {...}} (sorted by key),
//! :failures [k ...] (keys whose :valid? is false; `:unknown` is truthy in Clojure)}`.

pub mod linearizable;
pub mod svg;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use glomers_model::{Op, Process, Value};

use crate::checker::util::{compare_values, merge_valid, CheckResult, Validity, ValueKey};
use crate::checker::{timeline, RunFacts};

/// The key of an op, if it is a keyed client op (`[k v]` value).
pub fn key_of(op: &Op) -> Option<(&Value, &Value)> {
    if !matches!(op.process, Process::Client(_))
        || !matches!(op.f.as_str(), "read" | "write" | "cas")
    {
        return None;
    }
    match &op.value {
        Value::Vector(kv) if kv.len() == 2 => Some((&kv[0], &kv[1])),
        _ => None,
    }
}

/// Per-key subhistories, keys sorted as Clojure's `sorted-map` would.
pub fn subhistories(history: &[Op]) -> Result<Vec<(Value, Vec<Op>)>, String> {
    let mut keys: Vec<Value> = Vec::new();
    let mut index: std::collections::HashMap<ValueKey, usize> = Default::default();
    for op in history {
        if let Some((k, _)) = key_of(op) {
            index.entry(ValueKey::of(k)).or_insert_with(|| {
                keys.push(k.clone());
                keys.len() - 1
            });
        }
    }
    let mut subs: Vec<Vec<Op>> = vec![Vec::new(); keys.len()];
    for op in history {
        match key_of(op) {
            Some((k, v)) => {
                let mut o = op.clone();
                o.value = v.clone();
                subs[index[&ValueKey::of(k)]].push(o);
            }
            None => subs.iter_mut().for_each(|s| s.push(op.clone())),
        }
    }
    let mut out: Vec<(Value, Vec<Op>)> = keys.into_iter().zip(subs).collect();
    let mut err = None;
    out.sort_by(|a, b| {
        compare_values(&a.0, &b.0).unwrap_or_else(|e| {
            err.get_or_insert(e);
            std::cmp::Ordering::Equal
        })
    });
    err.map_or(Ok(out), Err)
}

/// The folder name of a key (Clojure's `str`).
fn key_dir(k: &Value) -> String {
    match k {
        Value::Str(s) => s.clone(),
        Value::Nil => String::new(),
        other => other.to_string(),
    }
    .replace('/', "_")
}

/// Drops `#knossos.model.*` tags (pprint prints those records as plain maps).
pub fn untag_records(v: &Value) -> Value {
    match v {
        Value::Tagged(tag, inner) if tag.starts_with("knossos.") => untag_records(inner),
        Value::Tagged(tag, inner) => Value::Tagged(tag.clone(), Box::new(untag_records(inner))),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, v)| (untag_records(k), untag_records(v)))
                .collect(),
        ),
        Value::Vector(xs) => Value::Vector(xs.iter().map(untag_records).collect()),
        Value::List(xs) => Value::List(xs.iter().map(untag_records).collect()),
        Value::Set(xs) => Value::Set(xs.iter().map(untag_records).collect()),
        other => other.clone(),
    }
}

/// The result map for one key; writes its files under `dir` when given.
pub fn check_key(sub: &[Op], facts: &RunFacts, dir: Option<&Path>) -> Value {
    let linearizable = match linearizable::analyze(sub) {
        Ok(v) => v,
        Err(e) => crate::checker::util::unknown_with_error(e),
    };
    let key_facts = RunFacts {
        dir: dir.map(Path::to_path_buf),
        ..facts.clone()
    };
    let timeline = timeline::check(sub, &key_facts);
    let valid = merge_valid([Validity::of(&linearizable), Validity::of(&timeline)]);
    if let Some(dir) = dir {
        if Validity::of(&linearizable) == Validity::False {
            let _ = std::fs::write(dir.join("linear.svg"), svg::render(sub, &linearizable));
        }
    }
    glomers_model::edn_map! {
        "linearizable" => linearizable,
        "timeline" => timeline,
        "valid?" => valid.to_value(),
    }
}

fn write_key_files(dir: &Path, result: &Value, sub: &[Op]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("results.edn"),
        glomers_model::edn::pretty_pprint(&untag_records(result)),
    )?;
    let mut h = std::io::BufWriter::new(std::fs::File::create(dir.join("history.edn"))?);
    for op in sub {
        h.write_all(op.to_edn_line().as_bytes())?;
        h.write_all(b"\n")?;
    }
    h.flush()
}

/// The `:workload` map for lin-kv.
pub fn check(history: &[Op], facts: &RunFacts) -> CheckResult {
    let subs = subhistories(history)?;
    let dirs: Vec<Option<PathBuf>> = subs
        .iter()
        .map(|(k, _)| {
            facts
                .dir
                .as_ref()
                .map(|d| d.join("independent").join(key_dir(k)))
        })
        .collect();
    for d in dirs.iter().flatten() {
        std::fs::create_dir_all(d).map_err(|e| format!("creating {}: {e}", d.display()))?;
    }
    // Keys are independent: check them on a few threads (Jepsen's bounded-pmap).
    let results: Vec<Mutex<Option<Value>>> = subs.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4)
        .min(subs.len().max(1));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some((_, sub)) = subs.get(i) else { break };
                let dir = dirs[i].as_deref();
                let r =
                    crate::checker::util::check_safe("linearizable", || check_key(sub, facts, dir));
                if let Some(d) = dir {
                    let _ = write_key_files(d, &r, sub);
                }
                if let Ok(mut slot) = results[i].lock() {
                    *slot = Some(r);
                }
            });
        }
    });
    let mut map = Vec::new();
    let mut failures = Vec::new();
    let mut valids = Vec::new();
    for ((k, _), r) in subs.into_iter().zip(results) {
        let r = r
            .into_inner()
            .ok()
            .flatten()
            .unwrap_or_else(|| crate::checker::util::unknown_with_error("key not checked"));
        let v = Validity::of(&r);
        // Clojure truthiness: an :unknown key is not a failure.
        if v == Validity::False {
            failures.push(k.clone());
        }
        valids.push(v);
        map.push((k, r));
    }
    Ok(glomers_model::edn_map! {
        "valid?" => merge_valid(valids).to_value(),
        "results" => Value::Map(map),
        "failures" => Value::Vector(failures),
    })
}
