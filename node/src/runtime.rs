//! The node's main loop: the init handshake, then every inbound message is either an
//! RPC reply (handed to its waiter), a typed request for the challenge's handler, or
//! bad input (answered with an `error` when the sender and msg_id are known, logged
//! otherwise). A node never exits on its own: after end of input it idles until killed.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::error::{ErrorCode, NodeError};
use crate::io::Transport;
use crate::message::{parse_line, Envelope, Message, ReplyTo};
use crate::node::Node;

/// A challenge's request handler. `handle` runs on the receive loop, one message at a
/// time; work that must await an RPC goes to `Node::spawn_reply` so other messages
/// keep flowing.
pub trait Handler: Send + Sync + 'static {
    /// The challenge's request bodies, a serde enum tagged by `type`.
    type Request: DeserializeOwned + Send + 'static;

    fn handle(&self, node: &Node, msg: Message<Self::Request>) -> Result<(), NodeError>;
}

#[derive(Deserialize)]
struct InitBody {
    node_id: String,
    node_ids: Vec<String>,
}

/// Serve a transport until its input ends. `make` builds the handler once `init` has
/// told the node who it is. Returns the handler's node (for tests).
pub async fn serve<H, F>(mut transport: Transport, make: F) -> Option<Node>
where
    H: Handler,
    F: FnOnce(&Node) -> H,
{
    let node = loop {
        let line = transport.inbound.recv().await?;
        if line.trim().is_empty() {
            continue;
        }
        match parse_line(&line) {
            Ok(env) if env.msg_type() == Some("init") => {
                match serde_json::from_value::<InitBody>(env.body.clone()) {
                    Ok(init) => {
                        let node =
                            Node::new(init.node_id, init.node_ids, transport.outbound.clone());
                        tracing::info!(
                            node = node.id(),
                            peers = node.node_ids().len(),
                            "initialized"
                        );
                        node.reply(&reply_to(&env), &json!({"type": "init_ok"}));
                        break node;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "malformed init");
                        answer_bad_input_before_init(
                            &transport,
                            &env,
                            ErrorCode::MalformedRequest,
                            &e.to_string(),
                        );
                    }
                }
            }
            Ok(env) => {
                tracing::warn!(line = %line, "message before init");
                answer_bad_input_before_init(
                    &transport,
                    &env,
                    ErrorCode::TemporarilyUnavailable,
                    "node not initialized yet",
                );
            }
            Err((err, env)) => {
                tracing::warn!(error = %err, line = %line, "bad input before init");
                if let Some(env) = env {
                    answer_bad_input_before_init(
                        &transport,
                        &env,
                        ErrorCode::MalformedRequest,
                        &err.to_string(),
                    );
                }
            }
        }
    };
    let handler = make(&node);
    while let Some(line) = transport.inbound.recv().await {
        dispatch(&node, &handler, &line);
    }
    Some(node)
}

fn reply_to(env: &Envelope) -> ReplyTo {
    ReplyTo {
        dest: env.src.clone(),
        msg_id: env.msg_id(),
    }
}

fn answer_bad_input_before_init(t: &Transport, env: &Envelope, code: ErrorCode, text: &str) {
    let Some(id) = env.msg_id() else { return };
    if env.in_reply_to().is_some() || env.msg_type() == Some("error") {
        return;
    }
    let _ = t.outbound.send(Envelope {
        src: env.dest.clone(),
        dest: env.src.clone(),
        body: json!({"type": "error", "in_reply_to": id, "code": code.code(), "text": text}),
    });
}

/// Handle one inbound line after init.
fn dispatch<H: Handler>(node: &Node, handler: &H, line: &str) {
    if line.trim().is_empty() {
        return;
    }
    let mut env = match parse_line(line) {
        Ok(env) => env,
        Err((err, env)) => {
            tracing::warn!(error = %err, line = %line, "bad input");
            if let Some(env) = env {
                answer_error(
                    node,
                    &env,
                    &NodeError::new(ErrorCode::MalformedRequest, err.to_string()),
                );
            }
            return;
        }
    };
    // Telemetry (when on): count it, take any trace context out of the body.
    let parent = crate::telemetry::on_receive(node, &mut env);
    // Replies to our own RPCs go to their waiters first.
    let Some(env) = node.complete_rpc(env) else {
        return;
    };
    let is_reply = env.in_reply_to().is_some();
    let msg_type = env.msg_type().unwrap_or_default().to_string();
    if msg_type == "init" {
        tracing::warn!("duplicate init ignored");
        answer_error(
            node,
            &env,
            &NodeError::new(ErrorCode::MalformedRequest, "already initialized"),
        );
        return;
    }
    let span = crate::telemetry::handle_span(node, &env, parent);
    let _entered = span.enter();
    let msg_id = env.msg_id();
    let in_reply_to = env.in_reply_to();
    let Envelope { src, dest, body } = env;
    match serde_json::from_value::<H::Request>(body) {
        Ok(body) => {
            let msg = Message {
                src: src.clone(),
                dest,
                msg_id,
                in_reply_to,
                body,
            };
            if let Err(err) = handler.handle(node, msg) {
                tracing::debug!(error = %err, msg_type, "handler error");
                node.reply_error(&ReplyTo { dest: src, msg_id }, &err);
            }
        }
        Err(e) if is_reply || msg_type == "error" => {
            // A late or unexpected reply: never answer a reply, or two nodes could
            // bounce errors forever.
            tracing::debug!(msg_type, error = %e, "unexpected reply dropped");
        }
        Err(e) => {
            let text = e.to_string();
            let code = if text.contains("unknown variant") {
                ErrorCode::NotSupported
            } else {
                ErrorCode::MalformedRequest
            };
            tracing::warn!(msg_type, src, error = %text, "request rejected");
            node.reply_error(&ReplyTo { dest: src, msg_id }, &NodeError::new(code, text));
        }
    }
}

fn answer_error(node: &Node, env: &Envelope, err: &NodeError) {
    if env.in_reply_to().is_some() || env.msg_type() == Some("error") {
        return;
    }
    node.reply_error(&reply_to(env), err);
}

/// Log to stderr, filtered by `RUST_LOG` (default `info`). Safe to call twice.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// The whole life of a node binary: logging, stdio, init, serve, then idle until killed.
pub fn run<H, F>(make: F) -> !
where
    H: Handler,
    F: FnOnce(&Node) -> H,
{
    // The first stderr line names the code (node-logs/nN.log keeps it), then the stderr
    // logger, plus telemetry when GLOMERS_TELEMETRY switches it on.
    eprintln!(
        "{}",
        crate::build_info::version_line(&crate::build_info::binary_name())
    );
    crate::telemetry::init_from_env();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build tokio runtime");
    rt.block_on(async move {
        serve(crate::io::stdio(), move |node: &Node| {
            crate::telemetry::node_started(node);
            make(node)
        })
        .await;
        tracing::info!("input ended; staying alive until killed");
        std::future::pending::<()>().await;
    });
    unreachable!("a node never stops on its own")
}
