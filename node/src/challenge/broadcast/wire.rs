//! The messages of the broadcast challenge: client requests and their replies (closed
//! schemas, exactly what Maelstrom accepts), and the one node-to-node message, `gossip`.
//!
//! A `gossip` body has short optional fields, all absent when unused:
//!
//! | key | meaning |
//! |-----|---------|
//! | `t` | the sender's stamp for this message (µs on its own clock; absent on bare pushes) |
//! | `e` | echo: the highest `t` the sender has received from the receiver |
//! | `h` | the sender's holdings, an `IdSet` in wire form |
//! | `d` | values: runs `[origin, first_seq, [value, ...]]` |
//! | `a` | 1: please echo this when convenient; 2: please answer now |
//! | `p` | true if the receiver is the sender's parent in the overlay |
//! | `w` | true if the values in `d` were pushed by their origin to every node |
//!
//! A *bare push* (only `d`) is the latency profile's direct one-hop delivery to a peer
//! it has no sync session with; everything else is a sync message on an overlay edge.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::idset::{Id, IdSet};

/// Requests a broadcast node accepts.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Broadcast {
        message: Value,
    },
    Read {},
    Topology {
        /// Accepted and ignored: the node uses its own overlay (see `overlay`).
        #[serde(default)]
        #[allow(dead_code)]
        topology: Value,
    },
    Gossip(Gossip),
}

/// Client replies: `type` plus the runtime's `in_reply_to`, nothing else.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply<'a> {
    BroadcastOk {},
    ReadOk { messages: &'a [Value] },
    TopologyOk {},
}

/// What a node sends to a peer.
#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PeerMsg<'a> {
    Gossip(&'a Gossip),
}

/// `a`: no answer needed.
pub const ACK_NONE: u8 = 0;
/// `a`: echo this message with your next one (lazily).
pub const ACK_LAZY: u8 = 1;
/// `a`: answer right away.
pub const ACK_NOW: u8 = 2;

/// The node-to-node message (see the module docs for the fields).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Gossip {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub t: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub e: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub h: Option<Vec<Vec<u64>>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub d: Vec<Run>,
    #[serde(default, skip_serializing_if = "is_zero_u8")]
    pub a: u8,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub p: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub w: bool,
}

/// Consecutive values of one origin: `[origin, first_seq, [value, ...]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Run(pub u32, pub u64, pub Vec<Value>);

impl Gossip {
    /// True for a sync message (it has a stamp); false for a bare push.
    pub fn is_sync(&self) -> bool {
        self.t != 0
    }

    /// The ids and values carried, in order.
    pub fn values(&self) -> impl Iterator<Item = (Id, &Value)> + '_ {
        self.d.iter().flat_map(|Run(o, first, vs)| {
            vs.iter()
                .enumerate()
                .map(move |(k, v)| (Id::new(*o, first + k as u64), v))
        })
    }

    /// Number of values carried.
    pub fn value_count(&self) -> usize {
        self.d.iter().map(|r| r.2.len()).sum()
    }
}

/// Pack the values of `ids` into runs, looking each up with `value`; ids without a
/// value are skipped (they split the run).
pub fn runs<'a>(ids: &IdSet, value: impl Fn(Id) -> Option<&'a Value>) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for id in ids.iter() {
        let Some(v) = value(id) else { continue };
        match out.last_mut() {
            Some(Run(o, first, vs)) if *o == id.origin && *first + vs.len() as u64 == id.seq => {
                vs.push(v.clone())
            }
            _ => out.push(Run(id.origin, id.seq, vec![v.clone()])),
        }
    }
    out
}

fn is_zero(x: &u64) -> bool {
    *x == 0
}

fn is_zero_u8(x: &u8) -> bool {
    *x == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn gossip_is_compact_and_round_trips() {
        let g = Gossip {
            t: 17,
            e: 4,
            h: Some(vec![vec![0, 0, 3]]),
            d: vec![Run(0, 1, vec![json!(5), json!({"k": "v"})])],
            a: ACK_LAZY,
            p: true,
            w: false,
        };
        let body = serde_json::to_value(PeerMsg::Gossip(&g)).unwrap();
        assert_eq!(
            body,
            json!({"type": "gossip", "t": 17, "e": 4, "h": [[0, 0, 3]],
                   "d": [[0, 1, [5, {"k": "v"}]]], "a": 1, "p": true})
        );
        let Request::Gossip(back) = serde_json::from_value(body).unwrap() else {
            panic!()
        };
        assert_eq!(back, g);
        let bare = serde_json::to_value(PeerMsg::Gossip(&Gossip {
            d: g.d.clone(),
            ..Gossip::default()
        }))
        .unwrap();
        assert_eq!(
            bare,
            json!({"type": "gossip", "d": [[0, 1, [5, {"k": "v"}]]]})
        );
        assert_eq!(
            g.values().map(|(id, _)| id).collect::<Vec<_>>(),
            vec![Id::new(0, 1), Id::new(0, 2)]
        );
    }

    #[test]
    fn replies_have_closed_schemas() {
        let ok = serde_json::to_value(Reply::BroadcastOk {}).unwrap();
        assert_eq!(ok, json!({"type": "broadcast_ok"}));
        assert_eq!(
            serde_json::to_value(Reply::TopologyOk {}).unwrap(),
            json!({"type": "topology_ok"})
        );
        let read = serde_json::to_value(Reply::ReadOk {
            messages: &[json!(1)],
        })
        .unwrap();
        assert_eq!(read, json!({"type": "read_ok", "messages": [1]}));
    }

    #[test]
    fn requests_parse() {
        let r: Request = serde_json::from_value(json!({"type": "read", "msg_id": 3})).unwrap();
        assert!(matches!(r, Request::Read {}));
        let r: Request = serde_json::from_value(
            json!({"type": "topology", "msg_id": 1, "topology": {"n0": []}}),
        )
        .unwrap();
        assert!(matches!(r, Request::Topology { .. }));
        let r: Request =
            serde_json::from_value(json!({"type": "broadcast", "message": [1]})).unwrap();
        assert!(matches!(r, Request::Broadcast { message } if message == json!([1])));
    }

    #[test]
    fn runs_split_on_gaps_and_origins() {
        let ids: IdSet = [Id::new(0, 0), Id::new(0, 1), Id::new(0, 3), Id::new(1, 0)]
            .into_iter()
            .collect();
        let vals = [json!("a"), json!("b")];
        let r = runs(&ids, |id| vals.get((id.seq % 2) as usize));
        assert_eq!(
            r,
            vec![
                Run(0, 0, vec![json!("a"), json!("b")]),
                Run(0, 3, vec![json!("b")]),
                Run(1, 0, vec![json!("a")])
            ]
        );
    }
}
