//! Fake KV services for in-process tests: `lin` is one linearizable map; `seq` copies
//! the staleness of Maelstrom's seq-kv (a window of past states, each caller reading
//! from a random state no older than the last one it saw; mutations apply to the
//! latest state and bring the caller up to date).

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::{json, Value};

use super::network::SimService;
use super::rng::SplitMix;

type State = Arc<HashMap<String, Value>>;

const WINDOW: usize = 32;

/// A fake `lin-kv` or `seq-kv`.
pub struct FakeKv {
    /// Past states, oldest first; the back is the latest.
    states: VecDeque<State>,
    /// Sequence number of `states[0]`.
    base: u64,
    /// Per caller, the sequence number of the state it last observed.
    seen: HashMap<String, u64>,
    stale: bool,
    rng: SplitMix,
}

impl FakeKv {
    /// A linearizable map (`lin-kv`).
    pub fn lin() -> FakeKv {
        FakeKv {
            states: VecDeque::from([State::default()]),
            base: 0,
            seen: HashMap::new(),
            stale: false,
            rng: SplitMix::new(0),
        }
    }

    /// A sequentially consistent map with Maelstrom's staleness (`seq-kv`).
    pub fn seq(seed: u64) -> FakeKv {
        FakeKv {
            stale: true,
            rng: SplitMix::new(seed),
            ..FakeKv::lin()
        }
    }

    fn latest_seq(&self) -> u64 {
        self.base + self.states.len() as u64 - 1
    }

    /// The current value of `key` in the latest state (test inspection).
    pub fn latest(&self, key: &Value) -> Option<Value> {
        self.states
            .back()
            .and_then(|s| s.get(&key.to_string()).cloned())
    }

    fn apply(
        state: &HashMap<String, Value>,
        body: &Value,
    ) -> (Option<HashMap<String, Value>>, Value) {
        let key = body.get("key").cloned().unwrap_or(Value::Null).to_string();
        let current = state.get(&key);
        match body.get("type").and_then(Value::as_str) {
            Some("read") => match current {
                Some(v) => (None, json!({"type": "read_ok", "value": v})),
                None => (None, missing()),
            },
            Some("write") => {
                let value = body.get("value").cloned().unwrap_or(Value::Null);
                if current == Some(&value) {
                    return (None, json!({"type": "write_ok"}));
                }
                let mut next = state.clone();
                next.insert(key, value);
                (Some(next), json!({"type": "write_ok"}))
            }
            Some("cas") => {
                let from = body.get("from").cloned().unwrap_or(Value::Null);
                let to = body.get("to").cloned().unwrap_or(Value::Null);
                let create =
                    body.get("create_if_not_exists").and_then(Value::as_bool) == Some(true);
                match current {
                    None if !create => (None, missing()),
                    Some(cur) if *cur != from => (
                        None,
                        json!({"type": "error", "code": 22, "text": format!("current value {cur} is not {from}")}),
                    ),
                    Some(cur) if *cur == to => (None, json!({"type": "cas_ok"})),
                    _ => {
                        let mut next = state.clone();
                        next.insert(key, to);
                        (Some(next), json!({"type": "cas_ok"}))
                    }
                }
            }
            other => (
                None,
                json!({"type": "error", "code": 10, "text": format!("unsupported {other:?}")}),
            ),
        }
    }
}

fn missing() -> Value {
    json!({"type": "error", "code": 20, "text": "key does not exist"})
}

impl SimService for FakeKv {
    fn handle(&mut self, src: &str, body: &Value) -> Option<Value> {
        let latest = self.latest_seq();
        let chosen = if self.stale {
            let floor = self.seen.get(src).copied().unwrap_or(0).max(self.base);
            self.rng.range_inclusive(floor, latest)
        } else {
            latest
        };
        let state = self.states[(chosen - self.base) as usize].clone();
        let (changed, reply) = Self::apply(&state, body);
        if changed.is_none() {
            self.seen.insert(src.to_string(), chosen);
            return Some(reply);
        }
        // A mutation runs again on the latest state and becomes the new latest.
        let latest_state = self.states.back().cloned().unwrap_or_default();
        let (changed, reply) = Self::apply(&latest_state, body);
        if let Some(next) = changed {
            self.states.push_back(Arc::new(next));
            if self.states.len() > WINDOW {
                self.states.pop_front();
                self.base += 1;
            }
        }
        self.seen.insert(src.to_string(), self.latest_seq());
        Some(reply)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lin_kv_semantics() {
        let mut kv = FakeKv::lin();
        let r = kv.handle("n0", &json!({"type":"read","key":"a"})).unwrap();
        assert_eq!(r["code"], 20);
        let r = kv
            .handle(
                "n0",
                &json!({"type":"cas","key":"a","from":0,"to":1,"create_if_not_exists":true}),
            )
            .unwrap();
        assert_eq!(r["type"], "cas_ok");
        let r = kv
            .handle("n1", &json!({"type":"cas","key":"a","from":0,"to":2}))
            .unwrap();
        assert_eq!(r["code"], 22);
        let r = kv.handle("n1", &json!({"type":"read","key":"a"})).unwrap();
        assert_eq!(r["value"], 1);
    }

    #[test]
    fn seq_kv_serves_stale_reads_until_caller_writes() {
        let mut kv = FakeKv::seq(7);
        for i in 1..=10 {
            kv.handle("n0", &json!({"type":"write","key":"k","value":i}));
        }
        // n1 has seen nothing: its reads come from any of the states, often stale.
        let mut stale = 0;
        for _ in 0..50 {
            let r = kv.handle("n1", &json!({"type":"read","key":"k"})).unwrap();
            if r.get("value") != Some(&json!(10)) {
                stale += 1;
            }
        }
        assert!(stale > 0, "seq-kv must be able to serve stale reads");
        // After a mutation by n1 its reads are current.
        kv.handle("n1", &json!({"type":"write","key":"other","value":1}));
        let r = kv.handle("n1", &json!({"type":"read","key":"k"})).unwrap();
        assert_eq!(r["value"], 10);
    }
}
