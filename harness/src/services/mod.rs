//! Built-in services (MAELSTROM.md §7): `lin-kv`, `seq-kv`, `lww-kv` and `lin-tso`, each a
//! network endpoint with its own delivery queue (so latency applies), never partitioned,
//! handling one request at a time. Replies go to `src` with `in_reply_to` = the request's
//! `msg_id` (null if none) and no `msg_id`; an unknown request type gets no reply and a
//! warning in jepsen.log.

pub mod kv;
pub mod lww_kv;
pub mod seq_kv;
pub mod tso;

use std::sync::Arc;

use serde_json::Value as Json;
use tokio::task::JoinHandle;

use crate::net::{run_queue, Message, Net, Target};
use crate::rng::{Seeds, Stream};

/// Service ids in the order Maelstrom lists them.
pub const SERVICE_IDS: [&str; 4] = ["lin-kv", "lin-tso", "lww-kv", "seq-kv"];

/// One service's state machine.
pub enum Service {
    LinKv(kv::KvMap),
    SeqKv(seq_kv::SeqKv),
    LwwKv(lww_kv::LwwKv),
    LinTso(tso::Tso),
}

impl Service {
    /// The service for an id, with its own random stream derived from `seeds`.
    pub fn new(id: &str, seeds: &Seeds) -> Option<Service> {
        use rand::SeedableRng;
        let salt = id
            .bytes()
            .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(b as u64));
        let rng = || {
            let mut base = seeds.stream(Stream::Services);
            let s: u64 = rand::Rng::random(&mut base);
            rand::rngs::StdRng::seed_from_u64(s ^ salt)
        };
        Some(match id {
            "lin-kv" => Service::LinKv(kv::KvMap::default()),
            "seq-kv" => Service::SeqKv(seq_kv::SeqKv::new(rng())),
            "lww-kv" => Service::LwwKv(lww_kv::LwwKv::new(rng())),
            "lin-tso" => Service::LinTso(tso::Tso::default()),
            _ => return None,
        })
    }

    /// Handle a request from `src`: the reply body (without `in_reply_to`), or the unknown type.
    pub fn handle(&mut self, src: &str, body: &Json) -> Result<Json, String> {
        match self {
            Service::LinKv(m) => {
                let plan = m.plan(body, true)?;
                m.apply(&plan);
                Ok(plan.reply().clone())
            }
            Service::SeqKv(s) => s.handle(src, body),
            Service::LwwKv(s) => s.handle(body),
            Service::LinTso(s) => s.handle(body),
        }
    }
}

/// The delivery target of a service endpoint.
struct ServiceTarget {
    id: String,
    net: Arc<Net>,
    service: Service,
}

impl Target for ServiceTarget {
    async fn deliver(&mut self, msg: Message) {
        let body = msg.body_json();
        match self.service.handle(&msg.src, &body) {
            Ok(mut reply) => {
                if let Json::Object(m) = &mut reply {
                    m.insert(
                        "in_reply_to".into(),
                        body.get("msg_id").cloned().unwrap_or(Json::Null),
                    );
                }
                if let Err(e) = self.net.send_json(&self.id, &msg.src, &reply) {
                    self.net.log.warn(
                        &format!("maelstrom {}", self.id),
                        "maelstrom.service",
                        &e.to_string(),
                    );
                }
            }
            Err(typ) => {
                let text = format!(
                    "Error processing {}: unknown request type {typ:?}",
                    msg.to_edn()
                );
                self.net.log.warn(
                    &format!("maelstrom {}", self.id),
                    "maelstrom.service",
                    &text,
                );
            }
        }
    }

    async fn idle(&mut self) {}
}

/// Register every service on the network and start its delivery loop.
pub fn start(net: &Arc<Net>, seeds: &Seeds) -> Vec<JoinHandle<()>> {
    SERVICE_IDS
        .iter()
        .map(|id| {
            let rx = net.register_queue(id);
            let service = Service::new(id, seeds).expect("known service id");
            let target = ServiceTarget {
                id: id.to_string(),
                net: net.clone(),
                service,
            };
            tokio::spawn(run_queue(net.clone(), rx, target))
        })
        .collect()
}
