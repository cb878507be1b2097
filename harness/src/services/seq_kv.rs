//! seq-kv: a sequentially consistent KV store (MAELSTROM.md §7). It keeps the last 32 states
//! and, per caller, the index of the state that caller last observed. Each request runs on a
//! state picked uniformly between the caller's index and the latest; if the request would not
//! change that state (reads, failed cas, writes of the value already there) the stale reply
//! stands, otherwise it is re-run on the latest state and a new state is appended.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::Value as Json;

use super::kv::{KvMap, Plan};

/// How many states seq-kv retains.
pub const WINDOW: usize = 32;

/// The seq-kv service state.
pub struct SeqKv {
    /// The last `WINDOW` states, oldest first; the back one has index `latest`.
    states: VecDeque<Arc<KvMap>>,
    latest: u64,
    /// Caller (message `src`) → index of the state it last observed.
    seen: HashMap<String, u64>,
    rng: StdRng,
}

impl SeqKv {
    pub fn new(rng: StdRng) -> SeqKv {
        let mut states = VecDeque::with_capacity(WINDOW);
        states.push_back(Arc::new(KvMap::default()));
        SeqKv {
            states,
            latest: 0,
            seen: HashMap::new(),
            rng,
        }
    }

    /// The state at global index `idx`. An index older than the window wraps around the
    /// buffer (as Maelstrom's ring buffer does with a negative offset).
    fn state_at(&self, idx: u64) -> &Arc<KvMap> {
        let len = self.states.len() as i64;
        let offset = idx as i64 - self.latest as i64; // <= 0
        let pos = (len - 1 + offset).rem_euclid(len);
        &self.states[pos as usize]
    }

    /// The latest state.
    pub fn latest(&self) -> &KvMap {
        self.states.back().expect("seq-kv always has a state")
    }

    /// Handle one request from `src`; `Err` carries an unknown request type.
    pub fn handle(&mut self, src: &str, body: &Json) -> Result<Json, String> {
        let from = self.seen.get(src).copied().unwrap_or(0).min(self.latest);
        let idx = self.rng.random_range(from..=self.latest);
        let stale = self.state_at(idx).clone();
        match stale.plan(body, true)? {
            Plan::Reply(reply) => {
                self.seen.insert(src.to_string(), idx);
                Ok(reply)
            }
            Plan::Set { .. } => {
                let plan = self.latest().plan(body, true)?;
                let mut next = self.latest().clone();
                next.apply(&plan);
                if self.states.len() == WINDOW {
                    self.states.pop_front();
                }
                self.states.push_back(Arc::new(next));
                self.latest += 1;
                self.seen.insert(src.to_string(), self.latest);
                Ok(plan.reply().clone())
            }
        }
    }
}
