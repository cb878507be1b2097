//! The network journal (MAELSTROM.md §5.4): a `send` event for every message sent (dropped
//! ones included), a `recv` event on delivery. It keeps two things:
//! - send/recv counts per traffic class, for `:net`. Message ids are assigned once per send,
//!   so the distinct-id count equals the send count;
//! - the first [`DRAWN`] events other than `init`/`init_ok` traffic (plus one, to know
//!   whether there were more), in journal order, for `messages.svg`
//!   ([`crate::messages_svg`]), as Maelstrom draws only those.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

use crate::checker::{ClassCounts, NetCounts};
use crate::net::Message;

/// Journal events drawn in `messages.svg` at most (Maelstrom's `journal-limit`).
pub const DRAWN: usize = 10_000;

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

/// One kept journal event.
#[derive(Debug, Clone)]
pub struct Event {
    /// `recv` (delivered) rather than `send`.
    pub recv: bool,
    pub msg: Message,
}

/// Send/recv counters for `:clients` and `:servers` (`:all` is their sum), and the first
/// events of the run.
pub struct Journal {
    clients: Class,
    servers: Class,
    kept: Mutex<Vec<Event>>,
    /// Cleared once [`DRAWN`] + 1 events are kept: later events cost one load.
    keeping: AtomicBool,
}

impl Default for Journal {
    fn default() -> Self {
        Journal {
            clients: Class::default(),
            servers: Class::default(),
            kept: Mutex::new(Vec::new()),
            keeping: AtomicBool::new(true),
        }
    }
}

/// Whether a body is `init` or `init_ok` traffic, which Maelstrom leaves out of the diagram.
fn is_init(msg: &Message) -> bool {
    #[derive(serde::Deserialize)]
    struct Typed<'a> {
        #[serde(borrow, rename = "type")]
        typ: Option<std::borrow::Cow<'a, str>>,
    }
    let raw = msg.body.get();
    raw.contains("init")
        && serde_json::from_str::<Typed>(raw)
            .ok()
            .and_then(|t| t.typ)
            .is_some_and(|t| t == "init" || t == "init_ok")
}

impl Journal {
    fn class(&self, src: &str, dest: &str) -> &Class {
        if is_client(src) || is_client(dest) {
            &self.clients
        } else {
            &self.servers
        }
    }

    fn keep(&self, recv: bool, msg: &Message) {
        if !self.keeping.load(Ordering::Relaxed) || is_init(msg) {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() > DRAWN {
            return;
        }
        kept.push(Event {
            recv,
            msg: msg.clone(),
        });
        if kept.len() > DRAWN {
            self.keeping.store(false, Ordering::Relaxed);
        }
    }

    /// Record a send event.
    pub fn send(&self, msg: &Message) {
        self.class(&msg.src, &msg.dest)
            .send
            .fetch_add(1, Ordering::Relaxed);
        self.keep(false, msg);
    }

    /// Record a delivery.
    pub fn recv(&self, msg: &Message) {
        self.class(&msg.src, &msg.dest)
            .recv
            .fetch_add(1, Ordering::Relaxed);
        self.keep(true, msg);
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

    /// The kept events, in journal order: at most [`DRAWN`] + 1 (one more than drawn means
    /// the run had more).
    pub fn events(&self) -> Vec<Event> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
