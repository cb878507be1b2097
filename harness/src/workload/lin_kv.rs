//! lin-kv (MAELSTROM.md §6.7; Maelstrom's `workload/lin_kv.clj` on Jepsen's
//! `tests/linearizable_register.clj` and `independent.clj`): a linearizable key-value store.
//!
//! RPCs: `read {key}` → `read_ok {value}`, `write {key, value}` → `write_ok`,
//! `cas {key, from, to}` → `cas_ok`. History values are Jepsen's independent tuples:
//! `:read [k nil]` → `[k v]`, `:write [k v]`, `:cas [k [from to]]`.
//!
//! Generator (Jepsen's `independent/concurrent-generator`): worker threads are split into
//! groups of `2 × node_count` consecutive threads; each group works on one key at a time,
//! keys handed out in order 0, 1, 2, ... (the first groups get 0..g-1). Within a group the
//! first `node_count` threads only read, the others mix write : cas = 1 : 2 with values
//! 0..=4. A group abandons its key for the next free one once its threads' processes (the
//! union over every op emitted for the key) would exceed 20 (`gen/process-limit 20`); as
//! processes change only after an `:info`, a key lasts until enough ops have timed out.
//!
//! Client: reusable, idempotent set `#{:read}` (a read timeout or error is `:fail`; a write or
//! cas timeout is `:info`; 20 and 22 are definite, so `:fail`), RPC timeout
//! `max(10 × latency, 1000)` ms. The concurrency must be a positive multiple of
//! `2 × node_count` and the group at most 20 threads: Jepsen asserts the first (the test
//! crashes) and loops forever on the second, so here client setup fails with the reason.

use std::time::Duration;

use glomers_model::{OpType, Value};
use rand::rngs::StdRng;
use rand::Rng;
use serde_json::json;

use super::{simple_rpc, BoxFut, Event, GenCtx, Generator, Invocation, Session, Workload};
use crate::cli::TestOpts;
use crate::client::{Client, RpcError};
use crate::schema::{req, BodySchema, Ty};

pub const READ_OK: BodySchema = BodySchema {
    typ: "read_ok",
    fields: &[req("value", Ty::Any)],
};
pub const WRITE_OK: BodySchema = BodySchema {
    typ: "write_ok",
    fields: &[],
};
pub const CAS_OK: BodySchema = BodySchema {
    typ: "cas_ok",
    fields: &[],
};

/// `gen/process-limit` of Jepsen's linearizable-register test.
pub const PROCESS_LIMIT: usize = 20;

/// Values are drawn from `0..VALUES` (`rand/long 5`).
pub const VALUES: i64 = 5;

pub struct LinKv;

/// Why a concurrency cannot run this workload, if it cannot.
pub fn concurrency_problem(concurrency: usize, node_count: usize) -> Option<String> {
    let group = 2 * node_count;
    if group == 0 {
        return Some("lin-kv needs at least one node".into());
    }
    if concurrency < group {
        return Some(format!(
            "With {concurrency} worker threads, this jepsen.concurrent/concurrent-generator \
             cannot run a key with {group} threads concurrently. Consider raising your test's \
             :concurrency to at least {group} (lin-kv needs --concurrency 2n or a multiple)."
        ));
    }
    if !concurrency.is_multiple_of(group) {
        return Some(format!(
            "This jepsen.independent/concurrent-generator has {concurrency} threads to work \
             with, but can only use {} of those threads to run {} concurrent keys with {group} \
             threads apiece. Consider raising or lowering the test's :concurrency to a \
             multiple of {group}.",
            group * (concurrency / group),
            concurrency / group
        ));
    }
    if group > PROCESS_LIMIT {
        return Some(format!(
            "lin-kv groups {group} threads per key, more than the {PROCESS_LIMIT}-process limit \
             per key: Maelstrom's generator would never emit an op (it loops forever); use at \
             most {} nodes",
            PROCESS_LIMIT / 2
        ));
    }
    None
}

/// One thread group's current key and the processes that have touched it.
#[derive(Debug, Clone)]
struct Group {
    key: i64,
    procs: Vec<u64>,
}

