//! A deliberately wrong g-counter, for tests only (select it with the `naive` argument or
//! `GLOMERS_GCOUNTER_NAIVE=1`): every node read-modify-writes one shared seq-kv key with
//! a plain `write`, and reads return whatever seq-kv says.
//!
//! seq-kv may answer the read from a stale state, so concurrent adds overwrite each
//! other (lost updates), and a node that stops writing keeps seeing an old value. Final
//! reads then miss the exact total, which a g-counter checker must report.

use std::time::Duration;

use super::protocol::{Reply, Request};
use crate::{Handler, Kv, KvError, Message, Node, NodeError};

/// The one key all naive nodes share.
pub const SHARED_KEY: &str = "g-counter/naive";

/// The naive counter of one node.
pub struct NaiveGCounter {
    kv: Kv,
}

impl NaiveGCounter {
    pub fn new(node: &Node) -> NaiveGCounter {
        NaiveGCounter {
            kv: Kv::seq(node).with_timeout(Duration::from_secs(1)),
        }
    }
}

async fn current(kv: &Kv) -> Result<u64, NodeError> {
    match kv.read::<_, u64>(&SHARED_KEY).await {
        Ok(v) => Ok(v),
        Err(KvError::KeyDoesNotExist) => Ok(0),
        Err(e) => Err(NodeError::new(crate::ErrorCode::Crash, e.to_string())),
    }
}

impl Handler for NaiveGCounter {
    type Request = Request;

    fn handle(&self, node: &Node, msg: Message<Request>) -> Result<(), NodeError> {
        let kv = self.kv.clone();
        match msg.body {
            Request::Add { delta } => node.spawn_reply(msg.reply_to(), async move {
                let value = current(&kv).await?;
                kv.write(&SHARED_KEY, &(value + delta))
                    .await
                    .map_err(|e| NodeError::new(crate::ErrorCode::Crash, e.to_string()))?;
                Ok(Reply::AddOk {})
            }),
            Request::Read {} => node.spawn_reply(msg.reply_to(), async move {
                Ok(Reply::ReadOk {
                    value: current(&kv).await?,
                })
            }),
        }
        Ok(())
    }
}
