//! Message counts from Maelstrom's `messages.svg` (FORMAT.md §4: each message is a `<rect>`
//! with `<title>src → dest {body}</title>`): by body `:type` and by kind of hop
//! (server→server, client↔server, service), and per node sent/received. This is what
//! explains a high msgs-per-op: which message types the servers exchange, and which nodes
//! carry them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Counts for one message `:type`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeCount {
    pub msg_type: String,
    pub total: u64,
    /// Between two server nodes (`n*` → `n*`): what Maelstrom's `:servers` counts.
    pub server_server: u64,
    /// Between a client and a server, either way.
    pub client_server: u64,
    /// To or from a service (`seq-kv`, `lin-kv`, `lww-kv`, ...).
    pub service: u64,
}

/// Messages sent and received by one node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeCount {
    pub node: String,
    pub sent: u64,
    pub received: u64,
}

/// All counts of one `messages.svg`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageStats {
    pub total: u64,
    pub by_type: Vec<TypeCount>,
    /// Server nodes only, by name.
    pub by_node: Vec<NodeCount>,
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Kind {
    Server,
    Client,
    Service,
}

fn kind(name: &str) -> Kind {
    let mut chars = name.chars();
    let first = chars.next();
    let rest_digits = !name[1.min(name.len())..].is_empty() && chars.all(|c| c.is_ascii_digit());
    match first {
        Some('n') if rest_digits => Kind::Server,
        Some('c') if rest_digits => Kind::Client,
        _ => Kind::Service,
    }
}

/// The `:type` string of an EDN message body, found without parsing the whole body.
fn body_type(body: &str) -> String {
    body.find(":type \"")
        .map(|i| &body[i + 7..])
        .and_then(|rest| rest.find('"').map(|j| &rest[..j]))
        .unwrap_or("?")
        .to_string()
}

/// Counts the messages named by `<title>` elements of a messages.svg text.
pub fn analyse(svg: &str) -> MessageStats {
    let mut types: BTreeMap<String, TypeCount> = BTreeMap::new();
    let mut nodes: BTreeMap<String, NodeCount> = BTreeMap::new();
    let mut total = 0;
    let mut rest = svg;
    while let Some(i) = rest.find("<title") {
        rest = &rest[i + 6..];
        let Some(open) = rest.find('>') else { break };
        rest = &rest[open + 1..];
        let end = rest.find("</title>").unwrap_or(rest.len());
        let title = &rest[..end];
        rest = &rest[end..];
        let Some((src, after)) = title.split_once(" → ") else {
            continue;
        };
        let (dest, body) = after.split_once(' ').unwrap_or((after, ""));
        let (ks, kd) = (kind(src.trim()), kind(dest.trim()));
        let t = types.entry(body_type(body)).or_default();
        t.total += 1;
        match (ks, kd) {
            (Kind::Server, Kind::Server) => t.server_server += 1,
            (Kind::Service, _) | (_, Kind::Service) => t.service += 1,
            _ => t.client_server += 1,
        }
        for (name, k, sent) in [(src.trim(), ks, true), (dest.trim(), kd, false)] {
            if k == Kind::Server {
                let n = nodes.entry(name.to_string()).or_default();
                n.node = name.to_string();
                if sent {
                    n.sent += 1;
                } else {
                    n.received += 1;
                }
            }
        }
        total += 1;
    }
    let mut by_type: Vec<TypeCount> = types
        .into_iter()
        .map(|(msg_type, c)| TypeCount { msg_type, ..c })
        .collect();
    by_type.sort_by(|a, b| b.total.cmp(&a.total).then(a.msg_type.cmp(&b.msg_type)));
    let mut by_node: Vec<NodeCount> = nodes.into_values().collect();
    by_node.sort_by_key(|n| (n.node.len(), n.node.clone()));
    MessageStats {
        total,
        by_type,
        by_node,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_types_hops_and_nodes() {
        let svg = r#"<svg><rect><title >c6 → n1 {:type "topology", :msg_id 1}</title></rect>
            <rect><title>n1 → n2 {:type "gossip", :msg_id 2}</title></rect>
            <rect><title>n2 → n1 {:type "gossip_ok", :in_reply_to 2}</title></rect>
            <rect><title>n1 → seq-kv {:type "read", :key "k"}</title></rect>
            <rect><title>n1 → c6 {:type "topology_ok"}</title></rect>
            <title>not a message</title><title>n9 → n1 no body"#;
        let m = analyse(svg);
        assert_eq!(m.total, 6);
        let gossip = m.by_type.iter().find(|t| t.msg_type == "gossip").unwrap();
        assert_eq!((gossip.total, gossip.server_server), (1, 1));
        let read = m.by_type.iter().find(|t| t.msg_type == "read").unwrap();
        assert_eq!(read.service, 1);
        let topo = m.by_type.iter().find(|t| t.msg_type == "topology").unwrap();
        assert_eq!(topo.client_server, 1);
        assert_eq!(
            m.by_type.iter().find(|t| t.msg_type == "?").unwrap().total,
            1
        );
        let n1 = m.by_node.iter().find(|n| n.node == "n1").unwrap();
        assert_eq!((n1.sent, n1.received), (3, 3));
        assert_eq!(analyse("").total, 0);
    }
}
