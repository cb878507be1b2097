//! Challenge 2: unique ids with no coordination, so totally available under partitions.
//!
//! Node `i` of `n` hands out `i, i + n, i + 2n, ...`: integers (one JSON type, so
//! Maelstrom can compute their range), unique across nodes by construction, and as
//! compact as ids can be (the cluster's ids are dense). This relies on a node never
//! restarting with a fresh counter, which holds under Maelstrom (its only fault is a
//! network partition).

use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::{Handler, Message, Node, NodeError};

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Generate {},
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply {
    GenerateOk { id: u64 },
}

/// The id generator of one node.
pub struct UniqueIds {
    index: u64,
    stride: u64,
    counter: AtomicU64,
}

impl UniqueIds {
    pub fn new(node: &Node) -> UniqueIds {
        UniqueIds {
            index: node.index() as u64,
            stride: node.node_ids().len().max(1) as u64,
            counter: AtomicU64::new(0),
        }
    }

    /// The next id of this node.
    pub fn next_id(&self) -> u64 {
        let k = self.counter.fetch_add(1, Ordering::Relaxed);
        k * self.stride + self.index
    }
}

impl Handler for UniqueIds {
    type Request = Request;

    fn handle(&self, node: &Node, msg: Message<Request>) -> Result<(), NodeError> {
        let Request::Generate {} = msg.body;
        node.reply(&msg.reply_to(), &Reply::GenerateOk { id: self.next_id() });
        Ok(())
    }
}
