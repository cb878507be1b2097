//! An in-memory Maelstrom: several nodes of one binary's logic in one test process,
//! a network with latency and partitions, clients, and fake KV services. With tokio's
//! paused clock, timer-driven gossip runs deterministically and instantly.

pub mod kv;
pub mod network;
mod rng;

pub use kv::FakeKv;
pub use network::{Client, Cluster, NetStats, SimService};
pub use rng::SplitMix;
