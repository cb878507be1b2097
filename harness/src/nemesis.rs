//! The partition nemesis (MAELSTROM.md §5.3, §4.4): grudges for the four partition specs
//! (`:one`, `:minority-third`, `:majority`, `:majorities-ring`), the alternating
//! start/stop schedule with gaps `U[0, 2·interval)` starting at t≈0, and the history entries
//! (both halves `:type :info`, `:process :nemesis`).

use std::sync::{Arc, Mutex};

use glomers_model::{OpType, Process, Value};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::Rng;
use tokio::time::{Duration, Instant};

use crate::history::History;
use crate::net::{Grudge, Net};

/// A partition spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spec {
    One,
    MinorityThird,
    Majority,
    MajoritiesRing,
}

impl Spec {
    pub const ALL: [Spec; 4] = [
        Spec::One,
        Spec::MinorityThird,
        Spec::Majority,
        Spec::MajoritiesRing,
    ];

    /// The keyword name (`majorities-ring`).
    pub fn name(self) -> &'static str {
        match self {
            Spec::One => "one",
            Spec::MinorityThird => "minority-third",
            Spec::Majority => "majority",
            Spec::MajoritiesRing => "majorities-ring",
        }
    }
}

/// A grudge in a printable order: receiver → senders it drops.
pub type OrderedGrudge = Vec<(String, Vec<String>)>;

/// Cut components off from each other in both directions: every node drops messages from
/// every node outside its own component.
fn complete(components: &[&[String]], all: &[String]) -> OrderedGrudge {
    let mut out = Vec::new();
    for comp in components {
        for node in comp.iter() {
            let others = all.iter().filter(|n| !comp.contains(n)).cloned().collect();
            out.push((node.clone(), others));
        }
    }
    out
}

/// The grudge for `spec` over `nodes`.
pub fn grudge(spec: Spec, nodes: &[String], rng: &mut StdRng) -> OrderedGrudge {
    let mut shuffled = nodes.to_vec();
    shuffled.shuffle(rng);
    let n = shuffled.len();
    match spec {
        Spec::One => {
            if n == 0 {
                return Vec::new();
            }
            let (one, rest) = shuffled.split_at(1);
            complete(&[one, rest], &shuffled)
        }
        Spec::Majority => {
            let (a, b) = shuffled.split_at(n / 2);
            complete(&[a, b], &shuffled)
        }
        Spec::MinorityThird => {
            let k = n.saturating_sub(1) / 3;
            let (a, b) = shuffled.split_at(k);
            complete(&[a, b], &shuffled)
        }
        Spec::MajoritiesRing => majorities_ring(&shuffled),
    }
}

/// Each node, placed on a ring in the given order, keeps a window of a majority of nodes
/// centred on itself and drops messages from the rest (one-way cuts). n = 2 drops nothing;
/// n = 3 is a one-way ring where each node refuses one peer.
fn majorities_ring(ring: &[String]) -> OrderedGrudge {
    let n = ring.len();
    if n == 0 {
        return Vec::new();
    }
    let m = n / 2 + 1;
    (0..n)
        .map(|i| {
            // Window of m nodes with i at position m/2.
            let start = (i + n - m / 2) % n;
            let window: Vec<usize> = (0..m).map(|k| (start + k) % n).collect();
            let dropped = (0..n)
                .filter(|j| !window.contains(j))
                .map(|j| ring[j].clone())
                .collect();
            (ring[i].clone(), dropped)
        })
        .collect()
}

/// The grudge as the network's lookup map.
pub fn to_map(g: &OrderedGrudge) -> Grudge {
    g.iter()
        .map(|(k, v)| (k.clone(), v.iter().cloned().collect()))
        .collect()
}

/// The grudge as EDN: `{"n1" #{"n2" ...}, ...}`.
pub fn to_edn(g: &OrderedGrudge) -> Value {
    Value::Map(
        g.iter()
            .map(|(k, v)| {
                (
                    Value::Str(k.clone()),
                    Value::Set(v.iter().cloned().map(Value::Str).collect()),
                )
            })
            .collect(),
    )
}

/// The nemesis of a run.
pub struct Nemesis {
    net: Arc<Net>,
    history: Arc<History>,
    nodes: Vec<String>,
    rng: Mutex<StdRng>,
    /// A short description of the partition in force, for the console.
    pub state: Mutex<Option<String>>,
}

impl Nemesis {
    pub fn new(net: Arc<Net>, history: Arc<History>, nodes: Vec<String>, rng: StdRng) -> Nemesis {
        Nemesis {
            net,
            history,
            nodes,
            rng: Mutex::new(rng),
            state: Mutex::new(None),
        }
    }

    fn record(&self, f: &str, value: Value) {
        self.history
            .record(None, OpType::Info, Process::Nemesis, f, value, Vec::new());
    }

    /// `:start-partition` with a random spec.
    pub fn start_partition(&self) {
        let (spec, g) = {
            let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
            let spec = Spec::ALL[rng.random_range(0..Spec::ALL.len())];
            (spec, grudge(spec, &self.nodes, &mut rng))
        };
        self.record("start-partition", Value::kw(spec.name()));
        self.net.partition(&to_map(&g));
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(spec.name().to_string());
        self.record(
            "start-partition",
            Value::Vector(vec![Value::kw("isolated"), to_edn(&g)]),
        );
    }

    /// `:stop-partition`: heal everything.
    pub fn stop_partition(&self) {
        self.record("stop-partition", Value::Nil);
        self.net.heal();
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = None;
        self.record("stop-partition", Value::kw("network-healed"));
    }

    /// The main-phase schedule: start, stop, start, ... from `t0`, gaps `U[0, 2·interval)` s,
    /// until `limit`.
    pub async fn run(self: Arc<Self>, t0: Instant, limit: Instant, interval: f64) {
        let mut at = t0;
        let mut start = true;
        while at < limit {
            tokio::time::sleep_until(at).await;
            if Instant::now() >= limit {
                break;
            }
            if start {
                self.start_partition();
            } else {
                self.stop_partition();
            }
            start = !start;
            let gap = {
                let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
                rng.random::<f64>() * 2.0 * interval
            };
            at += Duration::from_secs_f64(gap);
        }
    }
}