/// The concurrent generator over independent keys.
pub struct Gen {
    group_size: usize,
    node_count: usize,
    next_key: i64,
    groups: Vec<Group>,
    /// Current process of every thread (bumped by `concurrency` after an `:info`).
    processes: Vec<u64>,
    concurrency: usize,
}

impl Gen {
    pub fn new(concurrency: usize, node_count: usize) -> Gen {
        let group_size = (2 * node_count).max(1);
        let n_groups = concurrency / group_size;
        Gen {
            group_size,
            node_count,
            next_key: n_groups as i64,
            groups: (0..n_groups)
                .map(|g| Group {
                    key: g as i64,
                    procs: Vec::new(),
                })
                .collect(),
            processes: (0..concurrency as u64).collect(),
            concurrency,
        }
    }

    /// The key a group works on now.
    pub fn key_of_group(&self, g: usize) -> Option<i64> {
        self.groups.get(g).map(|gr| gr.key)
    }

    /// Union of the group's known processes with its threads' current ones; moves the group to
    /// fresh keys while that union exceeds the limit (a fresh key starts from the threads'
    /// current processes alone).
    fn admit(&mut self, g: usize) -> Option<i64> {
        let threads = g * self.group_size..(g + 1) * self.group_size;
        let current: Vec<u64> = threads
            .filter_map(|t| self.processes.get(t).copied())
            .collect();
        if current.len() > PROCESS_LIMIT {
            return None;
        }
        let group = self.groups.get_mut(g)?;
        let mut union = group.procs.clone();
        for p in &current {
            if !union.contains(p) {
                union.push(*p);
            }
        }
        if union.len() > PROCESS_LIMIT {
            group.key = self.next_key;
            self.next_key += 1;
            union = current;
        }
        group.procs = union;
        Some(group.key)
    }
}

fn int(i: i64) -> Value {
    Value::Int(i)
}

impl Generator for Gen {
    fn next(&mut self, ctx: &GenCtx<'_>, rng: &mut StdRng) -> Option<Invocation> {
        if let Some(p) = self.processes.get_mut(ctx.thread) {
            *p = ctx.process;
        }
        let g = ctx.thread / self.group_size;
        let k = self.admit(g)?;
        let reader = ctx.thread % self.group_size < self.node_count;
        let tuple = |v: Value| Value::Vector(vec![int(k), v]);
        Some(if reader {
            Invocation::new("read", tuple(Value::Nil))
        } else if rng.random_range(0..3) == 0 {
            Invocation::new("write", tuple(int(rng.random_range(0..VALUES))))
        } else {
            let from = rng.random_range(0..VALUES);
            let to = rng.random_range(0..VALUES);
            Invocation::new("cas", tuple(Value::Vector(vec![int(from), int(to)])))
        })
    }

    fn update(&mut self, event: &Event) {
        if event.typ == OpType::Info {
            if let Some(p) = self.processes.get_mut(event.thread) {
                *p = event.process + self.concurrency as u64;
            }
        }
    }
}

/// `[k v]` of an op value.
fn split(v: &Value) -> (Value, Value) {
    match v.as_seq() {
        Some([k, v]) => (k.clone(), v.clone()),
        _ => (Value::Nil, Value::Nil),
    }
}

