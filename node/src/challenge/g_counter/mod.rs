//! Challenge 4: a grow-only counter kept in Maelstrom's `seq-kv`, exact under partitions.
//!
//! Design (the `exact` handler):
//! - Each node owns one seq-kv key, `g-counter/<node>`, holding `{"count": c, "seq": s}`:
//!   the sum of the adds that node has accepted, plus a number that makes every write
//!   unique. Only the owner ever writes it.
//! - `add` is applied in memory and answered at once; a background round every
//!   [`Config::period`] publishes the node's count with a CaS (`slot`), then reads the
//!   peers' keys and keeps, per peer, the largest count seen (`tally`).
//! - `read` is answered from memory (own count + the peers' counts known), so it never
//!   waits on seq-kv or on a peer, partitioned or not.
//! - Nodes never message each other: seq-kv is never partitioned, so partitions cannot
//!   delay convergence at all.
//!
//! Why seq-kv's staleness cannot make it wrong:
//! - seq-kv may evaluate a request on any state between the last one the caller saw and
//!   the latest. The owner's key, in every such state, holds exactly the owner's last
//!   write, so the CaS precondition is judged correctly even on a stale state; and since
//!   the new value always differs (its `seq` grows), the CaS is a real mutation, which
//!   seq-kv applies to the latest state and which brings the owner fully up to date.
//! - The peer reads that follow therefore come from states no older than that mutation:
//!   they include every peer publication that completed before it. Counts only grow, so
//!   merging with `max` makes older answers harmless.
//! - When adds stop, each node publishes within one period; the next round of every node
//!   sees all publications: reads equal the exact total about two periods after the last
//!   add (1 s with the default), well inside Maelstrom's 10 s recovery window.
//!
//! A deliberately wrong `naive` variant (test-only) trusts stale reads; see [`naive`].

pub mod exact;
pub mod mode;
pub mod naive;
pub mod protocol;
pub mod slot;
pub mod stats;
pub mod sync;
pub mod tally;

pub use exact::{Config, GCounter};
pub use mode::Mode;
pub use naive::NaiveGCounter;
pub use stats::{KvStats, KvStatsSnapshot};
