//! Timestamps: a Lamport time and the node's index, totally ordered (time first).
//!
//! A node stamps each transaction with `clock + 1` and raises its clock to every time
//! it hears from a peer, so a transaction's timestamp is greater than that of every
//! write it could have read. Every dependency a checker can infer (a read of a write,
//! a write that follows a read of the previous version) therefore points from a
//! smaller timestamp to a larger one, and no dependency cycle can form.

use serde::{Deserialize, Serialize};

/// `(lamport time, node index)`, compared lexicographically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Ts(pub u64, pub u32);

impl Ts {
    pub fn time(self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_first_then_node() {
        assert!(Ts(3, 9) < Ts(4, 0));
        assert!(Ts(4, 0) < Ts(4, 1));
        assert_eq!(serde_json::to_string(&Ts(4, 1)).unwrap(), "[4,1]");
    }
}