impl Workload for LinKv {
    fn name(&self) -> &'static str {
        "lin-kv"
    }

    fn reusable_client(&self) -> bool {
        true
    }

    fn idempotent(&self, f: &str) -> bool {
        f == "read"
    }

    fn rpc_timeout(&self, opts: &TestOpts) -> Duration {
        Duration::from_millis((10 * opts.latency).max(1000))
    }

    fn generator(&self, opts: &TestOpts) -> Box<dyn Generator> {
        Box::new(Gen::new(opts.concurrency, opts.nodes.len()))
    }

    fn setup<'a>(
        &'a self,
        _client: &'a mut Client,
        _node: &'a str,
        opts: &'a TestOpts,
    ) -> BoxFut<'a, Result<(), String>> {
        let problem = concurrency_problem(opts.concurrency, opts.nodes.len());
        Box::pin(async move { problem.map_or(Ok(()), Err) })
    }

    fn invoke<'a>(
        &'a self,
        session: &'a mut Session,
        node: &'a str,
        op: &'a Invocation,
        timeout: Duration,
    ) -> BoxFut<'a, Result<Value, RpcError>> {
        Box::pin(async move {
            let (k, v) = split(&op.value);
            match op.f {
                "read" => {
                    let body = json!({"type": "read", "key": k.to_json()});
                    let reply = simple_rpc(session, node, body, &READ_OK, timeout).await?;
                    Ok(Value::Vector(vec![k, Value::from_json(&reply["value"])]))
                }
                "write" => {
                    let body = json!({"type": "write", "key": k.to_json(), "value": v.to_json()});
                    simple_rpc(session, node, body, &WRITE_OK, timeout).await?;
                    Ok(op.value.clone())
                }
                _ => {
                    let (from, to) = split(&v);
                    let body = json!({"type": "cas", "key": k.to_json(),
                                      "from": from.to_json(), "to": to.to_json()});
                    simple_rpc(session, node, body, &CAS_OK, timeout).await?;
                    Ok(op.value.clone())
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn ctx(thread: usize, process: u64, nodes: &[String]) -> GenCtx<'_> {
        GenCtx {
            thread,
            process,
            concurrency: 12,
            nodes,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn groups_readers_writers_and_keys() {
        let nodes: Vec<String> = (0..3).map(|i| format!("n{i}")).collect();
        let mut g = Gen::new(12, 3);
        let mut rng = StdRng::seed_from_u64(7);
        let mut fs = std::collections::BTreeMap::new();
        for round in 0..300 {
            let t = round % 12;
            let op = g.next(&ctx(t, t as u64, &nodes), &mut rng).unwrap();
            let (k, v) = split(&op.value);
            assert_eq!(
                k,
                Value::Int((t / 6) as i64),
                "thread {t} works on its group's key"
            );
            if t % 6 < 3 {
                assert_eq!(op.f, "read");
                assert_eq!(v, Value::Nil);
            } else {
                assert_ne!(op.f, "read");
            }
            *fs.entry(op.f).or_insert(0) += 1;
        }
        // 150 writer ops: about 50 writes and 100 cas.
        let (w, c) = (fs["write"], fs["cas"]);
        assert!((25..=75).contains(&w) && w + c == 150, "{fs:?}");
    }

    #[test]
    fn key_abandoned_after_twenty_processes() {
        let nodes: Vec<String> = (0..2).map(|i| format!("n{i}")).collect();
        // 1 group of 4 threads; processes 0..3 at first, each :info adds a new one.
        let mut g = Gen::new(4, 2);
        let mut rng = StdRng::seed_from_u64(1);
        let mut process = 0u64;
        let mut keys = Vec::new();
        for i in 0..40u64 {
            let op = g.next(&ctx(0, process, &nodes), &mut rng).unwrap();
            keys.push(split(&op.value).0.as_i64().unwrap());
            g.update(&Event {
                thread: 0,
                process,
                typ: OpType::Info,
                f: op.f,
                value: op.value,
            });
            process += 4;
            let _ = i;
        }
        // Thread 0 sees processes 0, 4, 8, ...; with threads 1..3 (processes 1..3) the union
        // reaches 20 after 17 of thread 0's processes, so ops 0..=16 use key 0.
        assert!(keys[..17].iter().all(|&k| k == 0), "{keys:?}");
        assert_eq!(keys[17], 1, "{keys:?}");
        assert!(keys[17..34].iter().all(|&k| k == 1), "{keys:?}");
        assert_eq!(keys[34], 2, "{keys:?}");
    }

    #[test]
    fn concurrency_must_be_a_multiple_of_two_n() {
        assert!(concurrency_problem(6, 3).is_none());
        assert!(concurrency_problem(12, 3).is_none());
        assert!(concurrency_problem(3, 3).unwrap().contains("at least 6"));
        assert!(concurrency_problem(9, 3).unwrap().contains("multiple of 6"));
        assert!(concurrency_problem(22, 11).unwrap().contains("20"));
    }
}
