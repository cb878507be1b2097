//! The logic of each Gossip Glomers challenge, one module each, independent of stdio.

pub mod echo;
pub mod unique_ids;
