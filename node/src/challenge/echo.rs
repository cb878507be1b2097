//! Challenge 1: echo. Answers `echo` with `echo_ok` carrying the same `echo` value.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{Handler, Message, Node, NodeError};

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Echo { echo: Value },
}

#[derive(Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Reply<'a> {
    EchoOk { echo: &'a Value },
}

/// The echo handler (stateless).
pub struct Echo;

impl Handler for Echo {
    type Request = Request;

    fn handle(&self, node: &Node, msg: Message<Request>) -> Result<(), NodeError> {
        let Request::Echo { echo } = &msg.body;
        node.reply(&msg.reply_to(), &Reply::EchoOk { echo });
        Ok(())
    }
}
