//! Network journal counts (MAELSTROM.md §5.4): a `send` event for every message sent
//! (dropped ones included), a `recv` event on delivery, per traffic class. Message ids are
//! assigned once per send, so the distinct-id count equals the send count.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::checker::{ClassCounts, NetCounts};

/// Whether an endpoint id names a Maelstrom client (`c...`).
pub fn is_client(id: &str) -> bool {
    id.starts_with('c')
}

#[derive(Default)]
struct Class {
    send: AtomicU64,
    recv: AtomicU64,
}

impl Class {
    fn snapshot(&self) -> ClassCounts {
        let send = self.send.load(Ordering::Relaxed);
        ClassCounts {
            send_count: send,
            recv_count: self.recv.load(Ordering::Relaxed),
            msg_count: send,
        }
    }
}

/// Lock-free send/recv counters for `:clients` and `:servers`; `:all` is their sum.
#[derive(Default)]
pub struct Journal {
    clients: Class,
    servers: Class,
}

impl Journal {
    fn class(&self, src: &str, dest: &str) -> &Class {
        if is_client(src) || is_client(dest) {
            &self.clients
        } else {
            &self.servers
        }
    }

    /// Record a send event.
    pub fn send(&self, src: &str, dest: &str) {
        self.class(src, dest).send.fetch_add(1, Ordering::Relaxed);
    }

    /// Record a delivery.
    pub fn recv(&self, src: &str, dest: &str) {
        self.class(src, dest).recv.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts so far.
    pub fn counts(&self) -> NetCounts {
        let clients = self.clients.snapshot();
        let servers = self.servers.snapshot();
        let all = ClassCounts {
            send_count: clients.send_count + servers.send_count,
            recv_count: clients.recv_count + servers.recv_count,
            msg_count: clients.msg_count + servers.msg_count,
        };
        NetCounts {
            all,
            clients,
            servers,
        }
    }
}
