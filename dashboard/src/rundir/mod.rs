//! The store folder as Maelstrom lays it out (`store/<workload>/<timestamp>/`, FORMAT.md §1):
//! finding run folders, reading their names and logs, and reaching their files safely.

pub mod files;
pub mod jepsen_log;
pub mod run_name;
pub mod scan;
