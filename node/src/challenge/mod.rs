//! The logic of each Gossip Glomers challenge, one module each, independent of stdio.

pub mod broadcast;
pub mod echo;
pub mod g_counter;
pub mod kafka;
pub mod txn;
pub mod unique_ids;
