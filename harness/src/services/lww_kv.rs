//! lww-kv: Maelstrom's "last write wins" KV store, simulated as 2 replicas that never merge
//! (MAELSTROM.md §7: the merge result is discarded in Maelstrom). Each request goes to a random
//! replica; `create_if_not_exists` is ignored.

use rand::rngs::StdRng;
use rand::Rng;
use serde_json::Value as Json;

use super::kv::KvMap;

/// Number of simulated replicas.
pub const REPLICAS: usize = 2;

/// The lww-kv service state.
pub struct LwwKv {
    replicas: Vec<KvMap>,
    rng: StdRng,
}

impl LwwKv {
    pub fn new(rng: StdRng) -> LwwKv {
        LwwKv {
            replicas: vec![KvMap::default(); REPLICAS],
            rng,
        }
    }

    /// Handle one request on a random replica; `Err` carries an unknown request type.
    pub fn handle(&mut self, body: &Json) -> Result<Json, String> {
        let r = self.rng.random_range(0..REPLICAS);
        self.handle_on(r, body)
    }

    /// Handle one request on replica `r`.
    pub fn handle_on(&mut self, r: usize, body: &Json) -> Result<Json, String> {
        let replica = &mut self.replicas[r];
        let plan = replica.plan(body, false)?;
        replica.apply(&plan);
        Ok(plan.reply().clone())
    }
}
