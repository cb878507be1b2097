//! glomers node runtime: everything a Maelstrom node binary needs (protocol, stdio
//! transport, awaitable RPCs, timers, KV clients), plus an in-memory network (`sim`)
//! that runs several nodes in one test process. Each challenge's logic lives in
//! `challenge::*`, free of `main`, so tests can drive it directly.

pub mod build_info;
pub mod challenge;
pub mod error;
pub mod io;
pub mod kv;
pub mod message;
pub mod node;
pub mod runtime;
pub mod sim;
pub mod telemetry;

pub use error::{ErrorCode, NodeError, RpcError};
pub use kv::{Kv, KvError, Service};
pub use message::{Message, ReplyTo};
pub use node::Node;
pub use runtime::{run, serve, Handler};
