//! Maelstrom's error codes (0–30) and the errors an RPC can end with.

use std::fmt;

/// An error code from Maelstrom's protocol (`resources/errors.edn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    Timeout,
    NodeNotFound,
    NotSupported,
    TemporarilyUnavailable,
    MalformedRequest,
    Crash,
    Abort,
    KeyDoesNotExist,
    KeyAlreadyExists,
    PreconditionFailed,
    TxnConflict,
    /// Any code Maelstrom does not define (treated as indefinite).
    Other(u32),
}

impl ErrorCode {
    pub fn code(self) -> u32 {
        match self {
            ErrorCode::Timeout => 0,
            ErrorCode::NodeNotFound => 1,
            ErrorCode::NotSupported => 10,
            ErrorCode::TemporarilyUnavailable => 11,
            ErrorCode::MalformedRequest => 12,
            ErrorCode::Crash => 13,
            ErrorCode::Abort => 14,
            ErrorCode::KeyDoesNotExist => 20,
            ErrorCode::KeyAlreadyExists => 21,
            ErrorCode::PreconditionFailed => 22,
            ErrorCode::TxnConflict => 30,
            ErrorCode::Other(c) => c,
        }
    }

    pub fn from_code(code: u32) -> ErrorCode {
        match code {
            0 => ErrorCode::Timeout,
            1 => ErrorCode::NodeNotFound,
            10 => ErrorCode::NotSupported,
            11 => ErrorCode::TemporarilyUnavailable,
            12 => ErrorCode::MalformedRequest,
            13 => ErrorCode::Crash,
            14 => ErrorCode::Abort,
            20 => ErrorCode::KeyDoesNotExist,
            21 => ErrorCode::KeyAlreadyExists,
            22 => ErrorCode::PreconditionFailed,
            30 => ErrorCode::TxnConflict,
            other => ErrorCode::Other(other),
        }
    }

    /// Maelstrom's name for the code (`precondition-failed`), `unknown` for others.
    pub fn name(self) -> &'static str {
        match self {
            ErrorCode::Timeout => "timeout",
            ErrorCode::NodeNotFound => "node-not-found",
            ErrorCode::NotSupported => "not-supported",
            ErrorCode::TemporarilyUnavailable => "temporarily-unavailable",
            ErrorCode::MalformedRequest => "malformed-request",
            ErrorCode::Crash => "crash",
            ErrorCode::Abort => "abort",
            ErrorCode::KeyDoesNotExist => "key-does-not-exist",
            ErrorCode::KeyAlreadyExists => "key-already-exists",
            ErrorCode::PreconditionFailed => "precondition-failed",
            ErrorCode::TxnConflict => "txn-conflict",
            ErrorCode::Other(_) => "unknown",
        }
    }

    /// Whether the operation certainly did not happen (Maelstrom's "definite").
    pub fn is_definite(self) -> bool {
        !matches!(
            self,
            ErrorCode::Timeout | ErrorCode::Crash | ErrorCode::Other(_)
        )
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

/// An error a handler returns; the runtime turns it into an `error` reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {text}")]
pub struct NodeError {
    pub code: ErrorCode,
    pub text: String,
}

impl NodeError {
    pub fn new(code: ErrorCode, text: impl Into<String>) -> Self {
        NodeError {
            code,
            text: text.into(),
        }
    }
}

/// How an RPC this node sent can fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RpcError {
    /// No reply within the timeout.
    #[error("rpc timed out")]
    Timeout,
    /// The peer answered with an `error` body.
    #[error("rpc error {code}: {text}")]
    Remote { code: ErrorCode, text: String },
    /// The reply did not have the expected shape.
    #[error("malformed rpc reply: {0}")]
    Malformed(String),
    /// The node is shutting down (its outbound channel is gone).
    #[error("node transport closed")]
    Closed,
}

impl RpcError {
    /// The remote error code, if the peer answered with an error.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            RpcError::Remote { code, .. } => Some(*code),
            _ => None,
        }
    }
}

impl From<RpcError> for NodeError {
    fn from(e: RpcError) -> Self {
        match e {
            RpcError::Timeout => NodeError::new(ErrorCode::Timeout, "upstream rpc timed out"),
            RpcError::Remote { code, text } => NodeError::new(code, text),
            RpcError::Malformed(t) => NodeError::new(ErrorCode::Crash, t),
            RpcError::Closed => NodeError::new(ErrorCode::Crash, "transport closed"),
        }
    }
}
