//! The kafka workload's messages: the four client RPCs (with their closed reply
//! schemas) and the node-to-node messages of this implementation.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `[[offset, msg], ...]` per key.
pub type Msgs = BTreeMap<String, Vec<(u64, Value)>>;

/// Everything a kafka node is sent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    // Client RPCs.
    Send {
        key: String,
        msg: Value,
    },
    Poll {
        offsets: BTreeMap<String, u64>,
    },
    CommitOffsets {
        offsets: BTreeMap<String, u64>,
    },
    ListCommittedOffsets {
        keys: Vec<String>,
    },
    // Node to node.
    /// A send forwarded to the key's owner; `id` makes retries idempotent.
    KafkaSend {
        key: String,
        msg: Value,
        id: String,
    },
    /// A poll of keys the receiver owns.
    KafkaPoll {
        offsets: BTreeMap<String, u64>,
    },
    /// Committed offsets replicated from a peer.
    KafkaCommit {
        offsets: BTreeMap<String, u64>,
    },
    /// "lin-kv holds at least this many entries for these keys you own": fallback
    /// writes made while the owner was unreachable.
    KafkaRefresh {
        lengths: BTreeMap<String, u64>,
    },
}

/// Every reply a kafka node sends. Client replies carry exactly the declared fields.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    SendOk { offset: u64 },
    PollOk { msgs: Msgs },
    CommitOffsetsOk {},
    ListCommittedOffsetsOk { offsets: BTreeMap<String, u64> },
    KafkaSendOk { offset: u64 },
    KafkaPollOk { msgs: Msgs },
    KafkaCommitOk {},
    KafkaRefreshOk {},
}

/// The body of a forwarded send's answer.
#[derive(Debug, Deserialize)]
pub struct KafkaSendOk {
    pub offset: u64,
}

/// The body of a forwarded poll's answer.
#[derive(Debug, Deserialize)]
pub struct KafkaPollOk {
    pub msgs: Msgs,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn client_replies_have_exactly_the_declared_fields() {
        let r = serde_json::to_value(Reply::CommitOffsetsOk {}).unwrap();
        assert_eq!(r, json!({"type": "commit_offsets_ok"}));
        let msgs = Msgs::from([("k".to_string(), vec![(0, json!(7)), (1, json!(8))])]);
        let r = serde_json::to_value(Reply::PollOk { msgs }).unwrap();
        assert_eq!(
            r,
            json!({"type": "poll_ok", "msgs": {"k": [[0, 7], [1, 8]]}})
        );
        let r = serde_json::to_value(Reply::SendOk { offset: 3 }).unwrap();
        assert_eq!(r, json!({"type": "send_ok", "offset": 3}));
    }

    #[test]
    fn client_requests_parse_with_their_msg_id() {
        let r: Request =
            serde_json::from_value(json!({"type": "poll", "offsets": {}, "msg_id": 1})).unwrap();
        assert!(matches!(r, Request::Poll { offsets } if offsets.is_empty()));
        let r: Request = serde_json::from_value(
            json!({"type": "list_committed_offsets", "keys": ["1", "2"], "msg_id": 2}),
        )
        .unwrap();
        assert!(matches!(r, Request::ListCommittedOffsets { keys } if keys.len() == 2));
    }
}
